// SPDX-License-Identifier: GPL-2.0
/* Benchmark workload for kernel allocations: N round trips of a 64-byte
 * message over a UNIX socketpair (each send allocates an skb, each receive
 * frees it), timed. Prints {"type":"bench","ns_per_op":...}.
 *
 * usage: sockloop N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	char buf[64] = { 1 };
	struct timespec a, b;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		perror("socketpair");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		if (write(sv[0], buf, sizeof(buf)) != sizeof(buf) ||
		    read(sv[1], buf, sizeof(buf)) != sizeof(buf)) {
			perror("socket");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("{\"type\":\"bench\",\"workload\":\"sockloop\",\"ops\":%ld,\"ns_per_op\":%.1f}\n", n,
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
