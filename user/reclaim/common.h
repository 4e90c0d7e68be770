/* SPDX-License-Identifier: GPL-2.0 */
/* `memscope reclaim`: what its files share (options, state, the summary's
 * rows). reclaim.c runs it; summary.c keeps and prints the -s view. */
#ifndef MEMSCOPE_RECLAIM_COMMON_H
#define MEMSCOPE_RECLAIM_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "reclaim.h"
#include "caps/flagnames.h"
#include "core/cli.h"
#include "core/hmap.h"
#include "core/json.h"
#include "out/hist.h"
#include "run/memcg.h"
#include "run/tool.h"
#include "syms/ksyms.h"

struct reclaim_opts {
	struct common_opts common;
	pid_t pid, tid;
	long long uid;		/* -1: any */
	const char *name;	/* -n: comm contains it */
	const char *cgroup;
	unsigned kinds;		/* bit per enum reclaim_kind */
	uint64_t min_latency_us;
	bool timestamps, extended, summary, stacks;
	unsigned duration_s;	/* -d, 0: until stopped */
	unsigned interval_s, count;
	int npositional;
};

/* One row of the summary (a process or a memory cgroup). */
struct reclaim_row {
	uint64_t stalls, total_ns, max_ns, reclaimed;
	uint64_t by_kind[RK_NR];
	uint64_t hist[HIST_LOG2_SLOTS];	/* latency, log2 of microseconds */
	char comm[16];
};

struct reclaim_state {
	const struct reclaim_opts *o;
	struct run run;
	struct json j;
	void *skel;
	struct flag_names gfp, compact;
	struct memcg_names *cg_names;
	uint64_t start_ns;	/* CLOCK_MONOTONIC at attach */
	int nr_nodes;
	bool header_done;
	/* -s: since the start */
	struct hmap procs, cgroups;	/* struct reclaim_row by pid / memcg id */
	struct reclaim_row all;
	uint64_t events;		/* stalls reported (after the filters) */
	/* the system line's previous readings */
	struct reclaim_sys sys_prev;
	uint64_t vm_prev[16];
	uint64_t psi_prev[2];
	bool vm_ok, psi_ok;
	uint64_t t_prev_ns;
	/* --stacks */
	struct hmap stack_rows;		/* by (kernel|user stack ids, pid) */
	struct hmap stack_syms;		/* struct usyms * by pid */
	struct ksyms *ksyms;
};

extern const char *const reclaim_kind_names[RK_NR];

/* The memory cgroup path of id ("-" when unknown), for output. */
const char *reclaim_cgroup(struct reclaim_state *s, uint64_t id);
/* Record a stall that passed the filters in the summary's rows. */
void summary_add(struct reclaim_state *s, const struct reclaim_event *e);
/* The -s view's report (every interval, and the final one). */
int summary_report(struct reclaim_state *s, bool final);
/* The closing summary (both views). */
int reclaim_summary(struct reclaim_state *s);
/* Start the system readings (vmstat, PSI) for the first interval. */
void summary_start(struct reclaim_state *s);
void summary_free(struct reclaim_state *s);

/* The parsers of the system readings, on any stream (tests, fuzzers):
 * /proc/vmstat's counters of the system line into v (~0: absent), and a
 * PSI file's (memory.pressure) "some" and "full" totals in us (0, or
 * -ENOENT unless both are there). */
void vmstat_parse(FILE *f, uint64_t v[16]);
int psi_parse(FILE *f, uint64_t *some, uint64_t *full);

/* --stacks (stacks.c): count a stall under its stacks; print them, by
 * time stalled, at the end. */
void stacks_init(struct reclaim_state *s);
void stacks_add(struct reclaim_state *s, const struct reclaim_event *e);
int stacks_report(struct reclaim_state *s);
void stacks_free(struct reclaim_state *s);

#endif
