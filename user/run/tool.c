// SPDX-License-Identifier: GPL-2.0
/* The run lifecycle every tool shares (see tool.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "core/json.h"
#include "core/log.h"
#include "run/tool.h"

void run_init(struct run *r, const struct common_opts *common)
{
	memset(r, 0, sizeof(*r));
	r->common = common;
	r->events_fd = -1;
	r->input_fd = -1;
	r->exit_code = -1;
	target_init(&r->target);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
}

double run_elapsed_ms(const struct run *r)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - r->t0.tv_sec) * 1e3 + (t.tv_nsec - r->t0.tv_nsec) / 1e6;
}

int run_output_error(struct run *r, int err)
{
	if (err && !r->output_err)
		r->output_err = err;
	return err;
}

struct loop_ctx {
	struct run *r;
	const struct run_hooks *h;
	void *ctx;
	unsigned ticks;		/* reports made */
};

/* Output to stdout that failed (a full disk, a closed pipe) ends the run. */
static int stdout_error(struct run *r)
{
	int err;

	if (r->output_err || (!fflush(stdout) && !ferror(stdout)))
		return r->output_err;
	err = errno ? -errno : -EIO;
	log_error("writing the output failed: %s", strerror(-err));
	return run_output_error(r, err);
}

/* A report or summary that failed (the tool said why if it knew more). */
static int hook_error(struct run *r, int err, const char *what)
{
	if (!err || r->output_err)
		return err;
	log_error("%s failed: %s", what, strerror(-err));
	return run_output_error(r, err);
}

static int tick(void *arg)
{
	struct loop_ctx *lc = arg;
	/* The COUNTth report is the last: the final one. */
	bool last = lc->r->count && ++lc->ticks >= lc->r->count;
	int err = hook_error(lc->r, lc->h->report(lc->r, lc->ctx, last), "the report");

	return err ? err : stdout_error(lc->r);
}

static int child_event(void *arg)
{
	struct loop_ctx *lc = arg;

	return spawn_handle(&lc->r->target.child, lc->h->target_exiting, lc->ctx);
}

static int input_event(void *arg)
{
	struct loop_ctx *lc = arg;

	return lc->h->on_input(lc->r, lc->ctx);
}

/* A run stopped by SIGINT/SIGTERM while its -c command runs: the command
 * gets that signal too, and a grace time to run its own handler and exit,
 * while its events (the frees of its handler) are still read; then it is
 * killed (target_close()). LOOP_TARGET_EXIT if it exited in time. */
static int stop_command(struct run *r, const struct run_hooks *h, void *ctx,
			struct ring_buffer *rb)
{
	struct spawned *c = &r->target.child;
	struct pollfd pfd[2];
	bool from_tty;
	int sig = loop_stop_signal(&from_tty), n = 0;
	double until;

	/* Take in what the command did meanwhile, its own copy of the
	 * signal included. */
	if (spawn_handle(c, h->target_exiting, ctx))
		goto exited;
	if (!sig || target_forward_signal(&r->target, sig, from_tty) < 0)
		return LOOP_SIGNAL;
	pfd[n++] = (struct pollfd){ .fd = c->sig_fd, .events = POLLIN };
	if (rb)
		pfd[n++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(rb), .events = POLLIN };
	until = run_elapsed_ms(r) + TARGET_STOP_GRACE_MS;
	while (run_elapsed_ms(r) < until) {
		if (poll(pfd, n, 100) < 0 && errno != EINTR)
			break;
		if (rb)
			ring_buffer__consume(rb);
		if (spawn_handle(c, h->target_exiting, ctx))
			goto exited;
	}
	log_warn("'%s' did not exit within %u s of the signal: killing it", r->target.argv[0],
		 TARGET_STOP_GRACE_MS / 1000);
	return LOOP_SIGNAL;
exited:
	if (rb)
		ring_buffer__consume(rb);
	return LOOP_TARGET_EXIT;
}

static void print_attached(struct run *r, const struct run_hooks *h, void *ctx)
{
	uint64_t map_kib = object_map_bytes(r->obj) / 1024;
	double ms = run_elapsed_ms(r);

	if (r->common->json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kstr(&j, "type", "attached");
		json_key(&j, "attach");
		json_str(&j, r->mode);
		json_ku64(&j, "links", r->links.n);
		json_ku64(&j, "bpf_map_kib", map_kib);
		json_kdouble(&j, "startup_ms", ms);
		if (h->attached)
			h->attached(r, ctx, &j);
		json_obj_end(&j);
		json_end_record(&j);
	} else if (h->attached) {
		h->attached(r, ctx, NULL);
	}
	log_info("attached in %.1f ms (%s); BPF maps pin %llu KiB", ms, r->mode ? r->mode : "?",
		 (unsigned long long)map_kib);
}

int run_tool(struct run *r, const struct run_hooks *h, void *ctx)
{
	struct loop_ctx lc = { r, h, ctx };
	struct ring_buffer *rb = NULL;
	struct loop_opts lo = {};
	int ret = EXIT_FAIL, end, err, stats_fd = -1;

	loop_install_signals();
	/* MEMSCOPE_BPF_STATS (make bench): the kernel counts the programs'
	 * runs and run time while this descriptor is held (BPF_ENABLE_STATS;
	 * no sysctl changed); the summaries report them. */
	if (getenv("MEMSCOPE_BPF_STATS") && (stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME)) < 0)
		log_warn("BPF run-time statistics: %s", strerror(-stats_fd));
	/* libbpf reads the CPU count from sysfs once and caches it: read it
	 * now, while descriptors are to spare (a target with thousands of
	 * mapped files can leave the symbolizer holding most of them). */
	libbpf_num_possible_cpus();
	err = h->start(r, ctx);
	if (err) {
		ret = err;
		goto out;
	}
	/* From here on output goes to stdout: a closed pipe is an output
	 * error (exit 1), not a silent death by SIGPIPE. Set after start,
	 * so a -c command was forked with the default disposition. */
	signal(SIGPIPE, SIG_IGN);
	if (r->events_fd >= 0) {
		rb = ring_buffer__new(r->events_fd, h->on_event, ctx, NULL);
		if (!rb) {
			log_error("creating the ring buffer failed: %s", strerror(errno));
			goto out;
		}
	}
	print_attached(r, h, ctx);

	lo.rb = rb;
	lo.interval_ms = (uint64_t)r->interval_s * 1000;
	lo.max_ticks = r->count;
	lo.tick = tick;
	lo.ctx = &lc;
	if (r->target.spawned) {
		lo.extra_fd = r->target.child.sig_fd;
		lo.on_extra = child_event;
	} else if (r->target.pid) {
		lo.watch_pid = r->target.pid;
		lo.watch_pidfd = r->target.pidfd;
	}
	if (h->on_input && r->input_fd >= 0) {
		lo.input_fd = r->input_fd;
		lo.on_input = input_event;
	}
	end = loop_run(&lo);
	if (end == LOOP_SIGNAL && r->target.spawned && !r->target.child.exited)
		end = stop_command(r, h, ctx, rb);
	r->end = end;
	if (end < 0 && !r->output_err)
		log_error("tracing stopped: %s", strerror(-end));
	if (end == LOOP_TARGET_EXIT && r->target.spawned)
		r->exit_code = spawn_exit_code(&r->target.child);

	/* The final report, unless the COUNTth just was (marked final) or the
	 * output is broken. */
	if (end != LOOP_COUNT && !r->output_err)
		hook_error(r, h->report(r, ctx, true), "the final report");
	if (!r->output_err)
		hook_error(r, h->summary(r, ctx), "the summary");
	stdout_error(r);
	ret = end < 0 || r->output_err ? EXIT_FAIL : EXIT_OK;
out:
	/* Detach before anything the programs use goes. */
	link_set_destroy(&r->links);
	ring_buffer__free(rb);
	if (h->cleanup)
		h->cleanup(r, ctx);
	target_close(&r->target);
	if (stats_fd >= 0)
		close(stats_fd);
	return ret;
}
