// SPDX-License-Identifier: GPL-2.0
/* `memscope cachestat` / `memscope cachetop`: the options, the BPF object
 * and its modes, and reading what it counted (see cache.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cache.skel.h"
#include "cache/common.h"
#include "cache/top_ui.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/procfs.h"
#include "run/memcg.h"
#include "run/preflight.h"
#include "run/registry.h"

_Static_assert(sizeof(struct cache_counts) == 64, "cache_counts layout");
_Static_assert(sizeof(struct chunk_val) == 40, "chunk_val layout");
_Static_assert(sizeof(struct cache_entity) == 88, "cache_entity layout");

const char *const cache_col_names[COL_NR] = {
	[COL_REQUESTED] = "requested", [COL_HITS] = "hits", [COL_MISSES] = "misses",
	[COL_WASTE] = "waste", [COL_DIRTIED] = "dirtied", [COL_RATIO] = "ratio",
	[COL_WRITE_ADD] = "write_add", [COL_MMAP_ADD] = "mmap_add",
};

unsigned long long cache_hits(const struct cache_counts *c)
{
	return c->requested > c->misses ? c->requested - c->misses : 0;
}

double cache_ratio(const struct cache_counts *c)
{
	return c->requested ? (double)cache_hits(c) / c->requested : -1;
}

const char *cache_ratio_text(const struct cache_counts *c, char *buf, size_t len)
{
	double ratio = cache_ratio(c);

	if (ratio >= 0)
		snprintf(buf, len, "%.2f%%", 100 * ratio);
	else
		snprintf(buf, len, "-");
	return buf;
}

double cache_col_value(const struct cache_counts *c, enum cache_col col)
{
	switch (col) {
	case COL_REQUESTED: return c->requested;
	case COL_HITS: return cache_hits(c);
	case COL_MISSES: return c->misses;
	case COL_WASTE: return c->ra_waste;
	case COL_DIRTIED: return c->dirtied;
	case COL_RATIO: return cache_ratio(c);
	case COL_WRITE_ADD: return c->write_add;
	case COL_MMAP_ADD: return c->mmap_add;
	default: return 0;
	}
}

/* ---- options ----------------------------------------------------------------- */

enum { OPT_CGROUP = 0x100, OPT_BY, OPT_MAX_ENTITIES };

static const struct argp_option options[] = {
	{ "timestamp", 'T', NULL, 0, "Print a timestamp on each line", 0 },
	{ "pid", 'p', "PID", 0, "Only the reads, writes and faults of this process", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Only those of the tasks of this memory cgroup (a directory of the memory "
	  "hierarchy, or a path as /proc/PID/cgroup shows it)", 0 },
	{ "by", OPT_BY, "WHAT", 0, "cachetop: rows per process (default), cgroup or file", 0 },
	{ "sort", 's', "COLUMN", 0, "cachetop: order rows by requested, hits, misses "
	  "(default), waste, dirtied, ratio, write_add or mmap_add", 0 },
	{ "reverse", 'r', NULL, 0, "cachetop: smallest first", 0 },
	{ "rows", 'n', "N", 0, "cachetop: rows per report (default 20, 0: all)", 0 },
	{ "batch", 'b', NULL, 0, "cachetop: plain reports, also on a terminal", 0 },
	{ "max-entities", OPT_MAX_ENTITIES, "N", 0,
	  "cachetop: processes, cgroups or files kept (default 10240; the rest are "
	  "counted as \"other\")", 0 },
	{},
};

static const char stat_doc[] =
	"The page cache's hit ratio, system-wide, every INTERVAL seconds (default 1), "
	"COUNT times.\v"
	"HITS and MISSES are pages read() asked for that were, or were not, in the page "
	"cache when the read needed them (a page the reader's own readahead added "
	"moments before is a miss). DIRTIES: pages turned from clean to dirty. Then "
	"memscope's own columns: REQUESTED (hits + misses), RA_WASTE (pages readahead "
	"added and nobody read before they were evicted), WRITE_ADD (pages added by "
	"writes), MMAP_ADD (pages added by page faults: mmap has no hit ratio), "
	"REFAULTS (file pages read back soon after eviction: thrashing).\n\n"
	"Examples:\n"
	"  memscope cachestat                # every second\n"
	"  memscope cachestat -T 5 12        # every 5 s for a minute, timestamped\n"
	"  memscope cachestat -p $(pidof db) # one process's reads\n"
	"  memscope cachestat -j             # JSON Lines";

static const char top_doc[] =
	"Page-cache hits and misses per process (or cgroup, or file), the top rows every "
	"INTERVAL seconds (default 1), COUNT times; a full-screen view on a terminal "
	"(keys: q quit, < > sort column, r reverse, p pause, space refresh).\v"
	"Columns as in cachestat: REQUESTED, HITS, MISSES, RA_WASTE, DIRTIED, HITRATIO.\n\n"
	"Examples:\n"
	"  memscope cachetop                 # by process, full-screen\n"
	"  memscope cachetop --by file -b 5  # by file, plain reports every 5 s\n"
	"  memscope cachetop --by cgroup -j  # JSON Lines";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct cache_opts *o = state->input;
	uint64_t v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		return 0;
	case 'T':
		o->timestamps = true;
		return 0;
	case 'p':
		if (parse_pid(arg, &o->pid))
			argp_error(state, "invalid PID '%s'", arg);
		return 0;
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	case OPT_BY:
		if (!strcmp(arg, "process") || !strcmp(arg, "pid"))
			o->by = BY_PROCESS;
		else if (!strcmp(arg, "cgroup"))
			o->by = BY_CGROUP;
		else if (!strcmp(arg, "file"))
			o->by = BY_FILE;
		else
			argp_error(state, "--by takes process, cgroup or file, not '%s'", arg);
		return 0;
	case 's':
		for (v = 0; v < COL_NR && strcmp(arg, cache_col_names[v]); v++)
			;
		if (v == COL_NR)
			argp_error(state, "--sort takes requested, hits, misses, waste, dirtied, "
				   "ratio, write_add or mmap_add, not '%s'", arg);
		o->sort = v;
		return 0;
	case 'r':
		o->reverse = true;
		return 0;
	case 'n':
		if (parse_u64(arg, 0, UINT_MAX, &v))
			argp_error(state, "invalid number of rows '%s'", arg);
		o->rows = v;
		o->rows_set = true;
		return 0;
	case 'b':
		o->batch = true;
		return 0;
	case OPT_MAX_ENTITIES:
		if (parse_u64(arg, 16, 1 << 20, &o->max_entities))
			argp_error(state, "--max-entities takes 16 to 1048576");
		return 0;
	case ARGP_KEY_ARG:
		cli_interval_arg(state, arg, &o->npositional, &o->interval_s, &o->count);
		return 0;
	case ARGP_KEY_END:
		if (!o->top && (o->by != BY_NONE || o->reverse || o->batch || o->rows != 20 ||
				o->sort != COL_MISSES))
			argp_error(state, "--by, --sort, --reverse, --rows and --batch are cachetop's");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* ---- the BPF object and its modes ---------------------------------------------- */

DEFINE_SKEL_OPS(cache_skel_ops, cache_bpf);

/* What the tp_btf programs read by position. */
static const struct tp_contract contracts[] = {
	{ "filemap", "mm_filemap_get_pages", "struct address_space *, long unsigned int, "
	  "long unsigned int" },
	{ "filemap", "mm_filemap_fault", "struct address_space *, long unsigned int" },
	{ "filemap", "mm_filemap_add_to_page_cache", "struct folio *" },
	{ "filemap", "mm_filemap_delete_from_page_cache", "struct folio *" },
	{ "writeback", "writeback_dirty_folio", "struct folio *, struct address_space *" },
	{ "sched", "sched_process_exec", "struct task_struct *, pid_t, struct linux_binprm *" },
	{},
};

#define PAGE_EVENTS "tp_btf/mm_filemap_add_to_page_cache", \
	"tp_btf/mm_filemap_delete_from_page_cache", "tp_btf/writeback_dirty_folio", \
	"tp_btf/sched_process_exec"

static const char *const tp_btf_secs[] = { "tp_btf/", NULL };
static const char *const fentry_secs[] = { "fexit/filemap_read", "fexit/filemap_splice_read",
					   "fentry/filemap_fault", "fexit/filemap_fault",
					   PAGE_EVENTS, NULL };
static const char *const kprobe_secs[] = { "kprobe/filemap_read", "kretprobe/filemap_read",
					   "kprobe/filemap_splice_read",
					   "kretprobe/filemap_splice_read", "kprobe/filemap_fault",
					   "kretprobe/filemap_fault", PAGE_EVENTS, NULL };
/* filemap_splice_read() is 6.5+; before, splice() and sendfile() read
 * through filemap_read(). */
static const char *const splice_secs[] = { "fexit/filemap_splice_read",
					   "kprobe/filemap_splice_read",
					   "kretprobe/filemap_splice_read", NULL };

/* fentry first: the return of filemap_read() says exactly which bytes a
 * read copied. The mm_filemap_get_pages tracepoint is skipped by the
 * kernel for a batch whose last folio it had to wait for (the batch is
 * used without it): a read whose first batch is such is seen from its
 * second batch on. */
static const struct tool_mode modes[] = {
	{ "fentry", PROBE_FENTRY, "fexit on filemap_read and filemap_splice_read, fentry on "
	  "filemap_fault, page tracepoints", fentry_secs, contracts, splice_secs },
	{ "tp_btf", PROBE_TP_BTF, "filemap tracepoints (6.11+)", tp_btf_secs, contracts },
	{ "kprobe", PROBE_KPROBE, "kprobes on filemap_read, filemap_splice_read and "
	  "filemap_fault, page tracepoints", kprobe_secs, contracts, splice_secs },
};

struct cache_cfg {
	const struct cache_opts *o;
	struct target_filter filter;
};

static int configure(void *p, const struct tool_mode *mode, const void *cfgp)
{
	const struct cache_cfg *cfg = cfgp;
	struct cache_bpf *s = p;

	s->rodata->self_tgid = getpid();
	s->rodata->thread_hash = mode->kind == PROBE_KPROBE;
	/* Task storage serves the other modes: the hash (2.3 MiB) is unused. */
	if (mode->kind != PROBE_KPROBE)
		bpf_map__set_max_entries(s->maps.threads, 1);
	s->rodata->floor_only = getenv("MEMSCOPE_BENCH_FLOOR") != NULL;
	if (!cfg)
		return 0;
	TARGET_FILTER_APPLY(s, &cfg->filter);
	s->rodata->by = cfg->o->by;
	bpf_map__set_max_entries(s->maps.entities, cfg->o->by == BY_NONE ? 1 :
				 cfg->o->max_entities + 1);
	bpf_map__set_max_entries(s->maps.names, cfg->o->by == BY_FILE ? cfg->o->max_entities : 1);
	return 0;
}

static const struct tool_job job = {
	.name = "cache",
	.what = "the page cache",
	.modes = modes,
	.nmodes = sizeof(modes) / sizeof(modes[0]),
	.skel = &cache_skel_ops,
	.configure = configure,
};

/* ---- reading ------------------------------------------------------------------- */

static void counts_add(struct cache_counts *to, const struct cache_counts *d)
{
	uint64_t *t = (uint64_t *)to;
	const uint64_t *v = (const uint64_t *)d;

	for (size_t i = 0; i < CACHE_NCOUNTS; i++)
		t[i] += v[i];
}

static void counts_sub(struct cache_counts *out, const struct cache_counts *a,
		       const struct cache_counts *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	uint64_t *o = (uint64_t *)out;

	for (size_t i = 0; i < CACHE_NCOUNTS; i++)
		o[i] = x[i] >= y[i] ? x[i] - y[i] : 0;
}

int cache_read_totals(struct cache_state *s, struct cache_counts *delta)
{
	struct cache_bpf *skel = s->skel;
	int ncpu = libbpf_num_possible_cpus();
	struct cache_counts now = {}, *per;
	__u32 zero = 0;

	if (ncpu <= 0)
		return -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.totals), &zero, per)) {
		free(per);
		return -errno;
	}
	for (int c = 0; c < ncpu; c++)
		counts_add(&now, &per[c]);
	free(per);
	counts_sub(delta, &now, &s->prev);
	s->prev = now;
	counts_add(&s->total, delta);
	return 0;
}

int64_t cache_refaults(struct cache_state *s)
{
	char path[PATH_MAX + 32];
	uint64_t v;
	int64_t d;
	int err;

	if (s->run.target.memcg_id) {
		snprintf(path, sizeof(path), "%s/memory.stat", s->run.target.memcg_dir);
		err = file_keyed_u64(path, "workingset_refault_file", &v);
	} else {
		err = file_keyed_u64("/proc/vmstat", "workingset_refault_file", &v);
	}
	if (err)
		return -1;
	d = s->refault_ok ? (int64_t)(v - s->refault_prev) : -1;
	s->refault_prev = v;
	s->refault_ok = true;
	return d;
}

/* A file's path from the names the BPF side read of its dentries (struct
 * cache_name): joined under the mount point of its device when they reach
 * its root, checked to be the same inode still. */
static void file_path(struct cache_state *s, const struct cache_key *k, char *buf, size_t len)
{
	struct cache_bpf *skel = s->skel;
	unsigned major = k->a >> 20, minor = k->a & 0xfffff;
	const char *part[CACHE_PATH_DEPTH];
	char mnt[PATH_MAX];
	struct cache_name nm;
	bool rooted = false;
	struct stat st;
	size_t p = 0, at = 0;
	int n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.names), k, &nm))
		nm.buf[0] = 0;
	while (n < CACHE_PATH_DEPTH && p < sizeof(nm.buf)) {
		size_t l = strnlen(nm.buf + p, sizeof(nm.buf) - p);

		if (!l || p + l == sizeof(nm.buf))
			break;
		if (!strcmp(nm.buf + p, "/")) {
			rooted = true;
			break;
		}
		part[n++] = nm.buf + p;
		p += l + 1;
	}
	if (!n) {
		snprintf(buf, len, "dev %u:%u ino %llu", major, minor, (unsigned long long)k->b);
		return;
	}
	rooted = rooted && !proc_mount_of_dev(major, minor, mnt, sizeof(mnt));
	if (rooted)
		at = snprintf(buf, len, "%s", strcmp(mnt, "/") ? mnt : "");
	else
		at = snprintf(buf, len, "...");
	for (int i = n - 1; i >= 0 && at < len; i--)
		at += snprintf(buf + at, len - at, "/%s", part[i]);
	if (!rooted) {
		if (at < len)
			snprintf(buf + at, len - at, " (dev %u:%u ino %llu)", major, minor,
				 (unsigned long long)k->b);
		return;
	}
	if (stat(buf, &st) || st.st_ino != k->b || major(st.st_dev) != major ||
	    minor(st.st_dev) != minor)
		snprintf(buf + strlen(buf), len - strlen(buf), " (deleted)");
}

static void row_name(struct cache_state *s, struct cache_row *r, const struct cache_entity *e)
{
	const char *p;

	memcpy(r->comm, e->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = 0;
	r->uid = e->uid;
	if (r->other) {
		snprintf(r->name, sizeof(r->name), "other");
		return;
	}
	switch (s->o->by) {
	case BY_PROCESS:
		snprintf(r->name, sizeof(r->name), "%s", r->comm);
		break;
	case BY_CGROUP:
		p = s->cg_names ? memcg_names_get(s->cg_names, r->key.a) : NULL;
		if (p)
			snprintf(r->name, sizeof(r->name), "%s", p);
		else
			snprintf(r->name, sizeof(r->name), "cgroup %llu", (unsigned long long)r->key.a);
		break;
	case BY_FILE:
		file_path(s, &r->key, r->name, sizeof(r->name));
		break;
	default:
		r->name[0] = 0;
		break;
	}
}

int cache_read_rows(struct cache_state *s)
{
	struct cache_bpf *skel = s->skel;
	int fd = bpf_map__fd(skel->maps.entities);
	struct cache_key key, next, *prev = NULL;
	struct cache_entity e;

	s->nrows = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct cache_counts *last;
		struct cache_row *r;
		bool created;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &e))
			continue;
		if (s->nrows == s->caprows) {
			size_t cap = s->caprows ? 2 * s->caprows : 256;
			struct cache_row *n = realloc(s->rows, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			s->rows = n;
			s->caprows = cap;
		}
		r = &s->rows[s->nrows++];
		memset(r, 0, offsetof(struct cache_row, name));
		r->key = key;
		r->all = e.c;
		r->other = key.a == CACHE_OTHER && key.b == CACHE_OTHER;
		last = hmap_put(&s->prev_rows, (struct hkey){ key.a, key.b }, &created);
		if (!last)
			return -ENOMEM;
		counts_sub(&r->now, &e.c, last);
		*last = e.c;
		row_name(s, r, &e);
	}
	return 0;
}

uint64_t cache_pending_waste(struct cache_state *s, bool rows)
{
	struct cache_bpf *skel = s->skel;
	int fd = bpf_map__fd(skel->maps.chunks);
	struct chunk_key key, next, *prev = NULL;
	struct chunk_val v;
	uint64_t total = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		uint64_t n;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || !v.bits)
			continue;
		n = __builtin_popcountll(v.bits);
		total += n;
		for (size_t i = 0; rows && i < s->nrows; i++) {
			struct cache_row *r = &s->rows[i];
			bool mine = (s->o->by == BY_PROCESS && r->key.a == v.tgid) ||
				    (s->o->by == BY_CGROUP && r->key.a == v.memcg) ||
				    (s->o->by == BY_FILE && r->key.a == v.dev && r->key.b == v.ino);

			if (mine) {
				r->all.ra_waste += n;
				r->now.ra_waste += n;
				break;
			}
		}
	}
	return total;
}

/* ---- the run ------------------------------------------------------------------- */

static int start(struct run *r, void *ctx)
{
	struct cache_state *s = ctx;
	struct cache_cfg cfg = { .o = s->o };
	struct job_load_opts jo = { .btf_path = s->o->common.btf_path, .cfg = &cfg };
	struct cache_key other = { CACHE_OTHER, CACHE_OTHER };
	struct cache_entity none = {};
	struct cache_counts zero;
	struct job_result res;
	const char *failed = "?";
	char why[1024];
	int err;

	if (s->o->pid && (err = target_open_pid(&r->target, s->o->pid)))
		return err;
	if (s->o->cgroup && (err = target_set_cgroup(&r->target, s->o->cgroup)))
		return err;
	target_filter(&r->target, r->target.pid != 0, &cfg.filter);
	err = job_load(&job, &jo, &res);
	if (err) {
		log_error("the page cache cannot be traced here: %s; see 'memscope probe'",
			  job_explain(&res, why, sizeof(why)));
		return EXIT_FAIL;
	}
	s->skel = res.skel;
	r->obj = ((struct cache_bpf *)s->skel)->obj;
	r->mode = res.mode->name;
	err = link_set_attach_all(&r->links, r->obj, &failed);
	if (err) {
		log_error("attaching %s failed: %s", failed, strerror(-err));
		return EXIT_FAIL;
	}
	if (s->o->by != BY_NONE &&
	    bpf_map_update_elem(bpf_map__fd(((struct cache_bpf *)s->skel)->maps.entities), &other,
				&none, BPF_ANY))
		log_warn("no room for the \"other\" row: %s", strerror(errno));
	if (s->o->by == BY_CGROUP)
		s->cg_names = memcg_names_new();
	cache_read_totals(s, &zero);
	memset(&s->total, 0, sizeof(s->total));
	cache_refaults(s);
	if (s->o->top)
		top_ui_start(s);
	return 0;
}

static void attached(struct run *r, void *ctx, struct json *j)
{
	struct cache_state *s = ctx;

	if (j) {
		json_kstr(j, "tool", s->o->top ? "cachetop" : "cachestat");
		if (r->target.pid)
			json_ki64(j, "pid", r->target.pid);
		if (r->target.memcg_id) {
			json_kstr(j, "cgroup", r->target.memcg_dir);
			json_ku64(j, "cgroup_id", r->target.memcg_id);
		}
		return;
	}
	if (!s->ui)
		fprintf(stderr, "memscope: tracing the page cache (%s); Ctrl-C to stop\n", r->mode);
}

static int report(struct run *r, void *ctx, bool final)
{
	struct cache_state *s = ctx;

	return s->o->top ? cachetop_report(s, final) : cachestat_report(s, final);
}

static int summary(struct run *r, void *ctx)
{
	/* The view is still up when the final report did not end it (an output
	 * error). */
	top_ui_end(ctx);
	return cachestat_summary(ctx);
}

static int on_input(struct run *r, void *ctx)
{
	return top_ui_input(ctx);
}

static void cleanup(struct run *r, void *ctx)
{
	struct cache_state *s = ctx;

	/* A run that failed got neither final report nor summary. */
	top_ui_end(s);
	cache_bpf__destroy(s->skel);
	memcg_names_free(s->cg_names);
	hmap_free(&s->prev_rows);
	free(s->rows);
}

static const struct run_hooks hooks = {
	.start = start,
	.attached = attached,
	.report = report,
	.summary = summary,
	.on_input = on_input,
	.cleanup = cleanup,
};

static int cmd_cache(int argc, char **argv)
{
	static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, {} };
	bool top = !strcmp(argv[0], "cachetop");
	const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.args_doc = "[INTERVAL [COUNT]]",
		.doc = top ? top_doc : stat_doc,
		.children = children,
	};
	struct cache_opts o = {
		.top = top,
		.by = top ? BY_PROCESS : BY_NONE,
		.sort = COL_MISSES,
		.rows = 20,
		.interval_s = 1,
		.max_entities = 10240,
	};
	struct preflight_opts pf = { .need_btf = true };
	struct cache_state s = { .o = &o };
	int err;

	err = cli_parse(&argp, top ? "memscope cachetop" : "memscope cachestat", argc, argv, &o,
			&o.common);
	if (err)
		return err;
	pf.btf_path = o.common.btf_path;
	err = preflight(&pf);
	if (err)
		return err;
	hmap_init(&s.prev_rows, sizeof(struct cache_counts));
	json_init(&s.j, stdout);
	run_init(&s.run, &o.common);
	s.run.interval_s = o.interval_s;
	s.run.count = o.count;
	return run_tool(&s.run, &hooks, &s);
}

static const struct tool_job *const cache_jobs[] = { &job, NULL };
static const char *const aliases[] = { "cachetop", NULL };

const struct tool cachestat_tool = {
	.name = "cachestat",
	.summary = "page-cache hit ratio: system-wide (cachestat), per process, cgroup or "
		   "file (cachetop)",
	.main = cmd_cache,
	.jobs = cache_jobs,
	.aliases = aliases,
};
