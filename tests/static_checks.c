// SPDX-License-Identifier: GPL-2.0
/* Cheap static analysis as part of the run: shellcheck on every shell
 * script of the tree (skipped where the tree or shellcheck is absent, e.g.
 * inside the QEMU guest). The C side is covered by -Wall -Wextra -Werror. */
#include <stdlib.h>
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
