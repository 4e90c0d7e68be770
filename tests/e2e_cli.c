// SPDX-License-Identifier: GPL-2.0
/* Command-line behaviour of the built binary: help, version, and bad input
 * exiting 2 with a message. */
#include "harness.h"
#include "run.h"

TEST(e2e_cli_help_and_version, T_E2E)
{
	struct run_result r;

	ASSERT_OK(run_memscope(NULL, &r, "--help", NULL), "run");
	ASSERT_EQ(r.status, 0, "--help exits 0");
	ASSERT_CONTAINS(r.out, "probe", "--help lists probe");
	run_result_free(&r);

	ASSERT_OK(run_memscope(NULL, &r, "--version", NULL), "run");
	ASSERT_EQ(r.status, 0, "--version exits 0");
	ASSERT_CONTAINS(r.out, "memscope ", "version line");
	run_result_free(&r);

	ASSERT_OK(run_memscope(NULL, &r, "probe", "--help", NULL), "run");
	ASSERT_EQ(r.status, 0, "probe --help exits 0");
	ASSERT_CONTAINS(r.out, "Usage: memscope probe", "usage names the subcommand");
	ASSERT_CONTAINS(r.out, "Examples:", "usage has examples");
	ASSERT_CONTAINS(r.out, "--json", "common options listed");
	run_result_free(&r);
}

TEST(e2e_cli_bad_input_exits_2, T_E2E)
{
	static const char *const cases[][3] = {
		{ NULL },				/* no command */
		{ "frobnicate", NULL },			/* unknown command */
		{ "probe", "--no-such-flag", NULL },	/* unknown flag */
		{ "probe", "extra", NULL },		/* stray argument */
		{ "probe", "--btf", NULL },		/* missing value */
	};
	unsigned before = bpf_prog_max_id();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[5] = { (char *)bin_path("memscope") };
		struct run_result r;
		char what[128];

		for (int k = 0; k < 3 && cases[i][k]; k++)
			argv[k + 1] = (char *)cases[i][k];
		snprintf(what, sizeof(what), "case %zu (%s %s)", i,
			 cases[i][0] ? cases[i][0] : "", cases[i][0] && cases[i][1] ? cases[i][1] : "");
		ASSERT_OK(run_argv(argv, NULL, &r), "run");
		ASSERT_EQ(r.status, 2, what);
		ASSERT_TRUE(r.err_len > 0, "a message on stderr");
		ASSERT_EQ(r.out_len, 0, "nothing on stdout");
		run_result_free(&r);
	}
	assert_no_progs_left(before, "after bad input");
}

/* A run limited to COUNT reports: the last of them is the final one (and
 * there is no other). */
TEST(e2e_cli_count_last_is_final, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000 };
	struct run_result r;
	struct jlines l;

	ASSERT_OK(run_memscope(&o, &r, "cachestat", "-j", "1", "2", NULL), "cachestat -j 1 2");
	ASSERT_EQ(r.status, 0, "exit status");
	if (parse_jlines(&r, &l)) {
		int from = 0, n = 0, finals = 0;
		struct jv *iv;
		bool last = false;

		while ((iv = jlines_find(&l, &from, "interval", NULL, NULL))) {
			n++;
			last = jv_req_b(iv, "final");
			finals += last;
		}
		ASSERT_EQ(n, 2, "COUNT reports");
		ASSERT_EQ(finals, 1, "one of them final");
		ASSERT_TRUE(last, "the last");
		jlines_free(&l);
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after cachestat 1 2");
}
