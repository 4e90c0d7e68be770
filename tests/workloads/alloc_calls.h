/* SPDX-License-Identifier: GPL-2.0 */
/* How many times the alloc_calls workload calls each allocator function
 * when told to go: all different, so a probe on the wrong function shows.
 * Shared by the workload and the tests that count its calls. */
#ifndef MEMSCOPE_WORKLOAD_ALLOC_CALLS_H
#define MEMSCOPE_WORKLOAD_ALLOC_CALLS_H

#define AC_MALLOC		11
#define AC_CALLOC		12
#define AC_REALLOC		13	/* on malloc'ed blocks */
#define AC_REALLOCARRAY		14	/* glibc's tail-calls realloc */
#define AC_POSIX_MEMALIGN	15
#define AC_MEMALIGN		16
#define AC_ALIGNED_ALLOC	17
#define AC_VALLOC		18
#define AC_PVALLOC		19
#define AC_FREE_NULL		5	/* free(NULL), besides one free per block */
#define AC_MMAP			20	/* 3 pages each */
#define AC_MREMAP		21	/* each shrunk to 2 pages, one again in place */
#define AC_MUNMAP		(2 * AC_MMAP)	/* each mapping a page at a time */

/* Blocks that are freed: every allocation except the realloc'ed ones,
 * which are counted once (they are malloc'ed blocks). */
#define AC_BLOCKS (AC_MALLOC + AC_CALLOC + AC_POSIX_MEMALIGN + AC_MEMALIGN + \
		   AC_ALIGNED_ALLOC + AC_VALLOC + AC_PVALLOC)
#define AC_FREE (AC_BLOCKS + AC_FREE_NULL)

#endif
