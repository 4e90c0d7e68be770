// SPDX-License-Identifier: GPL-2.0
/* Cheap static analysis as part of the run: shellcheck on every shell
 * script of the tree (skipped where the tree or shellcheck is absent, e.g.
 * inside the QEMU guest). The C side is covered by -Wall -Wextra -Werror. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"

TEST(static_shellcheck, 0)
{
	char cmd[4096];
	int rc;

	if (!test_src_dir())
		test_skip("no source tree (--top)");
	if (system("command -v shellcheck >/dev/null 2>&1"))
		test_skip("shellcheck not installed");
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && shellcheck $(grep -lE '^#!/bin/(ba)?sh' -r scripts tests .ci "
		 "2>/dev/null | grep -v '\\.c$')", test_src_dir());
	rc = system(cmd);
	ASSERT_EQ(rc, 0, "shellcheck is clean");
}

/* Build outputs stay out of git: a stale binary was once committed by a
 * broad `git add`. Every tracked file is read for the ELF magic. */
TEST(static_no_tracked_binaries, 0)
{
	char cmd[4096], path[4096];
	int checked = 0;
	FILE *p;

	if (!test_src_dir())
		test_skip("no source tree (--top)");
	snprintf(cmd, sizeof(cmd), "cd '%s' && git ls-files 2>/dev/null", test_src_dir());
	p = popen(cmd, "r");
	if (!p)
		test_skip("cannot run git");
	while (fgets(path, sizeof(path), p)) {
		char full[8192], magic[4] = { 0 };
		FILE *f;

		path[strcspn(path, "\n")] = 0;
		snprintf(full, sizeof(full), "%s/%s", test_src_dir(), path);
		f = fopen(full, "rb");
		if (!f)
			continue;
		if (fread(magic, 1, 4, f) == 4)
			ASSERT_FALSE(!memcmp(magic, "\177ELF", 4), path);
		fclose(f);
		checked++;
	}
	pclose(p);
	if (!checked)
		test_skip("not a git checkout");
}
