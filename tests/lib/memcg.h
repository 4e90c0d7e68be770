/* SPDX-License-Identifier: GPL-2.0 */
/* A memory cgroup of a test's own: made under the memory cgroup the test
 * runs in (never anywhere else), with a limit, processes run or moved into
 * it, its counters read, and removed again. Works with the cgroup v1
 * memory controller (this project's hosts: /sys/fs/cgroup/memory) and
 * with cgroup v2 (the QEMU guests, most users' machines). Groups are named
 * "memscope-test-<runner pid>-<n>": the runner removes the ones a test
 * left (after each test, and at start those of runners that are gone). */
#ifndef MEMSCOPE_TEST_MEMCG_H
#define MEMSCOPE_TEST_MEMCG_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct memcg {
	int version;			/* 1 or 2 */
	char path[PATH_MAX + 64];	/* its directory */
	char parent[PATH_MAX];		/* the test's own memory cgroup */
	/* Its cgroup id: the inode number of its directory, which is its
	 * kernfs node id (kn->id): what bpf_get_current_cgroup_id() returns
	 * for its tasks on v2, and memcg->css.cgroup->kn->id on v1 and v2
	 * (on v1, bpf_get_current_cgroup_id() reports the v2 hierarchy's
	 * cgroup of the task instead). */
	unsigned long long id;
	unsigned long long limit;	/* bytes */
};

/* Make a memcg limited to limit bytes. swap: the most it may swap, where
 * swap is accounted (v1 memory.memsw.* where swap is configured, v2
 * memory.swap.max; ignored elsewhere), -1 to leave it unlimited. 0, or -errno with a reason in why
 * (not root, no memory controller, a v2 cgroup that holds processes and
 * cannot delegate memory to a child). */
int memcg_create(struct memcg *cg, unsigned long long limit, long long swap, char *why,
		 size_t len);
/* memcg_create, or test_skip() with the reason where memcgs cannot be
 * made here; any other failure is a test failure (then false). */
bool memcg_create_or_skip(struct memcg *cg, unsigned long long limit, long long swap);

/* Move a process (all its threads) into it; 0 or -errno. */
int memcg_move(const struct memcg *cg, pid_t pid);
/* The calling process joins the memcg at path (a child before exec:
 * bg_start's run_opts.memcg does this); 0 or -errno. */
int memcg_join(const char *path);
/* Fork a child that joins the memcg and then runs fn(arg) and exits 0;
 * returns once it has joined: its pid, or -errno. */
pid_t memcg_spawn(const struct memcg *cg, void (*fn)(void *arg), void *arg);

/* Bytes charged now (v1 memory.usage_in_bytes, v2 memory.current), the
 * most ever (v1 memory.max_usage_in_bytes, v2 memory.peak: 5.19+), a key
 * of memory.stat; -1 where the kernel has no such file or key. */
long long memcg_usage(const struct memcg *cg);
long long memcg_peak(const struct memcg *cg);
long long memcg_stat(const struct memcg *cg, const char *key);
/* Bytes of swap charged to it (v1 memory.stat swap, v2
 * memory.swap.current), -1 where not accounted. */
long long memcg_swap(const struct memcg *cg);
/* Processes the kernel OOM-killed in it (v1 memory.oom_control, v2
 * memory.events "oom_kill"), times an allocation hit the limit (v1
 * memory.failcnt + memory.memsw.failcnt, v2 memory.events "max"); -1 if
 * not reported. On v1 with a memsw limit (where swap is configured) this
 * reads 0 on 6.18: the memsw counter is charged first and its failcnt
 * does not count. */
long long memcg_oom_kills(const struct memcg *cg);
long long memcg_limit_hits(const struct memcg *cg);
/* Its processes (up to n pids into pids); the count, or -errno. */
int memcg_pids(const struct memcg *cg, pid_t *pids, int n);

/* Remove it: its processes are killed (SIGKILL; the calling process is
 * moved back to the parent instead) and waited for until the group is
 * empty (not reaped: their parents collect the status), sub-groups first,
 * then rmdir. 0 or -errno. */
int memcg_destroy(struct memcg *cg);

/* For the runner: remove the memcgs under its own memory cgroup that
 * belong to runner pid `mine` (a test left them), or, with mine 0, to
 * runners that no longer exist. Names each one in removed (a
 * comma-separated list); returns how many were found. */
int memcg_sweep(pid_t mine, char *removed, size_t len);

#endif
