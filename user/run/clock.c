// SPDX-License-Identifier: GPL-2.0
/* Jiffies into time (see clock.h). */
#include <errno.h>
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
	return c->prog_fd >= 0 && c->map_fd >= 0 ? 0 : -ENOENT;
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

double tick_clock_ns_per_tick(struct tick_clock *c)
{
	uint64_t t0, t, ns, edge_ns = 0, edge_t = 0;

	if (c->ns_per_tick)
		return c->ns_per_tick;
	if (tick_clock_read(c, &t0, NULL))
		return 0;
	/* From one tick's edge to the next: a whole tick, to within the few
	 * microseconds one read takes. Bounded by a second of reads. */
	for (int i = 0; i < 1000000; i++) {
		if (tick_clock_read(c, &t, &ns))
			return 0;
		if (t == t0)
			continue;
		if (!edge_ns) {
			edge_ns = ns;
			edge_t = t;
			t0 = t;
			continue;
		}
		if (ns - edge_ns >= 1000000000ULL)
			break;
		c->ns_per_tick = 1e9 / tick_clock_round_hz(1e9 * (t - edge_t) / (ns - edge_ns));
		log_debug("a jiffy is %.0f ns (HZ %.0f)", c->ns_per_tick, 1e9 / c->ns_per_tick);
		return c->ns_per_tick;
	}
	return 0;
}
