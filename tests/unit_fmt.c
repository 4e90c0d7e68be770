// SPDX-License-Identifier: GPL-2.0
/* Human units at their edges, and terminal-safe text: exact escapes, cuts
 * at character boundaries, and random bytes that must come out printable,
 * valid UTF-8 and decodable back to the input. */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "core/fmt.h"
#include "core/strutil.h"

TEST(unit_fmt_bytes, 0)
{
	static const struct { unsigned long long v; const char *want; } cases[] = {
		{ 0, "0 B" }, { 1, "1 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" }, { 1048575, "1.0 MiB" }, { 1048576, "1.0 MiB" },
		{ 5ull << 40, "5.0 TiB" }, { 3ull << 50, "3.0 PiB" }, { UINT64_MAX, "16.0 EiB" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_STREQ(fmt_bytes(cases[i].v, buf, sizeof(buf)), cases[i].want, "fmt_bytes");
	ASSERT_STREQ(fmt_bytes(1536, buf, 4), "1.5", "cut to the buffer");
}

TEST(unit_fmt_duration, 0)
{
	static const struct { uint64_t v; const char *want; } cases[] = {
		{ 0, "0 ns" }, { 830, "830 ns" }, { 999, "999 ns" }, { 1000, "1.0 us" },
		{ 12500, "12.5 us" }, { 999940, "999.9 us" }, { 999960, "1.0 ms" },
		{ 3200000, "3.2 ms" }, { 1500000000, "1.5 s" }, { 7200000000000ull, "7200.0 s" },
		{ UINT64_MAX, "18446744073.7 s" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_STREQ(fmt_duration_ns(cases[i].v, buf, sizeof(buf)), cases[i].want,
			     "fmt_duration_ns");
}

TEST(unit_fmt_text_safe_escapes, 0)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "plain name", "plain name" },
		{ "a\x1b[31mred", "a\\x1b[31mred" },
		{ "bell\a", "bell\\x07" },
		{ "two\nlines\r\tx", "two\\x0alines\\x0d\\x09x" },
		{ "del\x7f", "del\\x7f" },
		{ "back\\slash", "back\\\\slash" },
		{ "na\xc3\xafve \xe2\x9c\x93 \xe6\x97\xa5\xf0\x9f\x94\xa5", "na\xc3\xafve \xe2\x9c\x93 \xe6\x97\xa5\xf0\x9f\x94\xa5" },
		{ "bad\xff", "bad\\xff" },
		{ "overlong\xc0\xaf", "overlong\\xc0\\xaf" },
		{ "cut\xe6\x97", "cut\\xe6\\x97" },
		{ "surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80" },
		{ "csi\xc2\x9b" "2J", "csi\\xc2\\x9b2J" },
		{ "nbsp\xc2\xa0", "nbsp\xc2\xa0" },
		{ "", "" },
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_STREQ(text_safe(cases[i].in, buf, sizeof(buf)), cases[i].want, cases[i].in);
	ASSERT_STREQ(text_safe(NULL, buf, sizeof(buf)), "?", "NULL");
}

TEST(unit_fmt_text_safe_truncation, 0)
{
	char buf[16];

	/* "abc" + an escape of 4 bytes does not fit in 5 with the NUL. */
	ASSERT_STREQ(text_safe("abc\x1b", buf, 5), "abc", "escape not split");
	ASSERT_STREQ(text_safe("abc\x1b", buf, 8), "abc\\x1b", "escape just fits");
	ASSERT_STREQ(text_safe("\xe6\x97\xa5\xe6\x9c\xac", buf, 4), "\xe6\x97\xa5", "one CJK char");
	ASSERT_STREQ(text_safe("\xe6\x97\xa5\xe6\x9c\xac", buf, 3), "", "character not split");
	ASSERT_STREQ(text_safe("a\\", buf, 3), "a", "backslash pair not split");
	ASSERT_STREQ(text_safe("abc", buf, 1), "", "room for the NUL only");
	buf[0] = 'x';
	text_safe("abc", buf, 0);
	ASSERT_EQ(buf[0], 'x', "len 0 writes nothing");
}

/* A comm as the kernel keeps it: 16 bytes, unterminated when full. */
TEST(unit_fmt_text_safe_n, 0)
{
	const char comm[16] = "\x1b]0;p\a\n\r\x7f\xff\xc0\xaf\x80\xc2\x9b\x1b";
	char buf[128];

	ASSERT_STREQ(text_safe_n(comm, sizeof(comm), buf, sizeof(buf)),
		     "\\x1b]0;p\\x07\\x0a\\x0d\\x7f\\xff\\xc0\\xaf\\x80\\xc2\\x9b\\x1b",
		     "all 16 bytes, no further");
	ASSERT_STREQ(text_safe_n("ab\0cd", 5, buf, sizeof(buf)), "ab", "up to a NUL");
	ASSERT_STREQ(text_safe_n("\xc2\x9b", 1, buf, sizeof(buf)), "\\xc2", "a character cut by n");
	ASSERT_STREQ(text_safe_n(NULL, 0, buf, sizeof(buf)), "?", "NULL");
}

/* Undo the escapes; false if out holds anything text_safe would not write. */
static bool unescape(const char *out, unsigned char *dst, size_t *n)
{
	size_t o = 0;

	while (*out) {
		if (*out != '\\') {
			dst[o++] = *out++;
			continue;
		}
		if (out[1] == '\\') {
			dst[o++] = '\\';
			out += 2;
			continue;
		}
		if (out[1] != 'x' || !out[2] || !out[3])
			return false;
		char hex[3] = { out[2], out[3], 0 };

		dst[o++] = strtoul(hex, NULL, 16);
		out += 4;
	}
	*n = o;
	return true;
}

TEST(unit_fmt_text_safe_random_bytes, 0)
{
	unsigned seed = 77;
	char full[64 * 4 + 1], cut[300];

	for (int iter = 0; iter < 20000; iter++) {
		unsigned char in[65], back[260];
		size_t n = rand_r(&seed) % 65, i, m, outlen, cutlen;
		bool ok = true;

		for (i = 0; i < n; i++) {
			/* Mostly printable, with control bytes, bits of UTF-8
			 * sequences and high bytes mixed in. */
			switch (rand_r(&seed) % 6) {
			case 0: in[i] = 1 + rand_r(&seed) % 0x1f; break;
			case 1: in[i] = 0x80 + rand_r(&seed) % 0x80; break;
			case 2: in[i] = "\xc3\xa9\xe2\x9c\x93\xf0\x9f\x94\xa5\xc2\x9b\\\x7f"[rand_r(&seed) % 13]; break;
			default: in[i] = 0x20 + rand_r(&seed) % 0x5f; break;
			}
		}
		in[n] = 0;
		text_safe((const char *)in, full, sizeof(full));
		outlen = strlen(full);
		for (i = 0; i < outlen && ok; i++)
			ok = (unsigned char)full[i] >= 0x20 && full[i] != 0x7f;
		if (!ASSERT_TRUE(ok, "no control byte in the output"))
			break;
		for (i = 0; i < outlen && ok; i += m) {
			uint32_t cp;

			m = utf8_decode((const unsigned char *)full + i, outlen - i, &cp);
			ok = m && !(cp >= 0x80 && cp <= 0x9f);
		}
		if (!ASSERT_TRUE(ok, "output is valid UTF-8 without C1 controls"))
			break;
		if (!ASSERT_TRUE(unescape(full, back, &m) && m == n && !memcmp(back, in, n),
				 "output decodes back to the input"))
			break;
		/* A smaller buffer gives a prefix of the same output, cut
		 * where a whole piece ends. */
		cutlen = 1 + rand_r(&seed) % (outlen + 2);
		text_safe((const char *)in, cut, cutlen);
		if (!ASSERT_TRUE(strlen(cut) < cutlen && !strncmp(cut, full, strlen(cut)),
				 "a cut output is a prefix"))
			break;
		ASSERT_TRUE(unescape(cut, back, &m), "a cut output has no broken escape");
		ASSERT_TRUE(strlen(cut) + 4 >= cutlen - 1 || strlen(cut) == outlen,
			    "cut no earlier than the last piece that fits");
	}
}
