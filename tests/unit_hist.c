// SPDX-License-Identifier: GPL-2.0
/* Histograms: exact text and JSON for small inputs, and the slot edges
 * (0, 1, 2^k - 1, 2^k, UINT64_MAX). */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "core/json.h"
#include "jsonp.h"
#include "out/hist.h"

static __attribute__((noinline)) char *text(const struct hist *h, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*err = hist_print(f, h);
	fclose(f);
	return buf;
}

static __attribute__((noinline)) char *json(const struct hist *h, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	*err = hist_json(&j, h);
	fclose(f);
	return buf;
}

#define STARS(n) (&"****************************************"[40 - (n)])

TEST(unit_hist_log2_text, 0)
{
	uint64_t slots[HIST_LOG2_SLOTS] = { [0] = 1, [2] = 4, [3] = 2 };
	struct hist h = { .kind = HIST_LOG2, .slots = slots, .nslots = HIST_LOG2_SLOTS,
			  .unit = "usecs" };
	int err;
	char *out = text(&h, &err);

	ASSERT_OK(err, "hist_print");
	ASSERT_STREQ(out,
		     "     usecs               : count    distribution\n"
		     "         0 -> 1          : 1        |**********                              |\n"
		     "         2 -> 3          : 0        |                                        |\n"
		     "         4 -> 7          : 4        |****************************************|\n"
		     "         8 -> 15         : 2        |********************                    |\n",
		     "log2 table, trailing empty slots left out");
	free(out);
}

TEST(unit_hist_log2_edges, 0)
{
	uint64_t slots[HIST_LOG2_SLOTS] = {};
	struct hist h = { .kind = HIST_LOG2, .slots = slots, .nslots = HIST_LOG2_SLOTS };
	uint64_t from, to;
	char what[64];

	ASSERT_EQ(hist_log2_slot(0), 0, "0");
	ASSERT_EQ(hist_log2_slot(1), 0, "1");
	ASSERT_EQ(hist_log2_slot(2), 1, "2");
	ASSERT_EQ(hist_log2_slot(UINT64_MAX), 63, "UINT64_MAX");
	for (unsigned k = 1; k < 64; k++) {
		uint64_t lo = 1ull << k, v[2] = { lo - 1, lo };

		snprintf(what, sizeof(what), "2^%u - 1 in slot %u", k, k - 1);
		ASSERT_EQ(hist_log2_slot(lo - 1), k - 1, what);
		snprintf(what, sizeof(what), "2^%u in slot %u", k, k);
		ASSERT_EQ(hist_log2_slot(lo), k, what);
		/* Every value lies inside the range of its slot. */
		for (int i = 0; i < 2; i++) {
			ASSERT_OK(hist_slot_range(&h, hist_log2_slot(v[i]), &from, &to), "range");
			snprintf(what, sizeof(what), "%llu within its slot",
				 (unsigned long long)v[i]);
			ASSERT_TRUE(from <= v[i] && v[i] <= to, what);
		}
	}
	ASSERT_OK(hist_slot_range(&h, 0, &from, &to), "slot 0");
	ASSERT_TRUE(from == 0 && to == 1, "slot 0 is 0 -> 1");
	ASSERT_OK(hist_slot_range(&h, 63, &from, &to), "slot 63");
	ASSERT_TRUE(from == 1ull << 63 && to == UINT64_MAX, "slot 63 ends at UINT64_MAX");
	ASSERT_EQ(hist_slot_range(&h, 64, &from, &to), -EINVAL, "no slot 64");
}

TEST(unit_hist_log2_wide, 0)
{
	uint64_t slots[HIST_LOG2_SLOTS] = { [0] = UINT64_MAX / 2, [63] = UINT64_MAX };
	struct hist h = { .kind = HIST_LOG2, .slots = slots, .nslots = HIST_LOG2_SLOTS,
			  .unit = "nsecs" };
	char *out, *last, first[256];
	int err;

	out = text(&h, &err);
	ASSERT_OK(err, "hist_print");
	/* Values past 2^32: 20-digit columns and a 20-star bar. */
	snprintf(first, sizeof(first),
		 "               nsecs                         : count    distribution\n"
		 "                   0 -> 1                    : %llu |%s%s|\n",
		 (unsigned long long)(UINT64_MAX / 2), STARS(9), "           ");
	ASSERT_TRUE(out && !strncmp(out, first, strlen(first)), "header and slot 0");
	if (!ASSERT_TRUE(out && (last = strstr(out, "9223372036854775808 ->")), "slot 63 shown"))
		goto out;
	ASSERT_STREQ(last, "9223372036854775808 -> 18446744073709551615 : 18446744073709551615 "
			   "|********************|\n", "slot 63, full bar");
	ASSERT_EQ(last[-1], ' ', "right-aligned");
out:
	free(out);
}

TEST(unit_hist_linear, 0)
{
	uint64_t slots[] = { 0, 3, 0, 6, 0, 0 };
	struct hist h = { .kind = HIST_LINEAR, .slots = slots, .nslots = 6, .base = 10,
			  .step = 5, .unit = "ms" };
	uint64_t edge[3] = { 1, 1, 1 }, from, to;
	char *out;
	int err;

	out = text(&h, &err);
	ASSERT_OK(err, "hist_print");
	ASSERT_STREQ(out,
		     "     ms                  : count    distribution\n"
		     "        15 -> 19         : 3        |********************                    |\n"
		     "        20 -> 24         : 0        |                                        |\n"
		     "        25 -> 29         : 6        |****************************************|\n",
		     "linear table from the first to the last slot with counts");
	free(out);

	out = json(&h, &err);
	ASSERT_OK(err, "hist_json");
	ASSERT_STREQ(out, "{\"unit\":\"ms\",\"buckets\":[{\"from\":15,\"to\":19,\"count\":3},"
			  "{\"from\":20,\"to\":24,\"count\":0},{\"from\":25,\"to\":29,\"count\":6}]}",
		     "linear JSON");
	free(out);

	/* Ranges near the top clamp at UINT64_MAX. */
	h = (struct hist){ .kind = HIST_LINEAR, .slots = edge, .nslots = 3,
			   .base = UINT64_MAX - 5, .step = 4 };
	ASSERT_OK(hist_slot_range(&h, 0, &from, &to), "slot 0");
	ASSERT_TRUE(from == UINT64_MAX - 5 && to == UINT64_MAX - 2, "slot 0 range");
	ASSERT_OK(hist_slot_range(&h, 1, &from, &to), "slot 1");
	ASSERT_TRUE(from == UINT64_MAX - 1 && to == UINT64_MAX, "slot 1 clamped");
	ASSERT_OK(hist_slot_range(&h, 2, &from, &to), "slot 2");
	ASSERT_TRUE(from == UINT64_MAX && to == UINT64_MAX, "slot 2 clamped");
}

TEST(unit_hist_json_log2, 0)
{
	uint64_t slots[HIST_LOG2_SLOTS] = { [1] = 7, [2] = 1 };
	struct hist h = { .kind = HIST_LOG2, .slots = slots, .nslots = HIST_LOG2_SLOTS,
			  .unit = "usecs" };
	const char *perr = NULL;
	struct jv *v;
	char *out;
	int err;

	out = json(&h, &err);
	ASSERT_OK(err, "hist_json");
	ASSERT_STREQ(out, "{\"unit\":\"usecs\",\"buckets\":[{\"from\":0,\"to\":1,\"count\":0},"
			  "{\"from\":2,\"to\":3,\"count\":7},{\"from\":4,\"to\":7,\"count\":1}]}",
		     "log2 JSON");
	v = out ? jv_parse(out, strlen(out), &perr) : NULL;
	ASSERT_TRUE(v != NULL, "parses");
	jv_free(v);
	free(out);
}

TEST(unit_hist_empty_and_bad, 0)
{
	uint64_t slots[HIST_LOG2_SLOTS + 1] = {};
	struct hist h = { .kind = HIST_LOG2, .slots = slots, .nslots = HIST_LOG2_SLOTS };
	char *out;
	int err;

	out = text(&h, &err);
	ASSERT_OK(err, "empty hist_print");
	ASSERT_STREQ(out, "", "no counts, no table");
	free(out);
	out = json(&h, &err);
	ASSERT_STREQ(out, "{\"unit\":\"value\",\"buckets\":[]}", "no counts, no buckets");
	free(out);

	h.nslots = HIST_LOG2_SLOTS + 1;
	out = text(&h, &err);
	ASSERT_EQ(err, -EINVAL, "65 log2 slots");
	free(out);
	h = (struct hist){ .kind = HIST_LINEAR, .slots = slots, .nslots = 3 };
	out = json(&h, &err);
	ASSERT_EQ(err, -EINVAL, "linear with step 0");
	ASSERT_STREQ(out, "", "nothing written on error");
	free(out);
	h = (struct hist){ .kind = HIST_LOG2, .nslots = 3 };
	out = text(&h, &err);
	ASSERT_EQ(err, -EINVAL, "no slots array");
	free(out);
}
