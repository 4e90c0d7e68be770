// SPDX-License-Identifier: GPL-2.0
/* memscope: one binary, one subcommand per tool. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tools.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "probe", cmd_probe, "what this kernel lets each tool do (start here)" },
	{ "leak", cmd_leak, "outstanding allocations of a process or the kernel, by stack" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

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
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Every command runs as root (or with CAP_BPF and CAP_PERFMON), prints\n"
		"text by default and JSON Lines with -j, and detaches everything on exit.\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	size_t i;

	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("memscope %s\n", MEMSCOPE_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);

	fprintf(stderr, "memscope: unknown command '%s'\n", cmd);
	fprintf(stderr, "Try 'memscope --help' for the list of commands.\n");
	return EXIT_USAGE;
}
