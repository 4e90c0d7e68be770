/* SPDX-License-Identifier: GPL-2.0 */
/* Small string helpers shared by the output writers and the symbolizers. */
#ifndef MEMSCOPE_STRUTIL_H
#define MEMSCOPE_STRUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid UTF-8 sequence at s (n bytes available) and
 * its code point in *cp (may be NULL), or 0 when it is not valid UTF-8:
 * no overlong forms, surrogates or values past U+10FFFF. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Lowercase hex of n bytes, malloc'd; NULL when out of memory. */
char *hex_alloc(const unsigned char *b, size_t n);

#endif
