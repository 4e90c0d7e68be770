// SPDX-License-Identifier: GPL-2.0
/* The main loop's ways to end: ticks, a signal, the target's death, and a
 * second signal that exits at once. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "run/loop.h"

static int ticks;

static int count_tick(void *ctx)
{
	ticks++;
	return 0;
}

static int signal_tick(void *ctx)
{
	if (++ticks == 2)
		kill(getpid(), SIGTERM);
	return 0;
}

TEST(unit_loop_ticks, 0)
{
	struct loop_opts o = { .interval_ms = 5, .max_ticks = 3, .tick = count_tick };

	ticks = 0;
	ASSERT_EQ(loop_run(&o), LOOP_COUNT, "ends after max_ticks");
	ASSERT_EQ(ticks, 3, "ticks");
}

TEST(unit_loop_signal, 0)
{
	struct loop_opts o = { .interval_ms = 5, .tick = signal_tick };

	loop_install_signals();
	ticks = 0;
	ASSERT_EQ(loop_run(&o), LOOP_SIGNAL, "SIGTERM ends the loop");
	ASSERT_EQ(ticks, 2, "no tick after the signal");
}

TEST(unit_loop_target_exit, 0)
{
	pid_t child = fork();
	struct loop_opts o = { .interval_ms = 1000 };

	if (child == 0) {
		usleep(50 * 1000);
		_exit(0);
	}
	o.watch_pid = child;
	ASSERT_EQ(loop_run(&o), LOOP_TARGET_EXIT, "target death ends the loop");
	waitpid(child, NULL, 0);
}

TEST(unit_loop_second_signal_exits, 0)
{
	int status;
	pid_t child = fork();

	if (child == 0) {
		/* The tick never returns: only the second signal ends this. */
		loop_install_signals();
		kill(getpid(), SIGINT);
		kill(getpid(), SIGINT);
		pause();
		_exit(0);
	}
	waitpid(child, &status, 0);
	ASSERT_TRUE((WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGINT) ||
		    (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT), "second SIGINT exits");
}
