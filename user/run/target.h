/* SPDX-License-Identifier: GPL-2.0 */
/* What a run traces, shared by every tool: a running process (-p), a
 * command memscope starts (-c), a memory cgroup (--cgroup), or the whole
 * system; and the filter values the BPF side compares against
 * (bpf/lib/common.bpf.h), with pids as memscope's own pid namespace
 * numbers them so the tools work inside a container too.
 *
 * A process is pinned by a pidfd opened before anything is read from
 * /proc, so what is read belongs to that process (or its death is seen).
 * Every refusal prints a message that says what is wrong and returns the
 * exit code (EXIT_USAGE, EXIT_FAIL of core/cli.h). */
#ifndef MEMSCOPE_RUN_TARGET_H
#define MEMSCOPE_RUN_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "run/spawn.h"

struct target {
	pid_t pid;		/* -p, or the -c child once started; 0: none */
	int pidfd;		/* -1: none */
	char name[64];		/* comm, or the command's argv[0] (raw bytes) */
	/* -c */
	char **argv;
	char exe[PATH_MAX];	/* the executable found on PATH */
	/* The program that runs: exe, or for a script its interpreter ("#!",
	 * through /usr/bin/env too; /bin/sh without one): its allocator is
	 * the one to trace. */
	char program[PATH_MAX];
	struct spawned child;
	bool spawned;
	bool stdout_apart;	/* the command's stdout to memscope's stderr */
	/* --cgroup */
	uint64_t memcg_id;	/* 0: none */
	char memcg_dir[PATH_MAX];
};

void target_init(struct target *t);
/* Release everything; a child still held or running is killed. */
void target_close(struct target *t);

/* -p PID: a process (not a thread of one, not a zombie, not a kernel
 * thread) memscope may read. */
int target_open_pid(struct target *t, pid_t pid);
/* -c CMDLINE: split it (sh-like quoting), find it on PATH, and for a
 * script find the program that runs it. */
int target_parse_command(struct target *t, const char *cmdline);
/* Start the parsed command held before exec (see spawn.h; stop_at_exit
 * keeps its address space readable at exit). Sets pid and pidfd. */
int target_spawn(struct target *t, bool stop_at_exit);
/* Let a spawned command exec (everything is attached by now). */
int target_release(struct target *t);
/* How long a -c command has to exit after memscope passed it the signal
 * that stopped the run, before it is killed. */
#define TARGET_STOP_GRACE_MS 5000
/* The run was stopped by sig (SIGINT, SIGTERM; from_tty: a terminal's, see
 * loop_stop_signal()): pass it on to a -c command still running, unless
 * it has it already, so that its own handler runs. 1 if sent, 0 if not
 * needed, -errno. */
int target_forward_signal(struct target *t, int sig, bool from_tty);
/* --cgroup PATH: a memory cgroup directory, or a path as /proc/PID/cgroup
 * names it. */
int target_set_cgroup(struct target *t, const char *path);

/* The values of bpf/lib/common.bpf.h's rodata for this target. */
struct target_filter {
	uint32_t target_tgid;	/* with_pid: the target's pid, else 0 */
	uint32_t self_tgid;
	uint64_t memcg;
	uint64_t pidns_dev, pidns_ino;	/* 0 in the initial pid namespace */
};

void target_filter(const struct target *t, bool with_pid, struct target_filter *f);

/* Set the rodata of lib/common.bpf.h in skeleton s (any tool's: every
 * skeleton has the same fields there). */
#define TARGET_FILTER_APPLY(s, f)					\
	do {								\
		(s)->rodata->target_tgid = (f)->target_tgid;		\
		(s)->rodata->self_tgid = (f)->self_tgid;		\
		(s)->rodata->target_memcg = (f)->memcg;			\
		(s)->rodata->pidns_dev = (f)->pidns_dev;		\
		(s)->rodata->pidns_ino = (f)->pidns_ino;		\
	} while (0)

#endif
