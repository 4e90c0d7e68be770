// SPDX-License-Identifier: GPL-2.0
/* /proc/slabinfo, parsed strictly (see slabinfo.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leak/slabinfo.h"

static int add(struct slabinfo *si, const struct slab_cache_info *c)
{
	if (si->n == si->cap) {
		size_t cap = si->cap ? 2 * si->cap : 256;
		struct slab_cache_info *v = realloc(si->c, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		si->c = v;
		si->cap = cap;
	}
	si->c[si->n++] = *c;
	return 0;
}

int slabinfo_parse(const char *text, struct slabinfo *si)
{
	const char *line = text, *nl;
	int lineno = 0, err;

	si->n = 0;
	for (; line && *line; line = nl ? nl + 1 : NULL, lineno++) {
		struct slab_cache_info c = {};
		unsigned long long active, num, size;
		char name[sizeof(c.name)];

		nl = strchr(line, '\n');
		if (lineno == 0) {
			if (strncmp(line, "slabinfo - version: 2.", 22))
				return -EINVAL;
			continue;
		}
		if (*line == '#' || *line == '\n')
			continue;
		if (sscanf(line, "%63s %llu %llu %llu", name, &active, &num, &size) != 4 ||
		    active > num)
			return -EINVAL;
		snprintf(c.name, sizeof(c.name), "%s", name);
		c.active = active;
		c.objsize = size;
		if ((err = add(si, &c)))
			return err;
	}
	return lineno ? 0 : -EINVAL;
}

int slabinfo_read(struct slabinfo *si)
{
	FILE *f = fopen("/proc/slabinfo", "re");
	size_t cap = 64 * 1024, len = 0, n;
	char *buf;
	int err;

	if (!f)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (len < cap - 1)
			break;
		char *nb = realloc(buf, 2 * cap);

		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	err = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!buf)
		return -ENOMEM;
	buf[len] = 0;
	if (!err)
		err = slabinfo_parse(buf, si);
	free(buf);
	return err;
}

int64_t slabinfo_active(const struct slabinfo *si, const char *name)
{
	for (size_t i = 0; i < si->n; i++)
		if (!strcmp(si->c[i].name, name))
			return si->c[i].active;
	return -1;
}

/* The object size a kmalloc cache's name ends in ("-64", "-8k"), 0 if none. */
static uint64_t kmalloc_size_of(const char *name)
{
	const char *dash = strrchr(name, '-');
	char *end;
	uint64_t v;

	if (strncmp(name, "kmalloc-", 8) && strncmp(name, "dma-kmalloc-", 12))
		return 0;
	if (!dash || dash[1] < '0' || dash[1] > '9')
		return 0;
	v = strtoull(dash + 1, &end, 10);
	if (*end == 'k')
		v <<= 10, end++;
	else if (*end == 'M')
		v <<= 20, end++;
	return *end ? 0 : v;
}

int64_t slabinfo_kmalloc_active(const struct slabinfo *si, uint64_t size)
{
	int64_t sum = -1;

	for (size_t i = 0; i < si->n; i++)
		if (size && kmalloc_size_of(si->c[i].name) == size)
			sum = (sum < 0 ? 0 : sum) + (int64_t)si->c[i].active;
	return sum;
}

void slabinfo_free(struct slabinfo *si)
{
	free(si->c);
	si->c = NULL;
	si->n = si->cap = 0;
}

int slab_caps_begin(struct slab_caps *sc)
{
	sc->n = 0;
	sc->err = slabinfo_read(&sc->si);
	return sc->err;
}

int slab_caps_add(struct slab_caps *sc, const char *name, uint64_t kmalloc_size, uint64_t count)
{
	size_t i;

	for (i = 0; i < sc->n; i++)
		if (!strcmp(sc->c[i].name, name))
			break;
	if (i == sc->n) {
		if (sc->n == sc->cap) {
			size_t cap = sc->cap ? 2 * sc->cap : 64;
			struct slab_cap *v = realloc(sc->c, cap * sizeof(*v));

			if (!v)
				return -1;
			sc->c = v;
			sc->cap = cap;
		}
		memset(&sc->c[i], 0, sizeof(sc->c[i]));
		snprintf(sc->c[i].name, sizeof(sc->c[i].name), "%s", name);
		sc->c[i].active = sc->err ? -1 : kmalloc_size
				  ? slabinfo_kmalloc_active(&sc->si, kmalloc_size)
				  : slabinfo_active(&sc->si, name);
		sc->n++;
	}
	sc->c[i].count += count;
	return i;
}

void slab_caps_end(struct slab_caps *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		sc->c[i].capped = sc->c[i].active >= 0 && sc->c[i].count > (uint64_t)sc->c[i].active;
}

uint64_t slab_caps_scale(const struct slab_caps *sc, int ix, uint64_t count)
{
	const struct slab_cap *c;

	if (ix < 0 || (size_t)ix >= sc->n || !sc->c[ix].capped)
		return count;
	c = &sc->c[ix];
	/* Rounded down: the sum of the members stays within active. */
	return (uint64_t)((unsigned __int128)count * (uint64_t)c->active / c->count);
}

void slab_caps_free(struct slab_caps *sc)
{
	slabinfo_free(&sc->si);
	free(sc->c);
	sc->c = NULL;
	sc->n = sc->cap = 0;
}
