// SPDX-License-Identifier: GPL-2.0
/* Folded stacks and SVG flame graphs (see flamegraph.h).
 *
 * Both writers share one pipeline: frame names are canonicalized and
 * interned (equal names share one pointer, so comparing frames is mostly a
 * pointer test), stacks are sorted frame by frame and equal ones merged.
 * The folded writer prints that list; the SVG writer turns it into a tree,
 * orders siblings largest first, and lays the tree out bottom-up.
 *
 * Numbers in the SVG are formatted with integer arithmetic, not printf's
 * %f: a caller that sets LC_NUMERIC to a comma locale must not be able to
 * turn x="1.5" into x="1,5". */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "out/flamegraph.h"
#include "core/strutil.h"

#define UNKNOWN_FRAME "[unknown]"
#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

/* ---- arena: everything one call allocates, freed at once ---------------- */

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!c || c->size - c->used < n) {
		size_t size = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static void arena_free(struct arena *a)
{
	while (a->head) {
		struct chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}

/* ---- UTF-8 and frame names ---------------------------------------------- */

/* Characters we pass through: what XML 1.0 allows, minus the C0/C1 control
 * characters (legal in XML but shown as garbage, and a newline would end a
 * folded line) and the noncharacters U+FFFE/U+FFFF that XML forbids. */
static bool char_ok(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return false;
	if (c >= 0xd800 && c <= 0xdfff)
		return false;
	return c != 0xfffe && c != 0xffff;
}

static bool ascii_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Canonical form of one frame name into buf (room for 3 * strlen + 1). */
static const char *canon_frame(const char *name, char *buf)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n, i = 0, o = 0, len;
	uint32_t cp;

	if (!name)
		return UNKNOWN_FRAME;
	n = strlen(name);
	/* A trailing space would run into the " VALUE" of a folded line. */
	while (n && ascii_space(s[n - 1]))
		n--;
	while (i < n && ascii_space(s[i]))
		i++;
	while (i < n) {
		unsigned char c = s[i];

		if (c == ';') {
			buf[o++] = ':';
			i++;
		} else if (ascii_space(c)) {
			buf[o++] = ' ';
			i++;
		} else if (!(len = utf8_decode(s + i, n - i, &cp)) || !char_ok(cp)) {
			/* One replacement per bad byte (as the JSON writer
			 * does) or per unwanted character. */
			memcpy(buf + o, REPLACEMENT, 3);
			o += 3;
			i += len ? len : 1;
		} else {
			memcpy(buf + o, s + i, len);
			o += len;
			i += len;
		}
	}
	buf[o] = 0;
	return o ? buf : UNKNOWN_FRAME;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Interned names: open addressing, kept at most half full. */
struct names {
	const char **slot;
	size_t cap, count;
};

static int names_grow(struct names *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024, i, j;
	const char **slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (!t->slot[i])
			continue;
		for (j = fnv1a(t->slot[i]) & (cap - 1); slot[j]; j = (j + 1) & (cap - 1))
			;
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

static const char *names_intern(struct names *t, struct arena *a, const char *s)
{
	size_t j, len;
	char *copy;

	if (2 * (t->count + 1) > t->cap && names_grow(t))
		return NULL;
	for (j = fnv1a(s) & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1))
		if (!strcmp(t->slot[j], s))
			return t->slot[j];
	len = strlen(s) + 1;
	copy = arena_alloc(a, len);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	t->slot[j] = copy;
	t->count++;
	return copy;
}

/* ---- the shared pipeline: canonical, sorted, merged stacks -------------- */

struct ent {
	const char **fr;
	int n;
	uint64_t v;
};

struct prep {
	struct arena arena;
	struct names names;
	struct ent *ents;
	size_t nents;
	uint64_t total;
	int max_frames;
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* Frame by frame, a stack before the stacks it is a prefix of: the order of
 * a depth-first walk of the tree, which the SVG writer relies on. */
static int ent_cmp(const void *pa, const void *pb)
{
	const struct ent *a = pa, *b = pb;
	int i, r;

	for (i = 0; i < a->n && i < b->n; i++) {
		if (a->fr[i] == b->fr[i])
			continue;
		r = strcmp(a->fr[i], b->fr[i]);
		if (r)
			return r;
	}
	return (a->n > b->n) - (a->n < b->n);
}

static void prep_free(struct prep *p)
{
	arena_free(&p->arena);
	free(p->names.slot);
	free(p->ents);
}

static int prep_build(struct prep *p, const struct fg_stack *s, size_t n)
{
	static const char *const unknown[] = { UNKNOWN_FRAME };
	char *buf = NULL;
	size_t bufsz = 0, i, o;
	int err = -ENOMEM;

	memset(p, 0, sizeof(*p));
	if (n && !s)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (s[i].nframes < 0 || (s[i].nframes && !s[i].frames))
			return -EINVAL;
	if (n && !(p->ents = calloc(n, sizeof(*p->ents))))
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		const char *const *frames = s[i].nframes ? s[i].frames : unknown;
		int nfr = s[i].nframes ? s[i].nframes : 1, k;
		struct ent *e = &p->ents[p->nents];

		if (!s[i].value)
			continue;
		e->fr = arena_alloc(&p->arena, nfr * sizeof(*e->fr));
		if (!e->fr)
			goto out;
		for (k = 0; k < nfr; k++) {
			size_t need = frames[k] ? 3 * strlen(frames[k]) + 1 : 1;

			if (need > bufsz) {
				char *nb = realloc(buf, need);

				if (!nb)
					goto out;
				buf = nb;
				bufsz = need;
			}
			e->fr[k] = names_intern(&p->names, &p->arena, canon_frame(frames[k], buf));
			if (!e->fr[k])
				goto out;
		}
		e->n = nfr;
		e->v = s[i].value;
		p->nents++;
	}

	if (p->nents > 1)
		qsort(p->ents, p->nents, sizeof(*p->ents), ent_cmp);
	for (i = 0, o = 0; i < p->nents; i++) {
		if (o && !ent_cmp(&p->ents[o - 1], &p->ents[i])) {
			p->ents[o - 1].v = sat_add(p->ents[o - 1].v, p->ents[i].v);
			continue;
		}
		p->ents[o++] = p->ents[i];
	}
	p->nents = o;
	for (i = 0; i < p->nents; i++) {
		p->total = sat_add(p->total, p->ents[i].v);
		if (p->ents[i].n > p->max_frames)
			p->max_frames = p->ents[i].n;
	}
	err = 0;
out:
	free(buf);
	if (err)
		prep_free(p);
	return err;
}

/* Flush and report whether everything reached f. */
static int finish(FILE *f)
{
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

int fg_write_folded(FILE *f, const struct fg_stack *s, size_t n)
{
	struct prep p;
	size_t i;
	int err, k;

	if (!f)
		return -EINVAL;
	err = prep_build(&p, s, n);
	if (err)
		return err;
	for (i = 0; i < p.nents; i++) {
		for (k = 0; k < p.ents[i].n; k++) {
			if (k)
				fputc(';', f);
			fputs(p.ents[i].fr[k], f);
		}
		fprintf(f, " %" PRIu64 "\n", p.ents[i].v);
	}
	prep_free(&p);
	return finish(f);
}

/* ---- SVG: formatting helpers -------------------------------------------- */

/* Fixed-point decimal of a non-negative v, locale-independent. */
static char *fmt_fixed(char *buf, size_t len, double v, int decimals)
{
	static const long long pow10[] = { 1, 10, 100, 1000 };
	long long scale = pow10[decimals], q;

	if (!(v >= 0) || v > 9e15)
		v = 0;
	q = (long long)(v * scale + 0.5);
	if (decimals)
		snprintf(buf, len, "%lld.%0*lld", q / scale, decimals, q % scale);
	else
		snprintf(buf, len, "%lld", q);
	return buf;
}

/* 1234567 -> "1,234,567" */
static char *fmt_thousands(char *buf, size_t len, uint64_t v)
{
	char digits[24];
	int nd = snprintf(digits, sizeof(digits), "%" PRIu64, v), i, o = 0;

	for (i = 0; i < nd && (size_t)o + 2 < len; i++) {
		if (i && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}

struct svg {
	FILE *f;
	bool bytes;		/* unit is bytes: human-readable sizes */
	const char *unit;
	uint64_t total;
	double x0, gw, scale;	/* graph left edge, width, pixels per unit */
	double minw;		/* narrower frames are not drawn one by one */
	int fh;			/* frame height */
	double base;		/* y of the bottom of the root frame */
	double cw;		/* label character advance */
};

/* Short form: "1.23 MiB", "512 B"; other units "1,234". */
static char *fmt_short(const struct svg *g, char *buf, size_t len, uint64_t v)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	char num[24];
	double d = (double)v;
	int u = -1;

	if (!g->bytes)
		return fmt_thousands(buf, len, v);
	if (v < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", v);
		return buf;
	}
	/* Step up early enough that 1023.9 KiB reads "1.00 MiB", not "1024 KiB". */
	while (d >= 1023.5 && u < 5) {
		d /= 1024;
		u++;
	}
	/* Three significant digits. */
	if (d < 9.995)
		fmt_fixed(num, sizeof(num), d, 2);
	else if (d < 99.95)
		fmt_fixed(num, sizeof(num), d, 1);
	else
		fmt_fixed(num, sizeof(num), d, 0);
	snprintf(buf, len, "%s %s", num, units[u]);
	return buf;
}

/* Long form for tooltips and the total: "1.23 MiB (1,289,748 bytes)". */
static char *fmt_long(const struct svg *g, char *buf, size_t len, uint64_t v)
{
	char a[32], b[32];

	if (g->bytes && v >= 1024)
		snprintf(buf, len, "%s (%s bytes)", fmt_short(g, a, sizeof(a), v),
			 fmt_thousands(b, sizeof(b), v));
	else if (g->bytes)
		snprintf(buf, len, "%" PRIu64 " bytes", v);
	else
		snprintf(buf, len, "%s %s", fmt_thousands(a, sizeof(a), v), g->unit);
	return buf;
}

static char *fmt_pct(const struct svg *g, char *buf, size_t len, uint64_t v)
{
	double pct = g->total ? 100.0 * (double)v / (double)g->total : 0;
	char num[24];

	/* "0.00%" would read as nothing at all. */
	if (v && pct < 0.005)
		snprintf(buf, len, "<0.01%%");
	else
		snprintf(buf, len, "%s%%", fmt_fixed(num, sizeof(num), pct, 2));
	return buf;
}

/* Text or attribute content: the five XML specials as entities, anything
 * that is not a character we pass through as U+FFFD, so no input can make
 * the document invalid. */
static void xml_putn(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len;
	uint32_t cp;

	while (i < n) {
		unsigned char c = s[i];

		switch (c) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"': fputs("&quot;", f); i++; continue;
		case '\'': fputs("&apos;", f); i++; continue;
		}
		if (ascii_space(c)) {
			fputc(c == '\n' ? '\n' : ' ', f);
			i++;
		} else if (!(len = utf8_decode(s + i, n - i, &cp)) || !char_ok(cp)) {
			fputs(REPLACEMENT, f);
			i += len ? len : 1;
		} else {
			fwrite(s + i, 1, len, f);
			i += len;
		}
	}
}

static void xml_put(FILE *f, const char *s)
{
	xml_putn(f, s, strlen(s));
}

/* Label widths are estimated, not measured: a monospace font, one cell
 * per character, and two for everything from U+1100 on, where the wide
 * East Asian scripts and emoji start. That over-counts some symbols, which
 * only cuts their labels shorter; a label never runs out of its box. */
static size_t char_cells(const char *s, size_t n, size_t *bytes)
{
	uint32_t cp;
	size_t len = utf8_decode((const unsigned char *)s, n, &cp);

	*bytes = len ? len : 1;	/* a bad byte is drawn as one U+FFFD */
	return len && cp >= 0x1100 ? 2 : 1;
}

static size_t text_cells(const char *s)
{
	size_t n = strlen(s), i = 0, cells = 0, len;

	while (i < n) {
		cells += char_cells(s + i, n - i, &len);
		i += len;
	}
	return cells;
}

/* Bytes of the longest prefix of s that takes at most max cells. */
static size_t cells_prefix(const char *s, size_t max)
{
	size_t n = strlen(s), i = 0, cells = 0, len, c;

	while (i < n) {
		c = char_cells(s + i, n - i, &len);
		if (cells + c > max)
			break;
		cells += c;
		i += len;
	}
	return i;
}

/* s, or as much of it as fits in max cells followed by "..". */
static void put_fitted(FILE *f, const char *s, size_t max)
{
	if (text_cells(s) <= max) {
		xml_put(f, s);
		return;
	}
	size_t keep = max >= 3 ? cells_prefix(s, max - 2) : 0;

	if (!keep)
		return;
	xml_putn(f, s, keep);
	fputs("..", f);
}

/* Warm colors from a hash of the name: the same function gets the same
 * color in every graph, and neighbours differ enough to tell them apart.
 * Red stays high and blue low, so every color reads as part of a flame and
 * black text stays legible on all of them. */
static void frame_color(const char *name, char *buf, size_t len)
{
	uint32_t h = fnv1a(name);

	/* Mix the bits: FNV's low bytes barely differ for names that share
	 * a long prefix, like C++ methods of one class. */
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	snprintf(buf, len, "rgb(%u,%u,%u)", 225 + (h & 0xff) * 30 / 255,
		 95 + ((h >> 8) & 0xff) * 125 / 255, 40 + ((h >> 16) & 0xff) * 45 / 255);
}

/* ---- SVG: the tree -------------------------------------------------------- */

struct node {
	const char *name;
	uint64_t value;		/* this frame and everything it called */
	uint64_t self;		/* stacks that end here */
	uint64_t off;		/* left edge, in value units */
	struct node *parent, *child, *next;
	int depth;
	unsigned nkids;
	size_t frames;		/* nodes in this subtree, itself included */
};

static struct node *node_new(struct arena *a, const char *name, struct node *parent)
{
	struct node *n = arena_alloc(a, sizeof(*n));

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->parent = parent;
	if (parent) {
		n->depth = parent->depth + 1;
		/* Prepended; the children are sorted before they are laid out. */
		n->next = parent->child;
		parent->child = n;
		parent->nkids++;
	}
	return n;
}

/* The sorted stacks form a depth-first walk: each stack shares a prefix
 * with the one before it and adds new frames after that. */
static struct node *tree_build(struct prep *p, size_t *nnodes)
{
	struct node **path, *root;
	size_t i;
	int k;

	path = calloc(p->max_frames + 1, sizeof(*path));
	if (!path)
		return NULL;
	root = node_new(&p->arena, "all", NULL);
	if (!root)
		goto out;
	*nnodes = 1;
	path[0] = root;
	for (i = 0; i < p->nents; i++) {
		struct ent *e = &p->ents[i], *prev = i ? e - 1 : NULL;
		int common = 0;

		while (prev && common < prev->n && common < e->n &&
		       prev->fr[common] == e->fr[common])
			common++;
		for (k = common; k < e->n; k++) {
			path[k + 1] = node_new(&p->arena, e->fr[k], path[k]);
			if (!path[k + 1]) {
				root = NULL;
				goto out;
			}
			(*nnodes)++;
		}
		for (k = 0; k <= e->n; k++)
			path[k]->value = sat_add(path[k]->value, e->v);
		path[e->n]->self = sat_add(path[e->n]->self, e->v);
	}
out:
	free(path);
	return root;
}

static int node_cmp(const void *pa, const void *pb)
{
	const struct node *a = *(const struct node *const *)pa;
	const struct node *b = *(const struct node *const *)pb;

	if (a->value != b->value)
		return a->value > b->value ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Children largest first, then offsets: children start at the parent's
 * left edge and follow each other; whatever is left is the parent's self. */
static int tree_layout(struct node *root)
{
	struct node **tmp = NULL, *n = root, *c;
	size_t cap = 0, i;

	while (n) {
		if (n->nkids > cap) {
			struct node **t = realloc(tmp, n->nkids * sizeof(*tmp));

			if (!t) {
				free(tmp);
				return -ENOMEM;
			}
			tmp = t;
			cap = n->nkids;
		}
		for (i = 0, c = n->child; c; c = c->next)
			tmp[i++] = c;
		if (n->nkids > 1)
			qsort(tmp, n->nkids, sizeof(*tmp), node_cmp);
		for (i = 0; i < n->nkids; i++) {
			tmp[i]->next = i + 1 < n->nkids ? tmp[i + 1] : NULL;
			tmp[i]->off = i ? tmp[i - 1]->off + tmp[i - 1]->value : n->off;
		}
		if (n->nkids)
			n->child = tmp[0];

		/* Pre-order without recursion: stacks can be deep. */
		n->frames = 1;
		if (n->child) {
			n = n->child;
			continue;
		}
		/* Climbing up, each node left behind is complete. */
		while (n) {
			if (n->parent)
				n->parent->frames += n->frames;
			if (n->next) {
				n = n->next;
				break;
			}
			n = n->parent;
		}
	}
	free(tmp);
	return 0;
}

static double px(const struct svg *g, uint64_t v)
{
	return (double)v * g->scale;
}

static bool wide(const struct svg *g, const struct node *n)
{
	return px(g, n->value) >= g->minw;
}

/* Next frame drawn on its own, in pre-order. Siblings are sorted largest
 * first, so once one is too narrow, all that follow it are too. */
static struct node *next_drawn(const struct svg *g, struct node *n)
{
	if (n->child && wide(g, n->child))
		return n->child;
	while (n) {
		if (n->next && wide(g, n->next))
			return n->next;
		n = n->parent;
	}
	return NULL;
}

struct narrow {
	struct node *first;	/* NULL: all children are wide enough */
	unsigned count;		/* children too narrow */
	size_t frames;		/* ... with their subtrees */
	uint64_t sum;		/* their value */
};

/* The children of n too narrow to draw. */
static bool narrow_kids(const struct svg *g, const struct node *n, struct narrow *w)
{
	struct node *c;

	memset(w, 0, sizeof(*w));
	for (c = n->child; c; c = c->next) {
		if (wide(g, c))
			continue;
		if (!w->first)
			w->first = c;
		w->count++;
		w->frames += c->frames;
		w->sum = sat_add(w->sum, c->value);
	}
	return w->first;
}

/* ---- SVG: output ------------------------------------------------------------ */

static void put_num(FILE *f, double v)
{
	char buf[32];

	fputs(fmt_fixed(buf, sizeof(buf), v, 2), f);
}

/* Label of a frame w pixels wide: "name 1.2 MiB" when it all fits, else
 * the name, cut with ".." if need be, else nothing. */
static void put_label(const struct svg *g, double x, double y, double w,
		      const char *name, const char *value)
{
	size_t fit = w > 6 ? (size_t)((w - 6) / g->cw) : 0;
	size_t nc = text_cells(name), vc = strlen(value);

	if (fit < 3)
		return;
	fputs("<text x=\"", g->f);
	put_num(g->f, x + 3);
	fputs("\" y=\"", g->f);
	put_num(g->f, y + g->fh - 5);
	fputs("\">", g->f);
	if (vc && nc + 1 + vc <= fit) {
		xml_put(g->f, name);
		fputs(" <tspan class=\"v\">", g->f);
		xml_put(g->f, value);
		fputs("</tspan>", g->f);
	} else {
		put_fitted(g->f, name, fit);
	}
	fputs("</text>", g->f);
}

/* One box of the picture, with its tooltip and label. */
struct box {
	const char *cls;	/* "f", "f root", "f m" (merged) */
	const char *prefix;	/* tooltip text before the name */
	const char *name;
	const char *label;	/* NULL: the name, with the value if it fits */
	const char *fill;
	const char *tip;	/* tooltip lines after the name */
	uint64_t off, value;
	int depth;
};

static void put_box(const struct svg *g, const struct box *b)
{
	double x = g->x0 + px(g, b->off), w = px(g, b->value);
	double y = g->base - (b->depth + 1) * g->fh;
	char shortv[32];

	/* data-v / data-l let the zoom script redo the labels. */
	fmt_short(g, shortv, sizeof(shortv), b->value);
	fprintf(g->f, "<g class=\"%s\" ", b->cls);
	fputs(b->label ? "data-l=\"" : "data-v=\"", g->f);
	xml_put(g->f, b->label ? b->label : shortv);
	fputs("\"><title>", g->f);
	xml_put(g->f, b->prefix);
	xml_put(g->f, b->name);
	fputc('\n', g->f);
	xml_put(g->f, b->tip);
	fputs("</title><rect x=\"", g->f);
	put_num(g->f, x);
	fputs("\" y=\"", g->f);
	put_num(g->f, y);
	fputs("\" width=\"", g->f);
	put_num(g->f, w);
	fprintf(g->f, "\" height=\"%d\" fill=\"%s\"/>", g->fh - 1, b->fill);
	put_label(g, x, y, w, b->label ? b->label : b->name, b->label ? "" : shortv);
	fputs("</g>\n", g->f);
}

static void put_node(const struct svg *g, const struct node *n)
{
	char fill[32], val[80], pct[32], self[80], tip[256];
	struct box b = {
		.cls = n->parent ? "f" : "f root", .prefix = "", .name = n->name,
		.fill = fill, .tip = tip, .off = n->off, .value = n->value, .depth = n->depth,
	};

	if (n->parent)
		frame_color(n->name, fill, sizeof(fill));
	else
		snprintf(fill, sizeof(fill), "rgb(214,196,180)");
	fmt_long(g, val, sizeof(val), n->value);
	fmt_pct(g, pct, sizeof(pct), n->value);
	self[0] = 0;
	if (n->self && n->child) {
		char sv[80], sp[32];

		snprintf(self, sizeof(self), "\nin this frame itself: %s, %s",
			 fmt_long(g, sv, sizeof(sv), n->self), fmt_pct(g, sp, sizeof(sp), n->self));
	}
	snprintf(tip, sizeof(tip), "%s, %s of the total%s", val, pct, self);
	put_box(g, &b);
}

/* The narrow callees of parent, as one grey box after its drawn ones. */
static void put_merged(const struct svg *g, const struct node *parent, const struct narrow *w)
{
	char prefix[64], label[32], val[80], pct[32], tip[256];
	struct box b = {
		.cls = "f m", .prefix = prefix, .name = parent->name, .label = label,
		.fill = "rgb(208,204,200)", .tip = tip, .off = w->first->off, .value = w->sum,
		.depth = parent->depth + 1,
	};

	snprintf(prefix, sizeof(prefix), "%u smaller callee%s of ", w->count,
		 w->count == 1 ? "" : "s");
	snprintf(label, sizeof(label), "+%u", w->count);
	fmt_long(g, val, sizeof(val), w->sum);
	fmt_pct(g, pct, sizeof(pct), w->sum);
	snprintf(tip, sizeof(tip), "%s, %s of the total together; each is too narrow to draw",
		 val, pct);
	put_box(g, &b);
}

static const char svg_style[] =
	"<style>\n"
	/* Frame labels in a monospace font, so that the width estimate
	 * that cuts them is close to the truth. */
	"text { font-family: \"DejaVu Sans Mono\", Menlo, Consolas, monospace;\n"
	"\tfont-size: 11px; fill: #000; }\n"
	".title, .sub, .info, .note, .empty, #reset {\n"
	"\tfont-family: \"DejaVu Sans\", Verdana, Arial, sans-serif; font-size: 12px; fill: #555; }\n"
	".title { font-size: 18px; font-weight: bold; fill: #000; }\n"
	".empty { font-size: 15px; fill: #333; }\n"
	".v { fill: #5a2a00; }\n"
	"g.f rect { stroke: #fff; stroke-width: 0.6; }\n"
	"g.f:hover rect { stroke: #000; stroke-width: 1; }\n"
	"g.f { cursor: pointer; }\n"
	"g.m { cursor: default; }\n"
	"#reset { cursor: pointer; fill: #0050b0; visibility: hidden; }\n"
	"</style>\n";

/* Click-to-zoom. Only moves and hides what is already drawn: the picture
 * is complete without it. Inside CDATA, so its '<' and '&' are not markup. */
static const char svg_script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"(function () {\n"
	"\tvar X0 = FG_X0, GW = FG_GW, CW = FG_CW;\n"
	"\tvar gs = Array.prototype.slice.call(document.querySelectorAll('g.f'));\n"
	"\tvar reset = document.getElementById('reset');\n"
	"\tvar fr = gs.map(function (g) {\n"
	"\t\tvar r = g.querySelector('rect'), t = g.querySelector('title');\n"
	"\t\treturn { g: g, r: r, x: +r.getAttribute('x'), w: +r.getAttribute('width'),\n"
	"\t\t\ty: +r.getAttribute('y'), name: t.textContent.split('\\n')[0],\n"
	"\t\t\tlabel: g.getAttribute('data-l'),\n"
	"\t\t\tv: g.getAttribute('data-v') || '' };\n"
	"\t});\n"
	"\t/* Cells as the C side counts them: 2 from U+1100 on. */\n"
	"\tfunction width(str) {\n"
	"\t\tvar n = 0;\n"
	"\t\tfor (var c of str)\n"
	"\t\t\tn += c.codePointAt(0) >= 0x1100 ? 2 : 1;\n"
	"\t\treturn n;\n"
	"\t}\n"
	"\tfunction label(f, x, w) {\n"
	"\t\tvar t = f.g.querySelector('text'), name = f.label === null ? f.name : f.label;\n"
	"\t\tvar fit = Math.floor((w - 6) / CW), cells = 0, s = '';\n"
	"\t\tif (!t) {\n"
	"\t\t\tt = document.createElementNS('http://www.w3.org/2000/svg', 'text');\n"
	"\t\t\tt.setAttribute('y', f.y + FG_FH - 5);\n"
	"\t\t\tf.g.appendChild(t);\n"
	"\t\t}\n"
	"\t\tt.setAttribute('x', x + 3);\n"
	"\t\tvar total = width(name);\n"
	"\t\tif (fit >= total + 1 + f.v.length && f.label === null)\n"
	"\t\t\ts = name + ' ' + f.v;\n"
	"\t\telse if (fit >= total)\n"
	"\t\t\ts = name;\n"
	"\t\telse if (fit >= 3) {\n"
	"\t\t\tfor (var c of name) {\n"
	"\t\t\t\tcells += width(c);\n"
	"\t\t\t\tif (cells > fit - 2)\n"
	"\t\t\t\t\tbreak;\n"
	"\t\t\t\ts += c;\n"
	"\t\t\t}\n"
	"\t\t\tif (s)\n"
	"\t\t\t\ts += '..';\n"
	"\t\t}\n"
	"\t\tt.textContent = s;\n"
	"\t}\n"
	"\tfunction show(f, x, w) {\n"
	"\t\tf.g.style.display = '';\n"
	"\t\tf.r.setAttribute('x', x);\n"
	"\t\tf.r.setAttribute('width', w);\n"
	"\t\tlabel(f, x, w);\n"
	"\t}\n"
	"\tfunction zoom(s) {\n"
	"\t\tvar k = GW / s.w, e = 0.02;\n"
	"\t\tfr.forEach(function (f) {\n"
	"\t\t\tif (f.y > s.y) {\n"
	"\t\t\t\tif (f.x - e <= s.x && f.x + f.w + e >= s.x + s.w)\n"
	"\t\t\t\t\tshow(f, X0, GW);\n"
	"\t\t\t\telse\n"
	"\t\t\t\t\tf.g.style.display = 'none';\n"
	"\t\t\t} else if (f.x + e >= s.x && f.x + f.w - e <= s.x + s.w) {\n"
	"\t\t\t\tshow(f, X0 + (f.x - s.x) * k, f.w * k);\n"
	"\t\t\t} else {\n"
	"\t\t\t\tf.g.style.display = 'none';\n"
	"\t\t\t}\n"
	"\t\t});\n"
	"\t\treset.style.visibility = s.w < GW - e ? 'visible' : 'hidden';\n"
	"\t}\n"
	"\tfr.forEach(function (f) {\n"
	"\t\tif (f.label === null)\n"
	"\t\t\tf.g.addEventListener('click', function () { zoom(f); });\n"
	"\t});\n"
	"\treset.addEventListener('click', function () {\n"
	"\t\tzoom(fr.filter(function (f) { return f.g.getAttribute('class') === 'f root'; })[0]);\n"
	"\t});\n"
	"})();\n"
	"]]></script>\n";

/* The script with its FG_* placeholders filled in. */
static void put_script(const struct svg *g)
{
	const char *s = svg_script, *p;
	char buf[32];

	while ((p = strstr(s, "FG_"))) {
		fwrite(s, 1, p - s, g->f);
		if (!strncmp(p, "FG_X0", 5))
			fputs(fmt_fixed(buf, sizeof(buf), g->x0, 2), g->f);
		else if (!strncmp(p, "FG_GW", 5))
			fputs(fmt_fixed(buf, sizeof(buf), g->gw, 2), g->f);
		else if (!strncmp(p, "FG_CW", 5))
			fputs(fmt_fixed(buf, sizeof(buf), g->cw, 2), g->f);
		else
			fprintf(g->f, "%d", g->fh);	/* FG_FH */
		s = p + 5;
	}
	fputs(s, g->f);
}

#define TOP 88		/* title, subtitle, summary line */
#define BOTTOM 58	/* notes under the graph */

static void put_header(const struct svg *g, const struct fg_svg_opts *o, int width,
		       int height, const char *title)
{
	FILE *f = g->f;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n", width, height, width, height);
	fputs("<title>", f);
	xml_put(f, title);
	fputs("</title>\n<desc>Flame graph written by memscope. Each box is a stack frame, "
	      "as wide as its share of the total; callers are below their callees. "
	      "Hover a frame for its value, click to zoom.</desc>\n", f);
	fputs(svg_style, f);
	fputs("<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
	      "<stop offset=\"0\" stop-color=\"#fdfdfb\"/><stop offset=\"1\" stop-color=\"#f3efe4\"/>"
	      "</linearGradient></defs>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"url(#bg)\"/>\n",
		width, height);
	/* Sans-serif widths guessed generously (11.5 px a character of the
	 * 18px bold title, 7.5 of 12px text), so a long title is cut rather
	 * than running off both edges. */
	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"30\" text-anchor=\"middle\">", width / 2);
	put_fitted(f, title, (width - 20) / 11.5);
	fputs("</text>\n", f);
	if (o && o->subtitle && *o->subtitle) {
		fprintf(f, "<text class=\"sub\" x=\"%d\" y=\"50\" text-anchor=\"middle\">",
			width / 2);
		put_fitted(f, o->subtitle, (width - 20) / 7.5);
		fputs("</text>\n", f);
	}
}

/* What pass 1 finds: how tall the picture is and what is not drawn. */
struct plan {
	int maxdepth;
	size_t nodes;
	size_t merged_boxes, merged_frames, left_frames;
	uint64_t merged_value, left_value;
};

static void plan_picture(const struct svg *g, struct node *root, struct plan *pl)
{
	struct node *nd;
	struct narrow w;

	for (nd = root; nd; nd = next_drawn(g, nd)) {
		if (nd->depth > pl->maxdepth)
			pl->maxdepth = nd->depth;
		if (!narrow_kids(g, nd, &w))
			continue;
		if (px(g, w.sum) >= g->minw) {
			pl->merged_boxes++;
			pl->merged_frames += w.frames;
			pl->merged_value = sat_add(pl->merged_value, w.sum);
			if (nd->depth + 1 > pl->maxdepth)
				pl->maxdepth = nd->depth + 1;
		} else {
			pl->left_frames += w.frames;
			pl->left_value = sat_add(pl->left_value, w.sum);
		}
	}
}

static void put_frames(const struct svg *g, struct node *root)
{
	struct node *nd;
	struct narrow w;

	fputs("<g id=\"frames\">\n", g->f);
	for (nd = root; nd; nd = next_drawn(g, nd)) {
		put_node(g, nd);
		if (narrow_kids(g, nd, &w) && px(g, w.sum) >= g->minw)
			put_merged(g, nd, &w);
	}
	fputs("</g>\n", g->f);
}

/* Under the graph, what was not drawn: two short lines rather than one
 * that runs off a narrow graph. */
static void put_note(const struct svg *g, const struct plan *pl, int height)
{
	FILE *f = g->f;
	const char *sep = "";
	char buf[32];

	if (!pl->merged_frames && !pl->left_frames)
		return;
	fprintf(f, "<text class=\"note\" x=\"%d\" y=\"%d\">", (int)g->x0, height - 30);
	fprintf(f, "%zu of %zu frames are narrower than 1 px and not drawn one by one; "
		"the widths of their callers include them.</text>\n",
		pl->merged_frames + pl->left_frames, pl->nodes);
	fprintf(f, "<text class=\"note\" x=\"%d\" y=\"%d\">", (int)g->x0, height - 14);
	if (pl->merged_boxes) {
		fprintf(f, "%zu %s shown merged in %zu grey &quot;+N&quot; box%s (",
			pl->merged_frames, pl->merged_frames == 1 ? "is" : "are",
			pl->merged_boxes, pl->merged_boxes == 1 ? "" : "es");
		xml_put(f, fmt_short(g, buf, sizeof(buf), pl->merged_value));
		fputs(", ", f);
		xml_put(f, fmt_pct(g, buf, sizeof(buf), pl->merged_value));
		fputc(')', f);
		sep = "; ";
	}
	if (pl->left_frames) {
		fprintf(f, "%s%zu %s left out (", sep, pl->left_frames,
			pl->left_frames == 1 ? "is" : "are");
		xml_put(f, fmt_short(g, buf, sizeof(buf), pl->left_value));
		fputs(", ", f);
		xml_put(f, fmt_pct(g, buf, sizeof(buf), pl->left_value));
		fputc(')', f);
	}
	fputs(".</text>\n", f);
}

int fg_write_svg(FILE *f, const struct fg_stack *s, size_t n, const struct fg_svg_opts *o)
{
	const char *title = o && o->title && *o->title ? o->title : "Flame graph";
	const char *unit = o && o->unit && *o->unit ? o->unit : "bytes";
	int width = o && o->width ? o->width : 1200, height;
	struct plan pl = {};
	struct node *root;
	struct svg g;
	struct prep p;
	char buf[96];
	int err;

	if (!f || width < 400 || width > 100000)
		return -EINVAL;
	err = prep_build(&p, s, n);
	if (err)
		return err;

	memset(&g, 0, sizeof(g));
	g.f = f;
	g.unit = unit;
	g.bytes = !strcmp(unit, "bytes") || !strcmp(unit, "B");
	g.total = p.total;
	g.x0 = 10;
	g.gw = width - 2 * g.x0;
	g.scale = p.total ? g.gw / (double)p.total : 0;
	g.minw = 1.0;
	g.fh = 17;
	g.cw = 6.7;	/* DejaVu Sans Mono at 11px advances 6.62px */

	if (!p.total) {
		height = TOP + 70;
		put_header(&g, o, width, height, title);
		fprintf(f, "<text class=\"empty\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
			"Nothing to show: no stack has a value above zero.</text>\n",
			width / 2, TOP + 20);
		fputs("</svg>\n", f);
		prep_free(&p);
		return finish(f);
	}

	err = -ENOMEM;
	root = tree_build(&p, &pl.nodes);
	if (!root || tree_layout(root))
		goto out;
	plan_picture(&g, root, &pl);
	height = TOP + (pl.maxdepth + 1) * g.fh + BOTTOM;
	g.base = TOP + (pl.maxdepth + 1) * g.fh;

	put_header(&g, o, width, height, title);
	fprintf(f, "<text class=\"info\" x=\"%d\" y=\"72\">Total: ", (int)g.x0);
	xml_put(f, fmt_long(&g, buf, sizeof(buf), p.total));
	fprintf(f, " in %zu stack%s</text>\n", p.nents, p.nents == 1 ? "" : "s");
	/* How to read it, where there is room beside the total. */
	if (width >= 1000)
		fprintf(f, "<text class=\"info\" x=\"%d\" y=\"72\" text-anchor=\"end\">"
			"width = share of the total, callers below callees; hover for values, "
			"click to zoom</text>\n", width - (int)g.x0);
	fprintf(f, "<text id=\"reset\" x=\"%d\" y=\"30\">Reset zoom</text>\n", (int)g.x0);
	put_frames(&g, root);
	put_note(&g, &pl, height);
	put_script(&g);
	fputs("</svg>\n", f);
	err = 0;
out:
	prep_free(&p);
	return err ? err : finish(f);
}
