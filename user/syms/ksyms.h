/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbolization from /proc/kallsyms: "function+offset" and the
 * module for addresses of kernel stacks. It does not keep /proc/kallsyms
 * in memory: each batch of addresses not seen before is resolved in one
 * streaming pass and the answers are cached. Not thread-safe.
 *
 * Whatever fails (kallsyms masked or unreadable, addresses hidden, no
 * memory, no ksyms object at all), every frame asked for is filled in, with
 * the address alone if need be: a caller can always print what it got. */
#ifndef MEMSCOPE_KSYMS_H
#define MEMSCOPE_KSYMS_H

#include <stddef.h>
#include <stdint.h>

#include "syms/frame.h"

struct ksyms;

/* NULL + errno: EPERM when /proc/kallsyms hides addresses from us (every
 * address reads 0: kptr_restrict, or not root with perf_event_paranoid >
 * 1, or CAP_BPF+CAP_PERFMON without CAP_SYSLOG); ENOENT or EACCES when it
 * cannot be read; ENODATA when it holds no text symbol (masked with an
 * empty file, as container runtimes do). */
struct ksyms *ksyms_new(void);
/* The same from another file in kallsyms' format (tests). */
struct ksyms *ksyms_new_from(const char *path);

/* Resolve n kernel addresses into out[0..n-1]; the addresses not resolved
 * before take one pass over kallsyms together. out[i].sym is NULL for an
 * address no text symbol covers. Returns 0 or a negative errno (-EPERM:
 * addresses are hidden now; -EINVAL: k, addrs or out is NULL); out, when
 * not NULL, is always filled in: on error with the addresses alone (zeros
 * if addrs is NULL). */
int ksyms_resolve(struct ksyms *k, const uint64_t *addrs, size_t n, struct sym_frame *out);

void ksyms_free(struct ksyms *k);

#endif
