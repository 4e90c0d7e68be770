// SPDX-License-Identifier: GPL-2.0
/* usyms' descriptor budget against a target with many mapped ELF files
 * (tests/workloads/manyelf): every file resolves, in its own module, with
 * our descriptors counted from /proc/self/fd. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fsutil.h"
#include "harness.h"
#include "run.h"
#include "syms/usyms.h"

/* A target with 1200 mapped ELF files: every one resolves, under the
 * default descriptor budget; after the target exits, the modules still
 * open (those that resolved most recently) keep resolving. Before the
 * budget, usyms kept one descriptor per file plus libdwfl's and ran out
 * at the 1024 soft limit: the later modules silently had no symbols. */
TEST_FULL(e2e_usyms_many_elf_files, T_E2E, 300)
{
	enum { NFILES = 1200, BUDGET = USYMS_DEFAULT_FD_MAX };
	static uint64_t starts[NFILES];
	static char paths[NFILES][128];
	char *argv[] = { (char *)bin_path("tests/workloads/manyelf"), "1200", NULL };
	char dir[128] = "", line[4200], maps[64], *ready;
	int n = 0, fd0, most = 0, after_exit = 0, i;
	struct run_opts o = { 0 };
	struct sym_frame f;
	struct usyms *u = NULL;
	struct rlimit rl;
	struct bg b;
	long off = -1;
	FILE *mf;

	if (!ASSERT_OK(bg_start(&b, argv, &o), "start manyelf"))
		return;
	if (!ASSERT_TRUE(bg_wait_out(&b, "\n", NULL, 120000), "manyelf ready") ||
	    !(ready = strstr(b.out, "ready ")) ||
	    !ASSERT_EQ(sscanf(ready, "ready %127s %ld", dir, &off), 2, "ready line"))
		goto out;

	/* The truth: our own reading of its maps. */
	snprintf(maps, sizeof(maps), "/proc/%d/maps", b.pid);
	mf = fopen(maps, "re");
	while (mf && n < NFILES && fgets(line, sizeof(line), mf)) {
		unsigned long s;
		char path[128];

		if (sscanf(line, "%lx-%*x %*s %*s %*s %*s %127s", &s, path) == 2 &&
		    !strncmp(path, dir, strlen(dir)) && path[strlen(dir)] == '/') {
			starts[n] = s;
			memcpy(paths[n++], path, sizeof(path));
		}
	}
	if (mf)
		fclose(mf);
	if (!ASSERT_EQ(n, NFILES, "mapped copies in its maps"))
		goto out;

	fd0 = count_fds();
	u = usyms_new(b.pid);
	if (!ASSERT_TRUE(u, "usyms_new"))
		goto out;
	most = count_fds() - fd0;
	ASSERT_LE(most, BUDGET, "descriptors held after reading the maps");
	for (i = 0; i < n; i++) {
		usyms_resolve(u, starts[i] + off, false, &f);
		if (!ASSERT_STREQ(f.sym, "manyelf_marker", "every copy resolves") ||
		    !ASSERT_STREQ(f.module, paths[i], "in its own module")) {
			test_log("copy %d of %d", i, n);
			break;
		}
		if (i % 50 == 0 && count_fds() - fd0 > most)
			most = count_fds() - fd0;
	}
	if (count_fds() - fd0 > most)
		most = count_fds() - fd0;
	test_log("%d files resolved; at most %d descriptors held (budget %d)", i, most, BUDGET);
	ASSERT_LE(most, BUDGET, "descriptors held while resolving");
	ASSERT_TRUE(!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur == rl.rlim_max,
		    "soft RLIMIT_NOFILE raised to the hard one");

	/* Gone: what is still open resolves, nothing crashes. As return
	 * addresses, one byte on: new cache entries, the same function. */
	bg_stop(&b, SIGTERM, 10000);
	for (i = 0; i < n; i++) {
		usyms_resolve(u, starts[i] + off + 1, true, &f);
		after_exit += f.sym && !strcmp(f.sym, "manyelf_marker");
		ASSERT_STREQ(f.module, paths[i], "module known after exit");
	}
	test_log("after the target exited, %d files still resolve", after_exit);
	ASSERT_GE(after_exit, BUDGET / 4, "the most recently used modules kept");
	ASSERT_LE(count_fds() - fd0, BUDGET, "descriptors held after exit");
out:
	usyms_free(u);
	bg_stop(&b, SIGTERM, 10000);
	bg_free(&b);
	if (dir[0])
		rm_tree(dir);
}
