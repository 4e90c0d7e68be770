// SPDX-License-Identifier: GPL-2.0
/* `memscope leak`'s options (see options.h). */
#include <limits.h>
#include <string.h>

#include "core/log.h"
#include "core/parse.h"
#include "leak.h"
#include "leak/options.h"


enum {
	OPT_SORT = 0x100,
	OPT_BY_CACHE,
	OPT_KSTACKS,
	OPT_FOLDED,
	OPT_SVG,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
	OPT_KERNEL,
	OPT_CGROUP,
	OPT_UNWIND,
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
	  "Outstanding allocations the kernel side can track. A process's (default "
	  "524288, beyond the first 65536): 2.5 MiB and 16 bytes each up front, about 100 "
	  "more per allocation held; the kernel's (default 131072): 80 bytes each up front", 0 },
	{ "unwind", OPT_UNWIND, "HOW", 0, "User stacks: cfi (default: the objects' call-frame "
	  "information, frame pointers where they have none) or fp (frame pointers only)", 0 },
	{ "max-stacks", OPT_MAX_STACKS, "N", 0, "Distinct stacks it can keep (default 32768; 1 KiB each, taken as they come)", 0 },
	{ "kernel", OPT_KERNEL, NULL, 0,
	  "Kernel allocations even with -p/-c: those made by that process", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Kernel allocations made by tasks of this memory cgroup (a directory of the "
	  "memory hierarchy, or a path as /proc/PID/cgroup shows it)", 0 },
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
	"  memscope leak --kernel -c 'tar xf a.tar' # the kernel's, made by a command\n"
	"  memscope leak --cgroup /sys/fs/cgroup/app # the kernel's, made by a cgroup\n"
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
		o->max_allocs_given = true;
		return 0;
	case OPT_MAX_STACKS:
		if (parse_u64(arg, 128, 1 << 20, &o->max_stacks))
			argp_error(state, "--max-stacks takes 128 to 1048576");
		return 0;
	case OPT_UNWIND:
		if (!strcmp(arg, "cfi"))
			o->unwind_fp = false;
		else if (!strcmp(arg, "fp"))
			o->unwind_fp = true;
		else
			argp_error(state, "--unwind takes cfi or fp, not '%s'", arg);
		return 0;
	case OPT_KERNEL:
		o->kernel = true;
		return 0;
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	case ARGP_KEY_ARG:
		cli_interval_arg(state, arg, &o->npositional, &o->interval_s, &o->count);
		return 0;
	case ARGP_KEY_END:
		if (o->pid && o->command)
			argp_error(state, "-p and -c exclude each other");
		if (o->min_size > o->max_size)
			argp_error(state, "--min-size is larger than --max-size");
		if (o->cgroup)
			o->kernel = true;
		if ((o->pid || o->command) && !o->kernel && (o->by_cache || o->percpu))
			argp_error(state, "--by-cache and --percpu are for kernel mode (no -p/-c, "
				   "or --kernel)");
		if ((!(o->pid || o->command) || o->kernel) && (o->obj || o->prefix))
			argp_error(state, "--obj and --symbols-prefix are for a process's "
				   "allocator (-p or -c without --kernel)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}


int leak_options_parse(int argc, char **argv, struct leak_opts *o)
{
	static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, {} };
	static const struct argp argp = {
		.options = leak_options,
		.parser = leak_parse,
		.args_doc = "[INTERVAL [COUNT]]",
		.doc = leak_doc,
		.children = children,
	};
	int err;

	*o = (struct leak_opts){
		.older_ms = 500,
		.sample_rate = 1,
		.top = 10,
		.max_size = UINT64_MAX,
		.max_stacks = 32768,
		.interval_s = 5,
	};
	err = cli_parse(&argp, "memscope leak", argc, argv, o, &o->common);
	if (err)
		return err;
	if (!o->max_allocs_given)
		o->max_allocs = (o->pid || o->command) && !o->kernel ? LEAK_USER_MAX_ALLOCS
								 : LEAK_KERNEL_MAX_ALLOCS;
	/* Kernel mode's table slots come in buckets of ALLOC_WAYS; keep them
	 * at most half full so a bucket rarely overflows. */
	o->buckets = 64;
	while (o->buckets * ALLOC_WAYS < 2 * o->max_allocs)
		o->buckets *= 2;
	if (o->combined_only && o->show_allocs) {
		log_warn("-a needs per-allocation data: ignored with -C");
		o->show_allocs = false;
	}
	return 0;
}
