/* SPDX-License-Identifier: GPL-2.0 */
/* `memscope cachestat` and `memscope cachetop`, one tool with two views:
 * what both share (options, the BPF object, reading its counters, naming
 * entities). stat.c renders cachestat, top.c cachetop. */
#ifndef MEMSCOPE_CACHE_COMMON_H
#define MEMSCOPE_CACHE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache.h"
#include "core/cli.h"
#include "core/hmap.h"
#include "core/json.h"
#include "run/tool.h"

struct memcg_names;

/* cachetop's columns, in the order shown. */
enum cache_col {
	COL_REQUESTED,
	COL_HITS,
	COL_MISSES,
	COL_WASTE,
	COL_DIRTIED,
	COL_RATIO,
	COL_WRITE_ADD,
	COL_MMAP_ADD,
	COL_NR,
};

struct cache_opts {
	struct common_opts common;
	bool top;		/* cachetop (else cachestat) */
	pid_t pid;
	const char *cgroup;
	enum cache_by by;	/* cachetop: process (default), cgroup, file */
	bool timestamps;	/* -T */
	enum cache_col sort;	/* cachetop: default misses */
	bool reverse;		/* smallest first */
	unsigned rows;		/* cachetop: rows per report, 0: all */
	bool rows_set;		/* -n given (the full-screen view otherwise
				 * fills the window) */
	bool batch;		/* cachetop: no full-screen view */
	unsigned interval_s, count;
	int npositional;
	uint64_t max_entities;
};

/* One row: an entity's counts in the last interval and in all. */
struct cache_row {
	struct cache_key key;
	struct cache_counts now;	/* this interval */
	struct cache_counts all;	/* since the start */
	uint32_t uid;
	char comm[16];
	char name[4200];		/* process: comm; cgroup: path; file: path */
	bool other;			/* what did not fit in the table */
};

struct cache_state {
	struct cache_opts *o;
	struct run run;
	void *skel;			/* struct cache_bpf */
	struct json j;
	struct cache_counts prev, total;	/* the system: last reading, deltas summed */
	uint64_t refault_prev;
	bool refault_ok;
	struct hmap prev_rows;		/* cache_key -> struct cache_counts */
	struct memcg_names *cg_names;
	struct cache_row *rows;
	size_t nrows, caprows;
	void *ui;			/* cachetop's full-screen view, NULL in batch */
	bool header_done;		/* cachestat: the column header printed */
};

unsigned long long cache_hits(const struct cache_counts *c);
/* Hit ratio of c, -1 when nothing was requested. */
double cache_ratio(const struct cache_counts *c);
/* The hit ratio of c as "12.34%", or "-" when nothing was requested;
 * returns buf. */
const char *cache_ratio_text(const struct cache_counts *c, char *buf, size_t len);
/* The value a column sorts by. */
double cache_col_value(const struct cache_counts *c, enum cache_col col);
extern const char *const cache_col_names[COL_NR];

/* The system's counts since the last call (and summed into s->total). */
int cache_read_totals(struct cache_state *s, struct cache_counts *delta);
/* Pages of the file page cache refaulted since the last call: system-wide,
 * or the --cgroup's (v2). -1 when not known. */
int64_t cache_refaults(struct cache_state *s);
/* Every entity's row, deltas against the last call (s->rows). */
int cache_read_rows(struct cache_state *s);
/* Pages readahead added that nobody has requested yet (the waste so far if
 * the run ended now), per entity into s->rows' all.ra_waste when rows,
 * and in total. */
uint64_t cache_pending_waste(struct cache_state *s, bool rows);

/* The counts of c as JSON members (…_pages, hit_ratio). */
void cache_counts_json(struct json *j, const struct cache_counts *c);
/* Now, as HH:MM:SS or ISO 8601. */
void cache_time(char *buf, size_t len, bool iso);

/* The views. */
int cachestat_report(struct cache_state *s, bool final);
int cachestat_summary(struct cache_state *s);
int cachetop_report(struct cache_state *s, bool final);
/* Sort s->rows for a report, idle rows dropped; how many are left. */
size_t cachetop_sort(struct cache_state *s, bool final);

#endif
