// SPDX-License-Identifier: GPL-2.0
/* The fuzz harnesses (tests/fuzz/, built into $(OUTPUT)/fuzz by make on the
 * host) over their seed corpora plus a few thousand mutations each: a
 * parser that regresses on input like its seeds fails here in seconds.
 * make fuzz runs them for longer. Skipped where the harnesses are not
 * built (a STATIC=1 build, the QEMU guests, clang without libFuzzer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "harness.h"
#include "fsutil.h"
#include "run.h"

/* Mutations after the seeds, and a bound on time: the slow harnesses
 * (usyms, elf: a whole object per input) stop at the time. */
#define FUZZ_RUNS "-runs=3000"
#define FUZZ_TIME "-max_total_time=4"

static void fuzz_one(const char *name)
{
	char bin[4096], corpus[4096], work[4096], art[4096];
	char dir[] = "/tmp/memscope-fuzz-test.XXXXXX";
	struct run_opts o = { .timeout_ms = 60000 };
	struct run_result r;

	snprintf(bin, sizeof(bin), "%s/fuzz/%s", test_bin_dir(), name);
	snprintf(corpus, sizeof(corpus), "%s/fuzz/corpus/%s", test_bin_dir(), name);
	if (access(bin, X_OK))
		test_skip("no %s (built only on the host by make with clang's libFuzzer: "
			  "not STATIC=1, not in the guests)", bin);
	if (access(corpus, R_OK))
		test_skip("no seed corpus %s (make writes it with the harnesses)", corpus);
	ASSERT_TRUE(mkdtemp(dir) != NULL, "a directory for new inputs and findings");
	/* New inputs go to the first directory: the seeds stay as they are. */
	snprintf(work, sizeof(work), "%s/work", dir);
	snprintf(art, sizeof(art), "-artifact_prefix=%s/", dir);
	ASSERT_OK(mkdir(work, 0700), "the work corpus");

	char *argv[] = { bin, FUZZ_RUNS, FUZZ_TIME, "-rss_limit_mb=4096", "-timeout=20",
			 art, work, corpus, NULL };
	char *env[] = { NULL, NULL };
	char tmpdir[4200];

	/* The harnesses' temporary files go to the test's directory too. */
	snprintf(tmpdir, sizeof(tmpdir), "TMPDIR=%s", dir);
	env[0] = tmpdir;
	o.env = (const char *const *)env;
	ASSERT_OK(run_argv(argv, &o, &r), "run the harness");
	if (r.status != 0) {
		const char *e = r.err ? r.err : "";
		size_t n = strlen(e);

		/* The sanitizer's report is at the end of what it printed. */
		test_log("%s exited %d; its last output:\n%s", name, r.status,
			 e + (n > 6000 ? n - 6000 : 0));
	}
	ASSERT_FALSE(r.timed_out, "the harness ends in time");
	ASSERT_EQ(r.status, 0, "no crash, leak or sanitizer report");
	ASSERT_CONTAINS(r.err, "Done ", "libFuzzer ran to the end");
	/* What it found stays, to be run again: harness FILE. */
	if (r.status != 0 || r.timed_out)
		test_log("the input that failed is kept in %s (run %s on it)", dir, bin);
	else
		rm_tree(dir);
	run_result_free(&r);
}

#define FUZZ_TEST(name) TEST_FULL(fuzz_##name, 0, 90) { fuzz_one(#name); }

FUZZ_TEST(procfs)
FUZZ_TEST(args)
FUZZ_TEST(json)
FUZZ_TEST(ksyms)
FUZZ_TEST(elf)
FUZZ_TEST(insn)
FUZZ_TEST(usyms)
FUZZ_TEST(demangle)
FUZZ_TEST(btf)
FUZZ_TEST(out)
