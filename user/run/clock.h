/* SPDX-License-Identifier: GPL-2.0 */
/* The tools' BPF side stamps events in jiffies (bpf/lib/common.bpf.h says
 * why); this turns them into time. The BPF object's memscope_clock
 * program, run on demand, reads jiffies and CLOCK_MONOTONIC together. The
 * length of a jiffy is the ratio of the two since the first reading, over
 * at least 300 ms (waited for if a report comes sooner), rounded to the
 * nearest usual HZ: one tick's length alone is not to be trusted where
 * ticks arrive late and are caught up in bulk (seen under QEMU's TCG). */
#ifndef MEMSCOPE_RUN_CLOCK_H
#define MEMSCOPE_RUN_CLOCK_H

#include <stdint.h>

struct bpf_object;

struct tick_clock {
	int prog_fd;		/* memscope_clock, -1: none */
	int map_fd;		/* clock_sample */
	uint64_t t0, ns0;	/* the first reading */
	double ns_per_tick;	/* 0 until measured */
};

/* Find the clock of a loaded object and take the first reading; 0 or
 * -errno. */
int tick_clock_init(struct tick_clock *c, struct bpf_object *obj);
/* Jiffies now, and CLOCK_MONOTONIC of the same moment (may be NULL). 0 or
 * -errno. */
int tick_clock_read(const struct tick_clock *c, uint64_t *ticks, uint64_t *ns);
/* Nanoseconds per jiffy; 0 if it cannot be measured. Refined while the
 * baseline is under 10 s. */
double tick_clock_ns_per_tick(struct tick_clock *c);

/* HZ from a measured tick period: the usual value it is within 5% of,
 * else the measurement. For tests. */
double tick_clock_round_hz(double hz);

#endif
