// SPDX-License-Identifier: GPL-2.0
/* Reports of `memscope leak` (see leak_report.h). One row struct per stack
 * (struct group), one renderer per format. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/fmt.h"
#include "core/hmap.h"
#include "core/json.h"
#include "core/log.h"
#include "leak.h"
#include "leak.skel.h"
#include "leak/regions.h"
#include "leak/report.h"
#include "leak/report_int.h"
#include "leak/slabinfo.h"
#include "leak/trend.h"
#include "out/files.h"
#include "out/flamegraph_svg.h"
#include "run/attach.h"
#include "run/clock.h"
#include "run/counters.h"
#include "syms/frames.h"

/* leak's own losses (the common ones are run/counters.c's). */
static const struct counter_desc leak_drops[] = {
	{ ST_ALLOCS_FULL, "allocs_map_full", "allocation table full (raise --max-allocs)" },
	{ ST_PENDING_FULL, "pending_map_full", "entry/return handoff map full" },
	{ ST_COMBINED_FULL, "combined_map_full", "-C totals map full" },
	{ ST_SITES_FULL, "sites_map_full",
	  "call-site table bucket full (those sites' stacks walked every time, caches unnamed)" },
	{ ST_CACHE_NAMES_FULL, "cache_names_full", "slab cache name table full (caches unnamed)" },
};
#define NLEAK_DROPS (sizeof(leak_drops) / sizeof(leak_drops[0]))

static const char *const kind_names[LK_NR_KINDS] = {
	[LK_NONE] = "?",
	[LK_MALLOC] = "malloc", [LK_CALLOC] = "calloc", [LK_REALLOC] = "realloc",
	[LK_REALLOCARRAY] = "reallocarray", [LK_POSIX_MEMALIGN] = "posix_memalign",
	[LK_ALIGNED_ALLOC] = "aligned_alloc", [LK_MEMALIGN] = "memalign",
	[LK_VALLOC] = "valloc", [LK_PVALLOC] = "pvalloc", [LK_MMAP] = "mmap",
	[LK_MREMAP] = "mremap", [LK_MUNMAP] = "munmap", [LK_FREE] = "free",
	[LK_NEW] = "new", [LK_NEW_ARRAY] = "new[]", [LK_DELETE] = "delete",
	[LK_MALLOCX] = "mallocx", [LK_RALLOCX] = "rallocx", [LK_XALLOCX] = "xallocx",
	[LK_KMALLOC] = "kmalloc", [LK_KMEM_CACHE] = "kmem_cache_alloc",
	[LK_PAGE] = "page", [LK_PERCPU] = "percpu",
};

/* Seconds from stamp ts to now, both in jiffies. */
static double age_s(const struct leak_report *r, uint64_t now, uint64_t ts)
{
	return ts && now > ts ? (now - ts) * r->ns_per_tick / 1e9 : 0;
}

struct leak_report *leak_report_new(const struct leak_report_opts *o, struct leak_bpf *skel,
				    struct regions *regions, struct usyms *us, struct ksyms *ks,
				    struct tick_clock *clock)
{
	struct leak_report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->o = *o;
	r->skel = skel;
	r->regions = regions;
	r->us = us;
	r->ks = ks;
	r->clock = clock;
	hmap_init(&r->groups, sizeof(struct group));
	trend_table_init(&r->history);
	r->row_type = "stack";
	json_init(&r->j, stdout);
	return r;
}

void leak_report_free(struct leak_report *r)
{
	if (!r)
		return;
	hmap_free(&r->groups);
	free(r->keys);
	trend_table_free(&r->history);
	slab_caps_free(&r->caps);
	free(r);
}

/* ---- frames ---------------------------------------------------------------- */

static void resolve_frames(struct leak_report *r, const struct group *g, struct frames *fr)
{
	frames_of_stack(bpf_map__fd(r->skel->maps.stacks), g->stack_id, !r->o.kernel, r->us, r->ks,
			r->o.by_cache ? 0 : g->site, fr);
}

/* Name of a kernel group's slab cache, or NULL. */
const char *cache_name(struct leak_report *r, const struct group *g, char *buf, size_t len)
{
	struct { char name[CACHE_NAME_LEN]; } cn;
	uint64_t cache = 0;

	if (!r->o.kernel)
		return NULL;
	if (r->o.by_cache) {
		if (SITE_IS_KMALLOC(g->site)) {
			snprintf(buf, len, "kmalloc-%" PRIu64, (uint64_t)(g->site & SITE_KMALLOC_MASK));
			return buf;
		}
		if (g->site == SITE_PAGES)
			return "page allocator";
		if (g->site == SITE_PERCPU)
			return "percpu allocator";
		cache = g->site;
	} else {
		struct site_bucket sb;
		__u32 b = sa_bucket(g->site, SITE_BUCKETS - 1);

		if (!bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.sites), &b, &sb))
			for (int i = 0; i < SITE_WAYS; i++)
				if (sb.keys[i] == g->site)
					cache = sb.st[i].cache;
	}
	if (!cache || bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.cache_names), &cache, &cn))
		return NULL;
	cn.name[CACHE_NAME_LEN - 1] = 0;
	snprintf(buf, len, "%s", cn.name);
	return buf;
}

/* Resolve every kernel address of this report in one pass over kallsyms;
 * the per-group lookups that follow hit ksyms' cache. */
static void prefetch_kernel_symbols(struct leak_report *r, struct group **gs, size_t n)
{
	int fd = bpf_map__fd(r->skel->maps.stacks);
	uint64_t *addrs, ips[STACK_DEPTH + 1];
	struct stack_rec rec;
	struct sym_frame *out;
	size_t cap = 4096, len = 0;

	addrs = malloc(cap * sizeof(*addrs));
	if (!addrs)
		return;
	for (size_t i = 0; i < n; i++) {
		int k = 0;

		memset(ips, 0, sizeof(ips));
		if (gs[i]->stack_id >= 0 && !bpf_map_lookup_elem(fd, &gs[i]->stack_id, &rec))
			memcpy(ips, rec.ips, (rec.nr < STACK_DEPTH ? rec.nr : STACK_DEPTH) *
			       sizeof(ips[0]));
		if (gs[i]->site && !r->o.by_cache)
			ips[STACK_DEPTH] = gs[i]->site;
		for (k = 0; k <= STACK_DEPTH; k++) {
			if (!ips[k])
				continue;
			if (len == cap) {
				uint64_t *na = realloc(addrs, 2 * cap * sizeof(*addrs));

				if (!na)
					goto out;
				addrs = na;
				cap *= 2;
			}
			addrs[len++] = ips[k];
		}
	}
	out = calloc(len + 1, sizeof(*out));
	if (out)
		ksyms_resolve(r->ks, addrs, len, out);
	free(out);
out:
	free(addrs);
}

/* ---- rendering --------------------------------------------------------------- */

static void render_text_group(struct leak_report *r, const struct group *g, const struct frames *fr,
			      uint64_t now, uint64_t scale)
{
	char b[32], cache[64], safe[256];
	const char *cn = cache_name(r, g, cache, sizeof(cache));

	printf("%s in %" PRIu64 " %s%s", fmt_bytes(g->bytes * scale, b, sizeof(b)),
	       g->count * scale, g->file ? "mapping" : "allocation",
	       g->count * scale == 1 ? "" : "s");
	if (g->oldest_ts)
		printf(", oldest %.1f s", age_s(r, now, g->oldest_ts));
	printf(", %s", trend_name(g->trend));
	if (scale > 1)
		printf(" (estimate)");
	if (g->file)
		printf(" [mmap of a file]");
	else if (g->kind != LK_NONE && !g->mixed_kinds)
		printf(" [%s]", kind_names[g->kind]);
	if (cn)
		printf(" [%s]", text_safe(cn, safe, sizeof(safe)));
	if (g->capped)
		printf(" (at most: capped at slabinfo)");
	printf("\n");
	for (int i = 0; i < fr->n; i++)
		frame_print(stdout, i, &fr->f[i]);
	/* --by-cache rows are caches, not stacks. */
	if (!fr->n && !r->o.by_cache && !r->o.stacks_off)
		printf("    (no stack: the stack could not be kept; see the summary)\n");
	for (unsigned i = 0; i < g->nshown; i++)
		printf("      addr 0x%" PRIx64 " size %" PRIu64 " age %.1f s\n", g->shown[i].addr,
		       g->shown[i].size, age_s(r, now, g->shown[i].ts));
	printf("\n");
}

static void render_json_group(struct leak_report *r, const struct group *g, const struct frames *fr,
			      uint64_t now, uint64_t scale, bool final)
{
	struct json *j = &r->j;
	char buf[64], cache[64];
	const char *cn = cache_name(r, g, cache, sizeof(cache));

	json_obj_begin(j);
	json_kstr(j, "type", g->file ? "file_map" : r->row_type);
	if (!r->o.kernel)
		json_ki64(j, "pid", r->o.pid);
	/* An image's report: whose rows these are. */
	if (strcmp(r->row_type, "stack"))
		json_ku64(j, "image_no", r->image);
	json_kbool(j, "final", final);
	json_ku64(j, "bytes", g->bytes * scale);
	json_ku64(j, "count", g->count * scale);
	json_kbool(j, "estimate", scale > 1);
	json_key(j, "oldest_ms");
	if (g->oldest_ts)
		json_u64(j, age_s(r, now, g->oldest_ts) * 1000);
	else
		json_null(j);
	json_kstr(j, "trend", trend_name(g->trend));
	json_ki64(j, "growth_bytes", g->growth * (int64_t)scale);
	json_key(j, "kind");
	json_str(j, g->file ? "mmap_file"
		    : g->kind != LK_NONE && !g->mixed_kinds ? kind_names[g->kind] : NULL);
	if (r->o.kernel) {
		json_key(j, "site");
		if (g->site && !r->o.by_cache) {
			snprintf(buf, sizeof(buf), "0x%" PRIx64, g->site);
			json_str(j, buf);
		} else {
			json_null(j);
		}
		json_key(j, "cache");
		json_str(j, cn);
		json_kbool(j, "capped", g->capped);
	}
	json_ki64(j, "stack_id", g->stack_id);
	json_key(j, "frames");
	json_arr_begin(j);
	for (int i = 0; i < fr->n; i++)
		frame_json(j, &fr->f[i]);
	json_arr_end(j);
	if (r->o.show_allocs) {
		json_key(j, "allocs");
		json_arr_begin(j);
		for (unsigned i = 0; i < g->nshown; i++) {
			json_obj_begin(j);
			snprintf(buf, sizeof(buf), "0x%" PRIx64, g->shown[i].addr);
			json_kstr(j, "addr", buf);
			json_ku64(j, "size", g->shown[i].size);
			json_ku64(j, "age_ms", age_s(r, now, g->shown[i].ts) * 1000);
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	json_obj_end(j);
	json_end_record(j);
}

struct graph_out {
	const struct fg_stack *st;
	size_t n;
	const struct fg_svg_opts *so;
};

static int fill_folded(FILE *f, void *ctx)
{
	const struct graph_out *g = ctx;

	return fg_write_folded(f, g->st, g->n);
}

static int fill_svg(FILE *f, void *ctx)
{
	const struct graph_out *g = ctx;

	return fg_write_svg(f, g->st, g->n, g->so);
}

/* Collapsed stacks and the SVG: every group, outermost frame first.
 * 0 or the first error (negative errno); each failure is also logged. */
static int write_graphs(struct leak_report *r, struct group **gs, size_t n, uint64_t scale)
{
	struct graph_out go = { .n = n };
	struct fg_stack *st;
	char **names;
	int k, ret = 0, e;
	size_t i;

	if (!r->o.folded_path && !r->o.svg_path)
		return 0;
	st = calloc(n, sizeof(*st));
	names = calloc(n * FRAMES_MAX + 1, sizeof(*names));
	if (!st || !names) {
		ret = -ENOMEM;
		goto out;
	}
	go.st = st;
	for (i = 0; i < n; i++) {
		struct frames fr;
		char buf[1024], cache[64];
		char **f = names + i * FRAMES_MAX;
		const char *cn;

		resolve_frames(r, gs[i], &fr);
		cn = cache_name(r, gs[i], cache, sizeof(cache));
		st[i].frames = (const char *const *)f;
		st[i].value = gs[i]->bytes * scale;
		if (r->o.by_cache && cn) {
			f[0] = strdup(cn);
			st[i].nframes = 1;
			continue;
		}
		for (k = 0; k < fr.n; k++)
			f[k] = strdup(sym_frame_name(&fr.f[fr.n - 1 - k], buf, sizeof(buf)));
		if (!fr.n)
			f[k++] = strdup(cn ? cn : "[no stack]");
		st[i].nframes = k;
	}
	if (r->o.folded_path) {
		e = file_write_atomic(r->o.folded_path, fill_folded, &go);
		if (e) {
			ret = e;
			log_error("cannot write %s: %s", r->o.folded_path, strerror(-e));
		}
	}
	if (r->o.svg_path) {
		struct fg_svg_opts so = { .unit = "bytes", .width = 1200 };
		char title[256], sub[256], b[32];
		time_t t = time(NULL);

		if (r->o.kernel)
			snprintf(title, sizeof(title), "Outstanding kernel memory%s",
				 r->o.by_cache ? " by cache" : "");
		else
			snprintf(title, sizeof(title), "Outstanding memory: %s (pid %d)",
				 r->o.target ? r->o.target : "?", r->o.pid);
		strftime(sub, sizeof(sub), "memscope leak, %Y-%m-%d %H:%M:%S", localtime(&t));
		snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), ", %zu stacks, %s%s", n,
			 fmt_bytes(r->last_bytes, b, sizeof(b)), scale > 1 ? " (estimate)" : "");
		so.title = title;
		so.subtitle = sub;
		go.so = &so;
		e = file_write_atomic(r->o.svg_path, fill_svg, &go);
		if (e) {
			ret = ret ?: e;
			log_error("cannot write %s: %s", r->o.svg_path, strerror(-e));
		}
	}
out:
	if (names)
		for (i = 0; i < n * FRAMES_MAX; i++)
			free(names[i]);
	free(names);
	free(st);
	return ret;
}

int leak_report_interval(struct leak_report *r, bool final, bool target_gone)
{
	/* Once the target is gone nothing it held is about to be freed: its
	 * final report shows everything, whatever -o says. */
	uint64_t now = 0, cutoff, older;
	uint64_t scale = r->o.sample_rate, total_bytes = 0, total_count = 0, anon_count = 0;
	uint64_t file_bytes = 0, file_count = 0;
	struct group **gs = NULL, **fs;
	size_t n = 0, i = 0, shown, nfile, fshown;
	struct counters c;
	struct hkey k;
	void *v;
	int err;

	/* Stamps are jiffies: "now" and -o in jiffies too. */
	r->ns_per_tick = tick_clock_ns_per_tick(r->clock);
	if (tick_clock_read(r->clock, &now, NULL) || !r->ns_per_tick)
		log_warn("no clock: allocation ages unknown, -o not applied");
	older = r->ns_per_tick ? r->o.older_ms * 1e6 / r->ns_per_tick : 0;
	cutoff = target_gone || !now ? UINT64_MAX : now > older ? now - older : 0;
	hmap_clear(&r->groups);
	if (r->o.combined_only)
		err = gather_combined(r);
	else
		err = gather_allocs(r, cutoff, false);
	if (!err)
		err = gather_regions(r, cutoff);
	if (err)
		return err;
	cap_by_slabinfo(r, scale);
	update_trends(r);

	/* Allocations (heap blocks and anonymous mappings) first, file
	 * mappings apart at the end: they are not allocations. */
	gs = calloc(r->groups.len + 1, sizeof(*gs));
	if (!gs)
		return -ENOMEM;
	nfile = r->groups.len;
	while (hmap_next(&r->groups, &i, &k, &v)) {
		struct group *g = v;

		if (!g->count)
			continue;	/* capped to nothing */
		if (g->file) {
			gs[--nfile] = g;
			file_bytes += g->bytes;
			file_count += g->count;
			continue;
		}
		gs[n++] = g;
		total_bytes += g->bytes;
		total_count += g->count;
		if (g->kind == LK_MMAP && !g->mixed_kinds)
			anon_count += g->count;
	}
	/* File mappings went to the end, from the top down; groups capped
	 * to nothing left a gap between: close it. */
	memmove(gs + n, gs + nfile, (r->groups.len - nfile) * sizeof(*gs));
	fs = gs + n;
	nfile = r->groups.len - nfile;
	qsort_r(gs, n, sizeof(*gs), cmp_groups, &r->o.sort);
	qsort_r(fs, nfile, sizeof(*fs), cmp_groups, &r->o.sort);
	r->last_bytes = total_bytes * scale;
	r->last_count = total_count * scale;
	r->last_anon_count = anon_count * scale;
	r->last_file_bytes = file_bytes * scale;
	r->last_file_count = file_count * scale;
	shown = r->o.top && r->o.top < n ? r->o.top : n;
	fshown = r->o.top && r->o.top < nfile ? r->o.top : nfile;
	if (r->o.kernel)
		prefetch_kernel_symbols(r, gs, r->o.folded_path || r->o.svg_path ? n : shown);
	counters_read(r->skel->obj, ST_NR, &c);

	if (r->o.json) {
		char ts[32];
		time_t t = time(NULL);

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
		json_obj_begin(&r->j);
		json_kstr(&r->j, "type", "interval");
		json_kstr(&r->j, "time", ts);
		json_kbool(&r->j, "final", final);
		json_ku64(&r->j, "stacks", n);
		json_ku64(&r->j, "shown", shown);
		/* Allocations: heap blocks plus anonymous mappings (each
		 * contiguous piece of one counts once). */
		json_ku64(&r->j, "outstanding_bytes", total_bytes * scale);
		json_ku64(&r->j, "outstanding_count", total_count * scale);
		if (!r->o.kernel) {
			json_ku64(&r->j, "outstanding_mmap_count", anon_count * scale);
			json_ku64(&r->j, "file_map_bytes", file_bytes * scale);
			json_ku64(&r->j, "file_map_count", file_count * scale);
			json_ku64(&r->j, "file_map_stacks", nfile);
		}
		json_kbool(&r->j, "estimate", scale > 1);
		if (r->o.kernel) {
			json_kbool(&r->j, "bulk_frees_traced", r->o.bulk_frees_traced);
			json_key(&r->j, "capped_caches");
			json_arr_begin(&r->j);
			for (size_t ci = 0; ci < r->caps.n; ci++) {
				const struct slab_cap *sc = &r->caps.c[ci];

				if (!sc->capped)
					continue;
				json_obj_begin(&r->j);
				json_kstr(&r->j, "cache", sc->name);
				json_ku64(&r->j, "tracked", sc->count);
				json_ku64(&r->j, "slab_active", sc->active);
				json_obj_end(&r->j);
			}
			json_arr_end(&r->j);
		}
		/* Losses so far: a report they affect says so. */
		json_key(&r->j, "drops");
		counters_drops_json(&r->j, &c, leak_drops, NLEAK_DROPS);
		json_obj_end(&r->j);
		json_end_record(&r->j);
	} else {
		char ts[32], b[32], safe[256];
		time_t t = time(NULL);
		uint64_t lost = counters_drops_total(&c, leak_drops, NLEAK_DROPS);

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
		printf("[%s] %s%s outstanding in %" PRIu64 " allocations", ts,
		       final ? "final: " : "", fmt_bytes(total_bytes * scale, b, sizeof(b)),
		       total_count * scale);
		if (!r->o.kernel)
			printf(" (%" PRIu64 " heap blocks, %" PRIu64 " anonymous mappings)",
			       (total_count - anon_count) * scale, anon_count * scale);
		printf(" from %zu stacks", n);
		if (r->o.pid)
			printf(" (%spid %d %s)", r->o.kernel ? "kernel, " : "", r->o.pid,
			       text_safe(r->o.target, safe, sizeof(safe)));
		else if (r->o.cgroup)
			printf(" (kernel, cgroup %s)", text_safe(r->o.cgroup, safe, sizeof(safe)));
		printf("%s", scale > 1 ? ", estimated from samples" : "");
		if (shown < n)
			printf("; top %zu by %s", shown,
			       r->o.sort == SORT_COUNT ? "count" : r->o.sort == SORT_GROWTH ? "growth" : "size");
		if (lost)
			printf("; %" PRIu64 " events lost so far", lost);
		printf(":\n");
		/* Losses so far, each by name: a report they affect says so. */
		counters_drops_text(stdout, &c, leak_drops, NLEAK_DROPS);
		for (size_t ci = 0; ci < r->caps.n; ci++)
			if (r->caps.c[ci].capped)
				printf("  %s: %" PRIu64 " outstanding seen, %" PRId64 " live in "
				       "/proc/slabinfo: frees this kernel hides (%s); shown at most "
				       "that\n", text_safe(r->caps.c[ci].name, safe, sizeof(safe)),
				       r->caps.c[ci].count, r->caps.c[ci].active,
				       r->o.bulk_frees_traced ? "not through kmem_cache_free_bulk"
				       : "bulk frees, no fentry here");
		printf("\n");
	}
	for (i = 0; i < shown; i++) {
		struct frames fr;

		resolve_frames(r, gs[i], &fr);
		if (r->o.json)
			render_json_group(r, gs[i], &fr, now, scale, final);
		else
			render_text_group(r, gs[i], &fr, now, scale);
	}
	if (nfile && !r->o.json) {
		char b[32];

		printf("file mappings, not counted above: %s in %" PRIu64 " mappings from %zu "
		       "stacks%s:\n\n", fmt_bytes(file_bytes * scale, b, sizeof(b)),
		       file_count * scale, nfile, fshown < nfile ? " (top ones)" : "");
	}
	for (i = 0; i < fshown; i++) {
		struct frames fr;

		resolve_frames(r, fs[i], &fr);
		if (r->o.json)
			render_json_group(r, fs[i], &fr, now, scale, final);
		else
			render_text_group(r, fs[i], &fr, now, scale);
	}
	counters_free(&c);
	err = write_graphs(r, gs, n, scale);
	free(gs);
	return err;
}

/* Drop a dead image's blocks: its array slots by the sweep program (a
 * compare-and-swap in BPF, as claims are made), its overflow keys here. */
static void remove_image(struct leak_report *r, uint32_t image)
{
	LIBBPF_OPTS(bpf_test_run_opts, ro);
	int fd = bpf_map__fd(r->skel->maps.uallocs);
	size_t done = 0;

	r->skel->bss->sweep_image = image;
	if (bpf_prog_test_run_opts(bpf_program__fd(r->skel->progs.leak_sweep_image), &ro))
		log_warn("cannot give back the table slots of image %u: %s", image, strerror(errno));

	while (done < r->nkeys) {
		__u32 n = r->nkeys - done > 4096 ? 4096 : r->nkeys - done;

		if (bpf_map_delete_batch(fd, r->keys + done, &n, NULL)) {
			/* Before 5.6, or a key gone meanwhile: one at a time. */
			for (size_t i = done; i < r->nkeys; i++)
				bpf_map_delete_elem(fd, &r->keys[i]);
			break;
		}
		done += n;
	}
	r->nkeys = 0;
}

void leak_report_set_image(struct leak_report *r, uint32_t image, struct usyms *us)
{
	r->image = image;
	r->us = us;
}

int leak_report_image(struct leak_report *r, uint32_t image, const char *name, struct usyms *us)
{
	uint32_t cur_image = r->image;
	struct usyms *cur_us = r->us;
	uint64_t now = 0, total_bytes = 0, total_count = 0, scale = r->o.sample_rate;
	struct group **gs = NULL;
	size_t n = 0, i = 0, shown;
	char ts[32], b[32], safe[256];
	time_t t = time(NULL);
	struct hkey k;
	void *v;
	int err;

	r->ns_per_tick = tick_clock_ns_per_tick(r->clock);
	tick_clock_read(r->clock, &now, NULL);
	r->image = image;
	r->us = us;
	r->nkeys = 0;
	hmap_clear(&r->groups);
	/* The image is dead: every block it held is reported, however young. */
	err = gather_allocs(r, UINT64_MAX, true);
	if (!err)
		err = gather_regions(r, UINT64_MAX);
	if (!err && !(gs = calloc(r->groups.len + 1, sizeof(*gs))))
		err = -ENOMEM;
	if (err)
		goto out;
	while (hmap_next(&r->groups, &i, &k, &v)) {
		gs[n++] = v;
		total_bytes += ((struct group *)v)->bytes;
		total_count += ((struct group *)v)->count;
	}
	qsort_r(gs, n, sizeof(*gs), cmp_groups, &r->o.sort);
	shown = r->o.top && r->o.top < n ? r->o.top : n;
	if (r->o.json) {
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
		json_obj_begin(&r->j);
		json_kstr(&r->j, "type", "exec");
		json_kstr(&r->j, "time", ts);
		json_ki64(&r->j, "pid", r->o.pid);
		json_kstr(&r->j, "image", name);
		json_ku64(&r->j, "image_no", image);
		json_ku64(&r->j, "stacks", n);
		json_ku64(&r->j, "shown", shown);
		json_ku64(&r->j, "outstanding_bytes", total_bytes * scale);
		json_ku64(&r->j, "outstanding_count", total_count * scale);
		json_kbool(&r->j, "estimate", scale > 1);
		json_obj_end(&r->j);
		json_end_record(&r->j);
	} else {
		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
		printf("[%s] exec: pid %d left its image %s with %s outstanding in %" PRIu64
		       " allocations from %zu stacks (reported once, here%s):\n\n", ts, r->o.pid,
		       text_safe(name, safe, sizeof(safe)), fmt_bytes(total_bytes * scale, b, sizeof(b)),
		       total_count * scale, n, scale > 1 ? "; estimated from samples" : "");
	}
	r->row_type = "exec_stack";
	for (i = 0; i < shown; i++) {
		struct frames fr;

		resolve_frames(r, gs[i], &fr);
		if (r->o.json)
			render_json_group(r, gs[i], &fr, now, scale, true);
		else
			render_text_group(r, gs[i], &fr, now, scale);
	}
	r->row_type = "stack";
	remove_image(r, image);
out:
	free(gs);
	hmap_clear(&r->groups);
	r->image = cur_image;
	r->us = cur_us;
	return err;
}

/* ---- summary ------------------------------------------------------------------ */


/* Our own peak resident memory. */
static long max_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_maxrss;
}

void leak_report_set_unwind(struct leak_report *r, const struct unwinder_stats *st)
{
	r->unw = *st;
	r->unw_set = true;
}

int leak_report_summary(struct leak_report *r, const struct attach_failure *fails, int nfails,
			int target_exit_code)
{
	struct json *j = &r->j;
	struct counters c;
	uint64_t heap, maps, file_maps;

	counters_read(r->skel->obj, ST_NR, &c);
	/* Allocations as the reports count them: heap blocks plus anonymous
	 * mmaps; file mappings apart. */
	heap = counter(&c, ST_ALLOCS);
	maps = r->regions ? r->regions->anon_maps : 0;
	file_maps = r->regions ? r->regions->file_maps : 0;
	if (r->o.json) {
		json_obj_begin(j);
		json_kstr(j, "type", "summary");
		json_kstr(j, "mode", r->o.kernel ? "kernel" : "user");
		if (r->o.pid)
			json_ki64(j, "pid", r->o.pid);
		json_ku64(j, "allocs", heap + maps);
		if (!r->o.kernel) {
			json_ku64(j, "heap_allocs", heap);
			json_ku64(j, "mmap_allocs", maps);
			json_ku64(j, "file_mmaps", file_maps);
		}
		json_ku64(j, "frees", counter(&c, ST_FREES));
		json_ku64(j, "failed_allocs", counter(&c, ST_FAILED));
		json_ku64(j, "outstanding_bytes", r->last_bytes);
		json_ku64(j, "outstanding_count", r->last_count);
		if (!r->o.kernel) {
			json_ku64(j, "outstanding_mmap_count", r->last_anon_count);
			json_ku64(j, "file_map_bytes", r->last_file_bytes);
			json_ku64(j, "file_map_count", r->last_file_count);
		}
		json_ku64(j, "sample_rate", r->o.sample_rate);
		json_ku64(j, "sampled_out", counter(&c, ST_SAMPLED_OUT));
		json_ku64(j, "filtered", counter(&c, ST_FILTERED));
		json_ku64(j, "free_unknown", counter(&c, ST_FREE_UNKNOWN));
		json_ku64(j, "missed_free", counter(&c, ST_MISSED_FREE));
		json_ku64(j, "nested_calls", counter(&c, ST_NESTED));
		if (r->o.kernel) {
			json_kbool(j, "bulk_frees_traced", r->o.bulk_frees_traced);
			json_ku64(j, "bulk_freed", counter(&c, ST_BULK_FREED));
		}
		json_key(j, "drops");
		counters_drops_json(j, &c, leak_drops, NLEAK_DROPS);
		json_key(j, "attach_failures");
		json_arr_begin(j);
		for (int k = 0; k < nfails; k++) {
			json_obj_begin(j);
			json_kstr(j, "function", fails[k].function);
			json_kstr(j, "error", strerror(-fails[k].err));
			json_key(j, "hint");
			json_str(j, fails[k].hint);
			json_obj_end(j);
		}
		json_arr_end(j);
		if (r->unw_set) {
			json_key(j, "unwind");
			unwind_json(j, &r->unw);
		}
		if (getenv("MEMSCOPE_BPF_STATS")) {
			json_key(j, "bpf_programs");
			prog_stats_json(j, r->skel->obj);
		}
		json_ki64(j, "max_rss_kib", max_rss_kib());
		json_key(j, "clock_hz");
		if (r->ns_per_tick)
			json_double(j, 1e9 / r->ns_per_tick);
		else
			json_null(j);
		json_key(j, "target_exit_code");
		if (target_exit_code >= 0)
			json_i64(j, target_exit_code);
		else
			json_null(j);
		json_obj_end(j);
		json_end_record(j);
		counters_free(&c);
		return 0;
	}
	printf("summary: %" PRIu64 " allocations", heap + maps);
	if (!r->o.kernel)
		printf(" (%" PRIu64 " heap blocks, %" PRIu64 " anonymous mmaps)", heap, maps);
	printf(", %" PRIu64 " frees, %" PRIu64 " failed allocation calls", counter(&c, ST_FREES),
	       counter(&c, ST_FAILED));
	if (file_maps)
		printf("; %" PRIu64 " file mappings (not allocations)", file_maps);
	if (target_exit_code >= 0)
		printf("; the target exited with %d", target_exit_code);
	printf("\n");
	counters_drops_text(stdout, &c, leak_drops, NLEAK_DROPS);
	if (r->o.kernel && r->o.bulk_frees_traced)
		printf("  bulk frees (kmem_cache_free_bulk, kfree_bulk): %" PRIu64 " objects\n",
		       counter(&c, ST_BULK_FREED));
	else if (r->o.kernel)
		printf("  bulk frees (kmem_cache_free_bulk, kfree_bulk): not traced on this kernel "
		       "(no fentry); each cache's count is held against /proc/slabinfo\n");
	if (r->o.kernel && counter(&c, ST_MISSED_FREE))
		printf("  frees not seen (estimate): %" PRIu64 " addresses handed out again while "
		       "still tracked\n", counter(&c, ST_MISSED_FREE));
	if (counter(&c, ST_SAMPLED_OUT))
		printf("  sampling: 1 in %u recorded, %" PRIu64 " skipped; figures are estimates\n",
		       r->o.sample_rate, counter(&c, ST_SAMPLED_OUT));
	if (r->unw_set)
		unwind_text(stdout, &r->unw);
	for (int k = 0; k < nfails; k++)
		printf("  not traced: %s (%s%s%s)\n", fails[k].function, strerror(-fails[k].err),
		       fails[k].hint ? ": " : "", fails[k].hint ? fails[k].hint : "");
	counters_free(&c);
	return 0;
}
