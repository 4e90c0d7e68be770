/* SPDX-License-Identifier: GPL-2.0 */
/* Where kernel types changed across the kernels memscope runs on, the
 * older shape is declared here as a CO-RE "flavor" (a ___suffix that
 * libbpf strips when matching types) and the right one is chosen at load
 * time with bpf_core_*_exists(). Each fix names the kernel change that
 * made it necessary. Tracepoint arguments read by position are not fixed
 * here: they are checked against BTF before loading (the tool's
 * tracepoint contracts, run/attach.h) and the next program variant is
 * loaded instead. */
#ifndef MEMSCOPE_LIB_CORE_FIXES_BPF_H
#define MEMSCOPE_LIB_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* Kernel 5.5, commit 67c0496e87d1 ("kernfs: convert kernfs_node->id from
 * union kernfs_node_id to u64"): before it the id was a union of
 * {ino, generation} and a u64. A cgroup's id (what user space gets as the
 * inode of its directory and what bpf_get_current_cgroup_id() returns) is
 * that u64 in both. */
union kernfs_node_id___old {
	struct {
		__u32 ino;
		__u32 generation;
	};
	__u64 id;
} __attribute__((preserve_access_index));

struct kernfs_node___old {
	union kernfs_node_id___old id;
} __attribute__((preserve_access_index));

static __always_inline __u64 kernfs_node_id(struct kernfs_node *kn)
{
	if (bpf_core_type_exists(union kernfs_node_id___old))
		return BPF_CORE_READ((struct kernfs_node___old *)kn, id.id);
	return BPF_CORE_READ(kn, id);
}

/* The memory controller's index in task->cgroups->subsys[]: an enum value
 * whose number depends on the kernel's configuration (and that does not
 * exist without CONFIG_MEMCG). -1 when absent. */
static __always_inline int memory_subsys_id(void)
{
	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return -1;
	return bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
}

/* A folio's order (log2 of its pages). Kernel 6.6, "mm: free up a word in
 * the first tail page" (Matthew Wilcox): the order moved from the
 * _folio_order byte into the low byte of _flags_1. Either way it is only
 * there for a large folio: PG_head set in flags. flags is an unsigned
 * long in 6.1 and 6.12 and a struct of one, memdesc_flags_t, in 6.18
 * (checked in the kernels' BTF); CO-RE cannot relocate one as the other,
 * but it is the first word of struct folio (and page) on every kernel:
 * read there. */
struct folio___old {
	unsigned char _folio_order;
} __attribute__((preserve_access_index));

static __always_inline unsigned int folio_order_of(struct folio *folio)
{
	__u64 flags = 0;

	bpf_probe_read_kernel(&flags, sizeof(flags), folio);
	if (!(flags & (1ULL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 0;
	if (bpf_core_field_exists(struct folio___old, _folio_order))
		return BPF_CORE_READ((struct folio___old *)folio, _folio_order);
	return BPF_CORE_READ(folio, _flags_1) & 0xff;
}

#endif
