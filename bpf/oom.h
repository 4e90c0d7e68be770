/* SPDX-License-Identifier: GPL-2.0 */
/* Records shared by bpf/oom.bpf.c and user/oom/. Fixed-width types and
 * explicit padding only: user space checks the sizes. */
#ifndef MEMSCOPE_OOM_H
#define MEMSCOPE_OOM_H

#include "lib/stats.h"

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* A task as the OOM killer weighs it, read in the kernel at the kill. */
struct oom_task {
	__u32 pid, tid, uid;
	__s32 oom_score_adj;
	__u64 memcg_id;		/* its memory cgroup */
	__u64 total_vm;		/* pages */
	/* mm counters, pages, as the kernel reads them (get_mm_counter):
	 * [0] file, [1] anon, [2] swap entries, [3] shmem */
	__s64 rss[4];
	__u64 pgtables_bytes;
	char comm[16];
};

/* What the kernel's struct oom_control held for this kill, where it was
 * found (see oom.bpf.c). */
struct oom_decision {
	__u64 totalpages;
	__s64 chosen_points;	/* the victim's badness as the kernel computed it */
	__u64 memcg_id;		/* oc->memcg (memcg OOM), 0: none */
	__u64 memcg_usage, memcg_max;	/* its page counter, pages */
	__u64 gfp;
	__s32 order;
	__u32 constraint;	/* enum oom_constraint */
	__u32 found;		/* 0: not found, the fields above are 0 */
	__u32 pad;
};

enum oom_rec_kind {
	OOMR_KILL,		/* struct oom_kill_rec */
	OOMR_WAKE_REAPER,	/* struct oom_note_rec, from here on */
	OOMR_START_REAPING,
	OOMR_FINISH_REAPING,
	OOMR_SKIP_REAPING,
	OOMR_VICTIM_EXIT,
};

/* Candidates kept per kill (the victim's rivals, highest badness first). */
#define OOM_MAX_CANDIDATES 8

struct oom_candidate {
	struct oom_task t;
	__s64 points;		/* badness against the kill's totalpages;
				 * INT64_MIN: unkillable (oom_score_adj -1000) */
};

struct oom_kill_rec {
	__u32 kind;		/* OOMR_KILL */
	__u32 ncand;		/* candidates filled (0 where not read) */
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	struct oom_task victim;
	/* the task whose allocation invoked the OOM killer */
	struct oom_task trigger;
	__s32 trigger_kstack, trigger_ustack;	/* stack store ids, -1: none */
	__u32 victim_exiting;	/* already exiting when the kill was recorded */
	__u32 pad2;
	struct oom_decision oc;
	/* The eligible tasks in the kill's scope with the most points, the
	 * victim among them, read by the same rules as the kernel's
	 * oom_badness() (kernels with the task iterator, 6.7+). */
	__u32 cand_scanned;	/* tasks looked at */
	__u32 cand_eligible;	/* of them in scope and with memory */
	struct oom_candidate cand[OOM_MAX_CANDIDATES];
};

/* A later step of a kill's story: the OOM reaper, the victim's exit. */
struct oom_note_rec {
	__u32 kind;		/* enum oom_rec_kind */
	__u32 pid;		/* the victim's (kernel) pid */
	__u64 ts_ns;
};

enum oom_counter {
	ST_VICTIMS_FULL = ST_COMMON_NR,	/* a victim's exit not followed */
	ST_OC_NOT_FOUND,		/* oom_control not found on the stack */
	ST_OOM_NR,
};

#endif
