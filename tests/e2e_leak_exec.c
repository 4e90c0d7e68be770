// SPDX-License-Identifier: GPL-2.0
/* `memscope leak` across execs of its target, and with a large live set.
 *
 * A target that execs (through env, sh -c 'exec ...', or its own execvp)
 * leaves a dead image behind: each image's outstanding blocks are reported
 * once, in an "exec" record with its "exec_stack" rows, and the final
 * report holds only what the last image still has. The truth: execleak's
 * ledger for the image in the middle (its blocks, exactly), the ledger
 * workload's for the last one (every site, exactly). */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "ledger.h"
#include "run.h"

static char *tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/memscope-test.XXXXXX");
	return mkdtemp(dir);
}


/* Every site of the expectations in path against the rows of that type.
 * Returns how many sites were checked. */
static int check_expect(const struct jlines *out, const char *path, const char *type,
			long long image)
{
	struct jlines exp;
	int checked = 0;

	if (!parse_jlines_file(path, &exp))
		return 0;
	checked = ledger_check_sites(out, &exp, type, image, false);
	jlines_free(&exp);
	return checked;
}

/* No loss of any kind in the summary. */
static void check_no_drops(const struct jlines *out)
{
	const struct jv *drops = jv_req_o(jl_req(out, "summary"), "drops");

	for (size_t k = 0; drops && k < drops->len; k++)
		ASSERT_EQ(jv_req_i(drops, drops->keys[k]), 0, drops->keys[k]);
}

/* The "exec" records, in order: one per image left, each once. */
static int exec_records(const struct jlines *out, const struct jv **recs, int max)
{
	int n = 0;

	for (int i = 0; i < out->n; i++)
		if (jv_type_is(out->recs[i], "exec") && n < max)
			recs[n++] = out->recs[i];
	return n;
}

/* -c CMD where CMD goes through `first` (an image memscope knows nothing
 * about), then execleak, then the ledger program `last`. */
static void exec_chain(const char *wrapper_fmt, const char *first, const char *last)
{
	unsigned before = bpf_prog_max_id();
	char cmd[4608], mid[128], fin[128], inner[2048], *dir = tmpdir();
	struct run_opts o = { .timeout_ms = 240000 };
	const struct jv *ex[8];
	struct run_result r;
	struct jlines out;
	long long c;
	int n;

	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	snprintf(mid, sizeof(mid), "%s/execleak.json", dir);
	snprintf(fin, sizeof(fin), "%s/ledger.json", dir);
	snprintf(inner, sizeof(inner), "%s --out %s -- %s --out %s",
		 bin_path("tests/workloads/execleak"), mid, bin_path(last), fin);
	snprintf(cmd, sizeof(cmd), wrapper_fmt, inner);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-T", "0", "-o", "0", "-c", cmd, "60", NULL),
		  "leak -c through execs");
	ASSERT_FALSE(r.err && strstr(r.err, "cannot give back"), "dead images' slots given back");
	ASSERT_EQ(r.status, 0, "exit status");
	if (r.status)
		test_log("stderr: %s", r.err);
	if (parse_jlines(&r, &out)) {
		ASSERT_EQ(jv_req_i(jl_req(&out, "summary"), "target_exit_code"), 0,
			  "the last program's exit code");
		n = exec_records(&out, ex, 8);
		ASSERT_EQ(n, 2, "an exec record for each image left (2)");
		if (n == 2) {
			ASSERT_STREQ(jv_req_s(ex[0], "image"), first, "the first image left");
			ASSERT_STREQ(jv_req_s(ex[1], "image"), "execleak", "the second image left");
			ASSERT_LT(jv_req_i(ex[0], "image_no"), jv_req_i(ex[1], "image_no"),
				  "images numbered in order");
			/* The image in the middle: exactly its own blocks, once. */
			ASSERT_EQ(check_expect(&out, mid, "exec_stack", jv_req_i(ex[1], "image_no")),
				  1, "execleak's site checked");
			c = ledger_sum_site(&out, "exec_stack", -1, "old_image_site", -1).count;
			ASSERT_EQ(c, 6, "its blocks reported once, in no other image");
			ASSERT_GE(jv_req_i(ex[1], "outstanding_count"), 6, "in its record's total");
		}
		/* The dead images' blocks are not carried into the final report. */
		c = ledger_sum_site(&out, "stack", -1, "old_image_site", -1).count;
		ASSERT_EQ(c, 0, "execleak's blocks gone from the final report");
		/* The last image: the ledger, exactly. */
		ASSERT_GE(check_expect(&out, fin, "stack", -1), 19, "every ledger site checked");
		check_no_drops(&out);
		jlines_free(&out);
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after leak -c through execs");
	unlink(mid);
	unlink(fin);
	rmdir(dir);
}

/* env execs execleak, which execs the (dynamic) ledger. On the host env is
 * coreutils' (its allocator traced); in the guests busybox's (static,
 * stripped: nothing of it is traced, memscope follows it). */
TEST_FULL(e2e_leak_exec_env, T_ROOT | T_E2E, 300)
{
	exec_chain("env %s", "env", "tests/workloads/ledger");
}

/* sh -c 'exec ...' into a static program: the new image has an allocator
 * of its own (the executable), which the probes move to. */
TEST_FULL(e2e_leak_exec_sh_static, T_ROOT | T_E2E, 300)
{
	exec_chain("sh -c 'exec %s'", "sh", "tests/workloads/ledger_static");
}

/* -p: a running process execs. Its image's blocks after memscope came are
 * reported once; the new program (same C library) is traced throughout. */
TEST_FULL(e2e_leak_exec_pid, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char mid[128], fin[128], pid[16], *dir = tmpdir();
	const struct jv *ex[8];
	struct bg wl, ms;
	struct jlines out;
	size_t at = 0;
	int n;

	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	snprintf(mid, sizeof(mid), "%s/execleak.json", dir);
	snprintf(fin, sizeof(fin), "%s/ledger.json", dir);
	{
		char *argv[] = { (char *)bin_path("tests/workloads/execleak"), "--out", mid, "--wait",
				 "--", (char *)bin_path("tests/workloads/ledger"), "--out", fin,
				 "--hold", NULL };

		if (!ASSERT_OK(bg_start(&wl, argv, NULL), "start execleak"))
			return;
		ASSERT_TRUE(bg_wait_out(&wl, "ready", NULL, 30000), "execleak is ready");
	}
	snprintf(pid, sizeof(pid), "%d", wl.pid);
	{
		char *argv[] = { (char *)bin_path("memscope"), "leak", "-j", "-T", "0", "-o", "0",
				 "-p", pid, "1", NULL };

		ASSERT_OK(bg_start(&ms, argv, NULL), "start memscope");
	}
	if (!ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"attached\"", &at, 30000), "attached")) {
		test_log("stderr: %s", ms.err);
		goto out;
	}
	kill(wl.pid, SIGUSR1);
	for (int i = 0; i < 6000; i++) {
		char *text = read_text_file(fin, NULL);
		bool done = text && strstr(text, "{\"type\":\"done\"");

		free(text);
		if (done)
			break;
		usleep(10 * 1000);
	}
	ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"exec\"", &at, 10000), "the exec seen");
	ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"interval\"", &at, 10000),
		    "an interval after the ledger");
	bg_stop(&wl, SIGTERM, 10000);
	ASSERT_EQ(bg_stop(&ms, 0, 30000), 0, "memscope exits 0 after the target");
	if (parse_jlines_str(ms.out, &out)) {
		n = exec_records(&out, ex, 8);
		ASSERT_EQ(n, 1, "one exec record");
		if (n == 1) {
			ASSERT_STREQ(jv_req_s(ex[0], "image"), "execleak", "the image left");
			ASSERT_EQ(check_expect(&out, mid, "exec_stack", jv_req_i(ex[0], "image_no")),
				  1, "execleak's site checked");
		}
		ASSERT_GE(check_expect(&out, fin, "stack", -1), 19, "every ledger site checked");
		check_no_drops(&out);
		jlines_free(&out);
	}
out:
	bg_free(&ms);
	bg_free(&wl);
	assert_no_progs_left(before, "after leak -p through an exec");
	unlink(mid);
	unlink(fin);
	rmdir(dir);
}

/* A live set of 262,500 blocks at default settings: none dropped, the
 * count exact (jq and xmllint peak near 200k). */
TEST_FULL(e2e_leak_exec_live_set, T_ROOT | T_E2E, 600)
{
	unsigned before = bpf_prog_max_id();
	char cmd[4608], exp[128], *dir = tmpdir();
	struct run_opts o = { .timeout_ms = 500000 };
	struct run_result r;
	struct jlines out;

	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	snprintf(exp, sizeof(exp), "%s/live.json", dir);
	/* 300,000 allocated, every 8th freed: 262,500 live. */
	snprintf(cmd, sizeof(cmd), "%s --out %s --live 300000", bin_path("tests/workloads/execleak"),
		 exp);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-T", "0", "-c", cmd, NULL), "leak -c");
	ASSERT_EQ(r.status, 0, "exit status");
	if (r.status)
		test_log("stderr: %s", r.err);
	if (parse_jlines(&r, &out)) {
		const struct jv *fin = jl_req_last(&out, "interval");

		ASSERT_EQ(check_expect(&out, exp, "stack", -1), 2, "both sites checked");
		ASSERT_GE(jv_req_i(fin, "outstanding_count"), 262500 + 6, "the final total");
		ASSERT_EQ(jv_req_i(jv_req_o(fin, "drops"), "allocs_map_full"), 0,
			  "the final report: nothing dropped");
		check_no_drops(&out);
		jlines_free(&out);
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after leak -c of a large live set");
	unlink(exp);
	rmdir(dir);
}

/* A table too small for the live set: the reports it affects say so, not
 * only the summary. --max-allocs 1024 leaves room for 66,560 blocks at
 * most; execleak keeps 87,506. */
TEST_FULL(e2e_leak_exec_table_full, T_ROOT | T_E2E, 600)
{
	unsigned before = bpf_prog_max_id();
	char cmd[4608], exp[128], *dir = tmpdir();
	struct run_opts o = { .timeout_ms = 500000 };
	struct run_result r;
	struct jlines out;
	long long full, count;

	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	snprintf(exp, sizeof(exp), "%s/live.json", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s --live 100000", bin_path("tests/workloads/execleak"),
		 exp);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-T", "1", "--max-allocs", "1024", "-c", cmd,
			       NULL), "leak -j -c");
	ASSERT_EQ(r.status, 0, "exit status");
	if (parse_jlines(&r, &out)) {
		const struct jv *fin = jl_req_last(&out, "interval");

		full = jv_req_i(jv_req_o(fin, "drops"), "allocs_map_full");
		count = jv_req_i(fin, "outstanding_count");
		ASSERT_GT(full, 0, "the final interval counts the allocations not tracked");
		ASSERT_LE(count, 65536 + 1024, "no more held than the table can");
		ASSERT_GE(count + full, 87506, "held and dropped cover the live set");
		jlines_free(&out);
	}
	run_result_free(&r);
	/* Text: the loss by name under the report's header. */
	ASSERT_OK(run_memscope(&o, &r, "leak", "-T", "1", "--max-allocs", "1024", "-c", cmd, NULL),
		  "leak -c");
	ASSERT_EQ(r.status, 0, "exit status");
	ASSERT_CONTAINS(r.out, "events lost so far:\n  lost: ", "the final report's header");
	ASSERT_CONTAINS(r.out, "allocation table full (raise --max-allocs)", "the loss named");
	run_result_free(&r);
	/* Above the default, the cost first: 2^20 bucket heads of 16 bytes
	 * and the 4096 x 640-byte array: 18.5 MiB. */
	snprintf(cmd, sizeof(cmd), "%s --out %s", bin_path("tests/workloads/execleak"), exp);
	ASSERT_OK(run_memscope(&o, &r, "leak", "--max-allocs", "1000000", "-c", cmd, NULL),
		  "leak --max-allocs 1000000");
	ASSERT_EQ(r.status, 0, "exit status");
	ASSERT_CONTAINS(r.err, "--max-allocs 1000000 pins 18.5 MiB of kernel memory",
			"the cost said");
	run_result_free(&r);
	assert_no_progs_left(before, "after leak with a full table");
	unlink(exp);
	rmdir(dir);
}
