/* SPDX-License-Identifier: GPL-2.0 */
/* The stack store's record, shared by BPF (lib/stack.bpf.h) and user space.
 *
 * A stack is stored under a 31-bit id taken from a 64-bit FNV-1a hash of
 * its frames. The kernel's stack-trace map refuses a stack whose bucket
 * holds another one (and the stack is lost); here two different stacks
 * share an id only if their hashes agree in 31 bits, and the full hash kept
 * in the record tells them apart, so that is detected and counted, not
 * merged. */
#ifndef MEMSCOPE_LIB_STACK_H
#define MEMSCOPE_LIB_STACK_H

/* User space gets the kernel's fixed-width types here; BPF programs have
 * them from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define STACK_DEPTH 127

struct stack_rec {
	__u64 hash;
	__u32 nr;		/* frames in ips */
	__u32 pad;
	__u64 ips[STACK_DEPTH];
};

#endif
