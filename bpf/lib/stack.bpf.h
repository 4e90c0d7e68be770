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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);	/* resized by user space */
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

/* Take the current stack (user or kernel, per flags) and return its id in
 * the store, -1 when it could not be kept (counted). */
static __always_inline __s32 take_stack(void *ctx, __u64 flags)
{
	__u64 h = 0xcbf29ce484222325ULL;
	struct stack_rec *s, *old;
	__u32 zero = 0, id;
	long n, err;
	int i;

	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s)
		return -1;
	n = bpf_get_stack(ctx, s->ips, sizeof(s->ips), flags);
	if (n <= 0) {
		count(ST_STACK_ERROR);
		return -1;
	}
	n /= sizeof(__u64);
	for (i = 0; i < STACK_DEPTH && i < n; i++)
		h = (h ^ s->ips[i]) * 0x100000001b3ULL;
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

#endif
