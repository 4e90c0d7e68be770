// SPDX-License-Identifier: GPL-2.0
/* `memscope leak`: outstanding allocations of a process (uprobes on its
 * allocator) or of the kernel (kmem tracepoints), by stack, with a trend
 * per stack that tells a leak from a cache. Accepts libbpf-tools memleak's
 * flags with the same meaning. This file is the command line, the tool's
 * modes and its set-up; run/tool.c runs it and report.c renders. */
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

/* What configure() and wanted() get: the options and the target filter. */
struct leak_cfg {
	const struct leak_opts *o;
	struct target_filter filter;
	uint32_t unw_rows;	/* user mode: the unwind row table's size */
	bool maps_stop;		/* stop a -c command while its tables are built */
	bool multi;		/* uprobe programs loaded for uprobe_multi links */
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

static const struct tool_job user_job = {
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

/* One image of the target: what was read of it while it ran. */
struct image {
	uint32_t no;
	struct usyms *us;
	char name[64];
};

/* ---- state of one run ------------------------------------------------------- */

struct leak_run {
	struct leak_opts *o;
	struct run run;
	struct leak_cfg cfg;
	struct leak_bpf *skel;
	bool user;		/* a process's allocator (else the kernel's) */
	char obj[PATH_MAX];	/* user mode: the allocator's object */
	int obj_mapped;		/* -O with -c: seen mapped at the end (1/0), -1: not asked */
	struct uattach ua;	/* user mode: what is attached */
	struct bpf_link *exec_link;	/* the exec tracepoint (user mode) */
	struct regions regions;
	struct usyms *us;
	struct unwinder *unw;
	struct ksyms *ks;
	struct leak_report *rep;
	struct tick_clock clock;
	/* Execs (user mode). Images are numbered by the BPF side's count of
	 * the target's execs (leak.h); run.links holds the uprobes from
	 * probes_from on. */
	size_t probes_from;
	struct stat obj_st;	/* the allocator object probed (dev, ino), or 0s */
	bool traced_any;	/* some image's allocator was probed */
	uint32_t image_base;	/* the image tracing began with (-c: the command) */
	uint32_t image_probed;	/* the image the probes were planned for */
	uint32_t image;		/* the image reports show */
	/* Images seen at their exec stop (-c), not reported yet: their
	 * symbols, read before their first instruction ran. */
	struct image next[4];
	int nnext;
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

static void exec_seen(struct leak_run *lr, uint32_t image);

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

static int load(struct leak_run *lr, const struct tool_job *job)
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

/* ---- user mode: planning and attaching ------------------------------------ */

/* The C++ and allocator-specific entry points of the objects program (a
 * command, as_command, not started yet; else what process pid maps), each
 * in the object the dynamic linker binds it to. */
static void plan_extensions(struct leak_run *lr, const char *program, pid_t pid, bool as_command,
			    struct uprobe_plan *plan, const char *name)
{
	const unsigned ext = AG_JEMALLOC | AG_TCMALLOC | AG_CXX;
	const char *prefix = lr->o->prefix;
	struct alloc_objs objs;
	int err, n;

	err = as_command ? alloc_objects_for_command(program, &objs) :
			   alloc_objects_for_pid(pid, &objs);
	if (err) {
		log_warn("cannot list the libraries of %s (%s): operator new/delete and "
			 "allocator-specific functions are traced only in %s", name,
			 strerror(-err), lr->obj);
		objs.n = 0;
		objs.v = NULL;
	}
	for (int i = 0; i < objs.n; i++) {
		n = uprobe_plan_add(plan, objs.v[i].path, prefix, ext, !objs.v[i].symtab);
		if (n > 0)
			log_info("entry points: %s (%d functions)", objs.v[i].path, n);
		else if (n < 0)
			log_debug("%s: %s", objs.v[i].path, strerror(-n));
	}
	alloc_objs_free(&objs);
	/* -O names an object the search order may not reach. */
	n = uprobe_plan_add(plan, lr->obj, prefix, ext, false);
	if (n > 0)
		log_info("entry points: %s (%d functions)", lr->obj, n);
}

/* The object that serves the target's malloc, and where to probe it; then
 * the C++ and allocator-specific entry points. For -c whose program has
 * no malloc (a stripped static shell that will exec the real program),
 * -ENOENT without a message: the caller goes on. */
static int plan_user(struct leak_run *lr, struct uprobe_plan *plan)
{
	struct leak_opts *o = lr->o;
	struct target *t = &lr->run.target;
	struct probe_site *sites = plan->sites;
	char name[128];
	int err, n;

	text_safe(t->name, name, sizeof(name));
	if (o->obj) {
		snprintf(lr->obj, sizeof(lr->obj), "%s", o->obj);
		err = access(o->obj, R_OK) ? -errno : 0;
		if (!err && o->pid && alloc_object_mapped(o->pid, o->obj) == 0) {
			log_error("PID %d (%s) has not mapped %s: -O names the object whose "
				  "allocator to trace (see /proc/%d/maps)", o->pid, name, o->obj,
				  o->pid);
			return EXIT_FAIL;
		}
	} else if (o->command) {
		err = alloc_object_for_command(t->program, o->prefix, lr->obj, sizeof(lr->obj));
	} else {
		err = alloc_object_for_pid(o->pid, o->prefix, lr->obj, sizeof(lr->obj), NULL, 0);
	}
	if (err == -ENOENT && !o->obj && o->command)
		return -ENOENT;
	if (err == -ENOENT && !o->obj) {
		log_error("found no malloc/free in %s or the libraries it loads (a stripped static "
			  "binary?); name the allocator's object with -O", name);
		return EXIT_FAIL;
	}
	if (err) {
		log_error("cannot find the allocator of %s: %s; name it with -O", name,
			  strerror(-err));
		return EXIT_FAIL;
	}
	n = uprobe_plan_add(plan, lr->obj, o->prefix, AG_C, false);
	if (n < 0 || !sites[AF_MALLOC].found || !sites[AF_FREE].found) {
		uprobe_place_release();
		log_error("%s has no %smalloc/%sfree to trace%s%s", lr->obj,
			  o->prefix ? o->prefix : "", o->prefix ? o->prefix : "", n < 0 ? ": " : "",
			  n < 0 ? strerror(-n) : "");
		if (!o->prefix)
			log_error("for an allocator with prefixed symbols use -S (e.g. -S je_)");
		return EXIT_FAIL;
	}
	if (stat(lr->obj, &lr->obj_st))
		memset(&lr->obj_st, 0, sizeof(lr->obj_st));
	log_info("allocator: %s (%d functions)", lr->obj, n);
	plan_extensions(lr, t->program, t->pid, o->command != NULL, plan, name);
	uprobe_place_release();
	return 0;
}

/* Were malloc and free both attached? */
static bool essentials_attached(const struct leak_run *lr)
{
	for (int k = 0; k < lr->ua.nfails; k++)
		if (!strcmp(lr->ua.fails[k].function, "malloc") ||
		    !strcmp(lr->ua.fails[k].function, "free"))
			return false;
	return true;
}

/* The plan's probes: uprobe_multi links where the kernel has them (6.6+;
 * MEMSCOPE_ATTACH=uprobe asks for single ones), else one uprobe each. The
 * number of functions attached, or -1 after a message. When the links fail the
 * first time, the object is loaded again for single uprobes (allowed only
 * before anything else is attached: reload). */
static int attach_plan(struct leak_run *lr, struct uprobe_plan *plan, bool reload)
{
	const char *floor = getenv("MEMSCOPE_BENCH_FLOOR");
	int err;

	/* make bench's floor at +0: every function probed at its entry. */
	for (int i = 0; floor && !strcmp(floor, "entry") && i < AF_ALL_NR; i++)
		if (plan->sites[i].offset > 0) {
			plan->sites[i].offset = 0;
			plan->sites[i].ret_ok = true;
			plan->sites[i].why = "MEMSCOPE_BENCH_FLOOR=entry: the entry";
		}

	lr->ua.nfails = 0;
	if (lr->cfg.multi) {
		lr->ua.skel = lr->skel;
		err = uattach_multi(&lr->ua, plan);
		if (err > 0) {
			lr->run.mode = "uprobe_multi";
			return err;
		}
		log_debug("uprobe_multi links: %s; single uprobes instead", strerror(-err));
		uattach_detach_multi(&lr->ua);
		lr->ua.nfails = 0;
		if (!reload)
			return -1;
		/* Attach again, one uprobe each, with precise errors. */
		leak_bpf__destroy(lr->skel);
		lr->skel = NULL;
		lr->cfg.multi = false;
		if (load(lr, &user_job))
			return -1;
	}
	lr->ua.skel = lr->skel;
	err = uattach_single(&lr->ua, plan);
	if (err <= 0) {
		if (!err)
			log_error("no allocator function of %s could be traced", lr->obj);
		return -1;
	}
	return err;
}

/* The unwinder, before load: the tables of what the target maps (a -p
 * process), or of its program and the libraries it needs (a command not
 * started yet), which size the row table. */
static int unwinder_prepare(struct leak_run *lr)
{
	struct target *t = &lr->run.target;
	const char *files[UNWIND_PREBUILD_MAX];
	char *owned[UNWIND_PREBUILD_MAX];
	int n = 0;

	if (lr->o->command)
		n = unwind_needed_files(t->program, lr->obj, owned, UNWIND_PREBUILD_MAX);
	for (int i = 0; i < n; i++)
		files[i] = owned[i];
	lr->unw = unwinder_new(lr->o->command ? 0 : t->pid, files, n, !lr->o->unwind_fp);
	for (int i = 0; i < n; i++)
		free(owned[i]);
	if (!lr->unw) {
		log_error("out of memory");
		return EXIT_FAIL;
	}
	lr->cfg.unw_rows = unwinder_rows_wanted(lr->unw);
	lr->cfg.maps_stop = lr->o->command != NULL;
	return 0;
}

/* Where the unwind tables must be refreshed: ld.so's _dl_debug_state
 * (after it maps or unmaps objects), and the program's entry (a static
 * program has no ld.so). */
static void attach_maps_changed(struct leak_run *lr, const char *exe)
{
	struct unwind_sync_point pts[2];
	int n = unwind_sync_points(exe, pts, 2);

	for (int i = 0; i < n; i++) {
		int err = uattach_extra(&lr->ua, lr->skel->progs.maps_changed, pts[i].path,
					pts[i].offset);

		if (err)
			log_warn("cannot follow the mappings of %s at %s+0x%" PRIx64 ": %s; stacks "
				 "through libraries it loads later may stop short", exe, pts[i].path,
				 pts[i].offset, strerror(-err));
	}
}

/* ---- user mode: execs ---------------------------------------------------------- */

static uint32_t image_now(const struct leak_run *lr)
{
	return (uint32_t)lr->skel->bss->image_gen;
}

/* Detach the uprobes of the image before (they are dead with it, or, on
 * an object the new image maps too, would count its calls twice): single
 * uprobes from probes_from on, and the uprobe_multi links. */
static void drop_probes(struct leak_run *lr)
{
	struct link_set *ls = &lr->run.links;

	for (size_t i = lr->probes_from; i < ls->n; i++)
		bpf_link__destroy(ls->v[i]);
	ls->n = lr->probes_from;
	uattach_detach_multi(&lr->ua);
	lr->ua.nfails = 0;
	memset(&lr->obj_st, 0, sizeof(lr->obj_st));
}

/* The target's name as the kernel has it now (its comm). */
static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "?");
	else
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

/* The target execed into a new image: put the probes on its allocator.
 * At a -c command's exec stop its program has not run yet, so its plan is
 * a command's (the loader's list of its libraries); for -p it runs
 * already, and what it has mapped says, where its loader is done. */
static void probe_new_image(struct leak_run *lr)
{
	struct target *t = &lr->run.target;
	struct leak_opts *o = lr->o;
	struct uprobe_plan plan;
	char exe[PATH_MAX], obj[PATH_MAX], name[128];
	uint32_t image = image_now(lr);
	struct stat st;
	ssize_t len;
	int err, n;

	if (image == lr->image_probed)
		return;
	lr->image_probed = image;
	/* -O: the object is the user's choice, and its probes follow the
	 * process (uprobes are per file and pid), whatever runs. */
	if (o->obj)
		return;
	read_comm(t->pid, name, sizeof(name));
	snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
	len = readlink(exe, obj, sizeof(obj) - 1);
	if (len > 0 && t->spawned) {
		obj[len] = 0;
		snprintf(exe, sizeof(exe), "%s", obj);
	}
	if (t->spawned)
		err = alloc_object_for_command(exe, o->prefix, obj, sizeof(obj));
	else if ((err = alloc_object_for_pid(t->pid, o->prefix, obj, sizeof(obj), NULL, 0)) == -ENOENT)
		err = alloc_object_for_command(exe, o->prefix, obj, sizeof(obj));
	if (err) {
		drop_probes(lr);
		log_warn("pid %d execed %s: %s; its allocations are not traced", t->pid, name,
			 err == -ENOENT ? "found no malloc/free in it or its libraries" :
			 strerror(-err));
		return;
	}
	if (lr->obj_st.st_ino && !stat(obj, &st) && st.st_dev == lr->obj_st.st_dev &&
	    st.st_ino == lr->obj_st.st_ino) {
		/* The same allocator (dynamic to dynamic): its probes, bound to
		 * the file and the pid, serve the new image as they are. */
		log_info("pid %d execed %s: same allocator %s", t->pid, name, lr->obj);
		return;
	}
	drop_probes(lr);
	uprobe_plan_init(&plan);
	n = uprobe_plan_add(&plan, obj, o->prefix, AG_C, false);
	if (n < 0 || !plan.sites[AF_MALLOC].found || !plan.sites[AF_FREE].found) {
		uprobe_place_release();
		uprobe_plan_free(&plan);
		log_warn("pid %d execed %s: %s has no malloc/free to trace; its allocations are "
			 "not traced", t->pid, name, obj);
		return;
	}
	snprintf(lr->obj, sizeof(lr->obj), "%s", obj);
	if (stat(lr->obj, &lr->obj_st))
		memset(&lr->obj_st, 0, sizeof(lr->obj_st));
	plan_extensions(lr, exe, t->pid, t->spawned, &plan, name);
	uprobe_place_release();
	n = attach_plan(lr, &plan, false);
	uprobe_plan_free(&plan);
	if (n > 0 && essentials_attached(lr))
		lr->traced_any = true;
	else
		log_warn("pid %d execed %s: malloc and free of %s could not both be traced",
			 t->pid, name, lr->obj);
	/* The new program's entry and its ld.so: its tables follow. */
	attach_maps_changed(lr, exe);
	log_info("pid %d execed %s: tracing %s", t->pid, name, lr->obj);
}

/* The image numbered no, seen at its exec stop, or NULL. */
static struct image *next_image(struct leak_run *lr, uint32_t no)
{
	for (int i = 0; i < lr->nnext; i++)
		if (lr->next[i].no == no)
			return &lr->next[i];
	return NULL;
}

/* A -c command's exec stop: the new program is loaded, nothing of it has
 * run. Probes go on its allocator now, and its symbols are read while its
 * mappings are those of this image. */
static void exec_stop(void *ctx)
{
	struct leak_run *lr = ctx;
	uint32_t image = image_now(lr);
	struct image *im;

	probe_new_image(lr);
	if (lr->unw)
		unwinder_refresh(lr->unw);
	if (next_image(lr, image) || lr->nnext == (int)(sizeof(lr->next) / sizeof(lr->next[0])))
		return;
	im = &lr->next[lr->nnext++];
	im->no = image;
	im->us = usyms_new(lr->run.target.pid);
	read_comm(lr->run.target.pid, im->name, sizeof(im->name));
}

/* EV_EXEC, in order with the mmap changes: the image before `image` is
 * dead. Its blocks are reported once and dropped; the reports go on with
 * the new one. */
static void exec_seen(struct leak_run *lr, uint32_t image)
{
	struct target *t = &lr->run.target;
	struct image *im, cur = { .no = lr->image, .us = lr->us };
	int err;

	if (image <= lr->image_base || image <= lr->image)
		return;
	/* -p: nothing stopped the process; probe what runs now. */
	probe_new_image(lr);
	if (lr->unw)
		unwinder_refresh(lr->unw);
	snprintf(cur.name, sizeof(cur.name), "%s", t->name);
	err = leak_report_image(lr->rep, image - 1, cur.name, cur.us);
	if (err)
		run_output_error(&lr->run, err);
	regions_free(&lr->regions);
	regions_init(&lr->regions);

	im = next_image(lr, image);
	if (im) {
		lr->us = im->us;
		snprintf(t->name, sizeof(t->name), "%s", im->name);
		*im = lr->next[--lr->nnext];
	} else {
		lr->us = usyms_new(t->pid);
		read_comm(t->pid, t->name, sizeof(t->name));
	}
	usyms_free(cur.us);
	lr->image = image;
	leak_report_set_image(lr->rep, image, lr->us);
}

static int start_user(struct leak_run *lr)
{
	struct target *t = &lr->run.target;
	struct uprobe_plan plan;
	struct bpf_link *l;
	char name[128];
	int err;

	uprobe_plan_init(&plan);
	err = plan_user(lr, &plan);
	if (err == -ENOENT) {
		/* -c only: nothing of this program can be traced, what it
		 * execs may be (sh -c 'exec prog' with a static shell). */
		log_warn("found no malloc/free in %s or the libraries it loads (a stripped static "
			 "binary?): its own allocations are not traced, those of programs it "
			 "execs are", text_safe(t->name, name, sizeof(name)));
		lr->obj[0] = 0;
		err = 0;
	}
	if (!err)
		err = unwinder_prepare(lr);
	/* Held before exec until every probe is attached. */
	/* JSON Lines on stdout: the command's stdout goes to stderr. */
	t->stdout_apart = lr->o->common.json;
	if (!err && lr->o->command)
		err = target_spawn(t, true);
	/* uprobe_multi links where the kernel has them (6.6+; MEMSCOPE_ATTACH
	 * =uprobe asks for single ones). Whether it does is learnt from the
	 * first links, with the object loaded again for single uprobes if not:
	 * a command with nothing to probe until it execs has no first links,
	 * and takes single uprobes, which every kernel has. */
	lr->cfg.multi = attach_override() != PROBE_UPROBE && lr->obj[0];
	lr->ua.pid = t->pid;
	lr->ua.links = &lr->run.links;
	if (!err)
		err = load(lr, &user_job);
	/* The probes first: attach_plan may load the object again. */
	lr->probes_from = 0;
	if (!err && lr->obj[0]) {
		if (attach_plan(lr, &plan, true) < 0) {
			err = EXIT_FAIL;
		} else if (!essentials_attached(lr)) {
			log_error("tracing malloc and free is essential; giving up");
			err = EXIT_FAIL;
		}
		lr->traced_any = !err;
	}
	uprobe_plan_free(&plan);
	if (err)
		return err;
	/* The exec tracepoint's link is kept apart: drop_probes() clears
	 * run.links from probes_from on when the target execs. */
	if (bpf_program__fd(lr->skel->progs.tp_sched_process_exec) >= 0) {
		l = bpf_program__attach(lr->skel->progs.tp_sched_process_exec);
		lr->exec_link = l;
		if (!l)
			log_warn("execs of the target cannot be followed: %s", strerror(errno));
	} else {
		log_warn("execs of the target cannot be followed: no sched:sched_process_exec "
			 "tracepoint here");
	}
	err = unwinder_bind(lr->unw, lr->skel->obj, t->pid, &lr->skel->bss->unw_cur,
			    lr->skel->bss->unw_nmaps);
	if (err) {
		log_error("cannot set up the stack unwinder: %s", strerror(-err));
		return EXIT_FAIL;
	}
	/* A running process: its tables now. A command: once ld.so has
	 * mapped its libraries (it waits for them). */
	if (!lr->o->command)
		unwinder_refresh(lr->unw);
	{
		char exe[64];

		snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
		attach_maps_changed(lr, lr->o->command ? t->program : exe);
	}
	if (t->spawned) {
		t->child.at_exec = exec_stop;
		if ((err = target_release(t)))
			return err;
	}
	/* Tracing begins with the command's image: one exec started it (its
	 * tracepoint may not have run yet: the exec has not returned). */
	lr->image_base = t->spawned ? 1 : image_now(lr);
	lr->image_probed = lr->image = lr->image_base;
	lr->us = usyms_new(t->pid);
	if (!lr->us)
		log_warn("symbols for PID %d unavailable: %s", t->pid, strerror(errno));
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
	char name[128];

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
