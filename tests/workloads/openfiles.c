// SPDX-License-Identifier: GPL-2.0
/* Kernel allocations a test can predict: create N files in a directory and
 * keep them open (N new dentries, inodes and struct files), then on
 * SIGUSR1 close and unlink them all (and they go away), then exit on
 * SIGTERM. Prints "opened N" and "closed N" on stdout when each phase is
 * done. With --wait it first prints "ready" and waits for a SIGUSR1 before
 * opening anything (so a tracer can attach to it first).
 *
 * usage: openfiles DIR N [--wait]
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile sig_atomic_t next, stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		next = 1;
	else
		stop = 1;
}

int main(int argc, char **argv)
{
	char path[4096];
	int n, *fds;

	if (argc < 3 || argc > 4 || (n = atoi(argv[2])) <= 0 ||
	    (argc == 4 && strcmp(argv[3], "--wait"))) {
		fprintf(stderr, "usage: openfiles DIR N [--wait]\n");
		return 2;
	}
	{
		/* Room for n descriptors, as far as the hard limit allows. */
		struct rlimit r;

		if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < (rlim_t)n + 16) {
			r.rlim_cur = r.rlim_max;
			setrlimit(RLIMIT_NOFILE, &r);
		}
	}
	fds = calloc(n, sizeof(*fds));
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (argc == 4) {
		printf("ready\n");
		fflush(stdout);
		while (!next && !stop)
			usleep(10 * 1000);
		next = 0;
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%d", argv[1], i);
		fds[i] = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fds[i] < 0) {
			perror(path);
			return 1;
		}
	}
	printf("opened %d\n", n);
	fflush(stdout);
	while (!next && !stop)
		usleep(10 * 1000);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%d", argv[1], i);
		close(fds[i]);
		unlink(path);
	}
	printf("closed %d\n", n);
	fflush(stdout);
	while (!stop)
		usleep(10 * 1000);
	return 0;
}
