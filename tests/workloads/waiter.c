// SPDX-License-Identifier: GPL-2.0
/* A target that holds a known allocation and waits to be told to exit:
 * keeps N_BLOCKS malloc'd blocks of BLOCK bytes, writes its pid to FILE
 * (atomically: FILE.tmp renamed) once it is waiting, and exits with CODE
 * on SIGUSR1. Writes nothing to stdout: a tracer started with -c shares
 * it for its own JSON.
 *
 * usage: waiter CODE FILE
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N_BLOCKS 3
#define BLOCK 4096

static void *volatile kept[N_BLOCKS];

__attribute__((noinline)) static void hold_blocks(void)
{
	for (int i = 0; i < N_BLOCKS; i++)
		kept[i] = malloc(BLOCK);
}

int main(int argc, char **argv)
{
	char tmp[4096], pid[32];
	sigset_t usr1, old;
	int fd, n, sig;

	if (argc != 3) {
		fprintf(stderr, "usage: waiter CODE FILE\n");
		return 2;
	}
	/* Blocked before the pid is published: the SIGUSR1 cannot be lost. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	hold_blocks();
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, pid, n) != n || close(fd) || rename(tmp, argv[2])) {
		perror(argv[2]);
		return 1;
	}
	while (sigwait(&usr1, &sig))
		;
	return atoi(argv[1]);
}
