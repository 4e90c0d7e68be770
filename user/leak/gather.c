// SPDX-License-Identifier: GPL-2.0
/* Reports of `memscope leak`: one report's rows gathered from the BPF
 * side's tables (the allocation table, the user table's overflow, -C
 * totals, mmap regions), capped by slabinfo, trended and sorted (see
 * report_int.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "leak.h"
#include "leak.skel.h"
#include "leak/regions.h"
#include "leak/report_int.h"
#include "run/mapiter.h"

/* ---- gathering ----------------------------------------------------------- */

/* The row (site, stack) an allocation belongs to; NULL when out of memory.
 * --by-cache: one row per cache, whatever the stacks. */
static struct group *group_of(struct leak_report *r, uint64_t site, int32_t stack_id,
			      bool *created)
{
	struct group *g;

	if (r->o.by_cache)
		stack_id = -1;
	g = hmap_put(&r->groups, (struct hkey){ site, (uint64_t)(int64_t)stack_id }, created);
	if (g && *created) {
		g->site = site;
		g->stack_id = stack_id;
		g->file = !r->o.kernel && site == SITE_FILE_MAP;
	}
	return g;
}

static int add(struct leak_report *r, uint64_t addr, uint64_t size, uint64_t ts, uint64_t site,
	       int32_t stack_id, int kind)
{
	bool created;
	struct group *g = group_of(r, site, stack_id, &created);

	if (!g)
		return -ENOMEM;
	if (created) {
		g->kind = kind;
	} else if (g->kind != kind) {
		g->mixed_kinds = true;
	}
	g->bytes += size;
	g->count++;
	if (ts && (!g->oldest_ts || ts < g->oldest_ts))
		g->oldest_ts = ts;
	if (r->o.show_allocs) {
		/* Keep the oldest few. */
		unsigned slot = g->nshown;

		if (slot == SHOW_ALLOCS_MAX) {
			slot = 0;
			for (unsigned i = 1; i < SHOW_ALLOCS_MAX; i++)
				if (g->shown[i].ts > g->shown[slot].ts)
					slot = i;
			if (g->shown[slot].ts <= ts)
				return 0;
		} else {
			g->nshown++;
		}
		g->shown[slot] = (struct shown_alloc){ addr, size, ts };
	}
	return 0;
}

static int add_bucket(struct leak_report *r, const struct alloc_bucket *b, uint64_t cutoff)
{
	int err;

	for (int w = 0; w < ALLOC_WAYS; w++) {
		const struct alloc_info *a = &b->vals[w];
		uint64_t key = b->keys[w];

		/* A zero ts is a slot being filled or emptied. */
		if (!key || !a->ts || a->ts > cutoff)
			continue;
		/* User mode: blocks of the image reported only (leak.h). */
		if (!r->o.kernel) {
			if (IMAGE_OF_KEY(key) != (r->image & 0xff))
				continue;
			key &= IMAGE_ADDR_MASK;
		}
		err = add(r, key, a->size, a->ts, a->site, a->stack_id, a->kind);
		if (err)
			return err;
	}
	return 0;
}

/* Remember a key to remove (an image's report); -ENOMEM. */
static int keep_key(struct leak_report *r, uint64_t key)
{
	if (r->nkeys == r->keys_cap) {
		size_t cap = r->keys_cap ? 2 * r->keys_cap : 1024;
		uint64_t *k = realloc(r->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		r->keys = k;
		r->keys_cap = cap;
	}
	r->keys[r->nkeys++] = key;
	return 0;
}

static int add_user(struct leak_report *r, uint64_t key, const struct alloc_info *a,
		    uint64_t cutoff, bool keep)
{
	int err;

	if (IMAGE_OF_KEY(key) != (r->image & 0xff) || a->ts > cutoff)
		return 0;
	err = add(r, key & IMAGE_ADDR_MASK, a->size, a->ts, a->site, a->stack_id, a->kind);
	return err ? err : keep ? keep_key(r, key) : 0;
}

struct gather_ctx {
	struct leak_report *r;
	uint64_t cutoff;
	bool keep;
};

static int gather_user_one(const void *key, const void *val, void *ctx)
{
	struct gather_ctx *g = ctx;

	return add_user(g->r, *(const __u64 *)key, val, g->cutoff, g->keep);
}

/* The process table's overflow (a hash map), this image's entries. */
static int gather_overflow(struct leak_report *r, uint64_t cutoff, bool keep)
{
	enum { CHUNK = 4096 };
	static struct alloc_info vals[CHUNK];
	static __u64 keys[CHUNK];
	struct gather_ctx g = { r, cutoff, keep };

	return map_for_each(bpf_map__fd(r->skel->maps.uallocs), keys, vals, CHUNK, sizeof(keys[0]),
			    sizeof(vals[0]), gather_user_one, &g);
}

static int gather_bucket_one(const void *key, const void *val, void *ctx)
{
	struct gather_ctx *g = ctx;

	(void)key;
	return add_bucket(g->r, val, g->cutoff);
}

/* Every outstanding allocation of the table, copied out a chunk at a
 * time: mapping the table instead would put all of it into our resident
 * set (it is already counted as kernel memory). */
static int gather_array(struct leak_report *r, uint64_t cutoff)
{
	enum { CHUNK = 256 };
	static struct alloc_bucket buf[CHUNK];
	static __u32 keys[CHUNK];
	struct gather_ctx g = { r, cutoff, false };

	return map_for_each(bpf_map__fd(r->skel->maps.allocs), keys, buf, CHUNK, sizeof(keys[0]),
			    sizeof(buf[0]), gather_bucket_one, &g);
}

/* Every outstanding block: the array table, and in user mode its overflow
 * (keep: with the overflow's keys, for an image's removal). */
int gather_allocs(struct leak_report *r, uint64_t cutoff, bool keep)
{
	int err = gather_array(r, cutoff);

	return err || r->o.kernel ? err : gather_overflow(r, cutoff, keep);
}

int gather_combined(struct leak_report *r)
{
	int fd = bpf_map__fd(r->skel->maps.combined_map);
	struct combined_key key, next, *prev = NULL;
	struct combined_val v;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct group *g;
		bool created;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || !v.count || (int64_t)v.bytes <= 0)
			continue;
		g = group_of(r, key.site, key.stack_id, &created);
		if (!g)
			return -ENOMEM;
		g->kind = LK_NONE;
		g->bytes += v.bytes;
		g->count += v.count;
	}
	return 0;
}

int gather_regions(struct leak_report *r, uint64_t cutoff)
{
	int err;

	if (!r->regions)
		return 0;
	for (size_t i = 0; i < r->regions->n; i++) {
		const struct region *g = &r->regions->r[i];

		if (g->ts > cutoff)
			continue;
		err = add(r, g->start, g->end - g->start, g->ts, g->file ? SITE_FILE_MAP : 0,
			  g->stack_id, LK_MMAP);
		if (err)
			return err;
	}
	return 0;
}


/* Kernel mode: no cache holds more live objects than /proc/slabinfo counts
 * as active, yet allocations whose frees passed no tracepoint (bulk frees,
 * where fentry cannot trace them) stay in the table. Where a cache's
 * outstanding count is above its active objects, its rows are scaled down
 * to that bound and marked capped. */
void cap_by_slabinfo(struct leak_report *r, uint64_t scale)
{
	char buf[64];
	size_t i = 0;
	struct hkey k;
	void *v;
	int err;

	r->caps.n = 0;
	if (!r->o.kernel)
		return;
	err = slab_caps_begin(&r->caps);
	if (err && !r->slab_warned) {
		r->slab_warned = true;
		log_warn("cannot read /proc/slabinfo (%s): outstanding counts are not held against "
			 "the caches' live objects", strerror(-err));
	}
	while (hmap_next(&r->groups, &i, &k, &v)) {
		struct group *g = v;
		const char *cn = cache_name(r, g, buf, sizeof(buf));

		g->cache_ix = !cn ? -1 : slab_caps_add(&r->caps, cn, r->o.by_cache &&
						       SITE_IS_KMALLOC(g->site) ?
						       g->site & SITE_KMALLOC_MASK : 0,
						       g->count * scale);
	}
	slab_caps_end(&r->caps);
	i = 0;
	while (hmap_next(&r->groups, &i, &k, &v)) {
		struct group *g = v;
		uint64_t count = slab_caps_scale(&r->caps, g->cache_ix, g->count * scale) / scale;

		if (count == g->count)
			continue;
		g->bytes = g->count ? (uint64_t)((double)g->bytes * count / g->count) : 0;
		g->count = count;
		g->capped = true;
	}
}

/* Each stack's trend, with this report's bytes. */
void update_trends(struct leak_report *r)
{
	struct hkey k;
	size_t i = 0;
	void *v;

	trend_table_begin(&r->history);
	while (hmap_next(&r->groups, &i, &k, &v)) {
		struct group *g = v;
		const struct trend_hist *h = trend_table_push(&r->history, k, g->bytes);

		if (h) {
			g->trend = trend_of(h);
			g->growth = trend_growth(h);
		}
	}
	trend_table_end(&r->history);
}

int cmp_groups(const void *a, const void *b, void *arg)
{
	const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
	enum leak_sort s = *(enum leak_sort *)arg;
	uint64_t kx, ky;

	switch (s) {
	case SORT_COUNT:
		kx = x->count, ky = y->count;
		break;
	case SORT_GROWTH:
		if (x->growth != y->growth)
			return x->growth > y->growth ? -1 : 1;
		kx = x->bytes, ky = y->bytes;
		break;
	default:
		kx = x->bytes, ky = y->bytes;
		break;
	}
	if (kx != ky)
		return kx > ky ? -1 : 1;
	/* Deterministic order for equal keys. */
	if (x->stack_id != y->stack_id)
		return x->stack_id < y->stack_id ? -1 : 1;
	return x->site < y->site ? -1 : x->site > y->site;
}

