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

/* The version of the tables: user space adds one each time it publishes
 * new ones, and its low bit names the half of unw_maps in use. A walk
 * remembered under one version is only reused under the same. */
volatile __u32 unw_cur;
/* How many maps each half holds. */
volatile __u32 unw_nmaps[2];

enum unw_stat {
	UNW_ST_CFI,		/* frames unwound with call-frame information */
	UNW_ST_FP,		/* frames unwound with the frame pointer */
	UNW_ST_UNKNOWN,		/* walks ended at an address outside the known maps */
	UNW_ST_REUSED,		/* walks not done: a thread's memo held (unw_memo_id()) */
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

/* A walk is a function of where it starts (pc, sp, bp), of the tables
 * (rows and objects never change once announced; the maps are versioned
 * by unw_cur) and of the stack words it reads. A thread that allocates
 * again from the same place with the same stack words would walk the same
 * frames again: it keeps its last walks (struct unw_memo) and, when one
 * starts at the same pc, sp and bp under the same tables, reads the words
 * that walk read in one copy and compares them instead of walking.
 *
 * The walk notes each word it reads (unw_read) in the per-CPU scratch,
 * never on the BPF stack: a value in the walk's own state is one more
 * thing the verifier tracks across the loop's iterations, and that made
 * the walk too big to verify. A walk is not remembered when a read
 * failed, when it read a word below its start or UNW_MEMO_SPAN or more
 * above, when it read more than UNW_MEMO_WORDS words, or when the tables
 * changed while it ran. */
#define UNW_MEMO_WORDS 64
#define UNW_MEMO_SPAN 4096

struct unw_memo {
	__u64 pc, sp, bp;
	__u32 gen;		/* unw_cur it was walked under */
	__u32 nw;		/* words to compare; 0: an empty slot */
	__s32 id;		/* the stack's id in the store */
	__u16 hi;		/* the words read lie in [sp, sp + hi) */
	__u16 bp_used;		/* the walk used bp as it started: it must match */
	__u16 cfi, fp, unknown;	/* its counts, counted again when reused */
	__u16 pad2;
	__u16 off[UNW_MEMO_WORDS];	/* each compared word's offset from sp */
	__u64 val[UNW_MEMO_WORDS];
};

/* A walk's state. It lives in the per-CPU scratch, not on the BPF stack:
 * the verifier tracks what a program keeps on its stack from one step of
 * the loop to the next, and each value it knows a little more about is
 * one more state to check the step in; a map value it does not track. */
struct unw_walk {
	__u64 pc, sp, bp;
	__u64 win_base;		/* stack address of win[0]; 0: none */
	__u32 n;		/* frames kept */
	/* The last mapping found: the next frame is often in it. */
	__u64 m_start, m_end, m_bias;
	__u32 m_first, m_count;	/* its object's rows; count 0: no table */
	/* Counted once per walk. */
	__u32 cfi, fp, unknown;
};

struct unw_scratch {
	struct unw_walk w;
	__u8 win[UNW_WIN];
	/* The words the walk in progress read (see struct unw_memo). */
	__u64 m_sp0;		/* sp where it started */
	__u64 m_bad;		/* non-zero: not to be remembered */
	__u32 m_gen;		/* unw_cur it ran under */
	__u32 m_nw;
	__u64 m_need;		/* words to compare, a bit each (unw_bp_used()) */
	__u64 m_bp_word;	/* the word bp was restored from, a bit; 0: none */
	__u32 m_bp_start;	/* bp is still the start's */
	__u32 m_bp_start_used;	/* the start's bp was used */
	__u16 m_off[UNW_MEMO_WORDS];
	__u64 m_val[UNW_MEMO_WORDS];
	/* A memo's words, read back. */
	__u8 span[UNW_MEMO_SPAN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unw_scratch);
} unw_scratch SEC(".maps");

/* Note a word the walk read. Without a branch: a word that does not fit
 * a memo makes the walk one not to remember, arithmetically. */
static __always_inline void unw_note(struct unw_scratch *sc, __u64 addr, __u64 v)
{
	__u64 off = addr - sc->m_sp0;
	__u32 k = sc->m_nw;

	/* off below 0 (huge) or above UNW_MEMO_SPAN - 8: bit 63 of one. */
	sc->m_bad |= (((UNW_MEMO_SPAN - 8) - off) | off) >> 63;
	sc->m_bad |= k / UNW_MEMO_WORDS;
	sc->m_off[k & (UNW_MEMO_WORDS - 1)] = off;
	sc->m_val[k & (UNW_MEMO_WORDS - 1)] = v;
	sc->m_nw = k + 1;
}

/* Which words a memo must compare: a return address always (it is the
 * next frame's pc); a saved bp only when the walk goes on to use that bp
 * (a CFA from bp, a frame-pointer frame). Code built without frame
 * pointers keeps data in rbp, and its saved value changes from call to
 * call while the frames stay the same. Words not compared are still read
 * back (they lie in the span), so a word the walk could read still can. */
static __always_inline void unw_bp_used(struct unw_scratch *sc)
{
	sc->m_need |= sc->m_bp_word;
	sc->m_bp_start_used |= sc->m_bp_start;
}

/* The word read last was the return address. */
static __always_inline void unw_ra_read(struct unw_scratch *sc)
{
	sc->m_need |= 1ULL << ((sc->m_nw - 1) & (UNW_MEMO_WORDS - 1));
}

/* The word read last is the caller's bp, from now on. */
static __always_inline void unw_bp_read(struct unw_scratch *sc)
{
	sc->m_bp_word = 1ULL << ((sc->m_nw - 1) & (UNW_MEMO_WORDS - 1));
	sc->m_bp_start = 0;
}

/* Read the u64 at stack address addr, from the window when it holds it,
 * and note it. */
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
			if (bpf_probe_read_user(v, sizeof(*v), (void *)addr)) {
				sc->m_bad = 1;
				return false;
			}
			goto note;
		}
		off = 0;
	}
	if (off > UNW_WIN - 8) {
		sc->m_bad = 1;
		return false;
	}
	*v = *(__u64 *)(sc->win + off);
note:
	unw_note(sc, addr, *v);
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
	__u64 look, cfa, ra = 0, bp;
	struct unw_scratch *sc;
	struct unw_walk *w;
	struct stack_rec *s;
	struct unw_row *r = NULL;
	__u32 zero = 0, rule = UNW_NONE;

	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	sc = bpf_map_lookup_elem(&unw_scratch, &zero);
	if (!s || !sc || i >= STACK_DEPTH)
		return 1;
	w = &sc->w;
	bp = w->bp;
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
		if (rule == UNW_CFA_SP) {
			cfa = w->sp;
		} else {
			cfa = w->bp;
			unw_bp_used(sc);
		}
		cfa += (__s64)r->cfa_off;
		if (!unw_read(w, sc, cfa - 8, &ra))
			return 1;
		unw_ra_read(sc);
		if (r->rule & UNW_BP_SAVED) {
			if (!unw_read(w, sc, cfa + (__s64)r->bp_off * 8, &bp))
				return 1;
			unw_bp_read(sc);
		}
		w->cfi++;
		break;
	default:
		/* The frame pointer: [bp] is the caller's bp, [bp + 8] the
		 * return address. */
		unw_bp_used(sc);
		cfa = w->bp + 16;
		if (w->bp < w->sp || !unw_read(w, sc, w->bp + 8, &ra))
			return 1;
		unw_ra_read(sc);
		if (!unw_read(w, sc, w->bp, &bp))
			return 1;
		unw_bp_read(sc);
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
 * allocator's caller) into the per-CPU scratch record, noting the words
 * it read in the unwind scratch; the number of frames kept. A global
 * function: verified once, whatever state its caller is in (each distinct
 * one would verify the whole loop again). */
__noinline int unw_walk_user(struct pt_regs *ctx)
{
	struct unw_scratch *sc;
	__u32 zero = 0, gen = unw_cur;

	sc = bpf_map_lookup_elem(&unw_scratch, &zero);
	if (!sc)
		return 0;
	__builtin_memset(&sc->w, 0, sizeof(sc->w));
	sc->w.pc = PT_REGS_IP(ctx);
	sc->w.sp = PT_REGS_SP(ctx);
	sc->w.bp = PT_REGS_FP(ctx);
	sc->m_sp0 = sc->w.sp;
	sc->m_gen = gen;
	sc->m_bad = 0;
	sc->m_nw = 0;
	sc->m_need = 0;
	sc->m_bp_word = 0;
	sc->m_bp_start = 1;
	sc->m_bp_start_used = 0;
	bpf_loop(STACK_DEPTH, unw_step, NULL, 0);
	/* Tables published meanwhile: it may have used both versions. */
	if (gen != unw_cur)
		sc->m_bad = 1;
	unw_add(UNW_ST_CFI, sc->w.cfi);
	unw_add(UNW_ST_FP, sc->w.fp);
	unw_add(UNW_ST_UNKNOWN, sc->w.unknown);
	return sc->w.n;
}

/* Which of a thread's n memos (a power of two) is for the walk from ctx:
 * by return address and stack pointer, so that a loop's few call sites
 * keep theirs, and so do the callers of an allocation wrapper (one return
 * address, called at different depths). */
static __always_inline __u32 unw_memo_slot(struct pt_regs *ctx, __u32 n)
{
	__u64 h = (PT_REGS_IP(ctx) ^ (PT_REGS_SP(ctx) >> 3)) * 0x9e3779b97f4a7c15ULL;

	return (h >> 32) & (n - 1);
}

/* The stack id memo m remembers if it holds for the walk that would start
 * at ctx now (counted as reused), else -1. */
static __always_inline __s32 unw_memo_id(const struct unw_memo *m, struct pt_regs *ctx)
{
	struct unw_scratch *sc;
	__u32 zero = 0, nw = m->nw, hi = m->hi;
	__u64 sp = PT_REGS_SP(ctx);

	if (!nw || m->pc != PT_REGS_IP(ctx) || m->sp != sp ||
	    (m->bp_used && m->bp != PT_REGS_FP(ctx)) || m->gen != unw_cur || hi < 8 ||
	    hi > UNW_MEMO_SPAN)
		return -1;
	sc = bpf_map_lookup_elem(&unw_scratch, &zero);
	if (!sc || bpf_probe_read_user(sc->span, hi, (void *)sp))
		return -1;
	for (__u32 i = 0; i < UNW_MEMO_WORDS; i++) {
		__u32 off;

		if (i >= nw)
			break;
		off = m->off[i];
		if (off > UNW_MEMO_SPAN - 8 || *(__u64 *)(sc->span + off) != m->val[i])
			return -1;
	}
	unw_add(UNW_ST_CFI, m->cfi);
	unw_add(UNW_ST_FP, m->fp);
	unw_add(UNW_ST_UNKNOWN, m->unknown);
	unw_add(UNW_ST_REUSED, 1);
	return m->id;
}

/* Remember in m the walk just done from ctx, whose stack got id (<0: not
 * kept; then m is emptied). */
static __always_inline void unw_memo_keep(struct unw_memo *m, struct pt_regs *ctx, __s32 id)
{
	struct unw_scratch *sc;
	__u32 zero = 0, nw, hi = 8, k = 0;
	__u64 need;

	m->nw = 0;
	sc = bpf_map_lookup_elem(&unw_scratch, &zero);
	if (!sc || id < 0 || sc->m_bad)
		return;
	nw = sc->m_nw;
	need = sc->m_need;
	if (!nw || nw > UNW_MEMO_WORDS || !need)
		return;
	for (__u32 i = 0; i < UNW_MEMO_WORDS; i++) {
		__u32 off, top;
		__s32 mask;

		if (i >= nw)
			break;
		off = sc->m_off[i] & (UNW_MEMO_SPAN - 1);
		/* hi = max(hi, off + 8), without a branch: over all words */
		top = off + 8;
		mask = (__s32)(hi - top) >> 31;
		hi = (top & mask) | (hi & ~mask);
		/* Kept at k, which moves on only for a word to compare. */
		m->off[k & (UNW_MEMO_WORDS - 1)] = off;
		m->val[k & (UNW_MEMO_WORDS - 1)] = sc->m_val[i];
		k += (need >> i) & 1;
	}
	m->bp_used = sc->m_bp_start_used;
	m->pc = PT_REGS_IP(ctx);
	m->sp = PT_REGS_SP(ctx);
	m->bp = PT_REGS_FP(ctx);
	m->gen = sc->m_gen;
	m->id = id;
	m->hi = hi;
	m->cfi = sc->w.cfi;
	m->fp = sc->w.fp;
	m->unknown = sc->w.unknown;
	m->nw = k;
}

#endif
