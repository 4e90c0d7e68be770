/* SPDX-License-Identifier: GPL-2.0 */
/* Counters every tool's BPF side keeps in its per-CPU `stats` map, shared
 * with user space (run/counters.h renders them). The common ones come
 * first; a tool's own enum continues at ST_COMMON_NR. Every loss a BPF
 * program can see is one of these; the losses it cannot see (the kernel
 * skipping a program already running on that CPU) come from the programs'
 * recursion_misses, read by user space. */
#ifndef MEMSCOPE_LIB_STATS_H
#define MEMSCOPE_LIB_STATS_H

enum common_stat {
	ST_RB_DROPS,		/* ring buffer full: an event lost */
	ST_STACK_FULL,		/* stack store full: a stack not kept */
	ST_STACK_COLLISION,	/* two stacks with the same id */
	ST_STACK_ERROR,		/* a stack that could not be walked */
	ST_COMMON_NR,
};

#endif
