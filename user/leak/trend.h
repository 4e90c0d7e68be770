/* SPDX-License-Identifier: GPL-2.0 */
/* Per-stack trend of outstanding bytes across report intervals: what tells
 * a leak (grows every interval) from a cache (grows, then holds). */
#ifndef MEMSCOPE_TREND_H
#define MEMSCOPE_TREND_H

#include <stdint.h>

#include "core/hmap.h"

/* Intervals a stack must keep growing to be called "growing". */
#define TREND_WINDOW 3

enum trend {
	TREND_NEW,		/* first interval it is outstanding in */
	TREND_GROWING,		/* rose in each of the last TREND_WINDOW intervals
				 * (or in each since it appeared) */
	TREND_STEADY,
	TREND_SHRINKING,	/* fell in each of them */
};

struct trend_hist {
	uint64_t bytes[TREND_WINDOW + 1];	/* newest last */
	unsigned n;				/* valid entries */
};

void trend_push(struct trend_hist *h, uint64_t bytes);
enum trend trend_of(const struct trend_hist *h);
const char *trend_name(enum trend t);
/* Change over the window, for --sort growth (newest - oldest kept). */
int64_t trend_growth(const struct trend_hist *h);

/* The histories of many keys (stacks) across reports. Per report: begin,
 * push each key seen, end. A key not pushed in a report gets one 0 for it,
 * and is forgotten after TREND_WINDOW + 1 reports without it. */
struct trend_table {
	struct hmap keys;	/* struct hkey -> struct trend_entry */
};

void trend_table_init(struct trend_table *t);
void trend_table_free(struct trend_table *t);
void trend_table_begin(struct trend_table *t);
/* The key's history with bytes pushed; NULL when out of memory. */
const struct trend_hist *trend_table_push(struct trend_table *t, struct hkey key, uint64_t bytes);
void trend_table_end(struct trend_table *t);
/* The key's history, NULL if not kept (for tests). */
const struct trend_hist *trend_table_get(const struct trend_table *t, struct hkey key);

#endif
