/* SPDX-License-Identifier: GPL-2.0 */
/* Call-frame unwinding in BPF: the records user space writes (from the
 * objects' .eh_frame, user/syms/cfi.c) and lib/unwind.bpf.h walks.
 *
 * An object's table is a sorted run of rows, one per address range with
 * the same rule: where the caller's frame (the CFA) is, and where the
 * caller's rbp was saved. On x86-64 the return address is always at
 * CFA - 8. A process's executable mappings name their object's run and
 * the load bias that turns an address into the object's own. */
#ifndef MEMSCOPE_LIB_UNWIND_H
#define MEMSCOPE_LIB_UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum unw_rule {
	UNW_NONE,	/* no call-frame information here: walk the frame pointer */
	UNW_END,	/* the outermost frame (the return address is undefined) */
	UNW_CFA_SP,	/* CFA = rsp + cfa_off */
	UNW_CFA_BP,	/* CFA = rbp + cfa_off */
};

#define UNW_RULE_MASK 0x7
#define UNW_BP_SAVED 0x8	/* the caller's rbp is at CFA + bp_off * 8 */

struct unw_row {
	__u32 pc;		/* first address of the range, object-relative */
	__s16 cfa_off;
	__s8 bp_off;		/* in units of 8 bytes */
	__u8 rule;		/* enum unw_rule | UNW_BP_SAVED */
};

/* Objects: where their run of rows starts in the row array. */
struct unw_obj {
	__u32 first;
	__u32 count;
};

/* One executable mapping of the traced process. Table `unw_maps` holds
 * two sorted sets of UNW_MAPS_MAX; user space fills the one not in use,
 * then flips unw_cur (lib/unwind.bpf.h). */
struct unw_map {
	__u64 start, end;
	__u64 bias;		/* object address = address - bias */
	__u32 obj;		/* index in unw_objs; UNW_NO_OBJ: no table */
	__u32 pad;
};

#define UNW_MAPS_MAX 512
#define UNW_OBJS_MAX 1024
#define UNW_NO_OBJ 0xffffffffu
/* Steps of a binary search over at most 2^UNW_SEARCH_STEPS entries. */
#define UNW_SEARCH_STEPS 26

#endif
