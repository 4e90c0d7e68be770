// SPDX-License-Identifier: GPL-2.0
/* A program with its own SIGINT/SIGTERM handler, to be run under
 * `memscope leak -c`: it holds KEEP blocks for good and TEMP blocks until
 * the signal, publishes its pid in READY (written to READY.tmp, renamed),
 * and on SIGINT or SIGTERM its handler appends the signal's number and a
 * newline to MARKER (once per delivery: a line per signal it got), then it
 * frees the TEMP blocks and exits with 3. Writes nothing to stdout.
 *
 * usage: sigmark MARKER READY
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP 3
#define KEEP_BYTES 1000
#define TEMP 2
#define TEMP_BYTES 5000

static int marker_fd = -1;
static volatile sig_atomic_t got;
static void *volatile keep[KEEP], *volatile temp[TEMP];

static void on_signal(int sig)
{
	char buf[8];
	int n = 0;

	if (sig >= 10)
		buf[n++] = '0' + sig / 10;
	buf[n++] = '0' + sig % 10;
	buf[n++] = '\n';
	if (write(marker_fd, buf, n) != n)
		_exit(4);
	got = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t block, old;
	char tmp[4096], pid[32];
	int fd, n;

	if (argc != 3) {
		fprintf(stderr, "usage: sigmark MARKER READY\n");
		return 2;
	}
	marker_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (marker_fd < 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Held until sigsuspend(): a signal cannot slip in between the
	 * check and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < KEEP; i++)
		keep[i] = malloc(KEEP_BYTES);
	for (int i = 0; i < TEMP; i++)
		temp[i] = malloc(TEMP_BYTES);
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, pid, n) != n || close(fd) || rename(tmp, argv[2]))
		return 1;
	while (!got)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* A second copy of the same request would run the handler again
	 * meanwhile: give it the time to. */
	usleep(300 * 1000);
	for (int i = 0; i < TEMP; i++)
		free(temp[i]);
	return 3;
}
