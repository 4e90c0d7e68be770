/* SPDX-License-Identifier: GPL-2.0 */
/* Records shared by bpf/cache.bpf.c and user/cache/. Fixed-width types and
 * explicit padding only: user space checks the sizes. */
#ifndef MEMSCOPE_CACHE_H
#define MEMSCOPE_CACHE_H

#include "lib/stats.h"

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* What is counted, per entity (the system, a process, a memory cgroup, a
 * file), in pages. */
struct cache_counts {
	__u64 reads;		/* read calls (read, pread, readv, splice, sendfile) */
	__u64 requested;	/* pages they asked for, clamped to the end of file */
	__u64 misses;		/* of those, not in the page cache when the read
				 * needed them (its own readahead's adds included) */
	__u64 ra_waste;		/* pages its readahead added that were evicted
				 * before anyone read them (the rest: at the end) */
	__u64 write_add;	/* pages added to the page cache by its writes */
	__u64 dirtied;		/* pages it turned from clean to dirty */
	__u64 mmap_add;		/* pages added by its page faults */
	__u64 faults;		/* its page-cache faults */
};

#define CACHE_NCOUNTS (sizeof(struct cache_counts) / sizeof(__u64))

/* What cachetop groups by (--by). */
enum cache_by {
	BY_NONE,		/* cachestat: the system only */
	BY_PROCESS,
	BY_CGROUP,
	BY_FILE,
};

/* An entity: a = tgid, memcg id, or device; b = 0, 0, or inode. The key
 * {~0, ~0} collects what did not fit in the table ("other"). */
struct cache_key {
	__u64 a, b;
};

#define CACHE_OTHER (~0ULL)
struct cache_entity {
	struct cache_counts c;
	__u32 uid;		/* process: its uid */
	__u32 pad;
	char comm[16];		/* process: its name */
};

/* A file's path as the dentry cache names it (--by file, map "names",
 * written once when its row is made): the components innermost first,
 * each NUL-terminated, ending with the root's "/" (the path within its
 * file system is whole) or with an empty one (cut: deeper than
 * CACHE_PATH_DEPTH or longer than CACHE_PATH_LEN). */
#define CACHE_PATH_LEN 512	/* a power of two */
#define CACHE_NAME_CAP 256	/* NAME_MAX and its NUL */
#define CACHE_PATH_DEPTH 32

struct cache_name {
	char buf[CACHE_PATH_LEN + CACHE_NAME_CAP];
};

/* The pages a reader's readahead added and nobody has asked for yet, per
 * (file, 64 pages): a bit per page, and who added them. */
#define CHUNK_SHIFT 6
#define CHUNK_PAGES (1 << CHUNK_SHIFT)

struct chunk_key {
	__u64 mapping;		/* struct address_space * */
	__u64 chunk;		/* page index >> CHUNK_SHIFT */
};

struct chunk_val {
	__u64 bits;		/* added by readahead, not yet requested */
	__u64 memcg;		/* the adder's memory cgroup */
	__u64 dev, ino;		/* the file */
	__u32 tgid;		/* the adder */
	__u32 pad;
};

enum cache_stat {
	ST_CHUNKS_FULL = ST_COMMON_NR,	/* readahead adds not tracked: their later
					 * reads count as hits */
	ST_THREADS_FULL,		/* per-thread read state lost */
	ST_ENTITIES_FULL,		/* counted under "other" */
	ST_LOOP_CUT,			/* a request longer than we scan for adds */
	ST_NR,
};

#endif
