// SPDX-License-Identifier: GPL-2.0
/* The main loop's ways to end: ticks, a signal, the target's death, and a
 * second signal that exits at once (running the exit hook); keys from an
 * input fd. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
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

/* Keys through input_fd: 't' asks for a tick at once (long before the
 * interval), 'q' ends the loop as a signal would, 'e' fails it. */
static int keys[2], input_calls;

static int key_input(void *ctx)
{
	char c;

	input_calls++;
	if (keys[0] < 0 || read(keys[0], &c, 1) != 1)
		return 0;
	if (c == 't')
		return LOOP_TICK_NOW;
	if (c == 'e')
		return -EIO;
	if (c == 'q')
		loop_request_stop();
	return 0;
}

static int quit_tick(void *ctx)
{
	ticks++;
	return write(keys[1], "q", 1) == 1 ? 0 : -EIO;
}

TEST(unit_loop_input, 0)
{
	struct loop_opts o = { .interval_ms = 60000, .tick = quit_tick, .on_input = key_input };
	struct timespec t0, t1;

	if (!ASSERT_OK(pipe2(keys, O_NONBLOCK), "pipe"))
		return;
	o.input_fd = keys[0];
	ASSERT_EQ(write(keys[1], "e", 1), 1, "key");
	ASSERT_EQ(loop_run(&o), -EIO, "an error from on_input ends the loop with it");

	ticks = 0;
	ASSERT_EQ(write(keys[1], "t", 1), 1, "key");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(loop_run(&o), LOOP_SIGNAL, "'q' ends the loop as a stop request");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(ticks, 1, "'t' ticked once");
	ASSERT_LT(t1.tv_sec - t0.tv_sec, 5, "at once, not after the 60 s interval");
	close(keys[0]);
	close(keys[1]);
}

TEST(unit_loop_input_every_slice, 0)
{
	struct loop_opts o = { .interval_ms = 450, .max_ticks = 1, .tick = count_tick,
			       .on_input = key_input, .input_fd = -1 };

	/* No fd to poll: still called every slice (a resize is a signal). */
	keys[0] = -1;
	input_calls = 0;
	ASSERT_EQ(loop_run(&o), LOOP_COUNT, "ends after the tick");
	ASSERT_GE(input_calls, 3, "called about every 100 ms");
}

static int last_words[2];

static void say_last_words(void)
{
	(void)!write(last_words[1], "x", 1);
}

TEST(unit_loop_exit_hook, 0)
{
	int status;
	pid_t child;
	char c = 0;

	if (!ASSERT_OK(pipe(last_words), "pipe"))
		return;
	child = fork();
	if (child == 0) {
		loop_install_signals();
		loop_set_exit_hook(say_last_words);
		kill(getpid(), SIGTERM);
		kill(getpid(), SIGTERM);
		pause();
		_exit(0);
	}
	close(last_words[1]);
	waitpid(child, &status, 0);
	ASSERT_EQ(read(last_words[0], &c, 1), 1, "the hook ran before the second signal's exit");
	ASSERT_EQ(c, 'x', "its byte");
	close(last_words[0]);
}
