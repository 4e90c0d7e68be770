// SPDX-License-Identifier: GPL-2.0
/* Trend classification of per-stack outstanding bytes (see trend.h). */
#include <stdlib.h>
#include <string.h>

#include "leak/trend.h"

void trend_push(struct trend_hist *h, uint64_t bytes)
{
	if (h->n == TREND_WINDOW + 1) {
		memmove(h->bytes, h->bytes + 1, TREND_WINDOW * sizeof(h->bytes[0]));
		h->n--;
	}
	h->bytes[h->n++] = bytes;
}

enum trend trend_of(const struct trend_hist *h)
{
	unsigned rises = 0, falls = 0, steps;

	if (h->n <= 1)
		return TREND_NEW;
	steps = h->n - 1;
	for (unsigned i = 1; i < h->n; i++) {
		rises += h->bytes[i] > h->bytes[i - 1];
		falls += h->bytes[i] < h->bytes[i - 1];
	}
	if (rises == steps)
		return TREND_GROWING;
	if (falls == steps)
		return TREND_SHRINKING;
	return TREND_STEADY;
}

const char *trend_name(enum trend t)
{
	static const char *const names[] = {
		[TREND_NEW] = "new",
		[TREND_GROWING] = "growing",
		[TREND_STEADY] = "steady",
		[TREND_SHRINKING] = "shrinking",
	};

	return names[t];
}

int64_t trend_growth(const struct trend_hist *h)
{
	if (!h->n)
		return 0;
	return (int64_t)(h->bytes[h->n - 1] - h->bytes[0]);
}

struct trend_entry {
	struct trend_hist h;
	unsigned absent;	/* reports in a row without the key */
};

void trend_table_init(struct trend_table *t)
{
	hmap_init(&t->keys, sizeof(struct trend_entry));
}

void trend_table_free(struct trend_table *t)
{
	hmap_free(&t->keys);
}

void trend_table_begin(struct trend_table *t)
{
	struct trend_entry *e;
	size_t i = 0;
	void *v;

	while (hmap_next(&t->keys, &i, NULL, &v)) {
		e = v;
		e->absent++;
	}
}

const struct trend_hist *trend_table_push(struct trend_table *t, struct hkey key, uint64_t bytes)
{
	struct trend_entry *e = hmap_put(&t->keys, key, NULL);

	if (!e)
		return NULL;
	e->absent = 0;
	trend_push(&e->h, bytes);
	return &e->h;
}

void trend_table_end(struct trend_table *t)
{
	struct hkey k, *gone = NULL;
	size_t i = 0, n = 0;
	void *v;

	/* Deleting shifts slots under an iteration: collect, then delete. */
	if (t->keys.len)
		gone = malloc(t->keys.len * sizeof(*gone));
	while (hmap_next(&t->keys, &i, &k, &v)) {
		struct trend_entry *e = v;

		if (!e->absent)
			continue;
		if (e->absent > TREND_WINDOW && gone)
			gone[n++] = k;
		else
			trend_push(&e->h, 0);
	}
	for (i = 0; i < n; i++)
		hmap_del(&t->keys, gone[i]);
	free(gone);
}

const struct trend_hist *trend_table_get(const struct trend_table *t, struct hkey key)
{
	struct trend_entry *e = hmap_get(&t->keys, key);

	return e ? &e->h : NULL;
}
