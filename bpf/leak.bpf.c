// SPDX-License-Identifier: GPL-2.0
/* memscope leak: outstanding allocations of a process (uprobes on the
 * allocator) or of the kernel (kmem tracepoints).
 *
 * User mode keeps malloc-family allocations in the allocation table;
 * mmap-family changes go to user space through the ring buffer, where range
 * arithmetic (partial munmap, mremap) is easy. Kernel mode keeps kmalloc,
 * slab, page and percpu allocations in the same map. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "leak.h"

#define STATS_NR ST_NR
#include "lib/common.bpf.h"
#include "lib/stack.bpf.h"
#include "lib/unwind.bpf.h"
#include "lib/table.bpf.h"

/* Set by user space before load (and target_tgid, self_tgid, target_memcg
 * of lib/common.bpf.h). */
const volatile __u32 sample_rate = 1;	/* -s: record 1 in N allocations */
const volatile __u64 min_size;		/* -z */
const volatile __u64 max_size = ~0ULL;	/* -Z */
const volatile bool trace_events;	/* -t: every alloc/free to the ring buffer */
const volatile bool combined;		/* -C: keep per-stack totals in BPF */
const volatile bool by_cache;		/* --by-cache: site = the kmem_cache */
const volatile __u32 kstack_mode;	/* enum kstack_mode */
const volatile __u32 bucket_mask = 16383;	/* allocs buckets - 1 (a power of two) */
const volatile bool ctx_on_stack;	/* kernel: tp_btf/raw_tp (see on_irq_stack()) */
/* make bench only (MEMSCOPE_BENCH_FLOOR): the user-mode programs return at
 * once, so a benchmark measures what the traps alone cost. */
const volatile bool floor_only;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16384);	/* buckets; resized by user space (--max-allocs) */
	__type(key, __u32);
	__type(value, struct alloc_bucket);
} allocs SEC(".maps");

/* User mode's table (leak.h): elements allocated as allocations are
 * recorded, so its memory follows the target's live set. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 524288);	/* resized by user space (--max-allocs) */
	__type(key, __u64);
	__type(value, struct alloc_info);
} uallocs SEC(".maps");

/* The target's image: how many of its execs were seen (leak.h). */
__u64 image_gen;

/* Walks a thread remembers (see user_stack()). */
#define STACK_MEMOS 8

/* Entry -> return handoff, per thread. See enter() and alloc_return(). */
struct pending {
	__u64 sp;		/* stack pointer at entry; 0: nothing pending */
	__u64 size;
	/* realloc/mremap: old address; posix_memalign: memptr; munmap: addr;
	 * mmap: flags; free: its return address (see first_free()) */
	__u64 arg;
	__u64 arg2;		/* mremap: old size; mmap: fd */
	__u32 kind;
	__u32 skip;		/* sampled out or filtered: only guards nesting */
};

/* A traced thread's own state, in its task's local storage: found from
 * the task in one helper call, written with plain stores, freed with the
 * task. A hash map keyed by thread cost an update at every entry and a
 * delete at every return (~280 ns of the ~1,100 a malloc/free pair cost
 * in BPF); here a call left pending is one store of sp. Only the thread
 * itself (its probes, its exec) touches it: no locking. */
struct thread_state {
	struct pending p;
	__u32 freed;		/* its first free() was seen (first_free()) */
	__u32 pad;
	/* Its last stack walks (lib/unwind.bpf.h), a slot per return
	 * address: the few call sites of a loop keep theirs. */
	struct unw_memo memo[STACK_MEMOS];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} threads SEC(".maps");

/* The current thread's state; create: make it if it has none. NULL when
 * there is none, or when the kernel refused (out of memory; before 6.2
 * also while another task-storage call runs on this CPU). */
static __always_inline struct thread_state *thread_state(bool create)
{
	return bpf_task_storage_get(&threads, bpf_get_current_task_btf(), NULL,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* resized by user space */
	__type(key, struct combined_key);
	__type(value, struct combined_val);
} combined_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SITE_BUCKETS);
	__type(key, __u32);
	__type(value, struct site_bucket);
} sites SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PATH_BUCKETS);
	__type(key, __u32);
	__type(value, struct path_bucket);
} paths SEC(".maps");

struct cache_name {
	char name[CACHE_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct cache_name);
} cache_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline bool sampled_out(void)
{
	if (sample_rate <= 1)
		return false;
	if (bpf_get_prandom_u32() % sample_rate == 0)
		return false;
	count(ST_SAMPLED_OUT);
	return true;
}

static __always_inline bool size_filtered(__u64 size)
{
	if (size >= min_size && size <= max_size)
		return false;
	count(ST_FILTERED);
	return true;
}

/* A filled event, reserved and not yet submitted; NULL when the ring is
 * full (counted). */
static __always_inline struct leak_event *event_new(__u32 type, __u16 kind, __u64 addr,
						    __u64 size, __u64 addr2, __u64 size2,
						    __u64 site, __s32 stack_id)
{
	struct leak_event *e = rb_reserve(&events, sizeof(*e));

	if (!e)
		return NULL;
	e->type = type;
	e->tid = current_ids().tid;
	e->ts = now_ticks();
	e->addr = addr;
	e->size = size;
	e->addr2 = addr2;
	e->size2 = size2;
	e->site = site;
	e->stack_id = stack_id;
	e->kind = kind;
	e->pad = 0;
	return e;
}

static __always_inline void emit(__u32 type, __u16 kind, __u64 addr, __u64 size,
				 __u64 addr2, __u64 size2, __u64 site, __s32 stack_id)
{
	struct leak_event *e = event_new(type, kind, addr, size, addr2, size2, site, stack_id);

	if (e)
		bpf_ringbuf_submit(e, 0);
}

static __always_inline void combined_add(const struct alloc_info *a, __s64 sign)
{
	struct combined_key k = { .site = a->site, .stack_id = a->stack_id };
	struct combined_val *v, zero = {};

	v = bpf_map_lookup_elem(&combined_map, &k);
	if (!v) {
		if (sign < 0)
			return;
		/* Another CPU may insert it first: EEXIST is fine. */
		bpf_map_update_elem(&combined_map, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&combined_map, &k);
		if (!v) {
			count(ST_COMBINED_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&v->bytes, sign * (__s64)a->size);
	__sync_fetch_and_add(&v->count, sign);
}

static __always_inline struct alloc_bucket *bucket_of(__u64 addr)
{
	__u32 b = sa_bucket(addr, bucket_mask);

	return bpf_map_lookup_elem(&allocs, &b);
}

/* Remember an allocation. */
static __always_inline void record(__u64 addr, __u64 size, __u16 kind, __u64 site,
				   __s32 stack_id)
{
	struct alloc_bucket *b = bucket_of(addr);
	struct alloc_info *v;
	int i;

	if (!b)
		return;
	i = sa_find(b->keys, ALLOC_WAYS, addr);
	if (i >= 0) {
		/* Handed out again while tracked: its free went past us
		 * (e.g. before the probes were attached). Readers stop
		 * seeing the old entry first. */
		count(ST_MISSED_FREE);
		v = &b->vals[i & (ALLOC_WAYS - 1)];
		v->ts = 0;
		if (combined)
			combined_add(v, -1);
	} else {
		i = sa_claim(b->keys, ALLOC_WAYS, sa_free_way(b->keys, ALLOC_WAYS), addr);
		if (i < 0) {
			count(ST_ALLOCS_FULL);
			return;
		}
		v = &b->vals[i & (ALLOC_WAYS - 1)];
	}
	v->size = size;
	v->site = site;
	v->stack_id = stack_id;
	v->kind = kind;
	/* Last: it makes the entry visible to reports. The barrier keeps
	 * the compiler from moving the stores above after it. */
	asm volatile("" ::: "memory");
	v->ts = now_ticks();
	count(ST_ALLOCS);
	if (combined)
		combined_add(v, 1);
	if (trace_events)
		emit(EV_ALLOC, kind, addr, size, 0, 0, site, stack_id);
}

/* Forget an allocation; false if it was not tracked. */
static __always_inline bool release(__u64 addr, __u16 kind)
{
	struct alloc_bucket *b = bucket_of(addr);
	struct alloc_info *v;
	int i;

	if (!b)
		return false;
	i = sa_find(b->keys, ALLOC_WAYS, addr);
	if (i < 0) {
		count(ST_FREE_UNKNOWN);
		return false;
	}
	v = &b->vals[i & (ALLOC_WAYS - 1)];
	if (combined)
		combined_add(v, -1);
	if (trace_events)
		emit(EV_FREE, kind, addr, v->size, 0, 0, v->site, v->stack_id);
	/* First: reports stop seeing it before the slot is given back. Only
	 * the owner frees an address, so a plain store releases the slot. */
	v->ts = 0;
	asm volatile("" ::: "memory");
	b->keys[i & (ALLOC_WAYS - 1)] = 0;
	count(ST_FREES);
	return true;
}

/* User mode: the array table first (leak.h), its overflow in uallocs. How
 * many blocks the overflow holds: while none, a free that misses the array
 * is not looked up there. */
__u64 spilled;

/* Remember a block of the target's current image. */
static __always_inline void urecord(__u64 addr, __u64 size, __u16 kind, __s32 stack_id)
{
	struct alloc_info nv = { .size = size, .stack_id = stack_id, .kind = kind };
	__u64 key = IMAGE_KEY(addr, image_gen);
	struct alloc_bucket *b = bucket_of(key);
	struct alloc_info *v;
	long err;
	int i;

	if (!b)
		return;
	nv.ts = now_ticks();
	i = sa_find(b->keys, ALLOC_WAYS, key);
	if (i >= 0) {
		/* Handed out again while tracked: its free went past us. */
		count(ST_MISSED_FREE);
		v = &b->vals[i & (ALLOC_WAYS - 1)];
		v->ts = 0;
		if (combined)
			combined_add(v, -1);
	} else if (spilled && (v = bpf_map_lookup_elem(&uallocs, &key))) {
		count(ST_MISSED_FREE);
		if (combined)
			combined_add(v, -1);
		if (bpf_map_update_elem(&uallocs, &key, &nv, BPF_EXIST)) {
			count(ST_ALLOCS_FULL);
			return;
		}
		goto counted;
	} else {
		i = sa_claim(b->keys, ALLOC_WAYS, sa_free_way(b->keys, ALLOC_WAYS), key);
		if (i < 0) {
			/* Its bucket is full: the overflow table, which grows
			 * (-E2BIG: --max-allocs reached; -ENOMEM: no memory). */
			err = bpf_map_update_elem(&uallocs, &key, &nv, BPF_NOEXIST);
			if (err) {
				count(ST_ALLOCS_FULL);
				return;
			}
			__sync_fetch_and_add(&spilled, 1);
			goto counted;
		}
		v = &b->vals[i & (ALLOC_WAYS - 1)];
	}
	v->size = size;
	v->site = 0;
	v->stack_id = stack_id;
	v->kind = kind;
	/* Last, after a compiler barrier: it makes the entry visible. */
	asm volatile("" ::: "memory");
	v->ts = nv.ts;
counted:
	count(ST_ALLOCS);
	if (combined)
		combined_add(&nv, 1);
	if (trace_events)
		emit(EV_ALLOC, kind, addr, size, 0, 0, 0, stack_id);
}

/* Forget a block of the current image; false if it was not tracked. */
static __always_inline bool urelease(__u64 addr, __u16 kind)
{
	__u64 key = IMAGE_KEY(addr, image_gen);
	struct alloc_bucket *b = bucket_of(key);
	struct alloc_info *v;
	int i;

	if (!b)
		return false;
	i = sa_find(b->keys, ALLOC_WAYS, key);
	if (i >= 0) {
		v = &b->vals[i & (ALLOC_WAYS - 1)];
		if (combined)
			combined_add(v, -1);
		if (trace_events)
			emit(EV_FREE, kind, addr, v->size, 0, 0, v->site, v->stack_id);
		v->ts = 0;
		asm volatile("" ::: "memory");
		b->keys[i & (ALLOC_WAYS - 1)] = 0;
		count(ST_FREES);
		return true;
	}
	if (!spilled) {
		count(ST_FREE_UNKNOWN);
		return false;
	}
	/* Only -C and -t need what was recorded: else a free is one delete. */
	if (combined || trace_events) {
		v = bpf_map_lookup_elem(&uallocs, &key);
		if (!v) {
			count(ST_FREE_UNKNOWN);
			return false;
		}
		if (combined)
			combined_add(v, -1);
		if (trace_events)
			emit(EV_FREE, kind, addr, v->size, 0, 0, v->site, v->stack_id);
	}
	if (bpf_map_delete_elem(&uallocs, &key)) {
		count(ST_FREE_UNKNOWN);
		return false;
	}
	__sync_fetch_and_add(&spilled, -1);
	count(ST_FREES);
	return true;
}

/* Run by user space once it has reported a dead image: the array slots of
 * image number sweep_image are given back (the overflow's keys user space
 * deletes itself). No program writes a dead image's slots any more: ts is
 * cleared first, as release() does, and the key given back with a
 * compare-and-swap, as claims take one. */
__u32 sweep_image;

static long sweep_bucket(__u32 idx, void *data)
{
	struct alloc_bucket *b = bpf_map_lookup_elem(&allocs, &idx);

	if (!b)
		return 1;
	for (int i = 0; i < ALLOC_WAYS; i++) {
		__u64 k = b->keys[i];

		if (k && IMAGE_OF_KEY(k) == (sweep_image & 0xff)) {
			b->vals[i].ts = 0;
			__sync_val_compare_and_swap(&b->keys[i], k, 0);
		}
	}
	return 0;
}

SEC("syscall")
int leak_sweep_image(void *ctx)
{
	bpf_loop(bucket_mask + 1, sweep_bucket, NULL, 0);
	return 0;
}

/* ---- user space: uprobes ------------------------------------------------
 *
 * Allocators call each other (malloc -> mmap, realloc -> free/mremap,
 * memalign -> malloc) and tail-jump into each other (realloc(NULL, n) ->
 * malloc, reallocarray -> realloc). Only the outermost call of a thread
 * counts. The handoff is keyed by thread and remembers the stack pointer at
 * entry: a call whose stack pointer is below the pending one runs inside it
 * and is ignored; one at or above it replaces it (a tail jump, or a pending
 * entry whose return we never saw); a return counts only where the stack
 * pointer is the entry's plus the popped return address. */

/* Not the traced process? Its uprobes are attached to its pid already;
 * this keeps out a task that shares its mappings. */
static __always_inline bool other_process(void)
{
	return target_tgid && current_ids().tgid != target_tgid;
}

/* Inside another allocator call of this thread? mapping: the call is one
 * of mmap, munmap, mremap, the only calls that nest in a free() (see
 * first_free()). */
static __always_inline bool nested(const struct thread_state *t, __u64 sp, bool mapping)
{
	const struct pending *p = &t->p;
	__u64 ra = 0;

	if (sp >= p->sp)
		return false;
	/* free() has no return probe: its entry holds while its return
	 * address is still on the stack where it was, i.e. free has not
	 * returned (once it has, the next call from its caller overwrites
	 * that slot with another return address). */
	if (p->kind == LK_FREE &&
	    (!mapping || bpf_probe_read_user(&ra, sizeof(ra), (void *)p->sp) || ra != p->arg))
		return false;
	count(ST_NESTED);
	return true;
}

/* A thread's first free() (glibc: tcache_init, which may attach the
 * thread to a new arena: a 64 MiB mmap inside free) leaves a pending
 * entry, so that the mmap inside it is seen as nested. Only the first:
 * later frees of the thread do not map memory (heap trimming unmaps,
 * which changes nothing recorded), and a pending write per free would
 * cost every free. The entry is cleared by the thread's next allocator
 * call (enter() replaces it) and is never taken for a return. */
static __always_inline void first_free(struct thread_state *t, __u64 sp)
{
	__u64 ra;

	if (t->freed)
		return;
	t->freed = 1;
	if (bpf_probe_read_user(&ra, sizeof(ra), (void *)sp))
		return;
	t->p.sp = sp;
	t->p.size = 0;
	t->p.arg = ra;
	t->p.arg2 = 0;
	t->p.kind = LK_FREE;
	t->p.skip = 0;
}

static __always_inline int enter(struct pt_regs *ctx, __u32 kind, __u64 size, __u64 arg,
				 __u64 arg2)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct thread_state *t;
	__u32 skip = 0;

	if (floor_only || other_process())
		return 0;
	t = thread_state(true);
	if (!t) {
		count(ST_PENDING_FULL);
		return 0;
	}
	if (nested(t, sp, kind == LK_MMAP || kind == LK_MUNMAP || kind == LK_MREMAP))
		return 0;
	/* Sampling and size filters still leave an entry: calls nested in
	 * a skipped one must be skipped too. munmap and mremap are never
	 * sampled: they change ranges recorded earlier. */
	if (kind != LK_MUNMAP && kind != LK_MREMAP)
		skip = size_filtered(size) || sampled_out();
	t->p.sp = sp;
	t->p.size = size;
	t->p.arg = arg;
	t->p.arg2 = arg2;
	t->p.kind = kind;
	t->p.skip = skip;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(malloc_enter, __u64 size)
{
	return enter(ctx, LK_MALLOC, size, 0, 0);
}

/* n * size, saturating at ~0 (the call then fails, as calloc and
 * reallocarray do on overflow). Written in 32-bit halves: clang turns the
 * usual division check into a 128-bit multiply BPF cannot do. */
static __always_inline __u64 mul_sat(__u64 a, __u64 b)
{
	__u64 ahi = a >> 32, bhi = b >> 32, alo = a & 0xffffffff, blo = b & 0xffffffff;
	__u64 cross, low, res;

	if (ahi && bhi)
		return ~0ULL;
	cross = ahi * blo + bhi * alo;
	if (cross >> 32)
		return ~0ULL;
	low = alo * blo;
	res = low + (cross << 32);
	return res < low ? ~0ULL : res;
}

SEC("uprobe")
int BPF_KPROBE(calloc_enter, __u64 n, __u64 size)
{
	return enter(ctx, LK_CALLOC, mul_sat(n, size), 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(realloc_enter, __u64 ptr, __u64 size)
{
	return enter(ctx, LK_REALLOC, size, ptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(reallocarray_enter, __u64 ptr, __u64 n, __u64 size)
{
	return enter(ctx, LK_REALLOCARRAY, mul_sat(n, size), ptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, __u64 memptr, __u64 align, __u64 size)
{
	return enter(ctx, LK_POSIX_MEMALIGN, size, memptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(aligned_alloc_enter, __u64 align, __u64 size)
{
	return enter(ctx, LK_ALIGNED_ALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(memalign_enter, __u64 align, __u64 size)
{
	return enter(ctx, LK_MEMALIGN, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(valloc_enter, __u64 size)
{
	return enter(ctx, LK_VALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(pvalloc_enter, __u64 size)
{
	return enter(ctx, LK_PVALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(mmap_enter, __u64 addr, __u64 len, __u64 prot, __u64 flags, __u64 fd)
{
	/* flags and fd tell a file mapping from anonymous memory. */
	return enter(ctx, LK_MMAP, len, flags, (__u32)fd);
}

SEC("uprobe")
int BPF_KPROBE(mremap_enter, __u64 old, __u64 old_size, __u64 new_size)
{
	return enter(ctx, LK_MREMAP, new_size, old, old_size);
}

SEC("uprobe")
int BPF_KPROBE(munmap_enter, __u64 addr, __u64 len)
{
	return enter(ctx, LK_MUNMAP, len, addr, 0);
}

/* A free inside a pending operator delete is the same release: libstdc++'s
 * delete calls free (a tail jump: the same stack pointer), sized delete
 * tail-jumps to delete, jemalloc's calls its free. Otherwise as nested(). */
static __always_inline bool nested_free(const struct thread_state *t, __u64 sp)
{
	if (sp == t->p.sp && t->p.kind == LK_DELETE) {
		count(ST_NESTED);
		return true;
	}
	return nested(t, sp, false);
}

static __always_inline int free_entry(struct pt_regs *ctx, __u64 ptr)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct thread_state *t;

	if (floor_only || !ptr || other_process())
		return 0;
	/* Without its state the free still counts; only nesting and the
	 * first free's mark are lost (counted). */
	t = thread_state(true);
	if (t) {
		if (nested_free(t, sp))
			return 0;
		first_free(t, sp);
	} else {
		count(ST_PENDING_FULL);
	}
	urelease(ptr, LK_FREE);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr)
{
	return free_entry(ctx, ptr);
}

/* Every operator delete (the pointer first in all forms), and tcmalloc's
 * tc_delete*: released here, and held pending until delete returns so
 * that the free it calls is not seen as a free of an unknown block. */
static __always_inline int delete_entry(struct pt_regs *ctx, __u64 ptr)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct thread_state *t;

	if (floor_only || !ptr || other_process())
		return 0;
	t = thread_state(true);
	if (!t) {
		count(ST_PENDING_FULL);
		urelease(ptr, LK_DELETE);
		return 0;
	}
	if (nested_free(t, sp))
		return 0;
	urelease(ptr, LK_DELETE);
	t->p.sp = sp;
	t->p.size = 0;
	t->p.arg = 0;
	t->p.arg2 = 0;
	t->p.kind = LK_DELETE;
	t->p.skip = 1;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(delete_enter, __u64 ptr)
{
	return delete_entry(ctx, ptr);
}

/* operator new in all its forms (size first; alignment and nothrow_t
 * after it), tcmalloc's tc_new*. A new that calls malloc is one
 * allocation: malloc runs nested inside it. */
SEC("uprobe")
int BPF_KPROBE(new_enter, __u64 size)
{
	return enter(ctx, LK_NEW, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(new_array_enter, __u64 size)
{
	return enter(ctx, LK_NEW_ARRAY, size, 0, 0);
}

/* jemalloc: mallocx(size, flags), rallocx(ptr, size, flags),
 * xallocx(ptr, size, extra, flags); sdallocx and dallocx are frees. */
SEC("uprobe")
int BPF_KPROBE(mallocx_enter, __u64 size)
{
	return enter(ctx, LK_MALLOCX, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(rallocx_enter, __u64 ptr, __u64 size)
{
	return enter(ctx, LK_RALLOCX, size, ptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(xallocx_enter, __u64 ptr, __u64 size)
{
	return enter(ctx, LK_XALLOCX, size, ptr, 0);
}

/* Every entry point in one program for uprobe_multi links, which carry
 * each offset's enum leak_kind as its cookie: one link per object instead
 * of one per program (links are detached one by one, each taking tens of
 * ms). The same as the programs above. */
SEC("uprobe")
int BPF_KPROBE(entry_multi, __u64 a0, __u64 a1, __u64 a2, __u64 a3, __u64 a4)
{
	switch (bpf_get_attach_cookie(ctx)) {
	case LK_MALLOC: return enter(ctx, LK_MALLOC, a0, 0, 0);
	case LK_CALLOC: return enter(ctx, LK_CALLOC, mul_sat(a0, a1), 0, 0);
	case LK_REALLOC: return enter(ctx, LK_REALLOC, a1, a0, 0);
	case LK_REALLOCARRAY: return enter(ctx, LK_REALLOCARRAY, mul_sat(a1, a2), a0, 0);
	case LK_POSIX_MEMALIGN: return enter(ctx, LK_POSIX_MEMALIGN, a2, a0, 0);
	case LK_ALIGNED_ALLOC: return enter(ctx, LK_ALIGNED_ALLOC, a1, 0, 0);
	case LK_MEMALIGN: return enter(ctx, LK_MEMALIGN, a1, 0, 0);
	case LK_VALLOC: return enter(ctx, LK_VALLOC, a0, 0, 0);
	case LK_PVALLOC: return enter(ctx, LK_PVALLOC, a0, 0, 0);
	/* flags and fd tell a file mapping from anonymous memory. */
	case LK_MMAP: return enter(ctx, LK_MMAP, a1, a3, (__u32)a4);
	case LK_MREMAP: return enter(ctx, LK_MREMAP, a2, a0, a1);
	case LK_MUNMAP: return enter(ctx, LK_MUNMAP, a1, a0, 0);
	case LK_FREE: return free_entry(ctx, a0);
	case LK_NEW: return enter(ctx, LK_NEW, a0, 0, 0);
	case LK_NEW_ARRAY: return enter(ctx, LK_NEW_ARRAY, a0, 0, 0);
	case LK_DELETE: return delete_entry(ctx, a0);
	case LK_MALLOCX: return enter(ctx, LK_MALLOCX, a0, 0, 0);
	case LK_RALLOCX: return enter(ctx, LK_RALLOCX, a1, a0, 0);
	case LK_XALLOCX: return enter(ctx, LK_XALLOCX, a1, a0, 0);
	default: return 0;
	}
}

/* ld.so has mapped or unmapped objects (_dl_debug_state, the debugger's
 * breakpoint), or the program reached its entry: user space refreshes the
 * unwind tables. A -c command is stopped until it has (maps_stop): its
 * first allocations must find their tables. */
const volatile bool maps_stop;

SEC("uprobe")
int BPF_KPROBE(maps_changed)
{
	struct leak_event *e;

	if (other_process())
		return 0;
	/* Stop first, then tell: user space sends SIGCONT once it has read
	 * the event, so that SIGCONT always comes after the stop. The other
	 * way round, a reader faster than this CPU (a descheduled vCPU is
	 * enough) sent SIGCONT first, the later SIGSTOP discarded nothing,
	 * and the command stayed stopped for good. A full ring: no event,
	 * so no stop either. */
	e = event_new(EV_MAPS, LK_NONE, 0, 0, 0, 0, 0, -1);
	if (!e)
		return 0;
	if (maps_stop)
		bpf_send_signal(19 /* SIGSTOP */);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The allocation's user stack, walked from its return into the caller
 * (lib/unwind.bpf.h), or the one thread t's last walk from there found
 * when that walk would find it again (unw_memo_id()). The walk itself is
 * a global function: the verifier checks it once, not once per call of
 * this one below. */
static __noinline int user_stack(struct pt_regs *ctx, struct thread_state *t)
{
	struct unw_memo *m = &t->memo[unw_memo_slot(ctx, STACK_MEMOS)];
	struct stack_rec *s;
	__u32 zero = 0;
	__s32 id;
	int n;

	id = unw_memo_id(m, ctx);
	if (id >= 0)
		return id;
	n = unw_walk_user(ctx);
	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s)
		return -1;
	id = stack_store(s, n);
	unw_memo_keep(m, ctx, id);
	return id;
}

/* One return probe serves every allocator function. */
SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret)
{
	struct thread_state *t;
	struct pending p;
	__u64 memptr = 0;

	if (floor_only || other_process())
		return 0;
	t = thread_state(false);
	/* Only the return of the pending call itself counts. */
	if (!t || PT_REGS_SP(ctx) != t->p.sp + 8)
		return 0;
	p = t->p;
	t->p.sp = 0;

	switch (p.kind) {
	case LK_DELETE:
		return 0;
	case LK_MUNMAP:
		if ((long)ret == 0)
			emit(EV_MUNMAP, LK_MUNMAP, p.arg, p.size, 0, 0, 0, -1);
		return 0;
	case LK_MREMAP:
		if ((long)ret == -1)
			count(ST_FAILED);
		else
			emit(EV_MREMAP, LK_MREMAP, p.arg, p.arg2, ret, p.size, 0, -1);
		return 0;
	default:
		break;
	}
	if (p.skip)
		return 0;

	switch (p.kind) {
	case LK_MMAP:
		if ((long)ret == -1) {
			count(ST_FAILED);
			return 0;
		}
		/* addr2, size2: the flags and fd (see struct leak_event). */
		emit(EV_MMAP, LK_MMAP, ret, p.size, p.arg, p.arg2, 0, user_stack(ctx, t));
		return 0;
	case LK_POSIX_MEMALIGN:
		/* Returns 0 and stores the block through memptr. */
		if ((int)ret != 0 ||
		    bpf_probe_read_user(&memptr, sizeof(memptr), (void *)p.arg) || !memptr) {
			count(ST_FAILED);
			return 0;
		}
		urecord(memptr, p.size, LK_POSIX_MEMALIGN, user_stack(ctx, t));
		return 0;
	case LK_XALLOCX:
		/* Resized in place or not at all; returns the block's real
		 * size, which is what the caller may now use: the block is
		 * released and recorded again with that size, below (one
		 * inlined copy of release and record, not two). */
		p.size = ret;
		ret = p.arg;
		/* fall through */
	case LK_REALLOC:
	case LK_REALLOCARRAY:
	case LK_RALLOCX:
		if (p.arg) {
			/* rallocx(p, 0) is undefined, not a free; xallocx
			 * never frees. */
			if (p.size == 0 && p.kind != LK_RALLOCX && p.kind != LK_XALLOCX) {
				/* glibc: realloc(p, 0) frees p and returns NULL. */
				urelease(p.arg, p.kind);
				if (ret)
					urecord(ret, 0, p.kind, user_stack(ctx, t));
				return 0;
			}
			if (!ret) {
				/* Failed: the old block stays allocated. */
				count(ST_FAILED);
				return 0;
			}
			urelease(p.arg, p.kind);
		}
		break;
	default:
		break;
	}
	if (!ret) {
		count(ST_FAILED);
		return 0;
	}
	urecord(ret, p.size, p.kind, user_stack(ctx, t));
	return 0;
}

/* The target execed: its old image is gone (with every other thread, and
 * any call it had pending), a new one starts. Its blocks from now on go
 * under the next image number; user space hears of it in order with the
 * mmap changes, reports the dead image's blocks once, and moves the
 * probes to the new image's allocator. */
SEC("tracepoint/sched/sched_process_exec")
int tp_sched_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct thread_state *t;
	__u64 gen;

	if (!target_tgid || current_ids().tgid != target_tgid)
		return 0;
	/* The thread that execs keeps its task (under the leader's id when
	 * it was another thread): its state starts afresh, its first free
	 * in the new image included. */
	t = thread_state(false);
	if (t) {
		t->p.sp = 0;
		t->freed = 0;
		for (int i = 0; i < STACK_MEMOS; i++)
			t->memo[i].nw = 0;
	}
	gen = __sync_add_and_fetch(&image_gen, 1);
	emit(EV_EXEC, LK_NONE, gen, 0, 0, 0, 0, -1);
	return 0;
}

/* ---- kernel: tracepoints ------------------------------------------------ */

/* THREAD_SIZE of x86-64 and arm64 (without KASAN, which doubles it and
 * which no distribution kernel enables). */
#define TASK_STACK_SIZE (16 << 10)

/* Is the traced event running on an interrupt stack? On x86-64 hard and
 * soft interrupts run on the CPU's irq stack (softirqs from irq exit and
 * from local_bh_enable() alike: do_softirq_own_stack()); only ksoftirqd
 * runs them on a task stack, its own. A tp_btf or raw_tp program's context
 * is the array of arguments bpf_trace_runN() keeps in its frame, on the
 * stack the event runs on: outside current's task stack, it is an
 * interrupt. (The program's own frame cannot tell: 6.13+ gives tracing
 * programs a per-CPU private stack. preempt_count() would tell directly,
 * but it is a per-CPU variable, and per-CPU symbols are missing from
 * kallsyms without KALLSYMS_ALL, as on our 6.18 host.) Classic tracepoint
 * programs get a record in a per-CPU buffer: no answer, 0. A pointer
 * cannot be turned into a number by arithmetic the verifier allows: it is
 * stored and read back as plain bytes. */
static __always_inline __u32 on_irq_stack(void *ctx)
{
	struct task_struct *t;
	void *volatile where = ctx;
	__u64 base, here = 0;

	if (!ctx_on_stack)
		return 0;
	t = (struct task_struct *)bpf_get_current_task();
	base = (__u64)BPF_CORE_READ(t, stack);
	if (bpf_probe_read_kernel(&here, sizeof(here), (void *)&where) || !base)
		return 0;
	return here - base >= TASK_STACK_SIZE;
}

/* The stack of an allocation at a many-path call site, from the path cache
 * when this thread came through this site recently in the same context. */
static __always_inline __s32 cached_stack(void *ctx, __u64 site)
{
	__u32 tid = kernel_tid(), irq = on_irq_stack(ctx);
	__u32 b = sa_bucket(site ^ tid ^ ((__u64)irq << 63), PATH_BUCKETS - 1);
	struct path_bucket *pb = bpf_map_lookup_elem(&paths, &b);
	struct path_slot *ps;
	int i;

	if (!pb)
		return take_stack(ctx, 0);
	for (i = 0; i < PATH_WAYS; i++) {
		ps = &pb->s[i];
		if (ps->site != site || ps->tid != tid || ps->irq != irq)
			continue;
		if (++ps->uses & PATH_RECHECK_MASK)
			return ps->stack_id;
		ps->stack_id = take_stack(ctx, 0);
		return ps->stack_id;
	}
	ps = &pb->s[bpf_get_prandom_u32() & (PATH_WAYS - 1)];
	ps->stack_id = take_stack(ctx, 0);
	ps->uses = 1;
	ps->tid = tid;
	ps->irq = irq;
	ps->site = site;
	return ps->stack_id;
}

/* The state of a call site, claiming a slot for it when it is new (*fresh
 * set); NULL when its bucket is full. */
static __always_inline struct site_state *site_lookup(__u64 site, bool *fresh)
{
	__u32 b = sa_bucket(site, SITE_BUCKETS - 1);
	struct site_bucket *sb = bpf_map_lookup_elem(&sites, &b);
	int i;

	*fresh = false;
	if (!sb)
		return NULL;
	i = sa_find(sb->keys, SITE_WAYS, site);
	if (i < 0) {
		i = sa_claim(sb->keys, SITE_WAYS, 0, site);
		if (i < 0) {
			count(ST_SITES_FULL);
			return NULL;
		}
		*fresh = true;
	}
	return &sb->st[i & (SITE_WAYS - 1)];
}

/* A new call site: name its slab cache once (cache_names) and start
 * learning its paths with this first stack. */
static __always_inline __s32 site_first(void *ctx, struct site_state *st, struct kmem_cache *cache)
{
	struct cache_name cn = {};
	__u64 key = (__u64)cache;

	if (cache && !bpf_map_lookup_elem(&cache_names, &key)) {
		long err;

		bpf_probe_read_kernel_str(cn.name, sizeof(cn.name), BPF_CORE_READ(cache, name));
		err = bpf_map_update_elem(&cache_names, &key, &cn, BPF_NOEXIST);
		if (err && err != -EEXIST)
			count(ST_CACHE_NAMES_FULL);
	}
	st->cache = key;
	st->mode = SITE_LEARN;
	st->stack_id = kstack_mode == KSTACK_NEVER ? -1 : take_stack(ctx, 0);
	st->samples = 1;	/* last: the slot is complete */
	return st->stack_id;
}

/* A kernel call site's stack adds information only when the site is
 * reached through more than one path (a wrapper such as kmalloc_reserve):
 * learn that per site and walk the stack only there. */
static __always_inline __s32 kernel_stack(void *ctx, __u64 call_site, struct kmem_cache *cache)
{
	struct site_state *st;
	bool fresh;
	__s32 id;

	st = site_lookup(call_site, &fresh);
	if (!st)
		return kstack_mode == KSTACK_NEVER ? -1 : take_stack(ctx, 0);
	if (fresh)
		return site_first(ctx, st, cache);
	switch (kstack_mode) {
	case KSTACK_NEVER:
		return -1;
	case KSTACK_ALWAYS:
		return take_stack(ctx, 0);
	default:
		break;
	}
	switch (st->mode) {
	case SITE_MANY_PATHS:
		return cached_stack(ctx, call_site);
	case SITE_ONE_PATH:
		if ((bpf_get_prandom_u32() & SITE_RECHECK_MASK) == 0) {
			id = take_stack(ctx, 0);
			if (id >= 0 && id != st->stack_id)
				st->mode = SITE_MANY_PATHS;
			return id;
		}
		return st->stack_id;
	default:
		id = take_stack(ctx, 0);
		if (id < 0)
			return id;
		/* A slot another CPU is still filling counts as unlearned. */
		if (!st->samples || st->stack_id < 0) {
			st->stack_id = id;
			st->samples = 1;
		} else if (id != st->stack_id) {
			st->mode = SITE_MANY_PATHS;
		} else if (++st->samples >= SITE_LEARN_SAMPLES) {
			st->mode = SITE_ONE_PATH;
		}
		return id;
	}
}

/* group: the --by-cache key (the cache, or a synthetic one). */
static __always_inline void kernel_alloc(void *ctx, __u64 ptr, __u64 size, __u16 kind,
					 __u64 call_site, struct kmem_cache *cache, __u64 group)
{
	if (!ptr || skip_current() || size_filtered(size) || sampled_out())
		return;
	record(ptr, size, kind, by_cache ? group : call_site,
	       kernel_stack(ctx, call_site, cache));
}

/* A page allocation has no call site: its stack is the only context. */
static __always_inline void kernel_page_alloc(void *ctx, __u64 key, __u64 order)
{
	if (!key || skip_current() || sampled_out())
		return;
	record(key, 4096ULL << (order & 31), LK_PAGE, by_cache ? SITE_PAGES : 0,
	       kstack_mode == KSTACK_NEVER ? -1 : take_stack(ctx, 0));
}

static __always_inline void kernel_free(__u64 ptr, __u16 kind)
{
	if (ptr)
		release(ptr, kind);
}

/* Each kmem event below is one body and two programs: tp_btf (typed
 * arguments: a trusted struct kmem_cache * is read directly, without a
 * helper call) and raw_tp (untyped u64 arguments, read with CO-RE helpers).
 * The raw_tp ones serve kernels whose verifier refuses some typed
 * arguments, e.g. 6.1 reading a tp_btf `void *` ("arg1 type UNKNOWN is not
 * a struct"). The bodies read ctx[] as the raw u64 arguments both get. */
#define KMEM_PROGS(event)						\
	SEC("tp_btf/" #event)						\
	int tp_btf_##event(__u64 *ctx) { return event##_body(ctx, true); } \
	SEC("raw_tp/" #event)						\
	int raw_tp_##event(__u64 *ctx) { return event##_body(ctx, false); }

static __always_inline int kmalloc_body(__u64 *ctx, bool typed)
{
	/* call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node */
	kernel_alloc(ctx, ctx[1], ctx[2], LK_KMALLOC, ctx[0], NULL,
		     SITE_KMALLOC_BASE + (ctx[3] & SITE_KMALLOC_MASK));
	return 0;
}
KMEM_PROGS(kmalloc)

static __always_inline int kfree_body(__u64 *ctx, bool typed)
{
	/* call_site, ptr */
	kernel_free(ctx[1], LK_KMALLOC);
	return 0;
}
KMEM_PROGS(kfree)

static __always_inline int kmem_cache_alloc_body(__u64 *ctx, bool typed)
{
	/* call_site, ptr, struct kmem_cache *s, gfp_flags, node */
	struct kmem_cache *s = (struct kmem_cache *)ctx[2];
	__u64 size = typed ? s->object_size : BPF_CORE_READ(s, object_size);

	kernel_alloc(ctx, ctx[1], size, LK_KMEM_CACHE, ctx[0], s, (__u64)s);
	return 0;
}
KMEM_PROGS(kmem_cache_alloc)

static __always_inline int kmem_cache_free_body(__u64 *ctx, bool typed)
{
	/* call_site, ptr, s */
	kernel_free(ctx[1], LK_KMEM_CACHE);
	return 0;
}
KMEM_PROGS(kmem_cache_free)

/* The struct page pointer as a plain number: the verifier forbids hashing
 * a typed pointer, so a tp_btf program reads the raw argument. */
static __always_inline __u64 page_arg(__u64 *ctx, bool typed)
{
	__u64 key = 0;

	if (!typed)
		return ctx[0];
	bpf_probe_read_kernel(&key, sizeof(key), ctx);
	return key;
}

static __always_inline int mm_page_alloc_body(__u64 *ctx, bool typed)
{
	/* struct page *page, order, gfp_flags, migratetype */
	kernel_page_alloc(ctx, page_arg(ctx, typed), ctx[1]);
	return 0;
}
KMEM_PROGS(mm_page_alloc)

static __always_inline int mm_page_free_body(__u64 *ctx, bool typed)
{
	kernel_free(page_arg(ctx, typed), LK_PAGE);
	return 0;
}
KMEM_PROGS(mm_page_free)

/* No program on mm_page_free_batched: it fires for a page mm_page_free
 * has already reported. 6.1's free_unref_page_list() and 6.12/6.18's
 * free_unref_folios() prepare every page of the batch first
 * (free_unref_page_prepare() -> free_pcp_prepare() -> free_pages_prepare(),
 * or free_pages_prepare() directly: trace_mm_page_free()), then put each
 * on the per-CPU list with trace_mm_page_free_batched() just before the
 * commit. Counting both made every batched page a second free, of an
 * address no longer tracked. */

static __always_inline int percpu_alloc_percpu_body(__u64 *ctx, bool typed)
{
	/* call_site, reserved, is_atomic, size, align, base_addr, off, ptr, ... */
	kernel_alloc(ctx, ctx[7], ctx[3], LK_PERCPU, ctx[0], NULL, SITE_PERCPU);
	return 0;
}
KMEM_PROGS(percpu_alloc_percpu)

static __always_inline int percpu_free_percpu_body(__u64 *ctx, bool typed)
{
	/* base_addr, off, ptr */
	kernel_free(ctx[2], LK_PERCPU);
	return 0;
}
KMEM_PROGS(percpu_free_percpu)

/* Bulk frees pass no kmem tracepoint: kmem_cache_free_bulk() (the maple
 * tree frees its nodes so), and kfree_bulk(), which is kmem_cache_free_bulk
 * (NULL, ...), used by kfree_rcu()'s batches. Where fentry is allowed each
 * object of the array is released (an optional program: without it, the
 * reports hold each cache's count against /proc/slabinfo instead). */
static long bulk_free_one(__u64 i, void *data)
{
	__u64 base = *(__u64 *)data, obj = 0;

	if (bpf_probe_read_kernel(&obj, sizeof(obj), (void *)(base + i * sizeof(__u64))))
		return 1;
	if (obj) {
		kernel_free(obj, LK_KMEM_CACHE);
		count(ST_BULK_FREED);
	}
	return 0;
}

/* kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p) */
SEC("fentry/kmem_cache_free_bulk")
int fentry_kmem_cache_free_bulk(__u64 *ctx)
{
	__u64 size = ctx[1], base = 0;

	/* A `void **` argument: 6.1 refuses a direct read ("arg2 type PTR
	 * is not a struct"). */
	bpf_probe_read_kernel(&base, sizeof(base), &ctx[2]);
	if (base && size)
		bpf_loop(size < (1U << 16) ? size : (1U << 16), bulk_free_one, &base, 0);
	return 0;
}

/* Classic tracepoints: the same, for kernels without BTF-based tracing
 * programs (and MEMSCOPE_ATTACH=tracepoint). Field offsets are CO-RE
 * relocated. */

SEC("tracepoint/kmem/kmalloc")
int tp_kmalloc(struct trace_event_raw_kmalloc *ctx)
{
	kernel_alloc(ctx, (__u64)ctx->ptr, ctx->bytes_req, LK_KMALLOC, ctx->call_site, NULL,
		     SITE_KMALLOC_BASE + (ctx->bytes_alloc & SITE_KMALLOC_MASK));
	return 0;
}

SEC("tracepoint/kmem/kfree")
int tp_kfree(struct trace_event_raw_kfree *ctx)
{
	kernel_free((__u64)ctx->ptr, LK_KMALLOC);
	return 0;
}

SEC("tracepoint/kmem/kmem_cache_alloc")
int tp_kmem_cache_alloc(struct trace_event_raw_kmem_cache_alloc *ctx)
{
	/* The classic event has no cache pointer (6.2+ has its name, not
	 * used here): --by-cache groups by call site. */
	kernel_alloc(ctx, (__u64)ctx->ptr, ctx->bytes_req, LK_KMEM_CACHE, ctx->call_site,
		     NULL, ctx->call_site);
	return 0;
}

SEC("tracepoint/kmem/kmem_cache_free")
int tp_kmem_cache_free(struct trace_event_raw_kmem_cache_free *ctx)
{
	kernel_free((__u64)ctx->ptr, LK_KMEM_CACHE);
	return 0;
}

SEC("tracepoint/kmem/mm_page_alloc")
int tp_mm_page_alloc(struct trace_event_raw_mm_page_alloc *ctx)
{
	/* Pages are keyed by pfn here, by struct page elsewhere: one scheme
	 * per run, so the frees match. */
	if (ctx->pfn != ~0UL)
		kernel_page_alloc(ctx, ctx->pfn, ctx->order);
	return 0;
}

SEC("tracepoint/kmem/mm_page_free")
int tp_mm_page_free(struct trace_event_raw_mm_page_free *ctx)
{
	kernel_free(ctx->pfn, LK_PAGE);
	return 0;
}

SEC("tracepoint/percpu/percpu_alloc_percpu")
int tp_percpu_alloc_percpu(struct trace_event_raw_percpu_alloc_percpu *ctx)
{
	kernel_alloc(ctx, (__u64)ctx->ptr, ctx->size, LK_PERCPU, ctx->call_site, NULL,
		     SITE_PERCPU);
	return 0;
}

SEC("tracepoint/percpu/percpu_free_percpu")
int tp_percpu_free_percpu(struct trace_event_raw_percpu_free_percpu *ctx)
{
	kernel_free((__u64)ctx->ptr, LK_PERCPU);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
