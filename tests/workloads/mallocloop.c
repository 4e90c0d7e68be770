// SPDX-License-Identifier: GPL-2.0
/* Benchmark workload: N pairs of malloc(SIZE)/free(p), timed. Prints one
 * JSON line {"type":"bench","ns_per_op":...}. Calls go through volatile
 * function pointers so the compiler keeps every one.
 *
 * usage: mallocloop N [SIZE] [leak|DEPTH]
 *   leak:  keep every block (a known leak of N * SIZE bytes) and exit; a
 *          tracer that started it with -c reports what it held.
 *   DEPTH: make the calls DEPTH frames below main (the cost of walking
 *          deeper stacks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *(*volatile do_malloc)(size_t) = malloc;
static void (*volatile do_free)(void *) = free;

static double loop(long n, size_t size)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		do_free(do_malloc(size));
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
}

static double (*volatile do_loop)(long, size_t) = loop;

__attribute__((noinline)) static double deeper(int depth, long n, size_t size)
{
	double ns = depth > 1 ? deeper(depth - 1, n, size) : do_loop(n, size);

	asm volatile("" ::: "memory");
	return ns;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 64;
	double ns;

	if (argc > 3 && !strcmp(argv[3], "leak")) {
		for (long i = 0; i < n; i++)
			if (!do_malloc(size))
				return 1;
		printf("{\"type\":\"bench\",\"workload\":\"mallocloop\",\"leaked_bytes\":%ld}\n",
		       n * (long)size);
		return 0;
	}
	ns = deeper(argc > 3 ? atoi(argv[3]) : 1, n, size);
	printf("{\"type\":\"bench\",\"workload\":\"mallocloop\",\"ops\":%ld,\"ns_per_op\":%.1f}\n", n, ns);
	return 0;
}
