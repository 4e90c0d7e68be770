/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsers for command-line values: the whole string must be a value
 * in range, or the call fails with -EINVAL/-ERANGE and leaves *out alone. */
#ifndef MEMSCOPE_PARSE_H
#define MEMSCOPE_PARSE_H

#include <stdint.h>
#include <sys/types.h>

/* Decimal unsigned integer within [min, max]. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A size in bytes with an optional binary suffix: 4096, 4k, 64K, 1M, 2G
 * (also KiB/MiB/GiB, kb/mb/gb: all powers of 1024). */
int parse_size(const char *s, uint64_t *out);

/* A process id: a positive integer up to the kernel's PID maximum. */
int parse_pid(const char *s, pid_t *out);

#endif
