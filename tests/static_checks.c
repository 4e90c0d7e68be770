// SPDX-License-Identifier: GPL-2.0
/* Cheap static analysis as part of the run: shellcheck on every shell
 * script of the tree, no tracked binaries, file sizes, strict JSON reads
 * in e2e tests (skipped where the tree or a tool is absent, e.g. inside
 * the QEMU guest). The C side is covered by -Wall -Wextra -Werror. */
#include <ftw.h>
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

#define MAX_LINES 800

static char *readme;
static int over, files;

/* A README line that names path and says more than the path: a reason. */
static bool readme_explains(const char *path)
{
	for (const char *p = readme; p && (p = strstr(p, path)); p++) {
		const char *bol = p, *eol = strchr(p, '\n');

		while (bol > readme && bol[-1] != '\n')
			bol--;
		if (!eol)
			eol = p + strlen(p);
		if ((size_t)(eol - bol) >= strlen(path) + 20)
			return true;
	}
	return false;
}

static int count_file(const char *full, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = full + strlen(test_src_dir()) + 1;
	size_t len = strlen(full);
	char *text, what[512];
	int lines = 0;

	(void)st;
	(void)ftw;
	if (type != FTW_F || len < 2 || strcmp(full + len - 2, ".c"))
		return 0;
	text = read_text_file(full, NULL);
	for (const char *p = text; p && *p; p++)
		lines += *p == '\n';
	free(text);
	files++;
	if (lines <= MAX_LINES)
		return 0;
	snprintf(what, sizeof(what), "%s has %d lines (> %d) and README.md does not say why",
		 rel, lines, MAX_LINES);
	if (ASSERT_TRUE(readme_explains(rel), what))
		test_log("%s: %d lines, README.md says why", rel, lines);
	over++;
	return 0;
}

/* Files stay small enough to read: a user/ or bpf/ C file over 800 lines
 * fails unless README.md names it (its path) on a line that says why. */
TEST(static_file_size, 0)
{
	static const char *const dirs[] = { "user", "bpf" };
	char path[4096];

	if (!test_src_dir())
		test_skip("no source tree (--top)");
	snprintf(path, sizeof(path), "%s/README.md", test_src_dir());
	readme = read_text_file(path, NULL);
	ASSERT_TRUE(readme, "README.md readable");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", test_src_dir(), dirs[i]);
		ASSERT_OK(nftw(path, count_file, 16, FTW_PHYS), path);
	}
	ASSERT_GT(files, 10, "C files found under user/ and bpf/");
	test_log("%d C files, %d over %d lines", files, over, MAX_LINES);
	free(readme);
}

/* e2e tests read memscope's output with the strict getters of jreq.h
 * only: a lenient read turns a missing key into 0 and a passing test. */
TEST(static_e2e_strict_json, 0)
{
	static const char *const lenient[] = { "jv_get(", "jv_int(", "jv_str(", "jv_bool(",
					       "jv_num(" };
	char cmd[4096], line[1024];
	int checked = 0;
	FILE *p;

	if (!test_src_dir())
		test_skip("no source tree (--top)");
	snprintf(cmd, sizeof(cmd), "cd '%s' && grep -n '' tests/e2e_*.c", test_src_dir());
	p = popen(cmd, "r");
	if (!p)
		test_skip("cannot run grep");
	while (fgets(line, sizeof(line), p)) {
		checked++;
		for (size_t i = 0; i < sizeof(lenient) / sizeof(lenient[0]); i++) {
			char what[1200];

			if (!strstr(line, lenient[i]))
				continue;
			line[strcspn(line, "\n")] = 0;
			snprintf(what, sizeof(what), "a lenient JSON read: %s", line);
			ASSERT_TRUE(false, what);
		}
	}
	pclose(p);
	ASSERT_GT(checked, 100, "e2e sources read");
}
