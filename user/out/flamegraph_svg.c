// SPDX-License-Identifier: GPL-2.0
/* SVG flame graphs (see flamegraph_svg.h).
 *
 * The canonical, sorted stacks of flamegraph.c become a tree in one pass
 * (they are in depth-first order), siblings are sorted largest first, and
 * the tree is drawn in pre-order, skipping every subtree narrower than
 * MIN_PX: its callees are narrower still. Deliberately plain: no script
 * (no click-to-zoom; the folded output serves interactive viewers), no
 * merged boxes for narrow frames. Numbers go through printf's %f: memscope
 * never calls setlocale(), so the decimal point is always '.'. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/strutil.h"
#include "out/flamegraph_svg.h"

#define MIN_PX 1.0	/* narrower frames are left out */
#define FRAME_H 17
#define CHAR_W 6.7	/* DejaVu Sans Mono at 11px advances 6.62px */
#define X0 10
#define TOP 80		/* title, subtitle, total */
#define BOTTOM 40	/* the note */

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

struct svg {
	FILE *f;
	bool bytes;		/* unit is bytes: human-readable sizes */
	const char *unit;
	uint64_t total;
	double scale;		/* pixels per unit */
	double base;		/* y of the bottom of the root frame */
};

/* ---- text ----------------------------------------------------------------- */

/* Text is canonical (fg_canon) by now: only XML's specials are left. */
static void xml_putn(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(s[i], f); break;
		}
	}
}

static void xml_put(FILE *f, const char *s)
{
	xml_putn(f, s, strlen(s));
}

/* Label widths are estimated, not measured: a monospace font, one cell per
 * character, two from U+1100 on, where the wide East Asian scripts and
 * emoji start. That over-counts some symbols, which only cuts their labels
 * shorter; a label never runs out of its box. Returns the bytes of the
 * longest prefix of s within max cells; *cells gets the cells of all of s. */
static size_t fit_prefix(const char *s, size_t max, size_t *cells)
{
	size_t n = strlen(s), i = 0, keep = 0, len;
	uint32_t cp;

	*cells = 0;
	while (i < n) {
		len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (!len)
			len = 1;	/* not after fg_canon */
		*cells += cp >= 0x1100 ? 2 : 1;
		i += len;
		if (*cells <= max)
			keep = i;
	}
	return keep;
}

/* s, or as much of it as fits in max cells followed by "..". */
static void put_fitted(FILE *f, const char *s, size_t max)
{
	size_t cells, keep = fit_prefix(s, max, &cells);

	if (cells <= max) {
		xml_put(f, s);
	} else if (max >= 3 && (keep = fit_prefix(s, max - 2, &cells))) {
		xml_putn(f, s, keep);
		fputs("..", f);
	}
}

/* buf, valid UTF-8 up to its end, cut by snprintf() maybe mid-character:
 * that character dropped. */
static char *utf8_cut(char *buf)
{
	size_t n = strlen(buf), k = 0, need;
	unsigned char c;

	while (k < n && k < 4 && ((unsigned char)buf[n - 1 - k] & 0xc0) == 0x80)
		k++;
	if (k == n)
		return buf;
	c = buf[n - 1 - k];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (k + 1 < need)
		buf[n - 1 - k] = 0;
	return buf;
}

/* "1.5 MiB" for labels; "1.5 MiB (1572864 bytes)" for tooltips; "12 UNIT"
 * with the unit cut short to fit. */
static char *fmt_value(const struct svg *g, uint64_t v, bool full, char *buf, size_t len)
{
	char b[32];

	if (!g->bytes && full) {
		snprintf(buf, len, "%" PRIu64 " %s", v, g->unit);
		utf8_cut(buf);
	} else if (!g->bytes)
		snprintf(buf, len, "%" PRIu64, v);
	else if (!full)
		fmt_bytes(v, buf, len);
	else if (v < 1024)
		snprintf(buf, len, "%" PRIu64 " bytes", v);
	else
		snprintf(buf, len, "%s (%" PRIu64 " bytes)", fmt_bytes(v, b, sizeof(b)), v);
	return buf;
}

static char *fmt_pct(const struct svg *g, uint64_t v, char *buf, size_t len)
{
	double pct = g->total ? 100.0 * (double)v / (double)g->total : 0;

	/* "0.00%" would read as nothing at all. */
	snprintf(buf, len, v && pct < 0.005 ? "<0.01%%" : "%.2f%%", pct);
	return buf;
}

/* Warm colours from a hash of the name: the same function gets the same
 * colour in every graph. Red stays high and blue low, so every colour reads
 * as part of a flame and black text stays legible on all of them. */
static void frame_color(const char *name, char *buf, size_t len)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	/* FNV's low bytes barely differ for names with a long common
	 * prefix, like C++ methods of one class: mix. */
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	snprintf(buf, len, "rgb(%u,%u,%u)", 225 + (h & 0xff) * 30 / 255,
		 95 + ((h >> 8) & 0xff) * 125 / 255, 40 + ((h >> 16) & 0xff) * 45 / 255);
}

/* ---- the tree --------------------------------------------------------------- */

/* Each sorted stack shares a prefix with the one before it and adds new
 * frames after that. nodes has room for every frame plus the root. */
static struct node *tree_build(const struct fg_prep *p, struct node *nodes, size_t *nnodes)
{
	struct node **path = calloc(p->max_frames + 1, sizeof(*path)), *root = nodes;

	if (!path)
		return NULL;
	*root = (struct node){ .name = "all" };
	*nnodes = 1;
	path[0] = root;
	for (size_t i = 0; i < p->nents; i++) {
		const struct fg_ent *e = &p->ents[i], *prev = i ? e - 1 : NULL;
		int common = 0, k;

		while (prev && common < prev->n && common < e->n &&
		       prev->fr[common] == e->fr[common])
			common++;
		for (k = common; k < e->n; k++) {
			struct node *n = &nodes[(*nnodes)++], *parent = path[k];

			/* Prepended; children are sorted before layout. */
			*n = (struct node){ .name = e->fr[k], .parent = parent,
					    .depth = k + 1, .next = parent->child };
			parent->child = n;
			parent->nkids++;
			path[k + 1] = n;
		}
		for (k = 0; k <= e->n; k++)
			path[k]->value = fg_sat_add(path[k]->value, e->v);
		path[e->n]->self = fg_sat_add(path[e->n]->self, e->v);
	}
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

/* Children largest first, starting at the parent's left edge; subtree
 * sizes on the way back up. Iterative: stacks can be deep. */
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
		n->frames = 1;
		if (n->child) {
			n = n->child;
			continue;
		}
		for (; n; n = n->parent) {
			if (n->parent)
				n->parent->frames += n->frames;
			if (n->next) {
				n = n->next;
				break;
			}
		}
	}
	free(tmp);
	return 0;
}

static bool wide(const struct svg *g, const struct node *n)
{
	return (double)n->value * g->scale >= MIN_PX;
}

/* Next frame drawn, in pre-order. Siblings are sorted largest first, so
 * once one is too narrow, all that follow it are too. */
static struct node *next_drawn(const struct svg *g, struct node *n)
{
	if (n->child && wide(g, n->child))
		return n->child;
	for (; n; n = n->parent)
		if (n->next && wide(g, n->next))
			return n->next;
	return NULL;
}

/* ---- output ----------------------------------------------------------------- */

static void put_frame(const struct svg *g, const struct node *n)
{
	double x = X0 + (double)n->off * g->scale, w = (double)n->value * g->scale;
	double y = g->base - (n->depth + 1) * FRAME_H;
	char fill[32], val[64], pct[16], label[32], tip[256];
	size_t cells, fit = w > 6 ? (size_t)((w - 6) / CHAR_W) : 0;
	int len;

	if (n->parent)
		frame_color(n->name, fill, sizeof(fill));
	else
		snprintf(fill, sizeof(fill), "rgb(214,196,180)");
	len = snprintf(tip, sizeof(tip), "%s, %s of the total",
		       fmt_value(g, n->value, true, val, sizeof(val)),
		       fmt_pct(g, n->value, pct, sizeof(pct)));
	if (n->self && n->child && len > 0 && (size_t)len < sizeof(tip))
		snprintf(tip + len, sizeof(tip) - len, "\nin this frame itself: %s, %s",
			 fmt_value(g, n->self, true, val, sizeof(val)),
			 fmt_pct(g, n->self, pct, sizeof(pct)));
	fputs("<g class=\"f\"><title>", g->f);
	xml_put(g->f, n->name);
	fputc('\n', g->f);
	xml_put(g->f, tip);
	fprintf(g->f, "</title><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%d\" "
		"fill=\"%s\"/>", x, y, w, FRAME_H - 1, fill);
	if (fit >= 3) {
		fprintf(g->f, "<text x=\"%.2f\" y=\"%.2f\">", x + 3, y + FRAME_H - 5);
		fmt_value(g, n->value, false, label, sizeof(label));
		fit_prefix(n->name, fit, &cells);
		if (cells + 1 + strlen(label) <= fit) {
			xml_put(g->f, n->name);
			fputc(' ', g->f);
			xml_put(g->f, label);
		} else {
			put_fitted(g->f, n->name, fit);
		}
		fputs("</text>", g->f);
	}
	fputs("</g>\n", g->f);
}

static const char style[] =
	"<style>\n"
	/* Monospace labels, so the width estimate that cuts them holds. */
	"text { font-family: \"DejaVu Sans Mono\", Menlo, Consolas, monospace; font-size: 11px; }\n"
	".title, .info { font-family: \"DejaVu Sans\", Verdana, sans-serif; font-size: 12px;"
	" fill: #555; }\n"
	".title { font-size: 18px; font-weight: bold; fill: #000; }\n"
	"g.f rect { stroke: #fff; stroke-width: 0.6; }\n"
	"g.f:hover rect { stroke: #000; stroke-width: 1; }\n"
	"</style>\n";

static void put_header(FILE *f, const struct fg_svg_opts *o, const char *title, int width,
		       int height, char *buf)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n<title>", width, height, width, height);
	xml_put(f, fg_canon(title, buf, false));
	fprintf(f, "</title>\n<desc>Flame graph written by memscope: each box is a stack "
		"frame, as wide as its share of the total, callers below their callees; "
		"hover a frame for its value.</desc>\n%s"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fdfdfb\"/>\n", style, width, height);
	/* Sans-serif widths guessed generously (11.5 px a character of the
	 * title, 7.5 of 12px text): a long title is cut rather than clipped. */
	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"30\" text-anchor=\"middle\">", width / 2);
	put_fitted(f, fg_canon(title, buf, false), (width - 20) / 11.5);
	fputs("</text>\n", f);
	if (o && o->subtitle && *o->subtitle) {
		fprintf(f, "<text class=\"info\" x=\"%d\" y=\"50\" text-anchor=\"middle\">",
			width / 2);
		put_fitted(f, fg_canon(o->subtitle, buf, false), (width - 20) / 7.5);
		fputs("</text>\n", f);
	}
}

/* Skipped frames: the narrow callees of every drawn frame, with theirs. */
static void count_skipped(const struct svg *g, struct node *root, int *maxdepth,
			  size_t *frames, uint64_t *value)
{
	for (struct node *n = root; n; n = next_drawn(g, n)) {
		if (n->depth > *maxdepth)
			*maxdepth = n->depth;
		for (struct node *c = n->child; c; c = c->next) {
			if (wide(g, c))
				continue;
			*frames += c->frames;
			*value = fg_sat_add(*value, c->value);
		}
	}
}

int fg_write_svg(FILE *f, const struct fg_stack *s, size_t n, const struct fg_svg_opts *o)
{
	const char *unit = o && o->unit && *o->unit ? o->unit : "bytes";
	const char *title = o && o->title && *o->title ? o->title : "Flame graph";
	const char *sub = o && o->subtitle ? o->subtitle : "";
	int width = o && o->width ? o->width : 1200, height, maxdepth = 0;
	size_t nnodes = 0, skipped = 0, buflen;
	struct node *nodes = NULL, *root;
	uint64_t skipped_value = 0;
	char *buf = NULL, val[64], pct[16];
	struct fg_prep p;
	struct svg g;
	int err;

	if (!f || width < 400 || width > 100000)
		return -EINVAL;
	err = fg_prep_build(&p, s, n);
	if (err)
		return err;
	err = -ENOMEM;
	/* Room for fg_canon() of the longest of them. */
	buflen = 3 * (strlen(unit) + strlen(title) + strlen(sub)) + 1;
	buf = malloc(buflen);
	nodes = malloc((p.nframes + 1) * sizeof(*nodes));
	if (!buf || !nodes)
		goto out;
	g = (struct svg){ .f = f, .total = p.total,
			  .unit = strpool_str(&p.names, fg_canon(unit, buf, false)),
			  .scale = p.total ? (width - 2.0 * X0) / (double)p.total : 0 };
	if (!g.unit)
		goto out;
	g.bytes = !strcmp(g.unit, "bytes") || !strcmp(g.unit, "B");

	if (!p.total) {
		put_header(f, o, title, width, TOP + 60, buf);
		fprintf(f, "<text class=\"title\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
			"Nothing to show: no stack has a value above zero.</text>\n</svg>\n",
			width / 2, TOP + 20);
		err = 0;
		goto out;
	}
	root = tree_build(&p, nodes, &nnodes);
	if (!root || tree_layout(root))
		goto out;
	count_skipped(&g, root, &maxdepth, &skipped, &skipped_value);
	g.base = TOP + (maxdepth + 1) * FRAME_H;
	height = g.base + BOTTOM;

	put_header(f, o, title, width, height, buf);
	fprintf(f, "<text class=\"info\" x=\"%d\" y=\"68\">Total: ", X0);
	xml_put(f, fmt_value(&g, p.total, true, val, sizeof(val)));
	fprintf(f, " in %zu stack%s</text>\n<g id=\"frames\">\n", p.nents, p.nents == 1 ? "" : "s");
	for (struct node *nd = root; nd; nd = next_drawn(&g, nd))
		put_frame(&g, nd);
	fputs("</g>\n", f);
	if (skipped) {
		fprintf(f, "<text class=\"info\" x=\"%d\" y=\"%d\">%zu of %zu frames are narrower "
			"than %.0f px and left out (", X0, height - 16, skipped, nnodes, MIN_PX);
		xml_put(f, fmt_value(&g, skipped_value, !g.bytes, val, sizeof(val)));
		/* "<0.01%" when the skipped frames are a tiny share: escaped. */
		fputs(", ", f);
		xml_put(f, fmt_pct(&g, skipped_value, pct, sizeof(pct)));
		fputs(" of the total); their callers' widths include them.</text>\n", f);
	}
	fputs("</svg>\n", f);
	err = 0;
out:
	free(nodes);
	free(buf);
	fg_prep_free(&p);
	return err ? err : fflush(f) || ferror(f) ? -EIO : 0;
}
