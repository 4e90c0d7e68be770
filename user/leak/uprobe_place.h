/* SPDX-License-Identifier: GPL-2.0 */
/* Where `memscope leak` puts its uprobes: which object of a process (or of a
 * command about to start) serves malloc & co., where each allocator
 * function starts in it, and at which instruction near that start a probe
 * is cheap.
 *
 * Why the instruction matters (x86-64): the kernel emulates only a few
 * instructions at a probe (relative jmp/jcc/call, push reg, nop) and runs
 * every other one single-stepped out of line, about 35x slower per hit
 * (~0.45 us against ~16 us here, see KERNEL.md "Uprobes: cost"). glibc's
 * free() starts with `test %rdi,%rdi`: probing free+0 costs more than all
 * the rest of a malloc/free tracer. Moving the probe past instructions that
 * change nothing the probe reads onto the first emulated one keeps the
 * arguments its program reads, the stack pointer and the return address
 * exactly as they were at entry, so the same offset also serves a
 * uretprobe. Such instructions are those that write only flags (test, cmp,
 * nop, endbr64) and, per function, plain register arithmetic into
 * registers its entry program does not read: jemalloc's free() starts with
 * `mov %rdi,%rax`, and its first emulated instruction is 11 further on. */
#ifndef MEMSCOPE_UPROBE_PLACE_H
#define MEMSCOPE_UPROBE_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the probes go: the object found by alloc_object_for_pid/_command. */
#include "leak/alloc_object.h"

/* memalign comes before aligned_alloc: where both are one function (glibc
 * makes aligned_alloc an alias of memalign), the lower index is the one
 * attached and the other names it in alias_of. */
enum alloc_fn {
	AF_MALLOC,
	AF_CALLOC,
	AF_REALLOC,
	AF_REALLOCARRAY,
	AF_POSIX_MEMALIGN,
	AF_MEMALIGN,
	AF_ALIGNED_ALLOC,
	AF_VALLOC,
	AF_PVALLOC,
	AF_FREE,
	AF_MMAP,
	AF_MUNMAP,
	AF_MREMAP,
	/* The C allocator functions above are looked up in the object that
	 * serves malloc (uprobe_plan() plans these); the entry points below
	 * in whichever object the dynamic linker binds them to. */
	AF_NR,
	/* jemalloc's non-standard API (the -S prefix applies to them too) */
	AF_MALLOCX = AF_NR,
	AF_RALLOCX,
	AF_XALLOCX,
	AF_SDALLOCX,
	AF_DALLOCX,
	/* gperftools tcmalloc's tc_* names: in its libraries the same
	 * functions as malloc, operator new, ... (aliases), where a program
	 * may call them directly */
	AF_TC_MALLOC,
	AF_TC_MALLOC_SKIP_NEW_HANDLER,
	AF_TC_CALLOC,
	AF_TC_REALLOC,
	AF_TC_MEMALIGN,
	AF_TC_POSIX_MEMALIGN,
	AF_TC_VALLOC,
	AF_TC_PVALLOC,
	AF_TC_FREE,
	AF_TC_CFREE,
	AF_TC_FREE_SIZED,
	AF_TC_NEW,
	AF_TC_NEWARRAY,
	AF_TC_NEW_NOTHROW,
	AF_TC_NEWARRAY_NOTHROW,
	AF_TC_NEW_ALIGNED,
	AF_TC_NEWARRAY_ALIGNED,
	AF_TC_NEW_ALIGNED_NOTHROW,
	AF_TC_NEWARRAY_ALIGNED_NOTHROW,
	AF_TC_DELETE,
	AF_TC_DELETEARRAY,
	AF_TC_DELETE_SIZED,
	AF_TC_DELETEARRAY_SIZED,
	AF_TC_DELETE_NOTHROW,
	AF_TC_DELETEARRAY_NOTHROW,
	AF_TC_DELETE_ALIGNED,
	AF_TC_DELETEARRAY_ALIGNED,
	AF_TC_DELETE_SIZED_ALIGNED,
	AF_TC_DELETEARRAY_SIZED_ALIGNED,
	AF_TC_DELETE_ALIGNED_NOTHROW,
	AF_TC_DELETEARRAY_ALIGNED_NOTHROW,
	/* C++ (Itanium ABI, 64-bit size_t): every replaceable global
	 * allocation and deallocation function. Placement new allocates
	 * nothing and is inline. */
	AF_NEW,				/* _Znwm */
	AF_NEW_ARRAY,			/* _Znam */
	AF_NEW_NOTHROW,			/* _ZnwmRKSt9nothrow_t */
	AF_NEW_ARRAY_NOTHROW,
	AF_NEW_ALIGNED,			/* _ZnwmSt11align_val_t */
	AF_NEW_ARRAY_ALIGNED,
	AF_NEW_ALIGNED_NOTHROW,
	AF_NEW_ARRAY_ALIGNED_NOTHROW,
	AF_DELETE,			/* _ZdlPv */
	AF_DELETE_ARRAY,		/* _ZdaPv */
	AF_DELETE_SIZED,		/* _ZdlPvm */
	AF_DELETE_ARRAY_SIZED,
	AF_DELETE_ALIGNED,		/* _ZdlPvSt11align_val_t */
	AF_DELETE_ARRAY_ALIGNED,
	AF_DELETE_SIZED_ALIGNED,	/* _ZdlPvmSt11align_val_t */
	AF_DELETE_ARRAY_SIZED_ALIGNED,
	AF_DELETE_NOTHROW,		/* _ZdlPvRKSt9nothrow_t */
	AF_DELETE_ARRAY_NOTHROW,
	AF_DELETE_ALIGNED_NOTHROW,
	AF_DELETE_ARRAY_ALIGNED_NOTHROW,
	AF_ALL_NR
};

/* What a function does, as the BPF side sees it: the entry program that
 * serves it (leak.bpf.c has one per class). */
enum alloc_class {
	CLS_MALLOC,		/* size in arg 0, the block returned */
	CLS_CALLOC,
	CLS_REALLOC,
	CLS_REALLOCARRAY,
	CLS_POSIX_MEMALIGN,
	CLS_MEMALIGN,
	CLS_ALIGNED_ALLOC,
	CLS_VALLOC,
	CLS_PVALLOC,
	CLS_FREE,		/* the block in arg 0 */
	CLS_MMAP,
	CLS_MUNMAP,
	CLS_MREMAP,
	CLS_NEW,			/* like malloc, counted as operator new */
	CLS_NEW_ARRAY,
	CLS_DELETE,		/* like free, and calls free (libstdc++): the
				 * free inside is not counted again */
	CLS_MALLOCX,
	CLS_RALLOCX,
	CLS_XALLOCX,
	CLS_NR
};

/* Which groups of functions a lookup covers (uprobe_plan_object()). */
enum alloc_group {
	AG_C = 1 << 0,		/* malloc ... mremap */
	AG_JEMALLOC = 1 << 1,
	AG_TCMALLOC = 1 << 2,
	AG_CXX = 1 << 3,
	AG_ALL = AG_C | AG_JEMALLOC | AG_TCMALLOC | AG_CXX,
};

/* "malloc", ... (without any prefix); "?" when out of range. */
/* The symbol without any prefix ("malloc", "_Znwm", "tc_new", ...); "?"
 * when out of range. */
const char *alloc_fn_name(enum alloc_fn fn);
/* What it is in C++ terms ("operator new(size_t)"), or NULL for C names. */
const char *alloc_fn_cxx(enum alloc_fn fn);
enum alloc_class alloc_fn_class(enum alloc_fn fn);
enum alloc_group alloc_fn_group(enum alloc_fn fn);

/* x86-64 general registers as a set: bit n for the register the
 * instruction encoding numbers n (which is also pt_regs' argument order
 * rdi, rsi, rdx, rcx, r8 mapped to bits 7, 6, 2, 1, 8). A register stands
 * for all of its parts: writing edi, di or dil changes rdi. */
enum uprobe_reg {
	UREG_RAX = 1 << 0,
	UREG_RCX = 1 << 1,
	UREG_RDX = 1 << 2,
	UREG_RBX = 1 << 3,
	UREG_RSP = 1 << 4,
	UREG_RBP = 1 << 5,
	UREG_RSI = 1 << 6,
	UREG_RDI = 1 << 7,
	UREG_R8 = 1 << 8,
	UREG_R9 = 1 << 9,
	UREG_R10 = 1 << 10,
	UREG_R11 = 1 << 11,
	UREG_R12 = 1 << 12,
	UREG_R13 = 1 << 13,
	UREG_R14 = 1 << 14,
	UREG_R15 = 1 << 15,
	UREG_ALL = 0xffff,
};

/* The registers the entry program of a class reads at its probe
 * (bpf/leak.bpf.c): its arguments, and rsp (the stack pointer that pairs
 * entry and return, and the return address at it). 0 for CLS_NR. */
unsigned alloc_class_reads(enum alloc_class cls);

struct probe_site {
	bool found;		/* a function of that name is defined in the object */
	int obj;		/* index of its object in the plan (uprobe_plan_add) */
	uint64_t entry;		/* file offset of the function entry (what uprobe
				 * perf events and libbpf's func_offset take) */
	int offset;		/* probe at entry + offset; < 0: no safe place, do
				 * not attach (why says why) */
	bool emulated;		/* the kernel emulates the probed instruction on
				 * every kernel since 4.15 (cheap) */
	bool ret_ok;		/* a uretprobe may share this offset: rsp and the
				 * return address are untouched before it */
	int alias_of;		/* -1, or the lower alloc_fn with the same entry in
				 * the same object: attach that one only, once */
	char insn[64];		/* the probed instruction, for -v (Intel syntax,
				 * branch targets relative to the entry) */
	const char *why;	/* one-line reason for the choice */
};

/* Choose the probe offset among a function's first bytes (code[0] is the
 * entry, len bytes of it; give the whole function where known) for a
 * probe that reads the registers reads (enum uprobe_reg; rsp is always
 * read; UREG_ALL: any register). Takes the first instruction that every
 * kernel since 4.15 emulates (rel8/rel32 jmp/jcc, call rel32, push reg, a
 * lone 0x90), skipping only instructions that neither branch nor write
 * memory, rsp or a register in reads: those that write only flags (test,
 * cmp, nop of any length, pause, endbr64), and plain register arithmetic
 * (mov, movzx/movsx, lea, add, sub, and, or, xor, shifts, ...) into other
 * general registers, with no lock or rep prefix and no segment register
 * among its operands (loads through fs/gs, as TLS is read, are allowed).
 * Such an instruction runs before the probe instead of after it: the
 * program sees the same arguments and stack. Multi-byte NOPs are
 * skipped, never chosen: 6.16+ emulates the x86_nops patterns and 6.18
 * optimizes a 5-byte one, but 6.1 single-steps them all, and a push or
 * branch right after them is cheap everywhere.
 *
 * When none is found before the first instruction that cannot be skipped,
 * the probe goes to the first instruction the kernel accepts in the run
 * before it, normally +0 (single-stepped, emulated = false).
 * Fills offset, emulated, ret_ok, insn and why of out; leaves the rest.
 * Returns the offset, or -EINVAL when no instruction up to the first one
 * that cannot be skipped can be probed safely (a prefix the kernel refuses, a word-sized
 * branch, `41 90` which kernels through 6.18 wrongly emulate as a nop,
 * undecodable bytes), -ENOMEM if the disassembler cannot start. */
int uprobe_choose_offset(const uint8_t *code, size_t len, unsigned reads,
			 struct probe_site *out);

/* Lowest target t, lo < t <= hi, of a direct jmp, jcc, call or loop in code
 * (a function body decoded from its entry at offset 0); -1 if none. A
 * probe at +k is only right if nothing jumps into (0, k]: it would fire
 * again without a new call, and on a stack a uretprobe cannot read. */
int uprobe_branch_into(const uint8_t *code, size_t len, int lo, int hi);

/* Plan the sites of all alloc_fn in the object at path; symbols are
 * prefix + name (prefix NULL or "" for none, "je_" for a jemalloc built
 * with a prefix). Looks in .dynsym then .symtab, reads each function's
 * bytes, chooses its offset for what its class's program reads
 * (alloc_class_reads()), and moves it back to the entry side of any
 * branch from inside the function into the skipped bytes. Functions that
 * are not there have found = false. Objects for other machines than
 * x86-64 get offset 0 (no placement rules there). Returns how many
 * functions were found, or -errno (-ENOEXEC: not an ELF file). */
int uprobe_plan(const char *path, const char *prefix, struct probe_site sites[AF_NR]);

/* Every entry point of a process, over several objects. */
#define UPROBE_PLAN_MAX_OBJS 16

struct uprobe_plan {
	int nobj;
	char *obj[UPROBE_PLAN_MAX_OBJS];	/* paths usable from here */
	struct probe_site sites[AF_ALL_NR];
};

void uprobe_plan_init(struct uprobe_plan *p);
void uprobe_plan_free(struct uprobe_plan *p);

/* Plan, in the object at path, the functions of the groups asked for that
 * no object added before defines (the dynamic linker binds a name to its
 * first definition in search order: add objects in that order). The -S
 * prefix applies to the C and jemalloc names only. dynsym_only: only what
 * the dynamic linker sees (a shared object); else .symtab too (the object
 * serving malloc, a static executable). Code bytes are read from the file
 * itself, never from a mapping of it: a private mapping shows the int3 of
 * any uprobe another tracer has put there. Returns how many functions it
 * newly planned there (0: the object is not kept), or -errno. */
int uprobe_plan_add(struct uprobe_plan *p, const char *path, const char *prefix,
		    unsigned groups, bool dynsym_only);

/* Done planning: give back the disassembler's memory (see uprobe_insn.c). */
void uprobe_place_release(void);

#endif
