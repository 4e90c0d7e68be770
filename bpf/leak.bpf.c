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

#include "leak_user.bpf.h"
#include "leak_kernel.bpf.h"

char LICENSE[] SEC("license") = "GPL";
