/* SPDX-License-Identifier: GPL-2.0 */
/* A string-interning pool: equal strings get one stable copy, so callers
 * compare names by pointer and hand out strings that outlive whatever they
 * were read from (libdw's state, a line buffer). The symbolizers and the
 * flame graph writers share it instead of each keeping a hash table.
 *
 * Copies live in an arena of chunks that never move, so a returned pointer
 * stays valid until strpool_free(); nothing is freed one string at a time.
 * Not thread-safe. */
#ifndef MEMSCOPE_STRPOOL_H
#define MEMSCOPE_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

struct strpool_chunk;
struct strpool_slot;

struct strpool {
	struct strpool_chunk *chunks;	/* newest first */
	struct strpool_slot *slots;	/* open addressing, cap a power of 2 */
	size_t cap, count;
	size_t bytes;			/* held in chunks, for callers' budgets */
};

void strpool_init(struct strpool *p);
void strpool_free(struct strpool *p);

/* The pool's NUL-terminated copy of the len bytes at s: the same pointer
 * for the same bytes every time. A string holding a NUL byte is kept whole
 * (compared by length), but reads shorter through the returned pointer.
 * NULL when out of memory, or for s == NULL. */
const char *strpool_intern(struct strpool *p, const char *s, size_t len);
/* strpool_intern(p, s, strlen(s)); NULL for s == NULL. */
const char *strpool_str(struct strpool *p, const char *s);

#endif
