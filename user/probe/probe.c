// SPDX-License-Identifier: GPL-2.0
/* `memscope probe`: tell the user, before anything else, what this kernel
 * lets each tool do. The attach types are tried with tiny programs
 * (attach_kinds.c); the tools' modes are decided by loading each
 * registered tool's own programs the way the tool itself will
 * (run/attach.h), so what is printed is what the tool will do. Tools that
 * are not registered are not mentioned. Text by default, JSON Lines with
 * -j. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "caps/sysfacts.h"
#include "caps/tracepoints.h"
#include "core/cli.h"
#include "core/json.h"
#include "core/log.h"
#include "core/version.h"
#include "probe/attach_kinds.h"
#include "run/attach.h"
#include "run/preflight.h"
#include "run/registry.h"

struct probe_opts {
	struct common_opts common;
};

static const char probe_doc[] =
	"Report what this kernel lets memscope do: kernel and BTF, privileges, "
	"which BPF attach types load, attach and fire here (each is tried for "
	"real), the tracepoints the tools read with their prototypes, the "
	"memory cgroup version, PSI and swap, and the mode each tool will run "
	"in (found by loading the tool's own programs).\n\n"
	"Examples:\n"
	"  memscope probe          # human-readable report\n"
	"  memscope probe -j       # JSON Lines, one record per fact\n"
	"  memscope probe -v       # also the modes each tool could not use, and why\n"
	"\vNothing stays loaded: every program is detached and unloaded before "
	"memscope exits.";

static error_t probe_parse(int key, char *arg, struct argp_state *state)
{
	struct probe_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* ---- what is learnt --------------------------------------------------------- */

/* A tracepoint some registered tool reads. */
struct tp_row {
	const struct tp_contract *c;	/* the first contract naming it */
	char tools[64];			/* its users: "leak" */
	bool in_tracefs, in_btf, matches;
	char args[256];			/* prototype from BTF */
};

/* One job of one registered tool: the mode it takes, and each of its
 * modes tried alone. */
struct job_row {
	const struct tool *tool;
	const struct tool_job *job;
	struct job_result res;
	int err;
	struct mode_trial alone[JOB_MAX_MODES];
};

struct findings {
	struct sys_facts sys;
	struct attach_result attach[PROBE_NR_KINDS];
	struct tp_row *tp;
	int ntp;
	struct job_row *jobs;
	int njobs;
};

static void add_tp(struct findings *f, const struct tool *t, const struct tp_contract *c)
{
	struct tp_row *r = NULL;

	for (int i = 0; i < f->ntp && !r; i++)
		if (!strcmp(f->tp[i].c->name, c->name) && !strcmp(f->tp[i].c->category, c->category))
			r = &f->tp[i];
	if (!r) {
		r = &f->tp[f->ntp++];
		memset(r, 0, sizeof(*r));
		r->c = c;
	}
	if (!strstr(r->tools, t->name)) {
		size_t len = strlen(r->tools);

		snprintf(r->tools + len, sizeof(r->tools) - len, "%s%s", len ? "," : "", t->name);
	}
}

static int collect(struct findings *f, const char *btf_path)
{
	int ntp = 0, njobs = 0;
	struct btf *btf;

	/* Room for every contract and job of every registered tool. */
	for (size_t i = 0; i < registry_len; i++)
		for (const struct tool_job *const *j = registry[i]->jobs; j && *j; j++) {
			njobs++;
			for (int m = 0; m < (*j)->nmodes; m++)
				for (const struct tp_contract *c = (*j)->modes[m].tracepoints;
				     c && c->name; c++)
					ntp++;
		}
	f->tp = calloc(ntp + 1, sizeof(*f->tp));
	f->jobs = calloc(njobs + 1, sizeof(*f->jobs));
	if (!f->tp || !f->jobs)
		return -ENOMEM;

	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	for (size_t i = 0; i < registry_len; i++) {
		const struct tool *t = registry[i];

		for (const struct tool_job *const *j = t->jobs; j && *j; j++) {
			struct job_row *row = &f->jobs[f->njobs++];
			struct job_load_opts jo = { .btf_path = btf_path };

			for (int m = 0; m < (*j)->nmodes; m++)
				for (const struct tp_contract *c = (*j)->modes[m].tracepoints;
				     c && c->name; c++)
					add_tp(f, t, c);
			row->tool = t;
			row->job = *j;
			row->err = job_load(*j, &jo, &row->res);
			job_result_free(*j, &row->res);
			for (int m = 0; m < (*j)->nmodes && m < JOB_MAX_MODES; m++) {
				struct job_load_opts one = jo;
				struct job_result r1;

				one.only = &(*j)->modes[m];
				job_load(*j, &one, &r1);
				row->alone[m] = r1.trials[0];
				job_result_free(*j, &r1);
			}
		}
	}
	for (int i = 0; i < f->ntp; i++) {
		struct tp_row *r = &f->tp[i];

		r->in_tracefs = tp_in_tracefs(f->sys.tracefs, r->c->category, r->c->name);
		r->in_btf = tp_btf_args(btf, r->c->name, r->args, sizeof(r->args));
		r->matches = r->in_btf && (!r->c->args || tp_args_match(r->args, r->c->args));
	}
	btf__free(btf);
	return 0;
}

static void findings_free(struct findings *f)
{
	free(f->tp);
	free(f->jobs);
}

/* ---- text ------------------------------------------------------------------- */

static const char *yesno(bool v)
{
	return v ? "yes" : "no";
}

static void render_sys_text(const struct sys_facts *s)
{
	const struct sys_privileges *p = &s->priv;

	printf("memscope %s: what this kernel allows\n\n", memscope_version);
	printf("%-12s %s (%s)\n", "kernel", s->release, s->machine);
	if (s->btf)
		printf("%-12s %s (%.1f MiB)\n", "BTF", s->btf_path, s->btf_size / 1048576.0);
	else
		printf("%-12s missing: %s not found (tools need --btf FILE)\n", "BTF", s->btf_path);
	printf("%-12s %s\n", "lockdown", s->lockdown);
	printf("%-12s %s (CAP_BPF %s, CAP_PERFMON %s, CAP_SYS_ADMIN %s, CAP_SYS_RESOURCE %s)\n",
	       "privileges", p->euid == 0 ? "root" : "not root", yesno(p->cap_bpf),
	       yesno(p->cap_perfmon), yesno(p->cap_sys_admin), yesno(p->cap_sys_resource));
	printf("%-12s %s%s\n", "tracefs", s->tracefs[0] ? s->tracefs : "not mounted",
	       s->tracefs_mounted_by_us ? " (mounted by memscope)" : "");
	if (s->memcg_version)
		printf("%-12s cgroup v%d at %s; this shell's memcg: %s\n", "memcg",
		       s->memcg_version, s->memcg_mount, s->memcg_self[0] ? s->memcg_self : "?");
	else
		printf("%-12s no memory controller mounted\n", "memcg");
	printf("%-12s %s\n", "PSI", s->psi_memory ? "/proc/pressure/memory available"
					      : "not available (boot with psi=1)");
	if (s->swap_devices)
		printf("%-12s %d device(s), %llu MiB\n", "swap", s->swap_devices,
		       (unsigned long long)s->swap_total_kb / 1024);
	else
		printf("%-12s none\n", "swap");
}

static void render_text(const struct findings *f)
{
	char why[2048];

	render_sys_text(&f->sys);
	printf("\n%-14s %-5s %-8s %-5s %s\n", "ATTACH TYPE", "LOADS", "ATTACHES", "FIRES", "DETAIL");
	for (int k = 0; k < PROBE_NR_KINDS; k++) {
		const struct attach_result *a = &f->attach[k];
		const char *hint = attach_hint(k, a);

		printf("%-14s %-5s %-8s %-5s ", probe_kind_name(k), yesno(a->loaded),
		       a->loaded ? yesno(a->attached) : "-", a->attached ? yesno(a->fired) : "-");
		if (a->stage)
			printf("%s failed: %s%s%s%s%s\n", a->stage, strerror(-a->err),
			       a->target[0] ? " on " : "", a->target, hint ? "; " : "",
			       hint ? hint : "");
		else
			printf("%s\n", a->target);
	}

	/* Columns as wide as their longest entry. */
	int wn = 10, wu = 7;

	for (int i = 0; i < f->ntp; i++) {
		const struct tp_row *t = &f->tp[i];
		int n = (int)(strlen(t->c->category) + 1 + strlen(t->c->name));

		wn = n > wn ? n : wn;
		wu = (int)strlen(t->tools) > wu ? (int)strlen(t->tools) : wu;
	}
	printf("\n%-*s %-7s %-3s %-*s %-8s %s\n", wn, "TRACEPOINT", "TRACEFS", "BTF", wu, "USED BY",
	       "CONTRACT", "ARGUMENTS");
	for (int i = 0; i < f->ntp; i++) {
		const struct tp_row *t = &f->tp[i];
		char name[96];

		snprintf(name, sizeof(name), "%s:%s", t->c->category, t->c->name);
		printf("%-*s %-7s %-3s %-*s %-8s %s\n", wn, name,
		       f->sys.tracefs[0] ? yesno(t->in_tracefs) : "?", yesno(t->in_btf), wu, t->tools,
		       !t->in_btf ? "-" : t->matches ? "ok" : "DIFFERS", t->in_btf ? t->args : "-");
	}

	printf("\n%-12s %-11s %-5s %s\n", "TOOL", "MODE", "LOADS", "ON THIS KERNEL");
	for (int i = 0; i < f->njobs; i++) {
		const struct job_row *r = &f->jobs[i];

		job_explain(&r->res, why, sizeof(why));
		if (!r->res.mode)
			printf("%-12s %-11s %-5s cannot run: %s\n", r->job->name, "-", "-",
			       why[0] ? why : strerror(-r->err));
		for (int m = 0; m < r->job->nmodes && m < JOB_MAX_MODES; m++) {
			const struct mode_trial *t = &r->alone[m];
			bool taken = r->res.mode == &r->job->modes[m];

			printf("%-12s %-11s %-5s %s", m ? "" : r->job->name, r->job->modes[m].name,
			       yesno(!t->err), taken ? "<- runs here: " : "");
			if (taken || !t->err) {
				printf("%s", r->job->modes[m].desc);
				for (int o = 0; o < t->nleft_out; o++)
					printf("%s%s", o ? ", " : " (not here: ", t->left_out[o]);
				printf("%s%s\n", t->nleft_out ? ")" : "",
				       taken && r->res.forced ? " [forced by MEMSCOPE_ATTACH]" : "");
			} else
				printf("%s\n", t->why);
		}
	}
}

/* ---- JSON ------------------------------------------------------------------- */

static void render_sys_json(struct json *j, const struct sys_facts *s)
{
	const struct sys_privileges *p = &s->priv;

	json_obj_begin(j);
	json_kstr(j, "type", "kernel");
	json_kstr(j, "version", memscope_version);
	json_kstr(j, "release", s->release);
	json_kstr(j, "machine", s->machine);
	json_key(j, "btf");
	json_obj_begin(j);
	json_kstr(j, "path", s->btf_path);
	json_kbool(j, "present", s->btf);
	json_ki64(j, "size_bytes", s->btf ? s->btf_size : 0);
	json_obj_end(j);
	json_kstr(j, "lockdown", s->lockdown);
	json_key(j, "tracefs");
	json_str(j, s->tracefs[0] ? s->tracefs : NULL);
	json_kbool(j, "tracefs_mounted_by_memscope", s->tracefs_mounted_by_us);
	json_key(j, "privileges");
	json_obj_begin(j);
	json_ku64(j, "euid", p->euid);
	json_kbool(j, "cap_bpf", p->cap_bpf);
	json_kbool(j, "cap_perfmon", p->cap_perfmon);
	json_kbool(j, "cap_sys_admin", p->cap_sys_admin);
	json_kbool(j, "cap_sys_resource", p->cap_sys_resource);
	json_obj_end(j);
	json_key(j, "memcg");
	json_obj_begin(j);
	json_ki64(j, "version", s->memcg_version);
	json_key(j, "mount");
	json_str(j, s->memcg_version ? s->memcg_mount : NULL);
	json_key(j, "self");
	json_str(j, s->memcg_self[0] ? s->memcg_self : NULL);
	json_obj_end(j);
	json_kbool(j, "psi_memory", s->psi_memory);
	json_key(j, "swap");
	json_obj_begin(j);
	json_ki64(j, "devices", s->swap_devices);
	json_ku64(j, "total_kb", s->swap_total_kb);
	json_obj_end(j);
	json_obj_end(j);
	json_end_record(j);
}

static void render_json(const struct findings *f)
{
	int attach_ok = 0, tp_missing = 0, runnable = 0;
	struct json j;

	json_init(&j, stdout);
	render_sys_json(&j, &f->sys);
	for (int k = 0; k < PROBE_NR_KINDS; k++) {
		const struct attach_result *a = &f->attach[k];

		attach_ok += a->attached;
		json_obj_begin(&j);
		json_kstr(&j, "type", "attach");
		json_kstr(&j, "name", probe_kind_name(k));
		json_kbool(&j, "loads", a->loaded);
		json_kbool(&j, "attaches", a->attached);
		json_kbool(&j, "fires", a->fired);
		json_key(&j, "target");
		json_str(&j, a->target[0] ? a->target : NULL);
		json_key(&j, "failed_at");
		json_str(&j, a->stage);
		json_key(&j, "error");
		json_str(&j, a->err ? strerror(-a->err) : NULL);
		json_ki64(&j, "errno", -a->err);
		json_key(&j, "hint");
		json_str(&j, attach_hint(k, a));
		json_obj_end(&j);
		json_end_record(&j);
	}
	for (int i = 0; i < f->ntp; i++) {
		const struct tp_row *t = &f->tp[i];

		tp_missing += !t->in_btf && !t->in_tracefs;
		json_obj_begin(&j);
		json_kstr(&j, "type", "tracepoint");
		json_kstr(&j, "category", t->c->category);
		json_kstr(&j, "name", t->c->name);
		json_key(&j, "tracefs");
		if (f->sys.tracefs[0])
			json_bool(&j, t->in_tracefs);
		else
			json_null(&j);
		json_kbool(&j, "btf", t->in_btf);
		json_key(&j, "args");
		json_str(&j, t->in_btf ? t->args : NULL);
		json_key(&j, "expects");
		json_str(&j, t->c->args);
		json_kbool(&j, "matches", t->matches);
		json_kstr(&j, "tools", t->tools);
		json_obj_end(&j);
		json_end_record(&j);
	}
	for (int i = 0; i < f->njobs; i++) {
		const struct job_row *r = &f->jobs[i];

		runnable += r->res.mode != NULL;
		json_obj_begin(&j);
		json_kstr(&j, "type", "tool");
		json_kstr(&j, "tool", r->tool->name);
		json_kstr(&j, "job", r->job->name);
		json_kbool(&j, "can_run", r->res.mode != NULL);
		json_key(&j, "mode");
		json_str(&j, r->res.mode ? r->res.mode->name : NULL);
		json_key(&j, "mode_desc");
		json_str(&j, r->res.mode ? r->res.mode->desc : NULL);
		json_kbool(&j, "forced", r->res.forced);
		json_key(&j, "modes");
		json_arr_begin(&j);
		for (int k = 0; k < r->job->nmodes && k < JOB_MAX_MODES; k++) {
			const struct mode_trial *t = &r->alone[k];

			json_obj_begin(&j);
			json_kstr(&j, "mode", r->job->modes[k].name);
			json_kstr(&j, "attach_type", probe_kind_name(r->job->modes[k].kind));
			json_kbool(&j, "loads", !t->err);
			json_key(&j, "why");
			json_str(&j, t->err ? t->why : NULL);
			json_key(&j, "left_out");
			json_arr_begin(&j);
			for (int o = 0; o < t->nleft_out; o++)
				json_str(&j, t->left_out[o]);
			json_arr_end(&j);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_key(&j, "refused");
		json_arr_begin(&j);
		for (int k = 0; k < r->res.ntrials; k++) {
			const struct mode_trial *t = &r->res.trials[k];

			if (!t->err)
				continue;
			json_obj_begin(&j);
			json_kstr(&j, "mode", t->mode->name);
			json_kstr(&j, "error", strerror(-t->err));
			json_kstr(&j, "why", t->why);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		json_end_record(&j);
	}
	json_obj_begin(&j);
	json_kstr(&j, "type", "summary");
	json_ki64(&j, "attach_types_usable", attach_ok);
	json_ki64(&j, "attach_types_tried", PROBE_NR_KINDS);
	json_ki64(&j, "tracepoints_missing", tp_missing);
	json_ki64(&j, "jobs", f->njobs);
	json_ki64(&j, "jobs_runnable", runnable);
	json_obj_end(&j);
	json_end_record(&j);
}

static int cmd_probe(int argc, char **argv)
{
	static const struct argp_child children[] = { { &common_argp, 0, NULL, 0 }, {} };
	static const struct argp argp = {
		.parser = probe_parse,
		.doc = probe_doc,
		.children = children,
	};
	struct probe_opts opts = {};
	struct preflight_opts pf = {};
	struct findings f = {};
	int err;

	err = cli_parse(&argp, "memscope probe", argc, argv, &opts, &opts.common);
	if (err)
		return err;
	/* Missing BTF is a finding here, not a reason to stop. */
	pf.btf_path = opts.common.btf_path;
	err = preflight(&pf);
	if (err)
		return err;

	sys_facts_read(&f.sys, opts.common.btf_path);
	if (!f.sys.tracefs[0])
		tracefs_find(f.sys.tracefs, sizeof(f.sys.tracefs), true, &f.sys.tracefs_mounted_by_us);
	for (int k = 0; k < PROBE_NR_KINDS; k++)
		attach_kind_try(k, &f.attach[k]);
	err = collect(&f, opts.common.btf_path);
	if (err) {
		log_error("probing the kernel failed: %s", strerror(-err));
		findings_free(&f);
		return EXIT_FAIL;
	}
	if (opts.common.json)
		render_json(&f);
	else
		render_text(&f);
	findings_free(&f);
	if (fflush(stdout) || ferror(stdout)) {
		log_error("writing the output failed: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

const struct tool probe_tool = {
	.name = "probe",
	.summary = "what this kernel lets each tool do (start here)",
	.main = cmd_probe,
};
