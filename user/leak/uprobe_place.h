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
 * change nothing a probe can see (test, cmp, nop, endbr64) onto the first
 * emulated one keeps the arguments, the stack pointer and the return
 * address exactly as they were at entry, so the same offset also serves a
 * uretprobe. */
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
	AF_NR
};

/* "malloc", ... (without any prefix); "?" when out of range. */
const char *alloc_fn_name(enum alloc_fn fn);

struct probe_site {
	bool found;		/* a function of that name is defined in the object */
	uint64_t entry;		/* file offset of the function entry (what uprobe
				 * perf events and libbpf's func_offset take) */
	int offset;		/* probe at entry + offset; < 0: no safe place, do
				 * not attach (why says why) */
	bool emulated;		/* the kernel emulates the probed instruction on
				 * every kernel since 4.15 (cheap) */
	bool ret_ok;		/* a uretprobe may share this offset: rsp and the
				 * return address are untouched before it */
	int alias_of;		/* -1, or the lower alloc_fn with the same entry:
				 * attach that one only, once */
	char insn[64];		/* the probed instruction, for -v (Intel syntax,
				 * branch targets relative to the entry) */
	const char *why;	/* one-line reason for the choice */
};

/* Choose the probe offset among a function's first bytes (code[0] is the
 * entry, len bytes of it; give the whole function where known). Takes the
 * first instruction that every kernel since 4.15 emulates (rel8/rel32
 * jmp/jcc, call rel32, push reg, a lone 0x90), skipping only instructions
 * that neither branch nor write registers other than flags, memory or the
 * stack (test, cmp, nop of any length, pause, endbr64). Multi-byte NOPs are
 * skipped, never chosen: 6.16+ emulates the x86_nops patterns and 6.18
 * optimizes a 5-byte one, but 6.1 single-steps them all, and a push or
 * branch right after them is cheap everywhere.
 *
 * When none is found before the first instruction with a side effect, the
 * probe goes to the first instruction the kernel accepts in that
 * side-effect-free run, normally +0 (single-stepped, emulated = false).
 * Fills offset, emulated, ret_ok, insn and why of out; leaves the rest.
 * Returns the offset, or -EINVAL when no instruction up to the first side
 * effect can be probed safely (a prefix the kernel refuses, a word-sized
 * branch, `41 90` which kernels through 6.18 wrongly emulate as a nop,
 * undecodable bytes), -ENOMEM if the disassembler cannot start. */
int uprobe_choose_offset(const uint8_t *code, size_t len, struct probe_site *out);

/* Lowest target t, lo < t <= hi, of a direct jmp, jcc, call or loop in code
 * (a function body decoded from its entry at offset 0); -1 if none. A
 * probe at +k is only right if nothing jumps into (0, k]: it would fire
 * again without a new call, and on a stack a uretprobe cannot read. */
int uprobe_branch_into(const uint8_t *code, size_t len, int lo, int hi);

/* Plan the sites of all alloc_fn in the object at path; symbols are
 * prefix + name (prefix NULL or "" for none, "je_" for a jemalloc built
 * with a prefix). Looks in .dynsym then .symtab, reads each function's
 * bytes, chooses its offset, and moves it back to the entry side of any
 * branch from inside the function into the skipped bytes. Functions that
 * are not there have found = false. Objects for other machines than
 * x86-64 get offset 0 (no placement rules there). Returns how many
 * functions were found, or -errno (-ENOEXEC: not an ELF file). */
int uprobe_plan(const char *path, const char *prefix, struct probe_site sites[AF_NR]);

/* Done planning: give back the disassembler's memory (see uprobe_place.c). */
void uprobe_place_release(void);

#endif
