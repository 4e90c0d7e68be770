/* SPDX-License-Identifier: GPL-2.0 */
/* The tools memscope has: each tool describes itself in a struct tool
 * defined in its own directory; user/tools.def lists them. main.c
 * dispatches through this list and `memscope probe` walks it, so a tool
 * that is not registered is neither offered nor claimed. */
#ifndef MEMSCOPE_REGISTRY_H
#define MEMSCOPE_REGISTRY_H

#include <stddef.h>

struct tool_job;

struct tool {
	const char *name;	/* the subcommand: "leak" */
	const char *summary;	/* one line for `memscope --help` */
	/* The subcommand's entry: its own argv (argv[0] is its name); returns
	 * the exit code (enum in core/cli.h). */
	int (*main)(int argc, char **argv);
	/* The ways it runs on the kernel, for `memscope probe` (NULL: it
	 * loads nothing itself); see run/attach.h. */
	const struct tool_job *const *jobs;
	/* Other subcommand names that run it (cachestat/cachetop). */
	const char *const *aliases;
};

extern const struct tool *const registry[];
extern const size_t registry_len;

/* The tool registered under name (or one of its aliases), NULL if none. */
const struct tool *registry_find(const char *name);

#endif
