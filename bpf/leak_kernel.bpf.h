/* SPDX-License-Identifier: GPL-2.0 */
/* leak's kernel-mode programs: the kmem and percpu tracepoints (tp_btf,
 * raw_tp, classic) and the adaptive kernel stacks. Part of leak.bpf.c's one object: included once, by it, after
 * the allocation table, stack store and ring buffer they share. */
#ifndef MEMSCOPE_LEAK_KERNEL_BPF_H
#define MEMSCOPE_LEAK_KERNEL_BPF_H

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

#endif
