/* SPDX-License-Identifier: GPL-2.0 */
/* Set-associative tables in BPF arrays, shared by BPF (lib/table.bpf.h)
 * and user space (which reads them back): a key hashes to one bucket of
 * WAYS slots and lives in one of them. Array lookups are inlined by the
 * verifier, unlike hash-map updates, which matters on paths as hot as
 * every kernel allocation. Key 0 marks a free slot. */
#ifndef MEMSCOPE_LIB_TABLE_H
#define MEMSCOPE_LIB_TABLE_H

/* User space gets the kernel's fixed-width types here; BPF programs have
 * them from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The bucket of a key: Fibonacci hashing, since allocator addresses and
 * call sites share their low bits. mask = buckets - 1 (a power of two). */
static inline __u32 sa_bucket(__u64 key, __u32 mask)
{
	return (__u32)((key * 0x9E3779B97F4A7C15ULL) >> 40) & mask;
}

#endif
