// SPDX-License-Identifier: GPL-2.0
/* JSON writer: escaping, UTF-8 handling, structure. Every output is checked
 * by parsing it back with the strict test parser. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "core/json.h"
#include "jsonp.h"

/* Write s[0..n) as a JSON string into a heap buffer. */
static char *escaped(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_write_string(f, s, n);
	fclose(f);
	return buf;
}

TEST(unit_json_control_bytes, 0)
{
	for (int c = 0; c < 0x20; c++) {
		char in[3] = { 'a', (char)c, 'b' }, what[64];
		char *out = escaped(in, 3);
		const char *err = NULL;
		struct jv *v = jv_parse(out, strlen(out), &err);

		snprintf(what, sizeof(what), "byte 0x%02x parses (%s)", c, out);
		if (ASSERT_TRUE(v, what)) {
			ASSERT_EQ(v->len, 3, "decoded length");
			ASSERT_EQ((unsigned char)v->s[1], c, "byte round-trips");
		}
		jv_free(v);
		free(out);
	}
}

TEST(unit_json_quotes_and_backslash, 0)
{
	char *out = escaped("a\"b\\c/", 6);

	ASSERT_STREQ(out, "\"a\\\"b\\\\c/\"", "escaped form");
	free(out);
}

TEST(unit_json_utf8, 0)
{
	/* Valid multibyte text stays as is. */
	char *out = escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14);

	ASSERT_STREQ(out, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "valid UTF-8 kept");
	free(out);

	/* Invalid bytes become U+FFFD, one per bad byte. */
	out = escaped("a\xff" "b\xc3" "c\xed\xa0\x80", 8);
	ASSERT_STREQ(out, "\"a\\ufffdb\\ufffdc\\ufffd\\ufffd\\ufffd\"", "invalid UTF-8 replaced");
	free(out);

	/* Overlong encoding of '/' is invalid too. */
	out = escaped("\xc0\xaf", 2);
	ASSERT_STREQ(out, "\"\\ufffd\\ufffd\"", "overlong rejected");
	free(out);
}

/* DEL and the C1 controls (U+0080..U+009F, which terminals may act on
 * even UTF-8-encoded: U+009B is CSI) are escaped; they decode to the same
 * bytes. U+00A0 just past them stays as it is. */
TEST(unit_json_del_and_c1, 0)
{
	char *out = escaped("a\x7f\xc2\x80\xc2\x9b[2J\xc2\x9f\xc2\xa0", 13);
	const char *err = NULL;
	struct jv *v;

	ASSERT_STREQ(out, "\"a\\u007f\\u0080\\u009b[2J\\u009f\xc2\xa0\"", "escaped form");
	v = jv_parse(out, strlen(out), &err);
	if (ASSERT_TRUE(v, "parses"))
		ASSERT_TRUE(v->len == 13 && !memcmp(v->s, "a\x7f\xc2\x80\xc2\x9b[2J\xc2\x9f\xc2\xa0", 13),
			    "decodes to the same bytes");
	jv_free(v);
	free(out);
}

/* Any byte string at all must come out as valid JSON. */
TEST(unit_json_random_bytes_always_valid, 0)
{
	unsigned seed = 12345;

	for (int round = 0; round < 2000; round++) {
		char in[64];
		size_t n = rand_r(&seed) % sizeof(in);
		const char *err = NULL;
		struct jv *v;
		char *out;

		for (size_t i = 0; i < n; i++)
			in[i] = (char)rand_r(&seed);
		out = escaped(in, n);
		v = jv_parse(out, strlen(out), &err);
		if (!ASSERT_TRUE(v, "random bytes give valid JSON")) {
			test_log("round %d: %s (%s)", round, out, err);
			free(out);
			break;
		}
		jv_free(v);
		free(out);
	}
}

TEST(unit_json_writer_structure, 0)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "type", "x");
	json_ku64(&j, "big", UINT64_MAX);
	json_ki64(&j, "neg", -5);
	json_kdouble(&j, "ratio", 0.25);
	json_kdouble(&j, "nan", 0.0 / 0.0);
	json_key(&j, "arr");
	json_arr_begin(&j);
	json_u64(&j, 1);
	json_obj_begin(&j);
	json_key(&j, "n");
	json_null(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_key(&j, "s");
	json_str(&j, NULL);
	json_obj_end(&j);
	json_end_record(&j);
	/* A second record starts clean. */
	json_obj_begin(&j);
	json_kbool(&j, "b", true);
	json_obj_end(&j);
	json_end_record(&j);
	fclose(f);

	ASSERT_STREQ(buf,
		     "{\"type\":\"x\",\"big\":18446744073709551615,\"neg\":-5,\"ratio\":0.25,"
		     "\"nan\":null,\"arr\":[1,{\"n\":null},[]],\"s\":null}\n"
		     "{\"b\":true}\n", "records");
	free(buf);
}
