// SPDX-License-Identifier: GPL-2.0
/* The system readings of `reclaim -s` parsed from text (reclaim/summary.c,
 * split out of their readers for the fuzz harness). */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "reclaim/common.h"

TEST(unit_reclaim_psi_parse, 0)
{
	char some_full[] = "some avg10=0.00 avg60=0.10 avg300=0.00 total=123\n"
			   "full avg10=0.00 avg60=0.00 avg300=0.00 total=45\n";
	char some_only[] = "some avg10=0.00 avg60=0.10 avg300=0.00 total=7\n";
	uint64_t some = 0, full = 0;
	FILE *f;

	f = fmemopen(some_full, strlen(some_full), "r");
	ASSERT_OK(psi_parse(f, &some, &full), "both lines");
	fclose(f);
	ASSERT_EQ(some, 123, "some total");
	ASSERT_EQ(full, 45, "full total");
	f = fmemopen(some_only, strlen(some_only), "r");
	ASSERT_EQ(psi_parse(f, &some, &full), -ENOENT, "no full line");
	fclose(f);
}

TEST(unit_reclaim_vmstat_parse, 0)
{
	char text[] = "nr_free_pages 100\npswpin 5\npgscan_kswapd 77\npswpout 9\n";
	uint64_t v[16];
	FILE *f = fmemopen(text, strlen(text), "r");

	vmstat_parse(f, v);
	fclose(f);
	ASSERT_EQ(v[0], 5, "pswpin");
	ASSERT_EQ(v[6], 77, "pgscan_kswapd");
	ASSERT_EQ(v[1], 9, "pswpout");
	ASSERT_EQ(v[2], ~0ULL, "pgscan_anon absent");
}
