// SPDX-License-Identifier: GPL-2.0
/* Trend classification: a leak grows every interval, a cache levels off. */
#include "harness.h"
#include "leak/trend.h"

static enum trend run(const uint64_t *v, int n)
{
	struct trend_hist h = {};

	for (int i = 0; i < n; i++)
		trend_push(&h, v[i]);
	return trend_of(&h);
}

TEST(unit_trend_classes, 0)
{
	ASSERT_EQ(run((uint64_t[]){ 100 }, 1), TREND_NEW, "first sight");
	ASSERT_EQ(run((uint64_t[]){ 100, 200 }, 2), TREND_GROWING, "rose since it appeared");
	ASSERT_EQ(run((uint64_t[]){ 1, 2, 3, 4, 5, 6 }, 6), TREND_GROWING, "leak");
	/* A cache: grows, then holds: steady once the window sees a flat step. */
	ASSERT_EQ(run((uint64_t[]){ 1, 2, 3, 4, 4 }, 5), TREND_STEADY, "cache levels off");
	ASSERT_EQ(run((uint64_t[]){ 5, 5, 5, 5 }, 4), TREND_STEADY, "flat");
	ASSERT_EQ(run((uint64_t[]){ 9, 7, 5, 3 }, 4), TREND_SHRINKING, "drains");
	ASSERT_EQ(run((uint64_t[]){ 9, 7, 8, 3 }, 4), TREND_STEADY, "noisy");
	/* Only the last TREND_WINDOW steps count. */
	ASSERT_EQ(run((uint64_t[]){ 9, 1, 2, 3, 4 }, 5), TREND_GROWING, "old drop forgotten");
}

TEST(unit_trend_growth, 0)
{
	struct trend_hist h = {};

	trend_push(&h, 10);
	trend_push(&h, 30);
	ASSERT_EQ(trend_growth(&h), 20, "growth");
	for (int i = 0; i < 10; i++)
		trend_push(&h, 100);
	ASSERT_EQ(trend_growth(&h), 0, "window forgets");
	ASSERT_STREQ(trend_name(TREND_GROWING), "growing", "name");
}

/* A key absent from reports gets exactly one 0 per report, and is
 * forgotten after TREND_WINDOW + 1 reports without it, however many other
 * keys come and go (deletions move slots under the iteration). */
TEST(unit_trend_table_absence, 0)
{
	struct trend_table t;
	struct hkey a = { 1, 1 };
	const struct trend_hist *h;

	trend_table_init(&t);
	for (int rep = 0; rep < 3; rep++) {
		trend_table_begin(&t);
		trend_table_push(&t, a, 100 * (rep + 1));
		/* Many short-lived keys, all forgotten along the way. */
		for (uint64_t k = 0; k < 200; k++)
			trend_table_push(&t, (struct hkey){ 1000 + rep * 1000 + k, 0 }, 1);
		trend_table_end(&t);
	}
	for (int rep = 0; rep < TREND_WINDOW; rep++) {
		trend_table_begin(&t);
		trend_table_end(&t);
		h = trend_table_get(&t, a);
		if (!ASSERT_TRUE(h, "kept while absent within the window"))
			goto out;
		ASSERT_EQ(h->bytes[h->n - 1], 0, "a 0 for the report without it");
		/* rep + 1 zeros after the last value seen, no more. */
		ASSERT_EQ(h->bytes[h->n - 2 - rep], 300, "exactly one 0 per report");
	}
	trend_table_begin(&t);
	trend_table_end(&t);
	ASSERT_TRUE(!trend_table_get(&t, a), "forgotten after the window");
	ASSERT_EQ(t.keys.len, 0, "the short-lived keys are gone too");
out:
	trend_table_free(&t);
}
