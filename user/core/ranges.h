/* SPDX-License-Identifier: GPL-2.0 */
/* Sorted arrays of disjoint address ranges [start, end), whatever else
 * each element holds (the mappings a symbolizer knows, the mmap regions
 * leak tracks): the one search they all need. An element begins with
 * uint64_t start, end. */
#ifndef MEMSCOPE_RANGES_H
#define MEMSCOPE_RANGES_H

#include <stddef.h>
#include <stdint.h>

struct range_head {
	uint64_t start, end;
};

/* Index of the first of the n elements (size bytes each, sorted by start,
 * disjoint) that ends above addr; n if none. */
static inline size_t range_upper(const void *base, size_t n, size_t size, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct range_head *r =
			(const struct range_head *)((const char *)base + mid * size);

		if (r->end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
