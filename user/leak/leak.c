// SPDX-License-Identifier: GPL-2.0
/* `memscope leak`: outstanding allocations of a process (uprobes on its
 * allocator) or of the kernel (kmem tracepoints), by stack, with a trend
 * per stack that tells a leak from a cache. Accepts libbpf-tools memleak's
 * flags with the same meaning. This file is the command line, the tool's
 * modes, loading and the run's hooks; user.c is user mode's probes and
 * execs, run/tool.c runs it and report.c renders. */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/cli.h"
#include "core/fmt.h"
#include "core/json.h"
#include "core/log.h"
#include "leak.h"
#include "leak.skel.h"
#include "leak/alloc_object.h"
#include "leak/options.h"
#include "leak/regions.h"
#include "leak/report.h"
#include "leak/uattach.h"
#include "leak/uprobe_place.h"
#include "leak/user.h"
#include "run/clock.h"
#include "run/preflight.h"
#include "run/registry.h"
#include "run/tool.h"
#include "run/unwind.h"
#include "run/uprobe_multi.h"
#include "syms/ksyms.h"
#include "syms/usyms.h"

_Static_assert(sizeof(struct alloc_info) == 32, "alloc_info layout");
_Static_assert(sizeof(struct leak_event) == 64, "leak_event layout");
_Static_assert(sizeof(struct site_state) == 16, "site_state layout");
_Static_assert(sizeof(struct alloc_bucket) == 640, "alloc_bucket layout");

/* ---- the BPF object and its modes ------------------------------------------ */

DEFINE_SKEL_OPS(leak_skel_ops, leak_bpf);

/* What the tp_btf/raw_tp programs read by position (bpf/leak.bpf.c). */
static const struct tp_contract kmem_contracts[] = {
	{ "kmem", "kmalloc", "long unsigned int, const void *, size_t, size_t" },
	{ "kmem", "kfree", "long unsigned int, const void *" },
	{ "kmem", "kmem_cache_alloc", "long unsigned int, const void *, struct kmem_cache *" },
	{ "kmem", "kmem_cache_free", "long unsigned int, const void *" },
	{ "kmem", "mm_page_alloc", "struct page *, unsigned int" },
	{ "kmem", "mm_page_free", "struct page *" },
	{ "percpu", "percpu_alloc_percpu",
	  "long unsigned int, bool, bool, size_t, size_t, void *, int, void *" },
	{ "percpu", "percpu_free_percpu", "void *, int, void *" },
	{},
};

/* Every kernel mode adds fentry on kmem_cache_free_bulk where the kernel
 * allows it (bulk frees pass no tracepoint); where it does not (our 6.18
 * host refuses fentry), the mode runs without it. */
#define BULK_FREE_SEC "fentry/kmem_cache_free_bulk"
static const char *const tp_btf_secs[] = { "tp_btf/", BULK_FREE_SEC, NULL };
static const char *const raw_tp_secs[] = { "raw_tp/", BULK_FREE_SEC, NULL };
static const char *const tracepoint_secs[] = { "tracepoint/kmem/", "tracepoint/percpu/",
					       BULK_FREE_SEC, NULL };
static const char *const kernel_optional[] = { BULK_FREE_SEC, NULL };
/* The exec tracepoint follows the target into the programs it execs;
 * where the kernel lacks it (no tracefs), the rest still works. */
#define EXEC_SEC "tracepoint/sched/sched_process_exec"
static const char *const uprobe_secs[] = { "uprobe", "uretprobe", EXEC_SEC, NULL };
static const char *const uprobe_optional[] = { EXEC_SEC, NULL };

static const struct tool_mode kernel_modes[] = {
	{ "tp_btf", PROBE_TP_BTF, "kmem tracepoints, typed arguments", tp_btf_secs,
	  kmem_contracts, kernel_optional },
	/* 6.1's verifier refuses tp_btf programs that read `void *`
	 * arguments ("arg1 type UNKNOWN is not a struct"): raw_tp reads the
	 * same arguments untyped. */
	{ "raw_tp", PROBE_RAW_TP, "kmem tracepoints, raw arguments", raw_tp_secs,
	  kmem_contracts, kernel_optional },
	{ "tracepoint", PROBE_TRACEPOINT, "classic kmem tracepoints (fields by name)",
	  tracepoint_secs, kmem_contracts, kernel_optional },
};

static const struct tool_mode user_modes[] = {
	{ "uprobe", PROBE_UPROBE, "uprobes on the allocator", uprobe_secs, NULL, uprobe_optional },
};


static int configure(void *p, const struct tool_mode *mode, const void *cfgp)
{
	const struct leak_cfg *cfg = cfgp;
	const struct leak_opts *o = cfg ? cfg->o : NULL;
	bool user = mode->kind == PROBE_UPROBE;
	struct leak_bpf *s = p;

	s->rodata->self_tgid = getpid();
	s->rodata->ctx_on_stack = mode->kind == PROBE_TP_BTF || mode->kind == PROBE_RAW_TP;
	if (user && cfg && cfg->multi) {
		struct bpf_program *prog;

		bpf_object__for_each_program(prog, s->obj)
			if (!strncmp(bpf_program__section_name(prog), "uprobe", 6) ||
			    !strncmp(bpf_program__section_name(prog), "uretprobe", 9))
				bpf_program__set_expected_attach_type(prog, UPROBE_MULTI_ATTACH_TYPE);
	}
	if (user) {
		/* Kernel-only maps stay minimal. */
		bpf_map__set_max_entries(s->maps.sites, 1);
		bpf_map__set_max_entries(s->maps.cache_names, 1);
		if (cfg && cfg->unw_rows)
			bpf_map__set_max_entries(s->maps.unw_rows, cfg->unw_rows);
		s->rodata->maps_stop = cfg && cfg->maps_stop;
		s->rodata->floor_only = getenv("MEMSCOPE_BENCH_FLOOR") != NULL;
		/* Probing needs no room: the overflow grows only as it fills. */
		if (!o)
			bpf_map__set_max_entries(s->maps.uallocs, 1024);
	} else {
		bpf_map__set_max_entries(s->maps.unw_maps, 1);
		bpf_map__set_max_entries(s->maps.unw_objs, 1);
		bpf_map__set_max_entries(s->maps.uallocs, 1);
	}
	if (!o) {
		bpf_map__set_max_entries(s->maps.combined_map, 1);
		return 0;
	}
	TARGET_FILTER_APPLY(s, &cfg->filter);
	s->rodata->sample_rate = o->sample_rate;
	s->rodata->min_size = o->min_size;
	s->rodata->max_size = o->max_size;
	s->rodata->trace_events = o->trace;
	s->rodata->combined = o->combined_only;
	s->rodata->by_cache = o->by_cache;
	s->rodata->kstack_mode = o->kstacks;
	if (user) {
		s->rodata->bucket_mask = USER_ARRAY_BUCKETS - 1;
		bpf_map__set_max_entries(s->maps.allocs, USER_ARRAY_BUCKETS);
		bpf_map__set_max_entries(s->maps.uallocs, o->max_allocs);
	} else {
		s->rodata->bucket_mask = o->buckets - 1;
		bpf_map__set_max_entries(s->maps.allocs, o->buckets);
	}
	bpf_map__set_max_entries(s->maps.stacks, o->max_stacks);
	if (!o->combined_only)
		bpf_map__set_max_entries(s->maps.combined_map, 1);
	return 0;
}

static bool wanted(const struct bpf_program *p, const void *cfgp)
{
	const struct leak_cfg *cfg = cfgp;
	const char *name = bpf_program__name(p);

	/* With uprobe_multi links entry_multi serves every entry point;
	 * single uprobes take one program per kind of function. Loading
	 * only the one set halves the verifier's work. */
	if (!strcmp(name, "entry_multi"))
		return cfg && cfg->multi;
	if (!strcmp(name, "maps_changed"))
		return true;	/* either way: the unwinder's refresh points */
	if (cfg && cfg->multi && !strncmp(bpf_program__section_name(p), "uprobe", 6))
		return false;
	return !strstr(bpf_program__section_name(p), "percpu") || (cfg && cfg->o->percpu);
}

const struct tool_job user_job = {
	.name = "leak-user",
	.what = "a process's allocations (-p, -c)",
	.modes = user_modes,
	.nmodes = sizeof(user_modes) / sizeof(user_modes[0]),
	.skel = &leak_skel_ops,
	.configure = configure,
	.wanted = wanted,
};

static const struct tool_job kernel_job = {
	.name = "leak-kernel",
	.what = "the kernel's allocations",
	.modes = kernel_modes,
	.nmodes = sizeof(kernel_modes) / sizeof(kernel_modes[0]),
	.skel = &leak_skel_ops,
	.configure = configure,
	.wanted = wanted,
};

/* ---- ring buffer: mmap-family changes and --trace events ------------------ */

static void trace_text(const struct leak_event *e)
{
	uint64_t addr = e->addr, size = e->size;

	switch (e->type) {
	case EV_ALLOC:
	case EV_MMAP:
		printf("alloc  tid %-7u 0x%016" PRIx64 " %8" PRIu64 " bytes  stack %d\n", e->tid,
		       addr, size, e->stack_id);
		break;
	case EV_FREE:
		printf("free   tid %-7u 0x%016" PRIx64 " %8" PRIu64 " bytes\n", e->tid, addr, size);
		break;
	case EV_MUNMAP:
		printf("munmap tid %-7u 0x%016" PRIx64 " %8" PRIu64 " bytes\n", e->tid, addr, size);
		break;
	case EV_MREMAP:
		printf("mremap tid %-7u 0x%016" PRIx64 " %8" PRIu64 " -> 0x%016" PRIx64 " %8" PRIu64 "\n",
		       e->tid, addr, size, (uint64_t)e->addr2, (uint64_t)e->size2);
		break;
	}
}

static void trace_json(const struct leak_event *e)
{
	static const char *const names[] = { "", "alloc", "free", "mmap", "munmap", "mremap" };
	char a[32];
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kstr(&j, "type", "event");
	json_kstr(&j, "event", e->type < 6 ? names[e->type] : "?");
	json_ku64(&j, "tid", e->tid);
	snprintf(a, sizeof(a), "0x%" PRIx64, (uint64_t)e->addr);
	json_kstr(&j, "addr", a);
	json_ku64(&j, "size", e->size);
	if (e->type == EV_MREMAP) {
		snprintf(a, sizeof(a), "0x%" PRIx64, (uint64_t)e->addr2);
		json_kstr(&j, "new_addr", a);
		json_ku64(&j, "new_size", e->size2);
	}
	json_ki64(&j, "stack_id", e->stack_id);
	json_obj_end(&j);
	json_end_record(&j);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct leak_run *lr = ctx;
	const struct leak_event *e = data;

	if (len < sizeof(*e))
		return 0;
	switch (e->type) {
	case EV_MAPS:
		/* The target waits (stopped) for its tables when it is ours. */
		if (lr->unw)
			unwinder_refresh(lr->unw);
		if (lr->cfg.maps_stop)
			kill(lr->run.target.pid, SIGCONT);
		return 0;
	case EV_EXEC:
		/* Its own record: the dead image's report. */
		exec_seen(lr, (uint32_t)e->addr);
		return 0;
	case EV_MMAP:
		regions_mmap(&lr->regions, e->addr, e->size, e->addr2, e->stack_id, e->ts);
		break;
	case EV_MUNMAP:
		regions_unmap(&lr->regions, e->addr, e->size);
		break;
	case EV_MREMAP:
		regions_remap(&lr->regions, e->addr, e->size, e->addr2, e->size2);
		break;
	default:
		break;
	}
	if (lr->o->trace) {
		if (lr->o->common.json)
			trace_json(e);
		else
			trace_text(e);
	}
	return 0;
}

/* ---- loading ------------------------------------------------------------------ */

int load(struct leak_run *lr, const struct tool_job *job)
{
	struct job_load_opts jo = { .btf_path = lr->o->common.btf_path, .cfg = &lr->cfg };
	struct job_result res;
	char why[1024];
	int err;

	target_filter(&lr->run.target, lr->run.target.pid != 0, &lr->cfg.filter);
	err = job_load(job, &jo, &res);
	if (err) {
		log_error("%s cannot be traced here: %s; see 'memscope probe'", job->what,
			  job_explain(&res, why, sizeof(why)));
		return EXIT_FAIL;
	}
	lr->skel = res.skel;
	lr->run.obj = lr->skel->obj;
	lr->run.events_fd = bpf_map__fd(lr->skel->maps.events);
	lr->run.mode = res.mode->name;
	if (res.ntrials > 1)
		log_info("%s through %s (%s)", job->name, res.mode->name,
			 job_explain(&res, why, sizeof(why)));
	return 0;
}

/* ---- kernel mode -------------------------------------------------------------- */

static int start_kernel(struct leak_run *lr)
{
	struct target *t = &lr->run.target;
	const char *failed = "?";
	int err;

	t->stdout_apart = lr->o->common.json;
	if (lr->o->command)
		err = target_spawn(t, false);
	else
		err = 0;
	if (!err)
		err = load(lr, &kernel_job);
	if (err)
		return err;
	err = link_set_attach_all(&lr->run.links, lr->skel->obj, &failed);
	if (err) {
		log_error("attaching %s failed: %s", failed, strerror(-err));
		return EXIT_FAIL;
	}
	if (t->spawned && (err = target_release(t)))
		return err;
	lr->ks = ksyms_new();
	if (!lr->ks)
		log_warn("kernel symbols unavailable (%s): stacks show addresses only%s",
			 strerror(errno), errno == EPERM ? "; /proc/kallsyms hides addresses "
			 "without CAP_SYSLOG (or with kernel.kptr_restrict=2)" : "");
	return 0;
}

/* ---- hooks of the run ---------------------------------------------------------- */

static int start(struct run *r, void *ctx)
{
	struct leak_run *lr = ctx;
	struct leak_report_opts ro = {};
	struct leak_opts *o = lr->o;
	int err;

	if (o->pid && (err = target_open_pid(&r->target, o->pid)))
		return err;
	if (o->command && (err = target_parse_command(&r->target, o->command)))
		return err;
	if (o->cgroup && (err = target_set_cgroup(&r->target, o->cgroup)))
		return err;
	err = lr->user ? start_user(lr) : start_kernel(lr);
	if (err)
		return err;
	ro.json = o->common.json;
	ro.kernel = !lr->user;
	ro.pid = r->target.pid;
	ro.target = r->target.pid ? r->target.name : NULL;
	ro.cgroup = r->target.memcg_id ? r->target.memcg_dir : NULL;
	ro.top = o->top;
	ro.sort = o->sort;
	ro.older_ms = o->older_ms;
	ro.show_allocs = o->show_allocs;
	ro.combined_only = o->combined_only;
	ro.sample_rate = o->sample_rate;
	ro.by_cache = o->by_cache;
	ro.stacks_off = o->kstacks == KSTACK_NEVER;
	ro.folded_path = o->folded;
	ro.svg_path = o->svg;
	ro.table_buckets = lr->user ? USER_ARRAY_BUCKETS : o->buckets;
	ro.bulk_frees_traced = !lr->user &&
			       bpf_program__fd(lr->skel->progs.fentry_kmem_cache_free_bulk) >= 0;
	if (tick_clock_init(&lr->clock, lr->skel->obj))
		log_warn("the BPF object has no clock: allocation ages unknown");
	lr->rep = leak_report_new(&ro, lr->skel, lr->user ? &lr->regions : NULL, lr->us, lr->ks,
				  &lr->clock);
	if (!lr->rep) {
		log_error("out of memory");
		return EXIT_FAIL;
	}
	if (lr->user)
		leak_report_set_image(lr->rep, lr->image, lr->us);
	return 0;
}

static void attached(struct run *r, void *ctx, struct json *j)
{
	struct leak_run *lr = ctx;
	/* A cgroup's path whole, each byte shown as up to 4 ("\xff"). */
	static char name[4 * PATH_MAX + 1];

	if (j) {
		json_kstr(j, "mode", lr->user ? "user" : "kernel");
		if (r->target.pid) {
			json_ki64(j, "pid", r->target.pid);
			json_kstr(j, "target", r->target.name);
		}
		if (r->target.memcg_id) {
			json_kstr(j, "cgroup", r->target.memcg_dir);
			json_ku64(j, "cgroup_id", r->target.memcg_id);
		}
		json_ki64(j, "attach_failures", lr->ua.nfails);
		if (lr->ua.nmfds)
			json_ki64(j, "uprobe_multi_links", lr->ua.nmfds);
		return;
	}
	if (lr->user)
		fprintf(stderr, "memscope: tracing %s (pid %d) with %zu probes; Ctrl-C to stop\n",
			text_safe(r->target.name, name, sizeof(name)), r->target.pid,
			lr->ua.nmfds ? lr->ua.nprobes : r->links.n);
	else if (r->target.pid)
		fprintf(stderr, "memscope: tracing kernel allocations of %s (pid %d); Ctrl-C to "
			"stop\n", text_safe(r->target.name, name, sizeof(name)), r->target.pid);
	else if (r->target.memcg_id)
		fprintf(stderr, "memscope: tracing kernel allocations of cgroup %s; Ctrl-C to stop\n",
			text_safe(r->target.memcg_dir, name, sizeof(name)));
	else
		fprintf(stderr, "memscope: tracing kernel allocations; Ctrl-C to stop\n");
}

static void refresh_symbols(void *ctx)
{
	struct leak_run *lr = ctx;

	if (lr->us)
		usyms_refresh(lr->us);
	if (lr->unw)
		unwinder_refresh(lr->unw);
	/* The exit stop of a -c command: its maps are still there. */
	if (lr->o->obj && lr->run.target.spawned)
		lr->obj_mapped = alloc_object_mapped(lr->run.target.pid, lr->o->obj) > 0;
}

static int report(struct run *r, void *ctx, bool final)
{
	struct leak_run *lr = ctx;

	/* New libraries may have been loaded: symbols must cover them while
	 * the process is there to read them from. */
	if (!final)
		refresh_symbols(lr);
	return leak_report_interval(lr->rep, final, final && r->end == LOOP_TARGET_EXIT);
}

static int summary(struct run *r, void *ctx)
{
	struct leak_run *lr = ctx;

	if (lr->unw) {
		struct unwinder_stats st;

		unwinder_stats(lr->unw, &st);
		leak_report_set_unwind(lr->rep, &st);
	}
	if (lr->obj_mapped == 0)
		log_warn("%s never mapped %s: nothing of it could be traced (check -O)",
			 r->target.name, lr->o->obj);
	if (lr->user && !lr->traced_any && !lr->o->obj) {
		char name[128];

		/* -c of a program without an allocator that execed nothing that has one. */
		log_error("found no malloc/free in %s or the libraries it loads, nor in any "
			  "program it execed (a stripped static binary?); name the allocator's "
			  "object with -O", text_safe(lr->run.target.name, name, sizeof(name)));
		run_output_error(r, -ENOENT);
	}
	return leak_report_summary(lr->rep, lr->ua.fails, lr->ua.nfails, r->exit_code);
}

static void cleanup(struct run *r, void *ctx)
{
	struct leak_run *lr = ctx;

	leak_report_free(lr->rep);
	/* The exec link and the multi links at once (see detach_all()). */
	detach_all(&lr->exec_link, lr->exec_link ? 1 : 0, lr->ua.mfds,
		   lr->ua.mfds ? (size_t)lr->ua.nmfds : 0);
	lr->exec_link = NULL;
	lr->ua.nmfds = 0;
	uattach_detach_multi(&lr->ua);
	leak_bpf__destroy(lr->skel);
	usyms_free(lr->us);
	unwinder_free(lr->unw);
	for (int i = 0; i < lr->nnext; i++)
		usyms_free(lr->next[i].us);
	ksyms_free(lr->ks);
	regions_free(&lr->regions);
}

static const struct run_hooks hooks = {
	.start = start,
	.on_event = on_event,
	.attached = attached,
	.report = report,
	.summary = summary,
	.target_exiting = refresh_symbols,
	.cleanup = cleanup,
};

/* Kernel memory of one element of the user table's overflow (key, value,
 * the hash map's header and its allocator's): bpftool's memlock of the map
 * with 262,506 elements, less its bucket heads, on 6.18. */
#define UALLOC_ELEM_BYTES 96

/* A --max-allocs above the default says what it costs before it is paid:
 * the kernel memory it pins from the start. */
static void table_cost(const struct leak_opts *o, bool user)
{
	char up[32], full[32];
	uint64_t heads = 1;

	if (!o->max_allocs_given ||
	    o->max_allocs <= (user ? LEAK_USER_MAX_ALLOCS : LEAK_KERNEL_MAX_ALLOCS))
		return;
	if (!user) {
		fprintf(stderr, "memscope: --max-allocs %" PRIu64 " pins %s of kernel memory for "
			"the allocation table\n", o->max_allocs,
			fmt_bytes(o->buckets * sizeof(struct alloc_bucket), up, sizeof(up)));
		return;
	}
	/* The array, and the overflow's bucket heads (one per possible entry,
	 * rounded up to a power of two); an element per block it holds. */
	while (heads < o->max_allocs)
		heads <<= 1;
	heads = heads * 16 + USER_ARRAY_BUCKETS * sizeof(struct alloc_bucket);
	fprintf(stderr, "memscope: --max-allocs %" PRIu64 " pins %s of kernel memory from the "
		"start, and about %d bytes more per allocation held beyond the first %d (%s "
		"when full)\n", o->max_allocs, fmt_bytes(heads, up, sizeof(up)), UALLOC_ELEM_BYTES,
		USER_ARRAY_BUCKETS * ALLOC_WAYS,
		fmt_bytes(heads + o->max_allocs * UALLOC_ELEM_BYTES, full, sizeof(full)));
}

static int cmd_leak(int argc, char **argv)
{
	struct preflight_opts pf = { .need_btf = true };
	struct leak_opts o;
	struct leak_run lr = { .o = &o, .obj_mapped = -1 };
	int err;

	err = leak_options_parse(argc, argv, &o);
	if (err)
		return err;
	lr.user = (o.pid || o.command) && !o.kernel;
	table_cost(&o, lr.user);
	pf.btf_path = o.common.btf_path;
	err = preflight(&pf);
	if (err)
		return err;
	lr.cfg.o = &o;
	regions_init(&lr.regions);
	run_init(&lr.run, &o.common);
	lr.run.interval_s = o.interval_s;
	lr.run.count = o.count;
	return run_tool(&lr.run, &hooks, &lr);
}

static const struct tool_job *const leak_jobs[] = { &user_job, &kernel_job, NULL };

const struct tool leak_tool = {
	.name = "leak",
	.summary = "outstanding allocations of a process or the kernel, by stack",
	.main = cmd_leak,
	.jobs = leak_jobs,
};
