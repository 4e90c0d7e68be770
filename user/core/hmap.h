/* SPDX-License-Identifier: GPL-2.0 */
/* A small open-addressing hash map with 128-bit keys and fixed-size values
 * stored inline: for per-stack and per-site aggregation in user space. */
#ifndef MEMSCOPE_HMAP_H
#define MEMSCOPE_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hkey {
	uint64_t a, b;
};

struct hmap {
	size_t val_size;
	size_t cap;		/* slots, a power of two */
	size_t len;		/* used slots */
	unsigned char *used;
	struct hkey *keys;
	unsigned char *vals;
};

void hmap_init(struct hmap *m, size_t val_size);
void hmap_free(struct hmap *m);
void hmap_clear(struct hmap *m);
/* Value for key, or NULL. */
void *hmap_get(const struct hmap *m, struct hkey k);
/* Value for key, inserted zero-filled if absent (*created set); NULL when
 * out of memory. Pointers stay valid until the next insert. */
void *hmap_put(struct hmap *m, struct hkey k, bool *created);
bool hmap_del(struct hmap *m, struct hkey k);

/* Iteration: for (size_t i = 0; hmap_next(m, &i, &key, &val); ) */
bool hmap_next(const struct hmap *m, size_t *i, struct hkey *key, void **val);

#endif
