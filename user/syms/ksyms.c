// SPDX-License-Identifier: GPL-2.0
/* Kernel symbolization from /proc/kallsyms (see ksyms.h).
 *
 * /proc/kallsyms has ~120k lines (5 MB of text); holding it costs more than
 * the rest of memscope. We keep only answers: the addresses of a batch not
 * seen before are sorted, /proc/kallsyms is read once from start to end,
 * and for each address we keep the highest symbol at or below it and the
 * lowest symbol above it. The file is not sorted (modules and BPF programs
 * follow the core kernel in load order), so each line is filed under the
 * first pending address at or above it (for "highest below") and the last
 * one below it (for "lowest above") with two binary searches; a prefix
 * maximum and a suffix minimum over the batch then give every address its
 * pair. Memory is O(batch), time O(lines * log batch).
 *
 * kallsyms gives no sizes, so a symbol is taken to end where the next one
 * of the same module (or the core kernel) starts; the last one of a region
 * is trusted for KSYM_TAIL_MAX bytes. Core text ends at _etext and the init
 * text at _einittext; an address past them, or whose nearest symbol is not
 * a text symbol, stays unknown. */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strutil.h"
#include "syms/ksyms.h"

/* How far past the last symbol of a region (a module's last function, a
 * BPF program) an address is still taken as inside it. */
#define KSYM_TAIL_MAX (64u << 10)
#define CORE_MOD (-1)

struct kmod {
	char *name;
	char *build_id;
	bool id_read;
};

struct kent {
	uint64_t addr;
	char *sym;		/* NULL: unknown */
	uint64_t offset;
	int mod;		/* index in mods, CORE_MOD: vmlinux */
};

struct ksyms {
	char *path;		/* /proc/kallsyms, or a test's file */
	struct kent *ents;	/* answers so far, sorted by addr */
	size_t nents, capents;
	struct kmod **mods;
	size_t nmods;
	char *vmlinux_id;
	bool vmlinux_id_read;
};

/* One address of a batch being resolved. */
struct pend {
	uint64_t addr;
	/* Highest symbol filed here: the lines whose first pending address
	 * at or above them is this one. */
	bool has_lo;
	uint64_t lo;
	char lo_type;
	int lo_mod;
	char *lo_name;
	size_t lo_cap;
	/* Lowest symbol filed here: the lines above this address and below
	 * the next pending one. */
	bool has_hi;
	uint64_t hi;
	int hi_mod;
};

/* The GNU build-id in a raw ELF note blob (/sys/kernel/notes, a module's
 * notes/.note.gnu.build-id); NULL if none. */
static char *notes_build_id(const char *path)
{
	unsigned char buf[4096];
	size_t off = 0, n;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	if (r <= 0)
		return NULL;
	n = r;
	while (off + sizeof(Elf64_Nhdr) <= n) {
		Elf64_Nhdr nh;
		size_t name_at, desc_at;

		memcpy(&nh, buf + off, sizeof(nh));
		name_at = off + sizeof(nh);
		desc_at = name_at + ((nh.n_namesz + 3) & ~3u);
		if (desc_at > n || nh.n_descsz > n - desc_at)
			break;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(buf + name_at, "GNU", 4) && nh.n_descsz)
			return hex_alloc(buf + desc_at, nh.n_descsz);
		off = desc_at + ((nh.n_descsz + 3) & ~3u);
	}
	return NULL;
}

static int kmod_intern(struct ksyms *k, const char *name, size_t len)
{
	struct kmod **mods, *m;
	size_t i;

	for (i = 0; i < k->nmods; i++)
		if (!strncmp(k->mods[i]->name, name, len) && !k->mods[i]->name[len])
			return i;
	mods = realloc(k->mods, (k->nmods + 1) * sizeof(*mods));
	if (!mods)
		return -ENOMEM;
	k->mods = mods;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->name = strndup(name, len);
	if (!m->name) {
		free(m);
		return -ENOMEM;
	}
	k->mods[k->nmods] = m;
	return k->nmods++;
}

static const char *kmod_build_id(struct ksyms *k, int mod)
{
	char path[320];
	struct kmod *m;

	if (mod == CORE_MOD) {
		if (!k->vmlinux_id_read) {
			k->vmlinux_id = notes_build_id("/sys/kernel/notes");
			k->vmlinux_id_read = true;
		}
		return k->vmlinux_id;
	}
	m = k->mods[mod];
	if (!m->id_read) {
		snprintf(path, sizeof(path), "/sys/module/%s/notes/.note.gnu.build-id", m->name);
		m->build_id = notes_build_id(path);
		m->id_read = true;
	}
	return m->build_id;
}

static bool is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

/* One /proc/kallsyms line: "ffffffff81000000 T _stext" or
 * "ffffffffc0201000 t ftrace_trampoline\t[__builtin__ftrace]". */
static bool parse_line(char *line, uint64_t *addr, char *type, char **name, char **mod,
		       size_t *modlen)
{
	char *p, *e;

	*addr = strtoull(line, &p, 16);
	if (p == line || p[0] != ' ' || !p[1] || p[2] != ' ')
		return false;
	*type = p[1];
	*name = p + 3;
	e = *name + strcspn(*name, "\t\n");
	*mod = NULL;
	*modlen = 0;
	if (*e == '\t' && e[1] == '[') {
		char *close = strchr(e + 2, ']');

		if (close) {
			*mod = e + 2;
			*modlen = close - (e + 2);
		}
	}
	*e = 0;
	return **name != 0;
}

/* First index in p[0..n) whose addr is >= v. */
static size_t lower_bound(const struct pend *p, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p[mid].addr < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int file_lo(struct pend *p, uint64_t v, char type, int mod, const char *name)
{
	size_t len = strlen(name);

	/* Of several names for one address, a global one. */
	if (p->has_lo && (v < p->lo || (v == p->lo && (islower(type) || isupper(p->lo_type)))))
		return 0;
	if (len + 1 > p->lo_cap) {
		char *s = realloc(p->lo_name, len + 1);

		if (!s)
			return -ENOMEM;
		p->lo_name = s;
		p->lo_cap = len + 1;
	}
	memcpy(p->lo_name, name, len + 1);
	p->has_lo = true;
	p->lo = v;
	p->lo_type = type;
	p->lo_mod = mod;
	return 0;
}

static void file_hi(struct pend *p, uint64_t v, int mod)
{
	if (p->has_hi && v >= p->hi)
		return;
	p->has_hi = true;
	p->hi = v;
	p->hi_mod = mod;
}

/* One pass over /proc/kallsyms for the sorted, unique addresses p[0..n). */
static int kallsyms_pass(struct ksyms *k, struct pend *p, size_t n)
{
	char *line = NULL, *name, *modname;
	size_t cap = 0, modlen, idx;
	bool any_addr = false;
	uint64_t v;
	int err = 0, mod;
	char type;
	FILE *f;

	f = fopen(k->path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (!parse_line(line, &v, &type, &name, &modname, &modlen))
			continue;
		if (v)
			any_addr = true;
		else
			continue;	/* hidden, or a per-CPU offset */
		mod = CORE_MOD;
		if (modname) {
			mod = kmod_intern(k, modname, modlen);
			if (mod < 0) {
				err = mod;
				break;
			}
		}
		idx = lower_bound(p, n, v);
		if (idx < n) {
			err = file_lo(&p[idx], v, type, mod, name);
			if (err)
				break;
		}
		if (idx > 0)
			file_hi(&p[idx - 1], v, mod);
	}
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	free(line);
	if (!err && !any_addr)
		err = -EPERM;
	return err;
}

static int kent_cmp(const void *a, const void *b)
{
	const struct kent *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct kent *kent_find(struct ksyms *k, uint64_t addr)
{
	struct kent key = { .addr = addr };

	if (!k->nents)
		return NULL;
	return bsearch(&key, k->ents, k->nents, sizeof(*k->ents), kent_cmp);
}

/* Turn the filed candidates into answers and add them to the cache. */
static int settle(struct ksyms *k, struct pend *p, size_t n)
{
	struct kent *ents;
	size_t i, best = SIZE_MAX;
	uint64_t *next;
	int *next_mod;
	int err = 0;

	next = malloc(n * sizeof(*next));
	next_mod = malloc(n * sizeof(*next_mod));
	if (!next || !next_mod) {
		err = -ENOMEM;
		goto out;
	}
	/* Suffix minimum: the lowest symbol above each address. */
	for (i = n; i-- > 0;) {
		next[i] = UINT64_MAX;
		next_mod[i] = CORE_MOD;
		if (p[i].has_hi) {
			next[i] = p[i].hi;
			next_mod[i] = p[i].hi_mod;
		}
		if (i + 1 < n && next[i + 1] < next[i]) {
			next[i] = next[i + 1];
			next_mod[i] = next_mod[i + 1];
		}
	}
	if (k->nents + n > k->capents) {
		size_t cap = (k->nents + n) * 2;

		ents = realloc(k->ents, cap * sizeof(*ents));
		if (!ents) {
			err = -ENOMEM;
			goto out;
		}
		k->ents = ents;
		k->capents = cap;
	}
	for (i = 0; i < n; i++) {
		struct kent *e = &k->ents[k->nents++];
		const struct pend *b;
		bool ok;

		/* Prefix maximum: the highest symbol at or below. */
		if (p[i].has_lo && (best == SIZE_MAX || p[i].lo >= p[best].lo))
			best = i;
		memset(e, 0, sizeof(*e));
		e->addr = p[i].addr;
		e->mod = CORE_MOD;
		if (best == SIZE_MAX)
			continue;
		b = &p[best];
		ok = is_text(b->lo_type) && strcmp(b->lo_name, "_etext") &&
		     strcmp(b->lo_name, "_einittext");
		if (ok && !(next[i] != UINT64_MAX && next_mod[i] == b->lo_mod))
			ok = p[i].addr - b->lo < KSYM_TAIL_MAX;
		if (!ok)
			continue;
		e->sym = strdup(b->lo_name);
		if (!e->sym) {
			err = -ENOMEM;
			break;
		}
		e->offset = p[i].addr - b->lo;
		e->mod = b->lo_mod;
	}
	qsort(k->ents, k->nents, sizeof(*k->ents), kent_cmp);
out:
	free(next);
	free(next_mod);
	return err;
}

static void fill(struct ksyms *k, const struct kent *e, uint64_t addr, struct sym_frame *out)
{
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	if (!e || !e->sym)
		return;
	out->sym = e->sym;
	out->offset = e->offset;
	out->module = e->mod == CORE_MOD ? "vmlinux" : k->mods[e->mod]->name;
	out->build_id = kmod_build_id(k, e->mod);
}

int ksyms_resolve(struct ksyms *k, const uint64_t *addrs, size_t n, struct sym_frame *out)
{
	struct pend *p = NULL;
	uint64_t *todo = NULL;
	size_t i, ntodo = 0, np = 0;
	int err = 0;

	/* Whatever fails below, the caller gets n frames it can print. */
	if (!k || !addrs || !out) {
		for (i = 0; out && i < n; i++)
			fill(k, NULL, addrs ? addrs[i] : 0, &out[i]);
		return n ? -EINVAL : 0;
	}
	for (i = 0; i < n; i++)
		if (!kent_find(k, addrs[i]))
			ntodo++;
	if (ntodo) {
		todo = malloc(ntodo * sizeof(*todo));
		if (!todo) {
			err = -ENOMEM;
			goto fill;
		}
		ntodo = 0;
		for (i = 0; i < n; i++)
			if (!kent_find(k, addrs[i]))
				todo[ntodo++] = addrs[i];
		qsort(todo, ntodo, sizeof(*todo), u64_cmp);
		p = calloc(ntodo, sizeof(*p));
		if (!p) {
			err = -ENOMEM;
			goto fill;
		}
		for (i = 0; i < ntodo; i++)
			if (!np || p[np - 1].addr != todo[i])
				p[np++].addr = todo[i];
		err = kallsyms_pass(k, p, np);
		if (!err)
			err = settle(k, p, np);
	}
fill:
	/* Answers settled before a failure are good: use what there is. */
	for (i = 0; i < n; i++)
		fill(k, kent_find(k, addrs[i]), addrs[i], &out[i]);
	if (p)
		for (i = 0; i < np; i++)
			free(p[i].lo_name);
	free(p);
	free(todo);
	return err;
}

struct ksyms *ksyms_new_from(const char *path)
{
	char *line = NULL, *name, *mod;
	size_t cap = 0, modlen;
	bool text = false, visible = false;
	struct ksyms *k;
	uint64_t v;
	char type;
	FILE *f;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	/* Hidden addresses read as zero; per-CPU symbols are zero anyway:
	 * look for a text symbol with an address. */
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!visible && getline(&line, &cap, f) > 0) {
		if (!parse_line(line, &v, &type, &name, &mod, &modlen) || !is_text(type))
			continue;
		text = true;
		visible = v != 0;
	}
	fclose(f);
	free(line);
	if (!visible) {
		errno = text ? EPERM : ENODATA;
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k || !(k->path = strdup(path))) {
		free(k);
		errno = ENOMEM;
		return NULL;
	}
	return k;
}

struct ksyms *ksyms_new(void)
{
	return ksyms_new_from("/proc/kallsyms");
}

void ksyms_free(struct ksyms *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nents; i++)
		free(k->ents[i].sym);
	for (i = 0; i < k->nmods; i++) {
		free(k->mods[i]->name);
		free(k->mods[i]->build_id);
		free(k->mods[i]);
	}
	free(k->mods);
	free(k->ents);
	free(k->vmlinux_id);
	free(k->path);
	free(k);
}
