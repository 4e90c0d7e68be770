// SPDX-License-Identifier: GPL-2.0
/* What a run traces and how it talks about it (run/target.c): targets that
 * must be refused with a message (a thread id, an object the process has
 * not mapped), names from a hostile target escaped before they reach a
 * terminal, long intervals, output that cannot be written. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "ktruth.h"
#include "run.h"
#include "term.h"

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

/* -p with a thread's id names its process instead of tracing nothing. */
TEST(e2e_targets_thread_id_refused, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id();
	struct run_result r;
	char tid[16], want[96];
	pthread_t t;
	pid_t ttid = 0;

	if (!ASSERT_OK(pthread_create(&t, NULL, idle_thread, NULL), "a second thread"))
		return;
	/* Its kernel thread id, from /proc (gettid() runs in the thread). */
	for (int i = 0; i < 100 && !ttid; i++) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/self/task/%d", getpid() + 1 + i);
		if (!stat(path, &st))
			ttid = getpid() + 1 + i;
	}
	if (!ASSERT_GT(ttid, 0, "the thread's id"))
		return;
	snprintf(tid, sizeof(tid), "%d", ttid);
	ASSERT_OK(run_memscope(NULL, &r, "leak", "-p", tid, "1", "1", NULL), "run");
	ASSERT_EQ(r.status, 1, "a runtime failure");
	snprintf(want, sizeof(want), "%d is a thread of process %d", ttid, getpid());
	ASSERT_CONTAINS(r.err, want, "names the process");
	run_result_free(&r);
	assert_no_progs_left(before, "after a refused thread id");
}

/* Start the hostile workload; its pid as text into pid[16]. */
static bool start_hostile(struct bg *b, char *pid)
{
	char *argv[] = { (char *)bin_path("tests/workloads/hostile"), NULL };

	if (!ASSERT_OK(bg_start(b, argv, NULL), "start the workload"))
		return false;
	snprintf(pid, 16, "%d", b->pid);
	return ASSERT_TRUE(bg_wait_out(b, "ready", NULL, 30000), "the workload is ready");
}

/* -O with an object the process has not mapped is refused. */
TEST(e2e_targets_unmapped_object_refused, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id();
	struct run_result r;
	struct bg wl;
	char pid[16];

	if (!start_hostile(&wl, pid))
		goto out;
	/* memscope itself: an ELF file the workload surely has not mapped. */
	ASSERT_OK(run_memscope(NULL, &r, "leak", "-p", pid, "-O", bin_path("memscope"), "1", "1",
			       NULL), "run");
	ASSERT_EQ(r.status, 1, "a runtime failure");
	ASSERT_CONTAINS(r.err, "has not mapped", "says the object is not mapped");
	run_result_free(&r);
out:
	bg_free(&wl);
	assert_no_progs_left(before, "after a refused -O");
}

/* A comm made of ESC ] 0 ; ... BEL and a newline reaches the text report
 * escaped; JSON carries it escaped as JSON does. (e2e_term.c: every tool
 * and output, with many more hostile names.) */
TEST(e2e_targets_hostile_names_escaped, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000, .signal_after_ms = 2500 };
	char dir[] = "/tmp/memscope-test.XXXXXX", exe[128], cmd[160], pid[16];
	struct run_result r;
	struct bg wl;

	if (!start_hostile(&wl, pid))
		goto out;
	ASSERT_OK(run_memscope(&o, &r, "leak", "-p", pid, "-o", "0", "1", NULL), "run -p");
	ASSERT_EQ(r.status, 0, "exit status");
	ASSERT_CONTAINS(r.out, "\\x1b]0;pwn\\x07", "the comm is shown escaped");
	ASSERT_TERM_CLEAN(r.out, r.out_len, "stdout safe for a terminal");
	ASSERT_TERM_CLEAN(r.err, r.err_len, "stderr safe for a terminal");
	run_result_free(&r);
	bg_stop(&wl, SIGTERM, 5000);

	/* The executable's own name too, through -c. */
	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		goto out;
	snprintf(exe, sizeof(exe), "%s/h\x1b[31mred", dir);
	snprintf(cmd, sizeof(cmd), "cp %s '%s'", bin_path("tests/workloads/hostile"), exe);
	if (!ASSERT_OK(system(cmd), "copy the workload under a hostile name"))
		goto out;
	snprintf(cmd, sizeof(cmd), "'%s'", exe);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-o", "0", "-c", cmd, "1", NULL), "run -c");
	ASSERT_EQ(r.status, 0, "exit status");
	ASSERT_CONTAINS(r.out, "h\\x1b[31mred", "the path is shown escaped");
	ASSERT_TERM_CLEAN(r.out, r.out_len, "stdout safe for a terminal");
	ASSERT_TERM_CLEAN(r.err, r.err_len, "stderr safe for a terminal");
	run_result_free(&r);
	unlink(exe);
	rmdir(dir);
out:
	bg_free(&wl);
	assert_no_progs_left(before, "after hostile names");
}

/* An interval of 4294968 s or more once wrapped to a report every 0.7 s. */
TEST(e2e_targets_long_interval, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000, .signal_after_ms = 3000 };
	struct run_result r;
	struct jlines l;
	struct bg wl;
	char pid[16];

	if (!start_hostile(&wl, pid))
		goto out;
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-p", pid, "4294968", NULL), "run");
	ASSERT_EQ(r.status, 0, "exit status");
	if (parse_jlines(&r, &l)) {
		int from = 0, n = 0;
		struct jv *iv;

		while ((iv = jlines_find(&l, &from, "interval", NULL, NULL)))
			n += !jv_req_b(iv, "final");
		ASSERT_EQ(n, 0, "no report before the interval is over");
		ASSERT_TRUE(jlines_find(&l, NULL, "summary", NULL, NULL), "a summary at the end");
		jlines_free(&l);
	}
	run_result_free(&r);
out:
	bg_free(&wl);
	assert_no_progs_left(before, "after a long interval");
}

/* Output that cannot be written is a failure: a full disk, a flame graph
 * into a directory that does not exist. */
TEST(e2e_targets_output_errors, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000 };
	char cmd[256];
	struct run_result r;

	snprintf(cmd, sizeof(cmd), "exec %s leak -j -c %s 1 >/dev/full", bin_path("memscope"),
		 bin_path("tests/workloads/hostile"));
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		o.signal_after_ms = 3000;
		ASSERT_OK(run_argv(argv, &o, &r), "run into /dev/full");
	}
	ASSERT_EQ(r.status, 1, "exit 1 when stdout is full");
	ASSERT_CONTAINS(r.err, "No space left on device", "says why");
	run_result_free(&r);

	o.signal_after_ms = 0;
	ASSERT_OK(run_memscope(&o, &r, "leak", "--svg", "/nonexistent/dir/x.svg", "1", "1", NULL),
		  "run with an impossible --svg");
	ASSERT_EQ(r.status, 1, "exit 1 when --svg cannot be written");
	ASSERT_CONTAINS(r.err, "/nonexistent/dir/x.svg", "names the file");
	run_result_free(&r);

	/* Symlinks planted where the files go are never followed: the old
	 * writer opened "PATH.tmp" as root and overwrote what it pointed to. */
	{
		char dir[] = "/tmp/memscope-test.XXXXXX", victim[96], svg[96], tmp[112];
		char folded[96], *text;
		struct stat st;

		if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
			goto out;
		snprintf(victim, sizeof(victim), "%s/victim", dir);
		snprintf(svg, sizeof(svg), "%s/out.svg", dir);
		snprintf(tmp, sizeof(tmp), "%s/out.svg.tmp", dir);
		snprintf(folded, sizeof(folded), "%s/out.folded", dir);
		{
			FILE *f = fopen(victim, "w");

			if (f) {
				fputs("precious\n", f);
				fclose(f);
			}
		}
		ASSERT_OK(symlink(victim, tmp), "a symlink at out.svg.tmp");
		ASSERT_OK(symlink(victim, folded), "a symlink at out.folded itself");
		ASSERT_OK(run_memscope(&o, &r, "leak", "--svg", svg, "--folded", folded, "-c",
				       bin_path("tests/workloads/leaky 1"), "1", NULL), "run");
		ASSERT_EQ(r.status, 0, "exit status");
		run_result_free(&r);
		text = read_text_file(victim, NULL);
		ASSERT_STREQ(text, "precious\n", "the victim is untouched");
		free(text);
		ASSERT_TRUE(!lstat(folded, &st) && S_ISREG(st.st_mode),
			    "the symlink at the output's own path was replaced by a file");
		ASSERT_TRUE(!lstat(svg, &st) && S_ISREG(st.st_mode) && st.st_size > 0, "svg written");
		unlink(victim);
		unlink(svg);
		unlink(tmp);
		unlink(folded);
		rmdir(dir);
	}
out:
	assert_no_progs_left(before, "after output errors");
}

/* As a user with CAP_BPF and CAP_PERFMON only (no CAP_SYSLOG, no
 * CAP_SYS_ADMIN), as the README promises for kernel mode: it runs, and
 * with /proc/kallsyms hiding addresses its stacks are addresses (this
 * once crashed: frames resolved through a NULL ksyms). */
TEST_FULL(e2e_targets_bpf_perfmon_kernel, T_ROOT | T_E2E, 120)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000, .uid = 65534, .caps = CAP_BPF_PERFMON };
	struct run_result r;

	ASSERT_OK(run_memscope(&o, &r, "leak", "-o", "0", "1", "2", NULL), "run");
	test_log("stderr: %.300s", r.err);
	ASSERT_EQ(r.status, 0, "exit status");
	ASSERT_CONTAINS(r.out, "#0  0x", "frames printed");
	ASSERT_CONTAINS(r.out, "summary:", "through to the summary");
	run_result_free(&r);
	assert_no_progs_left(before, "after kernel mode with CAP_BPF+CAP_PERFMON");
}

/* A process's allocator needs uprobes. Kernels with the 2025 fix to
 * CAP_PERFMON create uprobe perf events for CAP_SYS_ADMIN only, but not
 * uprobe_multi links (6.6+), which leak takes first: leak runs where the
 * kernel lets this user create either (tried here with raw syscalls), in
 * the attach mode that works, and otherwise says what is missing. */
TEST_FULL(e2e_targets_bpf_perfmon_user, T_ROOT | T_E2E, 120)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000, .uid = 65534, .caps = CAP_BPF_PERFMON };
	bool perf_ok = false, multi_ok = false;
	struct run_result r;
	struct jlines l;

	for (int k = 0; k < 2; k++) {
		int status = -1;
		pid_t pid = fork();

		if (pid == 0) {
			const char *why;

			_exit(run_become(65534, CAP_BPF_PERFMON) ? 2 :
			      ktruth_attach(k ? PROBE_UPROBE_MULTI : PROBE_UPROBE, &why) ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		if (!ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) < 2, "the raw attempt ran"))
			return;
		*(k ? &multi_ok : &perf_ok) = WEXITSTATUS(status) == 0;
	}
	test_log("for CAP_BPF+CAP_PERFMON: uprobe perf events %s, uprobe_multi links %s",
		 perf_ok ? "allowed" : "refused", multi_ok ? "allowed" : "refused");
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-c", bin_path("tests/workloads/hostile"), "1",
			       "1", NULL), "run");
	if (perf_ok || multi_ok) {
		ASSERT_EQ(r.status, 0, "runs where the kernel allows uprobes");
		if (!r.status && parse_jlines(&r, &l)) {
			const struct jv *a = jl_req(&l, "attached");
			const char *how = a ? jv_req_s(a, "attach") : NULL;

			ASSERT_TRUE(how && !strcmp(how, multi_ok ? "uprobe_multi" : "uprobe"),
				    "in the attach mode the kernel allows");
			jlines_free(&l);
		}
	} else {
		ASSERT_EQ(r.status, 1, "a runtime failure where it does not");
		ASSERT_CONTAINS(r.err, "need CAP_SYS_ADMIN", "says what is missing");
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after user mode with CAP_BPF+CAP_PERFMON");
}

/* "now at N nsecs" and "jiffies: N" of /proc/timer_list, read together. */
static bool timer_list(long long *now_ns, long long *jiffies)
{
	char line[256];
	FILE *f = fopen("/proc/timer_list", "r");

	*now_ns = *jiffies = -1;
	while (f && fgets(line, sizeof(line), f) && *jiffies < 0) {
		sscanf(line, "now at %lld nsecs", now_ns);
		sscanf(line, "jiffies: %lld", jiffies);
	}
	if (f)
		fclose(f);
	return *now_ns > 0 && *jiffies > 0;
}

/* Allocation ages are jiffies turned into time: the length of a jiffy
 * memscope measured is the kernel's, as /proc/timer_list shows it. */
TEST_FULL(e2e_targets_clock, T_ROOT | T_E2E, 120)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000, .signal_after_ms = 2500 };
	long long n0, j0, n1, j1;
	struct run_result r;
	struct jlines l;
	char pid[16];
	struct bg wl;
	double hz;

	if (!timer_list(&n0, &j0))
		test_skip("no /proc/timer_list");
	usleep(1000 * 1000);
	timer_list(&n1, &j1);
	hz = (j1 - j0) * 1e9 / (n1 - n0);
	if (!start_hostile(&wl, pid))
		goto out;
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-p", pid, "1", NULL), "run");
	ASSERT_EQ(r.status, 0, "exit status");
	if (parse_jlines(&r, &l)) {
		double got = jv_req_n(jl_req(&l, "summary"), "clock_hz");

		test_log("HZ: memscope %.1f, /proc/timer_list %.1f", got, hz);
		ASSERT_TRUE(got > 0.97 * hz && got < 1.03 * hz, "the kernel's HZ");
		jlines_free(&l);
	}
	run_result_free(&r);
out:
	bg_free(&wl);
	assert_no_progs_left(before, "after the clock");
}
