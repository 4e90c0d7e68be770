/* SPDX-License-Identifier: GPL-2.0 */
/* Operations on one bucket of a set-associative table (lib/table.h): the
 * bucket is a map value holding `ways` keys; the tool keeps its values in
 * a parallel array of the same bucket. `ways` is a compile-time constant
 * at every call, so the loops unroll. */
#ifndef MEMSCOPE_LIB_TABLE_BPF_H
#define MEMSCOPE_LIB_TABLE_BPF_H

#include "lib/table.h"

/* The way holding key, or -1. */
static __always_inline int sa_find(const __u64 *keys, int ways, __u64 key)
{
	for (int i = 0; i < ways; i++)
		if (keys[i] == key)
			return i;
	return -1;
}

/* Claim a free way for key, starting at way `from` (the first free one a
 * scan saw): the slot is taken with a compare-and-swap, so two CPUs never
 * claim the same one. -1 when the bucket is full. */
static __always_inline int sa_claim(__u64 *keys, int ways, int from, __u64 key)
{
	for (int i = from; i >= 0 && i < ways; i++)
		if (!keys[i] && __sync_val_compare_and_swap(&keys[i], 0, key) == 0)
			return i;
	return -1;
}

/* The first free way, or -1 (a hint for sa_claim, read without a lock). */
static __always_inline int sa_free_way(const __u64 *keys, int ways)
{
	return sa_find(keys, ways, 0);
}

#endif
