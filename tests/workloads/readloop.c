// SPDX-License-Identifier: GPL-2.0
/* A benchmark of cached reads: read FILE (warmed first) N times in blocks
 * of BS bytes, sequentially start to end or at random page-aligned
 * offsets, and print the time per read as {"ns_per_op":...}.
 *
 * usage: readloop FILE BS N seq|rand
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	unsigned long long x = 88172645463325252ULL;
	long bs, n, blocks;
	struct stat st;
	char *buf;
	bool seq;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: readloop FILE BS N seq|rand\n");
		return 2;
	}
	bs = atol(argv[2]);
	n = atol(argv[3]);
	seq = !strcmp(argv[4], "seq");
	fd = open(argv[1], O_RDONLY);
	buf = malloc(bs);
	if (fd < 0 || !buf || fstat(fd, &st) || bs <= 0 || st.st_size < bs) {
		perror(argv[1]);
		return 1;
	}
	blocks = st.st_size / bs;
	for (long i = 0; i < blocks; i++)
		if (pread(fd, buf, bs, i * bs) < 0)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		long b;

		if (seq) {
			b = i % blocks;
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b = x % blocks;
		}
		if (pread(fd, buf, bs, b * bs) != bs)
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"type\":\"result\",\"ns_per_op\":%.1f}\n",
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
	return 0;
}
