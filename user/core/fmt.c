// SPDX-License-Identifier: GPL-2.0
/* Human-readable numbers and terminal-safe names (see fmt.h). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/fmt.h"
#include "core/strutil.h"

/* v scaled by step until one decimal of it stays below step: 1048575 bytes
 * reads "1.0 MiB", not "1024.0 KiB". */
static const char *fmt_scaled(uint64_t v, unsigned step, const char *const *units, int nunits,
			      const char *first, char *buf, size_t len)
{
	double d = v;
	int u = 0;

	if (v < step) {
		snprintf(buf, len, "%" PRIu64 " %s", v, first);
		return buf;
	}
	while (u < nunits && d >= step - 0.05) {
		d /= step;
		u++;
	}
	snprintf(buf, len, "%.1f %s", d, units[u - 1]);
	return buf;
}

const char *fmt_bytes(unsigned long long v, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

	return fmt_scaled(v, 1024, units, 6, "B", buf, len);
}

const char *fmt_duration_ns(uint64_t ns, char *buf, size_t len)
{
	/* Seconds are the last unit: "7200.0 s" is clearer in a latency
	 * report than hours would be. */
	static const char *const units[] = { "us", "ms", "s" };

	return fmt_scaled(ns, 1000, units, 3, "ns", buf, len);
}

/* Bytes of the character at s to copy as is, or 0 to escape s[0]. */
static size_t printable_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t l;

	if (s[0] < 0x20 || s[0] == 0x7f || s[0] == '\\')
		return 0;
	l = utf8_decode(s, n, &cp);
	if (!l || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return l;
}

const char *text_safe(const char *s, char *buf, size_t len)
{
	return text_safe_n(s, SIZE_MAX, buf, len);
}

const char *text_safe_n(const char *s, size_t max, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "?");
	size_t n = strnlen((const char *)p, s ? max : 1), i = 0, o = 0;

	if (!len)
		return buf;
	while (i < n) {
		size_t l = printable_len(p + i, n - i);
		char esc[5];
		const char *piece = (const char *)p + i;
		size_t plen = l;

		if (!l) {
			if (p[i] == '\\')
				memcpy(esc, "\\\\", plen = 2);
			else
				plen = snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			piece = esc;
			l = 1;
		}
		if (o + plen >= len)
			break;
		memcpy(buf + o, piece, plen);
		o += plen;
		i += l;
	}
	buf[o] = 0;
	return buf;
}
