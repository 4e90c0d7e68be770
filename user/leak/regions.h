/* SPDX-License-Identifier: GPL-2.0 */
/* Outstanding mmap regions of a traced process: the range arithmetic of
 * munmap (whole, head, tail, middle, several regions at once) and mremap
 * (shrink, grow, move), done in user space where it is easy and exact. The
 * BPF side only reports the calls that succeeded. */
#ifndef MEMSCOPE_REGIONS_H
#define MEMSCOPE_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct region {
	uint64_t start, end;	/* [start, end), page-aligned (first: core/ranges.h) */
	int32_t stack_id;	/* where the mapping was created */
	bool file;		/* a mapping of a file, not anonymous memory */
	uint64_t ts;		/* when */
};

struct regions {
	struct region *r;	/* sorted by start, never overlapping */
	size_t n, cap;
	/* mmap calls recorded through regions_mmap(): anonymous memory (an
	 * allocation) and file mappings (reported apart) */
	uint64_t anon_maps, file_maps;
};

void regions_init(struct regions *rs);
void regions_free(struct regions *rs);

/* The page size the kernel rounds lengths to. */
#define REGION_PAGE 4096ULL

/* mmap returned addr for len bytes. A new mapping replaces whatever was
 * mapped there before (MAP_FIXED). Returns 0 or -ENOMEM. */
int regions_map(struct regions *rs, uint64_t addr, uint64_t len, int32_t stack_id,
		uint64_t ts);
/* The same for an mmap call with these flags (MAP_*): without
 * MAP_ANONYMOUS it maps a file. Counted in anon_maps or file_maps. */
int regions_mmap(struct regions *rs, uint64_t addr, uint64_t len, uint64_t flags,
		 int32_t stack_id, uint64_t ts);
/* munmap(addr, len) succeeded. */
int regions_unmap(struct regions *rs, uint64_t addr, uint64_t len);
/* mremap(old, old_len, new_len) returned new_addr: the pieces of the old
 * range keep their origin and move (or grow/shrink in place). */
int regions_remap(struct regions *rs, uint64_t old, uint64_t old_len, uint64_t new_addr,
		  uint64_t new_len);

uint64_t regions_bytes(const struct regions *rs);

#endif
