// SPDX-License-Identifier: GPL-2.0
/* BPF map iteration (see mapiter.h). */
#include <errno.h>
#include <stdbool.h>
#include <bpf/bpf.h>

#include "run/mapiter.h"

int map_for_each(int fd, void *keys, void *vals, uint32_t chunk, size_t ksz, size_t vsz,
		 int (*fn)(const void *key, const void *val, void *ctx), void *ctx)
{
	char *k = keys, *v = vals;
	uint64_t token = 0;
	bool first = true;
	void *prev = NULL;
	int err;

	for (;;) {
		uint32_t n = chunk;
		bool last;

		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, vals, &n, NULL);
		last = err && errno == ENOENT;
		if (err && !last)
			break;
		first = false;
		for (uint32_t i = 0; i < n; i++)
			if ((err = fn(k + i * ksz, v + i * vsz, ctx)))
				return err;
		if (last || !n)
			return 0;
	}
	if (!first || (errno != EINVAL && errno != ENOTSUP && errno != 524 /* ENOTSUPP */))
		return -errno;
	/* No batch operations: one key at a time (keys[0] and keys[1]
	 * alternate as the previous and the next key). */
	while (!bpf_map_get_next_key(fd, prev, prev == k ? k + ksz : k)) {
		prev = prev == k ? k + ksz : k;
		if (bpf_map_lookup_elem(fd, prev, vals))
			continue;	/* deleted meanwhile */
		if ((err = fn(prev, vals, ctx)))
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}
