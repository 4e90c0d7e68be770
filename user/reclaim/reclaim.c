// SPDX-License-Identifier: GPL-2.0
/* `memscope reclaim`: the options, the BPF object and its modes, and the
 * stall lines (drsnoop's job; -s's view is in summary.c). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
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
#include "core/log.h"
#include "core/parse.h"
#include "core/procfs.h"
#include "run/memcg.h"
#include "run/preflight.h"
#include "run/registry.h"

_Static_assert(sizeof(struct reclaim_event) == 128, "reclaim_event layout");

const char *const reclaim_kind_names[RK_NR] = {
	[RK_DIRECT] = "direct", [RK_MEMCG] = "memcg", [RK_SOFTLIMIT] = "softlimit",
	[RK_COMPACTION] = "compaction", [RK_THROTTLE] = "throttle",
};

/* enum vmscan_throttle_state (5.16+; its format names the bits by enum
 * names tracefs does not resolve). */
static const char *const throttle_names[] = { "writeback", "isolated", "noprogress",
					      "congested" };

/* ---- options ----------------------------------------------------------------- */

enum { OPT_CGROUP = 0x100, OPT_KIND, OPT_MIN_LAT, OPT_STACKS };

static const struct argp_option options[] = {
	{ "timestamp", 'T', NULL, 0, "Print a timestamp on each stall line", 0 },
	{ "pid", 'p', "PID", 0, "Only this process's stalls", 0 },
	{ "tid", 't', "TID", 0, "Only this thread's stalls", 0 },
	{ "uid", 'u', "UID", 0, "Only stalls of tasks of this user id", 0 },
	{ "name", 'n', "NAME", 0, "Only tasks whose name contains NAME", 0 },
	{ "duration", 'd', "SECONDS", 0, "Trace for this long, then stop", 0 },
	{ "extended", 'e', NULL, 0, "Also the free memory when each stall began", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Only stalls of tasks in this memory cgroup or below it (a directory of the "
	  "memory hierarchy, or a path as /proc/PID/cgroup shows it)", 0 },
	{ "kind", OPT_KIND, "KINDS", 0,
	  "Only these kinds, comma-separated: direct, memcg, softlimit, compaction, "
	  "throttle, all (default)", 0 },
	{ "min-latency", OPT_MIN_LAT, "USEC", 0, "Only stalls at least this long", 0 },
	{ "stacks", OPT_STACKS, NULL, 0,
	  "Also the kernel and user stacks of the stalled allocations, added up and "
	  "symbolized, at the end", 0 },
	{ "summary", 's', NULL, 0,
	  "Per process and cgroup: stalls, time stalled, pages reclaimed, a latency "
	  "histogram; and the system each INTERVAL (kswapd, scans, swap, PSI)", 0 },
	{},
};

static const char doc[] =
	"Reclaim stalls: tasks that waited to reclaim memory themselves (direct reclaim "
	"at the system's low watermark, memcg reclaim at their cgroup's limit, soft-limit "
	"reclaim), in direct compaction, or throttled by reclaim; one line per stall as it "
	"ends. With -s, a summary every INTERVAL seconds (default 1), COUNT times.\v"
	"Columns: LAT(ms) how long it stalled; PAGES pages it reclaimed (\"0!\": none, "
	"no progress); FILE and ANON pages reclaimed from the inactive file and anon "
	"lists; ORDER and GFP the allocation's; CGROUP the task's memory cgroup.\n\n"
	"Examples:\n"
	"  memscope reclaim                       # every stall\n"
	"  memscope reclaim -T --min-latency 1000 # stalls of 1 ms or more, timestamped\n"
	"  memscope reclaim --cgroup /sys/fs/cgroup/db --kind memcg\n"
	"  memscope reclaim -s 5                  # a summary every 5 s\n"
	"  memscope reclaim -j                    # JSON Lines";

static int parse_kinds(const char *arg, unsigned *kinds)
{
	char buf[128], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", arg);
	*kinds = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		if (!strcmp(tok, "all")) {
			*kinds = (1u << RK_NR) - 1;
			continue;
		}
		for (k = 0; k < RK_NR && strcmp(tok, reclaim_kind_names[k]); k++)
			;
		if (k == RK_NR)
			return -EINVAL;
		*kinds |= 1u << k;
	}
	return *kinds ? 0 : -EINVAL;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct reclaim_opts *o = state->input;
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
	case 't':
		if (parse_pid(arg, &o->tid))
			argp_error(state, "invalid TID '%s'", arg);
		return 0;
	case 'u':
		if (parse_u64(arg, 0, UINT32_MAX - 1, &v))
			argp_error(state, "invalid UID '%s'", arg);
		o->uid = v;
		return 0;
	case 'n':
		if (!*arg)
			argp_error(state, "-n takes a non-empty name");
		o->name = arg;
		return 0;
	case 'd':
		if (parse_u64(arg, 1, UINT_MAX, &v))
			argp_error(state, "invalid duration '%s' (seconds, 1 or more)", arg);
		o->duration_s = v;
		return 0;
	case 'e':
		o->extended = true;
		return 0;
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	case OPT_KIND:
		if (parse_kinds(arg, &o->kinds))
			argp_error(state, "--kind takes direct, memcg, softlimit, compaction, "
				   "throttle or all (comma-separated), not '%s'", arg);
		return 0;
	case OPT_MIN_LAT:
		if (parse_u64(arg, 0, UINT64_MAX / 1000, &o->min_latency_us))
			argp_error(state, "invalid --min-latency '%s' (microseconds)", arg);
		return 0;
	case 's':
		o->summary = true;
		return 0;
	case OPT_STACKS:
		o->stacks = true;
		return 0;
	case ARGP_KEY_ARG:
		cli_interval_arg(state, arg, &o->npositional, &o->interval_s, &o->count);
		return 0;
	case ARGP_KEY_END:
		if (o->npositional && !o->summary)
			argp_error(state, "INTERVAL and COUNT are for the summary (-s)");
		if (o->pid && o->tid)
			argp_error(state, "-p and -t do not go together");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* ---- the BPF object ------------------------------------------------------------- */

DEFINE_SKEL_OPS(reclaim_skel_ops, reclaim_bpf);

/* What the programs read by position (all scalars but the first argument
 * of the compaction events, read with CO-RE). */
static const struct tp_contract contracts[] = {
	{ "vmscan", "mm_vmscan_direct_reclaim_begin", "int, gfp_t" },
	{ "vmscan", "mm_vmscan_memcg_reclaim_begin", "int, gfp_t" },
	{ "vmscan", "mm_vmscan_memcg_softlimit_reclaim_begin", "int, gfp_t" },
	{ "vmscan", "mm_vmscan_direct_reclaim_end", "long unsigned int" },
	{ "vmscan", "mm_vmscan_memcg_reclaim_end", "long unsigned int" },
	{ "vmscan", "mm_vmscan_memcg_softlimit_reclaim_end", "long unsigned int" },
	{ "vmscan", "mm_vmscan_lru_shrink_inactive", "int, long unsigned int, long unsigned int, "
	  "struct reclaim_stat *, int, int" },
	{ "vmscan", "mm_vmscan_throttled", "int, int, int, int" },
	{ "vmscan", "mm_vmscan_kswapd_wake", "int, int, int" },
	{ "vmscan", "mm_vmscan_kswapd_sleep", "int" },
	{ "compaction", "mm_compaction_begin", "struct compact_control *, long unsigned int, "
	  "long unsigned int, bool" },
	{ "compaction", "mm_compaction_end", "struct compact_control *, long unsigned int, "
	  "long unsigned int, bool, int" },
	{},
};

static const char *const tp_btf_secs[] = { "tp_btf/", NULL };
static const char *const raw_tp_secs[] = { "raw_tp/", NULL };
/* Throttling is 5.16+, compaction needs CONFIG_COMPACTION: without them
 * the rest still runs. */
static const char *const optional[] = {
	"tp_btf/mm_vmscan_throttled", "raw_tp/mm_vmscan_throttled",
	"tp_btf/mm_compaction_begin", "tp_btf/mm_compaction_end",
	"raw_tp/mm_compaction_begin", "raw_tp/mm_compaction_end", NULL,
};

static const struct tool_mode modes[] = {
	{ "tp_btf", PROBE_TP_BTF, "vmscan and compaction tracepoints, typed arguments",
	  tp_btf_secs, contracts, optional },
	{ "raw_tp", PROBE_RAW_TP, "vmscan and compaction tracepoints, raw arguments",
	  raw_tp_secs, contracts, optional },
};

struct reclaim_cfg {
	const struct reclaim_opts *o;
	struct target_filter filter;
	int nr_nodes;
};

static int configure(void *p, const struct tool_mode *mode, const void *cfgp)
{
	const struct reclaim_cfg *cfg = cfgp;
	struct reclaim_bpf *s = p;

	(void)mode;
	s->rodata->self_tgid = getpid();
	s->rodata->nr_nodes = cfg ? cfg->nr_nodes : 1;
	/* The stack store is for --stacks only. */
	bpf_map__set_max_entries(s->maps.stacks, cfg && cfg->o->stacks ? 8192 : 1);
	if (!cfg)
		return 0;
	TARGET_FILTER_APPLY(s, &cfg->filter);
	s->rodata->want_free = cfg->o->extended;
	s->rodata->want_stacks = cfg->o->stacks;
	return 0;
}

static const struct tool_job job = {
	.name = "reclaim",
	.what = "memory reclaim",
	.modes = modes,
	.nmodes = sizeof(modes) / sizeof(modes[0]),
	.skel = &reclaim_skel_ops,
	.configure = configure,
};

/* Possible nodes: "0" or "0-3" in /sys/devices/system/node/possible. */
static int possible_nodes(void)
{
	char buf[64], *dash;
	ssize_t n = read_file_str("/sys/devices/system/node/possible", buf, sizeof(buf));
	long last;

	if (n <= 0)
		return 1;
	dash = strrchr(buf, '-');
	last = strtol(dash ? dash + 1 : buf, NULL, 10);
	return last >= 0 && last < RECLAIM_MAX_NODES ? (int)last + 1 : RECLAIM_MAX_NODES;
}

/* ---- stalls -------------------------------------------------------------------- */

const char *reclaim_cgroup(struct reclaim_state *s, uint64_t id)
{
	const char *p = s->cg_names && id ? memcg_names_get(s->cg_names, id) : NULL;

	return p ? p : "-";
}

static bool wanted(const struct reclaim_state *s, const struct reclaim_event *e)
{
	const struct reclaim_opts *o = s->o;
	char comm[17];

	if (!(o->kinds & (1u << e->kind)))
		return false;
	if (o->tid && e->tid != (__u32)o->tid)
		return false;
	if (o->uid >= 0 && e->uid != (__u32)o->uid)
		return false;
	if (e->latency_ns < o->min_latency_us * 1000)
		return false;
	memcpy(comm, e->comm, 16);
	comm[16] = 0;
	return !o->name || strstr(comm, o->name);
}

static const char *status_text(struct reclaim_state *s, const struct reclaim_event *e,
			       char *buf, size_t len)
{
	const char *n;

	buf[0] = 0;
	if (e->kind == RK_COMPACTION) {
		n = flag_names_symbol(&s->compact, e->status);
		if (n)
			snprintf(buf, len, "%s", n);
		else
			snprintf(buf, len, "status %u", e->status);
	} else if (e->kind == RK_THROTTLE) {
		if (e->status < sizeof(throttle_names) / sizeof(throttle_names[0]))
			snprintf(buf, len, "%s", throttle_names[e->status]);
		else
			snprintf(buf, len, "reason %u", e->status);
	} else if (!e->nr_reclaimed) {
		snprintf(buf, len, "no progress");
	}
	return buf;
}

static void event_json(struct reclaim_state *s, const struct reclaim_event *e, const char *ts)
{
	struct json *j = &s->j;
	char gfp[512], st[64];

	json_obj_begin(j);
	json_kstr(j, "type", "stall");
	if (ts)
		json_kstr(j, "time", ts);
	json_ku64(j, "ts_ns", e->ts_ns);
	json_kstr(j, "kind", reclaim_kind_names[e->kind]);
	json_ku64(j, "pid", e->pid);
	json_ku64(j, "tid", e->tid);
	json_ku64(j, "uid", e->uid);
	json_key(j, "comm");
	json_strn(j, e->comm, strnlen(e->comm, sizeof(e->comm)));
	json_kstr(j, "cgroup", reclaim_cgroup(s, e->memcg_id));
	json_ku64(j, "cgroup_id", e->memcg_id);
	json_kdouble(j, "latency_us", e->latency_ns / 1000.0);
	if (e->kind <= RK_SOFTLIMIT) {
		json_ku64(j, "nr_reclaimed", e->nr_reclaimed);
		json_kbool(j, "no_progress", !e->nr_reclaimed);
		json_ku64(j, "reclaimed_file", e->reclaimed[1]);
		json_ku64(j, "reclaimed_anon", e->reclaimed[0]);
		json_ku64(j, "scanned_file", e->scanned[1]);
		json_ku64(j, "scanned_anon", e->scanned[0]);
	}
	if (e->kind != RK_THROTTLE) {
		json_ki64(j, "order", e->order);
		json_kstr(j, "gfp", flag_names_format(&s->gfp, e->gfp, gfp, sizeof(gfp)));
		json_ku64(j, "gfp_flags", e->gfp);
	}
	if (e->kind == RK_COMPACTION || e->kind == RK_THROTTLE)
		json_kstr(j, e->kind == RK_THROTTLE ? "reason" : "result",
			  status_text(s, e, st, sizeof(st)));
	if (s->o->extended) {
		json_key(j, "free_kb");
		if (e->free_pages != ~0ULL)
			json_u64(j, e->free_pages * (getpagesize() / 1024));
		else
			json_null(j);
	}
	json_obj_end(j);
	json_end_record(j);
}

static void event_text(struct reclaim_state *s, const struct reclaim_event *e, const char *ts)
{
	char gfp[512], st[64], pages[24], comm[68], cg[4096];

	if (!s->header_done) {
		printf("%s%-16s %-7s %-7s %-10s %9s %7s %6s %6s %5s%s %-24s %s\n",
		       s->o->timestamps ? "TIME     " : "", "COMM", "PID", "TID", "KIND", "LAT(ms)",
		       "PAGES", "FILE", "ANON", "ORDER", s->o->extended ? "  FREE(KB)" : "",
		       "CGROUP", "GFP");
		s->header_done = true;
	}
	/* Names the traced tasks chose: escaped for the terminal. */
	text_safe_n(e->comm, sizeof(e->comm), comm, sizeof(comm));
	if (e->kind <= RK_SOFTLIMIT)
		snprintf(pages, sizeof(pages), "%llu%s", (unsigned long long)e->nr_reclaimed,
			 e->nr_reclaimed ? "" : "!");
	else
		snprintf(pages, sizeof(pages), "-");
	if (ts)
		printf("%-8s ", ts);
	printf("%-16s %-7u %-7u %-10s %9.3f %7s", comm, e->pid, e->tid, reclaim_kind_names[e->kind],
	       e->latency_ns / 1e6, pages);
	if (e->kind <= RK_SOFTLIMIT)
		printf(" %6llu %6llu", (unsigned long long)e->reclaimed[1],
		       (unsigned long long)e->reclaimed[0]);
	else
		printf(" %6s %6s", "-", "-");
	if (e->kind != RK_THROTTLE)
		printf(" %5d", e->order);
	else
		printf(" %5s", "-");
	if (s->o->extended) {
		if (e->free_pages != ~0ULL)
			printf(" %9llu", (unsigned long long)e->free_pages * (getpagesize() / 1024));
		else
			printf(" %9s", "-");
	}
	printf(" %-24s %s", text_safe(reclaim_cgroup(s, e->memcg_id), cg, sizeof(cg)), e->kind == RK_THROTTLE ? "-" :
	       flag_names_format(&s->gfp, e->gfp, gfp, sizeof(gfp)));
	status_text(s, e, st, sizeof(st));
	printf("%s%s\n", st[0] ? "  " : "", st);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct reclaim_state *s = ctx;
	const struct reclaim_event *e = data;
	char ts[40];

	if (len < sizeof(*e) || e->kind >= RK_NR || !wanted(s, e))
		return 0;
	s->events++;
	stacks_add(s, e);
	if (s->o->summary) {
		summary_add(s, e);
		return 0;
	}
	if (s->o->timestamps || s->o->common.json) {
		time_t t = time(NULL);

		strftime(ts, sizeof(ts), s->o->common.json ? "%Y-%m-%dT%H:%M:%S%z" : "%H:%M:%S",
			 localtime(&t));
	}
	if (s->o->common.json)
		event_json(s, e, s->o->timestamps ? ts : NULL);
	else
		event_text(s, e, s->o->timestamps ? ts : NULL);
	if (fflush(stdout))
		return run_output_error(&s->run, -errno);
	return 0;
}

/* ---- the run ------------------------------------------------------------------- */

static int start(struct run *r, void *ctx)
{
	struct reclaim_state *s = ctx;
	struct reclaim_cfg cfg = { .o = s->o, .nr_nodes = possible_nodes() };
	struct job_load_opts jo = { .btf_path = s->o->common.btf_path, .cfg = &cfg };
	struct job_result res;
	const char *failed = "?";
	char why[1024];
	int err;

	if (s->o->pid && (err = target_open_pid(&r->target, s->o->pid)))
		return err;
	if (s->o->tid && kill(s->o->tid, 0) && errno == ESRCH) {
		log_error("no thread %d", s->o->tid);
		return EXIT_FAIL;
	}
	if (s->o->cgroup && (err = target_set_cgroup(&r->target, s->o->cgroup)))
		return err;
	target_filter(&r->target, r->target.pid != 0, &cfg.filter);
	err = job_load(&job, &jo, &res);
	if (err) {
		log_error("memory reclaim cannot be traced here: %s; see 'memscope probe'",
			  job_explain(&res, why, sizeof(why)));
		return EXIT_FAIL;
	}
	s->skel = res.skel;
	s->nr_nodes = cfg.nr_nodes;
	r->obj = ((struct reclaim_bpf *)s->skel)->obj;
	r->mode = res.mode->name;
	r->events_fd = bpf_map__fd(((struct reclaim_bpf *)s->skel)->maps.events);
	err = link_set_attach_all(&r->links, r->obj, &failed);
	if (err) {
		log_error("attaching %s failed: %s", failed, strerror(-err));
		return EXIT_FAIL;
	}
	s->cg_names = memcg_names_new();
	if (flag_names_load("vmscan", "mm_vmscan_direct_reclaim_begin", "__print_flags",
			    "gfp_flags", &s->gfp))
		log_info("no gfp flag names from tracefs: flags shown in hex");
	flag_names_load("compaction", "mm_compaction_end", "__print_symbolic", "status",
			&s->compact);
	if (s->o->stacks)
		s->ksyms = ksyms_new();
	summary_start(s);
	return 0;
}

static void attached(struct run *r, void *ctx, struct json *j)
{
	struct reclaim_state *s = ctx;

	if (j) {
		json_kstr(j, "tool", "reclaim");
		if (r->target.pid)
			json_ki64(j, "pid", r->target.pid);
		if (r->target.memcg_id) {
			json_kstr(j, "cgroup", r->target.memcg_dir);
			json_ku64(j, "cgroup_id", r->target.memcg_id);
		}
		return;
	}
	fprintf(stderr, "memscope: tracing reclaim stalls (%s); Ctrl-C to stop\n", r->mode);
	(void)s;
}

static int report(struct run *r, void *ctx, bool final)
{
	struct reclaim_state *s = ctx;

	(void)r;
	return s->o->summary ? summary_report(s, final) : 0;
}

static int summary(struct run *r, void *ctx)
{
	int err = stacks_report(ctx);

	return err ? err : reclaim_summary(ctx);
}

static void cleanup(struct run *r, void *ctx)
{
	struct reclaim_state *s = ctx;

	(void)r;
	reclaim_bpf__destroy(s->skel);
	memcg_names_free(s->cg_names);
	flag_names_free(&s->gfp);
	flag_names_free(&s->compact);
	summary_free(s);
	stacks_free(s);
}

static const struct run_hooks hooks = {
	.start = start,
	.on_event = on_event,
	.attached = attached,
	.report = report,
	.summary = summary,
	.cleanup = cleanup,
};

static int cmd_reclaim(int argc, char **argv)
{
	static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, {} };
	const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.args_doc = "[INTERVAL [COUNT]]",
		.doc = doc,
		.children = children,
	};
	struct reclaim_opts o = { .uid = -1, .kinds = (1u << RK_NR) - 1 };
	struct preflight_opts pf = { .need_btf = true };
	struct reclaim_state s = { .o = &o };
	int err;

	err = cli_parse(&argp, "memscope reclaim", argc, argv, &o, &o.common);
	if (err)
		return err;
	pf.btf_path = o.common.btf_path;
	err = preflight(&pf);
	if (err)
		return err;
	hmap_init(&s.procs, sizeof(struct reclaim_row));
	hmap_init(&s.cgroups, sizeof(struct reclaim_row));
	stacks_init(&s);
	json_init(&s.j, stdout);
	run_init(&s.run, &o.common);
	if (o.summary) {
		s.run.interval_s = o.interval_s ? o.interval_s : 1;
		s.run.count = o.count;
		if (o.duration_s) {
			unsigned n = (o.duration_s + s.run.interval_s - 1) / s.run.interval_s;

			s.run.count = s.run.count && s.run.count < n ? s.run.count : n;
		}
	} else if (o.duration_s) {
		/* One (silent) report when the duration is up ends the run. */
		s.run.interval_s = o.duration_s;
		s.run.count = 1;
	}
	return run_tool(&s.run, &hooks, &s);
}

static const struct tool_job *const reclaim_jobs[] = { &job, NULL };
static const char *const aliases[] = { "drsnoop", NULL };

const struct tool reclaim_tool = {
	.name = "reclaim",
	.summary = "reclaim stalls (direct, memcg, compaction, throttling) with who, how long, "
		   "what was reclaimed; -s: per process/cgroup and kswapd, swap, PSI",
	.main = cmd_reclaim,
	.jobs = reclaim_jobs,
	.aliases = aliases,
};
