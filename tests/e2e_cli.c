// SPDX-License-Identifier: GPL-2.0
/* Command-line behaviour of the built binary: help, version, and bad input
 * exiting 2 with a message, --output. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* --output FILE, shared by every tool: the reports go to the file, a -c
 * command keeps memscope's stdout for its own output (nothing of either
 * mixes), a symlink planted at the name is refused (exit 1, its target
 * untouched), and a bad name is a usage error. Five tools load their
 * programs: over 120 s in a TCG guest. */
TEST_FULL(e2e_cli_output_file, T_ROOT | T_E2E, 600)
{
	static const char *const tools[] = { "probe", "cachestat", "reclaim", "oom" };
	unsigned before = bpf_prog_max_id();
	char dir[] = "/tmp/memscope-test.XXXXXX", out[128], lnk[128], victim[128], cmd[4200];
	struct run_opts o = { .timeout_ms = 120000 };
	struct run_result r;
	struct jlines l;

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	snprintf(out, sizeof(out), "%s/out.json", dir);
	snprintf(lnk, sizeof(lnk), "%s/link", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	/* leak -j -c of a program that prints: its lines on stdout, the
	 * JSON in the file, every line of which parses. */
	snprintf(cmd, sizeof(cmd), "%s 20000 64", bin_path("tests/workloads/mallocloop"));
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "--output", out, "-c", cmd, NULL), "leak");
	ASSERT_EQ(r.status, 0, "leak exit status");
	ASSERT_CONTAINS(r.out, "\"workload\":\"mallocloop\"", "the command's output on stdout");
	ASSERT_FALSE(strstr(r.out, "\"type\":\"summary\""), "no report on stdout");
	{
		char *text = read_text_file(out, NULL);
		int bad = 0;
		const char *err = NULL;

		ASSERT_TRUE(text && !jlines_parse(text, &l, &bad, &err), "the file is JSON Lines");
		if (text && !bad) {
			jl_req(&l, "attached");
			jl_req(&l, "summary");
			ASSERT_EQ(jlines_count(&l, "bench"), 0, "nothing of the command's in the file");
			jlines_free(&l);
		}
		free(text);
	}
	run_result_free(&r);
	/* Every other tool takes it too (one report each). */
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		char what[96];
		char *text;

		if (!strcmp(tools[i], "probe"))
			ASSERT_OK(run_memscope(&o, &r, tools[i], "-j", "--output", out, NULL), tools[i]);
		else if (!strcmp(tools[i], "reclaim"))
			ASSERT_OK(run_memscope(&o, &r, tools[i], "-j", "--output", out, "-s", "1", "1",
					       NULL), tools[i]);
		else if (!strcmp(tools[i], "oom"))
			ASSERT_OK(run_memscope(&o, &r, tools[i], "-j", "--output", out, "-d", "1", NULL),
				  tools[i]);
		else
			ASSERT_OK(run_memscope(&o, &r, tools[i], "-j", "--output", out, "1", "1", NULL),
				  tools[i]);
		snprintf(what, sizeof(what), "%s --output: exit status", tools[i]);
		ASSERT_EQ(r.status, 0, what);
		snprintf(what, sizeof(what), "%s --output: nothing on stdout", tools[i]);
		ASSERT_EQ((long long)r.out_len, 0, what);
		text = read_text_file(out, NULL);
		snprintf(what, sizeof(what), "%s --output: JSON in the file", tools[i]);
		ASSERT_TRUE(text && strstr(text, "{\"type\":"), what);
		free(text);
		run_result_free(&r);
	}
	/* A planted symlink: refused, nothing written through it. */
	{
		FILE *f = fopen(victim, "w");

		if (ASSERT_TRUE(f, "victim file")) {
			fputs("untouched\n", f);
			fclose(f);
		}
	}
	ASSERT_OK(symlink(victim, lnk), "symlink");
	ASSERT_OK(run_memscope(&o, &r, "probe", "--output", lnk, NULL), "probe via a symlink");
	ASSERT_EQ(r.status, 1, "a symlink is refused (exit 1)");
	ASSERT_CONTAINS(r.err, "symbolic link", "says why");
	{
		char *text = read_text_file(victim, NULL);

		ASSERT_TRUE(text && !strcmp(text, "untouched\n"), "the symlink's target untouched");
		free(text);
	}
	run_result_free(&r);
	ASSERT_OK(run_memscope(&o, &r, "probe", "--output", "", NULL), "empty name");
	ASSERT_EQ(r.status, 2, "an empty name is a usage error");
	run_result_free(&r);
	unlink(out);
	unlink(lnk);
	unlink(victim);
	rmdir(dir);
	assert_no_progs_left(before, "after --output runs");
}
