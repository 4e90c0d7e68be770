/* SPDX-License-Identifier: GPL-2.0 */
/* What report.c (frames, rendering, the summary) and gather.c (reading
 * the BPF side's tables into one report's rows) share. Private to
 * user/leak/. */
#ifndef MEMSCOPE_LEAK_REPORT_INT_H
#define MEMSCOPE_LEAK_REPORT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hmap.h"
#include "core/json.h"
#include "leak/report.h"
#include "leak/slabinfo.h"
#include "leak/trend.h"
#include "run/clock.h"

#define SHOW_ALLOCS_MAX 8

/* The site of user-mode groups of file mappings (user groups have no call
 * site otherwise: 0), so that they never share a row with allocations. */
#define SITE_FILE_MAP 1

struct shown_alloc {
	uint64_t addr, size, ts;	/* ts: jiffies */
};

/* One row: everything outstanding from one stack (kernel: one call site
 * and stack; --by-cache: one cache). */
struct group {
	uint64_t site;
	int32_t stack_id;
	int kind;		/* enum leak_kind of the first allocation seen */
	bool file;		/* file mappings: reported apart, not allocations */
	bool mixed_kinds;
	uint64_t bytes, count;
	uint64_t oldest_ts;	/* 0: unknown (-C) */
	unsigned nshown;
	struct shown_alloc shown[SHOW_ALLOCS_MAX];
	enum trend trend;
	int64_t growth;
	int cache_ix;		/* kernel: its cache in leak_report.caps, -1: none */
	bool capped;		/* scaled down to its cache's live objects */
};

struct leak_report {
	struct leak_report_opts o;
	struct leak_bpf *skel;
	struct regions *regions;
	struct usyms *us;
	struct ksyms *ks;
	struct hmap groups;	/* (site, stack) -> struct group, per report */
	struct trend_table history;	/* (site, stack) -> trend, kept */
	struct json j;
	uint64_t last_bytes, last_count;
	struct unwinder_stats unw;	/* user mode: how stacks were walked */
	bool unw_set;
	/* this report's anonymous mappings (part of last_count), and file
	 * mappings (apart) */
	uint64_t last_anon_count, last_file_bytes, last_file_count;
	struct tick_clock *clock;
	double ns_per_tick;	/* 0 until measured */
	struct slab_caps caps;	/* kernel: this report's caches against slabinfo */
	bool slab_warned;
	/* User mode: the target's image whose blocks the reports show (the
	 * key bits of leak.h), and keys gathered for removal (image reports). */
	uint32_t image;
	uint64_t *keys;
	size_t nkeys, keys_cap;
	/* Records of rows: "stack", or "exec_stack" in an image's report. */
	const char *row_type;
};

/* report.c */
/* The slab cache of kernel group g ("" if none), in buf. */
const char *cache_name(struct leak_report *r, const struct group *g, char *buf, size_t len);

/* gather.c */
/* Every outstanding block (older than cutoff) into r's groups: the array
 * table, and in user mode its overflow (keep: with the overflow's keys, for
 * an image's removal). 0 or -errno. */
int gather_allocs(struct leak_report *r, uint64_t cutoff, bool keep);
/* -C: the kernel's per-stack totals as r's groups. */
int gather_combined(struct leak_report *r);
/* Anonymous and file mappings older than cutoff as r's groups. */
int gather_regions(struct leak_report *r, uint64_t cutoff);
/* Kernel mode: scale groups down to their caches' live objects. */
void cap_by_slabinfo(struct leak_report *r, uint64_t scale);
/* Each group's trend from the kept history. */
void update_trends(struct leak_report *r);
/* qsort_r order of groups by the report's sort key. */
int cmp_groups(const void *a, const void *b, void *arg);

#endif
