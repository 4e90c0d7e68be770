/* SPDX-License-Identifier: GPL-2.0 */
/* Walk a user stack with the objects' call-frame information (tables in
 * lib/unwind.h, built by user/syms/cfi.c, kept by user/run/unwind.c),
 * falling back to the frame pointer where an object has no table or a
 * rule the walker cannot follow. Only frames inside the process's known
 * executable mappings are kept: the walk ends at the first address that
 * is not code, so no garbage past the real stack is kept or hashed.
 * Include after lib/common.bpf.h; x86-64. */
#ifndef MEMSCOPE_LIB_UNWIND_BPF_H
#define MEMSCOPE_LIB_UNWIND_BPF_H

#include "lib/unwind.h"
#include "lib/stack.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* sized by user space */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct unw_row);
} unw_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UNW_OBJS_MAX);
	__type(key, __u32);
	__type(value, struct unw_obj);
} unw_objs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * UNW_MAPS_MAX);
	__type(key, __u32);
	__type(value, struct unw_map);
} unw_maps SEC(".maps");

/* Which half of unw_maps is current, and how many maps each holds. */
volatile __u32 unw_cur;
volatile __u32 unw_nmaps[2];
/* Set by user space when tables exist; otherwise frame pointers only. */
const volatile bool unw_cfi;

enum unw_stat {
	UNW_ST_CFI,		/* frames unwound with call-frame information */
	UNW_ST_FP,		/* frames unwound with the frame pointer */
	UNW_ST_UNKNOWN,		/* walks ended at an address outside the known maps */
	UNW_ST_NR,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UNW_ST_NR);
	__type(key, __u32);
	__type(value, __u64);
} unw_stats SEC(".maps");

static __always_inline void unw_count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&unw_stats, &which);

	if (v)
		(*v)++;
}

/* One step of a binary search, without a branch: with one the verifier
 * follows both sides of every step, 2^steps paths. */
static __always_inline void unw_narrow(__u32 *lo, __u32 *hi, __u32 mid, bool below)
{
	__u32 mask = -(__u32)below;

	*lo = (mid & mask) | (*lo & ~mask);
	*hi = (*hi & mask) | (mid & ~mask);
}

/* The current mapping that holds pc, NULL if none. */
static __always_inline struct unw_map *unw_find_map(__u64 pc)
{
	__u32 cur = unw_cur & 1, n = unw_nmaps[cur], lo = 0, hi, key;
	struct unw_map *m;

	/* n is not clamped: a bounded n makes the verifier track every
	 * step's range and follow too many paths. A key past the array
	 * finds nothing. */
	if (!n)
		return NULL;
	hi = n;
	for (int k = 0; k < 10 && hi - lo > 1; k++) {
		__u32 mid = lo + (hi - lo) / 2;

		key = cur * UNW_MAPS_MAX + mid;
		m = bpf_map_lookup_elem(&unw_maps, &key);
		if (!m)
			return NULL;
		unw_narrow(&lo, &hi, mid, m->start <= pc);
	}
	key = cur * UNW_MAPS_MAX + lo;
	m = bpf_map_lookup_elem(&unw_maps, &key);
	if (!m || pc < m->start || pc >= m->end)
		return NULL;
	return m;
}

/* The row of object address pc in the run [first, first + count). */
static __always_inline struct unw_row *unw_find_row(__u32 first, __u32 count, __u64 pc)
{
	__u32 lo = first, hi = first + count, key;
	struct unw_row *r;

	if (!count || pc > 0xffffffffULL)
		return NULL;
	for (int k = 0; k < UNW_SEARCH_STEPS && hi - lo > 1; k++) {
		__u32 mid = lo + (hi - lo) / 2;

		r = bpf_map_lookup_elem(&unw_rows, &mid);
		if (!r)
			return NULL;
		unw_narrow(&lo, &hi, mid, r->pc <= (__u32)pc);
	}
	key = lo;
	r = bpf_map_lookup_elem(&unw_rows, &key);
	if (!r || r->pc > (__u32)pc)
		return NULL;
	return r;
}

struct unw_walk {
	__u64 pc, sp, bp;
	__u32 n;		/* frames kept */
	__u32 end;
};

static __always_inline bool unw_read(__u64 addr, __u64 *v)
{
	return !bpf_probe_read_user(v, sizeof(*v), (void *)addr);
}

/* One frame: keep pc, then find the caller's pc, sp and bp. */
static long unw_step(__u32 i, void *data)
{
	struct unw_walk *w = data;
	__u64 look, cfa, ra = 0, bp = w->bp;
	struct stack_rec *s;
	struct unw_map *m;
	struct unw_obj *o;
	struct unw_row *r = NULL;
	__u32 zero = 0, rule = UNW_NONE;

	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s || i >= STACK_DEPTH)
		return 1;
	/* pc is a return address (the first one too: memscope walks from
	 * an allocator's return): its call is the byte before. */
	look = w->pc - 1;
	m = unw_find_map(look);
	if (!m) {
		/* Not code we know: garbage past the stack, or a mapping
		 * user space has not seen yet. The first frame is kept
		 * anyway: it is the allocator's direct caller. */
		if (i == 0) {
			s->ips[0] = w->pc;
			w->n = 1;
		}
		unw_count(UNW_ST_UNKNOWN);
		return 1;
	}
	s->ips[i] = w->pc;
	w->n = i + 1;
	if (m->obj != UNW_NO_OBJ) {
		o = bpf_map_lookup_elem(&unw_objs, &m->obj);
		if (o)
			r = unw_find_row(o->first, o->count, look - m->bias);
		if (r)
			rule = r->rule & UNW_RULE_MASK;
	}
	switch (rule) {
	case UNW_END:
		return 1;
	case UNW_CFA_SP:
	case UNW_CFA_BP:
		cfa = (rule == UNW_CFA_SP ? w->sp : w->bp) + (__s64)r->cfa_off;
		if (!unw_read(cfa - 8, &ra))
			return 1;
		if ((r->rule & UNW_BP_SAVED) && !unw_read(cfa + (__s64)r->bp_off * 8, &bp))
			return 1;
		unw_count(UNW_ST_CFI);
		break;
	default:
		/* The frame pointer: [bp] is the caller's bp, [bp + 8] the
		 * return address. */
		cfa = w->bp + 16;
		if (w->bp < w->sp || !unw_read(w->bp + 8, &ra) || !unw_read(w->bp, &bp))
			return 1;
		unw_count(UNW_ST_FP);
		break;
	}
	/* The stack grows down: a caller's frame is above. */
	if (!ra || cfa <= w->sp)
		return 1;
	w->pc = ra;
	w->sp = cfa;
	w->bp = bp;
	return 0;
}

/* Walk the user stack at a uretprobe (pc: the return address into the
 * allocator's caller) into the per-CPU scratch record; the number of
 * frames kept. */
static __always_inline long unw_walk_user(struct pt_regs *ctx)
{
	struct unw_walk w = {
		.pc = PT_REGS_IP(ctx),
		.sp = PT_REGS_SP(ctx),
		.bp = PT_REGS_FP(ctx),
	};

	bpf_loop(STACK_DEPTH, unw_step, &w, 0);
	return w.n;
}

#endif
