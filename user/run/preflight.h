/* SPDX-License-Identifier: GPL-2.0 */
/* The checks every tool runs before loading anything, each failure with a
 * message that says what is wrong and what the user can do about it. */
#ifndef MEMSCOPE_PREFLIGHT_H
#define MEMSCOPE_PREFLIGHT_H

#include <stdbool.h>

struct preflight_opts {
	const char *btf_path;	/* --btf FILE, or NULL */
	bool need_btf;		/* fail without kernel BTF */
};

/* Returns 0, or EXIT_FAIL (EXIT_USAGE for a bad MEMSCOPE_ATTACH) after
 * printing why the tool cannot run. */
int preflight(const struct preflight_opts *opts);
/* Its check of --btf FILE (path; NULL: the kernel's own BTF): 0, or
 * EXIT_FAIL after saying why the file cannot serve. */
int preflight_btf(const char *path);

#endif
