/* SPDX-License-Identifier: GPL-2.0 */
/* leak's user-mode programs: uprobes on the allocator's entry points, the
 * return probe that records a block and its stack, the exec tracepoint. Part of leak.bpf.c's one object: included once, by it, after
 * the allocation table, stack store and ring buffer they share. */
#ifndef MEMSCOPE_LEAK_USER_BPF_H
#define MEMSCOPE_LEAK_USER_BPF_H

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

#endif
