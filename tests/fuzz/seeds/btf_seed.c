// SPDX-License-Identifier: GPL-2.0
/* Not a program: compiled with clang -g -target bpf at build time, its BTF
 * is a seed of the btf harness (tracepoint prototypes as the kernel's BTF
 * has them: btf_trace_<name> typedefs of pointers to function prototypes). */
typedef unsigned long size_t;
typedef unsigned int gfp_t;
struct task_struct { int pid; char comm[16]; };

typedef void (*btf_trace_kmalloc)(void *, unsigned long, const void *, size_t, size_t,
				  gfp_t, int);
typedef void (*btf_trace_kfree)(void *, unsigned long, const void *);
typedef void (*btf_trace_mm_vmscan_direct_reclaim_begin)(void *, int, gfp_t);
typedef void (*btf_trace_mark_victim)(void *, struct task_struct *, unsigned int);

btf_trace_kmalloc seed_kmalloc;
btf_trace_kfree seed_kfree;
btf_trace_mm_vmscan_direct_reclaim_begin seed_reclaim;
btf_trace_mark_victim seed_victim;
