// SPDX-License-Identifier: GPL-2.0
/* `memscope reclaim -s`: stalls per process and per memory cgroup since the
 * start (count, time, the longest, pages reclaimed, a log2 latency
 * histogram in the final report), and per
 * interval the system around them: kswapd, the inactive lists scanned and
 * reclaimed, swap, compaction, throttling, memory pressure (PSI). Also the
 * closing summary of both views. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "reclaim.skel.h"
#include "reclaim/common.h"
#include "core/fmt.h"
#include "core/procfs.h"
#include "run/counters.h"
#include "run/memcg.h"

static const struct counter_desc reclaim_drops[] = {
	{ ST_STALLS_FULL, "stalls_map_full", "stalls not followed (too many at once)" },
};
#define NDROPS (sizeof(reclaim_drops) / sizeof(reclaim_drops[0]))

/* /proc/vmstat counters of the system line (absent ones read as missing,
 * never 0: pgscan_anon/file are 5.8+). */
static const char *const vm_keys[] = {
	"pswpin", "pswpout", "pgscan_anon", "pgscan_file", "pgsteal_anon", "pgsteal_file",
	"pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd", "pgsteal_direct",
	"compact_stall", "compact_success", "compact_fail", "workingset_refault_file",
};
#define NVM (sizeof(vm_keys) / sizeof(vm_keys[0]))
_Static_assert(NVM <= 16, "vm_prev");

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

void vmstat_parse(FILE *f, uint64_t v[16])
{
	char key[64];
	unsigned long long x;

	for (size_t i = 0; i < NVM; i++)
		v[i] = ~0ULL;
	while (fscanf(f, "%63s %llu", key, &x) == 2)
		for (size_t i = 0; i < NVM; i++)
			if (!strcmp(key, vm_keys[i]))
				v[i] = x;
}

/* All vm_keys at once; v[i] = ~0 when absent. */
static int read_vmstat(uint64_t *v)
{
	FILE *f = fopen("/proc/vmstat", "re");

	for (size_t i = 0; i < NVM; i++)
		v[i] = ~0ULL;
	if (!f)
		return -errno;
	vmstat_parse(f, v);
	fclose(f);
	return 0;
}

int psi_parse(FILE *f, uint64_t *some, uint64_t *full)
{
	char line[256];
	unsigned long long t;
	int got = 0;

	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "total=");

		if (!p || sscanf(p, "total=%llu", &t) != 1)
			continue;
		if (!strncmp(line, "some", 4)) {
			*some = t;
			got |= 1;
		} else if (!strncmp(line, "full", 4)) {
			*full = t;
			got |= 2;
		}
	}
	return got == 3 ? 0 : -ENOENT;
}

/* PSI totals (µs) of memory, some and full: the filtered cgroup's on v2,
 * else the system's. */
static int read_psi(struct reclaim_state *s, uint64_t *some, uint64_t *full)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int err;

	if (s->run.target.memcg_id)
		snprintf(path, sizeof(path), "%s/memory.pressure", s->run.target.memcg_dir);
	else
		snprintf(path, sizeof(path), "/proc/pressure/memory");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = psi_parse(f, some, full);
	fclose(f);
	return err;
}

static int read_sys(struct reclaim_state *s, struct reclaim_sys *out)
{
	struct reclaim_bpf *skel = s->skel;
	int ncpu = libbpf_num_possible_cpus();
	struct reclaim_sys *per;
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.sys), &zero, per)) {
		free(per);
		return -errno;
	}
	for (int c = 0; c < ncpu; c++) {
		const uint64_t *v = (const uint64_t *)&per[c];
		uint64_t *o = (uint64_t *)out;

		for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
			o[i] += v[i];
	}
	free(per);
	return 0;
}

/* kswapd time awake, the periods still running included, and the last
 * wake's view of node 0.. (free pages and watermarks). */
static uint64_t kswapd_awake(struct reclaim_state *s, const struct reclaim_sys *sys,
			     struct reclaim_node *last)
{
	struct reclaim_bpf *skel = s->skel;
	uint64_t awake = sys->kswapd_awake_ns, now = mono_ns();

	memset(last, 0, sizeof(*last));
	for (__u32 n = 0; n < (__u32)s->nr_nodes; n++) {
		struct reclaim_node nd;

		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.nodes), &n, &nd))
			continue;
		if (nd.wake_ns && now > nd.wake_ns)
			awake += now - nd.wake_ns;
		if (nd.wakes && (!last->wakes || n == 0))
			*last = nd;
	}
	return awake;
}

void summary_start(struct reclaim_state *s)
{
	s->vm_ok = !read_vmstat(s->vm_prev);
	s->psi_ok = !read_psi(s, &s->psi_prev[0], &s->psi_prev[1]);
	read_sys(s, &s->sys_prev);
	s->t_prev_ns = s->start_ns = mono_ns();
}

void summary_add(struct reclaim_state *s, const struct reclaim_event *e)
{
	struct reclaim_row *rows[3];
	bool created;

	rows[0] = &s->all;
	rows[1] = hmap_put(&s->procs, (struct hkey){ e->pid, 0 }, &created);
	rows[2] = hmap_put(&s->cgroups, (struct hkey){ e->memcg_id, 0 }, &created);
	for (int i = 0; i < 3; i++) {
		struct reclaim_row *r = rows[i];
		unsigned slot = hist_log2_slot(e->latency_ns / 1000);

		if (!r)
			continue;
		r->stalls++;
		r->total_ns += e->latency_ns;
		if (e->latency_ns > r->max_ns)
			r->max_ns = e->latency_ns;
		r->reclaimed += e->nr_reclaimed;
		r->by_kind[e->kind]++;
		r->hist[slot < HIST_LOG2_SLOTS ? slot : HIST_LOG2_SLOTS - 1]++;
		memcpy(r->comm, e->comm, sizeof(r->comm));
	}
}

/* ---- the rows ------------------------------------------------------------------ */

struct sorted {
	struct hkey k;
	struct reclaim_row *r;
};

static int by_time(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	return x->r->total_ns < y->r->total_ns ? 1 : x->r->total_ns > y->r->total_ns ? -1 : 0;
}

static struct sorted *sorted_rows(struct hmap *m, size_t *n)
{
	struct sorted *v = calloc(m->len ? m->len : 1, sizeof(*v));
	size_t i = 0, k = 0;
	struct hkey key;
	void *val;

	if (!v)
		return NULL;
	while (hmap_next(m, &i, &key, &val) && k < m->len) {
		v[k].k = key;
		v[k++].r = val;
	}
	qsort(v, k, sizeof(*v), by_time);
	*n = k;
	return v;
}

static void hist_of(const struct reclaim_row *r, struct hist *h)
{
	size_t n = HIST_LOG2_SLOTS;

	while (n > 1 && !r->hist[n - 1])
		n--;
	*h = (struct hist){ .kind = HIST_LOG2, .slots = r->hist, .nslots = n, .unit = "usecs" };
}

static void row_json(struct reclaim_state *s, const char *type, const struct sorted *e,
		     bool final)
{
	struct json *j = &s->j;
	const struct reclaim_row *r = e->r;
	struct hist h;

	json_obj_begin(j);
	json_kstr(j, "type", type);
	json_kbool(j, "final", final);
	if (!strcmp(type, "process")) {
		json_ku64(j, "pid", e->k.a);
		json_key(j, "comm");
		json_strn(j, r->comm, strnlen(r->comm, sizeof(r->comm)));
	} else {
		json_kstr(j, "cgroup", reclaim_cgroup(s, e->k.a));
		json_ku64(j, "cgroup_id", e->k.a);
	}
	json_ku64(j, "stalls", r->stalls);
	json_kdouble(j, "total_ms", r->total_ns / 1e6);
	json_kdouble(j, "max_ms", r->max_ns / 1e6);
	json_ku64(j, "nr_reclaimed", r->reclaimed);
	json_key(j, "by_kind");
	json_obj_begin(j);
	for (int k = 0; k < RK_NR; k++)
		json_ku64(j, reclaim_kind_names[k], r->by_kind[k]);
	json_obj_end(j);
	json_key(j, "latency_hist");
	hist_of(r, &h);
	hist_json(j, &h);
	json_obj_end(j);
	json_end_record(j);
}

static void rows_text(struct reclaim_state *s, struct sorted *v, size_t n, bool procs,
		      bool hists)
{
	if (procs)
		printf("%-8s %-16s %7s %11s %9s %10s   (since the start)\n", "PID", "COMM",
		       "STALLS", "TOTAL(ms)", "MAX(ms)", "RECLAIMED");
	else
		printf("%-25s %7s %11s %9s %10s   CGROUP\n", "", "STALLS", "TOTAL(ms)", "MAX(ms)",
		       "RECLAIMED");
	for (size_t i = 0; i < n; i++) {
		const struct reclaim_row *r = v[i].r;
		char comm[68], cg[4096];

		text_safe_n(r->comm, sizeof(r->comm), comm, sizeof(comm));
		if (procs)
			printf("%-8llu %-16s", (unsigned long long)v[i].k.a, comm);
		else
			printf("%-25s", "");
		printf(" %7llu %11.3f %9.3f %10llu", (unsigned long long)r->stalls,
		       r->total_ns / 1e6, r->max_ns / 1e6, (unsigned long long)r->reclaimed);
		printf(procs ? "\n" : "   %s\n",
		       text_safe(reclaim_cgroup(s, v[i].k.a), cg, sizeof(cg)));
		if (hists) {
			struct hist h;

			hist_of(r, &h);
			hist_print(stdout, &h);
		}
	}
}

/* ---- the system line ------------------------------------------------------------ */

static int64_t vm_delta(struct reclaim_state *s, const uint64_t *now, const char *key)
{
	for (size_t i = 0; i < NVM; i++)
		if (!strcmp(vm_keys[i], key))
			return s->vm_ok && now[i] != ~0ULL && s->vm_prev[i] != ~0ULL ?
				       (int64_t)(now[i] - s->vm_prev[i]) : -1;
	return -1;
}

static void kv_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	if (v >= 0)
		json_i64(j, v);
	else
		json_null(j);
}

int summary_report(struct reclaim_state *s, bool final)
{
	uint64_t vm[16], some = 0, full = 0, now = mono_ns(), dt = now - s->t_prev_ns;
	struct reclaim_sys sys, d;
	struct reclaim_node last;
	uint64_t awake;
	bool psi = !read_psi(s, &some, &full), vm_now = !read_vmstat(vm);
	double psi_some = -1, psi_full = -1;
	size_t np = 0, nc = 0;
	struct sorted *procs, *cgs;
	char ts[40];
	time_t t = time(NULL);
	int err;

	err = read_sys(s, &sys);
	if (err)
		return err;
	awake = kswapd_awake(s, &sys, &last);
	for (size_t i = 0; i < sizeof(d) / sizeof(uint64_t); i++)
		((uint64_t *)&d)[i] = ((uint64_t *)&sys)[i] - ((uint64_t *)&s->sys_prev)[i];
	if (psi && s->psi_ok && dt) {
		psi_some = 100.0 * (some - s->psi_prev[0]) * 1000 / dt;
		psi_full = 100.0 * (full - s->psi_prev[1]) * 1000 / dt;
	}
	strftime(ts, sizeof(ts), s->o->common.json ? "%Y-%m-%dT%H:%M:%S%z" : "%H:%M:%S",
		 localtime(&t));
	procs = sorted_rows(&s->procs, &np);
	cgs = sorted_rows(&s->cgroups, &nc);
	if (!procs || !cgs) {
		free(procs);
		free(cgs);
		return -ENOMEM;
	}
	if (s->o->common.json) {
		struct json *j = &s->j;

		json_obj_begin(j);
		json_kstr(j, "type", "interval");
		json_kstr(j, "time", ts);
		json_kbool(j, "final", final);
		json_kdouble(j, "seconds", dt / 1e9);
		json_key(j, "stalls");
		json_obj_begin(j);
		for (int k = 0; k < RK_NR; k++)
			json_ku64(j, reclaim_kind_names[k], d.stalls[k]);
		json_obj_end(j);
		json_key(j, "stalled_ms");
		json_obj_begin(j);
		for (int k = 0; k < RK_NR; k++)
			json_kdouble(j, reclaim_kind_names[k], d.stall_ns[k] / 1e6);
		json_obj_end(j);
		json_ku64(j, "kswapd_wakes", d.kswapd_wakes);
		json_kdouble(j, "kswapd_awake_ms", (awake - s->sys_prev.kswapd_awake_ns) / 1e6);
		json_ku64(j, "kswapd_scanned_file", d.kswapd_scanned[1]);
		json_ku64(j, "kswapd_scanned_anon", d.kswapd_scanned[0]);
		json_ku64(j, "kswapd_reclaimed_file", d.kswapd_reclaimed[1]);
		json_ku64(j, "kswapd_reclaimed_anon", d.kswapd_reclaimed[0]);
		json_ku64(j, "stall_scanned_file", d.stall_scanned[1]);
		json_ku64(j, "stall_scanned_anon", d.stall_scanned[0]);
		json_ku64(j, "stall_reclaimed_file", d.stall_reclaimed_lru[1]);
		json_ku64(j, "stall_reclaimed_anon", d.stall_reclaimed_lru[0]);
		json_ku64(j, "other_reclaimed_file", d.other_reclaimed[1]);
		json_ku64(j, "other_reclaimed_anon", d.other_reclaimed[0]);
		json_ku64(j, "throttled_us", d.throttled_us);
		kv_i64(j, "swapin_pages", vm_now ? vm_delta(s, vm, "pswpin") : -1);
		kv_i64(j, "swapout_pages", vm_now ? vm_delta(s, vm, "pswpout") : -1);
		kv_i64(j, "compact_stall", vm_now ? vm_delta(s, vm, "compact_stall") : -1);
		kv_i64(j, "pgsteal_direct", vm_now ? vm_delta(s, vm, "pgsteal_direct") : -1);
		kv_i64(j, "pgsteal_kswapd", vm_now ? vm_delta(s, vm, "pgsteal_kswapd") : -1);
		json_key(j, "psi_some_pct");
		psi_some >= 0 ? json_double(j, psi_some) : json_null(j);
		json_key(j, "psi_full_pct");
		psi_full >= 0 ? json_double(j, psi_full) : json_null(j);
		if (last.wakes && last.free != ~0ULL) {
			json_key(j, "kswapd_last_wake");
			json_obj_begin(j);
			json_ku64(j, "order", last.order);
			json_ku64(j, "free_pages", last.free);
			json_ku64(j, "min_pages", last.wmark_min);
			json_ku64(j, "low_pages", last.wmark_low);
			json_ku64(j, "high_pages", last.wmark_high);
			json_obj_end(j);
		}
		json_obj_end(j);
		json_end_record(j);
		for (size_t i = 0; i < np; i++)
			row_json(s, "process", &procs[i], final);
		for (size_t i = 0; i < nc; i++)
			row_json(s, "cgroup", &cgs[i], final);
	} else {
		int64_t in = vm_now ? vm_delta(s, vm, "pswpin") : -1;
		int64_t out = vm_now ? vm_delta(s, vm, "pswpout") : -1;

		printf("%s system: stalls %llu direct, %llu memcg, %llu"
		       " compaction, %llu throttled (%.1f ms); kswapd %llu"
		       " wakes, awake %.1f ms, reclaimed file %llu anon %llu"
		       "; in stalls file %llu anon %llu; swap in %lld"
		       " out %lld pages",
		       ts, d.stalls[RK_DIRECT], d.stalls[RK_MEMCG] + d.stalls[RK_SOFTLIMIT],
		       d.stalls[RK_COMPACTION], d.stalls[RK_THROTTLE], d.throttled_us / 1e3,
		       d.kswapd_wakes, (awake - s->sys_prev.kswapd_awake_ns) / 1e6,
		       d.kswapd_reclaimed[1], d.kswapd_reclaimed[0], d.stall_reclaimed_lru[1],
		       d.stall_reclaimed_lru[0], (long long)in, (long long)out);
		if (psi_some >= 0)
			printf("; PSI some %.2f%% full %.2f%%", psi_some, psi_full);
		if (last.wakes && last.free != ~0ULL)
			printf("; last kswapd wake: order %u, free %llu pages (min %llu"
			       " low %llu high %llu)", last.order, last.free,
			       last.wmark_min, last.wmark_low, last.wmark_high);
		printf("\n");
		if (np)
			rows_text(s, procs, np, true, false);
		if (nc)
			rows_text(s, cgs, nc, false, false);
	}
	free(procs);
	free(cgs);
	s->sys_prev = sys;
	s->sys_prev.kswapd_awake_ns = awake;
	if (vm_now) {
		memcpy(s->vm_prev, vm, sizeof(vm));
		s->vm_ok = true;
	}
	if (psi) {
		s->psi_prev[0] = some;
		s->psi_prev[1] = full;
		s->psi_ok = true;
	}
	s->t_prev_ns = now;
	if (fflush(stdout))
		return -errno;
	return 0;
}

int reclaim_summary(struct reclaim_state *s)
{
	struct counters c;
	struct reclaim_sys sys;

	read_sys(s, &sys);
	counters_read(s->run.obj, ST_RECLAIM_NR, &c);
	if (s->o->common.json) {
		struct json *j = &s->j;
		struct hist h;

		json_obj_begin(j);
		json_kstr(j, "type", "summary");
		json_kstr(j, "attach", s->run.mode ? s->run.mode : "?");
		json_ku64(j, "stalls_reported", s->events);
		json_key(j, "stalls_system");
		json_obj_begin(j);
		for (int k = 0; k < RK_NR; k++)
			json_ku64(j, reclaim_kind_names[k], sys.stalls[k]);
		json_obj_end(j);
		json_ku64(j, "kswapd_wakes", sys.kswapd_wakes);
		json_ku64(j, "unmatched_ends", sys.unmatched_ends);
		if (s->o->summary) {
			json_key(j, "latency_hist");
			hist_of(&s->all, &h);
			hist_json(j, &h);
		}
		/* What its programs ran (kernel.bpf_stats_enabled=1, else 0). */
		json_ku64(j, "bpf_run_cnt", c.run_cnt);
		json_ku64(j, "bpf_run_ns", c.run_time_ns);
		json_key(j, "drops");
		counters_drops_json(j, &c, reclaim_drops, NDROPS);
		json_obj_end(j);
		json_end_record(j);
	} else {
		if (s->o->summary && s->all.stalls) {
			struct sorted *procs;
			size_t np = 0;
			struct hist h;

			printf("\nstall latency, all stalls reported:\n");
			hist_of(&s->all, &h);
			hist_print(stdout, &h);
			procs = sorted_rows(&s->procs, &np);
			for (size_t i = 0; procs && i < np && i < 5; i++) {
				char comm[68];

				text_safe_n(procs[i].r->comm, sizeof(procs[i].r->comm), comm,
					    sizeof(comm));
				printf("\nstall latency of %s (pid %llu):\n", comm,
				       (unsigned long long)procs[i].k.a);
				hist_of(procs[i].r, &h);
				hist_print(stdout, &h);
			}
			free(procs);
		}
		printf("summary: %llu stalls reported; system-wide %llu direct, %llu"
		       " memcg, %llu softlimit, %llu compaction, %llu"
		       " throttled; kswapd woke %llu times\n", (unsigned long long)s->events,
		       sys.stalls[RK_DIRECT], sys.stalls[RK_MEMCG], sys.stalls[RK_SOFTLIMIT],
		       sys.stalls[RK_COMPACTION], sys.stalls[RK_THROTTLE], sys.kswapd_wakes);
		counters_drops_text(stdout, &c, reclaim_drops, NDROPS);
	}
	counters_free(&c);
	if (fflush(stdout))
		return -errno;
	return 0;
}

void summary_free(struct reclaim_state *s)
{
	hmap_free(&s->procs);
	hmap_free(&s->cgroups);
}
