// SPDX-License-Identifier: GPL-2.0
/* User stacks through code without frame pointers: `memscope leak` on
 * tests/workloads/callpaths (-O2, no frame pointers, through libc), whose
 * ledger names every path's frames, bytes and count. Every stack must be
 * whole (down to _start), its frames those of the path, the bytes and
 * counts per path exact, and no walk may end outside known code. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"

/* The workload's own functions: the frames a path is made of. */
static bool ours(const char *sym)
{
	static const char *const names[] = {
		"wrap_dup", "path_a", "path_b", "recurse", "big_frame", "vla_frame",
		"compare", "sort_things", "main", "fan", "fan_a", "fan_b",
	};

	for (size_t i = 0; sym && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(sym, names[i]))
			return true;
	return false;
}

/* Does the final stack r follow the expected frames (ours only, in
 * order, innermost first), end at _start, and, for "compare", pass
 * through qsort inside libc? */
static bool follows(const struct jv *r, const struct jv *want, const char *path)
{
	const struct jv *frames = jv_req_a(r, "frames");
	size_t k = 0, n = frames ? frames->len : 0;
	bool through_qsort = false;
	const char *last = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *sym = jv_req_sn(jv_at(frames, i), "sym");

		last = sym;
		if (sym && strstr(sym, "qsort"))
			through_qsort = true;
		if (!ours(sym))
			continue;
		if (k >= want->len || !jv_is(jv_at(want, k), J_STR) ||
		    strcmp(sym, jv_at(want, k)->s))
			return false;
		k++;
	}
	if (k != want->len || !last || strcmp(last, "_start"))
		return false;
	if (!strcmp(path, "compare") && !through_qsort)
		return false;
	/* strdup's caller: the first frame is strdup, the next wrap_dup. */
	if (!strncmp(path, "path_", 5)) {
		const char *f0 = jv_req_sn(jv_at(frames, 0), "sym");

		if (!f0 || !strstr(f0, "strdup"))
			return false;
	}
	return true;
}

/* The fan: 2^k paths through fan_a/fan_b, each its own stack of one
 * 8-byte block, all kept (no collision, no merge). */
static void check_fan(const struct jlines *out, const struct jv *fan)
{
	long long stacks = 0, bad = 0;

	if (!fan)
		return;
	for (int k = 0; k < out->n; k++) {
		const struct jv *r = out->recs[k], *frames, *f1;
		const char *sym;

		if (!jv_type_is(r, "stack") || !jv_req_b(r, "final"))
			continue;
		frames = jv_req_a(r, "frames");
		f1 = frames ? jv_at(frames, 0) : NULL;
		sym = f1 ? jv_req_sn(f1, "sym") : NULL;
		if (!sym || strcmp(sym, "fan"))
			continue;
		stacks++;
		if (jv_req_i(r, "count") != 1 || jv_req_i(r, "bytes") != jv_req_i(fan, "bytes"))
			bad++;
	}
	ASSERT_EQ(stacks, jv_req_i(fan, "stacks"), "fan: one stack per call path");
	ASSERT_EQ(bad, 0, "fan: stacks holding other than their one block");
}

static void check_paths(const struct jlines *out, const char *expect_path, bool fan)
{
	struct jlines exp;
	const struct jv *sum, *unw;
	int checked = 0;

	if (!parse_jlines_file(expect_path, &exp))
		return;
	jl_req(&exp, "done");
	for (int i = 0; i < exp.n; i++) {
		const struct jv *e = exp.recs[i], *want;
		long long bytes = 0, count = 0, stacks = 0, want_stacks;
		const char *path;
		char what[128];

		if (!jv_type_is(e, "expect"))
			continue;
		path = jv_req_s(e, "path");
		want = jv_req_a(e, "frames");
		if (!path || !want)
			continue;
		for (int k = 0; k < out->n; k++) {
			const struct jv *r = out->recs[k];

			if (!jv_type_is(r, "stack") || !jv_req_b(r, "final") || !follows(r, want, path))
				continue;
			bytes += jv_req_i(r, "bytes");
			count += jv_req_i(r, "count");
			stacks++;
		}
		snprintf(what, sizeof(what), "%s: bytes under its whole stack", path);
		ASSERT_EQ(bytes, jv_req_i(e, "bytes"), what);
		snprintf(what, sizeof(what), "%s: allocations under its whole stack", path);
		ASSERT_EQ(count, jv_req_i(e, "count"), what);
		want_stacks = jv_req_i(e, "stacks");
		if (want_stacks >= 0) {
			snprintf(what, sizeof(what), "%s: one call path, one stack", path);
			ASSERT_EQ(stacks, want_stacks, what);
		}
		checked++;
	}
	ASSERT_EQ(checked, 6, "every path checked");
	if (fan)
		check_fan(out, jl_req(&exp, "fan"));
	sum = jl_req(out, "summary");
	unw = sum ? jv_req_o(sum, "unwind") : NULL;
	if (unw) {
		ASSERT_TRUE(!strcmp(jv_req_s(unw, "method") ?: "", "cfi"), "unwound with CFI");
		ASSERT_GT(jv_req_i(unw, "cfi_frames"), 0, "frames by call-frame information");
		ASSERT_EQ(jv_req_i(unw, "ended_outside_code"), 0, "no walk ended outside code");
		ASSERT_EQ(jv_req_i(unw, "objects_without_room"), 0, "every object has a table");
	}
	if (sum) {
		const struct jv *drops = jv_req_o(sum, "drops");

		for (size_t k = 0; drops && k < drops->len; k++)
			ASSERT_EQ(jv_req_i(drops, drops->keys[k]), 0, drops->keys[k]);
	}
	jlines_free(&exp);
}

static void callpaths_command(const char *workload)
{
	unsigned before = bpf_prog_max_id();
	char cmd[4608], expect[128], dir[] = "/tmp/memscope-test.XXXXXX";
	struct run_opts o = { .timeout_ms = 120000 };
	struct run_result r;
	struct jlines out;

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s", bin_path(workload), expect);
	{
		char *argv[] = { (char *)bin_path("memscope"), "leak", "-j", "-T", "0", "-o", "0",
				 "-c", cmd, "60", NULL };

		ASSERT_OK(run_argv(argv, &o, &r), "run");
	}
	ASSERT_EQ(r.status, 0, "exit status");
	if (r.status)
		test_log("stderr: %s", r.err);
	if (parse_jlines(&r, &out)) {
		check_paths(&out, expect, true);
		jlines_free(&out);
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after leak -c");
	unlink(expect);
	rmdir(dir);
}

/* A command: its libraries' tables are built while ld.so waits. */
TEST_FULL(e2e_leak_unwind_command, T_ROOT | T_E2E, 300)
{
	callpaths_command("tests/workloads/callpaths");
}

/* A static program: one object, no ld.so; tables at its entry. */
TEST_FULL(e2e_leak_unwind_static, T_ROOT | T_E2E, 300)
{
	callpaths_command("tests/workloads/callpaths_static");
}

/* A running process (-p): its tables from its maps at attach. */
TEST_FULL(e2e_leak_unwind_pid, T_ROOT | T_E2E, 600)
{
	unsigned before = bpf_prog_max_id();
	char expect[128], pid[16], dir[] = "/tmp/memscope-test.XXXXXX";
	struct bg wl, ms;
	struct jlines out;
	size_t at = 0;

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	{
		/* No fan: 530 stacks in every report of a -p run make tens
		 * of MB of JSON, too much for a 512 MiB guest. */
		char *argv[] = { (char *)bin_path("tests/workloads/callpaths"), "--out", expect,
				 "--wait", "--no-fan", NULL };

		if (!ASSERT_OK(bg_start(&wl, argv, NULL), "start the workload"))
			return;
		ASSERT_TRUE(bg_wait_out(&wl, "ready", NULL, 30000), "the workload is ready");
	}
	snprintf(pid, sizeof(pid), "%d", wl.pid);
	{
		/* Reports every 3 s: each one symbolizes every stack, slow
		 * under TCG. */
		char *argv[] = { (char *)bin_path("memscope"), "leak", "-j", "-T", "0", "-o", "0",
				 "-p", pid, "3", NULL };

		ASSERT_OK(bg_start(&ms, argv, NULL), "start memscope");
	}
	if (!ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"attached\"", &at, 30000), "attached")) {
		test_log("stderr: %s", ms.err);
		goto out;
	}
	kill(wl.pid, SIGUSR1);
	ASSERT_TRUE(wait_file_has(expect, "{\"type\":\"done\"", 30000), "the workload is done");
	ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"interval\"", &at, 60000), "an interval after it");
	bg_stop(&wl, SIGTERM, 10000);
	if (!ASSERT_EQ(bg_stop(&ms, 0, 60000), 0, "memscope exits 0 after the target"))
		test_log("stderr: %s", ms.err);
	if (parse_jlines_str(ms.out, &out)) {
		check_paths(&out, expect, false);
		jlines_free(&out);
	}
out:
	bg_free(&ms);
	bg_free(&wl);
	assert_no_progs_left(before, "after leak -p");
	unlink(expect);
	rmdir(dir);
}

/* --unwind fp: frame pointers only, no tables; the summary says so. */
TEST_FULL(e2e_leak_unwind_fp_only, T_ROOT | T_E2E, 300)
{
	char cmd[4608], dir[] = "/tmp/memscope-test.XXXXXX";
	struct run_opts o = { .timeout_ms = 120000 };
	struct run_result r;
	struct jlines out;

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	snprintf(cmd, sizeof(cmd), "%s --out %s/expect.json", bin_path("tests/workloads/callpaths"),
		 dir);
	{
		char *argv[] = { (char *)bin_path("memscope"), "leak", "-j", "--unwind", "fp", "-c",
				 cmd, NULL };

		ASSERT_OK(run_argv(argv, &o, &r), "run");
	}
	ASSERT_EQ(r.status, 0, "exit status");
	if (parse_jlines(&r, &out)) {
		const struct jv *sum = jl_req(&out, "summary");
		const struct jv *unw = sum ? jv_req_o(sum, "unwind") : NULL;

		if (unw) {
			ASSERT_TRUE(!strcmp(jv_req_s(unw, "method") ?: "", "fp"), "frame pointers");
			ASSERT_EQ(jv_req_i(unw, "cfi_frames"), 0, "no CFI frames");
			ASSERT_EQ(jv_req_i(unw, "rows"), 0, "no tables");
		}
		/* The paths' 18 blocks and the fan's 512. */
		ASSERT_EQ(jv_req_i(sum, "outstanding_count"), 18 + 512, "every block counted");
		jlines_free(&out);
	}
	run_result_free(&r);
	{
		char p[160];

		snprintf(p, sizeof(p), "%s/expect.json", dir);
		unlink(p);
	}
	rmdir(dir);
}
