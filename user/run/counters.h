/* SPDX-License-Identifier: GPL-2.0 */
/* The counters of a tool's BPF side (its per-CPU `stats` map, indices in
 * bpf/lib/stats.h and the tool's header) summed over CPUs, and the losses
 * among them rendered the same way by every tool: a "drops" object in
 * JSON, "lost: N x what" lines in text. Each tool lists its own counters
 * declaratively; the common ones (ring buffer, stack store) and the
 * programs' recursion misses are added here. */
#ifndef MEMSCOPE_RUN_COUNTERS_H
#define MEMSCOPE_RUN_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bpf_object;
struct json;

struct counter_desc {
	unsigned index;		/* in the stats map */
	const char *key;	/* JSON key: "allocs_map_full" */
	const char *text;	/* for people: "allocation map full (raise --max-allocs)" */
};

/* A snapshot of a tool's counters. */
struct counters {
	uint64_t *v;		/* v[index], n of them */
	unsigned n;
	uint64_t recursion_misses;	/* summed over the object's programs */
	/* Their runs and run time, 0 unless kernel.bpf_stats_enabled=1. */
	uint64_t run_cnt, run_time_ns;
};

/* Read n counters from obj's `stats` map and the programs' recursion
 * misses. 0 or -errno (then every value reads 0). Free with
 * counters_free(). */
int counters_read(struct bpf_object *obj, unsigned n, struct counters *c);
void counters_free(struct counters *c);
/* c->v[index], 0 when index is out of range. */
uint64_t counter(const struct counters *c, unsigned index);

/* The drops: the common ones, then the tool's (drops, nd of them), then
 * "recursion_misses". */
void counters_drops_json(struct json *j, const struct counters *c,
			 const struct counter_desc *drops, size_t nd);
/* "  lost: N x text" for each non-zero one; returns how many. */
int counters_drops_text(FILE *f, const struct counters *c,
			const struct counter_desc *drops, size_t nd);
/* The sum of every loss. */
uint64_t counters_drops_total(const struct counters *c, const struct counter_desc *drops,
			      size_t nd);

#endif
