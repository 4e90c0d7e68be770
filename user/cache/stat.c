// SPDX-License-Identifier: GPL-2.0
/* cachestat's view: one line per interval, system-wide (or of -p/--cgroup),
 * and the summary both views end with. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/common.h"
#include "core/procfs.h"
#include "run/counters.h"

static const struct counter_desc cache_drops[] = {
	{ ST_CHUNKS_FULL, "readahead_map_full",
	  "readahead adds not remembered (their reads counted as hits)" },
	{ ST_THREADS_FULL, "threads_map_full", "per-thread read state not kept" },
	{ ST_ENTITIES_FULL, "entities_map_full",
	  "rows that did not fit (counted under \"other\"; raise --max-entities)" },
	{ ST_LOOP_CUT, "long_reads",
	  "reads over 256 MiB whose tail was not scanned for misses" },
};
#define NDROPS (sizeof(cache_drops) / sizeof(cache_drops[0]))

void cache_counts_json(struct json *j, const struct cache_counts *c)
{
	double ratio = cache_ratio(c);

	json_ku64(j, "reads", c->reads);
	json_ku64(j, "requested_pages", c->requested);
	json_ku64(j, "hit_pages", cache_hits(c));
	json_ku64(j, "miss_pages", c->misses);
	json_ku64(j, "readahead_waste_pages", c->ra_waste);
	json_ku64(j, "write_add_pages", c->write_add);
	json_ku64(j, "dirtied_pages", c->dirtied);
	json_ku64(j, "mmap_add_pages", c->mmap_add);
	json_ku64(j, "faults", c->faults);
	json_key(j, "hit_ratio");
	if (ratio >= 0)
		json_double(j, ratio);
	else
		json_null(j);
}

void cache_time(char *buf, size_t len, bool iso)
{
	time_t t = time(NULL);

	strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S%z" : "%H:%M:%S", localtime(&t));
}

int cachestat_report(struct cache_state *s, bool final)
{
	unsigned long long buffers = meminfo_kb("Buffers"), cached = meminfo_kb("Cached");
	long long refaults = cache_refaults(s);
	struct cache_counts d;
	double ratio;
	char ts[40];
	int err;

	err = cache_read_totals(s, &d);
	if (err)
		return err;
	ratio = cache_ratio(&d);
	cache_time(ts, sizeof(ts), s->o->common.json);
	if (s->o->common.json) {
		struct counters c;

		counters_read(s->run.obj, ST_NR, &c);
		json_obj_begin(&s->j);
		json_kstr(&s->j, "type", "interval");
		json_kstr(&s->j, "time", ts);
		json_kbool(&s->j, "final", final);
		cache_counts_json(&s->j, &d);
		json_key(&s->j, "refault_pages");
		if (refaults >= 0)
			json_i64(&s->j, refaults);
		else
			json_null(&s->j);
		json_kdouble(&s->j, "buffers_mb", buffers / 1024.0);
		json_kdouble(&s->j, "cached_mb", cached / 1024.0);
		json_key(&s->j, "drops");
		counters_drops_json(&s->j, &c, cache_drops, NDROPS);
		json_obj_end(&s->j);
		json_end_record(&s->j);
		counters_free(&c);
		return 0;
	}
	if (!s->header_done) {
		printf("%s%10s %10s %10s %8s %10s %10s %10s %10s %10s %10s %10s\n",
		       s->o->timestamps ? "TIME     " : "", "HITS", "MISSES", "DIRTIES", "HITRATIO",
		       "BUFFERS_MB", "CACHED_MB", "REQUESTED", "RA_WASTE", "WRITE_ADD", "MMAP_ADD",
		       "REFAULTS");
		s->header_done = true;
	}
	if (s->o->timestamps)
		printf("%-8s ", ts);
	printf("%10llu %10llu %10llu", cache_hits(&d), d.misses, d.dirtied);
	if (ratio >= 0)
		printf(" %7.2f%%", 100 * ratio);
	else
		printf(" %8s", "-");
	printf(" %10llu %10llu %10llu %10llu %10llu %10llu",
	       buffers / 1024, cached / 1024, d.requested, d.ra_waste, d.write_add, d.mmap_add);
	if (refaults >= 0)
		printf(" %10lld\n", refaults);
	else
		printf(" %10s\n", "-");
	return 0;
}

int cachestat_summary(struct cache_state *s)
{
	unsigned long long pending = cache_pending_waste(s, false);
	struct cache_counts t = s->total;
	struct counters c;
	double ratio;

	/* What readahead added and nobody read by the end is waste too. */
	t.ra_waste += pending;
	ratio = cache_ratio(&t);
	counters_read(s->run.obj, ST_NR, &c);
	if (s->o->common.json) {
		json_obj_begin(&s->j);
		json_kstr(&s->j, "type", "summary");
		json_kstr(&s->j, "attach", s->run.mode ? s->run.mode : "?");
		cache_counts_json(&s->j, &t);
		json_ku64(&s->j, "readahead_unread_at_end_pages", pending);
		json_key(&s->j, "drops");
		counters_drops_json(&s->j, &c, cache_drops, NDROPS);
		json_obj_end(&s->j);
		json_end_record(&s->j);
	} else {
		printf("summary: %llu pages requested by %llu reads, %llu"
		       " hits, %llu misses", t.requested, t.reads, cache_hits(&t), t.misses);
		if (ratio >= 0)
			printf(" (%.2f%% hit)", 100 * ratio);
		printf("; readahead waste %llu pages (%llu still unread at the end); %llu added by "
		       "writes, %llu dirtied; %llu added by %llu faults (mmap)\n", t.ra_waste, pending,
		       t.write_add, t.dirtied, t.mmap_add, t.faults);
		counters_drops_text(stdout, &c, cache_drops, NDROPS);
	}
	counters_free(&c);
	return 0;
}
