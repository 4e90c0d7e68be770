// SPDX-License-Identifier: GPL-2.0
/* Anonymous memory for reclaim tests: prints "ready", waits for SIGUSR1
 * (so a tracer can attach to it), then maps and touches MIB MiB, 1 MiB at
 * a time, and prints a JSON line with what it touched; then waits for
 * SIGTERM. In a memory cgroup smaller than that it is reclaimed from (to
 * swap, if any) or OOM-killed before the line.
 *
 * usage: memhog MIB
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t go, stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		stop = 1;
}

int main(int argc, char **argv)
{
	long mib = argc == 2 ? atol(argv[1]) : 0, page = sysconf(_SC_PAGESIZE);

	if (mib <= 0) {
		fprintf(stderr, "usage: memhog MIB\n");
		return 2;
	}
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!go && !stop)
		usleep(5000);
	for (long m = 0; m < mib && !stop; m++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (long o = 0; o < (1 << 20); o += page)
			p[o] = (char)(m + o);
	}
	printf("{\"type\":\"truth\",\"op\":\"anon\",\"touched_mib\":%ld}\n", mib);
	fflush(stdout);
	while (!stop)
		usleep(5000);
	return 0;
}
