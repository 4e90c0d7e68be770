// SPDX-License-Identifier: GPL-2.0
/* Uprobe placement: the offset chooser on byte patterns (the entries of
 * glibc's allocator functions and the kernel's corner cases), and planning
 * on real files: this machine's glibc, a static executable, broken ELF. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <capstone/capstone.h>

#include "harness.h"
#include "run.h"
#include "syms/elfsym.h"
#include "leak/uprobe_place.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

struct pattern {
	const char *name;
	uint8_t code[64];
	size_t len;
	int offset;		/* expected offset, or -EINVAL */
	bool emulated;
	const char *insn;	/* expected start of the instruction text, or NULL */
	unsigned reads;		/* what the probe reads (enum uprobe_reg); 0: every
				 * register, so that only flags may be written */
};

#define BYTES(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

static void check_patterns(const struct pattern *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct probe_site s;
		char what[128];
		int ret;

		memset(&s, 0, sizeof(s));
		ret = uprobe_choose_offset(p[i].code, p[i].len, p[i].reads ? p[i].reads : UREG_ALL,
					   &s);
		snprintf(what, sizeof(what), "%s: return", p[i].name);
		if (!ASSERT_EQ(ret, p[i].offset, what)) {
			test_log("%s: chose %d (%s): %s", p[i].name, s.offset, s.insn, s.why);
			continue;
		}
		snprintf(what, sizeof(what), "%s: offset", p[i].name);
		ASSERT_EQ(s.offset, ret >= 0 ? ret : -1, what);
		snprintf(what, sizeof(what), "%s: emulated", p[i].name);
		ASSERT_EQ(s.emulated, p[i].emulated, what);
		/* Nothing the chooser passes moves rsp. */
		snprintf(what, sizeof(what), "%s: ret_ok", p[i].name);
		ASSERT_EQ(s.ret_ok, ret >= 0, what);
		snprintf(what, sizeof(what), "%s: why", p[i].name);
		ASSERT_TRUE(s.why && s.why[0], what);
		if (p[i].insn && ret >= 0) {
			snprintf(what, sizeof(what), "%s: insn", p[i].name);
			if (!ASSERT_TRUE(!strncmp(s.insn, p[i].insn, strlen(p[i].insn)), what))
				test_log("got \"%s\", expected \"%s...\"", s.insn, p[i].insn);
		}
	}
}

#define CHECK(table) check_patterns(table, sizeof(table) / sizeof(table[0]))

TEST(unit_uprobe_place_emulated_entry, 0)
{
	static const struct pattern p[] = {
		{ "malloc: push r12", BYTES(0x41, 0x54, 0x55, 0x53), 0, true, "push r12" },
		{ "push rbp", BYTES(0x55, 0x48, 0x89, 0xe5), 0, true, "push rbp" },
		{ "push rbx", BYTES(0x53), 0, true, "push rbx" },
		{ "call rel32", BYTES(0xe8, 0x10, 0, 0, 0), 0, true, "call" },
		{ "jmp rel32 (tail call)", BYTES(0xe9, 0x10, 0, 0, 0), 0, true, "jmp" },
		{ "jmp rel8", BYTES(0xeb, 0x05), 0, true, "jmp" },
		{ "je rel8", BYTES(0x74, 0x05), 0, true, "je" },
		{ "jne rel32", BYTES(0x0f, 0x85, 1, 0, 0, 0), 0, true, "jne" },
		/* The kernel refuses only 0x66 among branch prefixes. */
		{ "bnd jmp", BYTES(0xf2, 0xe9, 0, 0, 0, 0), 0, true, "bnd jmp" },
		{ "nop", BYTES(0x90, 0x48, 0x89, 0xf8), 0, true, "nop" },
	};

	CHECK(p);
}

TEST(unit_uprobe_place_skips_side_effect_free, 0)
{
	static const struct pattern p[] = {
		{ "free: test rdi;je rel32", BYTES(0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0, 0, 0, 0x55),
		  3, true, "je" },
		{ "posix_memalign: cmpb rip;push r12", BYTES(0x80, 0x3d, 1, 2, 3, 4, 0, 0x41, 0x54),
		  7, true, "push r12" },
		{ "memalign: cmpb rip;je rel8", BYTES(0x80, 0x3d, 1, 2, 3, 4, 0, 0x74, 0x07),
		  7, true, "je" },
		{ "endbr64;push rbp", BYTES(0xf3, 0x0f, 0x1e, 0xfa, 0x55), 4, true, "push rbp" },
		{ "endbr64;test;je", BYTES(0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0x74, 0x10),
		  7, true, "je" },
		{ "cmp rdi,rsi;jb", BYTES(0x48, 0x39, 0xf7, 0x72, 0x10), 3, true, "jb" },
		{ "cmp (rdi),rax;push", BYTES(0x48, 0x39, 0x07, 0x53), 3, true, "push rbx" },
		{ "pause;push", BYTES(0xf3, 0x90, 0x53), 2, true, "push rbx" },
	};

	CHECK(p);
}

/* What the entry programs read (bpf/leak.bpf.c): free's pointer in rdi,
 * mmap's five arguments, realloc's two, and rsp for all. */
#define R_FREE (UREG_RDI | UREG_RSP)
#define R_REALLOC (UREG_RDI | UREG_RSI | UREG_RSP)
#define R_REALLOCARRAY (UREG_RDI | UREG_RSI | UREG_RDX | UREG_RSP)
#define R_MMAP (UREG_RDI | UREG_RSI | UREG_RDX | UREG_RCX | UREG_R8 | UREG_RSP)

/* Register writes the probe cannot see run before it; a write to a read
 * register (or any part of it), to rsp or to memory stops the search, and
 * the probe goes to the entry as before. */
TEST(unit_uprobe_place_skips_unread_writes, 0)
{
	static const struct pattern p[] = {
		/* Debian's libjemalloc2 5.3.0 free(): mov rax,rdi; mov rdx,[rip];
		 * mov rcx,rdi; shr rax; and rcx; and eax; add rax,fs:0; add
		 * rax,rdx; cmp rcx,[rax+0x1b0]; jne */
		{ "jemalloc free", BYTES(0x48, 0x89, 0xf8, 0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00,
					 0x48, 0x89, 0xf9, 0x48, 0xc1, 0xe8, 0x1a, 0x48, 0x81, 0xe1,
					 0x00, 0x00, 0x00, 0xc0, 0x25, 0xf0, 0x00, 0x00, 0x00, 0x64,
					 0x48, 0x03, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0x48, 0x01,
					 0xd0, 0x48, 0x3b, 0x88, 0xb0, 0x01, 0x00, 0x00, 0x0f, 0x85,
					 0x8a, 0x00, 0x00, 0x00),
		  48, true, "jne", R_FREE },
		{ "mov rax,rdi;push", BYTES(0x48, 0x89, 0xf8, 0x53), 3, true, "push rbx", R_FREE },
		{ "mov eax,imm;push", BYTES(0xb8, 0x0b, 0, 0, 0, 0x53), 5, true, "push rbx", R_FREE },
		{ "mov r10d,ecx;test;jne (mmap)",
		  BYTES(0x41, 0x89, 0xca, 0x41, 0xf7, 0xc1, 0xff, 0x0f, 0, 0, 0x75, 0x14),
		  10, true, "jne", R_MMAP },
		{ "xor eax,eax;lea rcx,[rdi+8];movzx edx,byte [rsi];je",
		  BYTES(0x31, 0xc0, 0x48, 0x8d, 0x4f, 0x08, 0x0f, 0xb6, 0x16, 0x74, 0x05),
		  9, true, "je", R_FREE },
		{ "imul rax,rdi;shl rax,cl;movsxd rdx,esi;push",
		  BYTES(0x48, 0x0f, 0xaf, 0xc7, 0x48, 0xd3, 0xe0, 0x48, 0x63, 0xd6, 0x53),
		  10, true, "push rbx", R_FREE },
		{ "mov rax,[rdi] (a load);push", BYTES(0x48, 0x8b, 0x07, 0x53), 3, true, "push rbx",
		  R_FREE },
		{ "mov rax,fs:[0x28] (a TLS load);push",
		  BYTES(0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0, 0x53), 9, true, "push rbx",
		  R_FREE },
		/* A branch or call ends the search and is itself the probe. */
		{ "mov rax,rdi;call", BYTES(0x48, 0x89, 0xf8, 0xe8, 0x10, 0, 0, 0), 3, true, "call",
		  R_FREE },
		{ "mov rax,rdi;jmp rel8", BYTES(0x48, 0x89, 0xf8, 0xeb, 0x05), 3, true, "jmp",
		  R_FREE },
		/* Not emulated, and the search ends there. */
		{ "mov rax,rdi;jmp *rax", BYTES(0x48, 0x89, 0xf8, 0xff, 0xe0, 0x53), 0, false, "mov",
		  R_FREE },
		{ "mov rax,rdi;ret", BYTES(0x48, 0x89, 0xf8, 0xc3, 0x53), 0, false, "mov", R_FREE },
		{ "mov rax,rdi;41 90;push", BYTES(0x48, 0x89, 0xf8, 0x41, 0x90, 0x53), 0, false, "mov",
		  R_FREE },
		/* Writes to what the probe reads, whole or in part. */
		{ "mov edi,imm", BYTES(0xbf, 1, 0, 0, 0, 0x53), 0, false, "mov edi", R_FREE },
		{ "mov rax,rdi;mov dil,al", BYTES(0x48, 0x89, 0xf8, 0x40, 0x88, 0xc7, 0x53),
		  0, false, "mov rax", R_FREE },
		{ "mov di,ax", BYTES(0x66, 0x89, 0xc7, 0x53), 0, false, "mov di", R_FREE },
		{ "shr rdi,4", BYTES(0x48, 0xc1, 0xef, 0x04, 0x53), 0, false, "shr rdi", R_FREE },
		{ "mov dh,al (rdx read)", BYTES(0x88, 0xc6, 0x53), 0, false, "mov dh", R_REALLOCARRAY },
		{ "mov rsi,rax (realloc reads rsi)", BYTES(0x48, 0x89, 0xc6, 0x53), 0, false, "mov rsi",
		  R_REALLOC },
		{ "mov rsi,rax (free does not)", BYTES(0x48, 0x89, 0xc6, 0x53), 3, true, "push rbx",
		  R_FREE },
		{ "reallocarray: mov rax,rsi;mul rdx (writes rdx:rax)",
		  BYTES(0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2, 0x48, 0x89, 0xc6, 0x70, 0x05),
		  0, false, "mov rax, rsi", R_REALLOCARRAY },
		{ "mov r8d,imm (mmap's fd)", BYTES(0x41, 0xb8, 1, 0, 0, 0, 0x53), 0, false, "mov r8d",
		  R_MMAP },
		/* rsp: the return address and the uretprobe need it. */
		{ "sub rsp,8", BYTES(0x48, 0x83, 0xec, 0x08, 0x53), 0, false, "sub rsp", R_FREE },
		{ "lea rsp,[rsp-8]", BYTES(0x48, 0x8d, 0x64, 0x24, 0xf8, 0x53), 0, false, "lea rsp",
		  R_FREE },
		{ "mov rax,rdi;mov esp,eax", BYTES(0x48, 0x89, 0xf8, 0x89, 0xc4, 0x53),
		  0, false, "mov rax", R_FREE },
		/* Memory, segment registers, prefixes, other instructions. */
		{ "mov [rsp-8],rax (a store)", BYTES(0x48, 0x89, 0x44, 0x24, 0xf8, 0x53),
		  0, false, "mov qword ptr", R_FREE },
		{ "mov rax,rdi;add [rax],1", BYTES(0x48, 0x89, 0xf8, 0x48, 0x83, 0x00, 0x01, 0x53),
		  0, false, "mov rax", R_FREE },
		{ "mov fs:[rax],edx (a TLS store)", BYTES(0x64, 0x89, 0x10, 0x53), 0, false, "mov",
		  R_FREE },
		{ "mov eax,fs (a segment register)", BYTES(0x8c, 0xe0, 0x53), 0, false, "mov", R_FREE },
		{ "mov fs,eax", BYTES(0x8e, 0xe0, 0x53), 0, false, "mov", R_FREE },
		{ "xchg rax,rcx", BYTES(0x48, 0x91, 0x53), 0, false, "xchg", R_FREE },
		{ "cpuid (writes rax..rdx)", BYTES(0x0f, 0xa2, 0x53), 0, false, "cpuid", R_FREE },
		{ "rdtsc", BYTES(0x0f, 0x31, 0x53), 0, false, "rdtsc", R_FREE },
		{ "cs mov rax,[rdi];push: refused, then the push",
		  BYTES(0x2e, 0x48, 0x8b, 0x07, 0x53), -EINVAL, false, NULL, R_FREE },
		{ "mov rax,rdi;cmp;je (old rule: stop at the mov)",
		  BYTES(0x48, 0x89, 0xf8, 0x48, 0x85, 0xff, 0x74, 0x05), 0, false, "mov", UREG_ALL },
	};
	static const uint8_t jemalloc_free_head[] = { 0x48, 0x89, 0xf8 };
	uint8_t many[3 * 40 + 1];
	struct probe_site s;
	int ret;

	CHECK(p);
	memset(&s, 0, sizeof(s));
	ret = uprobe_choose_offset(p[0].code, p[0].len, R_FREE, &s);
	ASSERT_EQ(ret, 48, "jemalloc free");
	ASSERT_TRUE(s.ret_ok, "rsp untouched: the uretprobe may share the offset");
	ASSERT_CONTAINS(s.why, "write only registers the probe does not read", "why for -v");

	/* A long run of moves is not an entry block: give up at the entry. */
	for (size_t i = 0; i + 3 <= sizeof(many) - 1; i += 3)
		memcpy(many + i, jemalloc_free_head, 3);
	many[sizeof(many) - 1] = 0x53;
	ret = uprobe_choose_offset(many, sizeof(many), R_FREE, &s);
	ASSERT_EQ(ret, 0, "40 movs then push: the entry");
	ASSERT_FALSE(s.emulated, "single-stepped");
	ret = uprobe_choose_offset(many + sizeof(many) - 1 - 3 * 20, 3 * 20 + 1, R_FREE, &s);
	ASSERT_EQ(ret, 60, "20 movs then push: the push");
	ASSERT_TRUE(s.emulated, "emulated");
}

/* Multi-byte NOPs are passed, never chosen: 6.1 single-steps every one of
 * them (only 6.16+ emulates the x86_nops patterns), while the push or
 * branch after them is emulated everywhere. When nothing emulated follows,
 * the first one is the probe: single-stepped on 6.1, cheap on 6.16+. */
TEST(unit_uprobe_place_multibyte_nops, 0)
{
	static const struct pattern p[] = {
		{ "66 90;push", BYTES(0x66, 0x90, 0x55), 2, true, "push rbp" },
		{ "nopl3;push", BYTES(0x0f, 0x1f, 0x00, 0x55), 3, true, "push rbp" },
		{ "nopl4;push", BYTES(0x0f, 0x1f, 0x40, 0x00, 0x55), 4, true, "push rbp" },
		{ "nopl5;push", BYTES(0x0f, 0x1f, 0x44, 0, 0, 0x55), 5, true, "push rbp" },
		{ "nopw6;push", BYTES(0x66, 0x0f, 0x1f, 0x44, 0, 0, 0x55), 6, true, "push rbp" },
		{ "nopl7;push", BYTES(0x0f, 0x1f, 0x80, 0, 0, 0, 0, 0x55), 7, true, "push rbp" },
		{ "nopl8;push", BYTES(0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0, 0x55), 8, true, "push rbp" },
		{ "nopl 0(rdi) (not an x86_nops pattern);push", BYTES(0x0f, 0x1f, 0x47, 0, 0x55),
		  4, true, "push rbp" },
		{ "48 90 (rex.w nop);push", BYTES(0x48, 0x90, 0x53), 2, true, "push rbx" },
		{ "nopl5;mov: the nop itself", BYTES(0x0f, 0x1f, 0x44, 0, 0, 0x48, 0x89, 0xf8),
		  0, false, "nop" },
		/* cs nopw (x86_nops[10]): the kernel refuses its 0x2e, but it
		 * changes nothing, so the push after it is as good as +0. */
		{ "cs nopw10;push", BYTES(0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0, 0x55),
		  10, true, "push rbp" },
		{ "cs nopw10;mov: first accepted",
		  BYTES(0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0, 0x48, 0x89, 0xf8),
		  10, false, "mov" },
	};

	CHECK(p);
}

TEST(unit_uprobe_place_single_stepped_entry, 0)
{
	static const struct pattern p[] = {
		{ "reallocarray: mov rax,rsi;mul", BYTES(0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2),
		  0, false, "mov rax, rsi" },
		{ "mremap: sub rsp", BYTES(0x48, 0x83, 0xec, 0x58, 0x55), 0, false, "sub rsp" },
		{ "mmap: mov r10d,ecx;test;jne",
		  BYTES(0x41, 0x89, 0xca, 0x41, 0xf7, 0xc1, 0xff, 0x0f, 0, 0, 0x75, 0x14),
		  0, false, "mov r10d" },
		{ "munmap: mov eax,11;syscall", BYTES(0xb8, 0x0b, 0, 0, 0, 0x0f, 0x05),
		  0, false, "mov eax" },
		{ "test;mov;push (mov writes)", BYTES(0x48, 0x85, 0xff, 0x48, 0x89, 0xfb, 0x53),
		  0, false, "test" },
		{ "jmp *rip (PLT)", BYTES(0xff, 0x25, 0, 0, 0, 0), 0, false, "jmp" },
		{ "test;jmp *rip", BYTES(0x48, 0x85, 0xff, 0xff, 0x25, 0, 0, 0, 0), 0, false, "test" },
		{ "48 53 (rex.w push)", BYTES(0x48, 0x53), 0, false, "push" },
		{ "49 55 (rex.wb push)", BYTES(0x49, 0x55), 0, false, "push" },
		{ "66 53 (push bx)", BYTES(0x66, 0x53), 0, false, "push" },
		{ "push imm8", BYTES(0x6a, 0x00), 0, false, "push" },
		{ "ret", BYTES(0xc3), 0, false, "ret" },
		{ "lea", BYTES(0x48, 0x8d, 0x47, 0x08, 0x53), 0, false, "lea" },
		{ "test only (ran out of bytes)", BYTES(0x48, 0x85, 0xff), 0, false, "test" },
	};

	CHECK(p);
}

TEST(unit_uprobe_place_refused, 0)
{
	static const struct pattern p[] = {
		{ "cs mov", BYTES(0x2e, 0x48, 0x8b, 0x07), -EINVAL },
		{ "cs je (branch hint)", BYTES(0x2e, 0x74, 0x05), -EINVAL },
		{ "ds notrack jmp *rax", BYTES(0x3e, 0xff, 0xe0), -EINVAL },
		{ "ss mov", BYTES(0x36, 0x8b, 0x07), -EINVAL },
		{ "es mov", BYTES(0x26, 0x8b, 0x07), -EINVAL },
		{ "lock inc", BYTES(0xf0, 0xff, 0x07), -EINVAL },
		{ "66 jmp rel16", BYTES(0x66, 0xe9, 0, 0), -EINVAL },
		{ "66 call rel16", BYTES(0x66, 0xe8, 0, 0), -EINVAL },
		{ "66 je rel8", BYTES(0x66, 0x74, 0x05), -EINVAL },
		{ "int3", BYTES(0xcc, 0x55), -EINVAL },
		{ "syscall", BYTES(0x0f, 0x05), -EINVAL },
		{ "ud2", BYTES(0x0f, 0x0b), -EINVAL },
		{ "hlt", BYTES(0xf4), -EINVAL },
		{ "invalid in 64-bit mode (push es)", BYTES(0x06, 0x55), -EINVAL },
		{ "truncated push r12", BYTES(0x41), -EINVAL },
		/* A refused instruction after a test: the test is probed. */
		{ "test;66 jmp", BYTES(0x48, 0x85, 0xff, 0x66, 0xe9, 0, 0), 0, false, "test" },
		{ "test;cs je", BYTES(0x48, 0x85, 0xff, 0x2e, 0x74, 0x05), 0, false, "test" },
	};
	struct probe_site s;

	CHECK(p);
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(uprobe_choose_offset(NULL, 4, UREG_ALL, &s), -EINVAL, "NULL code");
	ASSERT_EQ(uprobe_choose_offset((const uint8_t *)"\x55", 0, UREG_ALL, &s), -EINVAL, "no bytes");
	ASSERT_EQ(s.offset, -1, "offset on error");
	ASSERT_FALSE(s.ret_ok, "ret_ok on error");
}

/* 41 90 is xchg %eax,%r8d; kernels through 6.18 emulate it as a nop, so a
 * probe there silently breaks the program. Never probe it, never pass it. */
TEST(unit_uprobe_place_rex_b_nop, 0)
{
	static const struct pattern p[] = {
		{ "41 90 at entry", BYTES(0x41, 0x90, 0x55), -EINVAL },
		{ "49 90 at entry", BYTES(0x49, 0x90, 0x55), -EINVAL },
		{ "test;41 90;push", BYTES(0x48, 0x85, 0xff, 0x41, 0x90, 0x55), 0, false, "test" },
	};
	struct probe_site s;

	CHECK(p);
	memset(&s, 0, sizeof(s));
	uprobe_choose_offset((const uint8_t *)"\x41\x90", 2, UREG_ALL, &s);
	ASSERT_CONTAINS(s.why, "41 90", "the reason names it");
}

TEST(unit_uprobe_place_branch_into, 0)
{
	/* 0: test rdi,rdi  3: je +9 (-> 18)  9: push rbx  10: mov rbx,rdi
	 * 13: jmp -12 (-> 3)  15: nop*3  18: ret */
	static const uint8_t loop8[] = {
		0x48, 0x85, 0xff, 0x0f, 0x84, 0x09, 0, 0, 0, 0x53, 0x48, 0x89, 0xfb,
		0xeb, 0xf4, 0x90, 0x90, 0x90, 0xc3,
	};
	/* 0: test  3: je rel8 (-> 9)  5: jmp rel32 -10 (-> 0)  10... */
	static const uint8_t to_entry[] = {
		0x48, 0x85, 0xff, 0x74, 0x04, 0xe9, 0xf6, 0xff, 0xff, 0xff, 0xc3,
	};
	/* 0: cmpb $0,x(rip)  7: push r12  9: call rel32 -> 7  14: ret */
	static const uint8_t call7[] = {
		0x80, 0x3d, 1, 2, 3, 4, 0, 0x41, 0x54, 0xe8, 0xf9, 0xff, 0xff, 0xff, 0xc3,
	};

	ASSERT_EQ(uprobe_branch_into(loop8, sizeof(loop8), 0, 3), 3, "jmp rel8 back to +3");
	ASSERT_EQ(uprobe_branch_into(loop8, sizeof(loop8), 0, 2), -1, "not below +3");
	ASSERT_EQ(uprobe_branch_into(loop8, sizeof(loop8), 3, 18), 18, "je forward, lo excluded");
	ASSERT_EQ(uprobe_branch_into(to_entry, sizeof(to_entry), 0, 3), -1,
		  "a jump to the entry itself is a new call");
	ASSERT_EQ(uprobe_branch_into(call7, sizeof(call7), 0, 7), 7, "call rel32 into +7");
	ASSERT_EQ(uprobe_branch_into(call7, sizeof(call7), 0, 6), -1, "not into (0, 6]");
	ASSERT_EQ(uprobe_branch_into(NULL, 10, 0, 3), -1, "no code");
}

TEST(unit_uprobe_place_names, 0)
{
	for (int i = 0; i < AF_ALL_NR; i++) {
		const char *n = alloc_fn_name(i);

		ASSERT_TRUE(n && n[0] && strcmp(n, "?"), "a name");
		ASSERT_TRUE(alloc_fn_class(i) < CLS_NR, "a class");
		ASSERT_TRUE(alloc_fn_group(i) & AG_ALL, "a group");
		/* C++ names are mangled, and say what they are for -v. */
		ASSERT_EQ(alloc_fn_cxx(i) != NULL, n[0] == '_' && n[1] == 'Z', n);
		for (int j = 0; j < i; j++)
			ASSERT_TRUE(strcmp(n, alloc_fn_name(j)), "distinct");
	}
	ASSERT_STREQ(alloc_fn_name(AF_NEW), "_Znwm", "operator new");
	ASSERT_STREQ(alloc_fn_name(AF_DELETE_ARRAY_SIZED_ALIGNED), "_ZdaPvmSt11align_val_t",
		     "operator delete[](void*, size_t, align_val_t)");
	ASSERT_EQ(alloc_fn_class(AF_SDALLOCX), CLS_FREE, "sdallocx frees");
	ASSERT_EQ(alloc_fn_class(AF_TC_DELETE_SIZED), CLS_DELETE, "tc_delete_sized deletes");
	ASSERT_STREQ(alloc_fn_name(AF_MALLOC), "malloc", "malloc");
	ASSERT_STREQ(alloc_fn_name(AF_ALIGNED_ALLOC), "aligned_alloc", "aligned_alloc");
	ASSERT_STREQ(alloc_fn_name(AF_MREMAP), "mremap", "mremap");
	ASSERT_STREQ(alloc_fn_name(AF_ALL_NR), "?", "out of range");
	ASSERT_STREQ(alloc_fn_name((enum alloc_fn)-1), "?", "negative");
}

/* ---- real files ------------------------------------------------------------ */

static void log_plan(const char *path, const struct probe_site *s)
{
	test_log("%s:", path);
	for (int i = 0; i < AF_NR; i++) {
		if (!s[i].found) {
			test_log("  %-15s -", alloc_fn_name(i));
			continue;
		}
		test_log("  %-15s 0x%-8llx +%-2d %-9s %-24s %s", alloc_fn_name(i),
			 (unsigned long long)s[i].entry, s[i].offset,
			 s[i].emulated ? "emulated" : "stepped", s[i].insn, s[i].why);
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* glibc 2.36 (Debian 12): the offsets the research measured as cheap; mmap
 * is probed past `mov %ecx,%r10d` (r10 carries no argument) and a test. */
TEST(unit_uprobe_place_glibc, 0)
{
	static const struct {
		enum alloc_fn fn;
		int offset;
		bool emulated;
	} want[] = {
		{ AF_MALLOC, 0, true },		{ AF_CALLOC, 0, true },
		{ AF_REALLOC, 0, true },	{ AF_FREE, 3, true },
		{ AF_POSIX_MEMALIGN, 7, true },	{ AF_MEMALIGN, 7, true },
		{ AF_VALLOC, 7, true },		{ AF_PVALLOC, 7, true },
		{ AF_REALLOCARRAY, 0, false },	{ AF_MMAP, 10, true },
		{ AF_MUNMAP, 0, false },	{ AF_MREMAP, 0, false },
	};
	struct probe_site s[AF_NR];
	double t0, t1;
	int n;

	if (access(LIBC, R_OK))
		test_skip("no %s (static guest?)", LIBC);
	t0 = now_ms();
	n = uprobe_plan(LIBC, NULL, s);
	t1 = now_ms();
	ASSERT_EQ(n, AF_NR, "all found");
	log_plan(LIBC, s);
	test_log("uprobe_plan took %.3f ms", t1 - t0);
	for (int i = 0; i < AF_NR; i++) {
		ASSERT_TRUE(s[i].found, alloc_fn_name(i));
		ASSERT_GE(s[i].offset, 0, alloc_fn_name(i));
		ASSERT_TRUE(s[i].ret_ok, alloc_fn_name(i));
	}
	ASSERT_EQ(s[AF_ALIGNED_ALLOC].alias_of, AF_MEMALIGN, "aligned_alloc is memalign");
	ASSERT_EQ(s[AF_ALIGNED_ALLOC].entry, s[AF_MEMALIGN].entry, "same entry");
	ASSERT_EQ(s[AF_MEMALIGN].alias_of, -1, "memalign is attached");
	ASSERT_EQ(s[AF_MALLOC].alias_of, -1, "malloc is no alias");

	if (strcmp(gnu_get_libc_version(), "2.36")) {
		test_log("glibc %s: exact offsets are checked on 2.36 only", gnu_get_libc_version());
		return;
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct probe_site *p = &s[want[i].fn];

		ASSERT_EQ(p->offset, want[i].offset, alloc_fn_name(want[i].fn));
		ASSERT_EQ(p->emulated, want[i].emulated, alloc_fn_name(want[i].fn));
	}
	ASSERT_STREQ(s[AF_MALLOC].insn, "push r12", "malloc starts with push r12");
}

/* glibc also exports most of them as __libc_<name>: a prefix finds those
 * and only those, at the same entries. */
TEST(unit_uprobe_place_glibc_prefix, 0)
{
	static const enum alloc_fn have[] = {
		AF_MALLOC, AF_CALLOC, AF_REALLOC, AF_MEMALIGN, AF_VALLOC, AF_PVALLOC, AF_FREE,
	};
	static const enum alloc_fn lack[] = {
		AF_POSIX_MEMALIGN, AF_ALIGNED_ALLOC, AF_MMAP, AF_MUNMAP, AF_MREMAP,
	};
	struct probe_site plain[AF_NR], pre[AF_NR];
	int n;

	if (access(LIBC, R_OK))
		test_skip("no %s (static guest?)", LIBC);
	ASSERT_EQ(uprobe_plan(LIBC, NULL, plain), AF_NR, "plain");
	n = uprobe_plan(LIBC, "__libc_", pre);
	ASSERT_GE(n, (int)(sizeof(have) / sizeof(have[0])), "prefixed");
	for (size_t i = 0; i < sizeof(have) / sizeof(have[0]); i++) {
		enum alloc_fn f = have[i];

		ASSERT_TRUE(pre[f].found, alloc_fn_name(f));
		ASSERT_EQ(pre[f].entry, plain[f].entry, alloc_fn_name(f));
		ASSERT_EQ(pre[f].offset, plain[f].offset, alloc_fn_name(f));
	}
	for (size_t i = 0; i < sizeof(lack) / sizeof(lack[0]); i++) {
		ASSERT_FALSE(pre[lack[i]].found, alloc_fn_name(lack[i]));
		ASSERT_EQ(pre[lack[i]].offset, -1, alloc_fn_name(lack[i]));
	}
	ASSERT_EQ(uprobe_plan(LIBC, "no_such_prefix_", pre), 0, "nothing with a bogus prefix");
}

/* A static executable: the symbols come from .symtab. */
TEST(unit_uprobe_place_static_exe, 0)
{
	const char *exe = bin_path("tests/workloads/alloc_calls_static");
	struct probe_site s[AF_NR];
	double t0, t1;
	int n;

	t0 = now_ms();
	n = uprobe_plan(exe, NULL, s);
	t1 = now_ms();
	if (!ASSERT_EQ(n, AF_NR, "all 13 in the static workload"))
		return;
	log_plan(exe, s);
	test_log("uprobe_plan took %.3f ms", t1 - t0);
	for (int i = 0; i < AF_NR; i++)
		ASSERT_GE(s[i].offset, 0, alloc_fn_name(i));
	ASSERT_TRUE(s[AF_MALLOC].emulated, "glibc's malloc starts with a push");
	ASSERT_TRUE(s[AF_FREE].emulated, "free is probed past its test");
	ASSERT_EQ(s[AF_ALIGNED_ALLOC].alias_of, AF_MEMALIGN, "aligned_alloc is memalign");
}

static char *write_temp(const void *data, size_t len)
{
	static char path[] = "/tmp/memscope-uplace-XXXXXX";
	int fd;

	memcpy(path + sizeof(path) - 7, "XXXXXX", 6);
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	return path;
}

static void *read_all(const char *path, size_t *len)
{
	struct stat st;
	void *buf;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return NULL;
	buf = malloc(st.st_size);
	if (buf && read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

TEST(unit_uprobe_place_bad_files, 0)
{
	struct probe_site s[AF_NR];
	size_t len;
	char *tmp;
	void *elf;

	ASSERT_EQ(uprobe_plan("/nonexistent/libc.so.6", NULL, s), -ENOENT, "missing");
	ASSERT_EQ(s[AF_MALLOC].found, false, "reset on error");
	ASSERT_EQ(s[AF_MALLOC].alias_of, -1, "alias reset on error");
	ASSERT_EQ(uprobe_plan("/dev/null", NULL, s), -ENOEXEC, "a device");
	ASSERT_EQ(uprobe_plan("/", NULL, s), -ENOEXEC, "a directory");

	tmp = write_temp("#!/bin/sh\necho hi\n", 18);
	if (ASSERT_TRUE(tmp, "temp file")) {
		ASSERT_EQ(uprobe_plan(tmp, NULL, s), -ENOEXEC, "a script");
		unlink(tmp);
	}
	tmp = write_temp("", 0);
	if (ASSERT_TRUE(tmp, "temp file")) {
		ASSERT_EQ(uprobe_plan(tmp, NULL, s), -ENOEXEC, "empty");
		unlink(tmp);
	}
	/* Only the ELF header of a real executable: headers point past
	 * the end of the file. */
	elf = read_all(bin_path("tests/workloads/alloc_calls_static"), &len);
	if (ASSERT_TRUE(elf, "read the workload")) {
		tmp = write_temp(elf, 64);
		if (ASSERT_TRUE(tmp, "temp file")) {
			int n = uprobe_plan(tmp, NULL, s);

			ASSERT_TRUE(n == -ENOEXEC || n == 0, "truncated to its ELF header");
			unlink(tmp);
		}
	}
	free(elf);
}

/* ELF files of traced processes are not ours: random damage to a real one
 * must give errors or plans, never a crash or a site outside the file. */
TEST(unit_uprobe_place_damaged_elf, 0)
{
	const char *exe = bin_path("tests/workloads/alloc_calls_static");
	size_t len, i;
	uint8_t *orig, *buf;
	unsigned seed = 1234;
	int plans = 0, errors = 0;

	orig = read_all(exe, &len);
	if (!ASSERT_TRUE(orig, "read the workload"))
		return;
	buf = malloc(len);
	for (int round = 0; buf && round < 300; round++) {
		struct probe_site s[AF_NR];
		char *tmp;
		int n;

		memcpy(buf, orig, len);
		/* Headers and tables are where parsers break: hit the first
		 * 4 KiB, the section headers at the end, and anywhere. */
		for (int k = 0; k < 1 + round % 8; k++) {
			size_t at;

			switch (rand_r(&seed) % 3) {
			case 0:
				at = rand_r(&seed) % 1024;
				break;
			case 1:
				at = len - 1 - rand_r(&seed) % 8192;
				break;
			default:
				at = ((size_t)rand_r(&seed) << 16 ^ rand_r(&seed)) % len;
				break;
			}
			buf[at] = rand_r(&seed);
		}
		tmp = write_temp(buf, len);
		if (!ASSERT_TRUE(tmp, "temp file"))
			break;
		n = uprobe_plan(tmp, NULL, s);
		unlink(tmp);
		if (n < 0) {
			errors++;
			continue;
		}
		plans++;
		for (i = 0; i < AF_NR; i++)
			if (s[i].found)
				ASSERT_LT(s[i].entry, len, "entry inside the file");
	}
	test_log("%d plans, %d errors", plans, errors);
	free(buf);
	free(orig);
}

/* ---- every entry point of glibc, jemalloc and tcmalloc ------------------------ */

/* What each class's entry program reads at its probe, restated by hand from
 * bpf/leak.bpf.c (the arguments of its BPF_KPROBE; rsp for all). */
static const char *const class_args[CLS_NR] = {
	[CLS_MALLOC] = "rdi",
	[CLS_CALLOC] = "rdi rsi",
	[CLS_REALLOC] = "rdi rsi",
	[CLS_REALLOCARRAY] = "rdi rsi rdx",
	[CLS_POSIX_MEMALIGN] = "rdi rsi rdx",
	[CLS_MEMALIGN] = "rdi rsi",
	[CLS_ALIGNED_ALLOC] = "rdi rsi",
	[CLS_VALLOC] = "rdi",
	[CLS_PVALLOC] = "rdi",
	[CLS_FREE] = "rdi",
	[CLS_MMAP] = "rdi rsi rdx rcx r8",
	[CLS_MUNMAP] = "rdi rsi",
	[CLS_MREMAP] = "rdi rsi rdx",
	[CLS_NEW] = "rdi",
	[CLS_NEW_ARRAY] = "rdi",
	[CLS_DELETE] = "rdi",
	[CLS_MALLOCX] = "rdi",
	[CLS_RALLOCX] = "rdi rsi",
	[CLS_XALLOCX] = "rdi rsi",
};

/* The table above, and alloc_class_reads(), against bpf/leak.bpf.c itself:
 * each dedicated entry program's BPF_KPROBE arguments, the arguments each
 * case of entry_multi passes on, and no pt_regs field but the stack
 * pointer read anywhere before the return program. */
TEST(unit_uprobe_place_reads_match_bpf, 0)
{
	static const struct {
		const char *kind;	/* LK_<kind>, <kind lowercase>_enter */
		enum alloc_class cls;
	} kinds[] = {
		{ "MALLOC", CLS_MALLOC },	{ "CALLOC", CLS_CALLOC },
		{ "REALLOC", CLS_REALLOC },	{ "REALLOCARRAY", CLS_REALLOCARRAY },
		{ "POSIX_MEMALIGN", CLS_POSIX_MEMALIGN }, { "MEMALIGN", CLS_MEMALIGN },
		{ "ALIGNED_ALLOC", CLS_ALIGNED_ALLOC }, { "VALLOC", CLS_VALLOC },
		{ "PVALLOC", CLS_PVALLOC },	{ "FREE", CLS_FREE },
		{ "MMAP", CLS_MMAP },		{ "MUNMAP", CLS_MUNMAP },
		{ "MREMAP", CLS_MREMAP },	{ "NEW", CLS_NEW },
		{ "NEW_ARRAY", CLS_NEW_ARRAY },	{ "DELETE", CLS_DELETE },
		{ "MALLOCX", CLS_MALLOCX },	{ "RALLOCX", CLS_RALLOCX },
		{ "XALLOCX", CLS_XALLOCX },
	};
	static const unsigned argreg[5] = { UREG_RDI, UREG_RSI, UREG_RDX, UREG_RCX, UREG_R8 };
	char path[4096], *src, *multi, *ret, *q;
	size_t len;

	if (!test_src_dir())
		test_skip("no source tree (--top)");
	snprintf(path, sizeof(path), "%s/bpf/leak_user.bpf.h", test_src_dir());
	src = read_all(path, &len);
	if (!ASSERT_TRUE(src, path))
		return;
	src = realloc(src, len + 1);
	src[len] = 0;
	multi = strstr(src, "BPF_KPROBE(entry_multi,");
	ret = strstr(src, "BPF_KRETPROBE(alloc_return");
	if (!ASSERT_TRUE(multi && ret && multi < ret, "entry_multi before alloc_return")) {
		free(src);
		return;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		unsigned want = alloc_class_reads(kinds[k].cls), declared = UREG_RSP, used = UREG_RSP;
		char needle[64], lower[32], *at, *end;
		int nargs = 0;

		for (size_t i = 0; i <= strlen(kinds[k].kind); i++)
			lower[i] = tolower((unsigned char)kinds[k].kind[i]);
		snprintf(needle, sizeof(needle), "BPF_KPROBE(%s_enter,", lower);
		at = strstr(src, needle);
		if (!ASSERT_TRUE(at, needle))
			continue;
		end = strchr(at, ')');
		for (q = at; q < end; q++)
			nargs += *q == ',';
		for (int i = 0; i < nargs && i < 5; i++)
			declared |= argreg[i];
		ASSERT_EQ(want, declared, needle);

		snprintf(needle, sizeof(needle), "case LK_%s:", kinds[k].kind);
		at = strstr(multi, needle);
		if (!ASSERT_TRUE(at && at < ret, needle))
			continue;
		end = strchr(at, '\n');
		for (q = at; q + 1 < end; q++)
			if (q[0] == 'a' && q[1] >= '0' && q[1] <= '4' && !isalnum((unsigned char)q[-1]) &&
			    !isalnum((unsigned char)q[2]))
				used |= argreg[q[1] - '0'];
		if (!ASSERT_EQ(used & ~want, 0u, needle))
			test_log("%s: entry_multi reads 0x%x, the placement assumes 0x%x", needle, used,
				 want);
	}
	/* From the uprobe section (enter(), nested(), ...) to the return
	 * program: no register but the stack pointer. */
	q = strstr(src, "user space: uprobes");
	ASSERT_TRUE(q && q < multi, "the uprobe section");
	for (; q && (q = strstr(q, "PT_REGS_")) && q < ret; q++)
		ASSERT_TRUE(!strncmp(q, "PT_REGS_SP(", 11), "only PT_REGS_SP at entry");
	free(src);
}

/* The 64-bit register a capstone register name is part of, by name. */
static const char *reg64(const char *name)
{
	static const char *const parts[][5] = {
		{ "rdi", "edi", "di", "dil" },	    { "rsi", "esi", "si", "sil" },
		{ "rdx", "edx", "dx", "dl", "dh" }, { "rcx", "ecx", "cx", "cl", "ch" },
		{ "r8", "r8d", "r8w", "r8b" },	    { "rsp", "esp", "sp", "spl" },
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (int j = 0; j < 5 && parts[i][j]; j++)
			if (!strcmp(name, parts[i][j]))
				return parts[i][0];
	return name;
}

static bool reads_reg(enum alloc_class cls, const char *r64)
{
	char list[64], *save = NULL;

	if (!strcmp(r64, "rsp"))
		return true;
	snprintf(list, sizeof(list), "%s", class_args[cls]);
	for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if (!strcmp(t, r64))
			return true;
	return false;
}

/* Check a chosen site with capstone alone: the instructions before it
 * write no register the program reads (by capstone's own read/write
 * sets, sub-registers by name), no memory, and neither branch, call nor
 * return; one of them ends exactly at the probe; and no direct branch of
 * the function lands in (entry, probe]. */
static void check_site(csh h, const char *path, int fn, const struct probe_site *ps, const uint8_t *code,
		       size_t size)
{
	enum alloc_class cls = alloc_fn_class(fn);
	const uint8_t *p = code;
	size_t left = size;
	uint64_t addr = 0;
	cs_insn *in = cs_malloc(h);
	char what[256];
	bool at_probe = ps->offset == 0;

	snprintf(what, sizeof(what), "%s %s", path, alloc_fn_name(fn));
	while (in && left && addr < (uint64_t)ps->offset && cs_disasm_iter(h, &p, &left, &addr, in)) {
		cs_regs rr, rw;
		uint8_t nr = 0, nw = 0;
		const cs_x86 *x = &in->detail->x86;

		if (!ASSERT_EQ(cs_regs_access(h, in, rr, &nr, rw, &nw), CS_ERR_OK, what))
			break;
		for (int i = 0; i < nw; i++) {
			const char *r = reg64(cs_reg_name(h, rw[i]));

			if (!ASSERT_FALSE(reads_reg(cls, r), what))
				test_log("%s: +%llx %s %s writes %s, which the probe reads", what,
					 (unsigned long long)in->address, in->mnemonic, in->op_str, r);
		}
		for (int i = 0; i < x->op_count; i++)
			if (x->operands[i].type == X86_OP_MEM)
				ASSERT_FALSE(x->operands[i].access & CS_AC_WRITE, what);
		for (int i = 0; i < in->detail->groups_count; i++) {
			uint8_t g = in->detail->groups[i];

			ASSERT_FALSE(g == CS_GRP_JUMP || g == CS_GRP_CALL || g == CS_GRP_RET ||
				     g == CS_GRP_INT || g == CS_GRP_IRET, what);
		}
		at_probe |= addr == (uint64_t)ps->offset;
	}
	ASSERT_TRUE(at_probe, what);

	/* Direct branches anywhere in the function, from its entry. */
	p = code;
	left = size;
	addr = 0;
	while (in && left) {
		bool branch = false;

		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			p++, left--, addr++;
			continue;
		}
		for (int i = 0; i < in->detail->groups_count; i++)
			branch |= in->detail->groups[i] == CS_GRP_JUMP ||
				  in->detail->groups[i] == CS_GRP_CALL;
		if (branch && in->detail->x86.op_count == 1 &&
		    in->detail->x86.operands[0].type == X86_OP_IMM) {
			int64_t t = in->detail->x86.operands[0].imm;

			if (!ASSERT_FALSE(t > 0 && t <= ps->offset, what))
				test_log("%s: +%llx %s %s lands in the skipped bytes", what,
					 (unsigned long long)in->address, in->mnemonic, in->op_str);
		}
	}
	cs_free(in, 1);
}

struct lib_stats {
	int sites, emulated, skipped_writes;
};

static void check_library(csh h, const char *path, struct lib_stats *st)
{
	struct uprobe_plan plan;
	struct elf_file *ef;
	int n, fd;

	uprobe_plan_init(&plan);
	n = uprobe_plan_add(&plan, path, NULL, AG_ALL, true);
	if (!ASSERT_GT(n, 0, path))
		return;
	ef = elf_file_open(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_TRUE(ef && fd >= 0, path);
	test_log("%s:", path);
	for (int fn = 0; ef && fd >= 0 && fn < AF_ALL_NR; fn++) {
		const struct probe_site *ps = &plan.sites[fn];
		const char *name = alloc_fn_name(fn);
		struct elf_func f;
		uint8_t *code;
		ssize_t got;

		if (!ps->found || ps->alias_of >= 0)
			continue;
		test_log("  %-30s +%-3d %-8s %-28s %s", name, ps->offset,
			 ps->emulated ? "emulated" : "stepped", ps->insn, ps->why);
		st->sites++;
		st->emulated += ps->emulated;
		st->skipped_writes += !!strstr(ps->why, "write only registers");
		/* Emulated, or a reason for -v. */
		ASSERT_TRUE(ps->emulated || (ps->why && ps->why[0]), name);
		if (!ASSERT_GE(ps->offset, 0, name) || !ASSERT_TRUE(ps->ret_ok, name))
			continue;
		if (!ASSERT_EQ(elf_file_find_funcs(ef, NULL, &name, 1, ELF_FIND_DYNSYM_ONLY, &f), 1,
			       name) ||
		    !ASSERT_TRUE(f.found && f.offset == ps->entry, name))
			continue;
		f.size = f.size ? f.size : 512;
		code = malloc(f.size);
		got = code ? pread(fd, code, f.size, (off_t)f.offset) : -1;
		if (ASSERT_EQ(got, (ssize_t)f.size, name))
			check_site(h, path, fn, ps, code, f.size);
		free(code);
	}
	if (fd >= 0)
		close(fd);
	elf_file_close(ef);
	uprobe_plan_free(&plan);
}

#define JEMALLOC "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"

TEST(unit_uprobe_place_allocators, 0)
{
	static const char *const libs[] = {
		LIBC,
		JEMALLOC,
		"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
		"/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4",
	};
	int checked = 0;
	csh h;

	if (!ASSERT_EQ(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK, "capstone"))
		return;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		struct lib_stats st = { 0 };

		if (access(libs[i], R_OK)) {
			test_log("%s: not installed", libs[i]);
			continue;
		}
		check_library(h, libs[i], &st);
		test_log("%s: %d entry points, %d emulated (%d past register writes)", libs[i],
			 st.sites, st.emulated, st.skipped_writes);
		checked++;
	}
	cs_close(&h);
	if (!checked)
		test_skip("none of the allocators installed");

	/* jemalloc's free starts with mov %rdi,%rax (48 bytes before its
	 * first emulated instruction in Debian's 5.3.0). */
	if (!access(JEMALLOC, R_OK)) {
		struct uprobe_plan plan;
		const struct probe_site *f = &plan.sites[AF_FREE];

		uprobe_plan_init(&plan);
		ASSERT_GT(uprobe_plan_add(&plan, JEMALLOC, NULL, AG_ALL, true), 0, JEMALLOC);
		ASSERT_TRUE(f->found && f->emulated, "jemalloc's free is probed emulated");
		ASSERT_GT(f->offset, 0, "past its entry");
		ASSERT_CONTAINS(f->why, "write only registers the probe does not read", "why");
		uprobe_plan_free(&plan);
	}
}
