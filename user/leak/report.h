/* SPDX-License-Identifier: GPL-2.0 */
/* The reporting half of `memscope leak`: reads what the BPF side holds
 * (outstanding allocations, stacks, counters) plus the mmap regions kept in
 * user space, groups them by stack, follows each stack's trend across
 * intervals and renders text, JSON Lines, collapsed stacks and SVG. */
#ifndef MEMSCOPE_LEAK_REPORT_H
#define MEMSCOPE_LEAK_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "run/unwind.h"

struct leak_bpf;
struct regions;
struct usyms;
struct ksyms;
struct tick_clock;
struct leak_report;

enum leak_sort { SORT_SIZE, SORT_COUNT, SORT_GROWTH };

struct leak_report_opts {
	bool json;
	bool kernel;		/* kernel mode: ksyms, sites, caches */
	pid_t pid;		/* the traced process, 0: none */
	const char *target;	/* its name, for headers (raw bytes) */
	const char *cgroup;	/* kernel mode: the memory cgroup traced, or NULL */
	unsigned top;		/* stacks per report, 0: all */
	enum leak_sort sort;
	unsigned older_ms;	/* ignore allocations younger than this */
	bool show_allocs;	/* -a */
	bool combined_only;	/* -C: totals kept in BPF */
	unsigned sample_rate;	/* -s: scale counts back up (1: all recorded) */
	bool by_cache;
	bool stacks_off;	/* --kernel-stacks never */
	const char *folded_path;
	const char *svg_path;
	size_t table_buckets;	/* size of the allocation table */
	bool bulk_frees_traced;	/* kernel: fentry on kmem_cache_free_bulk attached */
};

/* One failed uprobe attachment, for the summary. */
struct attach_failure {
	const char *function;
	int err;		/* negative errno */
	const char *hint;	/* NULL or a likely cause */
};

/* clock turns the BPF side's jiffies into ages (run/clock.h). */
struct leak_report *leak_report_new(const struct leak_report_opts *o, struct leak_bpf *skel,
				    struct regions *regions, struct usyms *us, struct ksyms *ks,
				    struct tick_clock *clock);
/* One report (the final one at exit: final = true; target_gone: the
 * traced process has exited, so -o no longer applies). 0 or -errno (an
 * output that could not be written). */
int leak_report_interval(struct leak_report *r, bool final, bool target_gone);
/* The closing summary with every counter; exit_code < 0: not applicable.
 * 0 or -errno. */
/* How the user stacks were walked, for the summary. */
void leak_report_set_unwind(struct leak_report *r, const struct unwinder_stats *st);

int leak_report_summary(struct leak_report *r, const struct attach_failure *fails, int nfails,
			int target_exit_code);
void leak_report_free(struct leak_report *r);

/* User mode, after the target execed: the blocks (and mmap regions) of
 * its dead image number `image` (leak.h), reported once as an "exec"
 * record with its rows ("exec_stack"), symbols from us, then removed from
 * the table. 0 or -errno. */
int leak_report_image(struct leak_report *r, uint32_t image, const char *name, struct usyms *us);
/* The image the reports show from now on, and its symbols. */
void leak_report_set_image(struct leak_report *r, uint32_t image, struct usyms *us);

#endif
