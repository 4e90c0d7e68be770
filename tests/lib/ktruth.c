// SPDX-License-Identifier: GPL-2.0
/* Raw-syscall attach checks for the tests (see ktruth.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "ktruth.h"
#include "core/procfs.h"
#include "run.h"

#define TRACE_KPROBE_MULTI 42
#define TRACE_UPROBE_MULTI 48

static long sys_bpf(int cmd, void *attr, size_t size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

int ktruth_prog_load(int type, int eat, unsigned btf_id)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (unsigned long)insns;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	a.expected_attach_type = eat;
	a.attach_btf_id = btf_id;
	return sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
}

/* Load one of ours: recorded, so the leftover check covers it (progs.h). */
static int prog_load(int type, int eat, unsigned btf_id)
{
	int fd = ktruth_prog_load(type, eat, btf_id);

	if (fd >= 0)
		bpf_progs_record_fd(fd);
	return fd;
}

static int raw_tp_open(int prog_fd, const char *name)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (unsigned long)name;
	a.raw_tracepoint.prog_fd = prog_fd;
	return sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
}

static int btf_id(const char *name, int kind)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, name, kind);
	btf__free(btf);
	return id;
}

static int read_int(const char *path)
{
	char buf[64];

	if (read_file_str(path, buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

/* Bit of "retprobe" in a PMU's config ("config:0"). */
static int retprobe_bit(const char *pmu)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/format/retprobe", pmu);
	if (read_file_str(path, buf, sizeof(buf)) <= 0 || strncmp(buf, "config:", 7))
		return -1;
	return atoi(buf + 7);
}

static int perf_open(struct perf_event_attr *attr, int pid, int cpu)
{
	return syscall(__NR_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static bool perf_attach(int pfd, int prog_fd)
{
	return ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) == 0;
}

__attribute__((noinline)) void ktruth_uprobe_target(void)
{
	__asm__ __volatile__("" ::: "memory");
}

static int self_offset(char *path, size_t len, unsigned long *off)
{
	struct proc_map m;
	ssize_t n = readlink("/proc/self/exe", path, len - 1);

	if (n < 0)
		return -1;
	path[n] = 0;
	if (proc_map_find(0, (unsigned long)ktruth_uprobe_target, &m))
		return -1;
	*off = (unsigned long)ktruth_uprobe_target - m.start + m.pgoff;
	return 0;
}

/* link_create for kprobe_multi/uprobe_multi; our own layout so the test
 * does not depend on the uapi headers' vintage. */
struct link_multi {
	__u32 prog_fd, target_fd, attach_type, flags;
	union {
		struct { __u32 flags; __u32 cnt; __u64 syms, addrs, cookies; } k;
		struct { __u64 path, offsets, ref_ctr, cookies; __u32 cnt, flags, pid, pad; } u;
	};
};

bool ktruth_attach(enum probe_kind kind, const char **why)
{
	struct perf_event_attr pa;
	struct link_multi lm;
	char path[512];
	const char *tracefs;
	unsigned long off, offs[1];
	const char *syms[1] = { "vfs_read" };
	int prog = -1, att = -1, type, bit, id;
	bool ok = false;

	*why = NULL;
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	memset(&lm, 0, sizeof(lm));

	switch (kind) {
	case PROBE_TRACEPOINT:
		tracefs = test_tracefs();
		if (!tracefs) {
			*why = "no tracefs";
			break;
		}
		snprintf(path, sizeof(path), "%s/events/sched/sched_switch/id", tracefs);
		if ((id = read_int(path)) < 0) {
			*why = "no sched_switch id";
			break;
		}
		if ((prog = prog_load(BPF_PROG_TYPE_TRACEPOINT, 0, 0)) < 0) {
			*why = "load";
			break;
		}
		pa.type = PERF_TYPE_TRACEPOINT;
		pa.config = id;
		att = perf_open(&pa, -1, 0);
		ok = att >= 0 && perf_attach(att, prog);
		*why = ok ? NULL : "perf_event_open/SET_BPF";
		break;
	case PROBE_RAW_TP:
		if ((prog = prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0)) < 0) {
			*why = "load";
			break;
		}
		att = raw_tp_open(prog, "sched_switch");
		ok = att >= 0;
		*why = ok ? NULL : "raw_tracepoint_open";
		break;
	case PROBE_TP_BTF:
	case PROBE_FENTRY:
	case PROBE_FEXIT:
		if (kind == PROBE_TP_BTF)
			id = btf_id("btf_trace_sched_switch", BTF_KIND_TYPEDEF);
		else
			id = btf_id("vfs_read", BTF_KIND_FUNC);
		if (id < 0) {
			*why = "no BTF id";
			break;
		}
		prog = prog_load(BPF_PROG_TYPE_TRACING,
				 kind == PROBE_TP_BTF ? BPF_TRACE_RAW_TP :
				 kind == PROBE_FENTRY ? BPF_TRACE_FENTRY : BPF_TRACE_FEXIT, id);
		if (prog < 0) {
			*why = "load";
			break;
		}
		att = raw_tp_open(prog, NULL);
		ok = att >= 0;
		*why = ok ? NULL : "attach";
		break;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
	case PROBE_UPROBE:
	case PROBE_URETPROBE: {
		bool k = kind == PROBE_KPROBE || kind == PROBE_KRETPROBE;
		bool ret = kind == PROBE_KRETPROBE || kind == PROBE_URETPROBE;
		const char *pmu = k ? "kprobe" : "uprobe";

		snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", pmu);
		if ((type = read_int(path)) < 0) {
			*why = "no PMU";
			break;
		}
		if ((prog = prog_load(BPF_PROG_TYPE_KPROBE, 0, 0)) < 0) {
			*why = "load";
			break;
		}
		pa.type = type;
		if (ret) {
			if ((bit = retprobe_bit(pmu)) < 0) {
				*why = "no retprobe format";
				break;
			}
			pa.config |= 1ULL << bit;
		}
		if (k) {
			pa.config1 = (unsigned long)"vfs_read";
			att = perf_open(&pa, -1, 0);
		} else {
			if (self_offset(path, sizeof(path), &off)) {
				*why = "no self offset";
				break;
			}
			pa.config1 = (unsigned long)path;
			pa.config2 = off;
			att = perf_open(&pa, getpid(), -1);
		}
		ok = att >= 0 && perf_attach(att, prog);
		*why = ok ? NULL : "perf_event_open/SET_BPF";
		break;
	}
	case PROBE_KPROBE_MULTI:
	case PROBE_UPROBE_MULTI:
		prog = prog_load(BPF_PROG_TYPE_KPROBE, kind == PROBE_KPROBE_MULTI ?
				 TRACE_KPROBE_MULTI : TRACE_UPROBE_MULTI, 0);
		if (prog < 0) {
			*why = "load";
			break;
		}
		lm.prog_fd = prog;
		if (kind == PROBE_KPROBE_MULTI) {
			lm.attach_type = TRACE_KPROBE_MULTI;
			lm.k.cnt = 1;
			lm.k.syms = (unsigned long)syms;
		} else {
			if (self_offset(path, sizeof(path), &off)) {
				*why = "no self offset";
				break;
			}
			offs[0] = off;
			lm.attach_type = TRACE_UPROBE_MULTI;
			lm.u.path = (unsigned long)path;
			lm.u.offsets = (unsigned long)offs;
			lm.u.cnt = 1;
			lm.u.pid = getpid();
		}
		att = sys_bpf(BPF_LINK_CREATE, &lm, sizeof(lm));
		ok = att >= 0;
		*why = ok ? NULL : "link_create";
		break;
	default:
		*why = "unknown kind";
		break;
	}
	if (att >= 0)
		close(att);
	if (prog >= 0)
		close(prog);
	return ok;
}
