// SPDX-License-Identifier: GPL-2.0
/* Kernel capability detection: attach types by trying them, tracepoints by
 * tracefs and BTF, system facts from /proc and /sys. See features.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "caps/kfeatures.h"
#include "core/log.h"
#include "probe.skel.h"
#include "core/procfs.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

/* Kernel function the kprobe-family and fentry probes attach to: exists on
 * every kernel we care about and is called by our own trigger. */
#define KFUNC_TARGET "vfs_read"

/* Not in libbpf 1.1's headers (kernel 6.6+ uapi). */
#define MS_BPF_TRACE_UPROBE_MULTI 48

static const char *const kind_names[PROBE_NR_KINDS] = {
	[PROBE_TRACEPOINT] = "tracepoint",
	[PROBE_RAW_TP] = "raw_tp",
	[PROBE_TP_BTF] = "tp_btf",
	[PROBE_KPROBE] = "kprobe",
	[PROBE_KRETPROBE] = "kretprobe",
	[PROBE_KPROBE_MULTI] = "kprobe_multi",
	[PROBE_FENTRY] = "fentry",
	[PROBE_FEXIT] = "fexit",
	[PROBE_UPROBE] = "uprobe",
	[PROBE_URETPROBE] = "uretprobe",
	[PROBE_UPROBE_MULTI] = "uprobe_multi",
};

const char *probe_kind_name(enum probe_kind kind)
{
	return kind >= 0 && kind < PROBE_NR_KINDS ? kind_names[kind] : "?";
}

/* ---- attach probing ------------------------------------------------------ */

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

/* uprobe_multi needs a raw BPF_LINK_CREATE: libbpf 1.1 has no API for it.
 * The layout mirrors union bpf_attr's link_create.uprobe_multi (6.6+). */
struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 um_flags;
	__u32 pid;
	__u32 pad;
};

static int uprobe_multi_link(int prog_fd, const char *path, size_t off)
{
	struct link_create_uprobe_multi a;
	unsigned long offsets[1] = { off };
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.attach_type = MS_BPF_TRACE_UPROBE_MULTI;
	a.path = (unsigned long)path;
	a.offsets = (unsigned long)offsets;
	a.cnt = 1;
	a.pid = getpid();
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
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
			*raw_fd = uprobe_multi_link(bpf_program__fd(prog), path, off);
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

void features_try_attach(enum probe_kind kind, struct attach_result *res)
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
		bpf_program__set_expected_attach_type(prog, MS_BPF_TRACE_UPROBE_MULTI);

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

bool features_tp_btf_void_args(void)
{
	struct probe_bpf *skel;
	struct bpf_program *p;
	bool ok = false;

	log_quiet_push();
	skel = probe_bpf__open();
	if (skel) {
		bpf_object__for_each_program(p, skel->obj)
			bpf_program__set_autoload(p, p == skel->progs.probe_tp_btf_void_arg);
		ok = !probe_bpf__load(skel);
	}
	probe_bpf__destroy(skel);
	log_quiet_pop();
	return ok;
}

/* ---- tracepoints --------------------------------------------------------- */

const struct tp_desc tp_table[] = {
	{ "kmem", "kmalloc", TOOL_LEAK },
	{ "kmem", "kfree", TOOL_LEAK },
	{ "kmem", "kmem_cache_alloc", TOOL_LEAK },
	{ "kmem", "kmem_cache_free", TOOL_LEAK },
	{ "kmem", "mm_page_alloc", TOOL_LEAK },
	{ "kmem", "mm_page_free", TOOL_LEAK },
	{ "kmem", "mm_page_free_batched", TOOL_LEAK },
	{ "kmem", "rss_stat", TOOL_LEAK | TOOL_OOM },
	{ "percpu", "percpu_alloc_percpu", TOOL_LEAK },
	{ "percpu", "percpu_free_percpu", TOOL_LEAK },
	{ "vmscan", "mm_vmscan_direct_reclaim_begin", TOOL_RECLAIM },
	{ "vmscan", "mm_vmscan_direct_reclaim_end", TOOL_RECLAIM },
	{ "vmscan", "mm_vmscan_memcg_reclaim_begin", TOOL_RECLAIM },
	{ "vmscan", "mm_vmscan_memcg_reclaim_end", TOOL_RECLAIM },
	{ "vmscan", "mm_vmscan_memcg_softlimit_reclaim_begin", TOOL_RECLAIM },
	{ "vmscan", "mm_vmscan_memcg_softlimit_reclaim_end", TOOL_RECLAIM },
	{ "vmscan", "mm_vmscan_kswapd_wake", TOOL_RECLAIM },
	{ "vmscan", "mm_vmscan_throttled", TOOL_RECLAIM },
	{ "compaction", "mm_compaction_begin", TOOL_RECLAIM },
	{ "compaction", "mm_compaction_end", TOOL_RECLAIM },
	{ "oom", "compact_retry", TOOL_RECLAIM | TOOL_OOM },
	{ "oom", "reclaim_retry_zone", TOOL_RECLAIM | TOOL_OOM },
	{ "oom", "mark_victim", TOOL_OOM },
	{ "oom", "wake_reaper", TOOL_OOM },
	{ "oom", "start_task_reaping", TOOL_OOM },
	{ "oom", "finish_task_reaping", TOOL_OOM },
	{ "oom", "skip_task_reaping", TOOL_OOM },
	{ "oom", "oom_score_adj_update", TOOL_OOM },
	{ "filemap", "mm_filemap_add_to_page_cache", TOOL_CACHE },
	{ "filemap", "mm_filemap_delete_from_page_cache", TOOL_CACHE },
	{ "filemap", "mm_filemap_get_pages", TOOL_CACHE },
	{ "filemap", "mm_filemap_map_pages", TOOL_CACHE },
	{ "filemap", "mm_filemap_fault", TOOL_CACHE },
	{ "writeback", "writeback_dirty_folio", TOOL_CACHE },
	{ "readahead", "page_cache_sync_ra", TOOL_CACHE },
	{ "readahead", "page_cache_async_ra", TOOL_CACHE },
	{ "readahead", "page_cache_ra_order", TOOL_CACHE },
	{ "readahead", "page_cache_ra_unbounded", TOOL_CACHE },
};
const int tp_table_len = sizeof(tp_table) / sizeof(tp_table[0]);

/* Tracepoints whose arguments changed across kernels: the first variant
 * whose argument string starts with .prefix names the layout. */
static const struct {
	const char *tp;
	const char *prefix;
	const char *layout;
} tp_layouts[] = {
	/* 6.x "oom: mark_victim: ..." added the task (and uid) arguments;
	 * before, the event carried only the pid. */
	{ "mark_victim", "struct task_struct *", "task" },
	{ "mark_victim", "int", "pid" },
	/* 5.16 folio conversion of the page cache. */
	{ "mm_filemap_add_to_page_cache", "struct folio *", "folio" },
	{ "mm_filemap_add_to_page_cache", "struct page *", "page" },
	{ "mm_filemap_delete_from_page_cache", "struct folio *", "folio" },
	{ "mm_filemap_delete_from_page_cache", "struct page *", "page" },
	/* 6.2 dropped the count argument of rss_stat. */
	{ "rss_stat", "struct mm_struct *, int, long int", "mm,member,count" },
	{ "rss_stat", "struct mm_struct *, int", "mm,member" },
	/* 6.1 "mm/slab_common: ..." passes the cache to kmem_cache_alloc. */
	{ "kmem_cache_alloc", "long unsigned int, const void *, struct kmem_cache *", "cache" },
	{ "kmem_cache_alloc", "long unsigned int, const void *, size_t", "no-cache" },
};

struct strbuf {
	char *buf;
	size_t len, pos;
};

static void strbuf_vprintf(void *ctx, const char *fmt, va_list ap)
{
	struct strbuf *sb = ctx;
	int n;

	if (sb->pos >= sb->len)
		return;
	n = vsnprintf(sb->buf + sb->pos, sb->len - sb->pos, fmt, ap);
	if (n > 0)
		sb->pos += n;
}

/* Argument types of tracepoint "name" from its btf_trace_<name> typedef
 * (a pointer to void (void *__data, args...)). */
static bool tp_btf_args(const struct btf *btf, const char *name, char *buf, size_t len)
{
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, dopts);
	struct strbuf sb = { buf, len, 0 };
	const struct btf_param *params;
	const struct btf_type *t;
	struct btf_dump *d;
	char tname[128];
	int id, i, n;

	buf[0] = 0;
	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);	/* pointer */
	if (!t || !btf_is_ptr(t))
		return true;
	t = btf__type_by_id(btf, t->type);				/* func proto */
	if (!t || !btf_is_func_proto(t))
		return true;
	d = btf_dump__new(btf, strbuf_vprintf, &sb, NULL);
	if (!d)
		return true;
	params = btf_params(t);
	n = btf_vlen(t);
	for (i = 1; i < n; i++) {	/* skip void *__data */
		if (i > 1 && sb.pos < len)
			sb.pos += snprintf(buf + sb.pos, len - sb.pos, ", ");
		dopts.field_name = "";
		btf_dump__emit_type_decl(d, params[i].type, &dopts);
	}
	btf_dump__free(d);
	return true;
}

static const char *tp_layout(const char *name, const char *args)
{
	size_t i;

	for (i = 0; i < sizeof(tp_layouts) / sizeof(tp_layouts[0]); i++) {
		if (strcmp(tp_layouts[i].tp, name))
			continue;
		if (!strncmp(args, tp_layouts[i].prefix, strlen(tp_layouts[i].prefix)))
			return tp_layouts[i].layout;
	}
	return NULL;
}

static void tp_detect(struct tp_state *tp, const struct btf *btf, const char *tracefs)
{
	char path[512];
	int i;

	for (i = 0; i < tp_table_len; i++) {
		const struct tp_desc *d = &tp_table[i];
		struct tp_state *s = &tp[i];

		if (tracefs[0]) {
			snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs, d->category, d->name);
			s->in_tracefs = access(path, F_OK) == 0;
		}
		if (btf)
			s->in_btf = tp_btf_args(btf, d->name, s->args, sizeof(s->args));
		s->layout = s->in_btf ? tp_layout(d->name, s->args) : NULL;
	}
}

static int tp_index(const char *name)
{
	for (int i = 0; i < tp_table_len; i++)
		if (!strcmp(tp_table[i].name, name))
			return i;
	return -1;
}

/* ---- system facts -------------------------------------------------------- */

int tracefs_find(char *buf, size_t len, bool mount_if_missing, bool *mounted)
{
	static const char *const candidates[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char probe[512];
	size_t i;

	if (mounted)
		*mounted = false;
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/events", candidates[i]);
		if (access(probe, F_OK) == 0) {
			snprintf(buf, len, "%s", candidates[i]);
			return 0;
		}
	}
	buf[0] = 0;
	if (!mount_if_missing)
		return -ENOENT;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		int err = -errno;

		log_debug("mounting tracefs at /sys/kernel/tracing failed: %s", strerror(errno));
		return err;
	}
	log_info("mounted tracefs at /sys/kernel/tracing");
	if (mounted)
		*mounted = true;
	snprintf(buf, len, "/sys/kernel/tracing");
	return 0;
}

static bool cap_has(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

void sys_privileges_read(struct sys_facts *s)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	s->euid = geteuid();
	if (syscall(SYS_capget, &hdr, data))
		return;
	s->cap_sys_admin = cap_has(data, 21);	/* CAP_SYS_ADMIN */
	s->cap_sys_resource = cap_has(data, 24);	/* CAP_SYS_RESOURCE */
	s->cap_perfmon = cap_has(data, 38);	/* CAP_PERFMON, 5.8+ */
	s->cap_bpf = cap_has(data, 39);		/* CAP_BPF, 5.8+ */
}

static void read_lockdown(struct sys_facts *s)
{
	char mnt[256], path[300], buf[128], *l, *r;

	snprintf(s->lockdown, sizeof(s->lockdown), "unknown");
	if (proc_mount_find("securityfs", NULL, mnt, sizeof(mnt)))
		return;
	snprintf(path, sizeof(path), "%s/lockdown", mnt);
	if (read_file_str(path, buf, sizeof(buf)) < 0)
		return;
	/* "none [integrity] confidentiality": the bracketed one is active. */
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r) {
		*r = 0;
		snprintf(s->lockdown, sizeof(s->lockdown), "%s", l + 1);
	}
}

static void read_memcg(struct sys_facts *s)
{
	char path[600], ctrl[512], cg[512];

	s->memcg_version = 0;
	/* A v1 memory hierarchy, if mounted, owns the controller. */
	if (!proc_mount_find("cgroup", "memory", s->memcg_mount, sizeof(s->memcg_mount))) {
		s->memcg_version = 1;
		if (!proc_self_cgroup("memory", cg, sizeof(cg)))
			snprintf(s->memcg_self, sizeof(s->memcg_self), "%s%s",
				 s->memcg_mount, strcmp(cg, "/") ? cg : "");
		return;
	}
	if (proc_mount_find("cgroup2", NULL, s->memcg_mount, sizeof(s->memcg_mount)))
		return;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", s->memcg_mount);
	if (read_file_str(path, ctrl, sizeof(ctrl)) < 0 || !word_in_list(ctrl, "memory")) {
		s->memcg_mount[0] = 0;
		return;
	}
	s->memcg_version = 2;
	if (!proc_self_cgroup("", cg, sizeof(cg)))
		snprintf(s->memcg_self, sizeof(s->memcg_self), "%s%s",
			 s->memcg_mount, strcmp(cg, "/") ? cg : "");
}

static void read_swap(struct sys_facts *s)
{
	char line[512];
	FILE *f;

	s->swap_devices = 0;
	f = fopen("/proc/swaps", "re");
	if (f) {
		/* First line is the header. */
		while (fgets(line, sizeof(line), f))
			s->swap_devices++;
		if (s->swap_devices)
			s->swap_devices--;
		fclose(f);
	}
	s->swap_total_kb = meminfo_kb("SwapTotal");
}

void sys_facts_read(struct sys_facts *s, const char *btf_path)
{
	struct utsname u;
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (!uname(&u)) {
		snprintf(s->release, sizeof(s->release), "%s", u.release);
		snprintf(s->machine, sizeof(s->machine), "%s", u.machine);
	}
	snprintf(s->btf_path, sizeof(s->btf_path), "%s", btf_path ? btf_path : KERNEL_BTF);
	if (!stat(s->btf_path, &st)) {
		s->btf = true;
		s->btf_size = st.st_size;
	}
	read_lockdown(s);
	tracefs_find(s->tracefs, sizeof(s->tracefs), false, NULL);
	sys_privileges_read(s);
	read_memcg(s);
	s->psi_memory = access("/proc/pressure/memory", R_OK) == 0;
	read_swap(s);
}

/* ---- tool modes ---------------------------------------------------------- */

/* Can tracepoint `name` be used through attach kind k here? */
static bool tp_usable_by(const struct features *f, const char *name, enum probe_kind k)
{
	int i = tp_index(name);

	if (i < 0 || !f->attach[k].attached)
		return false;
	if (k == PROBE_TP_BTF || k == PROBE_RAW_TP)
		return f->tp[i].in_btf;
	if (k == PROBE_TRACEPOINT)
		return f->tp[i].in_tracefs;
	return false;
}

static bool all_usable_by(const struct features *f, const char *const *names, enum probe_kind k)
{
	for (; *names; names++)
		if (!tp_usable_by(f, *names, k))
			return false;
	return true;
}

/* Any tracepoint kind that carries name. */
static bool tp_usable(const struct features *f, const char *name)
{
	return tp_usable_by(f, name, PROBE_TP_BTF) || tp_usable_by(f, name, PROBE_TRACEPOINT);
}

int attach_override(void)
{
	const char *v = getenv("MEMSCOPE_ATTACH");

	if (!v || !*v)
		return -1;
	for (int k = 0; k < PROBE_NR_KINDS; k++)
		if (!strcmp(v, kind_names[k]))
			return k;
	return -2;
}

/* One way a tool can run: the attach kind it rests on, whether this kernel
 * allows it, and how to describe the resulting mode. */
struct mode_option {
	enum probe_kind kind;
	bool ok;
	const char *desc;
};

/* Choose the first option that works, or the one MEMSCOPE_ATTACH forces
 * when it names one of this tool's options. */
static void choose_mode(struct tool_mode *m, const char *tool, const struct mode_option *o,
			int n, const char *none)
{
	int forced = attach_override(), i;

	for (i = 0; i < n && (int)o[i].kind != forced; i++)
		;
	if (i == n)
		forced = -1;	/* not an alternative of this tool */
	m->tool = tool;
	m->can_run = false;
	for (i = 0; i < n; i++) {
		if ((forced >= 0 && (int)o[i].kind != forced) || !o[i].ok)
			continue;
		m->can_run = true;
		snprintf(m->mode, sizeof(m->mode), "%s%s", o[i].desc,
			 forced >= 0 ? " [forced by MEMSCOPE_ATTACH]" : "");
		return;
	}
	if (forced >= 0)
		snprintf(m->mode, sizeof(m->mode), "cannot run: MEMSCOPE_ATTACH=%s is not "
			 "usable on this kernel", kind_names[forced]);
	else
		snprintf(m->mode, sizeof(m->mode), "cannot run: %s", none);
}

static void decide_modes(struct features *f)
{
	static const char *const kmem[] = { "kmalloc", "kfree", "kmem_cache_alloc",
					    "kmem_cache_free", NULL };
	static const char *const cache_exact[] = { "mm_filemap_add_to_page_cache",
						   "mm_filemap_get_pages", NULL };
	static const char *const reclaim[] = { "mm_vmscan_direct_reclaim_begin",
					       "mm_vmscan_direct_reclaim_end",
					       "mm_vmscan_memcg_reclaim_begin",
					       "mm_vmscan_memcg_reclaim_end", NULL };
	const struct attach_result *a = f->attach;
	bool added = tp_usable(f, "mm_filemap_add_to_page_cache");
	bool victim = tp_usable(f, "mark_victim");
	int mv = tp_index("mark_victim");
	bool task_layout = f->tp[mv].layout && !strcmp(f->tp[mv].layout, "task");
	bool uprobes = a[PROBE_UPROBE].attached && a[PROBE_URETPROBE].attached;
	bool void_args = f->tp_btf_void_args;

	const struct mode_option leak_user[] = {
		{ PROBE_UPROBE, uprobes, a[PROBE_UPROBE_MULTI].attached ?
			"uprobes (uprobe_multi available)" : "uprobes" },
	};
	const struct mode_option leak_kernel[] = {
		{ PROBE_TP_BTF, void_args && all_usable_by(f, kmem, PROBE_TP_BTF),
		  "tp_btf (kmem tracepoints)" },
		{ PROBE_RAW_TP, all_usable_by(f, kmem, PROBE_RAW_TP), "raw_tp (kmem tracepoints)" },
		{ PROBE_TRACEPOINT, all_usable_by(f, kmem, PROBE_TRACEPOINT), "tracepoints (kmem)" },
	};
	const struct mode_option cache[] = {
		{ PROBE_TP_BTF, all_usable_by(f, cache_exact, PROBE_TP_BTF),
		  "tp_btf (exact read path)" },
		{ PROBE_TRACEPOINT, all_usable_by(f, cache_exact, PROBE_TRACEPOINT),
		  "tracepoints (exact read path)" },
		{ PROBE_FENTRY, added && a[PROBE_FENTRY].attached,
		  "fentry on the read path (approximate: no mm_filemap_get_pages)" },
		{ PROBE_KPROBE, added && a[PROBE_KPROBE].attached,
		  "kprobes on the read path (approximate: no mm_filemap_get_pages)" },
	};
	const struct mode_option recl[] = {
		{ PROBE_TP_BTF, all_usable_by(f, reclaim, PROBE_TP_BTF), "tp_btf (vmscan)" },
		{ PROBE_TRACEPOINT, all_usable_by(f, reclaim, PROBE_TRACEPOINT), "tracepoints (vmscan)" },
	};
	const struct mode_option oom[] = {
		{ PROBE_TP_BTF, task_layout && tp_usable_by(f, "mark_victim", PROBE_TP_BTF),
		  "tp_btf (victim details from mark_victim)" },
		{ PROBE_FENTRY, victim && a[PROBE_FENTRY].attached,
		  "mark_victim + fentry on oom_kill_process for details" },
		{ PROBE_KPROBE, victim && a[PROBE_KPROBE].attached,
		  "mark_victim + kprobe on oom_kill_process for details" },
		{ PROBE_TRACEPOINT, tp_usable_by(f, "mark_victim", PROBE_TRACEPOINT),
		  task_layout ? "tracepoint (victim details from mark_victim's fields)"
			      : "tracepoint (pid only: victim details limited)" },
	};
	char why[128];

	snprintf(why, sizeof(why), "uprobes refused (%s)",
		 strerror(-(a[PROBE_UPROBE].err ?: a[PROBE_URETPROBE].err)));
#define N(x) (int)(sizeof(x) / sizeof((x)[0]))
	choose_mode(&f->tools[TID_LEAK_USER], "leak-user", leak_user, N(leak_user), why);
	choose_mode(&f->tools[TID_LEAK_KERNEL], "leak-kernel", leak_kernel, N(leak_kernel),
		    "kmem tracepoints unusable");
	choose_mode(&f->tools[TID_CACHE], "cache", cache, N(cache),
		    "no mm_filemap tracepoints and no kprobes/fentry");
	choose_mode(&f->tools[TID_RECLAIM], "reclaim", recl, N(recl),
		    "vmscan reclaim tracepoints unusable");
	choose_mode(&f->tools[TID_OOM], "oom", oom, N(oom), "oom:mark_victim unusable");
#undef N
}

/* ---- all together -------------------------------------------------------- */

int features_detect(struct features *f, const struct features_opts *opts)
{
	struct btf *btf;
	int k;

	memset(f, 0, sizeof(*f));
	f->tp = calloc(tp_table_len, sizeof(*f->tp));
	if (!f->tp)
		return -ENOMEM;

	sys_facts_read(&f->sys, opts->btf_path);
	if (!f->sys.tracefs[0] && opts->mount_tracefs)
		tracefs_find(f->sys.tracefs, sizeof(f->sys.tracefs), true,
			     &f->sys.tracefs_mounted_by_us);

	for (k = 0; k < PROBE_NR_KINDS; k++)
		features_try_attach(k, &f->attach[k]);
	f->tp_btf_void_args = f->attach[PROBE_TP_BTF].loaded && features_tp_btf_void_args();

	btf = opts->btf_path ? btf__parse(opts->btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		log_debug("no BTF to look tracepoints up in: %s", strerror(errno));
	tp_detect(f->tp, btf, f->sys.tracefs);
	btf__free(btf);

	decide_modes(f);
	return 0;
}

void features_free(struct features *f)
{
	free(f->tp);
	f->tp = NULL;
}
