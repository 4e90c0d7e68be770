// SPDX-License-Identifier: GPL-2.0
/* `memscope leak` against workloads with known answers: the ledger (every
 * traced allocator function from its own site, with its own expected
 * bytes, counts and source lines), flame graphs, events, sampling, and
 * bad input. Kernel mode: e2e_leak_kernel.c. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "ledger.h"
#include "run.h"

/* ---- helpers ------------------------------------------------------------ */

static char *tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/memscope-test.XXXXXX");
	return mkdtemp(dir);
}

static bool is_final_stack(const struct jv *r)
{
	return jv_type_is(r, "stack") && jv_req_b(r, "final");
}

/* The innermost frame of a user stack taken at the allocator's return is
 * the allocating call site. */
static const struct jv *frame0(const struct jv *stack)
{
	return jv_at(jv_req_a(stack, "frames"), 0);
}

/* Compare every site of the ledger's own expectations with the report. */
static void check_ledger(const struct jlines *out, const char *expect_path)
{
	struct jlines exp;
	const struct jv *sum, *done;
	int checked = 0;

	/* Missing or malformed expectations fail here, never skip checks. */
	if (!parse_jlines_file(expect_path, &exp))
		return;
	checked = ledger_check_sites(out, &exp, "stack", -1, true);
	ASSERT_GE(checked, 19, "every site checked");
	/* Without "done" the ledger did not finish: failed_calls must not
	 * read as 0 then. */
	done = jl_req(&exp, "done");
	sum = jl_req(out, "summary");
	if (done && sum) {
		const struct jv *drops = jv_req_o(sum, "drops"), *af;
		long long failed = jv_req_i(done, "failed_calls");

		ASSERT_GT(failed, 0, "the ledger made failing calls");
		ASSERT_GE(jv_req_i(sum, "failed_allocs"), failed, "failed calls counted");
		for (size_t k = 0; drops && k < drops->len; k++)
			ASSERT_EQ(jv_req_i(drops, drops->keys[k]), 0, drops->keys[k]);
		af = jv_req_a(sum, "attach_failures");
		ASSERT_EQ(af ? (long long)af->len : -1, 0, "every function attached");
	}
	jlines_free(&exp);
}

/* Run the ledger at exe (a path) under -c and check the final report.
 * With default_older, -o keeps its default (500 ms): the final report of
 * an exited target must still hold everything, however young. wrapper:
 * NULL, or a program memscope is started through (in_pidns). */
static void ledger_run(const char *exe, bool default_older, const char *wrapper)
{
	unsigned before = bpf_prog_max_id();
	char cmd[4608], expect[128], *dir = tmpdir();
	struct run_opts o = { .timeout_ms = 120000 };
	struct run_result r;
	struct jlines out;

	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s", exe, expect);
	{
		char *argv[] = { (char *)bin_path("memscope"), "leak", "-j", "-T", "0", "-o",
				 default_older ? "500" : "0", "-c", cmd, "60", NULL, NULL };

		if (wrapper) {
			memmove(argv + 1, argv, 10 * sizeof(argv[0]));
			argv[0] = (char *)bin_path(wrapper);
		}
		ASSERT_OK(run_argv(argv, &o, &r), "run");
	}
	ASSERT_EQ(r.status, 0, "exit status");
	if (r.status)
		test_log("stderr: %s", r.err);
	if (parse_jlines(&r, &out)) {
		jl_req(&out, "attached");
		check_ledger(&out, expect);
		ASSERT_EQ(jv_req_i(jl_req(&out, "summary"), "target_exit_code"), 0,
			  "the command's exit code");
		jlines_free(&out);
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after leak -c");
	unlink(expect);
	rmdir(dir);
}

static void ledger_command(const char *workload, bool default_older)
{
	ledger_run(bin_path(workload), default_older, NULL);
}

/* ---- user mode ------------------------------------------------------------ */

TEST_FULL(e2e_leak_ledger_command, T_ROOT | T_E2E, 300)
{
	ledger_command("tests/workloads/ledger", false);
}

/* A static executable serves its own malloc. */
TEST_FULL(e2e_leak_ledger_static, T_ROOT | T_E2E, 300)
{
	ledger_command("tests/workloads/ledger_static", true);
}

/* memscope in a pid namespace of its own, as in a container without
 * hostPID: the pids it sees are not the kernel's initial ones, and the
 * BPF side compares them as memscope sees them. */
TEST_FULL(e2e_leak_in_pid_namespace, T_ROOT | T_E2E, 300)
{
	ledger_run(bin_path("tests/workloads/ledger"), false, "tests/workloads/in_pidns");
}

/* An executable whose path is longer than a /proc/PID/maps line used to
 * hold (511 bytes): a static ledger in a deep directory. */
TEST_FULL(e2e_leak_long_path, T_ROOT | T_E2E, 300)
{
	char path[4096], cmd[8192], *dir = tmpdir();
	size_t len;

	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	len = snprintf(path, sizeof(path), "%s", dir);
	for (int i = 0; i < 6; i++) {
		len += snprintf(path + len, sizeof(path) - len, "/%0100d", i);
		if (!ASSERT_OK(mkdir(path, 0755), "a deep directory"))
			return;
	}
	snprintf(path + len, sizeof(path) - len, "/ledger_static");
	snprintf(cmd, sizeof(cmd), "cp %s %s", bin_path("tests/workloads/ledger_static"), path);
	if (!ASSERT_OK(system(cmd), "copy the ledger"))
		return;
	test_log("executable path of %zu bytes", strlen(path));
	ledger_run(path, false, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		test_log("cannot remove %s", dir);
}

/* Attach to a running process, let it run its ledger, then let it exit:
 * the final report holds what it held, and memscope exits 0 by itself. */
TEST_FULL(e2e_leak_ledger_pid, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char expect[128], pid[16], *dir = tmpdir();
	struct bg ledger, ms;
	struct jlines out;
	size_t at = 0;

	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	{
		char *argv[] = { (char *)bin_path("tests/workloads/ledger"), "--out", expect,
				 "--wait", "--hold", NULL };

		if (!ASSERT_OK(bg_start(&ledger, argv, NULL), "start the ledger"))
			return;
		/* Attach once its libraries are mapped. */
		ASSERT_TRUE(bg_wait_out(&ledger, "ready", NULL, 30000), "the ledger is ready");
	}
	snprintf(pid, sizeof(pid), "%d", ledger.pid);
	{
		char *argv[] = { (char *)bin_path("memscope"), "leak", "-j", "-T", "0", "-o", "0",
				 "-p", pid, "1", NULL };

		ASSERT_OK(bg_start(&ms, argv, NULL), "start memscope");
	}
	if (!ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"attached\"", &at, 30000), "attached")) {
		test_log("stderr: %s", ms.err);
		goto out;
	}
	kill(ledger.pid, SIGUSR1);
	for (int i = 0; i < 3000 && access(expect, F_OK); i++)
		usleep(10 * 1000);
	/* Wait until the ledger has written "done", then one more interval. */
	ASSERT_TRUE(wait_file_has(expect, "{\"type\":\"done\"", 30000), "the workload is done");
	ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"interval\"", &at, 10000), "an interval after the ledger");
	/* The target exits: memscope reports and ends on its own. */
	bg_stop(&ledger, SIGTERM, 10000);
	ASSERT_EQ(bg_stop(&ms, 0, 30000), 0, "memscope exits 0 after the target");
	if (parse_jlines_str(ms.out, &out)) {
		check_ledger(&out, expect);
		jlines_free(&out);
	}
out:
	bg_free(&ms);
	bg_free(&ledger);
	assert_no_progs_left(before, "after leak -p");
	unlink(expect);
	rmdir(dir);
}

/* No symbols in the executable: its frames are module+offset, never
 * garbage, and the bytes are still right. */
TEST_FULL(e2e_leak_stripped_binary, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char cmd[512], expect[128], *dir = tmpdir();
	struct run_opts o = { .timeout_ms = 120000 };
	long long want = 0, got = 0;
	struct run_result r;
	struct jlines out, exp;

	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s", bin_path("tests/workloads/ledger_stripped"), expect);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-T", "0", "-o", "0", "-c", cmd, "60", NULL),
		  "run");
	ASSERT_EQ(r.status, 0, "exit status");
	/* Either parse failing is a test failure, never a skipped check. */
	if (parse_jlines(&r, &out)) {
		if (parse_jlines_file(expect, &exp)) {
			for (int i = 0; i < exp.n; i++)
				if (jv_type_is(exp.recs[i], "expect"))
					want += jv_req_i(exp.recs[i], "bytes");
			jlines_free(&exp);
		}
		for (int i = 0; i < out.n; i++) {
			const struct jv *f;
			const char *mod;

			if (!is_final_stack(out.recs[i]) || !(f = frame0(out.recs[i])))
				continue;
			mod = jv_req_sn(f, "module");
			if (!mod || !strstr(mod, "ledger_stripped"))
				continue;
			ASSERT_TRUE(jv_is(jv_req(f, "sym"), J_NULL), "no invented symbol");
			ASSERT_GT(jv_req_i(f, "offset"), 0, "module offset given");
			got += jv_req_i(out.recs[i], "bytes");
		}
		ASSERT_GT(want, 0, "the stripped ledger expects outstanding bytes");
		ASSERT_EQ(got, want, "bytes from the stripped executable's sites");
		jlines_free(&out);
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after a stripped target");
	unlink(expect);
	rmdir(dir);
}

TEST(e2e_leak_bad_input, T_ROOT | T_E2E)
{
	static const struct bad_input cases[] = {
		{ { "leak", "-p", "4000000" }, 1, "no process with PID" },
		{ { "leak", "-p", "2" }, 1, "kernel thread" },
		{ { "leak", "-c", "/nonexistent/prog" }, 1, "cannot run" },
		{ { "leak", "-c", "'unbalanced" }, 2, "cannot parse" },
		{ { "leak", "-p", "1", "-c", "true" }, 2, "exclude each other" },
		{ { "leak", "-p", "abc" }, 2, "invalid PID" },
		{ { "leak", "-z", "10x" }, 2, "invalid size" },
		{ { "leak", "--sort", "age" }, 2, "--sort" },
		{ { "leak", "-c", "x", "--by-cache" }, 2, "kernel mode" },
		{ { "leak", "1", "2", "3" }, 2, "unexpected argument" },
		{ { "leak", "-c", "tests/workloads/ledger_static_stripped" }, 1, "no malloc/free" },
		{ { "leak", "-c", "" }, 2, "-c needs a command" },
		{ { "leak", "-c", "  " }, 2, "-c needs a command" },
		{ { "leak", "--btf", "/proc/version" }, 1, "not a BTF file" },
		{ { "leak", "--btf", "tests/workloads/ledger" }, 1, "an ELF file without a .BTF section" },
		{ { "leak", "--cgroup", "/memscope-no-such-cgroup" }, 1, "no memory cgroup" },
		{ { "leak", "--cgroup", "/proc" }, 1, "not a cgroup of the memory" },
		{ { "leak", "--kernel", "-O", "/bin/true" }, 2, "--obj" },
	};
	unsigned before = bpf_prog_max_id();

	assert_bad_inputs(cases);
	assert_no_progs_left(before, "after bad input");

	/* A zombie: a child of ours that exited and was not waited for. */
	{
		struct run_result r;
		pid_t z = fork();
		char pid[16];

		if (z == 0)
			_exit(0);
		wait_proc_state(z, "Z", 5000);
		snprintf(pid, sizeof(pid), "%d", z);
		ASSERT_OK(run_memscope(NULL, &r, "leak", "-p", pid, NULL), "run on a zombie");
		ASSERT_EQ(r.status, 1, "a zombie: runtime failure");
		ASSERT_CONTAINS(r.err, "zombie", "says it is a zombie");
		run_result_free(&r);
		waitpid(z, NULL, 0);
	}

	{
		struct run_opts o = { .uid = 65534 };
		struct run_result r;

		ASSERT_OK(run_memscope(&o, &r, "leak", "-p", "1", NULL), "run as nobody");
		ASSERT_EQ(r.status, 1, "not root: runtime failure");
		ASSERT_CONTAINS(r.err, "needs root", "says why");
		run_result_free(&r);
	}
}

/* SIGINT and SIGTERM end a run with a final report and a full detach. */
TEST_FULL(e2e_leak_signals, T_ROOT | T_E2E, 120)
{
	static const int sigs[] = { SIGINT, SIGTERM };

	for (size_t i = 0; i < 2; i++) {
		unsigned before = bpf_prog_max_id();
		/* Our own workload: the shell may be a stripped static busybox. */
		char *sleeper[] = { (char *)bin_path("tests/workloads/ledger"), "--out", "/dev/null",
				    "--wait", "--hold", NULL };
		char pid[16];
		struct bg target, ms;
		size_t at = 0;

		if (!ASSERT_OK(bg_start(&target, sleeper, NULL), "start target"))
			return;
		ASSERT_TRUE(bg_wait_out(&target, "ready", NULL, 30000), "the target is ready");
		snprintf(pid, sizeof(pid), "%d", target.pid);
		{
			char *argv[] = { (char *)bin_path("memscope"), "leak", "-j", "-p", pid, NULL };

			ASSERT_OK(bg_start(&ms, argv, NULL), "start memscope");
		}
		ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"attached\"", &at, 30000), "attached");
		ASSERT_EQ(bg_stop(&ms, sigs[i], 30000), 0, "exit status after the signal");
		ASSERT_CONTAINS(ms.out, "\"final\":true", "final report");
		ASSERT_CONTAINS(ms.out, "\"type\":\"summary\"", "summary");
		bg_free(&ms);
		bg_free(&target);
		assert_no_progs_left(before, "after a signal");
	}
}

/* --folded and --svg hold the same outstanding bytes as the report. */
TEST_FULL(e2e_leak_flame_outputs, T_ROOT | T_E2E, 300)
{
	char cmd[512], expect[128], folded[128], svg[128], line[4096], *dir = tmpdir();
	struct run_opts o = { .timeout_ms = 120000 };
	long long sum = 0, total = -1;
	struct run_result r;
	struct jlines out;
	bool site = false;
	FILE *f;

	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	snprintf(folded, sizeof(folded), "%s/leak.folded", dir);
	snprintf(svg, sizeof(svg), "%s/leak.svg", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s", bin_path("tests/workloads/ledger"), expect);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-o", "0", "--folded", folded, "--svg", svg,
			       "-c", cmd, "60", NULL), "run");
	ASSERT_EQ(r.status, 0, "exit status");
	if (parse_jlines(&r, &out)) {
		total = jv_req_i(jl_req_last(&out, "interval"), "outstanding_bytes");
		jlines_free(&out);
	}
	f = fopen(folded, "r");
	if (ASSERT_TRUE(f, "folded file written")) {
		while (fgets(line, sizeof(line), f)) {
			char *sp = strrchr(line, ' ');

			if (!ASSERT_TRUE(sp, "a line ends in ' VALUE'"))
				break;
			sum += atoll(sp + 1);
			site |= strstr(line, ";site_big_malloc") != NULL;
		}
		fclose(f);
	}
	ASSERT_EQ(sum, total, "folded values add up to the outstanding bytes");
	ASSERT_TRUE(site, "folded stacks name the allocation sites");
	f = fopen(svg, "r");
	if (ASSERT_TRUE(f, "svg written")) {
		size_t n = fread(line, 1, sizeof(line) - 1, f);

		line[n] = 0;
		ASSERT_CONTAINS(line, "<svg", "an SVG document");
		fclose(f);
	}
	run_result_free(&r);
	unlink(expect);
	unlink(folded);
	unlink(svg);
	rmdir(dir);
}

/* -t: every allocation and free as an event. */
TEST_FULL(e2e_leak_trace_events, T_ROOT | T_E2E, 300)
{
	char cmd[512], expect[128], *dir = tmpdir();
	struct run_opts o = { .timeout_ms = 120000 };
	struct run_result r;
	struct jlines out;

	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s", bin_path("tests/workloads/ledger"), expect);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-t", "-j", "-c", cmd, "60", NULL), "run");
	ASSERT_EQ(r.status, 0, "exit status");
	if (parse_jlines(&r, &out)) {
		int allocs = 0, frees = 0, mremaps = 0;

		for (int i = 0; i < out.n; i++) {
			const char *e;

			if (!jv_type_is(out.recs[i], "event"))
				continue;
			e = jv_req_s(out.recs[i], "event");

			allocs += e && !strcmp(e, "alloc");
			frees += e && !strcmp(e, "free");
			mremaps += e && !strcmp(e, "mremap");
		}
		/* The ledger alone: 5+10+3+3+1+1+1+2+1+1+1+1+2+10+400 allocations
		 * through malloc & co., 10+1+1+200+10 frees, 2 mremaps. */
		ASSERT_GE(allocs, 442, "alloc events");
		ASSERT_GE(frees, 222, "free events");
		ASSERT_EQ(mremaps, 2, "mremap events");
		jlines_free(&out);
	}
	run_result_free(&r);
	unlink(expect);
	rmdir(dir);
}

/* -s N records 1 in N at random: the scaled estimate lands near the truth. */
TEST_FULL(e2e_leak_sampling_estimate, T_ROOT | T_E2E, 300)
{
	char cmd[512];
	struct run_opts o = { .timeout_ms = 120000 };
	struct run_result r;
	struct jlines out;
	const long long n = 50000, size = 100, truth = n * size;

	snprintf(cmd, sizeof(cmd), "%s %lld %lld leak", bin_path("tests/workloads/mallocloop"), n, size);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-s", "10", "-z", "100", "-Z", "100", "-j", "-T", "0",
			       "-o", "0", "-c", cmd, "60", NULL), "run");
	ASSERT_EQ(r.status, 0, "exit status");
	if (parse_jlines(&r, &out)) {
		const struct jv *iv = jl_req_last(&out, "interval");
		long long got;

		got = jv_req_i(iv, "outstanding_bytes");
		test_log("1-in-10 sample: estimate %lld bytes, truth %lld (%+.1f%%)", got, truth,
			 100.0 * (got - truth) / truth);
		ASSERT_TRUE(jv_req_b(iv, "estimate"), "marked as an estimate");
		/* 5000 expected samples: one standard deviation is 1.3%. */
		ASSERT_LT(llabs(got - truth), truth / 10, "within 10% of the truth");
		jlines_free(&out);
	}
	run_result_free(&r);
}
