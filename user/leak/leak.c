// SPDX-License-Identifier: GPL-2.0
/* `memscope leak`: outstanding allocations of a process (uprobes on its
 * allocator) or of the kernel (kmem tracepoints), by stack, with a trend
 * per stack that tells a leak from a cache. Accepts libbpf-tools memleak's
 * flags with the same meaning. This file is the command line, the set-up
 * and the main loop; leak_report.c renders. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/cli.h"
#include "core/json.h"
#include "caps/kfeatures.h"
#include "leak.h"
#include "leak.skel.h"
#include "leak/report.h"
#include "core/log.h"
#include "run/loop.h"
#include "core/parse.h"
#include "run/preflight.h"
#include "core/procfs.h"
#include "leak/regions.h"
#include "run/spawn.h"
#include "run/registry.h"
#include "leak/uprobe_place.h"
#include "syms/ksyms.h"
#include "syms/usyms.h"

_Static_assert(sizeof(struct alloc_info) == 32, "alloc_info layout");
_Static_assert(sizeof(struct leak_event) == 64, "leak_event layout");
_Static_assert(sizeof(struct site_state) == 16, "site_state layout");
_Static_assert(sizeof(struct alloc_bucket) == 640, "alloc_bucket layout");

struct leak_opts {
	struct common_opts common;
	pid_t pid;
	const char *command;
	bool trace;
	bool show_allocs;
	unsigned older_ms;
	bool combined_only;
	unsigned sample_rate;
	unsigned top;
	uint64_t min_size, max_size;
	const char *obj;
	bool percpu;
	const char *prefix;
	enum leak_sort sort;
	bool by_cache;
	enum kstack_mode kstacks;
	const char *folded, *svg;
	uint64_t max_allocs, max_stacks;
	size_t buckets;		/* allocation table buckets, from max_allocs */
	unsigned interval_s;
	unsigned count;
	int npositional;
};

enum {
	OPT_SORT = 0x100,
	OPT_BY_CACHE,
	OPT_KSTACKS,
	OPT_FOLDED,
	OPT_SVG,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
};

static const struct argp_option leak_options[] = {
	{ "pid", 'p', "PID", 0, "Trace this process's allocations (default: the kernel's)", 0 },
	{ "command", 'c', "COMMAND", 0,
	  "Run COMMAND (a full command line, found on PATH) and trace it from its first "
	  "instruction; report what it still holds when it exits", 0 },
	{ "trace", 't', NULL, 0, "Print every allocation and free as it happens", 0 },
	{ "show-allocs", 'a', NULL, 0, "Also show the addresses, sizes and ages of allocations", 0 },
	{ "older", 'o', "MS", 0, "Only count allocations older than MS milliseconds (default 500)", 0 },
	{ "combined-only", 'C', NULL, 0,
	  "Keep per-stack totals in the kernel only (cheaper reports; no ages)", 0 },
	{ "wa-missing-free", 'F', NULL, 0,
	  "Accepted for compatibility: an address handed out again always replaces a "
	  "missed free (counted as missed_free)", 0 },
	{ "sample-rate", 's', "N", 0, "Record 1 in N allocations (at random); figures are scaled "
	  "back up and marked as estimates", 0 },
	{ "top", 'T', "N", 0, "Show the N top stacks per report (default 10, 0: all)", 0 },
	{ "min-size", 'z', "SIZE", 0, "Only allocations of at least SIZE bytes", 0 },
	{ "max-size", 'Z', "SIZE", 0, "Only allocations of at most SIZE bytes", 0 },
	{ "obj", 'O', "PATH", 0, "Attach to the allocator in this object (default: the one "
	  "that serves malloc in the target: the executable, a preloaded allocator, or libc)", 0 },
	{ "percpu", 'P', NULL, 0, "Kernel mode: also trace percpu allocations", 0 },
	{ "symbols-prefix", 'S', "PREFIX", 0, "Allocator symbols carry this prefix (e.g. je_)", 0 },
	{ "sort", OPT_SORT, "KEY", 0, "Order stacks by size (default), count or growth", 0 },
	{ "by-cache", OPT_BY_CACHE, NULL, 0, "Kernel mode: outstanding memory by slab cache", 0 },
	{ "kernel-stacks", OPT_KSTACKS, "MODE", 0,
	  "Kernel mode: adaptive (default: a full stack only at call sites reached through "
	  "several paths), always, or never", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Write collapsed stacks (flame graph input) to FILE", 0 },
	{ "svg", OPT_SVG, "FILE", 0, "Write a flame graph of outstanding bytes to FILE", 0 },
	{ "max-allocs", OPT_MAX_ALLOCS, "N", 0,
	  "Outstanding allocations the kernel side can track (default 131072; the table "
	  "takes 80 bytes per allocation)", 0 },
	{ "max-stacks", OPT_MAX_STACKS, "N", 0, "Distinct stacks it can keep (default 8192)", 0 },
	{},
};

static const char leak_doc[] =
	"Find what a process or the kernel allocates and never frees.\v"
	"Every INTERVAL seconds (default 5) the stacks holding the most outstanding "
	"memory are printed with their bytes, allocations, oldest age and trend "
	"(growing: rose in each of the last 3 intervals; steady; shrinking; new). "
	"COUNT reports, then exit. Ctrl-C or the target's exit print a final report "
	"(for an exited target: all it held, whatever -o says); every run ends with a "
	"summary of everything counted and lost.\n\n"
	"Examples:\n"
	"  memscope leak -p $(pidof app)          # a running process, every 5 s\n"
	"  memscope leak -c './app --flag' 1      # run a command, report every second\n"
	"  memscope leak -p 1234 --sort growth 10 # what grows fastest\n"
	"  memscope leak                          # the kernel's allocations\n"
	"  memscope leak --by-cache               # the kernel's, by slab cache\n"
	"  memscope leak -p 1234 --svg leak.svg   # also a flame graph\n"
	"  memscope leak -p 1234 -j               # JSON Lines";

static error_t leak_parse(int key, char *arg, struct argp_state *state)
{
	struct leak_opts *o = state->input;
	uint64_t v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		return 0;
	case 'p':
		if (parse_pid(arg, &o->pid))
			argp_error(state, "invalid PID '%s'", arg);
		return 0;
	case 'c':
		o->command = arg;
		return 0;
	case 't':
		o->trace = true;
		return 0;
	case 'a':
		o->show_allocs = true;
		return 0;
	case 'o':
		if (parse_u64(arg, 0, UINT_MAX, &v))
			argp_error(state, "invalid age '%s' (milliseconds)", arg);
		o->older_ms = v;
		return 0;
	case 'C':
		o->combined_only = true;
		return 0;
	case 'F':
		return 0;
	case 's':
		if (parse_u64(arg, 1, UINT_MAX, &v))
			argp_error(state, "invalid sample rate '%s' (1 or more)", arg);
		o->sample_rate = v;
		return 0;
	case 'T':
		if (parse_u64(arg, 0, UINT_MAX, &v))
			argp_error(state, "invalid number of stacks '%s'", arg);
		o->top = v;
		return 0;
	case 'z':
		if (parse_size(arg, &o->min_size))
			argp_error(state, "invalid size '%s'", arg);
		return 0;
	case 'Z':
		if (parse_size(arg, &o->max_size))
			argp_error(state, "invalid size '%s'", arg);
		return 0;
	case 'O':
		o->obj = arg;
		return 0;
	case 'P':
		o->percpu = true;
		return 0;
	case 'S':
		o->prefix = arg;
		return 0;
	case OPT_SORT:
		if (!strcmp(arg, "size"))
			o->sort = SORT_SIZE;
		else if (!strcmp(arg, "count"))
			o->sort = SORT_COUNT;
		else if (!strcmp(arg, "growth"))
			o->sort = SORT_GROWTH;
		else
			argp_error(state, "--sort takes size, count or growth, not '%s'", arg);
		return 0;
	case OPT_BY_CACHE:
		o->by_cache = true;
		return 0;
	case OPT_KSTACKS:
		if (!strcmp(arg, "adaptive"))
			o->kstacks = KSTACK_ADAPTIVE;
		else if (!strcmp(arg, "always"))
			o->kstacks = KSTACK_ALWAYS;
		else if (!strcmp(arg, "never"))
			o->kstacks = KSTACK_NEVER;
		else
			argp_error(state, "--kernel-stacks takes adaptive, always or never");
		return 0;
	case OPT_FOLDED:
		o->folded = arg;
		return 0;
	case OPT_SVG:
		o->svg = arg;
		return 0;
	case OPT_MAX_ALLOCS:
		if (parse_u64(arg, 1024, 1 << 26, &o->max_allocs))
			argp_error(state, "--max-allocs takes 1024 to 67108864");
		return 0;
	case OPT_MAX_STACKS:
		if (parse_u64(arg, 128, 1 << 20, &o->max_stacks))
			argp_error(state, "--max-stacks takes 128 to 1048576");
		return 0;
	case ARGP_KEY_ARG:
		if (o->npositional >= 2)
			argp_error(state, "unexpected argument '%s' (only [INTERVAL] [COUNT])", arg);
		if (parse_u64(arg, 1, UINT_MAX, &v))
			argp_error(state, "invalid %s '%s'", o->npositional ? "count" : "interval", arg);
		if (o->npositional++)
			o->count = v;
		else
			o->interval_s = v;
		return 0;
	case ARGP_KEY_END:
		if (o->pid && o->command)
			argp_error(state, "-p and -c exclude each other");
		if (o->min_size > o->max_size)
			argp_error(state, "--min-size is larger than --max-size");
		if ((o->pid || o->command) && (o->by_cache || o->percpu))
			argp_error(state, "--by-cache and --percpu are for kernel mode (no -p/-c)");
		if (!o->pid && !o->command && (o->obj || o->prefix))
			argp_error(state, "--obj and --symbols-prefix need -p or -c");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* ---- state of one run ------------------------------------------------------ */

struct leak_run {
	struct leak_opts *o;
	struct leak_bpf *skel;
	struct bpf_link *links[2 * AF_NR + 16];
	int nlinks;
	struct attach_failure fails[AF_NR];
	int nfails;
	struct regions regions;
	struct usyms *us;
	struct ksyms *ks;
	struct leak_report *rep;
	pthread_t clock_thread;
	bool clock_running;
	volatile bool clock_stop;
	struct spawned child;
	bool have_child;
	pid_t pid;
	char target[64];
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
	struct leak_run *run = ctx;
	const struct leak_event *e = data;

	if (len < sizeof(*e))
		return 0;
	switch (e->type) {
	case EV_MMAP:
		regions_map(&run->regions, e->addr, e->size, e->stack_id, e->ts_ns);
		break;
	case EV_MUNMAP:
		regions_unmap(&run->regions, e->addr, e->size);
		break;
	case EV_MREMAP:
		regions_remap(&run->regions, e->addr, e->size, e->addr2, e->size2);
		break;
	default:
		break;
	}
	if (run->o->trace) {
		if (run->o->common.json)
			trace_json(e);
		else
			trace_text(e);
	}
	return 0;
}

/* ---- user mode: attaching to the allocator -------------------------------- */

static struct bpf_program *entry_prog(struct leak_bpf *s, enum alloc_fn fn)
{
	switch (fn) {
	case AF_MALLOC: return s->progs.malloc_enter;
	case AF_CALLOC: return s->progs.calloc_enter;
	case AF_REALLOC: return s->progs.realloc_enter;
	case AF_REALLOCARRAY: return s->progs.reallocarray_enter;
	case AF_POSIX_MEMALIGN: return s->progs.posix_memalign_enter;
	case AF_ALIGNED_ALLOC: return s->progs.aligned_alloc_enter;
	case AF_MEMALIGN: return s->progs.memalign_enter;
	case AF_VALLOC: return s->progs.valloc_enter;
	case AF_PVALLOC: return s->progs.pvalloc_enter;
	case AF_FREE: return s->progs.free_enter;
	case AF_MMAP: return s->progs.mmap_enter;
	case AF_MUNMAP: return s->progs.munmap_enter;
	case AF_MREMAP: return s->progs.mremap_enter;
	default: return NULL;
	}
}

static const char *uprobe_hint(int err)
{
	switch (-err) {
	case EINVAL:
		return "another tracer may hold a uprobe at this address with a different "
		       "ref_ctr_offset (see dmesg: \"ref_ctr_offset mismatch\")";
	case 524: /* ENOTSUPP */
		return "the kernel cannot probe the instruction there";
	case ENOENT:
		return "the object file is gone";
	case EPERM:
	case EACCES:
		return "refused: lockdown or a security policy";
	default:
		return NULL;
	}
}

static int attach_one(struct leak_run *run, struct bpf_program *prog, const char *path,
		      uint64_t off, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret);
	struct bpf_link *l;

	l = bpf_program__attach_uprobe_opts(prog, run->pid, path, off, &uo);
	if (!l)
		return -errno;
	run->links[run->nlinks++] = l;
	return 0;
}

static int attach_user(struct leak_run *run, const char *path, const struct probe_site *sites)
{
	int attached = 0;

	log_quiet_push();
	for (int fn = 0; fn < AF_NR; fn++) {
		const struct probe_site *ps = &sites[fn];
		uint64_t off = ps->entry + ps->offset;
		int err = 0;

		if (!ps->found || ps->alias_of >= 0)
			continue;
		if (ps->offset < 0) {
			struct attach_failure *f = &run->fails[run->nfails++];

			f->function = alloc_fn_name(fn);
			f->err = -EINVAL;
			f->hint = ps->why;
			log_warn("cannot trace %s: %s", f->function, ps->why);
			continue;
		}
		/* The return probe first: an entry seen without its return
		 * would only be replaced later, but why leave one. */
		if (fn != AF_FREE)
			err = attach_one(run, run->skel->progs.alloc_return, path,
					 ps->ret_ok ? off : ps->entry, true);
		if (!err)
			err = attach_one(run, entry_prog(run->skel, fn), path,
					 ps->ret_ok || fn == AF_FREE ? off : ps->entry, false);
		if (err) {
			struct attach_failure *f = &run->fails[run->nfails++];

			f->function = alloc_fn_name(fn);
			f->err = err;
			f->hint = uprobe_hint(err);
			log_warn("cannot trace %s: %s%s%s", f->function, strerror(-err),
				 f->hint ? ": " : "", f->hint ? f->hint : "");
			continue;
		}
		attached++;
		log_info("%-15s %s+0x%" PRIx64 " +%d (%s%s)", alloc_fn_name(fn), path, ps->entry,
			 ps->offset, ps->emulated ? "emulated: " : "single-stepped: ", ps->insn);
	}
	log_quiet_pop();
	return attached;
}

static void refresh_symbols(void *ctx)
{
	struct leak_run *run = ctx;

	if (run->us)
		usyms_refresh(run->us);
}

static int setup_user(struct leak_run *run)
{
	struct leak_opts *o = run->o;
	struct probe_site sites[AF_NR];
	char obj[PATH_MAX], exe[PATH_MAX];
	char **argv = NULL;
	int err, n;

	/* The target and the object that serves its malloc. */
	if (o->command) {
		n = cmdline_split(o->command, &argv);
		if (n < 0) {
			log_error("cannot parse the command '%s' (unbalanced quotes?)", o->command);
			return EXIT_USAGE;
		}
		err = path_resolve(argv[0], exe, sizeof(exe));
		if (err) {
			log_error("cannot run '%s': %s", argv[0], strerror(-err));
			cmdline_free(argv);
			return EXIT_FAIL;
		}
		snprintf(run->target, sizeof(run->target), "%s", argv[0]);
		err = o->obj ? 0 : alloc_object_for_command(exe, o->prefix, obj, sizeof(obj));
	} else {
		char p[64], comm[64];

		snprintf(p, sizeof(p), "/proc/%d/comm", o->pid);
		if (read_file_str(p, comm, sizeof(comm)) < 0) {
			log_error("no process with PID %d", o->pid);
			return EXIT_FAIL;
		}
		snprintf(run->target, sizeof(run->target), "%s", comm);
		snprintf(p, sizeof(p), "/proc/%d/exe", o->pid);
		if (readlink(p, exe, sizeof(exe)) < 0) {
			log_error("PID %d (%s) has no executable: a kernel thread? Run without -p "
				  "for kernel allocations", o->pid, comm);
			return EXIT_FAIL;
		}
		run->pid = o->pid;
		err = o->obj ? 0 : alloc_object_for_pid(o->pid, o->prefix, obj, sizeof(obj),
							NULL, 0);
	}
	if (o->obj)
		snprintf(obj, sizeof(obj), "%s", o->obj);
	if (err == -ENOENT) {
		log_error("found no malloc/free in %s or the libraries it loads (a stripped static "
			  "binary?); name the allocator's object with -O", run->target);
		cmdline_free(argv);
		return EXIT_FAIL;
	}
	if (err) {
		log_error("cannot find the allocator of %s: %s; name it with -O", run->target,
			  strerror(-err));
		cmdline_free(argv);
		return EXIT_FAIL;
	}
	n = uprobe_plan(obj, o->prefix, sites);
	uprobe_place_release();
	if (n < 0 || !sites[AF_MALLOC].found || !sites[AF_FREE].found) {
		log_error("%s has no %smalloc/%sfree to trace%s%s", obj, o->prefix ? o->prefix : "",
			  o->prefix ? o->prefix : "", n < 0 ? ": " : "", n < 0 ? strerror(-n) : "");
		if (!o->prefix)
			log_error("for an allocator with prefixed symbols use -S (e.g. -S je_)");
		cmdline_free(argv);
		return EXIT_FAIL;
	}
	log_info("allocator: %s (%d functions)", obj, n);

	if (o->command) {
		/* Held before exec until every probe is attached. */
		err = spawn_prepare(&run->child, exe, argv, true);
		cmdline_free(argv);
		if (err) {
			log_error("cannot start '%s': %s", o->command, strerror(-err));
			return EXIT_FAIL;
		}
		run->have_child = true;
		run->pid = run->child.pid;
	}

	run->skel->rodata->target_tgid = run->pid;
	err = leak_bpf__load(run->skel);
	if (err) {
		log_error("loading the BPF programs failed: %s", strerror(-err));
		return EXIT_FAIL;
	}
	if (!attach_user(run, obj, sites)) {
		log_error("no allocator function of %s could be traced", obj);
		return EXIT_FAIL;
	}
	for (int k = 0; k < run->nfails; k++)
		if (!strcmp(run->fails[k].function, "malloc") || !strcmp(run->fails[k].function, "free")) {
			log_error("tracing %s is essential; giving up", run->fails[k].function);
			return EXIT_FAIL;
		}

	if (run->have_child) {
		err = spawn_release(&run->child);
		if (err) {
			log_error("cannot run '%s': %s", o->command, strerror(-err));
			return EXIT_FAIL;
		}
	}
	run->us = usyms_new(run->pid);
	if (!run->us)
		log_warn("symbols for PID %d unavailable: %s", run->pid, strerror(errno));
	return 0;
}

/* ---- kernel mode -------------------------------------------------------------- */

/* Kernel mode's attach tiers, in the order they are tried. */
static const struct {
	enum probe_kind kind;
	const char *sec_prefix;
	const char *name;
} kernel_tiers[] = {
	{ PROBE_TP_BTF, "tp_btf/", "tp_btf" },
	{ PROBE_RAW_TP, "raw_tp/", "raw_tp" },
	{ PROBE_TRACEPOINT, "tracepoint/", "classic tracepoints" },
};

static void kernel_autoload(struct leak_bpf *s, int tier, bool percpu)
{
	const char *prefix = kernel_tiers[tier].sec_prefix;
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->obj) {
		const char *sec = bpf_program__section_name(p);
		bool on = !strncmp(sec, prefix, strlen(prefix));

		if (strstr(sec, "percpu"))
			on = on && percpu;
		bpf_program__set_autoload(p, on);
	}
}

static struct leak_bpf *open_skel(const struct leak_opts *o);

static int setup_kernel(struct leak_run *run)
{
	int forced = attach_override(), ntiers = sizeof(kernel_tiers) / sizeof(kernel_tiers[0]);
	struct bpf_program *p;
	char tracefs[256];
	int tier, err = 0;

	for (tier = 0; tier < ntiers; tier++) {
		if (forced >= 0 && (int)kernel_tiers[tier].kind != forced)
			continue;
		if (kernel_tiers[tier].kind == PROBE_TRACEPOINT &&
		    tracefs_find(tracefs, sizeof(tracefs), true, NULL)) {
			err = -ENOENT;
			log_info("classic tracepoints need tracefs, which cannot be mounted");
			continue;
		}
		if (!run->skel && !(run->skel = open_skel(run->o)))
			return EXIT_FAIL;
		kernel_autoload(run->skel, tier, run->o->percpu);
		log_quiet_push();
		err = leak_bpf__load(run->skel);
		log_quiet_pop();
		if (!err)
			break;
		log_info("%s refused (%s)%s", kernel_tiers[tier].name, strerror(-err),
			 tier + 1 < ntiers && forced < 0 ? ": trying the next attach type" : "");
		/* A failed load leaves the object unusable: start afresh. */
		leak_bpf__destroy(run->skel);
		run->skel = NULL;
	}
	if (tier == ntiers) {
		log_error("the kmem tracepoints cannot be traced here (%s); see 'memscope probe' "
			  "(run with -vv for the verifier's log)", strerror(-err));
		return EXIT_FAIL;
	}
	bpf_object__for_each_program(p, run->skel->obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		l = bpf_program__attach(p);
		if (!l) {
			log_error("attaching %s failed: %s", bpf_program__name(p), strerror(errno));
			return EXIT_FAIL;
		}
		run->links[run->nlinks++] = l;
	}
	log_info("kernel mode through %s", kernel_tiers[tier].name);
	run->ks = ksyms_new();
	if (!run->ks)
		log_warn("kernel symbols unavailable: %s", strerror(errno));
	return 0;
}

/* ---- skeleton ------------------------------------------------------------------- */

static struct leak_bpf *open_skel(const struct leak_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->common.btf_path);
	struct leak_bpf *s = leak_bpf__open_opts(&oo);
	bool user = o->pid || o->command;
	struct bpf_program *p;

	if (!s) {
		log_error("opening the BPF object failed: %s", strerror(errno));
		return NULL;
	}
	s->rodata->self_tgid = getpid();
	s->rodata->sample_rate = o->sample_rate;
	s->rodata->min_size = o->min_size;
	s->rodata->max_size = o->max_size;
	s->rodata->trace_events = o->trace;
	s->rodata->combined = o->combined_only;
	s->rodata->by_cache = o->by_cache;
	s->rodata->kstack_mode = o->kstacks;
	bpf_map__set_max_entries(s->maps.allocs, o->buckets);
	s->rodata->bucket_mask = o->buckets - 1;

	bpf_map__set_max_entries(s->maps.stacks, o->max_stacks);
	if (!o->combined_only)
		bpf_map__set_max_entries(s->maps.combined_map, 1);
	if (user) {
		/* Kernel-only maps stay minimal. */
		bpf_map__set_max_entries(s->maps.sites, 1);
		bpf_map__set_max_entries(s->maps.cache_names, 1);
	} else {
		bpf_map__set_max_entries(s->maps.pending, 1);
	}
	/* User mode loads the uprobe programs only; kernel mode picks its
	 * tracepoint flavour in setup_kernel(). */
	bpf_object__for_each_program(p, s->obj) {
		const char *sec = bpf_program__section_name(p);

		bpf_program__set_autoload(p, user && (!strncmp(sec, "uprobe", 6) ||
						      !strncmp(sec, "uretprobe", 9)));
	}
	return s;
}

/* ---- the allocation clock -------------------------------------------------------- */

/* The BPF side stamps allocations with a clock we advance here, instead
 * of reading the time on every allocation (see clock_ns in leak.bpf.c). */
static void *clock_main(void *arg)
{
	struct leak_run *run = arg;
	struct timespec ts, nap = { 0, 20 * 1000 * 1000 };

	while (!run->clock_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		__atomic_store_n(&run->skel->bss->clock_ns, ts.tv_sec * 1000000000ULL + ts.tv_nsec,
				 __ATOMIC_RELAXED);
		nanosleep(&nap, NULL);
	}
	return NULL;
}

static void clock_start(struct leak_run *run)
{
	struct timespec ts;
	sigset_t all, old;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	run->skel->bss->clock_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* Signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	run->clock_running = !pthread_create(&run->clock_thread, NULL, clock_main, run);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!run->clock_running)
		log_warn("no clock thread: allocation ages will come from the kernel clock");
}

static void clock_end(struct leak_run *run)
{
	if (!run->clock_running)
		return;
	run->clock_stop = true;
	pthread_join(run->clock_thread, NULL);
	run->clock_running = false;
}

/* ---- main loop -------------------------------------------------------------------- */

static int tick(void *ctx)
{
	struct leak_run *run = ctx;
	int err;

	/* New libraries may have been loaded: symbols must cover them while
	 * the process is there to read them from. */
	refresh_symbols(run);
	err = leak_report_interval(run->rep, false, false);
	if (err)
		log_warn("report failed: %s", strerror(-err));
	return 0;
}

static int child_event(void *ctx)
{
	struct leak_run *run = ctx;

	return spawn_handle(&run->child, refresh_symbols, run);
}

/* Kernel memory our maps pin, as the kernel accounts it. */
static uint64_t maps_memory(struct leak_bpf *skel)
{
	struct bpf_map *m;
	uint64_t sum = 0;

	bpf_object__for_each_map(m, skel->obj)
		if (bpf_map__fd(m) >= 0)
			sum += fd_memlock(bpf_map__fd(m));
	return sum;
}

static void print_attached(struct leak_run *run, double startup_ms)
{
	uint64_t map_kib = maps_memory(run->skel) / 1024;
	struct leak_opts *o = run->o;

	if (o->common.json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kstr(&j, "type", "attached");
		json_kstr(&j, "mode", run->pid ? "user" : "kernel");
		if (run->pid) {
			json_ki64(&j, "pid", run->pid);
			json_kstr(&j, "target", run->target);
		}
		json_ki64(&j, "links", run->nlinks);
		json_ku64(&j, "bpf_map_kib", map_kib);
		json_ki64(&j, "attach_failures", run->nfails);
		json_kdouble(&j, "startup_ms", startup_ms);
		json_obj_end(&j);
		json_end_record(&j);
	} else if (run->pid) {
		fprintf(stderr, "memscope: tracing %s (pid %d) with %d probes; Ctrl-C to stop\n",
			run->target, run->pid, run->nlinks);
	} else {
		fprintf(stderr, "memscope: tracing kernel allocations; Ctrl-C to stop\n");
	}
	log_info("attached in %.1f ms; BPF maps pin %" PRIu64 " KiB", startup_ms, map_kib);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int cmd_leak(int argc, char **argv)
{
	static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, {} };
	static const struct argp argp = {
		.options = leak_options,
		.parser = leak_parse,
		.args_doc = "[INTERVAL [COUNT]]",
		.doc = leak_doc,
		.children = children,
	};
	struct leak_opts o = {
		.older_ms = 500,
		.sample_rate = 1,
		.top = 10,
		.max_size = UINT64_MAX,
		.max_allocs = 131072,
		.max_stacks = 8192,
		.interval_s = 5,
	};
	struct preflight_opts pf = { .need_btf = true };
	struct leak_report_opts ro = {};
	struct leak_run run = { .o = &o };
	struct ring_buffer *rb = NULL;
	struct loop_opts lo = {};
	struct timespec t0;
	int err, end, ret = EXIT_FAIL, exit_code = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = cli_parse(&argp, "memscope leak", argc, argv, &o, &o.common);
	if (err)
		return err;
	/* Table slots come in buckets of ALLOC_WAYS; keep them at most half
	 * full so a bucket rarely overflows. */
	o.buckets = 64;
	while (o.buckets * ALLOC_WAYS < 2 * o.max_allocs)
		o.buckets *= 2;
	if (o.combined_only && o.show_allocs) {
		log_warn("-a needs per-allocation data: ignored with -C");
		o.show_allocs = false;
	}
	pf.btf_path = o.common.btf_path;
	err = preflight(&pf);
	if (err)
		return err;
	regions_init(&run.regions);
	loop_install_signals();

	run.skel = open_skel(&o);
	if (!run.skel)
		goto out;
	err = o.pid || o.command ? setup_user(&run) : setup_kernel(&run);
	if (err) {
		ret = err;
		goto out;
	}
	clock_start(&run);

	rb = ring_buffer__new(bpf_map__fd(run.skel->maps.events), on_event, &run, NULL);
	if (!rb) {
		log_error("creating the ring buffer failed: %s", strerror(errno));
		goto out;
	}
	ro.json = o.common.json;
	ro.kernel = !run.pid;
	ro.pid = run.pid;
	ro.target = run.target;
	ro.top = o.top;
	ro.sort = o.sort;
	ro.older_ms = o.older_ms;
	ro.show_allocs = o.show_allocs;
	ro.combined_only = o.combined_only;
	ro.sample_rate = o.sample_rate;
	ro.by_cache = o.by_cache;
	ro.stacks_off = o.kstacks == KSTACK_NEVER;
	ro.folded_path = o.folded;
	ro.svg_path = o.svg;
	ro.table_buckets = o.buckets;
	run.rep = leak_report_new(&ro, run.skel, run.pid ? &run.regions : NULL, run.us, run.ks);
	if (!run.rep)
		goto out;
	print_attached(&run, ms_since(&t0));

	lo.rb = rb;
	lo.interval_ms = o.interval_s * 1000;
	lo.max_ticks = o.count;
	lo.tick = tick;
	lo.ctx = &run;
	if (run.have_child) {
		lo.extra_fd = run.child.sig_fd;
		lo.on_extra = child_event;
	} else {
		lo.watch_pid = o.pid;
	}
	end = loop_run(&lo);
	if (end < 0)
		log_error("tracing stopped: %s", strerror(-end));
	if (end == LOOP_TARGET_EXIT && run.have_child)
		exit_code = spawn_exit_code(&run.child);

	/* The final report, unless COUNT reports were just printed. */
	if (end != LOOP_COUNT)
		leak_report_interval(run.rep, true, end == LOOP_TARGET_EXIT);
	leak_report_summary(run.rep, run.fails, run.nfails, exit_code);
	ret = end < 0 ? EXIT_FAIL : EXIT_OK;
out:
	/* Detach before anything else goes. */
	for (int i = 0; i < run.nlinks; i++)
		bpf_link__destroy(run.links[i]);
	clock_end(&run);
	ring_buffer__free(rb);
	leak_report_free(run.rep);
	leak_bpf__destroy(run.skel);
	if (run.have_child)
		spawn_kill(&run.child);
	usyms_free(run.us);
	ksyms_free(run.ks);
	regions_free(&run.regions);
	return ret;
}

const struct tool leak_tool = {
	.name = "leak",
	.summary = "outstanding allocations of a process or the kernel, by stack",
	.main = cmd_leak,
};
