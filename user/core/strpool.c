// SPDX-License-Identifier: GPL-2.0
/* String interning (see strpool.h): linear probing over slots that carry
 * the hash and length, so a probe compares bytes only on a likely match;
 * never more than half full, and there is no deletion, so no tombstones. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/strpool.h"

/* Small pools (one per flame graph) stay small; large ones (a symbolizer
 * of a big target) do not call malloc per string. */
#define CHUNK_MIN 4096
#define CHUNK_MAX (64u << 10)

struct strpool_chunk {
	struct strpool_chunk *next;
	size_t used, size;
	char data[];
};

struct strpool_slot {
	const char *s;		/* NULL: free */
	size_t len;
	uint64_t hash;
};

void strpool_init(struct strpool *p)
{
	memset(p, 0, sizeof(*p));
}

void strpool_free(struct strpool *p)
{
	while (p->chunks) {
		struct strpool_chunk *c = p->chunks;

		p->chunks = c->next;
		free(c);
	}
	free(p->slots);
	strpool_init(p);
}

/* FNV-1a, then a finalizer: FNV's low bits barely differ for names that
 * share a long prefix (C++ methods of one class), and the table index is
 * taken from the low bits. */
static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static char *arena_copy(struct strpool *p, const char *s, size_t len)
{
	struct strpool_chunk *c = p->chunks;
	char *out;

	if (!c || c->size - c->used < len + 1) {
		size_t size = c ? c->size * 2 : CHUNK_MIN;

		if (size > CHUNK_MAX)
			size = CHUNK_MAX;
		if (size < len + 1)
			size = len + 1;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = p->chunks;
		p->chunks = c;
		p->bytes += size;
	}
	out = c->data + c->used;
	memcpy(out, s, len);
	out[len] = 0;
	c->used += len + 1;
	return out;
}

static int grow(struct strpool *p)
{
	size_t cap = p->cap ? p->cap * 2 : 256, i, j;
	struct strpool_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < p->cap; i++) {
		if (!p->slots[i].s)
			continue;
		for (j = p->slots[i].hash & (cap - 1); slots[j].s; j = (j + 1) & (cap - 1))
			;
		slots[j] = p->slots[i];
	}
	free(p->slots);
	p->slots = slots;
	p->cap = cap;
	return 0;
}

const char *strpool_intern(struct strpool *p, const char *s, size_t len)
{
	uint64_t h;
	size_t i;
	char *copy;

	if (!s)
		return NULL;
	if (2 * (p->count + 1) > p->cap && grow(p))
		return NULL;
	h = hash_bytes(s, len);
	for (i = h & (p->cap - 1); p->slots[i].s; i = (i + 1) & (p->cap - 1)) {
		const struct strpool_slot *e = &p->slots[i];

		if (e->hash == h && e->len == len && !memcmp(e->s, s, len))
			return e->s;
	}
	copy = arena_copy(p, s, len);
	if (!copy)
		return NULL;
	p->slots[i] = (struct strpool_slot){ copy, len, h };
	p->count++;
	return copy;
}

const char *strpool_str(struct strpool *p, const char *s)
{
	return s ? strpool_intern(p, s, strlen(s)) : NULL;
}
