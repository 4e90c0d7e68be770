/* SPDX-License-Identifier: GPL-2.0 */
/* Records shared by bpf/leak.bpf.c and user/leak/. Fixed-width types and
 * explicit padding only: user space checks the sizes. */
#ifndef MEMSCOPE_LEAK_H
#define MEMSCOPE_LEAK_H

#include "lib/stack.h"
#include "lib/stats.h"
#include "lib/table.h"

/* What made an allocation (and what released one). */
enum leak_kind {
	LK_NONE,
	/* user space, through uprobes */
	LK_MALLOC,
	LK_CALLOC,
	LK_REALLOC,
	LK_REALLOCARRAY,
	LK_POSIX_MEMALIGN,
	LK_ALIGNED_ALLOC,
	LK_MEMALIGN,
	LK_VALLOC,
	LK_PVALLOC,
	LK_MMAP,
	LK_MREMAP,
	LK_MUNMAP,
	LK_FREE,
	/* user space: C++ and jemalloc's own entry points */
	LK_NEW,
	LK_NEW_ARRAY,
	LK_DELETE,
	LK_MALLOCX,
	LK_RALLOCX,
	LK_XALLOCX,
	/* kernel, through tracepoints */
	LK_KMALLOC,
	LK_KMEM_CACHE,
	LK_PAGE,
	LK_PERCPU,
	LK_NR_KINDS,
};

/* One outstanding allocation, kept in a slot of the allocation table under
 * its address (kernel pages: the struct page pointer). */
struct alloc_info {
	__u64 size;		/* bytes requested */
	__u64 ts;		/* jiffies at allocation (0: slot being filled or emptied) */
	__u64 site;		/* kernel: call site, or the kmem_cache with --by-cache */
	__s32 stack_id;		/* stacks map id, <0: none */
	__u16 kind;		/* enum leak_kind */
	__u16 pad;
};

/* The allocation table: a set-associative table in a BPF array
 * (lib/table.h), preallocated: kmem events also come where a hash map
 * could not allocate an element (interrupts off, the allocator itself),
 * and a slot costs less than a hash map's update and delete (about 1 us
 * more per malloc/free pair, measured with the old scripts/bench.sh). An address
 * hashes to one bucket and lives in one of its
 * ways; a slot is claimed with a compare-and-swap on its key. ts is
 * written last and cleared first, and a slot whose ts is 0 is skipped
 * by reports. User space copies buckets with batch lookups, a plain copy
 * in the kernel that does not order with these stores: a slot filled or
 * emptied during the copy may be seen half-written. Reports are
 * statistical snapshots of a moving table; in user mode the per-site
 * totals they show are exact once the target has stopped allocating
 * (kernel mode: frees the kernel hides, see bpf/leak.bpf.c). */
#define ALLOC_WAYS 16

/* User mode keeps a small array and puts what its full buckets cannot
 * hold into an overflow, a hash map without preallocation (uallocs):
 * memory follows the live set (16 bytes per possible entry up front, an
 * element per block held), and only programs that keep many blocks pay
 * for the hash map. Keys are the address with the target's image in the
 * top bits: the number of execs seen (mod 256). A new image's blocks never
 * meet the dead one's at the same address, and user space reports and
 * removes the dead image's blocks when it sees the exec. */
#define USER_ARRAY_BUCKETS 4096		/* 65,536 slots, 2.5 MiB */
#define IMAGE_SHIFT 56
#define IMAGE_ADDR_MASK ((1ULL << IMAGE_SHIFT) - 1)
#define IMAGE_KEY(addr, gen) ((addr) | ((__u64)((gen) & 0xff) << IMAGE_SHIFT))
#define IMAGE_OF_KEY(key) ((__u32)((key) >> IMAGE_SHIFT))

struct alloc_bucket {
	__u64 keys[ALLOC_WAYS];			/* 0: free slot */
	struct alloc_info vals[ALLOC_WAYS];
};

/* Aggregate per stack (user) or per stack/site (kernel) for -C. */
struct combined_key {
	__u64 site;
	__s32 stack_id;
	__u32 pad;
};

struct combined_val {
	__u64 bytes;
	__u64 count;
};

/* Ring-buffer records. mmap-family changes always come this way (their
 * range arithmetic lives in user space); malloc-family events only with
 * --trace. */
enum leak_event_type {
	EV_ALLOC = 1,
	EV_FREE,
	EV_MMAP,
	EV_MUNMAP,
	EV_MREMAP,
	EV_MAPS,		/* the target's mappings changed (ld.so): refresh */
	EV_EXEC,		/* the target execed: addr = its new image number */
};

struct leak_event {
	__u32 type;		/* enum leak_event_type */
	__u32 tid;
	__u64 ts;		/* jiffies */
	__u64 addr;		/* mremap: old address */
	__u64 size;		/* mremap: old size */
	__u64 addr2;		/* mremap: new address; mmap: its flags */
	__u64 size2;		/* mremap: new size; mmap: its fd (as a __u32) */
	__u64 site;
	__s32 stack_id;
	__u16 kind;		/* enum leak_kind */
	__u16 pad;
};

/* Counters, one per-CPU slot each, after the common ones (lib/stats.h):
 * every loss is counted. */
enum leak_stat {
	ST_ALLOCS = ST_COMMON_NR,	/* allocations recorded */
	ST_FREES,		/* frees of tracked allocations */
	ST_FAILED,		/* allocation calls that failed (NULL, MAP_FAILED) */
	ST_FREE_UNKNOWN,	/* frees of addresses not tracked */
	ST_MISSED_FREE,		/* an address handed out again while tracked */
	ST_ALLOCS_FULL,		/* allocation table (kernel: its bucket) full: not tracked */
	ST_PENDING_FULL,	/* entry->return handoff map full */
	ST_SAMPLED_OUT,		/* skipped by -s sampling */
	ST_FILTERED,		/* skipped by -z/-Z */
	ST_NESTED,		/* allocator calls inside another one (not counted twice) */
	ST_COMBINED_FULL,	/* -C aggregation map full */
	ST_SITES_FULL,		/* call-site table bucket full: that site's stacks
				 * are walked every time and its cache is not named */
	ST_CACHE_NAMES_FULL,	/* slab cache name table full: a cache not named */
	ST_BULK_FREED,		/* objects freed through kmem_cache_free_bulk (fentry) */
	ST_NR,
};

/* Kernel stacks: how a call site's stacks are taken (adaptive mode). */
enum site_mode {
	SITE_LEARN,		/* take every stack until it is clear */
	SITE_ONE_PATH,		/* all stacks seen were the same: reuse it */
	SITE_MANY_PATHS,	/* stacks differ: take one per allocation */
};

/* Per kernel call site: how its stacks are taken, and the slab cache it
 * allocates from (so reports can name it). Kept in a set-associative
 * table like the allocations; samples == 0 marks a slot being filled. */
struct site_state {
	__u64 cache;		/* struct kmem_cache *, 0 if none */
	__s32 stack_id;		/* the one path, for SITE_ONE_PATH */
	__u16 samples;
	__u16 mode;		/* enum site_mode */
};

#define SITE_WAYS 4
#define SITE_BUCKETS 4096

struct site_bucket {
	__u64 keys[SITE_WAYS];	/* call site, 0: free */
	struct site_state st[SITE_WAYS];
};

#define CACHE_NAME_LEN 32

/* Synthetic sites for --by-cache groups that have no kmem_cache. Kernel
 * pointers have their top 17 bits set, so small values cannot collide. */
#define SITE_KMALLOC_BASE (1ULL << 40)	/* + bytes_alloc: "kmalloc-N" */
#define SITE_KMALLOC_MASK ((1ULL << 40) - 1)
#define SITE_IS_KMALLOC(site) (((site) & ~SITE_KMALLOC_MASK) == SITE_KMALLOC_BASE)
#define SITE_PAGES 1ULL			/* the page allocator */
#define SITE_PERCPU 2ULL		/* the percpu allocator */

/* --kernel-stacks */
enum kstack_mode {
	KSTACK_ADAPTIVE,	/* full stack only where a call site has several paths */
	KSTACK_ALWAYS,
	KSTACK_NEVER,
};

/* At a call site with several paths, one thread usually keeps taking the
 * same one (a process writing to a socket: always the socket's send
 * path). The path cache remembers, per thread, context and site, the last
 * stack and walks the stack again only once per PATH_RECHECK_MASK+1 uses.
 * The context (task, or interrupt: a softirq running on the CPU's irq
 * stack while that thread was current) is part of the key: a softirq's
 * allocation at a site must not get the stack the interrupted task took
 * there (a TCP child socket made in the softirq of connect() is not the
 * socket() path). */
#define PATH_WAYS 4
#define PATH_BUCKETS 4096
#define PATH_RECHECK_MASK 63

struct path_slot {
	__u64 site;
	__u32 tid;
	__s32 stack_id;
	__u32 uses;
	__u32 irq;		/* 1: interrupt context */
};

struct path_bucket {
	struct path_slot s[PATH_WAYS];
};

#define SITE_LEARN_SAMPLES 16
/* One-path sites re-check their path once per this many allocations. */
#define SITE_RECHECK_MASK 1023

#endif
