// SPDX-License-Identifier: GPL-2.0
/* Flag names from tracepoint print formats: the expression evaluator on
 * the shapes the format files hold, decoding as the kernel does, and the
 * real gfp table of this kernel (GFP_KERNEL is __GFP_RECLAIM|__GFP_IO|
 * __GFP_FS, 0xcc0, on every kernel memscope supports). */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "caps/flagnames.h"

TEST(unit_flag_expr, 0)
{
	static const struct { const char *s; uint64_t want; } ok[] = {
		{ "0x400u", 0x400 }, { "(( gfp_t)0)", 0 }, { "((((1UL))) << (10))", 1 << 10 },
		{ "( unsigned long)(((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u)))", 0xc40 },
		{ "((1UL << 3) | (1UL << 1)) & ~((1UL << 1))", 8 }, { "~0UL >> 60", 15 },
		{ "(((( gfp_t)((((1UL))) << (10))|((((1UL))) << (11)))) | (( gfp_t)((((1UL))) << "
		  "(6))) | (( gfp_t)((((1UL))) << (7))))", 0xcc0 },
	};
	static const char *const bad[] = { "", "(1", "1)", "1 +", "FOO", "1 << (VMSCAN_X)", "~" };
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ASSERT_OK(flag_expr_eval(ok[i].s, strlen(ok[i].s), &v), ok[i].s);
		ASSERT_EQ(v, ok[i].want, ok[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_TRUE(flag_expr_eval(bad[i], strlen(bad[i]), &v) != 0, bad[i]);
}

TEST(unit_flag_names_decode, 0)
{
	static const char fmt[] =
		"print fmt: \"gfp_flags=%s\", (REC->gfp_flags) ? __print_flags(REC->gfp_flags, "
		"\"|\", {( unsigned long)(0x40u|0x80u), \"AB\"}, {( unsigned long)0x40u, \"A\"}, "
		"{( unsigned long)0x80u, \"B\"}, {( unsigned long)(1 << NOT_A_NUMBER), \"X\"}, "
		"{( unsigned long)0x100u, \"C\"}) : \"none\"";
	struct flag_names t;
	char buf[64];

	ASSERT_OK(flag_names_parse(fmt, "__print_flags", "gfp_flags", &t), "parse");
	ASSERT_EQ(t.n, 4, "entries (the unevaluable one left out)");
	ASSERT_STREQ(flag_names_format(&t, 0xc0, buf, sizeof(buf)), "AB", "composite first");
	ASSERT_STREQ(flag_names_format(&t, 0x140, buf, sizeof(buf)), "A|C", "two");
	ASSERT_STREQ(flag_names_format(&t, 0x1041, buf, sizeof(buf)), "A|0x1001", "rest in hex");
	ASSERT_STREQ(flag_names_format(&t, 0, buf, sizeof(buf)), "none", "zero");
	ASSERT_STREQ(flag_names_format(NULL, 0x10, buf, sizeof(buf)), "0x10", "no table");
	ASSERT_TRUE(flag_names_parse(fmt, "__print_flags", "other", &t) == -ENOENT, "no field");
	flag_names_free(&t);
}

TEST(unit_flag_names_symbolic, 0)
{
	static const char fmt[] = "__print_symbolic(REC->status, {1, \"skipped\"}, {8, "
				  "\"success\"}, {0, \"not_suitable_zone\"})";
	struct flag_names t;

	ASSERT_OK(flag_names_parse(fmt, "__print_symbolic", "status", &t), "parse");
	ASSERT_STREQ(flag_names_symbol(&t, 8), "success", "8");
	ASSERT_STREQ(flag_names_symbol(&t, 0), "not_suitable_zone", "0");
	ASSERT_TRUE(flag_names_symbol(&t, 5) == NULL, "5 unknown");
	flag_names_free(&t);
}

/* The running kernel's own table (needs tracefs). */
TEST(unit_flag_names_kernel_gfp, 0)
{
	struct flag_names t;
	char buf[256];
	int err = flag_names_load("vmscan", "mm_vmscan_direct_reclaim_begin", "__print_flags",
				  "gfp_flags", &t);

	if (err)
		test_skip("no readable tracefs format for vmscan:mm_vmscan_direct_reclaim_begin");
	test_log("%zu gfp names", t.n);
	ASSERT_GT(t.n, 20, "gfp names");
	ASSERT_STREQ(flag_names_format(&t, 0xcc0, buf, sizeof(buf)), "GFP_KERNEL", "0xcc0");
	flag_names_free(&t);
}
