// SPDX-License-Identifier: GPL-2.0
/* Per-function traceability checks (see kfuncs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "caps/kfuncs.h"
#include "caps/tracepoints.h"

/* Answers already found in this process: a tool checks each of its modes
 * (tp_btf, raw_tp, ...) and each may add the same fentry program, and each
 * attach and detach of a trampoline waits for an RCU-tasks grace period
 * (seconds in a TCG guest). The running kernel does not change: answers
 * are kept by name (without BTF there is nothing to keep). */
#define FENTRY_MEMO 8
static struct {
	char name[64];
	int err;
} fentry_memo[FENTRY_MEMO];
static int fentry_memo_n;

static int fentry_can_attach_now(const struct btf *btf, const char *name);

int fentry_can_attach(const struct btf *btf, const char *name)
{
	int err;

	if (!btf)
		return -ENOENT;
	for (int i = 0; i < fentry_memo_n; i++)
		if (!strcmp(fentry_memo[i].name, name))
			return fentry_memo[i].err;
	err = fentry_can_attach_now(btf, name);
	if (fentry_memo_n < FENTRY_MEMO && strlen(name) < sizeof(fentry_memo[0].name)) {
		snprintf(fentry_memo[fentry_memo_n].name, sizeof(fentry_memo[0].name), "%s", name);
		fentry_memo[fentry_memo_n++].err = err;
	}
	return err;
}

static int fentry_can_attach_now(const struct btf *btf, const char *name)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_TRACE_FENTRY);
	int id, prog, link, err = 0;

	id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) : -ENOENT;
	if (id < 0)
		return -ENOENT;
	po.attach_btf_id = id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "memscope_fentry", "GPL", insns, 2, &po);
	if (prog < 0)
		return prog;
	/* Loading checks the prototype; attaching checks the function can
	 * get a trampoline (not notrace, not inlined away). */
	link = bpf_link_create(prog, 0, BPF_TRACE_FENTRY, NULL);
	if (link < 0)
		err = link;
	else
		close(link);
	close(prog);
	return err;
}

/* Is name a line of file f, as its first word (available_filter_functions:
 * "name" or "name [module]"; kallsyms: "addr t name")? */
bool kfunc_listed(FILE *f, const char *name, int word)
{
	char *line = NULL, *tok, *save;
	size_t n = strlen(name), cap = 0;
	bool found = false;

	/* Lines of any length: a symbol can be 512 bytes (KSYM_NAME_LEN), and
	 * the rest of a line cut short would be read as a line of its own. */
	while (!found && getline(&line, &cap, f) >= 0) {
		tok = strtok_r(line, " \t\n", &save);
		for (int i = 0; tok && i < word; i++)
			tok = strtok_r(NULL, " \t\n", &save);
		found = tok && !strncmp(tok, name, n) && !tok[n];
	}
	free(line);
	return found;
}

bool kallsyms_has_text(FILE *f, const char *name)
{
	char line[512], type, sym[256];
	bool found = false;

	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %c %255s", &type, sym) == 2 &&
			(type == 't' || type == 'T') && !strcmp(sym, name);
	return found;
}

static bool kallsyms_text(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	bool found;

	if (!f)
		return false;
	found = kallsyms_has_text(f, name);
	fclose(f);
	return found;
}

int kprobe_available(const char *name)
{
	char tracefs[256], path[512];
	bool found;
	FILE *f;

	tracefs_find(tracefs, sizeof(tracefs), false, NULL);
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) &&
	    (!tracefs[0] || access(path, F_OK)))
		return -EOPNOTSUPP;
	snprintf(path, sizeof(path), "%s/available_filter_functions", tracefs);
	f = tracefs[0] ? fopen(path, "re") : NULL;
	if (f) {
		found = kfunc_listed(f, name, 0);
		fclose(f);
	} else {
		found = kallsyms_text(name);
	}
	if (!found)
		return -ENOENT;
	/* "0xstart-0xend\tname" per blacklisted range (debugfs). */
	f = fopen("/sys/kernel/debug/kprobes/blacklist", "re");
	if (f) {
		found = kfunc_listed(f, name, 1);
		fclose(f);
		if (found)
			return -EPERM;
	}
	return 0;
}
