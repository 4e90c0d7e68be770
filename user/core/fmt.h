/* SPDX-License-Identifier: GPL-2.0 */
/* Formatting for people (interim: see the syms-out branch). */
#ifndef MEMSCOPE_FMT_H
#define MEMSCOPE_FMT_H

#include <stddef.h>

/* s made safe for a terminal: control bytes, backslash and invalid UTF-8
 * as \xNN; NULL -> "?". Returns buf. */
const char *text_safe(const char *s, char *buf, size_t len);

#endif
