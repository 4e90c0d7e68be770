/* SPDX-License-Identifier: GPL-2.0 */
/* memscope's test harness, in the manner of the kernel's test_progs: tests
 * register themselves with TEST(), each runs in its own forked process with
 * a time limit, prints "#N name:OK|FAIL|SKIP", and the run ends with one line
 * "N passed, N failed, N skipped". ASSERT_* print actual and expected
 * values and return whether they held. */
#ifndef MEMSCOPE_TEST_HARNESS_H
#define MEMSCOPE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

enum test_flags {
	T_ROOT = 1 << 0,	/* needs root: skipped otherwise */
	T_E2E = 1 << 1,		/* runs the built binaries on the real kernel */
	T_GUEST = 1 << 2,	/* only inside the QEMU guest (--guest): global
				 * reclaim/OOM and other things a host must not do */
};

struct test {
	const char *name;
	void (*fn)(void);
	unsigned flags;
	unsigned timeout_s;	/* 0: default */
	struct test *next;
};

void test_register(struct test *t);

#define TEST_FULL(tname, tflags, ttimeout)                                     \
	static void test_##tname(void);                                       \
	__attribute__((constructor)) static void register_##tname(void)       \
	{                                                                     \
		static struct test t = { #tname, test_##tname, tflags, ttimeout }; \
		test_register(&t);                                            \
	}                                                                     \
	static void test_##tname(void)

#define TEST(tname, tflags) TEST_FULL(tname, tflags, 0)

/* Inside a test. A test that neither failed nor skipped must have run at
 * least one assertion: otherwise it reports "FAIL (no assertion ran)". */
void test_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Count one assertion that was evaluated (the ASSERT_* macros and the
 * strict JSON getters call it); returns ok. */
bool test_checked(bool ok);
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void test_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Number of failed assertions so far in this test, and of all evaluated. */
int test_failures(void);
unsigned long test_assertions(void);

/* Where things are: the directory holding memscope and tests/ (the build
 * output), and the source tree (NULL when absent, e.g. in the QEMU guest). */
const char *test_bin_dir(void);
const char *test_src_dir(void);
/* Whether this is the sanitized build (make SANITIZE=1, make sanitize):
 * ASan makes memscope bigger and slower, so a test of its RSS, speed or
 * size may skip then, saying why. (None has needed to so far.) */
static inline bool test_sanitized(void)
{
#ifdef MEMSCOPE_SANITIZE
	return true;
#else
	return false;
#endif
}

/* The pid of the runner (the process that forks the tests). */
pid_t test_runner_pid(void);
/* Whether pid is a live test runner (it may be another engineer's): what
 * the runner's sweeps of a test's leftovers (memcg.h, scratch.h) keep. */
bool test_runner_alive(pid_t pid);

#define ASSERT_TRUE(cond, what) ({                                             \
	bool ___ok = test_checked(!!(cond));                                  \
	if (!___ok)                                                           \
		test_fail_at(__FILE__, __LINE__, "%s: expected true", what);  \
	___ok;                                                                \
})

#define ASSERT_FALSE(cond, what) ({                                            \
	bool ___ok = test_checked(!(cond));                                   \
	if (!___ok)                                                           \
		test_fail_at(__FILE__, __LINE__, "%s: expected false", what); \
	___ok;                                                                \
})

#define ASSERT_CMP(a, op, b, what) ({                                          \
	long long ___a = (long long)(a), ___b = (long long)(b);               \
	bool ___ok = test_checked(___a op ___b);                              \
	if (!___ok)                                                           \
		test_fail_at(__FILE__, __LINE__, "%s: got %lld, expected %s %lld", \
			     what, ___a, #op, ___b);                          \
	___ok;                                                                \
})

#define ASSERT_EQ(a, b, what) ASSERT_CMP(a, ==, b, what)
#define ASSERT_NE(a, b, what) ASSERT_CMP(a, !=, b, what)
#define ASSERT_GE(a, b, what) ASSERT_CMP(a, >=, b, what)
#define ASSERT_LE(a, b, what) ASSERT_CMP(a, <=, b, what)
#define ASSERT_GT(a, b, what) ASSERT_CMP(a, >, b, what)
#define ASSERT_LT(a, b, what) ASSERT_CMP(a, <, b, what)
#define ASSERT_OK(err, what) ASSERT_CMP(err, ==, 0, what)

#define ASSERT_STREQ(a, b, what) ({                                            \
	const char *___a = (a), *___b = (b);                                  \
	bool ___ok = test_checked(___a && ___b && !strcmp(___a, ___b));       \
	if (!___ok)                                                           \
		test_fail_at(__FILE__, __LINE__, "%s: got \"%s\", expected \"%s\"", \
			     what, ___a ? ___a : "(null)", ___b ? ___b : "(null)"); \
	___ok;                                                                \
})

#define ASSERT_CONTAINS(hay, needle, what) ({                                  \
	const char *___h = (hay), *___n = (needle);                           \
	bool ___ok = test_checked(___h && ___n && strstr(___h, ___n));        \
	if (!___ok)                                                           \
		test_fail_at(__FILE__, __LINE__, "%s: \"%s\" not found in \"%.400s\"", \
			     what, ___n ? ___n : "(null)", ___h ? ___h : "(null)"); \
	___ok;                                                                \
})

#endif
