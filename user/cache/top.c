// SPDX-License-Identifier: GPL-2.0
/* cachetop's view: rows per process, cgroup or file, sorted by a column;
 * plain reports (or JSON Lines) here, the full-screen view in top_ui.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/common.h"
#include "cache/top_ui.h"
#include "core/fmt.h"

struct sort_ctx {
	enum cache_col col;
	bool reverse, final;
};

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct cache_row *x = a, *y = b;
	const struct sort_ctx *c = arg;
	double vx = cache_col_value(c->final ? &x->all : &x->now, c->col),
	       vy = cache_col_value(c->final ? &y->all : &y->now, c->col);
	int r = vx > vy ? -1 : vx < vy ? 1 : 0;

	if (!r)
		r = x->key.a < y->key.a ? -1 : x->key.a > y->key.a ? 1 :
		    x->key.b < y->key.b ? -1 : x->key.b > y->key.b;
	return c->reverse ? -r : r;
}

static bool active(const struct cache_counts *c)
{
	return c->requested || c->ra_waste || c->dirtied || c->write_add || c->mmap_add ||
	       c->faults || c->reads;
}

/* Sort s->rows for a report and drop the idle ones (the final report
 * shows whole-run totals: every row that ever did something). Returns
 * how many are left. */
size_t cachetop_sort(struct cache_state *s, bool final)
{
	struct sort_ctx c = { s->o->sort, s->o->reverse, final };
	size_t n = 0;

	for (size_t i = 0; i < s->nrows; i++)
		if (active(final ? &s->rows[i].all : &s->rows[i].now))
			s->rows[n++] = s->rows[i];
	s->nrows = n;
	qsort_r(s->rows, n, sizeof(s->rows[0]), cmp_rows, &c);
	return n;
}

static const char *const kind_names[] = {
	[BY_PROCESS] = "process", [BY_CGROUP] = "cgroup", [BY_FILE] = "file",
};

static void row_json(struct cache_state *s, const struct cache_row *r, bool final)
{
	struct json *j = &s->j;

	json_obj_begin(j);
	json_kstr(j, "type", kind_names[s->o->by]);
	json_kbool(j, "final", final);
	json_kbool(j, "other", r->other);
	switch (s->o->by) {
	case BY_PROCESS:
		if (!r->other) {
			json_ki64(j, "pid", r->key.a);
			json_ku64(j, "uid", r->uid);
		}
		json_kstr(j, "comm", r->name);
		break;
	case BY_CGROUP:
		if (!r->other)
			json_ku64(j, "cgroup_id", r->key.a);
		json_kstr(j, "cgroup", r->name);
		break;
	default:
		if (!r->other) {
			char dev[32];

			snprintf(dev, sizeof(dev), "%u:%u", (unsigned)(r->key.a >> 20),
				 (unsigned)(r->key.a & 0xfffff));
			json_kstr(j, "dev", dev);
			json_ku64(j, "ino", r->key.b);
		}
		json_kstr(j, "file", r->name);
		break;
	}
	cache_counts_json(j, final ? &r->all : &r->now);
	json_key(j, "total");
	json_obj_begin(j);
	cache_counts_json(j, &r->all);
	json_obj_end(j);
	json_obj_end(j);
	json_end_record(j);
}

static void row_text(struct cache_state *s, const struct cache_row *r, bool final)
{
	const struct cache_counts *c = final ? &r->all : &r->now;
	/* The whole name, each byte shown as up to 4 ("\xff"): a path cut
	 * here lost its file's name. */
	static char safe[4 * sizeof(r->name) + 1];
	char ratio_s[16];

	cache_ratio_text(c, ratio_s, sizeof(ratio_s));
	text_safe(r->name, safe, sizeof(safe));
	if (s->o->by == BY_PROCESS) {
		if (r->other)
			printf("%-8s %-6s ", "-", "-");
		else
			printf("%-8llu %-6u ", (unsigned long long)r->key.a, r->uid);
		printf("%-16s ", safe);
	}
	printf("%10llu %10llu %10llu %10llu %10llu %8s",
	       c->requested, cache_hits(c), c->misses, c->ra_waste, c->dirtied, ratio_s);
	if (s->o->by != BY_PROCESS)
		printf("  %s", safe);
	printf("\n");
}

int cachetop_report(struct cache_state *s, bool final)
{
	struct cache_counts d;
	size_t n, shown;
	char ts[40];
	int err;

	/* The whole run's report comes after the full-screen view, as a
	 * plain one: it stays on the terminal. */
	if (final)
		top_ui_end(s);
	if (s->ui && !top_ui_wants_report(s))
		return 0;
	err = cache_read_totals(s, &d);
	if (!err)
		err = cache_read_rows(s);
	if (err)
		return err;
	if (final)
		cache_pending_waste(s, true);
	n = cachetop_sort(s, final);
	if (s->ui) {
		top_ui_show(s, &d);
		return 0;
	}
	shown = s->o->rows && s->o->rows < n ? s->o->rows : n;
	cache_time(ts, sizeof(ts), s->o->common.json);
	if (s->o->common.json) {
		json_obj_begin(&s->j);
		json_kstr(&s->j, "type", "interval");
		json_kstr(&s->j, "time", ts);
		json_kbool(&s->j, "final", final);
		json_kstr(&s->j, "by", kind_names[s->o->by]);
		json_ku64(&s->j, "rows", n);
		json_ku64(&s->j, "shown", shown);
		cache_counts_json(&s->j, &d);
		json_obj_end(&s->j);
		json_end_record(&s->j);
		for (size_t i = 0; i < shown; i++)
			row_json(s, &s->rows[i], final);
		return 0;
	}
	printf("[%s] %s%zu %s%s with page-cache activity%s, by %s%s:\n", ts,
	       final ? "final (whole run): " : "", n, kind_names[s->o->by],
	       n == 1 ? "" : (s->o->by == BY_PROCESS ? "es" : "s"), final ? "" : " this interval",
	       cache_col_names[s->o->sort], s->o->reverse ? " (smallest first)" : "");
	if (s->o->by == BY_PROCESS)
		printf("%-8s %-6s %-16s ", "PID", "UID", "COMM");
	printf("%10s %10s %10s %10s %10s %8s%s\n", "REQUESTED", "HITS", "MISSES", "RA_WASTE",
	       "DIRTIED", "HITRATIO", s->o->by == BY_CGROUP ? "  CGROUP" :
	       s->o->by == BY_FILE ? "  FILE" : "");
	for (size_t i = 0; i < shown; i++)
		row_text(s, &s->rows[i], final);
	printf("\n");
	return 0;
}
