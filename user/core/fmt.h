/* SPDX-License-Identifier: GPL-2.0 */
/* Numbers and names for people: byte counts and durations in short human
 * units, and names that come from traced processes (comm, paths, symbols)
 * made safe to print on a terminal. Every tool's text output goes through
 * these, so "1.5 MiB" and "12.5 us" read the same everywhere. */
#ifndef MEMSCOPE_FMT_H
#define MEMSCOPE_FMT_H

#include <stddef.h>
#include <stdint.h>

/* "512 B", "1.5 KiB", ... "16.0 EiB" into buf; returns buf. */
const char *fmt_bytes(unsigned long long v, char *buf, size_t len);

/* "830 ns", "12.5 us", "3.2 ms", "1.5 s", "7200.0 s" into buf; returns buf.
 * ASCII "us", not U+00B5: terminals and logs that are not UTF-8 still read
 * it. */
const char *fmt_duration_ns(uint64_t ns, char *buf, size_t len);

/* A copy of s safe to print on a terminal: control bytes (below 0x20, 0x7f,
 * and the C1 range U+0080..U+009F, which some terminals act on even
 * UTF-8-encoded), bytes that are not valid UTF-8 become "\xNN", a
 * backslash becomes "\\" (so an escape in the output always means the
 * input had that byte); valid UTF-8 is kept. NULL reads "?". The result is
 * always NUL-terminated (for len > 0) and, when it does not fit, cut
 * before the first character or escape that would not fit whole. Returns
 * buf. */
const char *text_safe(const char *s, char *buf, size_t len);
/* The same for the first n bytes of s at most (up to a NUL): a fixed-size
 * field such as a task's 16-byte comm, which need not be terminated. */
const char *text_safe_n(const char *s, size_t n, char *buf, size_t len);

#endif
