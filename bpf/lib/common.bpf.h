/* SPDX-License-Identifier: GPL-2.0 */
/* What every tool's BPF side needs: its counters, ring-buffer records that
 * count their drops, the target and self filters (process, memory cgroup;
 * pids compared in memscope's own pid namespace, so the tools work inside
 * a container), the memory cgroup of a task, and the clock.
 *
 * The tool defines STATS_NR (its counter count, common ones included, see
 * lib/stats.h) before including this file. User space sets the rodata
 * below before load (run/target.h fills them). */
#ifndef MEMSCOPE_LIB_COMMON_BPF_H
#define MEMSCOPE_LIB_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "lib/core_fixes.bpf.h"
#include "lib/stats.h"

#ifndef STATS_NR
#error "define STATS_NR (the tool's number of counters) before lib/common.bpf.h"
#endif

const volatile __u32 target_tgid;	/* only this process (0: any) */
const volatile __u32 self_tgid;		/* memscope itself: never traced */
const volatile __u64 target_memcg;	/* only tasks in this memory cgroup or
					 * below it (its id), 0: any */
/* memscope's pid namespace (st_dev/st_ino of /proc/self/ns/pid), set only
 * when it is not the initial one: then pids are compared as memscope sees
 * them, not as the kernel numbers them in the initial namespace. */
const volatile __u64 pidns_dev;
const volatile __u64 pidns_ino;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STATS_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		(*v)++;
}

struct task_ids {
	__u32 tgid;
	__u32 tid;
};

/* The current task's process and thread ids as memscope sees them; 0 for
 * a task outside memscope's pid namespace (it cannot be the target). */
static __always_inline struct task_ids current_ids(void)
{
	struct task_ids ids = {};

	if (pidns_ino) {
		struct bpf_pidns_info ns;

		if (!bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns))) {
			ids.tgid = ns.tgid;
			ids.tid = ns.pid;
		}
	} else {
		__u64 pid_tgid = bpf_get_current_pid_tgid();

		ids.tgid = pid_tgid >> 32;
		ids.tid = (__u32)pid_tgid;
	}
	return ids;
}

/* The current thread's id as the kernel numbers it (in the initial pid
 * namespace): a key for per-thread state, never shown. */
static __always_inline __u32 kernel_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* The memory cgroup css of a task, NULL without the memory controller. */
static __always_inline struct cgroup_subsys_state *task_memcg_css(struct task_struct *t)
{
	int id = memory_subsys_id();

	if (id < 0)
		return NULL;
	return BPF_CORE_READ(t, cgroups, subsys[id]);
}

/* A memory cgroup's id: the inode number of its directory in the memory
 * hierarchy (cgroup v1 or v2 alike), 0 if none. */
static __always_inline __u64 css_cgroup_id(struct cgroup_subsys_state *css)
{
	if (!css)
		return 0;
	return kernfs_node_id(BPF_CORE_READ(css, cgroup, kn));
}

static __always_inline __u64 current_memcg_id(void)
{
	return css_cgroup_id(task_memcg_css((struct task_struct *)bpf_get_current_task()));
}

/* Nesting of memory cgroups memscope follows when filtering by one. */
#define MEMCG_MAX_DEPTH 16

/* Is the current task in target_memcg or below it? */
static __always_inline bool in_target_memcg(void)
{
	struct cgroup_subsys_state *css;

	if (!target_memcg)
		return true;
	css = task_memcg_css((struct task_struct *)bpf_get_current_task());
	for (int i = 0; i < MEMCG_MAX_DEPTH && css; i++) {
		if (css_cgroup_id(css) == target_memcg)
			return true;
		css = BPF_CORE_READ(css, parent);
	}
	return false;
}

/* Should the current task's events be skipped? memscope's own, and with a
 * target process or memory cgroup every other task's. */
static __always_inline bool skip_current(void)
{
	struct task_ids ids = current_ids();

	if (ids.tgid == self_tgid)
		return true;
	if (target_tgid && ids.tgid != target_tgid)
		return true;
	return !in_target_memcg();
}

/* A ring-buffer record of size bytes, NULL (and counted) when full. */
static __always_inline void *rb_reserve(void *rb, __u64 size)
{
	void *e = bpf_ringbuf_reserve(rb, size, 0);

	if (!e)
		count(ST_RB_DROPS);
	return e;
}

/* Time for ages, in jiffies: a plain load, read in the kernel so ages do
 * not depend on memscope being scheduled. (bpf_ktime_get_ns() costs ~100
 * ns more per allocation on our VMs; bpf_ktime_get_coarse_ns() is refused
 * to every tracing program type: "program of this type cannot use
 * helper".) User space turns jiffies into time with memscope_clock below
 * (run/clock.h). */
static __always_inline __u64 now_ticks(void)
{
	return bpf_jiffies64();
}

struct clock_sample {
	__u64 ticks;		/* jiffies */
	__u64 ns;		/* CLOCK_MONOTONIC at the same moment */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clock_sample);
} clock_sample SEC(".maps");

/* Run by user space (BPF_PROG_TEST_RUN) to read jiffies and the monotonic
 * clock together. Loaded in every mode (run/attach.c). */
SEC("syscall")
int memscope_clock(void *ctx)
{
	__u32 zero = 0;
	struct clock_sample *s = bpf_map_lookup_elem(&clock_sample, &zero);

	if (s) {
		s->ticks = bpf_jiffies64();
		s->ns = bpf_ktime_get_ns();
	}
	return 0;
}

#endif
