// SPDX-License-Identifier: GPL-2.0
/* Uprobe placement: the offset chooser on byte patterns (the entries of
 * glibc's allocator functions and the kernel's corner cases), and planning
 * on real files: this machine's glibc, a static executable, broken ELF. */
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"
#include "leak/uprobe_place.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

struct pattern {
	const char *name;
	uint8_t code[24];
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
