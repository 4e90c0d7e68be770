// SPDX-License-Identifier: GPL-2.0
/* Log2 and linear histograms as text and JSON (see hist.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "core/json.h"
#include "out/hist.h"

#define BAR_WIDTH 40

unsigned hist_log2_slot(uint64_t v)
{
	return v > 1 ? 63 - __builtin_clzll(v) : 0;
}

static bool valid(const struct hist *h)
{
	if (!h || (h->nslots && !h->slots))
		return false;
	if (h->kind == HIST_LOG2)
		return h->nslots <= HIST_LOG2_SLOTS;
	return h->kind == HIST_LINEAR && h->step;
}

int hist_slot_range(const struct hist *h, size_t i, uint64_t *from, uint64_t *to)
{
	unsigned __int128 lo, hi;

	if (!valid(h) || i >= h->nslots)
		return -EINVAL;
	if (h->kind == HIST_LOG2) {
		lo = i ? (unsigned __int128)1 << i : 0;
		hi = ((unsigned __int128)1 << (i + 1)) - 1;
	} else {
		lo = h->base + (unsigned __int128)i * h->step;
		hi = lo + h->step - 1;
	}
	*from = lo > UINT64_MAX ? UINT64_MAX : (uint64_t)lo;
	*to = hi > UINT64_MAX ? UINT64_MAX : (uint64_t)hi;
	return 0;
}

/* The slots shown, [*first, *end); false if every slot is empty. */
static bool shown(const struct hist *h, size_t *first, size_t *end, uint64_t *max)
{
	size_t i;

	*first = SIZE_MAX;
	*end = 0;
	*max = 0;
	for (i = 0; i < h->nslots; i++) {
		if (!h->slots[i])
			continue;
		if (*first == SIZE_MAX)
			*first = i;
		*end = i + 1;
		if (h->slots[i] > *max)
			*max = h->slots[i];
	}
	if (h->kind == HIST_LOG2)
		*first = 0;
	return *max > 0;
}

int hist_print(FILE *f, const struct hist *h)
{
	const char *unit = h && h->unit ? h->unit : "value";
	size_t first, end, i;
	uint64_t max, from, to;
	int width = 10;

	if (!f || !valid(h))
		return -EINVAL;
	if (!shown(h, &first, &end, &max))
		return 0;
	/* Ranges past 2^32 need the wide columns (as bcc does), and get a
	 * shorter bar so a line still fits 100 columns. */
	hist_slot_range(h, end - 1, &from, &to);
	if (to > UINT32_MAX)
		width = 20;
	fprintf(f, "%*s%-*s : count    distribution\n", width - 5, "", width + 9, unit);
	for (i = first; i < end; i++) {
		int bar = width == 10 ? BAR_WIDTH : BAR_WIDTH / 2;
		int stars = (unsigned __int128)h->slots[i] * bar / max;

		hist_slot_range(h, i, &from, &to);
		fprintf(f, "%*" PRIu64 " -> %-*" PRIu64 " : %-8" PRIu64 " |%.*s%*s|\n", width,
			from, width, to, h->slots[i], stars,
			"****************************************", bar - stars, "");
	}
	return ferror(f) ? -EIO : 0;
}

int hist_json(struct json *j, const struct hist *h)
{
	size_t first, end, i;
	uint64_t max, from, to;

	if (!j || !valid(h))
		return -EINVAL;
	json_obj_begin(j);
	json_kstr(j, "unit", h->unit ? h->unit : "value");
	json_key(j, "buckets");
	json_arr_begin(j);
	if (shown(h, &first, &end, &max)) {
		for (i = first; i < end; i++) {
			hist_slot_range(h, i, &from, &to);
			json_obj_begin(j);
			json_ku64(j, "from", from);
			json_ku64(j, "to", to);
			json_ku64(j, "count", h->slots[i]);
			json_obj_end(j);
		}
	}
	json_arr_end(j);
	json_obj_end(j);
	return 0;
}
