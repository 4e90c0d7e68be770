/* SPDX-License-Identifier: GPL-2.0 */
/* Running the built tools from tests, and independent kernel-side checks
 * (what BPF programs exist, straight from the bpf() syscall). */
#ifndef MEMSCOPE_TEST_RUN_H
#define MEMSCOPE_TEST_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jsonp.h"

struct run_opts {
	unsigned timeout_ms;	/* 0: 60 s; on expiry SIGTERM, then SIGKILL */
	uid_t uid;		/* run as this uid when not 0 (root) */
	/* Send SIGINT (or signal_sig) after this many ms, 0: never. */
	unsigned signal_after_ms;
	int signal_sig;
	const char *stdin_text;	/* NULL: /dev/null */
	const char *const *env;	/* extra NAME=VALUE entries, NULL-terminated */
};

struct run_result {
	int status;		/* exit code, or 128+signal */
	bool timed_out;
	char *out, *err;	/* NUL-terminated captures */
	size_t out_len, err_len;
	long long elapsed_ms;
};

/* Run argv[0] (a path) with argv; 0 if it could be started. */
int run_argv(char *const argv[], const struct run_opts *o, struct run_result *r);
void run_result_free(struct run_result *r);

/* Path of a built program: "memscope" or "tests/workloads/NAME". */
const char *bin_path(const char *rel);

/* Run memscope with a NULL-terminated argument list. */
int run_memscope(const struct run_opts *o, struct run_result *r, ...)
	__attribute__((sentinel));

/* Parse r->out as JSON Lines; on failure records a test failure that shows
 * the bad line. Returns true if parsed. */
bool parse_jlines(const struct run_result *r, struct jlines *out);

/* Highest BPF program id loaded now (0 if none). */
unsigned bpf_prog_max_id(void);
/* Number of BPF programs with an id above since that are still loaded;
 * their names go to names (comma-separated). */
int bpf_progs_since(unsigned since, char *names, size_t len);
/* Fail the test if any program loaded after since is still there. */
bool assert_no_progs_left(unsigned since, const char *what);

/* tracefs mount point (mounting it if needed); NULL if impossible. */
const char *test_tracefs(void);

#endif
