// SPDX-License-Identifier: GPL-2.0
/* Tracepoint contracts: a tp_btf/raw_tp program loads only where the BTF
 * prototype of its tracepoint matches what it reads by position. Shown on
 * a kernel "whose kmem:kmalloc changed": the running kernel's BTF with
 * that one prototype replaced (tests/lib/btfcraft.c), given with --btf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "btfcraft.h"
#include "harness.h"
#include "run.h"

static bool crafted(char *path, size_t len)
{
	int err;

	snprintf(path, len, "/tmp/memscope-test-btf.%d", getpid());
	err = btf_craft_changed_tp("kmalloc", path);
	if (err == -ENOENT)
		test_skip("no kernel BTF with kmem:kmalloc to change");
	return ASSERT_OK(err, "crafted BTF written");
}

/* probe says so, and leak falls back to the classic tracepoint, which
 * reads fields by name and does not depend on the prototype. */
TEST_FULL(e2e_contracts_fallback, T_ROOT | T_E2E, 180)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 90000 };
	struct run_result r;
	struct jlines l;
	char btf[64];

	if (!crafted(btf, sizeof(btf)))
		return;
	ASSERT_OK(run_memscope(&o, &r, "probe", "-j", "--btf", btf, NULL), "run probe");
	ASSERT_EQ(r.status, 0, "probe exit status");
	if (parse_jlines(&r, &l)) {
		struct jv *tp = jlines_find(&l, NULL, "tracepoint", "name", "kmalloc");
		struct jv *job = jlines_find(&l, NULL, "tool", "job", "leak-kernel");
		const struct jv *refused = jv_req_a(job, "refused");
		const char *why = jv_req_s(jv_at(refused, 0), "why");

		ASSERT_STREQ(jv_req_s(tp, "args"), "int", "the changed prototype is shown");
		ASSERT_FALSE(jv_req_b(tp, "matches"), "and does not match leak's contract");
		ASSERT_STREQ(jv_req_sn(job, "mode"), "tracepoint", "leak-kernel falls back");
		ASSERT_EQ(refused ? refused->len : 0, 2, "tp_btf and raw_tp refused");
		ASSERT_CONTAINS(why, "kmem:kmalloc has the prototype (int)",
				"the refusal names the tracepoint and what it has");
		jlines_free(&l);
	}
	run_result_free(&r);

	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "--btf", btf, "1", "1", NULL), "run leak");
	ASSERT_EQ(r.status, 0, "leak exit status");
	if (r.status)
		test_log("stderr: %s", r.err);
	if (parse_jlines(&r, &l)) {
		struct jv *att = jlines_find(&l, NULL, "attached", NULL, NULL);

		ASSERT_STREQ(jv_req_s(att, "attach"), "tracepoint", "leak ran on classic tracepoints");
		ASSERT_TRUE(jlines_find(&l, NULL, "summary", NULL, NULL), "and finished");
		jlines_free(&l);
	}
	run_result_free(&r);
	unlink(btf);
	assert_no_progs_left(before, "after the crafted BTF");
}

/* Forced onto tp_btf, leak refuses to read the wrong argument and says
 * which tracepoint has which prototype. */
TEST_FULL(e2e_contracts_refused, T_ROOT | T_E2E, 120)
{
	const char *envv[] = { "MEMSCOPE_ATTACH=tp_btf", NULL };
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000, .env = envv };
	struct run_result r;
	char btf[64];

	if (!crafted(btf, sizeof(btf)))
		return;
	ASSERT_OK(run_memscope(&o, &r, "leak", "--btf", btf, "1", "1", NULL), "run");
	ASSERT_EQ(r.status, 1, "a runtime failure");
	ASSERT_CONTAINS(r.err, "kmem:kmalloc has the prototype (int), not the (long unsigned int, "
			"const void *, size_t, size_t, ...) its tp_btf program reads",
			"names the tracepoint, the prototype found and the one expected");
	ASSERT_EQ(r.out_len, 0, "nothing on stdout");
	run_result_free(&r);
	unlink(btf);
	assert_no_progs_left(before, "after a refused contract");
}
