/* SPDX-License-Identifier: GPL-2.0 */
/* Per-stack trend of outstanding bytes across report intervals: what tells
 * a leak (grows every interval) from a cache (grows, then holds). */
#ifndef MEMSCOPE_TREND_H
#define MEMSCOPE_TREND_H

#include <stdint.h>

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

#endif
