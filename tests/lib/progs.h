/* SPDX-License-Identifier: GPL-2.0 */
/* Which BPF programs a test's own processes loaded, and whether any of them
 * outlived the process. Only programs seen in a process the harness ran
 * (bg_start/run_argv/run_memscope: every pump samples /proc/PID/fdinfo of
 * the process and, where the kernel has /proc/PID/task/TID/children, of its
 * descendants) or recorded explicitly (raw checks that load their own) are
 * looked at: programs other tools or other test runs load on the same host
 * meanwhile are none of the test's business. All state is per test (each
 * test runs in its own forked process). */
#ifndef MEMSCOPE_TEST_PROGS_H
#define MEMSCOPE_TEST_PROGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Highest BPF program id loaded now (0 if none): a mark for "since".
 * Program ids only grow, so "recorded after the mark" is "id > mark". */
unsigned bpf_prog_max_id(void);

/* Record the id of every program that pid (and its descendants, where
 * listed) holds now: the "prog_id:" line of each program and link fd in
 * /proc/PID/fdinfo. Returns how many ids were new. */
int bpf_progs_sample(pid_t pid);
/* Record one program id, or the program behind one of our own fds
 * (0, or -errno). For checks that load programs themselves. */
void bpf_progs_record_id(unsigned id);
int bpf_progs_record_fd(int fd);
/* Number of recorded ids above since. */
int bpf_progs_recorded(unsigned since);

/* Number of recorded programs with an id above since that are still
 * loaded; their names and ids go to names (comma-separated). */
int bpf_progs_since(unsigned since, char *names, size_t len);
/* Fail the test if a recorded program with an id above since (0: any the
 * test recorded) is still loaded after a grace period of 2 s (the kernel
 * frees some programs through RCU after their last fd closes). */
bool assert_no_progs_left_at(const char *file, int line, unsigned since, const char *what);
#define assert_no_progs_left(since, what) assert_no_progs_left_at(__FILE__, __LINE__, since, what)

#endif
