// SPDX-License-Identifier: GPL-2.0
/* make soak kept working: memscope-soak for 15 s, every tool at once.
 * Too short for its bounds to mean much (they are logged, not asserted)
 * and no timing is asserted; what is checked is that every tool attached,
 * reported, was sampled, exited 0 on SIGINT and left none of its BPF
 * programs loaded, and that the JSON names this machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "jreq.h"
#include "run.h"
#include "fsutil.h"

TEST_FULL(e2e_soak_smoke, T_ROOT | T_E2E, 180)
{
	char soak[4096], json[4096], dir[] = "/tmp/memscope-soak-test.XXXXXX";
	struct run_result r;
	struct jv *root;
	size_t n = 0;

	snprintf(soak, sizeof(soak), "%s/bench/memscope-soak", test_bin_dir());
	if (access(soak, X_OK))
		test_skip("no %s (a static build has none)", soak);
	ASSERT_TRUE(mkdtemp(dir) != NULL, "a directory for the JSON");
	snprintf(json, sizeof(json), "%s/soak.json", dir);

	char *argv[] = { soak, "-d", "15", "-o", dir, NULL };
	struct run_opts o = { .timeout_ms = 150000 };

	ASSERT_OK(run_argv(argv, &o, &r), "run memscope-soak");
	/* 1: a bound broken, which 15 s on a shared machine may do. */
	ASSERT_TRUE(r.status == 0 || r.status == 1, "memscope-soak exits 0 or 1");
	ASSERT_CONTAINS(r.out, "memscope soak: 15 s", "the table is printed");
	root = read_machine_json(json);
	ASSERT_EQ(jv_req_i(root, "seconds"), 15, "the run's length");

	const struct jv *tools = jv_req_a(root, "tools");

	for (; tools && jv_at(tools, n); n++) {
		const struct jv *t = jv_at(tools, n);
		const char *name = jv_req_s(t, "name") ?: "?";
		const struct jv *fails = jv_req_a(t, "failures");
		const struct jv *samples = jv_req_a(t, "samples");
		size_t ns = 0;

		for (size_t k = 0; fails && jv_at(fails, k); k++)
			test_log("%s: %s", name, jv_at(fails, k)->s ?: "?");
		while (samples && jv_at(samples, ns))
			ns++;
		test_log("%s: %lld reports, RSS %lld KiB, maps %lld KiB", name,
			 jv_req_i(t, "reports"), jv_req_i(t, "rss_last_kib"),
			 jv_req_i(t, "bpf_maps_last_kib"));
		ASSERT_TRUE(ns >= 3, name);	/* at 0, 10 and 15 s */
		ASSERT_TRUE(jv_req_i(t, "rss_first_kib") > 0, name);
		ASSERT_TRUE(jv_req_i(t, "bpf_maps_first_kib") > 0, name);
		ASSERT_TRUE(jv_req_b(t, "exited_0"), name);
		ASSERT_TRUE(jv_req_i(t, "bpf_programs_seen") > 0, name);
		ASSERT_EQ(jv_req_i(t, "bpf_programs_left"), 0, name);
		if (!strcmp(jv_req_s(t, "reports_counted") ?: "", "interval"))
			ASSERT_TRUE(jv_req_i(t, "reports") >= 5, name);
		else
			ASSERT_TRUE(jv_req_i(t, "reports") >= 1, name);	/* an OOM kill at 0 s */
	}
	ASSERT_EQ((long long)n, 6, "every tool");
	jv_free(root);
	run_result_free(&r);
	rm_tree(dir);
}
