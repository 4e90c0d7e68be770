// SPDX-License-Identifier: GPL-2.0
/* memscope: one binary, one subcommand per tool. */
#include <stdio.h>
#include <string.h>

#include "core/cli.h"
#include "core/version.h"
#include "run/registry.h"

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: memscope <command> [options]\n"
		"       memscope <command> --help\n"
		"       memscope --version\n"
		"\n"
		"Linux memory observability with eBPF.\n"
		"\n"
		"commands:\n");
	for (i = 0; i < registry_len; i++)
		fprintf(out, "  %-10s %s\n", registry[i]->name, registry[i]->summary);
	fprintf(out,
		"\n"
		"Every command runs as root (or with CAP_BPF and CAP_PERFMON), prints\n"
		"text by default and JSON Lines with -j, and detaches everything on exit.\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const struct tool *t;

	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("memscope %s\n", memscope_version);
		return EXIT_OK;
	}
	t = registry_find(cmd);
	if (t)
		return t->main(argc - 1, argv + 1);

	fprintf(stderr, "memscope: unknown command '%s'\n", cmd);
	fprintf(stderr, "Try 'memscope --help' for the list of commands.\n");
	return EXIT_USAGE;
}
