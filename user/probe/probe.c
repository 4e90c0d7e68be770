// SPDX-License-Identifier: GPL-2.0
/* `memscope probe`: tell the user, before anything else, what this kernel
 * lets each tool do. Text by default, JSON Lines with -j. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/cli.h"
#include "core/version.h"
#include "caps/kfeatures.h"
#include "core/json.h"
#include "core/log.h"
#include "run/preflight.h"
#include "run/registry.h"

struct probe_opts {
	struct common_opts common;
};

static const char probe_doc[] =
	"Report what this kernel lets memscope do: kernel and BTF, privileges, "
	"which BPF attach types load, attach and fire here (each is tried for "
	"real), which tracepoints the tools use exist and in which layout, the "
	"memory cgroup version, PSI and swap, and the mode each tool will run "
	"in.\n\n"
	"Examples:\n"
	"  memscope probe          # human-readable report\n"
	"  memscope probe -j       # JSON Lines, one record per fact\n"
	"  memscope probe -v       # also say what each probe attached to\n"
	"\vNothing stays loaded: every probe program is detached and unloaded "
	"before memscope exits.";

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

static const char *tools_str(unsigned mask, char *buf, size_t len)
{
	static const char *const names[] = { "leak", "cache", "reclaim", "oom" };
	size_t pos = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mask & (1u << i))
			pos += snprintf(buf + pos, pos < len ? len - pos : 0, "%s%s",
					pos ? "," : "", names[i]);
	return buf;
}

static const char *yesno(bool v)
{
	return v ? "yes" : "no";
}

static void render_text(const struct features *f)
{
	const struct sys_facts *s = &f->sys;
	char buf[128];
	int k, i;

	printf("memscope %s: what this kernel allows\n\n", memscope_version);
	printf("%-12s %s (%s)\n", "kernel", s->release, s->machine);
	if (s->btf)
		printf("%-12s %s (%.1f MiB)\n", "BTF", s->btf_path, s->btf_size / 1048576.0);
	else
		printf("%-12s missing: %s not found (tools need --btf FILE)\n", "BTF", s->btf_path);
	printf("%-12s %s\n", "lockdown", s->lockdown);
	printf("%-12s %s (CAP_BPF %s, CAP_PERFMON %s, CAP_SYS_ADMIN %s, CAP_SYS_RESOURCE %s)\n",
	       "privileges", s->euid == 0 ? "root" : "not root", yesno(s->cap_bpf),
	       yesno(s->cap_perfmon), yesno(s->cap_sys_admin), yesno(s->cap_sys_resource));
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

	printf("\n%-14s %-5s %-8s %-5s %s\n", "ATTACH TYPE", "LOADS", "ATTACHES", "FIRES", "DETAIL");
	for (k = 0; k < PROBE_NR_KINDS; k++) {
		const struct attach_result *a = &f->attach[k];

		printf("%-14s %-5s %-8s %-5s ", probe_kind_name(k), yesno(a->loaded),
		       a->loaded ? yesno(a->attached) : "-", a->attached ? yesno(a->fired) : "-");
		if (a->stage) {
			const char *hint = attach_hint(k, a);

			printf("%s failed: %s%s%s%s%s\n", a->stage, strerror(-a->err),
			       a->target[0] ? " on " : "", a->target,
			       hint ? "; " : "", hint ? hint : "");
		} else
			printf("%s\n", a->target);
	}

	printf("\n%-48s %-7s %-3s %-14s %s\n", "TRACEPOINT", "TRACEFS", "BTF", "USED BY", "ARGUMENTS (layout)");
	for (i = 0; i < tp_table_len; i++) {
		const struct tp_state *t = &f->tp[i];
		char name[96];

		snprintf(name, sizeof(name), "%s:%s", tp_table[i].category, tp_table[i].name);
		printf("%-48s %-7s %-3s %-14s %s", name,
		       s->tracefs[0] ? yesno(t->in_tracefs) : "?", yesno(t->in_btf),
		       tools_str(tp_table[i].tools, buf, sizeof(buf)),
		       t->in_btf ? t->args : "-");
		if (t->layout)
			printf(" (%s)", t->layout);
		printf("\n");
	}

	printf("\n%-12s %s\n", "TOOL", "MODE ON THIS KERNEL");
	for (i = 0; i < TID_NR; i++)
		printf("%-12s %s\n", f->tools[i].tool, f->tools[i].mode);
}

static void render_json(const struct features *f)
{
	const struct sys_facts *s = &f->sys;
	struct json j;
	char buf[128];
	int k, i, attach_ok = 0, tp_missing = 0;

	json_init(&j, stdout);

	json_obj_begin(&j);
	json_kstr(&j, "type", "kernel");
	json_kstr(&j, "version", memscope_version);
	json_kstr(&j, "release", s->release);
	json_kstr(&j, "machine", s->machine);
	json_key(&j, "btf");
	json_obj_begin(&j);
	json_kstr(&j, "path", s->btf_path);
	json_kbool(&j, "present", s->btf);
	json_ki64(&j, "size_bytes", s->btf ? s->btf_size : 0);
	json_obj_end(&j);
	json_kstr(&j, "lockdown", s->lockdown);
	json_key(&j, "tracefs");
	json_str(&j, s->tracefs[0] ? s->tracefs : NULL);
	json_kbool(&j, "tracefs_mounted_by_memscope", s->tracefs_mounted_by_us);
	json_key(&j, "privileges");
	json_obj_begin(&j);
	json_ku64(&j, "euid", s->euid);
	json_kbool(&j, "cap_bpf", s->cap_bpf);
	json_kbool(&j, "cap_perfmon", s->cap_perfmon);
	json_kbool(&j, "cap_sys_admin", s->cap_sys_admin);
	json_kbool(&j, "cap_sys_resource", s->cap_sys_resource);
	json_obj_end(&j);
	json_key(&j, "memcg");
	json_obj_begin(&j);
	json_ki64(&j, "version", s->memcg_version);
	json_key(&j, "mount");
	json_str(&j, s->memcg_version ? s->memcg_mount : NULL);
	json_key(&j, "self");
	json_str(&j, s->memcg_self[0] ? s->memcg_self : NULL);
	json_obj_end(&j);
	json_kbool(&j, "psi_memory", s->psi_memory);
	json_key(&j, "swap");
	json_obj_begin(&j);
	json_ki64(&j, "devices", s->swap_devices);
	json_ku64(&j, "total_kb", s->swap_total_kb);
	json_obj_end(&j);
	json_obj_end(&j);
	json_end_record(&j);

	for (k = 0; k < PROBE_NR_KINDS; k++) {
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

	for (i = 0; i < tp_table_len; i++) {
		const struct tp_state *t = &f->tp[i];

		tp_missing += !t->in_btf && !t->in_tracefs;
		json_obj_begin(&j);
		json_kstr(&j, "type", "tracepoint");
		json_kstr(&j, "category", tp_table[i].category);
		json_kstr(&j, "name", tp_table[i].name);
		json_key(&j, "tracefs");
		if (s->tracefs[0])
			json_bool(&j, t->in_tracefs);
		else
			json_null(&j);
		json_kbool(&j, "btf", t->in_btf);
		json_key(&j, "args");
		json_str(&j, t->in_btf ? t->args : NULL);
		json_key(&j, "layout");
		json_str(&j, t->layout);
		json_kstr(&j, "tools", tools_str(tp_table[i].tools, buf, sizeof(buf)));
		json_obj_end(&j);
		json_end_record(&j);
	}

	for (i = 0; i < TID_NR; i++) {
		json_obj_begin(&j);
		json_kstr(&j, "type", "tool");
		json_kstr(&j, "tool", f->tools[i].tool);
		json_kbool(&j, "can_run", f->tools[i].can_run);
		json_kstr(&j, "mode", f->tools[i].mode);
		json_obj_end(&j);
		json_end_record(&j);
	}

	json_obj_begin(&j);
	json_kstr(&j, "type", "summary");
	json_ki64(&j, "attach_types_usable", attach_ok);
	json_ki64(&j, "attach_types_tried", PROBE_NR_KINDS);
	json_ki64(&j, "tracepoints_missing", tp_missing);
	json_kbool(&j, "tp_btf_void_args", f->tp_btf_void_args);
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
	struct features_opts fo = {};
	struct features f;
	int err;

	err = cli_parse(&argp, "memscope probe", argc, argv, &opts, &opts.common);
	if (err)
		return err;

	/* Missing BTF is a finding here, not a reason to stop. */
	pf.btf_path = opts.common.btf_path;
	err = preflight(&pf);
	if (err)
		return err;

	fo.btf_path = opts.common.btf_path;
	fo.mount_tracefs = true;
	err = features_detect(&f, &fo);
	if (err) {
		log_error("probing the kernel failed: %s", strerror(-err));
		return EXIT_FAIL;
	}
	if (opts.common.json)
		render_json(&f);
	else
		render_text(&f);
	features_free(&f);
	return EXIT_OK;
}

const struct tool probe_tool = {
	.name = "probe",
	.summary = "what this kernel lets each tool do (start here)",
	.main = cmd_probe,
};
