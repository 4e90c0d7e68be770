// SPDX-License-Identifier: GPL-2.0
/* Benchmark workload: N pairs of malloc(SIZE)/free(p), timed. Prints one
 * JSON line {"type":"bench","ns_per_op":...}. Calls go through volatile
 * function pointers so the compiler keeps every one.
 *
 * usage: mallocloop N [SIZE] [leak]
 *   leak: keep every block (a known leak of N * SIZE bytes) and exit; a
 *         tracer that started it with -c reports what it held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *(*volatile do_malloc)(size_t) = malloc;
static void (*volatile do_free)(void *) = free;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 64;
	struct timespec a, b;
	double ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if (argc > 3 && !strcmp(argv[3], "leak")) {
		for (long i = 0; i < n; i++)
			if (!do_malloc(size))
				return 1;
		printf("{\"type\":\"bench\",\"workload\":\"mallocloop\",\"leaked_bytes\":%ld}\n",
		       n * (long)size);
		return 0;
	}
	for (long i = 0; i < n; i++)
		do_free(do_malloc(size));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
	printf("{\"type\":\"bench\",\"workload\":\"mallocloop\",\"ops\":%ld,\"ns_per_op\":%.1f}\n", n, ns);
	return 0;
}
