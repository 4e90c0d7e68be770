/* SPDX-License-Identifier: GPL-2.0 */
/* Records shared by bpf/reclaim.bpf.c and user/reclaim/. Fixed-width types
 * and explicit padding only: user space checks the sizes. */
#ifndef MEMSCOPE_RECLAIM_H
#define MEMSCOPE_RECLAIM_H

#include "lib/stats.h"

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* What a task waited for. */
enum reclaim_kind {
	RK_DIRECT,		/* global direct reclaim (the page allocator) */
	RK_MEMCG,		/* reclaim at its memory cgroup's limit */
	RK_SOFTLIMIT,		/* soft-limit reclaim (cgroup v1) */
	RK_COMPACTION,		/* direct compaction (the page allocator) */
	RK_THROTTLE,		/* reclaim throttling (mm_vmscan_throttled) */
	RK_NR,
};

/* Nodes whose free pages and watermarks are read (-e, kswapd wakes). */
#define RECLAIM_MAX_NODES 8
/* Zones per node read (ZONE_DMA..ZONE_DEVICE). */
#define RECLAIM_MAX_ZONES 6

/* One stall, as it ended. */
struct reclaim_event {
	__u64 ts_ns;		/* its end, CLOCK_MONOTONIC */
	__u64 latency_ns;
	__u64 nr_reclaimed;	/* pages the stall reclaimed (reclaim kinds) */
	__u64 memcg_id;		/* the task's memory cgroup */
	__u64 gfp;		/* the allocation's gfp flags */
	/* Pages scanned and reclaimed from the inactive lists during the
	 * stall, [0] anon, [1] file (mm_vmscan_lru_shrink_inactive). */
	__u64 scanned[2], reclaimed[2];
	__u64 free_pages;	/* -e: free pages when it began, ~0: unknown */
	__u32 pid, tid, uid;
	__s32 order;		/* the allocation's order, -1: none */
	__s32 kstack, ustack;	/* --stacks: ids in the stack store, -1: none */
	__u32 kind;		/* enum reclaim_kind */
	__u32 status;		/* compaction: its result; throttle: the reason */
	char comm[16];
};

/* The system (all tasks, whatever the filters), since the start. */
struct reclaim_sys {
	__u64 stalls[RK_NR];
	__u64 stall_ns[RK_NR];
	__u64 stall_reclaimed[RK_NR];
	__u64 kswapd_wakes;
	__u64 kswapd_awake_ns;	/* completed wake periods */
	/* Inactive-list scans, [0] anon, [1] file: in stalls, by kswapd,
	 * elsewhere (proactive reclaim, node reclaim). */
	__u64 stall_scanned[2], stall_reclaimed_lru[2];
	__u64 kswapd_scanned[2], kswapd_reclaimed[2];
	__u64 other_scanned[2], other_reclaimed[2];
	__u64 throttled_us;	/* sum of the throttling delays */
	__u64 unmatched_ends;	/* an end without its beginning (we attached
				 * in the middle of a stall) */
};

/* A node's kswapd, as of its last wake. */
struct reclaim_node {
	__u64 wake_ns;		/* when it woke, 0: asleep */
	__u64 wakes;
	__u32 order;		/* order of the wake's request */
	__u32 zone;		/* its highest zone index */
	/* At the wake: free pages, and the watermarks summed over the
	 * node's zones; ~0 when they could not be read. */
	__u64 free, wmark_min, wmark_low, wmark_high;
};

enum reclaim_counter {
	ST_STALLS_FULL = ST_COMMON_NR,	/* too many tasks in stalls at once */
	ST_RECLAIM_NR,
};

#endif
