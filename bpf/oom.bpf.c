// SPDX-License-Identifier: GPL-2.0
/* memscope oom: every OOM kill, read in the kernel as it happens.
 *
 * oom:mark_victim fires in the task whose allocation invoked the OOM
 * killer (the trigger), with the victim's task: its mm counters, page
 * tables and oom_score_adj are read there, as the kernel's badness reads
 * them. The decision itself (the constraint, the memory cgroup that ran
 * out, totalpages and the victim's points) lives in a struct oom_control
 * on the trigger's kernel stack, in the frame that called out_of_memory();
 * no tracepoint carries it, and fentry/kprobes may be refused (our 6.18
 * host refuses both). It is found by its `chosen` field, which holds the
 * victim at this point: the stack is scanned for the victim's address, and
 * a match counts only if the struct around it is a plausible oom_control
 * (a known constraint, an order the allocator takes, a totalpages of
 * memory's size, kernel pointers or NULL). The outermost match is taken:
 * the frame with oom_control is the outermost of the OOM path. Then the
 * OOM reaper's tracepoints and the victim's exit tell how its memory went.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "oom.h"

#define STATS_NR ST_OOM_NR
#include "lib/common.bpf.h"
#include "lib/stack.bpf.h"

const volatile bool want_stacks;	/* --stacks */

/* x86_64's THREAD_SIZE without KASAN (16 KiB): what is scanned. */
#define KSTACK_SIZE 16384
#define SCAN_CHUNK 512
#define SCAN_WORDS (SCAN_CHUNK / 8)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Victims whose exit and reaping are followed (kernel pid -> 1). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} victims SEC(".maps");

struct scan_buf {
	__u64 w[SCAN_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scan_buf);
} scan_scratch SEC(".maps");

/* ---- a task as the OOM killer weighs it --------------------------------- */

/* mm counters. Kernel 6.2, f1a7941243c1 ("mm: convert mm's rss stats into
 * percpu_counter"): before it, struct mm_rss_stat of atomic_long_t. The
 * kernel reads the percpu counter's shared count (get_mm_counter), as
 * here. */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

static __always_inline __s64 mm_counter(struct mm_struct *mm, int i)
{
	if (bpf_core_type_exists(struct mm_rss_stat___old))
		return BPF_CORE_READ((struct mm_struct___old *)mm, rss_stat.count[i & 3].counter);
	return BPF_CORE_READ(mm, rss_stat[i & 3].count);
}

static __always_inline void task_info(struct task_struct *t, struct oom_task *o)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);

	o->pid = BPF_CORE_READ(t, tgid);
	o->tid = BPF_CORE_READ(t, pid);
	o->uid = BPF_CORE_READ(t, cred, uid.val);
	o->oom_score_adj = BPF_CORE_READ(t, signal, oom_score_adj);
	o->memcg_id = css_cgroup_id(task_memcg_css(t));
	bpf_probe_read_kernel_str(o->comm, sizeof(o->comm), t->comm);
	if (!mm)
		return;
	o->total_vm = BPF_CORE_READ(mm, total_vm);
	for (int i = 0; i < 4; i++)
		o->rss[i] = mm_counter(mm, i);
	o->pgtables_bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
}

/* ---- the oom_control on the trigger's stack ---------------------------- */

/* x86_64 kernel addresses start at 0xffff800000000000 with 4-level page
 * tables and at 0xff00000000000000 with 5-level ones (the QEMU guests). */
static __always_inline bool kernel_ptr_or_null(__u64 p)
{
	return !p || p >= 0xff00000000000000ULL;
}

struct scan_ctx {
	__u64 base;		/* the stack's lowest address */
	__u64 victim;
	__u64 best;		/* the outermost plausible oom_control, 0: none */
	struct oom_decision d;
};

/* Is there a plausible struct oom_control whose `chosen` is at addr? */
static __always_inline bool plausible(__u64 addr, struct oom_decision *d)
{
	struct oom_control *oc =
		(void *)(addr - bpf_core_field_offset(struct oom_control, chosen));
	__u64 zl = (__u64)BPF_CORE_READ(oc, zonelist), nm = (__u64)BPF_CORE_READ(oc, nodemask);
	__u64 memcg = (__u64)BPF_CORE_READ(oc, memcg);
	__u64 total = BPF_CORE_READ(oc, totalpages);
	__u32 constraint = BPF_CORE_READ(oc, constraint);
	__s32 order = BPF_CORE_READ(oc, order);

	if (constraint > 3 || order < -1 || order > 20 || !total || total > (1ULL << 40) ||
	    !kernel_ptr_or_null(zl) || !kernel_ptr_or_null(nm) || !kernel_ptr_or_null(memcg) ||
	    (constraint == 3) != (memcg != 0))
		return false;
	d->totalpages = total;
	d->chosen_points = BPF_CORE_READ(oc, chosen_points);
	if (memcg) {
		struct mem_cgroup *m = (void *)memcg;

		d->memcg_id = css_cgroup_id((struct cgroup_subsys_state *)(memcg +
					    bpf_core_field_offset(struct mem_cgroup, css)));
		d->memcg_usage = BPF_CORE_READ(m, memory.usage.counter);
		d->memcg_max = BPF_CORE_READ(m, memory.max);
	}
	d->gfp = BPF_CORE_READ(oc, gfp_mask);
	d->order = order;
	d->constraint = constraint;
	d->found = 1;
	return true;
}

static long scan_chunk(__u64 i, void *arg)
{
	struct scan_ctx *c = arg;
	struct scan_buf *b;
	__u32 zero = 0;
	__u64 at = c->base + i * SCAN_CHUNK;

	b = bpf_map_lookup_elem(&scan_scratch, &zero);
	if (!b || bpf_probe_read_kernel(b, sizeof(*b), (void *)at))
		return 0;
	for (int w = 0; w < SCAN_WORDS; w++) {
		struct oom_decision d = {};

		if (b->w[w] != c->victim)
			continue;
		/* Later chunks are outer frames: the last match wins. */
		if (plausible(at + w * 8, &d)) {
			c->best = at + w * 8;
			c->d = d;
		}
	}
	return 0;
}

static __always_inline void find_decision(struct task_struct *victim, struct oom_decision *d)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct scan_ctx c = { .base = (__u64)BPF_CORE_READ(cur, stack), .victim = (__u64)victim };

	if (c.base)
		bpf_loop(KSTACK_SIZE / SCAN_CHUNK, scan_chunk, &c, 0);
	if (c.best)
		*d = c.d;
	else
		count(ST_OC_NOT_FOUND);
}

/* ---- the candidates (6.7+: the open-coded task iterator) ---------------- */

#ifdef OOM_CANDIDATES
extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task,
			     unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __ksym;

/* Is t's memory cgroup id or one of its ancestors id? */
static __always_inline bool memcg_under(struct task_struct *t, __u64 id)
{
	struct cgroup_subsys_state *css = task_memcg_css(t);

	for (int i = 0; i < MEMCG_MAX_DEPTH && css; i++) {
		if (css_cgroup_id(css) == id)
			return true;
		css = BPF_CORE_READ(css, parent);
	}
	return false;
}

/* One task weighed as oom_badness() does, kept if among the top ones.
 * A subprogram of its own: the iterator's loop stays small for the
 * verifier (../shared/KERNEL.md). */
static __noinline int weigh(struct task_struct *t, struct oom_kill_rec *r)
{
	struct oom_candidate c = {};
	__u32 n;

	if (!r || !t)
		return 0;
	r->cand_scanned++;
	if ((BPF_CORE_READ(t, flags) & 0x00200000) || !BPF_CORE_READ(t, mm) ||
	    BPF_CORE_READ(t, tgid) == 1)
		return 0;
	if (r->oc.constraint == 3 && !memcg_under(t, r->oc.memcg_id))
		return 0;
	r->cand_eligible++;
	task_info(t, &c.t);
	if (c.t.oom_score_adj == -1000)
		c.points = (__s64)(1ULL << 63);
	else
		c.points = c.t.rss[0] + c.t.rss[1] + c.t.rss[2] + c.t.rss[3] +
			   (__s64)(c.t.pgtables_bytes >> 12) +
			   (__s64)c.t.oom_score_adj * (__s64)(r->oc.totalpages / 1000);
	/* Insert, highest first. */
	n = r->ncand;
	if (n >= OOM_MAX_CANDIDATES) {
		if (c.points <= r->cand[OOM_MAX_CANDIDATES - 1].points)
			return 0;
		n = OOM_MAX_CANDIDATES - 1;
	} else {
		r->ncand = n + 1;
	}
	for (int i = OOM_MAX_CANDIDATES - 1; i > 0; i--) {
		if (i > (int)n || r->cand[i - 1].points >= c.points)
			continue;
		r->cand[i] = r->cand[i - 1];
		n = i - 1;
	}
	if (n < OOM_MAX_CANDIDATES)
		r->cand[n] = c;
	return 0;
}

static __always_inline void candidates(struct oom_kill_rec *r)
{
	struct bpf_iter_task it;
	struct task_struct *t;

	if (!r->oc.found)
		return;
	bpf_iter_task_new(&it, NULL, BPF_TASK_ITER_ALL_PROCS);
	while ((t = bpf_iter_task_next(&it)))
		weigh(t, r);
	bpf_iter_task_destroy(&it);
}
#else
static __always_inline void candidates(struct oom_kill_rec *r)
{
}
#endif

/* ---- the events --------------------------------------------------------- */

/* A kill of task; oc: the kernel's oom_control where the program has it
 * (fentry, kprobe on oom_kill_process), NULL: find it on the stack. */
static __always_inline int record_kill(void *ctx, struct task_struct *task, struct oom_control *oc)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct oom_kill_rec *r;
	__u32 pid = BPF_CORE_READ(task, pid), one = 1;

	if (!task || (target_memcg && !in_target_memcg()))
		return 0;
	/* First: in mark_victim the victim was sent SIGKILL already and may
	 * be exiting on another CPU. */
	if (bpf_map_update_elem(&victims, &pid, &one, BPF_ANY))
		count(ST_VICTIMS_FULL);
	r = rb_reserve(&events, sizeof(*r));
	if (!r)
		return 0;
	/* Too large for __builtin_memset: word by word (volatile, or clang
	 * makes the loop a memset call again). */
	for (__u32 i = 0; i < sizeof(*r) / 8; i++)
		((volatile __u64 *)r)[i] = 0;
	r->kind = OOMR_KILL;
	r->ts_ns = bpf_ktime_get_ns();
	task_info(task, &r->victim);
	task_info(cur, &r->trigger);
	r->trigger_kstack = want_stacks ? take_stack(ctx, 0) : -1;
	r->trigger_ustack = want_stacks ? take_stack(ctx, BPF_F_USER_STACK) : -1;
	if (!oc)
		find_decision(task, &r->oc);
	else if (!plausible((__u64)oc + bpf_core_field_offset(struct oom_control, chosen),
			    &r->oc))
		count(ST_OC_NOT_FOUND);
	candidates(r);
	/* PF_EXITING: its exit began before the kill was recorded. */
	r->victim_exiting = !!(BPF_CORE_READ(task, flags) & 0x00000004);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* (struct task_struct *task, uid_t uid): in the trigger, as the victim is
 * marked (the kernels that pass the task: 6.8+, and Debian's 6.1). */
SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim, struct task_struct *task)
{
	return record_kill(ctx, task, NULL);
}

/* oom_kill_process(oc, message): the decision made, the victim oc->chosen
 * not yet killed; where fentry or kprobes are allowed. */
SEC("fentry/oom_kill_process")
int BPF_PROG(oom_kill_fentry, struct oom_control *oc)
{
	return record_kill(ctx, BPF_CORE_READ(oc, chosen), oc);
}

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(oom_kill_kprobe, struct oom_control *oc)
{
	return record_kill(ctx, BPF_CORE_READ(oc, chosen), oc);
}

static __always_inline void note(__u32 kind, __u32 pid, bool last)
{
	struct oom_note_rec *n;

	if (!bpf_map_lookup_elem(&victims, &pid))
		return;
	n = rb_reserve(&events, sizeof(*n));
	if (n) {
		n->kind = kind;
		n->pid = pid;
		n->ts_ns = bpf_ktime_get_ns();
		bpf_ringbuf_submit(n, 0);
	}
	if (last)
		bpf_map_delete_elem(&victims, &pid);
}

/* (int pid) each */
SEC("tp_btf/wake_reaper")
int BPF_PROG(wake_reaper, int pid)
{
	note(OOMR_WAKE_REAPER, pid, false);
	return 0;
}

SEC("tp_btf/start_task_reaping")
int BPF_PROG(start_task_reaping, int pid)
{
	note(OOMR_START_REAPING, pid, false);
	return 0;
}

SEC("tp_btf/finish_task_reaping")
int BPF_PROG(finish_task_reaping, int pid)
{
	note(OOMR_FINISH_REAPING, pid, false);
	return 0;
}

SEC("tp_btf/skip_task_reaping")
int BPF_PROG(skip_task_reaping, int pid)
{
	note(OOMR_SKIP_REAPING, pid, false);
	return 0;
}

/* (struct task_struct *p, ...): the victim's exit; the reaper may still
 * come after it, so the victim stays followed until user space is done
 * (it deletes the entry). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *p)
{
	note(OOMR_VICTIM_EXIT, BPF_CORE_READ(p, pid), false);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
