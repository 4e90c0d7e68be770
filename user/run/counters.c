// SPDX-License-Identifier: GPL-2.0
/* Per-CPU counters and their losses (see counters.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/json.h"
#include "lib/stats.h"
#include "run/attach.h"
#include "run/counters.h"

static const struct counter_desc common_drops[] = {
	{ ST_RB_DROPS, "ringbuf_drops", "ring buffer full: events lost" },
	{ ST_STACK_FULL, "stack_map_full", "stack store full (raise --max-stacks)" },
	{ ST_STACK_COLLISION, "stack_collisions", "stacks not kept: id collision" },
	{ ST_STACK_ERROR, "stack_errors", "stacks that could not be walked" },
};
#define NCOMMON (sizeof(common_drops) / sizeof(common_drops[0]))

static const char recursion_text[] =
	"events the kernel skipped: the program was already running on that CPU "
	"(an interrupt inside a traced event)";

int counters_read(struct bpf_object *obj, unsigned n, struct counters *c)
{
	struct bpf_map *m = obj ? bpf_object__find_map_by_name(obj, "stats") : NULL;
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct prog_stat ps;
	uint64_t *vals;

	memset(c, 0, sizeof(*c));
	c->v = calloc(n ? n : 1, sizeof(*c->v));
	if (!c->v)
		return -ENOMEM;
	c->n = n;
	prog_stats_sum(obj, &ps);
	c->recursion_misses = ps.recursion_misses;
	c->run_cnt = ps.run_cnt;
	c->run_time_ns = ps.run_time_ns;
	if (!m || ncpu <= 0)
		return -ENOENT;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < n; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(m), &k, vals)) {
			err = -errno;
			continue;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			c->v[k] += vals[cpu];
	}
	free(vals);
	return err;
}

void counters_free(struct counters *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

uint64_t counter(const struct counters *c, unsigned index)
{
	return index < c->n ? c->v[index] : 0;
}

void counters_drops_json(struct json *j, const struct counters *c,
			 const struct counter_desc *drops, size_t nd)
{
	json_obj_begin(j);
	for (size_t i = 0; i < NCOMMON; i++)
		json_ku64(j, common_drops[i].key, counter(c, common_drops[i].index));
	for (size_t i = 0; i < nd; i++)
		json_ku64(j, drops[i].key, counter(c, drops[i].index));
	json_ku64(j, "recursion_misses", c->recursion_misses);
	json_obj_end(j);
}

static int drop_line(FILE *f, uint64_t v, const char *text)
{
	if (!v)
		return 0;
	fprintf(f, "  lost: %" PRIu64 " x %s\n", v, text);
	return 1;
}

int counters_drops_text(FILE *f, const struct counters *c,
			const struct counter_desc *drops, size_t nd)
{
	int n = 0;

	for (size_t i = 0; i < NCOMMON; i++)
		n += drop_line(f, counter(c, common_drops[i].index), common_drops[i].text);
	for (size_t i = 0; i < nd; i++)
		n += drop_line(f, counter(c, drops[i].index), drops[i].text);
	n += drop_line(f, c->recursion_misses, recursion_text);
	return n;
}

uint64_t counters_drops_total(const struct counters *c, const struct counter_desc *drops,
			      size_t nd)
{
	uint64_t sum = c->recursion_misses;

	for (size_t i = 0; i < NCOMMON; i++)
		sum += counter(c, common_drops[i].index);
	for (size_t i = 0; i < nd; i++)
		sum += counter(c, drops[i].index);
	return sum;
}
