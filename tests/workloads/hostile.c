// SPDX-License-Identifier: GPL-2.0
/* A process whose name is made to attack a terminal: its comm holds ESC,
 * BEL and a newline (an xterm title sequence), and its executable's name
 * may too (the test copies it under such a name). It leaks a little, says
 * "ready", and waits for SIGTERM/SIGINT.
 *
 * usage: hostile
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

__attribute__((noinline)) static void *leak_some(size_t n)
{
	void *p = malloc(n);

	memset(p, 1, n);
	return p;
}

int main(void)
{
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	prctl(PR_SET_NAME, "\x1b]0;pwn\a\n", 0, 0, 0);
	for (int i = 0; i < 64; i++)
		leak_some(1000);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		usleep(10 * 1000);
	return 0;
}
