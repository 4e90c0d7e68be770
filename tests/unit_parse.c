// SPDX-License-Identifier: GPL-2.0
/* Command-line value parsers. */
#include <errno.h>

#include "harness.h"
#include "core/parse.h"

TEST(unit_parse_u64, 0)
{
	uint64_t v = 7;

	ASSERT_OK(parse_u64("42", 0, 100, &v), "42");
	ASSERT_EQ(v, 42, "value");
	ASSERT_EQ(parse_u64("101", 0, 100, &v), -ERANGE, "above max");
	ASSERT_EQ(parse_u64("0", 1, 100, &v), -ERANGE, "below min");
	ASSERT_EQ(parse_u64("", 0, 100, &v), -EINVAL, "empty");
	ASSERT_EQ(parse_u64("-1", 0, 100, &v), -EINVAL, "negative");
	ASSERT_EQ(parse_u64(" 1", 0, 100, &v), -EINVAL, "leading space");
	ASSERT_EQ(parse_u64("1x", 0, 100, &v), -EINVAL, "trailing junk");
	ASSERT_EQ(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE, "overflow");
	ASSERT_EQ(parse_u64(NULL, 0, 1, &v), -EINVAL, "NULL");
	ASSERT_EQ(v, 42, "untouched on error");
}

TEST(unit_parse_size, 0)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "4k", 4096 }, { "4K", 4096 },
		{ "4KiB", 4096 }, { "1m", 1 << 20 }, { "64MB", 64ULL << 20 },
		{ "2G", 2ULL << 30 }, { "1t", 1ULL << 40 }, { "7b", 7 },
	};
	static const char *const bad[] = { "", "k", "4q", "4 k", "-4k", "4kk", "1.5M" };
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ASSERT_OK(parse_size(ok[i].s, &v), ok[i].s);
		ASSERT_EQ(v, ok[i].v, ok[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(parse_size(bad[i], &v), -EINVAL, bad[i]);
	ASSERT_EQ(parse_size("17179869184G", &v), -ERANGE, "overflow after shift");
}

TEST(unit_parse_pid, 0)
{
	pid_t p;

	ASSERT_OK(parse_pid("1", &p), "1");
	ASSERT_EQ(p, 1, "pid");
	ASSERT_EQ(parse_pid("0", &p), -ERANGE, "0 is not a pid");
	ASSERT_EQ(parse_pid("4194305", &p), -ERANGE, "above PID_MAX_LIMIT");
	ASSERT_EQ(parse_pid("12ab", &p), -EINVAL, "junk");
}
