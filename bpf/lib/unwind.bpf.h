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

/* Stack memory is read in windows of UNW_WIN bytes: one read serves the
 * frames of several callers (frames are read upwards), not two reads
 * per frame. */
#define UNW_WIN 1024

struct unw_scratch {
	__u8 win[UNW_WIN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unw_scratch);
} unw_scratch SEC(".maps");

struct unw_walk {
	__u64 pc, sp, bp;
	__u64 win_base;		/* stack address of win[0]; 0: none */
	__u32 n;		/* frames kept */
	/* The last mapping found: the next frame is often in it. */
	__u64 m_start, m_end, m_bias;
	__u32 m_first, m_count;	/* its object's rows; count 0: no table */
	/* Counted once per walk. Never branched on: a value the verifier
	 * must know exactly would make each step a new state to check. */
	__u32 cfi, fp, unknown;
};

/* Read the u64 at stack address addr, from the window when it holds it. */
static __always_inline bool unw_read(struct unw_walk *w, struct unw_scratch *sc, __u64 addr,
				     __u64 *v)
{
	__u64 off = addr - w->win_base;

	if (!w->win_base || addr < w->win_base || off > UNW_WIN - 8) {
		/* A new window from addr; near the top of the stack a whole
		 * window may cross its end, then just the word. */
		if (!bpf_probe_read_user(sc->win, UNW_WIN, (void *)addr)) {
			w->win_base = addr;
		} else {
			w->win_base = 0;
			return !bpf_probe_read_user(v, sizeof(*v), (void *)addr);
		}
		off = 0;
	}
	if (off > UNW_WIN - 8)
		return false;
	*v = *(__u64 *)(sc->win + off);
	return true;
}

/* Make w's cached mapping the one that holds pc; false if none does. */
static __always_inline bool unw_map_of(struct unw_walk *w, __u64 pc)
{
	struct unw_map *m;
	struct unw_obj *o;

	if (pc >= w->m_start && pc < w->m_end)
		return true;
	m = unw_find_map(pc);
	if (!m)
		return false;
	w->m_start = m->start;
	w->m_end = m->end;
	w->m_bias = m->bias;
	w->m_count = 0;
	if (m->obj != UNW_NO_OBJ) {
		o = bpf_map_lookup_elem(&unw_objs, &m->obj);
		if (o) {
			w->m_first = o->first;
			w->m_count = o->count;
		}
	}
	return true;
}

/* One frame: keep pc, then find the caller's pc, sp and bp. */
static long unw_step(__u32 i, void *data)
{
	struct unw_walk *w = data;
	__u64 look, cfa, ra = 0, bp = w->bp;
	struct unw_scratch *sc;
	struct stack_rec *s;
	struct unw_row *r = NULL;
	__u32 zero = 0, rule = UNW_NONE;

	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	sc = bpf_map_lookup_elem(&unw_scratch, &zero);
	if (!s || !sc || i >= STACK_DEPTH)
		return 1;
	/* pc is a return address (the first one too: memscope walks from
	 * an allocator's return): its call is the byte before. */
	look = w->pc - 1;
	if (!unw_map_of(w, look)) {
		/* Not code we know: garbage past the stack, or a mapping
		 * user space has not seen yet. The first frame is kept
		 * anyway: it is the allocator's direct caller. */
		if (i == 0) {
			s->ips[0] = w->pc;
			w->n = 1;
		}
		w->unknown++;
		return 1;
	}
	s->ips[i] = w->pc;
	w->n = i + 1;
	if (w->m_count) {
		r = unw_find_row(w->m_first, w->m_count, look - w->m_bias);
		if (r)
			rule = r->rule & UNW_RULE_MASK;
	}
	switch (rule) {
	case UNW_END:
		return 1;
	case UNW_CFA_SP:
	case UNW_CFA_BP:
		cfa = (rule == UNW_CFA_SP ? w->sp : w->bp) + (__s64)r->cfa_off;
		if (!unw_read(w, sc, cfa - 8, &ra))
			return 1;
		if ((r->rule & UNW_BP_SAVED) && !unw_read(w, sc, cfa + (__s64)r->bp_off * 8, &bp))
			return 1;
		w->cfi++;
		break;
	default:
		/* The frame pointer: [bp] is the caller's bp, [bp + 8] the
		 * return address. */
		cfa = w->bp + 16;
		if (w->bp < w->sp || !unw_read(w, sc, w->bp + 8, &ra) || !unw_read(w, sc, w->bp, &bp))
			return 1;
		w->fp++;
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

static __always_inline void unw_add(__u32 which, __u32 n)
{
	__u64 *v;

	v = bpf_map_lookup_elem(&unw_stats, &which);
	if (v)
		*v += n;
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
	unw_add(UNW_ST_CFI, w.cfi);
	unw_add(UNW_ST_FP, w.fp);
	unw_add(UNW_ST_UNKNOWN, w.unknown);
	return w.n;
}

#endif
