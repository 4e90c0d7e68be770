// SPDX-License-Identifier: GPL-2.0
/* JSON string escaping (core/json.c) against a checker of its own: the
 * output of json_write_string() and of a one-key record must be valid
 * JSON (RFC 8259) and valid UTF-8, and decoding it must give back the
 * input, each byte that is not part of a valid UTF-8 sequence replaced by
 * U+FFFD. The checker shares no code with memscope. */
#include <string.h>

#include "fuzz.h"
#include "core/json.h"

/* Length of the valid UTF-8 sequence at s[0..n) (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append code point cp as UTF-8. */
static size_t put_utf8(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | cp >> 12;
		o[1] = 0x80 | ((cp >> 6) & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | cp >> 18;
	o[1] = 0x80 | ((cp >> 12) & 0x3f);
	o[2] = 0x80 | ((cp >> 6) & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* Parse one JSON string at *p (inside s[0..n)), decoded into out (room for
 * 4 bytes per input byte); aborts on anything RFC 8259 does not allow.
 * Returns the decoded length and moves *p past the closing quote. */
static size_t parse_string(const unsigned char *s, size_t n, size_t *p, unsigned char *out)
{
	size_t i = *p, o = 0, k;

	if (i >= n || s[i] != '"')
		abort();
	i++;
	for (;;) {
		if (i >= n)
			abort();	/* unterminated */
		if (s[i] == '"')
			break;
		if (s[i] < 0x20)
			abort();	/* raw control character */
		if (s[i] == '\\') {
			unsigned cp = 0;

			if (i + 1 >= n)
				abort();
			switch (s[i + 1]) {
			case '"': case '\\': case '/':
				out[o++] = s[i + 1];
				i += 2;
				continue;
			case 'b': out[o++] = '\b'; i += 2; continue;
			case 'f': out[o++] = '\f'; i += 2; continue;
			case 'n': out[o++] = '\n'; i += 2; continue;
			case 'r': out[o++] = '\r'; i += 2; continue;
			case 't': out[o++] = '\t'; i += 2; continue;
			case 'u':
				break;
			default:
				abort();
			}
			if (i + 6 > n)
				abort();
			for (k = 2; k < 6; k++) {
				int h = hexval(s[i + k]);

				if (h < 0)
					abort();
				cp = cp << 4 | h;
			}
			i += 6;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo = 0;

				if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u')
					abort();	/* lone high surrogate */
				for (k = 2; k < 6; k++) {
					int h = hexval(s[i + k]);

					if (h < 0)
						abort();
					lo = lo << 4 | h;
				}
				if (lo < 0xdc00 || lo > 0xdfff)
					abort();
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				abort();	/* lone low surrogate */
			}
			o += put_utf8(out + o, cp);
			continue;
		}
		k = utf8_len(s + i, n - i);
		if (!k)
			abort();	/* not UTF-8 */
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	*p = i + 1;
	return o;
}

/* What the decoded string must be: in with each byte outside a valid
 * UTF-8 sequence as U+FFFD. */
static size_t expected(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0, k;

	while (i < n) {
		k = utf8_len(in + i, n - i);
		if (k) {
			memcpy(out + o, in + i, k);
			o += k;
			i += k;
		} else {
			o += put_utf8(out + o, 0xfffd);
			i++;
		}
	}
	return o;
}

static void check_string(const unsigned char *in, size_t n, const unsigned char *js,
			 size_t jn, size_t *p)
{
	unsigned char *got = malloc(4 * jn + 4), *want = malloc(3 * n + 4);
	size_t gl, wl;

	if (!got || !want)
		abort();
	gl = parse_string(js, jn, p, got);
	wl = expected(in, n, want);
	if (gl != wl || memcmp(got, want, gl))
		abort();	/* does not decode to the input */
	free(got);
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *in = data;
	char *buf = NULL;
	size_t len = 0, p = 0, split;
	struct json j;
	char *key;
	FILE *f;

	/* 1. One string, every byte (NULs too). */
	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	json_write_string(f, (const char *)data, size);
	fclose(f);
	check_string(in, size, (unsigned char *)buf, len, &p);
	if (p != len)
		abort();	/* trailing bytes */
	free(buf);

	/* 2. A record {"key":"value"} through the writer: the key is the
	 * input up to its first NUL, the value the rest. */
	key = fuzz_str(data, size);
	split = strlen(key);
	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	json_init(&j, f);
	json_obj_begin(&j);
	json_key(&j, key);
	json_strn(&j, size > split ? key + split + 1 : "", size > split ? size - split - 1 : 0);
	json_obj_end(&j);
	json_end_record(&j);
	fclose(f);
	p = 0;
	if (len < 2 || buf[p++] != '{')
		abort();
	check_string(in, split, (unsigned char *)buf, len, &p);
	if (p >= len || buf[p++] != ':')
		abort();
	check_string(size > split ? in + split + 1 : in, size > split ? size - split - 1 : 0,
		     (unsigned char *)buf, len, &p);
	if (p + 2 != len || buf[p] != '}' || buf[p + 1] != '\n')
		abort();
	free(buf);
	free(key);
	return 0;
}
