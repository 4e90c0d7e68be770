// SPDX-License-Identifier: GPL-2.0
/* Command-line splitting, PATH lookup, and the gated, exit-stopped child
 * (also stopped and continued on the way). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "core/procfs.h"
#include "run.h"
#include "run/spawn.h"

static void split_is(const char *in, int argc, const char *const *want)
{
	char **argv = NULL;
	int n = cmdline_split(in, &argv);

	if (!ASSERT_EQ(n, argc, in))
		goto out;
	for (int i = 0; i < argc; i++)
		ASSERT_STREQ(argv[i], want[i], in);
	ASSERT_TRUE(argv[argc] == NULL, "NULL-terminated");
out:
	cmdline_free(argv);
}

TEST(unit_spawn_cmdline_split, 0)
{
	char **argv;

	split_is("ls", 1, (const char *[]){ "ls" });
	split_is("  a   b\tc  ", 3, (const char *[]){ "a", "b", "c" });
	split_is("sh -c 'echo \"hi there\"; x'", 3,
		 (const char *[]){ "sh", "-c", "echo \"hi there\"; x" });
	split_is("a\\ b \"c\\\"d\" e''f", 3, (const char *[]){ "a b", "c\"d", "ef" });
	split_is("'' x", 2, (const char *[]){ "", "x" });
	ASSERT_EQ(cmdline_split("", &argv), -EINVAL, "empty");
	ASSERT_EQ(cmdline_split("   ", &argv), -EINVAL, "blank");
	ASSERT_EQ(cmdline_split("a 'b", &argv), -EINVAL, "unbalanced quote");
	ASSERT_EQ(cmdline_split("a\\", &argv), -EINVAL, "trailing backslash");
}

TEST(unit_spawn_path_resolve, 0)
{
	char path[4096], *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	setenv("PATH", "/nonexistent:/bin:/usr/bin", 1);
	if (ASSERT_OK(path_resolve("sh", path, sizeof(path)), "sh on PATH"))
		ASSERT_TRUE(!access(path, X_OK), "resolved path is executable");
	ASSERT_EQ(path_resolve("no-such-command-xyz", path, sizeof(path)), -ENOENT, "missing");
	ASSERT_OK(path_resolve("/bin/sh", path, sizeof(path)), "absolute");
	ASSERT_STREQ(path, "/bin/sh", "absolute kept");
	ASSERT_EQ(path_resolve("/nonexistent/x", path, sizeof(path)), -ENOENT, "missing absolute");
	if (old)
		setenv("PATH", old, 1);
	free(old);
}

static char exit_maps[8192];
static pid_t exit_pid;

static void read_maps_at_exit(void *ctx)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/maps", exit_pid);
	read_file_str(path, exit_maps, sizeof(exit_maps));
}

/* The child does not run before the gate opens, and at its exit stop its
 * memory map is still readable. */
TEST(unit_spawn_gate_and_exit_stop, 0)
{
	char *argv[] = { "sh", "-c", "exit 3", NULL };
	char state[512], path[64];
	struct spawned s;

	ASSERT_OK(spawn_prepare(&s, "/bin/sh", argv, true, false), "prepare");
	usleep(50 * 1000);
	/* Still our forked copy, blocked at the gate: not yet sh. */
	snprintf(path, sizeof(path), "/proc/%d/exe", s.pid);
	ASSERT_TRUE(readlink(path, state, sizeof(state)) > 0, "child exists");
	ASSERT_TRUE(strstr(state, "memscope-test") != NULL, "not exec'd before the gate");
	ASSERT_OK(spawn_release(&s), "release");
	exit_pid = s.pid;
	while (!spawn_handle(&s, read_maps_at_exit, NULL))
		usleep(10 * 1000);
	ASSERT_EQ(spawn_exit_code(&s), 3, "exit code");
	ASSERT_TRUE(!s.traced || exit_maps[0], "maps read at the exit stop");
	spawn_kill(&s);
}

TEST(unit_spawn_exec_failure, 0)
{
	char *argv[] = { "nope", NULL };
	struct spawned s;

	ASSERT_OK(spawn_prepare(&s, "/nonexistent/nope", argv, false, false), "prepare");
	ASSERT_EQ(spawn_release(&s), -ENOENT, "exec error comes back");
	while (!spawn_handle(&s, NULL, NULL))
		usleep(10 * 1000);
	ASSERT_EQ(spawn_exit_code(&s), 127, "child exits 127");
	spawn_kill(&s);
}

/* Handle the child's stops for ms milliseconds (or until it is gone). */
static void handle_for(struct spawned *s, unsigned ms)
{
	for (unsigned t = 0; t < ms && !spawn_handle(s, NULL, NULL); t += 5)
		usleep(5 * 1000);
}

/* A child stopped with sig and continued runs on to its exit. It used to
 * stay in ptrace_stop forever: the PTRACE_EVENT_STOP that SIGCONT causes
 * was answered with another PTRACE_LISTEN. */
static void stop_and_continue(int sig)
{
	/* sh waits for sleep: stopped, it cannot exit before SIGCONT. */
	char *argv[] = { "sh", "-c", "sleep 0.3; exit 5", NULL };
	char what[96], st;
	struct spawned s;
	int code = -1;

	if (!ASSERT_OK(spawn_prepare(&s, "/bin/sh", argv, true, false), "prepare"))
		return;
	ASSERT_OK(spawn_release(&s), "release");
	ASSERT_TRUE(s.traced, "seized to stop at exit");
	handle_for(&s, 50);
	kill(s.pid, sig);
	/* A seized tracee in a group stop is in TASK_TRACED: 't', not 'T'. */
	for (int i = 0; i < 200 && !strchr("Tt", st = proc_state(s.pid)); i++)
		handle_for(&s, 5);
	snprintf(what, sizeof(what), "stopped by signal %d (state %c)", sig, st ? st : '?');
	ASSERT_TRUE(st == 'T' || st == 't', what);
	/* Long past sleep's end: still stopped. */
	handle_for(&s, 600);
	ASSERT_FALSE(s.exited, "no exit while stopped");
	ASSERT_TRUE(strchr("Tt", proc_state(s.pid)) != NULL, "still stopped");
	kill(s.pid, SIGCONT);
	handle_for(&s, 5000);
	if (ASSERT_TRUE(s.exited, "ran to its exit after SIGCONT")) {
		code = spawn_exit_code(&s);
	} else {
		char path[64], wchan[64] = "?";

		snprintf(path, sizeof(path), "/proc/%d/wchan", s.pid);
		read_file_str(path, wchan, sizeof(wchan));
		test_log("still in state %c, waiting in %s", proc_state(s.pid), wchan);
	}
	ASSERT_EQ(code, 5, "its exit code");
	spawn_kill(&s);
}

TEST(unit_spawn_stopped_and_continued, 0)
{
	stop_and_continue(SIGSTOP);
	stop_and_continue(SIGTSTP);
}
