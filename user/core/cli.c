// SPDX-License-Identifier: GPL-2.0
/* Shared command-line handling: common options, argp setup, exit codes. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/cli.h"
#include "core/log.h"
#include "core/parse.h"

enum { OPT_BTF = 0x1000 };

static const struct argp_option common_options[] = {
	{ "verbose", 'v', NULL, 0,
	  "More diagnostics on stderr (repeat: -vv debug, -vvv libbpf debug)", -1 },
	{ "json", 'j', NULL, 0, "Print JSON Lines on stdout instead of text", -1 },
	{ "btf", OPT_BTF, "FILE", 0,
	  "Kernel BTF to use when the kernel has no /sys/kernel/btf/vmlinux", -1 },
	{},
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	struct common_opts *o = state->input;

	switch (key) {
	case 'v':
		o->verbose++;
		break;
	case 'j':
		o->json = true;
		break;
	case OPT_BTF:
		o->btf_path = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp common_argp = {
	.options = common_options,
	.parser = common_parse,
};

int cli_parse(const struct argp *argp, const char *prog, int argc, char **argv,
	      void *input, struct common_opts *common)
{
	char *saved = argv[0];
	error_t err;

	/* argp names the program in --help and errors after argv[0]. */
	argv[0] = (char *)prog;
	argp_err_exit_status = EXIT_USAGE;
	err = argp_parse(argp, argc, argv, 0, NULL, input);
	argv[0] = saved;
	if (err)
		return EXIT_USAGE;
	log_set_level(LOG_WARN + common->verbose);
	log_setup_libbpf();
	return 0;
}

void cli_interval_arg(struct argp_state *state, const char *arg, int *n, unsigned *interval_s,
		      unsigned *count)
{
	uint64_t v;

	if (*n >= 2)
		argp_error(state, "unexpected argument '%s' (only [INTERVAL] [COUNT])", arg);
	if (parse_u64(arg, 1, UINT_MAX, &v))
		argp_error(state, "invalid %s '%s'", *n ? "count" : "interval", arg);
	if ((*n)++)
		*count = v;
	else
		*interval_s = v;
}
