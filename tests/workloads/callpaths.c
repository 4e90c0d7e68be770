// SPDX-License-Identifier: GPL-2.0
/* Allocations along known call paths in code built as distributions build
 * it (-O2, no frame pointers; see the Makefile): through libc's strdup
 * (libc has no frame pointers either), a wrapper reached from two paths,
 * recursion, a large frame, a frame with a variable-length array (the CFA
 * is then rbp-based), and a callback from inside libc's qsort. Each
 * path's expected bytes, count and frames (this program's functions,
 * innermost first) go to --out FILE as JSON Lines: the truth the unwinding
 * tests compare with. Blocks are kept, so all of them are outstanding at
 * exit.
 *
 * usage: callpaths --out FILE [--wait] [--no-fan]
 *   --wait    print "ready", wait for SIGUSR1 (a tracer attaches with -p),
 *             and after the ledger ({"type":"done"}) wait for SIGTERM
 *   --no-fan  leave out the fan (fewer stacks in every report)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FN __attribute__((noinline, noclone))
/* After a call: the call is not a tail call (a jump leaves no frame).
 * Loops that allocate are not unrolled (#pragma GCC unroll 1): each
 * copy would be a call site, and a stack, of its own. */
#define NOT_TAIL() asm volatile("" ::: "memory")

static int out_fd = -1;
static void *volatile sink[8192];
static unsigned nsink;
static volatile size_t vsize = 40;

static void keep(void *p)
{
	sink[nsink++ % 8192] = p;
}

/* frames: a comma-separated list of quoted names. */
/* stacks: how many distinct stacks the path makes (-1: it depends on how
 * the compiler laid the calls out). */
static void expect(const char *path, const char *frames, unsigned long long bytes,
		   unsigned long long count, int stacks)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
			 "{\"type\":\"expect\",\"path\":\"%s\",\"frames\":[%s],\"bytes\":%llu,"
			 "\"count\":%llu,\"stacks\":%d}\n", path, frames, bytes, count, stacks);

	if (write(out_fd, buf, n) != n)
		_exit(3);
}

FN static void wrap_dup(const char *s)
{
	keep(strdup(s));
	NOT_TAIL();
}

FN static void path_a(int n)
{
#pragma GCC unroll 1
	for (int i = 0; i < n; i++)
		wrap_dup("0123456789");	/* 11 bytes */
	NOT_TAIL();
}

FN static void path_b(int n)
{
#pragma GCC unroll 1
	for (int i = 0; i < n; i++)
		wrap_dup("0123456789abcdefghi");	/* 20 bytes */
	NOT_TAIL();
}

FN static void recurse(int depth)
{
	if (depth == 0)
		keep(malloc(vsize));
	else
		recurse(depth - 1);
	NOT_TAIL();
}

/* A frame larger than a page: CFA = rsp + a large offset. */
FN static void big_frame(int n)
{
	volatile char buf[6000];

	buf[0] = (char)n;
	buf[5999] = buf[0];
#pragma GCC unroll 1
	for (int i = 0; i < n; i++)
		keep(malloc(vsize + buf[5999] - n + 24));	/* 64 bytes */
	NOT_TAIL();
}

/* A variable-length array: gcc keeps rbp as the frame base here. */
FN static void vla_frame(int n)
{
	volatile char buf[vsize * n + 1];

	buf[0] = 0;
	for (int i = 0; i < n; i++)
		keep(calloc(1, 72 + buf[0]));
	NOT_TAIL();
}

static int compare(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	/* Called from inside libc: allocate from here on the first calls. */
	if ((x == 7 || y == 7) && x != y) {
		static int made;

		if (made < 5) {
			keep(malloc(96));
			made++;
		}
	}
	return (x > y) - (x < y);
}

/* 2^FAN_LEVELS call paths, one allocation each: fan_a or fan_b at every
 * level, as the bits of `bits` say. Each path must be its own stack, and
 * none may collide with another. */
#define FAN_LEVELS 9
FN static void fan(int level, unsigned bits);

FN static void fan_a(int level, unsigned bits)
{
	fan(level, bits);
	NOT_TAIL();
}

FN static void fan_b(int level, unsigned bits)
{
	fan(level, bits);
	NOT_TAIL();
}

FN static void fan(int level, unsigned bits)
{
	if (level == 0)
		keep(malloc(8));
	else if (bits & 1)
		fan_a(level - 1, bits >> 1);
	else
		fan_b(level - 1, bits >> 1);
	NOT_TAIL();
}

FN static void sort_things(void)
{
	int v[16] = { 9, 3, 7, 1, 15, 11, 0, 5, 13, 2, 8, 4, 14, 6, 10, 12 };

	qsort(v, 16, sizeof(v[0]), compare);
	NOT_TAIL();
}

int main(int argc, char **argv)
{
	bool wait = false, fans = true;
	sigset_t set;
	int sig;

	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--wait"))
			wait = true;
		else if (!strcmp(argv[i], "--no-fan"))
			fans = false;
		else
			argc = 0;
	}
	if (argc < 3 || strcmp(argv[1], "--out")) {
		fprintf(stderr, "usage: callpaths --out FILE [--wait] [--no-fan]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (wait) {
		if (write(1, "ready\n", 6) != 6)
			return 1;
		do
			sigwait(&set, &sig);
		while (sig != SIGUSR1);
	}
	out_fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		perror(argv[2]);
		return 1;
	}
	path_a(4);
	expect("path_a", "\"wrap_dup\",\"path_a\",\"main\"", 4 * 11, 4, 1);
	path_b(3);
	expect("path_b", "\"wrap_dup\",\"path_b\",\"main\"", 3 * 20, 3, 1);
	recurse(6);
	expect("recurse", "\"recurse\",\"recurse\",\"recurse\",\"recurse\",\"recurse\","
	       "\"recurse\",\"recurse\",\"main\"", 40, 1, 1);
	big_frame(3);
	expect("big_frame", "\"big_frame\",\"main\"", 3 * 64, 3, 1);
	vla_frame(2);
	expect("vla_frame", "\"vla_frame\",\"main\"", 2 * 72, 2, -1);
	sort_things();
	expect("compare", "\"compare\",\"sort_things\",\"main\"", 5 * 96, 5, -1);
	for (unsigned b = 0; fans && b < 1u << FAN_LEVELS; b++)
		fan(FAN_LEVELS, b);
	if (fans) {
		char buf[128];
		int n = snprintf(buf, sizeof(buf), "{\"type\":\"fan\",\"stacks\":%u,\"bytes\":8}\n",
				 1u << FAN_LEVELS);

		if (write(out_fd, buf, n) != n)
			return 3;
	}
	if (write(out_fd, "{\"type\":\"done\"}\n", 16) != 16)
		return 3;
	close(out_fd);
	if (wait)
		do
			sigwait(&set, &sig);
		while (sig != SIGTERM);
	return 0;
}
