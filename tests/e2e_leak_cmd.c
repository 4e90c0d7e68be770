// SPDX-License-Identifier: GPL-2.0
/* `memscope leak -c` and the life of its command: job control on the way
 * (a stop and a continue) must not strand it, and its exit code is
 * reported. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"


/* SIGSTOP the command, see it stopped, SIGCONT it, see it run again, let
 * it exit with 7: memscope reports that and exits 0 on its own. The
 * ptrace-seized command used to stay in ptrace_stop after the SIGCONT. */
TEST_FULL(e2e_leak_cmd_stopped_and_continued, T_ROOT | T_E2E, 120)
{
	unsigned before = bpf_prog_max_id();
	char dir[] = "/tmp/memscope-test.XXXXXX", file[64], cmd[256], st;
	struct jlines out;
	struct bg ms;
	size_t at = 0;
	pid_t pid;

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	snprintf(file, sizeof(file), "%s/pid", dir);
	snprintf(cmd, sizeof(cmd), "%s 7 %s", bin_path("tests/workloads/waiter"), file);
	{
		char *argv[] = { (char *)bin_path("memscope"), "leak", "-j", "-T", "0", "-o", "0",
				 "-c", cmd, "60", NULL };

		if (!ASSERT_OK(bg_start(&ms, argv, NULL), "start memscope"))
			goto out;
	}
	if (!ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"attached\"", &at, 30000), "attached")) {
		test_log("stderr: %s", ms.err);
		goto stop;
	}
	pid = bg_wait_pid_file(&ms, file);
	if (!ASSERT_GT(pid, 0, "the command published its pid"))
		goto stop;
	ASSERT_TRUE(wait_proc_state(pid, "S", 5000), "the command waits (state S)");

	kill(pid, SIGSTOP);
	/* Seized by memscope, a group stop shows as 't' (tracing stop). */
	ASSERT_TRUE(wait_proc_state(pid, "Tt", 5000), "stopped by SIGSTOP");
	bg_read_for(&ms, 500);
	st = proc_state(pid);
	test_log("state while stopped: %c", st);
	ASSERT_TRUE(st == 'T' || st == 't', "still stopped 0.5 s later");

	kill(pid, SIGCONT);
	ASSERT_TRUE(wait_proc_state(pid, "S", 5000), "running again after SIGCONT (state S)");
	kill(pid, SIGUSR1);
	ASSERT_EQ(bg_stop(&ms, 0, 30000), 0, "memscope exits 0 after the command");
	if (parse_jlines_str(ms.out, &out)) {
		ASSERT_EQ(jv_req_i(jl_req(&out, "summary"), "target_exit_code"), 7,
			  "the command's exit code");
		/* The waiter's 3 x 4096 bytes, at least. */
		ASSERT_GE(jv_req_i(jl_req_last(&out, "interval"), "outstanding_bytes"), 3 * 4096,
			  "what it held at exit");
		jlines_free(&out);
	}
stop:
	bg_free(&ms);
out:
	unlink(file);
	rmdir(dir);
	assert_no_progs_left(before, "after leak -c with a stop");
}

/* -j -c: memscope's JSON Lines on stdout, the command's own output apart
 * (on stderr): mallocloop prints a line that is JSON too, and it must not
 * reach memscope's stream. */
TEST_FULL(e2e_leak_cmd_json_apart, T_ROOT | T_E2E, 120)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000 };
	struct run_result r;
	struct jlines l;
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "%s 1000", bin_path("tests/workloads/mallocloop"));
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-c", cmd, NULL), "leak -j -c mallocloop");
	ASSERT_EQ(r.status, 0, "exit status");
	ASSERT_FALSE(r.out && strstr(r.out, "\"workload\":\"mallocloop\""),
		     "nothing of the command on stdout");
	ASSERT_CONTAINS(r.err, "\"workload\":\"mallocloop\"", "the command's output on stderr");
	if (parse_jlines(&r, &l)) {
		ASSERT_TRUE(jl_req(&l, "summary") != NULL, "the JSON stream through to the summary");
		jlines_free(&l);
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after leak -j -c");
}

/* -c of a script: with "#!" its interpreter's allocator is traced (the
 * kernel runs the interpreter), without one /bin/sh runs it, as a shell
 * would. Either way it runs and its allocations are seen. */
TEST_FULL(e2e_leak_cmd_scripts, T_ROOT | T_E2E, 120)
{
	unsigned before = bpf_prog_max_id();
	static const char *const bodies[] = { "#!/bin/sh\necho from-script $1\n",
					      "echo from-script $1\n" };

	if (getenv("MEMSCOPE_GUEST"))
		test_skip("the guests' /bin/sh is a stripped static busybox (no allocator to "
			  "find): tested on the host");

	for (int i = 0; i < 2; i++) {
		struct run_opts o = { .timeout_ms = 60000 };
		char path[64], cmd[96];
		struct run_result r;
		struct jlines l;
		FILE *f;

		snprintf(path, sizeof(path), "/tmp/memscope-script-%d-%d", (int)getpid(), i);
		f = fopen(path, "w");
		if (!ASSERT_TRUE(f != NULL, "write the script"))
			return;
		fputs(bodies[i], f);
		fclose(f);
		chmod(path, 0755);
		snprintf(cmd, sizeof(cmd), "%s arg%d", path, i);
		ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-c", cmd, NULL), "leak -c script");
		ASSERT_EQ(r.status, 0, i ? "no #!: exit status" : "#!: exit status");
		ASSERT_CONTAINS(r.err, i ? "from-script arg1" : "from-script arg0",
				"it ran, with its argument");
		if (parse_jlines(&r, &l)) {
			ASSERT_GE(jv_req_i(jl_req(&l, "summary"), "allocs"), 1,
				  "the interpreter's allocations");
			jlines_free(&l);
		}
		run_result_free(&r);
		unlink(path);
	}
	assert_no_progs_left(before, "after leak -c scripts");
}
