// SPDX-License-Identifier: GPL-2.0
/* `memscope oom`: every OOM kill with the victim, the trigger, the decision
 * (constraint, memory cgroup, totalpages, the victim's points) and the
 * numbers behind its badness, then what became of its memory (the OOM
 * reaper, its exit). A kill is printed once its story is complete: the
 * victim exited and the reaper finished, skipped it, or was not needed. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "oom.h"
#include "oom.skel.h"
#include "oomc.skel.h"
#include "core/fmt.h"
#include "core/cli.h"
#include "core/json.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/procfs.h"
#include "run/counters.h"
#include "run/memcg.h"
#include "run/preflight.h"
#include "run/registry.h"
#include "run/tool.h"
#include "syms/frames.h"

_Static_assert(sizeof(struct oom_task) == 88, "oom_task layout");
_Static_assert(sizeof(struct oom_candidate) == 96, "oom_candidate layout");
_Static_assert(sizeof(struct oom_kill_rec) == 272 + 8 + 96 * OOM_MAX_CANDIDATES,
	       "oom_kill_rec layout");

/* The reaper is woken 2 s after the kill (OOM_REAPER_DELAY) unless the
 * victim freed its memory by then: a story is complete 3 s after the
 * victim's exit without a wake, or 10 s after the kill at the latest. */
#define NO_WAKE_NS (3ULL * 1000000000)
#define STORY_MAX_NS (10ULL * 1000000000)

static const char *const constraints[] = { "global", "cpuset", "mempolicy", "memcg" };

struct oom_opts {
	struct common_opts common;
	const char *cgroup;
	bool timestamps, stacks;
	unsigned duration_s, max_kills;
	unsigned candidates;	/* --candidates N, up to OOM_MAX_CANDIDATES */
};

struct pending {
	struct oom_kill_rec k;
	uint64_t wake, start, finish, skip, exit;	/* ns, 0: not seen */
	char when[40];
	/* Read as the kill arrives: the victim's process and a memcg removed
	 * once it is over take their names with them. */
	char cg_victim[256], cg_trigger[256], cg_oom[256];
	struct frames *kstack, *ustack;		/* --stacks, symbolized */
	struct usyms *us;	/* what ustack's names point into */
	bool used;
};

#define MAX_PENDING 64

struct oom_state {
	const struct oom_opts *o;
	struct run run;
	struct json j;
	void *skel;
	const struct tool_job *job;	/* the job loaded */
	int stacks_fd, victims_fd;
	struct memcg_names *cg_names;
	struct ksyms *ksyms;
	uint64_t total_g;	/* global totalpages: RAM + swap, pages */
	unsigned kills;
	struct pending p[MAX_PENDING];
};

/* ---- options ----------------------------------------------------------------- */

enum { OPT_CGROUP = 0x100, OPT_COUNT, OPT_STACKS, OPT_CANDIDATES };

static const struct argp_option options[] = {
	{ "timestamp", 'T', NULL, 0, "Print the time of each kill", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Only kills invoked by tasks of this memory cgroup or below it", 0 },
	{ "duration", 'd', "SECONDS", 0, "Trace for this long, then stop", 0 },
	{ "count", OPT_COUNT, "N", 0, "Stop after N kills", 0 },
	{ "stacks", OPT_STACKS, NULL, 0, "Also the trigger's kernel and user stacks", 0 },
	{ "candidates", OPT_CANDIDATES, "N", 0,
	  "Show the N tasks with the most points (default 5, at most 8; 0: none)", 0 },
	{},
};

static const char doc[] =
	"Every OOM kill: the victim, the task whose allocation invoked the OOM killer, "
	"the constraint and memory cgroup, and the numbers behind the victim's badness "
	"(rss + swap + page tables + oom_score_adj x totalpages/1000), as the kernel "
	"computed them; then the OOM reaper and the victim's exit.\v"
	"Examples:\n"
	"  memscope oom                        # every kill, until Ctrl-C\n"
	"  memscope oom -T --stacks            # with time and the trigger's stacks\n"
	"  memscope oom --cgroup /sys/fs/cgroup/app --count 1\n"
	"  memscope oom -j                     # JSON Lines";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct oom_opts *o = state->input;
	uint64_t v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		return 0;
	case 'T':
		o->timestamps = true;
		return 0;
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	case 'd':
		if (parse_u64(arg, 1, UINT_MAX, &v))
			argp_error(state, "invalid duration '%s' (seconds, 1 or more)", arg);
		o->duration_s = v;
		return 0;
	case OPT_COUNT:
		if (parse_u64(arg, 1, UINT_MAX, &v))
			argp_error(state, "invalid --count '%s' (1 or more)", arg);
		o->max_kills = v;
		return 0;
	case OPT_STACKS:
		o->stacks = true;
		return 0;
	case OPT_CANDIDATES:
		if (parse_u64(arg, 0, OOM_MAX_CANDIDATES, &v))
			argp_error(state, "--candidates takes 0 to %d", OOM_MAX_CANDIDATES);
		o->candidates = v;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* ---- the BPF object ------------------------------------------------------------- */

DEFINE_SKEL_OPS(oom_skel_ops, oom_bpf);
DEFINE_SKEL_OPS(oomc_skel_ops, oomc_bpf);

static const struct tp_contract contracts[] = {
	{ "oom", "mark_victim", "struct task_struct *" },
	{ "oom", "wake_reaper", "int" },
	{ "oom", "start_task_reaping", "int" },
	{ "oom", "finish_task_reaping", "int" },
	{ "oom", "skip_task_reaping", "int" },
	{ "sched", "sched_process_exit", "struct task_struct *" },
	{},
};

#define REAPER_SECS "tp_btf/wake_reaper", "tp_btf/start_task_reaping", \
	"tp_btf/finish_task_reaping", "tp_btf/skip_task_reaping", "tp_btf/sched_process_exit"

static const char *const tp_btf_secs[] = { "tp_btf/", NULL };
static const char *const fentry_secs[] = { "fentry/oom_kill_process", REAPER_SECS, NULL };
static const char *const kprobe_secs[] = { "kprobe/oom_kill_process", REAPER_SECS, NULL };

/* tp_btf first: it needs neither fentry nor kprobes (our 6.18 host allows
 * neither) and sees every victim marked; the decision is then found on
 * the trigger's stack. fentry and kprobes read it from oom_kill_process()'s
 * argument, for kernels whose mark_victim passes only a pid. */
#define OOM_MODES(what)										\
	{ "tp_btf", PROBE_TP_BTF, "oom:mark_victim with the victim's task" what ", the "	\
	  "reaper's tracepoints", tp_btf_secs, contracts },					\
	{ "fentry", PROBE_FENTRY, "fentry on oom_kill_process" what ", the reaper's "		\
	  "tracepoints", fentry_secs, contracts },						\
	{ "kprobe", PROBE_KPROBE, "kprobe on oom_kill_process" what ", the reaper's "		\
	  "tracepoints", kprobe_secs, contracts }

static const struct tool_mode cand_modes[] = {
	OOM_MODES(" and the candidates (task iterator, 6.7+)"),
};

static const struct tool_mode basic_modes[] = {
	OOM_MODES(""),
};

struct oom_cfg {
	const struct oom_opts *o;
	struct target_filter filter;
};

/* The two objects differ only by the candidates: the same rodata. */
#define OOM_CONFIGURE(name, type)							\
	static int name(void *p, const struct tool_mode *mode, const void *cfgp)	\
	{										\
		const struct oom_cfg *cfg = cfgp;					\
		struct type *s = p;							\
											\
		s->rodata->self_tgid = getpid();					\
		bpf_map__set_max_entries(s->maps.stacks,				\
					 cfg && cfg->o->stacks ? 1024 : 1);		\
		if (!cfg)								\
			return 0;							\
		TARGET_FILTER_APPLY(s, &cfg->filter);					\
		s->rodata->want_stacks = cfg->o->stacks;				\
		return 0;								\
	}
OOM_CONFIGURE(configure_basic, oom_bpf)
OOM_CONFIGURE(configure_cand, oomc_bpf)

static const struct tool_job job_cand = {
	.name = "oom",
	.what = "the OOM killer",
	.modes = cand_modes,
	.nmodes = sizeof(cand_modes) / sizeof(cand_modes[0]),
	.skel = &oomc_skel_ops,
	.configure = configure_cand,
};

/* Kernels without the task iterator (6.1): no candidates. */
static const struct tool_job job_basic = {
	.name = "oom-basic",
	.what = "the OOM killer, without the candidates",
	.modes = basic_modes,
	.nmodes = sizeof(basic_modes) / sizeof(basic_modes[0]),
	.skel = &oom_skel_ops,
	.configure = configure_basic,
};

/* ---- badness -------------------------------------------------------------------- */

static int64_t rss_pages(const struct oom_task *t)
{
	return t->rss[0] + t->rss[1] + t->rss[3];
}

/* oom_badness(): rss + swap entries + page tables, plus oom_score_adj in
 * thousandths of totalpages (the kernel divides first); LONG_MIN for an
 * unkillable task (adj -1000), here INT64_MIN. */
static int64_t badness(const struct oom_task *t, uint64_t totalpages)
{
	if (t->oom_score_adj == -1000)
		return INT64_MIN;
	return rss_pages(t) + t->rss[2] + (int64_t)(t->pgtables_bytes / 4096) +
	       (int64_t)t->oom_score_adj * (int64_t)(totalpages / 1000);
}

/* /proc/PID/oom_score: the badness against the machine's totalpages,
 * scaled into [0, 2000] (proc_oom_score()). */
static int64_t oom_score(const struct oom_task *t, uint64_t total_g)
{
	int64_t b = badness(t, total_g);

	if (b == INT64_MIN || !total_g)
		return 0;
	return (1000 + b * 1000 / (int64_t)total_g) * 2 / 3;
}

/* ---- output --------------------------------------------------------------------- */

static const char *cgroup_name(struct oom_state *s, uint64_t id)
{
	const char *p = id && s->cg_names ? memcg_names_get(s->cg_names, id) : NULL;

	return p ? p : "-";
}

static void task_json(struct oom_state *s, const char *key, const struct oom_task *t,
		      uint64_t totalpages, const char *cg)
{
	struct json *j = &s->j;
	int64_t b = badness(t, totalpages);

	json_key(j, key);
	json_obj_begin(j);
	json_ku64(j, "pid", t->pid);
	json_ku64(j, "tid", t->tid);
	json_ku64(j, "uid", t->uid);
	json_key(j, "comm");
	json_strn(j, t->comm, strnlen(t->comm, sizeof(t->comm)));
	json_kstr(j, "cgroup", cg);
	json_ki64(j, "oom_score_adj", t->oom_score_adj);
	json_ku64(j, "total_vm_kb", t->total_vm * 4);
	json_ki64(j, "anon_rss_kb", t->rss[1] * 4);
	json_ki64(j, "file_rss_kb", t->rss[0] * 4);
	json_ki64(j, "shmem_rss_kb", t->rss[3] * 4);
	json_ki64(j, "swap_kb", t->rss[2] * 4);
	json_ku64(j, "pgtables_kb", t->pgtables_bytes / 1024);
	json_ki64(j, "rss_pages", rss_pages(t));
	json_key(j, "badness");
	if (totalpages && b != INT64_MIN)
		json_i64(j, b);
	else
		json_null(j);
	json_kbool(j, "unkillable", t->oom_score_adj == -1000);
	json_ki64(j, "oom_score", oom_score(t, s->total_g));
	json_obj_end(j);
}

/* The stack store's stack id, symbolized (NULL when not kept). A user
 * stack's names live in the process's symbols, which are kept in *keep
 * (NULL for a kernel stack) until the frames are printed. */
static struct frames *stack_frames(struct oom_state *s, int32_t id, pid_t pid,
				   struct usyms **keep)
{
	struct frames *fr = malloc(sizeof(*fr));
	struct usyms *us = keep ? usyms_new(pid) : NULL;

	if (fr && !frames_of_stack(s->stacks_fd, id, keep != NULL, us, s->ksyms, 0, fr)) {
		free(fr);
		fr = NULL;
	}
	if (keep && fr)
		*keep = us;
	else
		usyms_free(us);
	return fr;
}

static void stack_json(struct json *j, const char *key, const struct frames *fr)
{
	json_key(j, key);
	json_arr_begin(j);
	for (int i = 0; fr && i < fr->n; i++)
		frame_json(j, &fr->f[i]);
	json_arr_end(j);
}

static void stack_text(const char *what, const struct frames *fr)
{
	if (!fr)
		return;
	printf("  trigger's %s stack:\n", what);
	for (int i = 0; i < fr->n; i++)
		frame_print(stdout, i, &fr->f[i]);
}

static double ms_after(uint64_t t, uint64_t t0)
{
	return t ? (double)(t - t0) / 1e6 : -1;
}

static void kill_json(struct oom_state *s, const struct pending *p)
{
	const struct oom_kill_rec *k = &p->k;
	uint64_t total = k->oc.found ? k->oc.totalpages : 0;
	struct json *j = &s->j;
	char gfp[32];

	json_obj_begin(j);
	json_kstr(j, "type", "oom_kill");
	json_kstr(j, "time", p->when);
	json_ku64(j, "ts_ns", k->ts_ns);
	task_json(s, "victim", &k->victim, total, p->cg_victim);
	task_json(s, "trigger", &k->trigger, total, p->cg_trigger);
	json_kbool(j, "trigger_is_victim", k->trigger.pid == k->victim.pid);
	json_kbool(j, "decision_found", k->oc.found);
	if (k->oc.found) {
		json_kstr(j, "constraint", constraints[k->oc.constraint & 3]);
		json_ku64(j, "totalpages", k->oc.totalpages);
		json_ki64(j, "chosen_points", k->oc.chosen_points);
		json_ki64(j, "order", k->oc.order);
		snprintf(gfp, sizeof(gfp), "%#llx", (unsigned long long)k->oc.gfp);
		json_kstr(j, "gfp_flags", gfp);
		json_key(j, "memcg");
		if (k->oc.memcg_id) {
			json_obj_begin(j);
			json_kstr(j, "path", p->cg_oom);
			json_ku64(j, "id", k->oc.memcg_id);
			json_ku64(j, "limit_kb", k->oc.memcg_max * 4);
			json_ku64(j, "usage_kb", k->oc.memcg_usage * 4);
			json_obj_end(j);
		} else {
			json_null(j);
		}
	}
	/* false where the kernel has no task iterator (6.1): no candidates */
	json_kbool(j, "candidates_read", s->job == &job_cand);
	if (s->job == &job_cand) {
		json_ku64(j, "candidates_scanned", k->cand_scanned);
		json_ku64(j, "candidates_eligible", k->cand_eligible);
		json_key(j, "candidates");
		json_arr_begin(j);
		for (__u32 i = 0; i < k->ncand && i < s->o->candidates; i++) {
			const struct oom_candidate *c = &k->cand[i];

			json_obj_begin(j);
			json_ku64(j, "pid", c->t.pid);
			json_key(j, "comm");
			json_strn(j, c->t.comm, strnlen(c->t.comm, sizeof(c->t.comm)));
			json_ki64(j, "oom_score_adj", c->t.oom_score_adj);
			json_ki64(j, "rss_kb", rss_pages(&c->t) * 4);
			json_ki64(j, "swap_kb", c->t.rss[2] * 4);
			json_ku64(j, "pgtables_kb", c->t.pgtables_bytes / 1024);
			json_kbool(j, "unkillable", c->points == INT64_MIN);
			json_ki64(j, "oom_score", oom_score(&c->t, s->total_g));
			json_key(j, "points");
			if (c->points == INT64_MIN)
				json_null(j);
			else
				json_i64(j, c->points);
			json_kbool(j, "victim", c->t.tid == k->victim.tid || c->t.pid == k->victim.pid);
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	json_key(j, "reaper");
	json_obj_begin(j);
	{
		static const char *const keys[] = { "wake_ms", "start_ms", "finish_ms", "skip_ms",
						    "victim_exit_ms" };
		const uint64_t at[] = { p->wake, p->start, p->finish, p->skip, p->exit };

		/* Milliseconds after the kill; null: not seen. */
		for (int i = 0; i < 5; i++) {
			json_key(j, keys[i]);
			if (at[i])
				json_double(j, ms_after(at[i], k->ts_ns));
			else
				json_null(j);
		}
	}
	json_kbool(j, "victim_exiting_at_kill", k->victim_exiting);
	json_obj_end(j);
	if (s->o->stacks) {
		stack_json(j, "trigger_kernel_stack", p->kstack);
		stack_json(j, "trigger_user_stack", p->ustack);
	}
	json_obj_end(j);
	json_end_record(j);
}

static void task_line(struct oom_state *s, const char *what, const struct oom_task *t,
		      uint64_t totalpages, const char *cg)
{
	char comm[68], safe[4096];
	int64_t b = badness(t, totalpages);

	/* Names the tasks chose (comm, cgroup): escaped for the terminal. */
	text_safe_n(t->comm, sizeof(t->comm), comm, sizeof(comm));
	printf("  %-8s %s (pid %u, tid %u, uid %u) in %s\n", what, comm, t->pid, t->tid, t->uid,
	       text_safe(cg, safe, sizeof(safe)));
	printf("           rss %lld kB (anon %lld, file %lld, shmem %lld), swap %lld kB, page "
	       "tables %llu kB, total-vm %llu kB, oom_score_adj %d",
	       (long long)rss_pages(t) * 4, (long long)t->rss[1] * 4, (long long)t->rss[0] * 4,
	       (long long)t->rss[3] * 4, (long long)t->rss[2] * 4,
	       (unsigned long long)t->pgtables_bytes / 1024, (unsigned long long)t->total_vm * 4,
	       t->oom_score_adj);
	if (t->oom_score_adj == -1000)
		printf("; unkillable");
	else if (totalpages)
		printf("; badness %lld", (long long)b);
	printf("; oom_score %lld\n", (long long)oom_score(t, s->total_g));
}

static void kill_text(struct oom_state *s, const struct pending *p)
{
	const struct oom_kill_rec *k = &p->k;
	uint64_t total = k->oc.found ? k->oc.totalpages : 0;

	printf("%s%sOOM kill", s->o->timestamps ? p->when : "", s->o->timestamps ? " " : "");
	if (k->oc.found) {
		printf(", constraint %s", constraints[k->oc.constraint & 3]);
		char safe[4096];

		if (k->oc.memcg_id)
			printf(" %s (limit %llu kB, usage %llu kB)",
			       text_safe(p->cg_oom, safe, sizeof(safe)),
			       (unsigned long long)k->oc.memcg_max * 4,
			       (unsigned long long)k->oc.memcg_usage * 4);
		printf(", order %d; totalpages %llu (the scope's memory, in pages); the kernel "
		       "gave the victim %lld points\n", k->oc.order,
		       (unsigned long long)k->oc.totalpages, (long long)k->oc.chosen_points);
	} else {
		printf(" (the decision was not found on the trigger's stack)\n");
	}
	task_line(s, "victim", &k->victim, total, p->cg_victim);
	if (k->trigger.pid == k->victim.pid)
		printf("  trigger  the victim itself\n");
	else
		task_line(s, "trigger", &k->trigger, total, p->cg_trigger);
	if (s->job == &job_cand && k->ncand && s->o->candidates) {
		printf("  candidates, the %u with the most points of %u in the scope:\n",
		       k->ncand < s->o->candidates ? k->ncand : s->o->candidates, k->cand_eligible);
		printf("    %-8s %-16s %10s %9s %9s %6s %10s\n", "PID", "COMM", "RSS(kB)",
		       "SWAP(kB)", "PGTBL(kB)", "ADJ", "POINTS");
		for (__u32 i = 0; i < k->ncand && i < s->o->candidates; i++) {
			const struct oom_candidate *c = &k->cand[i];
			char comm[68], pts[24];

			text_safe_n(c->t.comm, sizeof(c->t.comm), comm, sizeof(comm));
			if (c->points == INT64_MIN)
				snprintf(pts, sizeof(pts), "unkillable");
			else
				snprintf(pts, sizeof(pts), "%lld", (long long)c->points);
			printf("  %c %-8u %-16s %10lld %9lld %9llu %6d %10s\n",
			       c->t.pid == k->victim.pid ? '*' : ' ', c->t.pid, comm,
			       (long long)rss_pages(&c->t) * 4, (long long)c->t.rss[2] * 4,
			       (unsigned long long)c->t.pgtables_bytes / 1024, c->t.oom_score_adj, pts);
		}
	}
	printf("  after    ");
	if (p->exit)
		printf("exited %.1f ms after the kill", ms_after(p->exit, k->ts_ns));
	else if (k->victim_exiting)
		printf("its exit had begun before the kill was recorded");
	else
		printf("not seen exiting");
	if (p->wake)
		printf("; reaper woken %.1f ms", ms_after(p->wake, k->ts_ns));
	if (p->start && p->finish)
		printf(", reaped %.1f to %.1f ms", ms_after(p->start, k->ts_ns),
		       ms_after(p->finish, k->ts_ns));
	if (p->skip)
		printf(", reaping skipped at %.1f ms", ms_after(p->skip, k->ts_ns));
	if (!p->wake && !p->skip)
		printf("; the reaper was not needed");
	printf("\n");
	if (s->o->stacks) {
		stack_text("kernel", p->kstack);
		stack_text("user", p->ustack);
	}
}

static int emit(struct oom_state *s, struct pending *p)
{
	__u32 pid = p->k.victim.tid;

	if (s->o->common.json)
		kill_json(s, p);
	else
		kill_text(s, p);
	p->used = false;
	free(p->kstack);
	free(p->ustack);
	usyms_free(p->us);
	p->kstack = p->ustack = NULL;
	p->us = NULL;
	bpf_map_delete_elem(s->victims_fd, &pid);
	s->kills++;
	if (fflush(stdout))
		return run_output_error(&s->run, -errno);
	if (s->o->max_kills && s->kills >= s->o->max_kills)
		loop_request_stop();
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static bool story_done(const struct pending *p, uint64_t now)
{
	return now - p->k.ts_ns > STORY_MAX_NS || p->finish || p->skip ||
	       (p->exit && !p->wake && now - p->exit > NO_WAKE_NS) ||
	       (p->k.victim_exiting && !p->wake && now - p->k.ts_ns > NO_WAKE_NS);
}

/* Print the kills whose story is complete, oldest first, each after the
 * ones before it (all of them with force). */
static int flush(struct oom_state *s, bool force)
{
	uint64_t now = mono_ns();

	for (;;) {
		struct pending *old = NULL;
		int err;

		for (int i = 0; i < MAX_PENDING; i++)
			if (s->p[i].used && (!old || s->p[i].k.ts_ns < old->k.ts_ns))
				old = &s->p[i];
		if (!old || (!force && !story_done(old, now)))
			return 0;
		err = emit(s, old);
		if (err)
			return err;
	}
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct oom_state *s = ctx;
	const __u32 *kind = data;

	if (len < sizeof(*kind))
		return 0;
	if (*kind == OOMR_KILL && len >= sizeof(struct oom_kill_rec)) {
		struct pending *p = NULL;
		time_t t = time(NULL);

		for (int i = 0; i < MAX_PENDING && !p; i++)
			if (!s->p[i].used)
				p = &s->p[i];
		if (!p) {
			flush(s, true);
			p = &s->p[0];
		}
		memset(p, 0, sizeof(*p));
		memcpy(&p->k, data, sizeof(p->k));
		p->used = true;
		snprintf(p->cg_victim, sizeof(p->cg_victim), "%s", cgroup_name(s, p->k.victim.memcg_id));
		snprintf(p->cg_trigger, sizeof(p->cg_trigger), "%s",
			 cgroup_name(s, p->k.trigger.memcg_id));
		snprintf(p->cg_oom, sizeof(p->cg_oom), "%s", cgroup_name(s, p->k.oc.memcg_id));
		if (s->o->stacks) {
			p->kstack = stack_frames(s, p->k.trigger_kstack, p->k.trigger.pid, NULL);
			p->ustack = stack_frames(s, p->k.trigger_ustack, p->k.trigger.pid, &p->us);
		}
		strftime(p->when, sizeof(p->when),
			 s->o->common.json ? "%Y-%m-%dT%H:%M:%S%z" : "%H:%M:%S", localtime(&t));
		return 0;
	}
	if (len >= sizeof(struct oom_note_rec)) {
		const struct oom_note_rec *n = data;

		for (int i = 0; i < MAX_PENDING; i++) {
			struct pending *p = &s->p[i];

			if (!p->used || p->k.victim.tid != n->pid)
				continue;
			switch (n->kind) {
			case OOMR_WAKE_REAPER: p->wake = n->ts_ns; break;
			case OOMR_START_REAPING: p->start = n->ts_ns; break;
			case OOMR_FINISH_REAPING: p->finish = n->ts_ns; break;
			case OOMR_SKIP_REAPING: p->skip = n->ts_ns; break;
			case OOMR_VICTIM_EXIT: p->exit = n->ts_ns; break;
			}
		}
		return flush(s, false);
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------------- */

static int start(struct run *r, void *ctx)
{
	static const struct tool_job *const jobs[] = { &job_cand, &job_basic };
	struct oom_state *s = ctx;
	struct oom_cfg cfg = { .o = s->o };
	struct job_load_opts jo = { .btf_path = s->o->common.btf_path, .cfg = &cfg };
	struct job_result res;
	const char *failed = "?";
	char why[2][1024];
	int err = -ENOENT;

	if (s->o->cgroup && (err = target_set_cgroup(&r->target, s->o->cgroup)))
		return err;
	target_filter(&r->target, false, &cfg.filter);
	for (int i = 0; i < 2 && !s->skel; i++) {
		err = job_load(jobs[i], &jo, &res);
		if (!err) {
			s->skel = res.skel;
			s->job = jobs[i];
		} else {
			job_explain(&res, why[i], sizeof(why[i]));
		}
	}
	if (!s->skel) {
		log_error("the OOM killer cannot be traced here: with the candidates: %s; "
			  "without: %s; see 'memscope probe'", why[0], why[1]);
		return EXIT_FAIL;
	}
	r->obj = s->job->skel->object(s->skel);
	r->mode = res.mode->name;
	r->events_fd = bpf_object__find_map_fd_by_name(r->obj, "events");
	s->stacks_fd = bpf_object__find_map_fd_by_name(r->obj, "stacks");
	s->victims_fd = bpf_object__find_map_fd_by_name(r->obj, "victims");
	err = link_set_attach_all(&r->links, r->obj, &failed);
	if (err) {
		log_error("attaching %s failed: %s", failed, strerror(-err));
		return EXIT_FAIL;
	}
	s->cg_names = memcg_names_new();
	if (s->o->stacks)
		s->ksyms = ksyms_new();
	s->total_g = (meminfo_kb("MemTotal") + meminfo_kb("SwapTotal")) / 4;
	return 0;
}

static void attached(struct run *r, void *ctx, struct json *j)
{
	struct oom_state *s = ctx;

	if (j) {
		json_kstr(j, "tool", "oom");
		json_kstr(j, "job", s->job->name);
		if (r->target.memcg_id)
			json_kstr(j, "cgroup", r->target.memcg_dir);
		return;
	}
	fprintf(stderr, "memscope: tracing OOM kills (%s); Ctrl-C to stop\n", r->mode);
}

static int report(struct run *r, void *ctx, bool final)
{
	return flush(ctx, final);
}

static int summary(struct run *r, void *ctx)
{
	struct oom_state *s = ctx;
	static const struct counter_desc drops[] = {
		{ ST_VICTIMS_FULL, "victims_map_full", "victims whose exit was not followed" },
		{ ST_OC_NOT_FOUND, "decision_not_found",
		  "kills whose oom_control was not found on the trigger's stack" },
	};
	struct counters c;

	flush(s, true);
	counters_read(r->obj, ST_OOM_NR, &c);
	if (s->o->common.json) {
		json_obj_begin(&s->j);
		json_kstr(&s->j, "type", "summary");
		json_kstr(&s->j, "attach", r->mode ? r->mode : "?");
		json_ku64(&s->j, "kills", s->kills);
		json_key(&s->j, "drops");
		counters_drops_json(&s->j, &c, drops, sizeof(drops) / sizeof(drops[0]));
		json_obj_end(&s->j);
		json_end_record(&s->j);
	} else {
		printf("summary: %u OOM kills\n", s->kills);
		counters_drops_text(stdout, &c, drops, sizeof(drops) / sizeof(drops[0]));
	}
	counters_free(&c);
	return fflush(stdout) ? -errno : 0;
}

static void cleanup(struct run *r, void *ctx)
{
	struct oom_state *s = ctx;

	if (s->skel)
		s->job->skel->destroy(s->skel);
	memcg_names_free(s->cg_names);
	ksyms_free(s->ksyms);
}

static const struct run_hooks hooks = {
	.start = start,
	.on_event = on_event,
	.attached = attached,
	.report = report,
	.summary = summary,
	.cleanup = cleanup,
};

static int cmd_oom(int argc, char **argv)
{
	static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, {} };
	const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.doc = doc,
		.children = children,
	};
	struct oom_opts o = { .candidates = 5 };
	struct preflight_opts pf = { .need_btf = true };
	static struct oom_state s;
	int err;

	err = cli_parse(&argp, "memscope oom", argc, argv, &o, &o.common);
	if (err)
		return err;
	pf.btf_path = o.common.btf_path;
	err = preflight(&pf);
	if (err)
		return err;
	s.o = &o;
	json_init(&s.j, stdout);
	run_init(&s.run, &o.common);
	/* A tick a second completes the kills whose story is over. */
	s.run.interval_s = 1;
	s.run.count = o.duration_s;
	return run_tool(&s.run, &hooks, &s);
}

static const struct tool_job *const oom_jobs[] = { &job_cand, &job_basic, NULL };
static const char *const aliases[] = { "oomkill", NULL };

const struct tool oom_tool = {
	.name = "oom",
	.summary = "every OOM kill: victim, trigger, constraint and memory cgroup, the badness "
		   "behind the choice, the reaper",
	.main = cmd_oom,
	.jobs = oom_jobs,
	.aliases = aliases,
};
