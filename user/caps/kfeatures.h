/* SPDX-License-Identifier: GPL-2.0 */
/* What this kernel lets memscope do, found by trying, not by reading config
 * files: each attach type is loaded and attached for real (and shown to
 * fire), tracepoints are looked up in tracefs and in BTF, and the system
 * facts the tools depend on (memcg version, PSI, swap) are read from /proc
 * and /sys. `memscope probe` renders all of it; tools use the same answers
 * to pick their attach mode. */
#ifndef MEMSCOPE_KFEATURES_H
#define MEMSCOPE_KFEATURES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe.h"

/* ---- attach types ---- */

struct attach_result {
	bool loaded;
	bool attached;
	bool fired;		/* the test trigger made it run */
	int err;		/* negative errno of the failing step, 0 if none */
	const char *stage;	/* "open", "load", "attach", or NULL */
	char target[64];	/* what it was attached to */
};

const char *probe_kind_name(enum probe_kind kind);

/* Load, attach and trigger the tiny program for one attach type; nothing
 * stays loaded afterwards. Expected failures are logged at debug level. */
void features_try_attach(enum probe_kind kind, struct attach_result *res);
/* Whether a tp_btf program may read a `void *` argument (not on 6.1). */
bool features_tp_btf_void_args(void);

/* Likely reason for a failure, for people; NULL if none is known. */
const char *attach_hint(enum probe_kind kind, const struct attach_result *res);

/* ---- tracepoints ---- */

enum tool_bit {
	TOOL_LEAK = 1 << 0,
	TOOL_CACHE = 1 << 1,
	TOOL_RECLAIM = 1 << 2,
	TOOL_OOM = 1 << 3,
};

struct tp_desc {
	const char *category;
	const char *name;
	unsigned tools;		/* enum tool_bit mask of its users */
};

extern const struct tp_desc tp_table[];
extern const int tp_table_len;

struct tp_state {
	bool in_tracefs;	/* events/<category>/<name> exists */
	bool in_btf;		/* btf_trace_<name> exists: tp_btf/raw_tp can use it */
	char args[192];		/* prototype from BTF: "struct task_struct *, uid_t" */
	const char *layout;	/* named variant where layouts differ, else NULL */
};

/* ---- system facts ---- */

struct sys_facts {
	char release[65];
	char machine[65];
	/* BTF */
	char btf_path[256];
	bool btf;
	long long btf_size;
	/* lockdown: "none", "integrity", "confidentiality", or "unknown" */
	char lockdown[32];
	/* tracefs */
	char tracefs[256];	/* mount point, "" if none */
	bool tracefs_mounted_by_us;
	/* privileges */
	uid_t euid;
	bool cap_sys_admin, cap_bpf, cap_perfmon, cap_sys_resource;
	/* memory cgroup */
	int memcg_version;	/* 0: no memory controller, 1 or 2 */
	char memcg_mount[256];
	char memcg_self[800];	/* the caller's memcg directory */
	/* pressure stall information */
	bool psi_memory;
	/* swap */
	int swap_devices;
	uint64_t swap_total_kb;
};

/* ---- per-tool modes ---- */

enum tool_id { TID_LEAK_USER, TID_LEAK_KERNEL, TID_CACHE, TID_RECLAIM, TID_OOM, TID_NR };

struct tool_mode {
	const char *tool;	/* "leak-user", "cache", ... */
	bool can_run;
	char mode[160];		/* how it will run, or why it cannot */
};

struct features {
	struct sys_facts sys;
	struct attach_result attach[PROBE_NR_KINDS];
	struct tp_state *tp;	/* tp_table_len entries */
	bool tp_btf_void_args;	/* tp_btf may read `void *` arguments */
	struct tool_mode tools[TID_NR];
};

struct features_opts {
	const char *btf_path;	/* NULL: /sys/kernel/btf/vmlinux */
	bool mount_tracefs;	/* mount tracefs if it is not mounted */
};

/* Detect everything. Returns 0, or a negative errno when memory ran out. */
int features_detect(struct features *f, const struct features_opts *opts);
void features_free(struct features *f);

/* MEMSCOPE_ATTACH=<attach type name> forces the attach mode tools pick
 * (test-only: it lets the test suite run each alternative path where the
 * kernel offers it). Returns the probe_kind it names, -1 when unset, -2
 * when it names none. */
int attach_override(void);

/* Pieces the tools need on their own. */
void sys_facts_read(struct sys_facts *s, const char *btf_path);
/* Only euid and the capabilities of s (what every tool checks first). */
void sys_privileges_read(struct sys_facts *s);
/* Mount point of tracefs (mounting it at /sys/kernel/tracing when asked and
 * missing, as perf does); "" and -errno when there is none. */
int tracefs_find(char *buf, size_t len, bool mount_if_missing, bool *mounted);

#endif
