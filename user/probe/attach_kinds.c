// SPDX-License-Identifier: GPL-2.0
/* Attach types tried for real (see attach_kinds.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "core/procfs.h"
#include "probe.skel.h"
#include "probe/attach_kinds.h"
#include "run/uprobe_multi.h"

/* Kernel function the kprobe-family and fentry probes attach to: exists on
 * every kernel we care about and is called by our own trigger. */
#define KFUNC_TARGET "vfs_read"

/* The uprobe target: a function of our own binary, so the probe works in a
 * static build and needs no other file. */
static volatile int uprobe_target_calls;

__attribute__((noinline)) void memscope_uprobe_target(void)
{
	/* A side effect, so the compiler keeps every call. */
	uprobe_target_calls++;
}

/* File offset of a function of this executable, for attaching a uprobe to
 * it without a symbol table. */
static int self_file_offset(const void *fn, char *path, size_t len, size_t *off)
{
	struct proc_map m;
	ssize_t n;

	n = readlink("/proc/self/exe", path, len - 1);
	if (n < 0)
		return -errno;
	path[n] = 0;
	if (proc_map_find(0, (unsigned long)fn, &m))
		return -ENOENT;
	*off = (unsigned long)fn - m.start + m.pgoff;
	return 0;
}

static struct bpf_program *kind_prog(struct probe_bpf *skel, enum probe_kind kind)
{
	struct bpf_program *progs[PROBE_NR_KINDS] = {
		[PROBE_TRACEPOINT] = skel->progs.probe_tracepoint,
		[PROBE_RAW_TP] = skel->progs.probe_raw_tp,
		[PROBE_TP_BTF] = skel->progs.probe_tp_btf,
		[PROBE_KPROBE] = skel->progs.probe_kprobe,
		[PROBE_KRETPROBE] = skel->progs.probe_kretprobe,
		[PROBE_KPROBE_MULTI] = skel->progs.probe_kprobe_multi,
		[PROBE_FENTRY] = skel->progs.probe_fentry,
		[PROBE_FEXIT] = skel->progs.probe_fexit,
		[PROBE_UPROBE] = skel->progs.probe_uprobe,
		[PROBE_URETPROBE] = skel->progs.probe_uretprobe,
		[PROBE_UPROBE_MULTI] = skel->progs.probe_uprobe_multi,
	};
	return progs[kind];
}

/* Make the attached program run: a context switch, a vfs_read, or a call of
 * our uprobe target. */
static void trigger(enum probe_kind kind)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	char c;
	int fd;

	switch (kind) {
	case PROBE_TRACEPOINT:
	case PROBE_RAW_TP:
	case PROBE_TP_BTF:
		nanosleep(&ts, NULL);
		break;
	case PROBE_UPROBE:
	case PROBE_URETPROBE:
	case PROBE_UPROBE_MULTI:
		memscope_uprobe_target();
		break;
	default:
		fd = open("/proc/self/stat", O_RDONLY);
		if (fd >= 0) {
			if (read(fd, &c, 1) < 0)
				c = 0;
			close(fd);
		}
		break;
	}
}

static int attach(struct bpf_program *prog, enum probe_kind kind,
		  struct attach_result *res, struct bpf_link **link, int *raw_fd)
{
	LIBBPF_OPTS(bpf_kprobe_multi_opts, kmopts);
	const char *syms[1] = { KFUNC_TARGET };
	char path[512];
	size_t off = 0;
	int err;

	switch (kind) {
	case PROBE_TRACEPOINT:
	case PROBE_RAW_TP:
	case PROBE_TP_BTF:
		snprintf(res->target, sizeof(res->target), "sched_switch");
		*link = bpf_program__attach(prog);
		break;
	case PROBE_FENTRY:
	case PROBE_FEXIT:
		snprintf(res->target, sizeof(res->target), KFUNC_TARGET);
		*link = bpf_program__attach(prog);
		break;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		snprintf(res->target, sizeof(res->target), KFUNC_TARGET);
		*link = bpf_program__attach_kprobe(prog, kind == PROBE_KRETPROBE, KFUNC_TARGET);
		break;
	case PROBE_KPROBE_MULTI:
		snprintf(res->target, sizeof(res->target), KFUNC_TARGET);
		kmopts.syms = syms;
		kmopts.cnt = 1;
		*link = bpf_program__attach_kprobe_multi_opts(prog, NULL, &kmopts);
		break;
	case PROBE_UPROBE:
	case PROBE_URETPROBE:
	case PROBE_UPROBE_MULTI:
		err = self_file_offset((const void *)memscope_uprobe_target, path,
				       sizeof(path), &off);
		if (err)
			return err;
		snprintf(res->target, sizeof(res->target), "memscope+0x%zx", off);
		if (kind == PROBE_UPROBE_MULTI) {
			{
				unsigned long offs[1] = { off };

				*raw_fd = uprobe_multi_link(bpf_program__fd(prog), path, offs, NULL, 1,
							    false, getpid());
			}
			return *raw_fd < 0 ? *raw_fd : 0;
		}
		*link = bpf_program__attach_uprobe(prog, kind == PROBE_URETPROBE, 0, path, off);
		break;
	default:
		return -EINVAL;
	}
	if (!*link)
		return -errno;
	return 0;
}

void attach_kind_try(enum probe_kind kind, struct attach_result *res)
{
	struct bpf_program *prog, *p;
	struct bpf_link *link = NULL;
	struct probe_bpf *skel;
	volatile __u64 *hits;
	int raw_fd = -1, err;

	memset(res, 0, sizeof(*res));
	log_quiet_push();

	skel = probe_bpf__open();
	if (!skel) {
		res->err = -errno;
		res->stage = "open";
		goto out;
	}
	prog = kind_prog(skel, kind);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == prog);
	if (kind == PROBE_UPROBE_MULTI)
		bpf_program__set_expected_attach_type(prog, UPROBE_MULTI_ATTACH_TYPE);

	err = probe_bpf__load(skel);
	if (err) {
		res->err = err;
		res->stage = "load";
		goto out;
	}
	res->loaded = true;

	err = attach(prog, kind, res, &link, &raw_fd);
	if (err) {
		res->err = err;
		res->stage = "attach";
		goto out;
	}
	res->attached = true;

	/* Some events need a moment (a context switch on this CPU). The
	 * counter changes behind the compiler's back: read it volatile. */
	hits = &skel->bss->hits[kind];
	for (int i = 0; i < 50 && !*hits; i++)
		trigger(kind);
	res->fired = *hits > 0;
out:
	if (raw_fd >= 0)
		close(raw_fd);
	bpf_link__destroy(link);
	probe_bpf__destroy(skel);
	log_quiet_pop();
	if (res->stage)
		log_debug("probe %s: %s failed: %s", probe_kind_name(kind), res->stage,
			  strerror(-res->err));
	else
		log_debug("probe %s: attached to %s, %s", probe_kind_name(kind),
			  res->target, res->fired ? "fired" : "did not fire");
}

const char *attach_hint(enum probe_kind kind, const struct attach_result *r)
{
	bool load = r->stage && !strcmp(r->stage, "load");
	int e = -r->err;

	if (!r->stage)
		return NULL;
	switch (kind) {
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		if (!load && e == ENOENT)
			return "no kprobe PMU and no kprobe_events: kernel built without CONFIG_KPROBES";
		break;
	case PROBE_KPROBE_MULTI:
		if (!load && (e == EOPNOTSUPP || e == ENOTSUP))
			return "kprobe_multi links unsupported: CONFIG_FPROBE off";
		if (load && e == EINVAL)
			return "kernel older than 5.18";
		break;
	case PROBE_FENTRY:
	case PROBE_FEXIT:
		if (load && e == EPERM)
			return "refused at load by a kernel policy (no verifier error)";
		if (e == 524 /* ENOTSUPP */)
			return "no BPF trampoline on this kernel/arch";
		break;
	case PROBE_UPROBE_MULTI:
		/* 6.1 loads the program but has no such link type. */
		if (e == EINVAL)
			return "no uprobe_multi links: kernel older than 6.6";
		break;
	case PROBE_TRACEPOINT:
		if (!load && e == ENOENT)
			return "tracefs not mounted, or no such event";
		break;
	case PROBE_TP_BTF:
	case PROBE_RAW_TP:
		if (load && (e == EINVAL || e == ESRCH))
			return "kernel lacks BTF or raw tracepoint support";
		break;
	default:
		break;
	}
	if (e == EPERM || e == EACCES)
		return "permission denied: lockdown or a security policy";
	return NULL;
}

