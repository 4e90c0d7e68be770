/* SPDX-License-Identifier: GPL-2.0 */
/* Options every subcommand shares, as an argp child parser, and the exit
 * codes every subcommand uses. */
#ifndef MEMSCOPE_CLI_H
#define MEMSCOPE_CLI_H

#include <argp.h>
#include <stdbool.h>

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	/* runtime failure */
	EXIT_USAGE = 2,	/* bad command line */
};

struct common_opts {
	int verbose;		/* number of -v */
	bool json;		/* -j: JSON Lines on stdout */
	const char *btf_path;	/* --btf FILE, NULL: the running kernel's */
	const char *output;	/* --output FILE: stdout goes there */
};

/* Child parser for struct common_opts: put it in a tool's argp children with
 * the tool's common_opts as its input (state->child_inputs[0] = &opts->common
 * on ARGP_KEY_INIT). */
extern const struct argp common_argp;

/* --output: fd 1 becomes path (created, or truncated; never through a
 * symlink, only a regular file); 0 or -1 after a message. cli_parse() does
 * it. cli_original_stdout(): the stdout memscope was started with, for a
 * -c command (-1 without --output). */
int cli_redirect_output(const char *path);
int cli_original_stdout(void);

/* An [INTERVAL [COUNT]] positional (ARGP_KEY_ARG): the first into
 * *interval_s, the second into *count (*n counts them), each 1 or more;
 * argp_error() on a bad or a third one. */
void cli_interval_arg(struct argp_state *state, const char *arg, int *n, unsigned *interval_s,
		      unsigned *count);

/* Run argp over argv for one subcommand; "prog" names it in messages
 * ("memscope probe"). Returns 0, or EXIT_USAGE after printing why. --help
 * and --usage print and exit 0 from inside argp. Also applies -v to the
 * log level and installs libbpf's print callback. */
int cli_parse(const struct argp *argp, const char *prog, int argc, char **argv,
	      void *input, struct common_opts *common);

#endif
