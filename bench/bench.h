/* SPDX-License-Identifier: GPL-2.0 */
/* memscope-bench (bench.c): the benchmarks, their configurations and what
 * a run measures; proc.c: the processes and /proc files a run reads and
 * starts; report.c: the table and the JSON. */
#ifndef MEMSCOPE_BENCH_H
#define MEMSCOPE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#define MAX_CONFIGS 8
#define MAX_ROUNDS 64
#define MAX_PROGS 24
#define REDO_MAX 3
/* CPUs busy beyond the run's own processes that make a run redone
 * (-b changes it). */
#define OUTSIDE_LOAD 0.30

enum kind { K_BASE, K_MEMSCOPE, K_FLOOR, K_PEER };
extern const char *const kind_names[];

struct config {
	const char *name;
	enum kind kind;
	const char *cmd;	/* tracer command template; NULL: untraced */
	const char *ready;	/* the tracer's output once attached */
	const char *env;	/* NAME=VALUE for the tracer, or NULL */
	const char *needs;	/* the peer's program, to say why it is absent */
};

enum wl_kind { WL_GATED, WL_REDIS };

struct bench {
	const char *name;
	const char *title;
	const char *unit;	/* what an op is */
	enum wl_kind wl;
	const char *wl_cmd;	/* workload template ({bench} {file}) */
	bool needs_file;	/* a cached 64 MiB file */
	bool needs_memcg;	/* run the workload in a 32 MiB memory cgroup */
	bool reclaim_file;	/* a 128 MiB file on disk */
	struct config cfg[MAX_CONFIGS];
};

/* ---- results -------------------------------------------------------------------- */

struct prog_stat {
	char name[20];
	uint64_t cnt, ns;
};

struct run_res {
	double ns_per_op;
	double ops;
	double attach_ms, detach_ms;
	double cpu_ms;		/* the tracer's user+system time */
	long rss_kib;		/* the tracer's peak RSS */
	long maps_kib;		/* memlock of the tracer's BPF maps, attached */
	double busy;		/* CPUs busy meanwhile beyond the run's own */
	int redone;
	bool loaded;		/* still over the bound after REDO_MAX tries */
};

struct cfg_res {
	bool absent;		/* cannot run here: why */
	char why[160];
	int n;
	struct run_res r[MAX_ROUNDS];
	double ratio[MAX_ROUNDS];	/* to the untraced run of the same round */
	int nprog;
	struct prog_stat prog[MAX_PROGS];
	uint64_t prof_ops;
};

struct opts {
	int rounds;
	double seconds;
	double busy_max;
	const char *json;
	const char *ms, *bench_dir, *peer_dir;
	bool quiet;
};

extern struct opts o;
extern const struct bench benches[];
extern const size_t nbench;

/* proc.c */
double median(const double *v, int n);
double vmin(const double *v, int n);
double vmax(const double *v, int n);
/* Split a command line at spaces (no quoting needed for ours). */
int split(char *s, char **argv, int max);
/* Whether the file at path holds needle; last: its last non-empty line. */
bool file_has(const char *path, const char *needle, char *last, size_t lastlen);
/* Busy and total jiffies of all CPUs. */
void cpu_times(unsigned long long *busy, unsigned long long *total);
/* A process's user+system time in ms (0 if gone). */
double proc_cpu_ms(pid_t pid);
/* The KiB its BPF maps pin (-1: no such process); with progs, its
 * programs' run counts and times too. */
long proc_bpf(pid_t pid, struct prog_stat *progs, int *nprog);
enum bpf_fd { BPF_FD_MAP, BPF_FD_PROG, BPF_FD_LINK };
/* Add the ids of the programs a process holds (program and link
 * descriptors) to ids[0..n), not twice, up to max: the new n. */
int proc_prog_ids(pid_t pid, unsigned *ids, int n, int max);
/* How many of the programs ids[0..n) are still loaded; their names and
 * ids into names. */
int progs_loaded(const unsigned *ids, int n, char *names, size_t len);
/* Its resident set (VmRSS) in KiB, -1 if gone. */
long proc_rss_kib(pid_t pid);
/* Replace each {NAME} of t by its value among vars (unknown names stay). */
struct var {
	const char *name, *val;
};
void expand(const char *t, const struct var *vars, size_t nvars, char *out, size_t len);
/* The number after "key": in a JSON line (NAN if absent). */
double field(const char *s, const char *key);
/* Run argv in a process group of its own, killed if we die: env (NAME=VALUE)
 * added, stdout and stderr into the file out (stdout into out_fd instead
 * where that is >= 0), gate_fd as its fd 3, in the cgroup directory. */
pid_t spawn(char *const argv[], const char *env, const char *out, int out_fd, int gate_fd,
	    const char *cgroup);
void kill_wait(pid_t p, int sig, struct rusage *ru, int *status);
int write_file(const char *path, size_t mib, bool random);
/* A memory cgroup of our own under our own (v1 or v2), limited to mib MiB
 * and named memscope-TAG-PID: its path in memcg. */
int make_memcg(char *memcg, size_t memcg_len, const char *tag, int mib);
int find_lib(const char *name, char *out, size_t len);
bool on_path(const char *prog);
void cpu_model(char *out, size_t len);
/* What `ms --version` says. */
void commit_of(const char *ms, char *out, size_t len);
/* The directory of this program (build/bench: memscope is in ..). */
int exe_dir(char *dir, size_t len);
struct json;
/* The machine's keys of a JSON object: memscope (ms's version), date,
 * kernel (release, version), cpu (model, count). */
void json_machine(struct json *j, const char *ms);

/* report.c */
void print_table(const struct bench *b, struct cfg_res *cr, int ncfg);
void write_json(FILE *f, struct cfg_res (*all)[MAX_CONFIGS], const bool *sel);

#endif
