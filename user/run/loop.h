/* SPDX-License-Identifier: GPL-2.0 */
/* The main loop every tracing tool runs: consume a ring buffer (optional),
 * call a tick callback every interval, and stop on SIGINT/SIGTERM, on the
 * traced target's death, or after a number of ticks.
 *
 * Signals only set a flag, so the tool gets to print its final report and
 * detach; a second SIGINT/SIGTERM exits at once (links are fd-based, so the
 * kernel detaches everything when the process dies). */
#ifndef MEMSCOPE_LOOP_H
#define MEMSCOPE_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ring_buffer;

/* Install the SIGINT/SIGTERM handlers (idempotent). */
void loop_install_signals(void);
/* True once SIGINT or SIGTERM arrived. */
bool loop_stop_requested(void);
/* The signal that asked to stop (SIGINT, SIGTERM; 0 if none did, e.g.
 * loop_request_stop()), and whether the kernel sent it (a terminal's
 * Ctrl-C, to the whole foreground process group) rather than a process. */
int loop_stop_signal(bool *from_kernel);
/* Ask the loop to stop, as a signal would (for callbacks). */
void loop_request_stop(void);
/* fn runs inside the signal handler just before a second SIGINT/SIGTERM
 * ends the process, so a tool can undo what the kernel will not (a
 * terminal left in full-screen mode). Async-signal-safe calls only
 * (tcsetattr, write). NULL removes it. */
void loop_set_exit_hook(void (*fn)(void));

enum loop_end {
	LOOP_SIGNAL = 1,	/* SIGINT/SIGTERM or loop_request_stop() */
	LOOP_TARGET_EXIT,	/* watch_pid exited */
	LOOP_COUNT,		/* max_ticks reached */
};

/* What on_input returns to get a tick at once (say, a key that asks for a
 * refresh); the next one comes a whole interval later. */
#define LOOP_TICK_NOW 1

struct loop_opts {
	struct ring_buffer *rb;	/* may be NULL */
	uint64_t interval_ms;	/* 0: no ticks */
	unsigned max_ticks;	/* 0: unlimited */
	pid_t watch_pid;	/* 0: none */
	int watch_pidfd;	/* > 0: a pidfd of watch_pid the caller holds
				 * (else one is opened here) */
	/* Called every interval; a negative return ends the loop with it. */
	int (*tick)(void *ctx);
	void *ctx;
	/* With on_extra set: called when extra_fd is readable (and at least
	 * every slice); > 0 ends the loop with LOOP_TARGET_EXIT. Used to
	 * follow a child we started (SIGCHLD signalfd). */
	int extra_fd;
	int (*on_extra)(void *ctx);
	/* With on_input set: called when input_fd is readable (a terminal's
	 * keys), and at least every slice: a terminal's resize arrives as a
	 * signal, not as input. 0, LOOP_TICK_NOW, or a negative error that
	 * ends the loop; a key that ends the run calls loop_request_stop(). */
	int input_fd;
	int (*on_input)(void *ctx);
};

/* Run until one of the ends above; returns an enum loop_end, or a negative
 * error from the ring buffer or the tick callback. */
int loop_run(const struct loop_opts *opts);

#endif
