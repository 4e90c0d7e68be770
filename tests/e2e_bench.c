// SPDX-License-Identifier: GPL-2.0
/* make bench kept working: memscope-bench, one short round of leak-user and
 * oom-idle. No timing is asserted; what is checked is that every
 * configuration that can run here ran, that the figures hang together,
 * and what the workload's own count says: a malloc+free pair runs
 * memscope's entry programs twice and its return program once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "jreq.h"
#include "run.h"
#include "fsutil.h"

static const struct jv *config_named(const struct jv *bench, const char *name)
{
	const struct jv *cfgs = jv_req_a(bench, "configurations");

	for (size_t i = 0; cfgs && jv_at(cfgs, i); i++)
		if (!strcmp(jv_req_s(jv_at(cfgs, i), "name") ?: "", name))
			return jv_at(cfgs, i);
	test_fail_at(__FILE__, __LINE__, "no configuration '%s'", name);
	return NULL;
}

/* Runs per op of a program of cfg's BPF statistics (-1: not among them). */
static double runs_per_op(const struct jv *cfg, const char *prog)
{
	const struct jv *progs = jv_req_a(cfg, "bpf_programs");

	for (size_t i = 0; progs && jv_at(progs, i); i++)
		if (!strcmp(jv_req_s(jv_at(progs, i), "name") ?: "", prog))
			return jv_req_n(jv_at(progs, i), "runs_per_op");
	return -1;
}

TEST_FULL(e2e_bench_smoke, T_ROOT | T_E2E, 300)
{
	char bench[4096], json[4096], dir[] = "/tmp/memscope-bench-test.XXXXXX";
	struct run_result r;
	struct jv *root;

	snprintf(bench, sizeof(bench), "%s/bench/memscope-bench", test_bin_dir());
	if (access(bench, X_OK))
		test_skip("no %s (a static build has none)", bench);
	ASSERT_TRUE(mkdtemp(dir) != NULL, "a directory for the JSON");
	snprintf(json, sizeof(json), "%s/bench.json", dir);

	/* -b 100: never redo (the machine is shared; timing is not the point). */
	char *argv[] = { bench, "-r", "1", "-d", "0.2", "-b", "100", "-o", json,
			 "leak-user", "oom-idle", NULL };
	struct run_opts o = { .timeout_ms = 240000 };

	ASSERT_OK(run_argv(argv, &o, &r), "run memscope-bench");
	ASSERT_EQ(r.status, 0, "memscope-bench exits 0");
	ASSERT_CONTAINS(r.out, "leak-user:", "the table is printed");
	root = read_machine_json(json);
	ASSERT_TRUE(strlen(jv_req_s(root, "memscope") ?: "") > 0, "the commit is named");

	const struct jv *benches = jv_req_a(root, "benchmarks");
	const struct jv *leak = benches ? jv_at(benches, 0) : NULL;

	ASSERT_STREQ(jv_req_s(leak, "name"), "leak-user", "leak-user first");
	for (size_t i = 0; benches && jv_at(benches, i); i++) {
		const struct jv *cfgs = jv_req_a(jv_at(benches, i), "configurations");

		for (size_t k = 0; cfgs && jv_at(cfgs, k); k++) {
			const struct jv *c = jv_at(cfgs, k);
			const char *kind = jv_req_s(c, "kind");

			/* Peers may be missing or refused by this kernel: they
			 * must then say why. memscope's own must run. */
			if (!jv_req_b(c, "measured")) {
				ASSERT_STREQ(kind, "peer", jv_req_s(c, "name"));
				ASSERT_TRUE(strlen(jv_req_s(c, "why") ?: "") > 0, "a reason");
				continue;
			}
			double med = jv_req_n(c, "median");

			ASSERT_TRUE(med > 0 && jv_req_n(c, "min") <= med && med <= jv_req_n(c, "max"),
				    "min <= median <= max");
			const struct jv *rounds = jv_req_a(c, "rounds");

			ASSERT_TRUE(rounds && jv_at(rounds, 0) && !jv_at(rounds, 1), "one round");
			if (strcmp(kind, "untraced") && rounds && jv_at(rounds, 0)) {
				const struct jv *r0 = jv_at(rounds, 0);

				ASSERT_TRUE(jv_req_n(r0, "attach_ms") > 0, "attach time");
				ASSERT_TRUE(jv_req_n(r0, "peak_rss_kib") > 0, "peak RSS");
				ASSERT_TRUE(jv_req_n(r0, "bpf_maps_kib") > 0, "its BPF maps");
			}
		}
	}
	/* The workload's count against the kernel's: per malloc+free pair,
	 * memscope's entry programs run twice (malloc, free), its return
	 * program once; the count includes the warm-up. */
	const struct jv *ms = config_named(leak, "memscope leak -p");
	double entry = runs_per_op(ms, "entry_multi");

	if (entry < 0)	/* single uprobes where uprobe_multi is refused */
		entry = runs_per_op(ms, "malloc_enter") + runs_per_op(ms, "free_enter");
	test_log("memscope leak -p: %.3f entry runs and %.3f return runs per pair", entry,
		 runs_per_op(ms, "alloc_return"));
	ASSERT_TRUE(entry > 1.98 && entry < 2.02, "two entry runs per pair");
	ASSERT_TRUE(runs_per_op(ms, "alloc_return") > 0.99 && runs_per_op(ms, "alloc_return") < 1.01,
		    "one return run per pair");
	jv_free(root);
	run_result_free(&r);
	rm_tree(dir);
}
