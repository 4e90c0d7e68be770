/* SPDX-License-Identifier: GPL-2.0 */
/* Loading and attaching a tool's BPF programs, the same way for every tool:
 *
 * - A tool job (leak has two: a process's allocator, the kernel's) lists
 *   its modes in order of preference. A mode is the set of programs of one
 *   attach type in the tool's object (by section prefix), the tracepoints
 *   they read with the prototypes they rely on (contracts), and the kernel
 *   functions they attach to.
 * - job_load() opens the object, keeps only the programs of the first mode
 *   whose contracts and functions this kernel satisfies, loads it, and
 *   falls back to the next mode when the verifier refuses; it records why
 *   each mode was or was not taken. `memscope probe` calls the same
 *   function with the tool's defaults, so what it prints is what the tool
 *   will do. MEMSCOPE_ATTACH forces one mode (tests).
 * - A link set holds every attachment; destroying it detaches everything.
 * - Program statistics: the recursion misses of every loaded program
 *   (events the kernel skipped because the program was already running on
 *   that CPU: nothing else reports them). */
#ifndef MEMSCOPE_RUN_ATTACH_H
#define MEMSCOPE_RUN_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

#include "caps/kinds.h"
#include "caps/tracepoints.h"

/* ---- a tool's object ------------------------------------------------------ */

/* The skeleton functions of a BPF object, behind void pointers so the
 * loader works for every tool: DEFINE_SKEL_OPS(leak_skel_ops, leak_bpf). */
struct skel_ops {
	void *(*open)(const struct bpf_object_open_opts *opts);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	struct bpf_object *(*object)(void *skel);
};

#define DEFINE_SKEL_OPS(var, name)							\
	static void *var##_open(const struct bpf_object_open_opts *o)			\
	{ return name##__open_opts(o); }						\
	static int var##_load(void *s) { return name##__load(s); }			\
	static void var##_destroy(void *s) { name##__destroy(s); }			\
	static struct bpf_object *var##_object(void *s) { return ((struct name *)s)->obj; } \
	static const struct skel_ops var = { var##_open, var##_load, var##_destroy,	\
					     var##_object }

/* ---- modes and jobs ------------------------------------------------------------ */

#define JOB_MAX_MODES 8

struct tool_mode {
	const char *name;		/* "tp_btf" */
	enum probe_kind kind;		/* its attach type (MEMSCOPE_ATTACH names it) */
	const char *desc;		/* "kmem tracepoints, typed arguments" */
	/* Section prefixes of its programs ("tp_btf/"), NULL-terminated. What
	 * a program attaches to comes from its section ("tp_btf/kmalloc",
	 * "tracepoint/kmem/kmalloc", "fentry/vfs_read", "kprobe/vfs_read")
	 * and is checked before anything loads. */
	const char *const *sections;
	/* The tracepoints its tp_btf/raw_tp programs read by position, with
	 * the prototype they rely on, {NULL}-terminated: a program without a
	 * contract is not loaded. */
	const struct tp_contract *tracepoints;
	/* Sections (whole, "fexit/filemap_splice_read") of programs the mode
	 * uses where the kernel has their function, NULL-terminated: where
	 * it does not, they are left out instead of refusing the mode. */
	const char *const *optional;
};

struct tool_job {
	const char *name;		/* "leak-kernel": how probe names it */
	const char *what;		/* "the kernel's allocations" */
	const struct tool_mode *modes;
	int nmodes;
	const struct skel_ops *skel;
	/* After open: set rodata and map sizes from the tool's options (cfg,
	 * NULL for the defaults `memscope probe` asks about). 0 or -errno. */
	int (*configure)(void *skel, const struct tool_mode *mode, const void *cfg);
	/* Among the mode's programs, those this run does not want (e.g. the
	 * percpu ones without -P); NULL: all of them. */
	bool (*wanted)(const struct bpf_program *prog, const void *cfg);
};

#define MODE_MAX_LEFT_OUT 4

struct mode_trial {
	const struct tool_mode *mode;
	int err;		/* 0: taken; -errno why not */
	char why[320];		/* for people, "" when taken */
	/* Its optional programs left out here (entries of mode->optional). */
	const char *left_out[MODE_MAX_LEFT_OUT];
	int nleft_out;
};

struct job_result {
	void *skel;			/* loaded; NULL when no mode could load */
	const struct tool_mode *mode;	/* the mode taken */
	bool forced;			/* by MEMSCOPE_ATTACH */
	int ntrials;
	struct mode_trial trials[JOB_MAX_MODES];
};

struct job_load_opts {
	const char *btf_path;	/* --btf, NULL: the running kernel's */
	const void *cfg;	/* the tool's options, NULL: defaults */
	/* Try this mode alone (MEMSCOPE_ATTACH ignored): `memscope probe`
	 * asks so about every mode. NULL: choose as the tool does. */
	const struct tool_mode *only;
};

/* Load job's object in the first mode this kernel allows (see the top).
 * 0 with res->skel loaded; else -errno of the last refusal, res->trials
 * saying why each mode was refused (job_explain() makes one message). */
int job_load(const struct tool_job *job, const struct job_load_opts *o, struct job_result *res);
/* "tp_btf: <why>; raw_tp: <why>; ..." into buf. */
const char *job_explain(const struct job_result *res, char *buf, size_t len);
/* Destroy the skeleton of a result (e.g. after probing). */
void job_result_free(const struct tool_job *job, struct job_result *res);

/* ---- attachments --------------------------------------------------------------- */

struct link_set {
	struct bpf_link **v;
	size_t n, cap;
};

/* Keep link l (NULL is refused with -EINVAL); -ENOMEM, in which case l is
 * destroyed. */
int link_set_add(struct link_set *s, struct bpf_link *l);
/* Attach every loaded program of obj that libbpf can attach from its
 * section alone (tracepoints, tp_btf, raw_tp, fentry, kprobe with a
 * function). 0, or -errno with *failed naming the program. */
int link_set_attach_all(struct link_set *s, struct bpf_object *obj, const char **failed);
/* Detach everything (idempotent). */
void link_set_destroy(struct link_set *s);
/* Destroy links (NULLs skipped) and close descriptors (negative ones
 * skipped) at once, each in a thread of its own: every uprobe detach
 * waits for a grace period in the kernel (tens of ms), and those waits
 * overlap. */
void detach_all(struct bpf_link *const *links, size_t nlinks, const int *fds, size_t nfds);

/* ---- program statistics -------------------------------------------------------- */

struct prog_stat {
	const char *name;	/* the program's name in the object */
	uint64_t recursion_misses;
	uint64_t run_cnt;	/* 0 unless kernel.bpf_stats_enabled */
	uint64_t run_time_ns;
};

/* One loaded program's statistics; false if they cannot be read. */
bool prog_stat_of(const struct bpf_program *p, struct prog_stat *out);

struct json;
/* [{"name", "run_cnt", "run_ns"}] of obj's programs that ran, when the
 * kernel counts (MEMSCOPE_BPF_STATS). */
void prog_stats_json(struct json *j, struct bpf_object *obj);

/* The statistics of obj's loaded programs summed into *sum (name NULL). */
void prog_stats_sum(struct bpf_object *obj, struct prog_stat *sum);

/* Kernel memory the maps of obj pin, as the kernel accounts it. */
uint64_t object_map_bytes(struct bpf_object *obj);

#endif
