// SPDX-License-Identifier: GPL-2.0
/* Interim: replaced by the syms-out branch's core/fmt. */
#include <stdio.h>

#include "core/fmt.h"
#include "core/strutil.h"

const char *text_safe(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return buf;
	if (!s)
		s = "?";
	while (*s && o + 5 < len) {
		unsigned char c = *s;
		size_t n = utf8_decode((const unsigned char *)s, 4, NULL);

		if (c >= 0x20 && c != 0x7f && c != '\\' && n) {
			for (size_t i = 0; i < n; i++)
				buf[o++] = s[i];
			s += n;
			continue;
		}
		if (c == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
		} else {
			o += snprintf(buf + o, len - o, "\\x%02x", c);
		}
		s++;
	}
	buf[o] = 0;
	return buf;
}
