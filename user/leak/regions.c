// SPDX-License-Identifier: GPL-2.0
/* mmap region bookkeeping (see regions.h). A sorted array: a process has a
 * few hundred mappings at most, and changes are rare next to mallocs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/ranges.h"
#include "leak/regions.h"

static uint64_t page_up(uint64_t v)
{
	return (v + REGION_PAGE - 1) & ~(REGION_PAGE - 1);
}

void regions_init(struct regions *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void regions_free(struct regions *rs)
{
	free(rs->r);
	regions_init(rs);
}

/* Index of the first region that ends after addr. */
static size_t first_after(const struct regions *rs, uint64_t addr)
{
	return range_upper(rs->r, rs->n, sizeof(rs->r[0]), addr);
}

static int insert_at(struct regions *rs, size_t i, const struct region *r)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct region *n = realloc(rs->r, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rs->r = n;
		rs->cap = cap;
	}
	memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof(*r));
	rs->r[i] = *r;
	rs->n++;
	return 0;
}

static void remove_at(struct regions *rs, size_t i)
{
	memmove(&rs->r[i], &rs->r[i + 1], (rs->n - i - 1) * sizeof(rs->r[0]));
	rs->n--;
}

/* Cut [start, end) out of every region, keeping what lies outside. Pieces
 * cut out are appended to *cut when it is not NULL (for mremap). */
static int punch(struct regions *rs, uint64_t start, uint64_t end, struct regions *cut)
{
	size_t i = first_after(rs, start);
	int err;

	while (i < rs->n && rs->r[i].start < end) {
		struct region r = rs->r[i], piece = r;

		if (piece.start < start)
			piece.start = start;
		if (piece.end > end)
			piece.end = end;
		if (cut && (err = insert_at(cut, cut->n, &piece)))
			return err;

		if (r.start < start && r.end > end) {
			/* A hole in the middle: two pieces remain. */
			struct region tail = r;

			rs->r[i].end = start;
			tail.start = end;
			return insert_at(rs, i + 1, &tail);
		}
		if (r.start < start) {
			rs->r[i].end = start;
			i++;
		} else if (r.end > end) {
			rs->r[i].start = end;
			i++;
		} else {
			remove_at(rs, i);
		}
	}
	return 0;
}

static int map_range(struct regions *rs, uint64_t addr, uint64_t len, int32_t stack_id,
		     bool file, uint64_t ts)
{
	struct region r = { addr, addr + page_up(len), stack_id, file, ts };
	int err;

	if (!len)
		return 0;
	err = punch(rs, r.start, r.end, NULL);
	if (err)
		return err;
	return insert_at(rs, first_after(rs, r.start), &r);
}

int regions_map(struct regions *rs, uint64_t addr, uint64_t len, int32_t stack_id,
		uint64_t ts)
{
	return map_range(rs, addr, len, stack_id, false, ts);
}

int regions_mmap(struct regions *rs, uint64_t addr, uint64_t len, uint64_t flags,
		 int32_t stack_id, uint64_t ts)
{
	bool file = !(flags & MAP_ANONYMOUS);

	if (file)
		rs->file_maps++;
	else
		rs->anon_maps++;
	return map_range(rs, addr, len, stack_id, file, ts);
}

int regions_unmap(struct regions *rs, uint64_t addr, uint64_t len)
{
	if (!len)
		return 0;
	return punch(rs, addr, addr + page_up(len), NULL);
}

int regions_remap(struct regions *rs, uint64_t old, uint64_t old_len, uint64_t new_addr,
		  uint64_t new_len)
{
	uint64_t old_end = old + page_up(old_len), new_end = new_addr + page_up(new_len);
	struct regions moved;
	int32_t stack_id = -1;
	bool file = false;
	uint64_t ts = 0;
	int err;
	size_t i;

	regions_init(&moved);
	err = punch(rs, old, old_end, &moved);
	if (err)
		goto out;
	if (moved.n) {
		/* Growth belongs to where the mapping came from: the piece
		 * at the old start (or the first one found). */
		stack_id = moved.r[0].stack_id;
		ts = moved.r[0].ts;
		file = moved.r[0].file;
	} else {
		/* We never saw this mapping created: nothing to move. */
		goto out;
	}
	err = punch(rs, new_addr, new_end, NULL);
	if (err)
		goto out;
	/* Re-insert the pieces at their new place, clipped to the new
	 * length, then the grown part if any. */
	for (i = 0; i < moved.n; i++) {
		struct region r = moved.r[i];
		uint64_t off = r.start - old;

		if (off >= new_end - new_addr)
			continue;
		r.start = new_addr + off;
		r.end = new_addr + (r.end - old);
		if (r.end > new_end)
			r.end = new_end;
		err = insert_at(rs, first_after(rs, r.start), &r);
		if (err)
			goto out;
	}
	if (new_end - new_addr > old_end - old) {
		struct region grown = { new_addr + (old_end - old), new_end, stack_id, file, ts };
		size_t at = first_after(rs, grown.start);

		/* One mapping that grew stays one mapping. */
		if (at > 0 && rs->r[at - 1].end == grown.start && rs->r[at - 1].stack_id == stack_id &&
		    rs->r[at - 1].file == file)
			rs->r[at - 1].end = grown.end;
		else
			err = insert_at(rs, at, &grown);
	}
out:
	regions_free(&moved);
	return err;
}

uint64_t regions_bytes(const struct regions *rs)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < rs->n; i++)
		sum += rs->r[i].end - rs->r[i].start;
	return sum;
}
