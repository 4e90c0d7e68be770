// SPDX-License-Identifier: GPL-2.0
/* Run a command as a container without hostPID would: in a new pid
 * namespace (it is pid 1 there) with its own /proc, in a new mount
 * namespace so that /proc is not changed for anyone else. Exits with the
 * command's status; SIGINT/SIGTERM are passed on to it.
 *
 * usage: in_pidns PROGRAM [ARGS...]
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: in_pidns PROGRAM [ARGS...]\n");
		return 2;
	}
	if (unshare(CLONE_NEWPID | CLONE_NEWNS)) {
		perror("unshare");
		return 125;
	}
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	child = fork();
	if (child < 0) {
		perror("fork");
		return 125;
	}
	if (child == 0) {
		/* Our mounts stay ours: nothing propagates back. */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
			perror("mount /proc");
			_exit(125);
		}
		execv(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	while (waitpid(child, &status, 0) < 0)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
