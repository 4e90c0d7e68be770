// SPDX-License-Identifier: GPL-2.0
/* Jiffies into time (see clock.h). */
#include <errno.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "run/clock.h"

/* The BPF side's record (bpf/lib/common.bpf.h). */
struct clock_sample {
	uint64_t ticks, ns;
};

int tick_clock_init(struct tick_clock *c, struct bpf_object *obj)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "memscope_clock");
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "clock_sample");

	c->prog_fd = p ? bpf_program__fd(p) : -1;
	c->map_fd = m ? bpf_map__fd(m) : -1;
	c->ns_per_tick = 0;
	if (c->prog_fd < 0 || c->map_fd < 0)
		return -ENOENT;
	return tick_clock_read(c, &c->t0, &c->ns0);
}

int tick_clock_read(const struct tick_clock *c, uint64_t *ticks, uint64_t *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, ro);
	struct clock_sample s;
	__u32 zero = 0;

	if (c->prog_fd < 0)
		return -ENOENT;
	if (bpf_prog_test_run_opts(c->prog_fd, &ro) ||
	    bpf_map_lookup_elem(c->map_fd, &zero, &s))
		return -errno;
	*ticks = s.ticks;
	if (ns)
		*ns = s.ns;
	return 0;
}

double tick_clock_round_hz(double hz)
{
	static const double usual[] = { 100, 128, 250, 256, 300, 500, 1000, 1024, 1200 };

	for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
		double d = hz > usual[i] ? hz - usual[i] : usual[i] - hz;

		if (d <= 0.05 * usual[i])
			return usual[i];
	}
	return hz;
}

/* Baselines: the shortest one trusted, and the one past which the answer
 * is final. */
#define BASE_MIN_NS 300000000ULL
#define BASE_FINAL_NS 10000000000ULL

double tick_clock_ns_per_tick(struct tick_clock *c)
{
	uint64_t t, ns, base;

	if (c->ns_per_tick && c->ns0 == 0)
		return c->ns_per_tick;		/* final */
	if (!c->ns0 || tick_clock_read(c, &t, &ns))
		return c->ns_per_tick;
	if (ns - c->ns0 < BASE_MIN_NS) {
		struct timespec wait = { 0, BASE_MIN_NS - (ns - c->ns0) };

		nanosleep(&wait, NULL);
		if (tick_clock_read(c, &t, &ns))
			return c->ns_per_tick;
	}
	base = ns - c->ns0;
	if (t > c->t0)
		c->ns_per_tick = 1e9 / tick_clock_round_hz(1e9 * (t - c->t0) / base);
	if (base >= BASE_FINAL_NS)
		c->ns0 = 0;
	log_debug("a jiffy is %.0f ns (HZ %.1f over %.1f s)", c->ns_per_tick,
		  c->ns_per_tick ? 1e9 / c->ns_per_tick : 0, base / 1e9);
	return c->ns_per_tick;
}
