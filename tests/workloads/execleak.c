// SPDX-License-Identifier: GPL-2.0
/* An image with a known ledger that then execs another program (or keeps
 * a large live set): the truth for the tests of `memscope leak` across
 * execs and of its table size. Expectations go to --out FILE as JSON Lines
 * ({"type":"expect","site":...,"bytes":...,"count":...}), written with
 * write(2) so that stdio adds nothing of its own.
 *
 * usage: execleak --out FILE [--wait] [--live N] [--hold S] [-- PROG ARGS...]
 *   --wait: print "ready" and wait for SIGUSR1 first (a tracer attaches
 *   with -p meanwhile); then
 *   leaks EXEC_LEAKED blocks of EXEC_SIZE bytes from old_image_site (and
 *   frees as many more), then with --live N allocates N blocks of 24 bytes
 *   from live_site and frees every 8th, then execs PROG (found on PATH) if
 *   given (after S seconds with --hold S), else exits 0 holding everything. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define EXEC_LEAKED 6
#define EXEC_SIZE 1234

static int out_fd = -1;

static void expect(const char *site, unsigned long long bytes, unsigned long long count)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf),
			 "{\"type\":\"expect\",\"site\":\"%s\",\"bytes\":%llu,\"count\":%llu}\n",
			 site, bytes, count);

	if (write(out_fd, buf, n) != n)
		_exit(3);
}

/* Reachable, so nothing is optimized away. */
static void *volatile sink[EXEC_LEAKED];
static void **live;

NOINLINE static void old_image_site(void)
{
	for (int i = 0; i < EXEC_LEAKED; i++) {
		void *p = malloc(EXEC_SIZE);

		free(malloc(EXEC_SIZE + 1));
		sink[i] = p;
	}
	expect(__func__, EXEC_LEAKED * EXEC_SIZE, EXEC_LEAKED);
}

/* The array of the live set: a site of its own, not counted. */
NOINLINE static void live_array(long n)
{
	live = calloc(n, sizeof(*live));
	if (!live)
		_exit(4);
}

NOINLINE static void live_site(long n)
{
	long kept = 0;

	for (long i = 0; i < n; i++)
		live[i] = malloc(24);
	for (long i = 0; i < n; i++)
		if (i % 8 == 7) {
			free(live[i]);
			live[i] = NULL;
		} else {
			kept++;
		}
	expect(__func__, kept * 24, kept);
}

int main(int argc, char **argv)
{
	long n = 0;
	int i, wait = 0, hold = 0, sig;
	sigset_t usr1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out_fd = open(argv[++i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		} else if (!strcmp(argv[i], "--hold") && i + 1 < argc) {
			hold = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--wait")) {
			wait = 1;
		} else if (!strcmp(argv[i], "--live") && i + 1 < argc) {
			n = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "usage: execleak --out FILE [--wait] [--live N] [--hold S] [-- PROG ARGS...]\n");
			return 2;
		}
	}
	if (out_fd < 0) {
		fprintf(stderr, "execleak: --out FILE is needed\n");
		return 2;
	}
	if (wait) {
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		if (write(STDOUT_FILENO, "ready\n", 6) != 6)
			return 3;
		sigwait(&usr1, &sig);
		sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	}
	old_image_site();
	if (n > 0) {
		live_array(n);
		live_site(n);
	}
	/* Time to look at the tracer from outside (the README's numbers). */
	if (hold)
		sleep(hold);
	if (i < argc) {
		execvp(argv[i], argv + i);
		perror("execleak: exec");
		return 127;
	}
	return 0;
}
