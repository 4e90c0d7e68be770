// SPDX-License-Identifier: GPL-2.0
/* Ring-buffer/poll main loop with signal and target-death handling. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "run/loop.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif

/* Upper bound on how long a stop request can go unnoticed. */
#define LOOP_SLICE_MS 100

static volatile sig_atomic_t stop_count, stop_sig, stop_from_kernel;
static void (*volatile exit_hook)(void);

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	if (!stop_count) {
		stop_sig = sig;
		/* The terminal's Ctrl-C comes from the kernel (SI_KERNEL), to
		 * the whole foreground process group. */
		stop_from_kernel = si && si->si_code == SI_KERNEL;
	}
	if (stop_count++ > 0) {
		void (*fn)(void) = exit_hook;

		/* Second request: leave now; the kernel drops our links, the
		 * hook what the kernel cannot. */
		if (fn)
			fn();
		signal(sig, SIG_DFL);
		raise(sig);
		_exit(128 + sig);
	}
}

void loop_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: a write to a full pipe resumes after Ctrl-C instead of
	 * failing with EINTR (stdio would then call the output broken). The
	 * loop's poll() is never restarted, whatever the flag (signal(7)),
	 * so a stop request is still seen at once. */
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool loop_stop_requested(void)
{
	return stop_count > 0;
}

int loop_stop_signal(bool *from_kernel)
{
	if (from_kernel)
		*from_kernel = stop_from_kernel;
	return stop_count ? stop_sig : 0;
}

void loop_request_stop(void)
{
	stop_count++;
}

void loop_set_exit_hook(void (*fn)(void))
{
	exit_hook = fn;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

int loop_run(const struct loop_opts *o)
{
	struct pollfd pfd[4];
	long long next_tick = 0;
	bool own_pidfd = false, tick_now = false;
	unsigned ticks = 0;
	int pidfd = -1, npfd = 0, rb_idx = -1, pid_idx = -1, in_idx = -1;
	int ret = 0, err;

	if (o->rb) {
		rb_idx = npfd;
		pfd[npfd++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(o->rb), .events = POLLIN };
	}
	if (o->watch_pid > 0) {
		/* A pidfd becomes readable when the process exits (5.3+);
		 * older kernels fall back to probing with kill(0) per slice. */
		pidfd = o->watch_pidfd > 0 ? o->watch_pidfd : syscall(__NR_pidfd_open, o->watch_pid, 0);
		own_pidfd = o->watch_pidfd <= 0 && pidfd >= 0;
		if (pidfd >= 0) {
			pid_idx = npfd;
			pfd[npfd++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		}
	}
	if (o->on_extra && o->extra_fd >= 0)
		pfd[npfd++] = (struct pollfd){ .fd = o->extra_fd, .events = POLLIN };
	if (o->on_input && o->input_fd >= 0) {
		in_idx = npfd;
		pfd[npfd++] = (struct pollfd){ .fd = o->input_fd, .events = POLLIN };
	}
	if (o->interval_ms)
		next_tick = now_ms() + (long long)o->interval_ms;

	while (!ret) {
		int timeout = LOOP_SLICE_MS;
		long long now = now_ms();

		if (loop_stop_requested()) {
			ret = LOOP_SIGNAL;
			break;
		}
		if (tick_now || (o->interval_ms && now >= next_tick)) {
			if (o->tick && (err = o->tick(o->ctx)) < 0) {
				ret = err;
				break;
			}
			ticks++;
			if (o->max_ticks && ticks >= o->max_ticks) {
				ret = LOOP_COUNT;
				break;
			}
			/* Keep the cadence; don't drift by the tick's cost. A
			 * tick asked for restarts the interval. */
			next_tick = tick_now ? now : next_tick;
			next_tick += (long long)o->interval_ms;
			if (next_tick <= now)
				next_tick = now + (long long)o->interval_ms;
			tick_now = false;
			continue;
		}
		if (o->interval_ms && next_tick - now < timeout)
			timeout = (int)(next_tick - now);

		err = poll(pfd, npfd, timeout);
		if (err < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (rb_idx >= 0 && (pfd[rb_idx].revents & POLLIN)) {
			err = ring_buffer__consume(o->rb);
			if (err < 0 && err != -EINTR) {
				log_error("reading the ring buffer failed: %s", strerror(-err));
				ret = err;
				break;
			}
		}
		if (in_idx >= 0 && (pfd[in_idx].revents & (POLLHUP | POLLERR | POLLNVAL)))
			/* A hung-up terminal stays "ready" for ever: stop
			 * polling it rather than spin (SIGHUP says the rest). */
			pfd[in_idx].fd = -1;
		if (o->on_input) {
			err = o->on_input(o->ctx);
			if (err < 0) {
				ret = err;
				break;
			}
			tick_now = err == LOOP_TICK_NOW;
		}
		if (o->on_extra && (err = o->on_extra(o->ctx))) {
			if (o->rb)
				ring_buffer__consume(o->rb);
			ret = err > 0 ? LOOP_TARGET_EXIT : err;
			break;
		}
		if ((pid_idx >= 0 && pfd[pid_idx].revents) ||
		    (o->watch_pid > 0 && pidfd < 0 && !pid_alive(o->watch_pid))) {
			/* Drain what the target produced before it died. */
			if (o->rb)
				ring_buffer__consume(o->rb);
			ret = LOOP_TARGET_EXIT;
		}
	}
	if (own_pidfd)
		close(pidfd);
	return ret;
}
