/* SPDX-License-Identifier: GPL-2.0 */
/* The stack store: stacks kept under a 31-bit id of a 64-bit hash of their
 * frames (lib/stack.h says why not the kernel's stack-trace map). Include
 * after lib/common.bpf.h; user space sizes `stacks` before load. */
#ifndef MEMSCOPE_LIB_STACK_BPF_H
#define MEMSCOPE_LIB_STACK_BPF_H

#include "lib/stack.h"

#ifndef EEXIST
#define EEXIST 17
#endif

/* Not preallocated: a record is 1 KiB and whole stacks of a large C++
 * program number tens of thousands, so the store takes memory as stacks
 * come, up to its size. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);	/* resized by user space */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct stack_rec);
} stacks SEC(".maps");

/* Where a stack is taken before it is known whether it is new. Tracing
 * programs run with preemption off, so one slot per CPU is enough. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_rec);
} stack_scratch SEC(".maps");

/* A 64-bit hash of n frames, each through a full 64-bit mix (FNV-1a over
 * whole words, used before, carries bits only upwards in its multiply).
 * The collisions seen before came from elsewhere: a stack is compared with
 * the ids already kept, so collisions grow with the number of distinct
 * stacks tried, and frame-pointer walks that ran into garbage past the
 * stack made millions of distinct "stacks" of a few real ones. Only
 * validated frames are hashed now (lib/unwind.bpf.h). */
static __always_inline __u64 stack_hash(const struct stack_rec *s, long n)
{
	__u64 h = 0x9e3779b97f4a7c15ULL ^ (__u64)n;

	for (int i = 0; i < STACK_DEPTH && i < n; i++) {
		h ^= s->ips[i];
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 29;
	return h;
}

/* Keep the n frames in the scratch record s in the store; its id, -1 when
 * it could not be kept (counted). */
static __always_inline __s32 stack_store(struct stack_rec *s, long n)
{
	struct stack_rec *old;
	__u64 h;
	__u32 id;
	long err;

	if (n <= 0) {
		count(ST_STACK_ERROR);
		return -1;
	}
	h = stack_hash(s, n);
	id = (__u32)(h >> 33);
	old = bpf_map_lookup_elem(&stacks, &id);
	if (old) {
		if (old->hash == h)
			return id;
		count(ST_STACK_COLLISION);
		return -1;
	}
	s->hash = h;
	s->nr = n;
	err = bpf_map_update_elem(&stacks, &id, s, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count(ST_STACK_FULL);
		return -1;
	}
	return id;
}

/* Take the current stack (user or kernel, per flags) with the kernel's
 * frame-pointer walk and return its id in the store, -1 when it could not
 * be kept (counted). */
static __always_inline __s32 take_stack(void *ctx, __u64 flags)
{
	struct stack_rec *s;
	__u32 zero = 0;
	long n;

	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s)
		return -1;
	n = bpf_get_stack(ctx, s->ips, sizeof(s->ips), flags);
	if (n <= 0) {
		count(ST_STACK_ERROR);
		return -1;
	}
	return stack_store(s, n / sizeof(__u64));
}

#endif
