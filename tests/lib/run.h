/* SPDX-License-Identifier: GPL-2.0 */
/* Running the built tools from tests (recording the BPF programs they
 * hold, progs.h) and reading what they print. */
#ifndef MEMSCOPE_TEST_RUN_H
#define MEMSCOPE_TEST_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jreq.h"
#include "jsonp.h"
#include "progs.h"

struct run_opts {
	unsigned timeout_ms;	/* 0: 60 s; on expiry SIGTERM, then SIGKILL */
	uid_t uid;		/* run as this uid when not 0 (root) */
	/* With uid: keep these capabilities (a mask of 1ULL << CAP_x) as the
	 * new user, effective and ambient, so they survive exec. */
	unsigned long long caps;
	/* Send SIGINT (or signal_sig) after this many ms, 0: never. */
	unsigned signal_after_ms;
	int signal_sig;
	const char *stdin_text;	/* NULL: /dev/null */
	const char *const *env;	/* extra NAME=VALUE entries, NULL-terminated */
	const char *memcg;	/* a cgroup directory (memcg.h) to start in */
};

struct run_result {
	int status;		/* exit code, or 128+signal */
	bool timed_out;
	char *out, *err;	/* NUL-terminated captures */
	size_t out_len, err_len;
	long long elapsed_ms;
};

/* What the README promises suffices for the kernel-side tools. */
#define CAP_BPF_PERFMON ((1ULL << 39) | (1ULL << 38))	/* CAP_BPF, CAP_PERFMON */

/* Become uid (and its group) keeping caps (1ULL << CAP_x), which exec then
 * keeps too (ambient): a non-root user with, say, only CAP_BPF and
 * CAP_PERFMON. 0 or -1. For a forked child. */
int run_become(uid_t uid, unsigned long long caps);

/* Run argv[0] (a path) with argv; 0 if it could be started. */
int run_argv(char *const argv[], const struct run_opts *o, struct run_result *r);
void run_result_free(struct run_result *r);

/* A program running in the background while the test talks to it. */
struct bg {
	pid_t pid;
	int out_fd, err_fd;
	char *out, *err;	/* everything read so far, NUL-terminated */
	size_t out_len, err_len, out_cap, err_cap;
	int status;		/* once ended: exit code or 128+signal */
	bool ended;
	bool memscope;		/* it is memscope: its BPF programs are recorded */
	long long started_ms, next_sample_ms;	/* CLOCK_MONOTONIC */
};

/* Start argv (argv[0] a path) with o->env / o->uid applied; 0 or -errno.
 * While a memscope runs, every bg_* call records its programs (progs.h). */
int bg_start(struct bg *b, char *const argv[], const struct run_opts *o);
/* Read its output until stdout contains needle (after offset *from, which
 * is advanced past the match when found), or timeout_ms passes, or it
 * exits. Returns true if found. */
bool bg_wait_out(struct bg *b, const char *needle, size_t *from, unsigned timeout_ms);
/* Keep reading its output for ms (or until it ends). */
void bg_read_for(struct bg *b, unsigned ms);
/* Send sig (0: none), then wait up to timeout_ms for the end (SIGKILL
 * after that) and collect the rest of its output. Returns its status. */
int bg_stop(struct bg *b, int sig, unsigned timeout_ms);
void bg_free(struct bg *b);

/* A command line memscope must refuse: its arguments (after "memscope";
 * one starting with "tests/" is a built program's path), the exit status
 * and a part of the message on stderr. */
struct bad_input {
	const char *args[8];
	int status;
	const char *msg;
};

/* Run each of n cases; assert its status and message (each assertion
 * names the command line). assert_bad_inputs(array) counts them. */
void bad_inputs_check(const struct bad_input *cases, size_t n);
#define assert_bad_inputs(cases) bad_inputs_check(cases, sizeof(cases) / sizeof((cases)[0]))

/* Path of a built program: "memscope" or "tests/workloads/NAME". */
const char *bin_path(const char *rel);

/* Run memscope with a NULL-terminated argument list. */
int run_memscope(const struct run_opts *o, struct run_result *r, ...)
	__attribute__((sentinel));

/* Parse JSON Lines in which every record has a string "type": a run's
 * stdout, a string, or a file (a workload's expectations). Anything else
 * (invalid JSON, an untyped record, a missing or empty file) is a test
 * failure at the caller's line that shows the problem. True if parsed. */
bool parse_jlines_at(const char *file, int line, const char *text, struct jlines *out);
bool parse_jlines_file_at(const char *file, int line, const char *path, struct jlines *out);
#define parse_jlines(r, l)	parse_jlines_at(__FILE__, __LINE__, (r)->out, l)
#define parse_jlines_str(s, l)	parse_jlines_at(__FILE__, __LINE__, s, l)
#define parse_jlines_file(p, l)	parse_jlines_file_at(__FILE__, __LINE__, p, l)

/* A whole file, NUL-terminated (malloc'd; *len its size if len); NULL with
 * errno if it cannot be read. */
char *read_text_file(const char *path, size_t *len);
/* A JSON file a bench driver wrote (memscope-bench, memscope-soak), parsed
 * (NULL after a recorded failure), with its machine identity checked
 * against this one's: the kernel release and the CPU count. */
struct jv;
struct jv *read_machine_json_at(const char *file, int line, const char *path);
#define read_machine_json(path)	read_machine_json_at(__FILE__, __LINE__, path)
/* The pid a workload publishes in file once it is ready (0 after 30 s),
 * reading memscope's output (ms) meanwhile. */
struct bg;
pid_t bg_wait_pid_file(struct bg *ms, const char *file);
/* Wait up to timeout_ms until the file at path contains needle. */
bool wait_file_has(const char *path, const char *needle, int timeout_ms);

/* The state letter of a process in /proc/PID/stat ('R', 'S', 'T', 't'
 * for a tracing stop, 'Z'...), 0 if there is no such process. */
char proc_state(pid_t pid);
/* Poll until its state is one of states (true) or timeout_ms passes. */
bool wait_proc_state(pid_t pid, const char *states, unsigned timeout_ms);

/* tracefs mount point (mounting it if needed); NULL if impossible. */
const char *test_tracefs(void);

#endif
