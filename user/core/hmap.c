// SPDX-License-Identifier: GPL-2.0
/* Open-addressing hash map with linear probing and backward-shift deletion
 * (no tombstones, so long-lived maps do not degrade). */
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"

void hmap_init(struct hmap *m, size_t val_size)
{
	memset(m, 0, sizeof(*m));
	m->val_size = val_size;
}

void hmap_free(struct hmap *m)
{
	free(m->used);
	free(m->keys);
	free(m->vals);
	hmap_init(m, m->val_size);
}

void hmap_clear(struct hmap *m)
{
	if (m->cap)
		memset(m->used, 0, m->cap);
	m->len = 0;
}

static size_t hash(struct hkey k)
{
	uint64_t h = k.a * 0x9e3779b97f4a7c15ULL ^ (k.b + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;

	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	return (size_t)(h ^ (h >> 29));
}

static bool eq(struct hkey x, struct hkey y)
{
	return x.a == y.a && x.b == y.b;
}

static size_t find(const struct hmap *m, struct hkey k, bool *found)
{
	size_t mask = m->cap - 1, i = hash(k) & mask;

	while (m->used[i]) {
		if (eq(m->keys[i], k)) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
	*found = false;
	return i;
}

void *hmap_get(const struct hmap *m, struct hkey k)
{
	bool found;
	size_t i;

	if (!m->cap)
		return NULL;
	i = find(m, k, &found);
	return found ? m->vals + i * m->val_size : NULL;
}

static int grow(struct hmap *m)
{
	struct hmap n;
	size_t i;

	hmap_init(&n, m->val_size);
	n.cap = m->cap ? m->cap * 2 : 64;
	n.used = calloc(n.cap, 1);
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, m->val_size);
	if (!n.used || !n.keys || !n.vals) {
		hmap_free(&n);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		bool found;
		size_t j;

		if (!m->used[i])
			continue;
		j = find(&n, m->keys[i], &found);
		n.used[j] = 1;
		n.keys[j] = m->keys[i];
		memcpy(n.vals + j * n.val_size, m->vals + i * m->val_size, m->val_size);
		n.len++;
	}
	hmap_free(m);
	*m = n;
	return 0;
}

void *hmap_put(struct hmap *m, struct hkey k, bool *created)
{
	bool found;
	size_t i;

	if ((m->len + 1) * 4 > m->cap * 3 && grow(m))
		return NULL;
	i = find(m, k, &found);
	if (created)
		*created = !found;
	if (!found) {
		m->used[i] = 1;
		m->keys[i] = k;
		memset(m->vals + i * m->val_size, 0, m->val_size);
		m->len++;
	}
	return m->vals + i * m->val_size;
}

bool hmap_del(struct hmap *m, struct hkey k)
{
	size_t mask, i, j;
	bool found;

	if (!m->cap)
		return false;
	i = find(m, k, &found);
	if (!found)
		return false;
	mask = m->cap - 1;
	/* Shift later members of the probe run back into the hole. */
	for (j = (i + 1) & mask; m->used[j]; j = (j + 1) & mask) {
		size_t home = hash(m->keys[j]) & mask;

		/* Stay if home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		m->keys[i] = m->keys[j];
		memcpy(m->vals + i * m->val_size, m->vals + j * m->val_size, m->val_size);
		i = j;
	}
	m->used[i] = 0;
	m->len--;
	return true;
}

bool hmap_next(const struct hmap *m, size_t *i, struct hkey *key, void **val)
{
	for (; *i < m->cap; (*i)++) {
		if (!m->used[*i])
			continue;
		if (key)
			*key = m->keys[*i];
		if (val)
			*val = m->vals + *i * m->val_size;
		(*i)++;
		return true;
	}
	return false;
}
