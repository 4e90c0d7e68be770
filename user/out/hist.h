/* SPDX-License-Identifier: GPL-2.0 */
/* Histograms of u64 slot counts, as BPF programs collect them (latencies,
 * sizes): power-of-two slots or fixed-width ones, rendered as the text
 * table bcc and libbpf-tools users know (ranges, counts, a bar of stars
 * scaled to the largest slot) and as JSON through core/json.
 *
 * Log2 slots: slot 0 holds 0 and 1, slot i (1..63) holds [2^i, 2^(i+1) - 1],
 * so slot 63 ends at UINT64_MAX; hist_log2_slot() is that mapping. Linear
 * slots: slot i holds [base + i*step, base + (i+1)*step - 1], the last
 * ones clamped at UINT64_MAX. */
#ifndef MEMSCOPE_HIST_H
#define MEMSCOPE_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json;

#define HIST_LOG2_SLOTS 64

enum hist_kind { HIST_LOG2, HIST_LINEAR };

struct hist {
	enum hist_kind kind;
	const uint64_t *slots;	/* counts */
	size_t nslots;		/* log2: at most HIST_LOG2_SLOTS */
	uint64_t base, step;	/* linear only; step > 0 */
	const char *unit;	/* "usecs"; NULL: "value" */
};

/* The log2 slot of v. */
unsigned hist_log2_slot(uint64_t v);

/* The values slot i of h holds; 0, or -EINVAL for a slot h has not. */
int hist_slot_range(const struct hist *h, size_t i, uint64_t *from, uint64_t *to);

/* The table: a header line, then one line per slot up to the last that is
 * not empty (log2 tables start at slot 0, linear ones at the first slot
 * that is not empty). Nothing for a histogram without counts.
 * 0, -EINVAL, or -EIO if writing to f failed. */
int hist_print(FILE *f, const struct hist *h);

/* As one JSON value, the same slots as the table:
 * {"unit":"usecs","buckets":[{"from":0,"to":1,"count":5},...]}.
 * 0 or -EINVAL (then nothing is written). */
int hist_json(struct json *j, const struct hist *h);

#endif
