/* SPDX-License-Identifier: GPL-2.0 */
/* Every entry of a BPF map, copied out a chunk at a time with batch
 * lookups (one entry at a time on kernels without them, before 5.6). */
#ifndef MEMSCOPE_RUN_MAPITER_H
#define MEMSCOPE_RUN_MAPITER_H

#include <stddef.h>
#include <stdint.h>

/* Call fn(key, value, ctx) for each entry of the map at fd, whose keys
 * and values are ksz and vsz bytes; keys and vals hold chunk of each
 * (the caller's buffers: static ones keep large values off the stack).
 * 0, fn's first non-zero return, or -errno. */
int map_for_each(int fd, void *keys, void *vals, uint32_t chunk, size_t ksz, size_t vsz,
		 int (*fn)(const void *key, const void *val, void *ctx), void *ctx);

#endif
