// SPDX-License-Identifier: GPL-2.0
/* memscope reclaim: stalls of tasks that reclaim memory themselves (global
 * direct reclaim, memory cgroup reclaim, soft-limit reclaim), direct
 * compaction and reclaim throttling, each one reported as it ends; and the
 * system around them: kswapd's wakes and time awake, the inactive lists
 * scanned and reclaimed (anon and file) by stalls, by kswapd and by
 * others. Every program is one body on the tracepoint's raw arguments
 * (ctx[]: all scalars but two pointers read with CO-RE), loaded as tp_btf
 * or as raw_tp. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "reclaim.h"

#define STATS_NR ST_RECLAIM_NR
#include "lib/common.bpf.h"
#include "lib/stack.bpf.h"

const volatile bool want_stacks;	/* --stacks */
const volatile bool want_free;		/* -e: free pages at each stall */
const volatile __u32 nr_nodes;		/* possible nodes (user space) */

/* Task flags (include/linux/sched.h, the same in 6.1 to 6.18). */
#define PF_KSWAPD 0x00020000
#define PF_KTHREAD 0x00200000

/* A task's stall in progress: one of reclaim, one of compaction at most. */
struct stall_key {
	__u32 tid;
	__u32 compaction;
};

struct stall {
	__u64 t0;
	__u64 gfp;
	__u64 free;
	__u64 scanned[2], reclaimed[2];
	__s32 order;
	__u32 kind;
	__s32 kstack, ustack;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct stall_key);
	__type(value, struct stall);
} stalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct reclaim_sys);
} sys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RECLAIM_MAX_NODES);
	__type(key, __u32);
	__type(value, struct reclaim_node);
} nodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline struct reclaim_sys *sys_counts(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sys, &zero);
}

static __always_inline __u64 task_flags(void)
{
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), flags);
}

/* ---- free pages and watermarks ------------------------------------------ */

struct node_mem {
	__u64 free, min, low, high;
};

/* The node nid's pglist_data, reached through the current task's memory
 * cgroup (every memcg has a lruvec per node, and the lruvec points at its
 * node): the node array itself is a data symbol, not resolvable where
 * kallsyms lists text only. NULL without the memory controller. */
static __always_inline struct pglist_data *node_data(__u32 nid)
{
	struct cgroup_subsys_state *css =
		task_memcg_css((struct task_struct *)bpf_get_current_task());
	struct mem_cgroup_per_node *pn = NULL;
	struct mem_cgroup *memcg;

	if (!css || nid >= RECLAIM_MAX_NODES || nid >= nr_nodes)
		return NULL;
	memcg = (void *)css - bpf_core_field_offset(struct mem_cgroup, css);
	if (bpf_probe_read_kernel(&pn, sizeof(pn), (void *)memcg +
				  bpf_core_field_offset(struct mem_cgroup, nodeinfo) +
				  nid * sizeof(pn)) || !pn)
		return NULL;
	return BPF_CORE_READ(pn, lruvec.pgdat);
}

/* Free pages and watermarks (plus boost, as the kernel checks them)
 * summed over node nid's zones; false if unreadable. */
static __always_inline bool node_mem(__u32 nid, struct node_mem *nm)
{
	struct pglist_data *pg = node_data(nid);
	int free_idx = bpf_core_enum_value(enum zone_stat_item, NR_FREE_PAGES);
	__u64 zsize = bpf_core_type_size(struct zone);

	if (!pg)
		return false;
	for (int z = 0; z < RECLAIM_MAX_ZONES; z++) {
		struct zone *zone = (void *)pg + bpf_core_field_offset(struct pglist_data, node_zones) +
				    z * zsize;
		__u64 boost = BPF_CORE_READ(zone, watermark_boost);
		long free = 0;

		if ((__u64)z * zsize >= bpf_core_field_size(struct pglist_data, node_zones))
			break;
		bpf_probe_read_kernel(&free, sizeof(free), (void *)zone +
				      bpf_core_field_offset(struct zone, vm_stat) +
				      free_idx * sizeof(atomic_long_t));
		nm->free += free > 0 ? free : 0;
		nm->min += BPF_CORE_READ(zone, _watermark[0]) + boost;
		nm->low += BPF_CORE_READ(zone, _watermark[1]) + boost;
		nm->high += BPF_CORE_READ(zone, _watermark[2]) + boost;
	}
	return true;
}

static __always_inline __u64 free_pages(void)
{
	struct node_mem nm = {};

	for (__u32 n = 0; n < RECLAIM_MAX_NODES && n < nr_nodes; n++)
		if (!node_mem(n, &nm))
			return ~0ULL;
	return nm.free;
}

/* ---- stalls ------------------------------------------------------------ */

static __always_inline void stall_begin(void *ctx, __u32 kind, __s32 order, __u64 gfp)
{
	struct stall_key k = { kernel_tid(), kind == RK_COMPACTION };
	struct stall s = { .order = order, .gfp = gfp, .kind = kind, .kstack = -1,
			   .ustack = -1, .free = ~0ULL };

	if (want_free)
		s.free = free_pages();
	if (want_stacks && !skip_current()) {
		s.kstack = take_stack(ctx, 0);
		s.ustack = take_stack(ctx, BPF_F_USER_STACK);
	}
	s.t0 = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&stalls, &k, &s, BPF_ANY))
		count(ST_STALLS_FULL);
}

/* The stall of the current task (of compaction or not) ended; status:
 * compaction's result. */
static __always_inline void stall_end(__u32 compaction, __u64 nr_reclaimed, __u32 status)
{
	struct stall_key k = { kernel_tid(), compaction };
	struct reclaim_sys *t = sys_counts();
	struct reclaim_event *e;
	struct task_ids ids;
	struct stall *s;
	__u64 now = bpf_ktime_get_ns(), lat;

	s = bpf_map_lookup_elem(&stalls, &k);
	if (!s) {
		if (t)
			t->unmatched_ends++;
		return;
	}
	lat = now - s->t0;
	if (t && s->kind < RK_NR) {
		t->stalls[s->kind]++;
		t->stall_ns[s->kind] += lat;
		t->stall_reclaimed[s->kind] += nr_reclaimed;
	}
	if (!skip_current() && (e = rb_reserve(&events, sizeof(*e)))) {
		ids = current_ids();
		e->ts_ns = now;
		e->latency_ns = lat;
		e->nr_reclaimed = nr_reclaimed;
		e->memcg_id = current_memcg_id();
		e->gfp = s->gfp;
		e->scanned[0] = s->scanned[0];
		e->scanned[1] = s->scanned[1];
		e->reclaimed[0] = s->reclaimed[0];
		e->reclaimed[1] = s->reclaimed[1];
		e->free_pages = s->free;
		e->pid = ids.tgid;
		e->tid = ids.tid;
		e->uid = (__u32)bpf_get_current_uid_gid();
		e->order = s->order;
		e->kstack = s->kstack;
		e->ustack = s->ustack;
		e->kind = s->kind;
		e->status = status;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&stalls, &k);
}

/* tp_btf and raw_tp programs of one body each (ctx[]: the raw arguments). */
#define RECLAIM_PROGS(event)						\
	SEC("tp_btf/" #event)						\
	int tp_btf_##event(__u64 *ctx) { return event##_body(ctx); }	\
	SEC("raw_tp/" #event)						\
	int raw_tp_##event(__u64 *ctx) { return event##_body(ctx); }

/* (int order, gfp_t gfp_flags) */
static __always_inline int mm_vmscan_direct_reclaim_begin_body(__u64 *ctx)
{
	stall_begin(ctx, RK_DIRECT, (__s32)ctx[0], (__u32)ctx[1]);
	return 0;
}
RECLAIM_PROGS(mm_vmscan_direct_reclaim_begin)

static __always_inline int mm_vmscan_memcg_reclaim_begin_body(__u64 *ctx)
{
	stall_begin(ctx, RK_MEMCG, (__s32)ctx[0], (__u32)ctx[1]);
	return 0;
}
RECLAIM_PROGS(mm_vmscan_memcg_reclaim_begin)

static __always_inline int mm_vmscan_memcg_softlimit_reclaim_begin_body(__u64 *ctx)
{
	stall_begin(ctx, RK_SOFTLIMIT, (__s32)ctx[0], (__u32)ctx[1]);
	return 0;
}
RECLAIM_PROGS(mm_vmscan_memcg_softlimit_reclaim_begin)

/* (unsigned long nr_reclaimed), the same for the three */
static __always_inline int mm_vmscan_direct_reclaim_end_body(__u64 *ctx)
{
	stall_end(0, ctx[0], 0);
	return 0;
}
RECLAIM_PROGS(mm_vmscan_direct_reclaim_end)

static __always_inline int mm_vmscan_memcg_reclaim_end_body(__u64 *ctx)
{
	stall_end(0, ctx[0], 0);
	return 0;
}
RECLAIM_PROGS(mm_vmscan_memcg_reclaim_end)

static __always_inline int mm_vmscan_memcg_softlimit_reclaim_end_body(__u64 *ctx)
{
	stall_end(0, ctx[0], 0);
	return 0;
}
RECLAIM_PROGS(mm_vmscan_memcg_softlimit_reclaim_end)

/* (struct compact_control *cc, zone_start, zone_end, bool sync): direct
 * compaction is the one a task (not kcompactd, a kernel thread) runs. */
static __always_inline int mm_compaction_begin_body(__u64 *ctx)
{
	struct compact_control *cc = (void *)ctx[0];

	if (task_flags() & PF_KTHREAD)
		return 0;
	stall_begin(ctx, RK_COMPACTION, BPF_CORE_READ(cc, order), BPF_CORE_READ(cc, gfp_mask));
	return 0;
}
RECLAIM_PROGS(mm_compaction_begin)

/* (cc, zone_start, zone_end, bool sync, int status) */
static __always_inline int mm_compaction_end_body(__u64 *ctx)
{
	if (task_flags() & PF_KTHREAD)
		return 0;
	stall_end(1, 0, (__u32)ctx[4]);
	return 0;
}
RECLAIM_PROGS(mm_compaction_end)

/* (int nid, unsigned long nr_scanned, unsigned long nr_reclaimed,
 *  struct reclaim_stat *stat, int priority, int file) */
static __always_inline int mm_vmscan_lru_shrink_inactive_body(__u64 *ctx)
{
	struct stall_key k = { kernel_tid(), 0 };
	struct reclaim_sys *t = sys_counts();
	__u64 scanned = ctx[1], reclaimed = ctx[2];
	__u32 file = ctx[5] ? 1 : 0;
	struct stall *s;

	/* Loaded here, once: clang would otherwise load them in each branch
	 * off a moved ctx pointer, which the verifier refuses. */
	barrier_var(scanned);
	barrier_var(reclaimed);
	s = bpf_map_lookup_elem(&stalls, &k);
	if (s) {
		s->scanned[file] += scanned;
		s->reclaimed[file] += reclaimed;
	}
	if (!t)
		return 0;
	if (s) {
		t->stall_scanned[file] += scanned;
		t->stall_reclaimed_lru[file] += reclaimed;
	} else if (task_flags() & PF_KSWAPD) {
		t->kswapd_scanned[file] += scanned;
		t->kswapd_reclaimed[file] += reclaimed;
	} else {
		t->other_scanned[file] += scanned;
		t->other_reclaimed[file] += reclaimed;
	}
	return 0;
}
RECLAIM_PROGS(mm_vmscan_lru_shrink_inactive)

/* (int nid, int usec_timeout, int usec_delayed, int reason): a task
 * slept in reclaim (too many pages under writeback or isolated, no
 * progress); reported as a stall of its own. */
static __always_inline int mm_vmscan_throttled_body(__u64 *ctx)
{
	struct reclaim_sys *t = sys_counts();
	struct reclaim_event *e;
	struct task_ids ids;
	__u64 delay_us = (__u32)ctx[2];

	if (t) {
		t->stalls[RK_THROTTLE]++;
		t->stall_ns[RK_THROTTLE] += delay_us * 1000;
		t->throttled_us += delay_us;
	}
	if (skip_current() || !(e = rb_reserve(&events, sizeof(*e))))
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	ids = current_ids();
	e->ts_ns = bpf_ktime_get_ns();
	e->latency_ns = delay_us * 1000;
	e->memcg_id = current_memcg_id();
	e->free_pages = ~0ULL;
	e->pid = ids.tgid;
	e->tid = ids.tid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->order = -1;
	e->kstack = -1;
	e->ustack = -1;
	e->kind = RK_THROTTLE;
	e->status = (__u32)ctx[3];
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
RECLAIM_PROGS(mm_vmscan_throttled)

/* ---- kswapd ------------------------------------------------------------ */

/* (int nid, int zid, int order), in kswapd as it starts a round */
static __always_inline int mm_vmscan_kswapd_wake_body(__u64 *ctx)
{
	__u32 nid = (__u32)ctx[0];
	struct reclaim_node *n = bpf_map_lookup_elem(&nodes, &nid);
	struct reclaim_sys *t = sys_counts();
	struct node_mem nm = {};

	if (t)
		t->kswapd_wakes++;
	if (!n)
		return 0;
	n->wakes++;
	n->zone = (__u32)ctx[1];
	n->order = (__u32)ctx[2];
	if (node_mem(nid, &nm)) {
		n->free = nm.free;
		n->wmark_min = nm.min;
		n->wmark_low = nm.low;
		n->wmark_high = nm.high;
	} else {
		n->free = n->wmark_min = n->wmark_low = n->wmark_high = ~0ULL;
	}
	if (!n->wake_ns)
		n->wake_ns = bpf_ktime_get_ns();
	return 0;
}
RECLAIM_PROGS(mm_vmscan_kswapd_wake)

/* (int nid), as kswapd goes to sleep */
static __always_inline int mm_vmscan_kswapd_sleep_body(__u64 *ctx)
{
	__u32 nid = (__u32)ctx[0];
	struct reclaim_node *n = bpf_map_lookup_elem(&nodes, &nid);
	struct reclaim_sys *t = sys_counts();

	if (!n || !n->wake_ns)
		return 0;
	if (t)
		t->kswapd_awake_ns += bpf_ktime_get_ns() - n->wake_ns;
	n->wake_ns = 0;
	return 0;
}
RECLAIM_PROGS(mm_vmscan_kswapd_sleep)

char LICENSE[] SEC("license") = "GPL";
