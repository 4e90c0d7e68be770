// SPDX-License-Identifier: GPL-2.0
/* Anonymous memory for reclaim tests: prints "ready", waits for SIGUSR1
 * (so a tracer can attach to it), then maps and touches MIB MiB, 1 MiB at
 * a time, and prints a JSON line with what it touched; then waits for
 * SIGTERM. In a memory cgroup smaller than that it is reclaimed from (to
 * swap, if any) or OOM-killed before the line.
 *
 * usage: memhog MIB [populate | write PATH]
 *   populate: 16 MiB at a time with MAP_POPULATE (the kernel allocates
 *   them in one go: faster than kswapd frees memory, so the allocation
 *   reclaims directly)
 *   write PATH: once touched, on SIGUSR2, write a byte to PATH (opened at
 *   the start): on a frozen file system that blocks, uninterruptibly, so
 *   an OOM kill cannot end it before the OOM reaper takes its memory
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t go, stop, do_write;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else if (sig == SIGUSR2)
		do_write = 1;
	else
		stop = 1;
}

int main(int argc, char **argv)
{
	long mib = argc >= 2 ? atol(argv[1]) : 0, page = sysconf(_SC_PAGESIZE);
	bool populate = argc == 3 && !strcmp(argv[2], "populate");
	bool writer = argc == 4 && !strcmp(argv[2], "write");
	long step = populate ? 16 : 1;
	int fd = -1;

	if (mib <= 0 || argc > 4 || (argc == 3 && !populate) || (argc == 4 && !writer)) {
		fprintf(stderr, "usage: memhog MIB [populate | write PATH]\n");
		return 2;
	}
	if (writer && (fd = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		perror(argv[3]);
		return 1;
	}
	signal(SIGUSR2, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!go && !stop)
		usleep(5000);
	for (long m = 0; m < mib && !stop; m += step) {
		long len = step << 20;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (long o = 0; o < len; o += page)
			p[o] = (char)(m + o);
	}
	printf("{\"type\":\"truth\",\"op\":\"anon\",\"touched_mib\":%ld}\n", mib);
	fflush(stdout);
	while (!stop) {
		if (do_write && fd >= 0) {
			do_write = 0;
			printf("writing\n");
			fflush(stdout);
			if (write(fd, "x", 1) != 1)
				perror("write");
		}
		usleep(5000);
	}
	return 0;
}
