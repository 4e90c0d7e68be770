/* SPDX-License-Identifier: GPL-2.0 */
/* The life of one tracing run, the same for every tool:
 *
 *   start (load and attach; the tool's hook) -> ring buffer -> "attached"
 *   -> loop (a report every interval; SIGINT/SIGTERM, the target's end,
 *   COUNT reports or an output error end it) -> final report -> summary ->
 *   detach everything -> the tool's cleanup.
 *
 * Detaching comes before anything the programs use is freed. A run whose
 * output could not be written (a full disk, a closed pipe, a --svg that
 * cannot be written) ends with EXIT_FAIL, never 0. */
#ifndef MEMSCOPE_RUN_TOOL_H
#define MEMSCOPE_RUN_TOOL_H

#include <stdbool.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "core/cli.h"
#include "run/attach.h"
#include "run/loop.h"
#include "run/target.h"

struct json;

struct run {
	const struct common_opts *common;
	struct target target;
	unsigned interval_s;	/* between reports; 0: only the final one */
	unsigned count;		/* reports, 0: until stopped */
	/* Filled by the tool's start hook: */
	struct link_set links;
	struct bpf_object *obj;		/* the loaded object (stats, map memory) */
	int events_fd;			/* its ring buffer map, -1: none */
	int input_fd;			/* keys for hooks->on_input (a terminal),
					 * -1: none */
	const char *mode;		/* the mode taken, for "attached" */
	/* Filled by the run: */
	struct timespec t0;		/* when the tool started */
	enum loop_end end;		/* why the loop ended (or < 0: error) */
	int exit_code;			/* the -c command's, -1: none */
	int output_err;			/* first output or report error (-errno),
					 * sticky: the run fails */
};

struct run_hooks {
	/* Load and attach (fill links, obj, events_fd, mode). Returns 0 or an
	 * exit code (the hook prints why). */
	int (*start)(struct run *r, void *ctx);
	/* A ring-buffer record. */
	ring_buffer_sample_fn on_event;
	/* Extra fields of the "attached" JSON record / its text line. */
	void (*attached)(struct run *r, void *ctx, struct json *j);
	/* A report: every interval (final false), and once at the end. 0 or
	 * -errno (an output error ends the run with EXIT_FAIL). */
	int (*report)(struct run *r, void *ctx, bool final);
	/* The closing summary (r->end and r->exit_code are set). */
	int (*summary)(struct run *r, void *ctx);
	/* When the traced process is about to go (a -c command's exit stop):
	 * read what only it can give (symbols). May be NULL. */
	void (*target_exiting)(void *ctx);
	/* Keys, when start set r->input_fd: called when it is readable and
	 * at least every 100 ms (see loop_opts.on_input). 0, LOOP_TICK_NOW for a report at
	 * once, or -errno to end the run; a key that ends the run calls
	 * loop_request_stop() and the run ends as on SIGINT. May be NULL. */
	int (*on_input)(struct run *r, void *ctx);
	/* After everything is detached: free what start made. */
	void (*cleanup)(struct run *r, void *ctx);
};

void run_init(struct run *r, const struct common_opts *common);
/* Run it; returns the exit code. r->target is closed at the end. */
int run_tool(struct run *r, const struct run_hooks *h, void *ctx);

/* Note an output error (first one wins); returns err. */
int run_output_error(struct run *r, int err);
/* Milliseconds since r->t0. */
double run_elapsed_ms(const struct run *r);

#endif
