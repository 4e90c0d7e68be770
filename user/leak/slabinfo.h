/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/slabinfo's active objects per cache: what kernel-mode reports hold
 * their outstanding counts against (frees that pass no tracepoint leave
 * allocations that look outstanding; no cache holds more live objects
 * than slabinfo counts as active: in SLUB that count includes the free
 * objects of per-CPU slabs and sheaves, so it is an upper bound). */
#ifndef MEMSCOPE_LEAK_SLABINFO_H
#define MEMSCOPE_LEAK_SLABINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slab_cache_info {
	char name[64];
	uint64_t active;	/* active_objs */
	uint64_t objsize;
};

struct slabinfo {
	struct slab_cache_info *c;
	size_t n, cap;
};

/* Parse the text of /proc/slabinfo (version 2.x); 0 or -EINVAL (not that
 * format), -ENOMEM. Replaces what si held. */
int slabinfo_parse(const char *text, struct slabinfo *si);
/* Read and parse /proc/slabinfo; 0 or -errno (-EACCES: not root). */
int slabinfo_read(struct slabinfo *si);
/* Active objects of the cache named name, or -1 when slabinfo has none. */
int64_t slabinfo_active(const struct slabinfo *si, const char *name);
/* Active objects of every kmalloc cache of object size size (kmalloc-N,
 * kmalloc-cg-N, kmalloc-rcl-N, dma-kmalloc-N, kmalloc-rnd-XX-N; "8k" for
 * 8192), or -1 when there is none. */
int64_t slabinfo_kmalloc_active(const struct slabinfo *si, uint64_t size);
void slabinfo_free(struct slabinfo *si);

/* One report's outstanding objects per cache, against slabinfo. */
struct slab_cap {
	char name[64];
	uint64_t count;		/* outstanding, as reported */
	int64_t active;		/* -1: not in slabinfo (pages, percpu, large kmalloc) */
	bool capped;		/* count > active */
};

struct slab_caps {
	struct slabinfo si;
	int err;		/* of the last slabinfo read, 0: read */
	struct slab_cap *c;
	size_t n, cap;
};

/* A new report: slabinfo read again (its error in sc->err), totals reset. */
int slab_caps_begin(struct slab_caps *sc);
/* Add count objects of cache name (kmalloc_size: a "kmalloc-N" group of
 * every kmalloc cache of that size, 0: a named cache); its index, or -1
 * out of memory. */
int slab_caps_add(struct slab_caps *sc, const char *name, uint64_t kmalloc_size, uint64_t count);
/* Mark the caches whose totals exceed their active objects. */
void slab_caps_end(struct slab_caps *sc);
/* A count of a member of cache ix scaled down so the members' counts sum
 * to at most its active objects; count unchanged unless capped. */
uint64_t slab_caps_scale(const struct slab_caps *sc, int ix, uint64_t count);
void slab_caps_free(struct slab_caps *sc);

#endif
