// SPDX-License-Identifier: GPL-2.0
/* Trend classification of per-stack outstanding bytes (see trend.h). */
#include <string.h>

#include "trend.h"

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
