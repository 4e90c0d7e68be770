/* SPDX-License-Identifier: GPL-2.0 */
/* Starting a traced command (-c): split its command line, find it on PATH,
 * fork it held at a gate so every probe is attached before its first
 * instruction runs, and (optionally) keep it from vanishing at exit until
 * we have read what we need from /proc (its memory maps, for symbols). */
#ifndef MEMSCOPE_SPAWN_H
#define MEMSCOPE_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Split a command line with sh-like quoting ('...', "...", backslash) into
 * a NULL-terminated argv; returns argc, or -EINVAL (unbalanced quote,
 * empty command) / -ENOMEM. Free with cmdline_free(). */
int cmdline_split(const char *s, char ***argv);
void cmdline_free(char **argv);

/* Find name as execvp would: names with a '/' as they are, others on PATH
 * (default "/usr/local/bin:/usr/bin:/bin"). 0, or -ENOENT/-EACCES. */
int path_resolve(const char *name, char *out, size_t len);

struct spawned {
	pid_t pid;
	int gate_fd;		/* write end: closing it lets the child exec */
	int err_fd;		/* read end: errno from a failed exec */
	int sig_fd;		/* signalfd for SIGCHLD (poll it) */
	bool traced;		/* ptrace-seized to stop at exit */
	bool exited;
	int status;		/* wait status once exited */
	/* SIGINT/SIGTERM passed on to the child (spawn_forward()) */
	int stop_sig;		/* being passed on, 0: none */
	bool stop_got;		/* the child has had it (traced children) */
	int last_sig;		/* the last one it got from outside itself */
	long long last_sig_ms;	/* when (CLOCK_MONOTONIC) */
	/* With stop_at_exit, the child also stops at each exec, before the new
	 * program's first instruction: at_exec(ctx of spawn_handle) runs there
	 * for every exec after the command's own (NULL: none). */
	void (*at_exec)(void *ctx);
	unsigned execs;
};

/* Fork the child and hold it before exec. The child is ptrace-seized
 * (EXITKILL: it dies with memscope; its signals pass through
 * spawn_handle()); with stop_at_exit also PTRACE_O_TRACEEXIT, so it stops
 * once at exit with its address space still there. stdout_to_stderr: the child's
 * standard output goes to memscope's standard error (when memscope's own
 * output is on stdout, e.g. JSON Lines: the two never mix). 0 or -errno. */
int spawn_prepare(struct spawned *s, const char *path, char *const argv[], bool stop_at_exit,
		  bool stdout_to_stderr);
/* Let the child exec; returns 0, or -errno why exec failed. */
int spawn_release(struct spawned *s);
/* Call when sig_fd is readable (or periodically): re-injects signals the
 * child received, runs at_exit(ctx) at its exit stop and lets it go.
 * Returns 1 once the child is gone (s->status set), else 0. */
int spawn_handle(struct spawned *s, void (*at_exit)(void *ctx), void *ctx);
/* Pass sig (SIGINT, SIGTERM) on to the child unless it has it already:
 * from_tty, the terminal sent it to the foreground process group the
 * child shares; a traced child is seen getting it (and gets it once, see
 * spawn_handle()). 1 if sent, 0 if not needed, or -errno. */
int spawn_forward(struct spawned *s, int sig, bool from_tty);
/* Kill and reap the child (error paths). */
void spawn_kill(struct spawned *s);
/* Exit code of the child as a shell reports it (128+signal if killed). */
int spawn_exit_code(const struct spawned *s);

#endif
