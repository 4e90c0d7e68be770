// SPDX-License-Identifier: GPL-2.0
/* Shared command-line handling: common options, argp setup, exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/cli.h"
#include "core/log.h"
#include "core/parse.h"

enum { OPT_BTF = 0x1000, OPT_OUTPUT };

static const struct argp_option common_options[] = {
	{ "verbose", 'v', NULL, 0,
	  "More diagnostics on stderr (repeat: -vv debug, -vvv libbpf debug)", -1 },
	{ "json", 'j', NULL, 0, "Print JSON Lines on stdout instead of text", -1 },
	{ "btf", OPT_BTF, "FILE", 0,
	  "Kernel BTF to use when the kernel has no /sys/kernel/btf/vmlinux", -1 },
	{ "output", OPT_OUTPUT, "FILE", 0,
	  "Write the reports to FILE instead of stdout (a -c command keeps stdout); never through a symlink", -1 },
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
	case OPT_OUTPUT:
		if (!*arg)
			argp_error(state, "--output needs a file name");
		o->output = arg;
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
	if (common->output && cli_redirect_output(common->output))
		return EXIT_FAIL;
	return 0;
}

/* The stdout memscope was started with, once --output took fd 1. */
static int saved_stdout = -1;

int cli_redirect_output(const char *path)
{
	struct stat st;
	int fd, keep;

	/* As root, never follow a symlink someone planted at path, and
	 * write only into a regular file or a character device (/dev/null, a
	 * terminal), never a block device or a FIFO that has the name. */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0666);
	if (fd < 0) {
		log_error("--output %s: %s%s", path, strerror(errno),
			  errno == ELOOP ? " (a symbolic link: not followed)" : "");
		return -1;
	}
	if (fstat(fd, &st) || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
		log_error("--output %s: not a regular file or a character device", path);
		close(fd);
		return -1;
	}
	if ((S_ISREG(st.st_mode) && ftruncate(fd, 0)) || fcntl(fd, F_SETFL, 0)) {
		log_error("--output %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	fflush(stdout);
	keep = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (dup2(fd, STDOUT_FILENO) < 0) {
		log_error("--output %s: %s", path, strerror(errno));
		close(fd);
		if (keep >= 0)
			close(keep);
		return -1;
	}
	close(fd);
	saved_stdout = keep;
	return 0;
}

int cli_original_stdout(void)
{
	return saved_stdout;
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
