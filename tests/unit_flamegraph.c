// SPDX-License-Identifier: GPL-2.0
/* Flame graphs: folded output compared exactly; the SVG read back with the
 * strict XML reader below and checked by geometry (rect x/width/y against
 * the values) and by tooltip, not by comparing text. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "out/flamegraph.h"
#include "out/flamegraph_svg.h"
#include "harness.h"
#include "xmlp.h"

/* ---- output into memory -------------------------------------------------- */

/* Not inlined: GCC 12 then takes pointers into the result for pointers to
 * the local that open_memstream() fills in (-Wdangling-pointer). */
static __attribute__((noinline)) char *folded(const struct fg_stack *s, size_t n, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*err = fg_write_folded(f, s, n);
	fclose(f);
	return buf;
}

static __attribute__((noinline)) char *svg(const struct fg_stack *s, size_t n,
					   const struct fg_svg_opts *o, int *err, size_t *len)
{
	char *buf = NULL;
	size_t l = 0;
	FILE *f = open_memstream(&buf, &l);

	*err = fg_write_svg(f, s, n, o);
	fclose(f);
	if (len)
		*len = l;
	return buf;
}

/* ---- frames as drawn ------------------------------------------------------ */

struct frame {
	char *name, *tip;	/* tooltip: first line, the rest */
	const char *label;	/* text drawn in the box, "" if none */
	double x, y, w;
	unsigned r, g, b;	/* fill */
	struct frame *parent;	/* the frame right below, spanning it */
};

static int frames_of(struct xel *root, struct frame **out)
{
	struct xel **gs = NULL;
	int n = 0, m = 0;

	xml_find_all(root, "g", &gs, &n);
	*out = calloc(n + 1, sizeof(**out));
	for (int k = 0; k < n; k++) {
		const char *cls = xml_attr(gs[k], "class");
		struct xel *t = xml_kid(gs[k], "title"), *r = xml_kid(gs[k], "rect"), *l = xml_kid(gs[k], "text");
		struct frame *f = &(*out)[m];
		char *nl;

		if (!cls || strcmp(cls, "f") || !t || !r)
			continue;
		f->name = strdup(t->text ? t->text : "");
		nl = strchr(f->name, '\n');
		f->tip = strdup(nl ? nl + 1 : "");
		if (nl)
			*nl = 0;
		f->label = l && l->text ? l->text : "";
		f->x = xml_attr_num(r, "x");
		f->y = xml_attr_num(r, "y");
		f->w = xml_attr_num(r, "width");
		if (xml_attr(r, "fill"))
			sscanf(xml_attr(r, "fill"), "rgb(%u,%u,%u)", &f->r, &f->g, &f->b);
		m++;
	}
	/* Callers from geometry alone: one level down, spanning the frame. */
	for (int k = 0; k < m; k++)
		for (int j = 0; j < m && !(*out)[k].parent; j++)
			if ((*out)[j].y - (*out)[k].y > 16.99 && (*out)[j].y - (*out)[k].y < 17.01 &&
			    (*out)[j].x <= (*out)[k].x + 0.02 &&
			    (*out)[j].x + (*out)[j].w >= (*out)[k].x + (*out)[k].w - 0.02)
				(*out)[k].parent = &(*out)[j];
	free(gs);
	return m;
}

static void frames_free(struct frame *f, int n)
{
	for (int k = 0; k < n; k++) {
		free(f[k].name);
		free(f[k].tip);
	}
	free(f);
}

static struct frame *by_name(struct frame *f, int n, const char *fname)
{
	for (int k = 0; k < n; k++)
		if (!strcmp(f[k].name, fname))
			return &f[k];
	return NULL;
}

static const char *tip_of(struct frame *f, int n, const char *fname)
{
	struct frame *x = by_name(f, n, fname);

	return x ? x->tip : "(frame not drawn)";
}

/* |d| <= eps, for coordinates (ASSERT_CMP compares integers). */
#define ASSERT_NEAR0(d, eps, what) ({                                           \
	double ___d = (d);                                                    \
	bool ___ok = ___d <= (eps) && -___d <= (eps);                         \
	if (!___ok)                                                           \
		test_fail_at(__FILE__, __LINE__, "%s: off by %.4f (max %.4f)",    \
			     what, ___d, (double)(eps));                      \
	___ok;                                                                \
})

/* Render, parse, or fail the test with the reader's complaint. */
static struct xel *render(const struct fg_stack *s, size_t n, const struct fg_svg_opts *o,
			  char **doc)
{
	char err[200];
	size_t len;
	struct xel *root;
	int rc;

	*doc = svg(s, n, o, &rc, &len);
	if (!ASSERT_OK(rc, "fg_write_svg"))
		return NULL;
	root = xml_parse(*doc, len, err, sizeof(err));
	if (!ASSERT_TRUE(root, "SVG is well-formed XML"))
		test_log("%s", err);
	else
		ASSERT_STREQ(root->name, "svg", "root element");
	return root;
}

#define STACK(v, ...) { (const char *const[]){ __VA_ARGS__ },                    \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *), v }

/* ---- the XML reader itself --------------------------------------------------- */

/* The checker must reject what it is there to catch, or its passes mean
 * nothing. */
TEST(unit_flamegraph_xml_checker_rejects, 0)
{
	static const char *const bad[] = {
		"<a><b></a></b>", "<a>", "<a x=1/>", "<a x=\"1\"x=\"2\"/>", "<a x=\"1\" x=\"1\"/>",
		"<a>&</a>", "<a>&nbsp;</a>", "<a>&#1;</a>", "<a>x < y</a>", "<a x=\"<\"/>",
		"<a>\x01</a>", "<a>\xff</a>", "<a>\xc0\xaf</a>", "<a>\xef\xbf\xbe</a>",
		"<a/><b/>", "<a><!-- c --></a>", "<a>]]></a>", "<!DOCTYPE a><a/>", "",
		"<a>\xed\xa0\x80</a>", "<a x=\"1></a>",
	};
	const char *good = "<?xml version=\"1.0\"?>\n<a x='1' y=\"&lt;&amp;&quot;\">t<b/>"
			   "caf\xc3\xa9 \xf0\x9f\x94\xa5</a>\n";
	char err[200];
	struct xel *e;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		e = xml_parse(bad[k], strlen(bad[k]), err, sizeof(err));
		if (!ASSERT_FALSE(e, "malformed document rejected"))
			test_log("accepted: %s", bad[k]);
		xel_free(e);
	}
	e = xml_parse(good, strlen(good), err, sizeof(err));
	if (!ASSERT_TRUE(e, "well-formed document accepted"))
		test_log("%s", err);
	else
		ASSERT_STREQ(xml_attr(e, "y"), "<&\"", "attribute decoded");
	xel_free(e);
}

/* ---- folded ------------------------------------------------------------------ */

TEST(unit_flamegraph_folded_merge_and_order, 0)
{
	const struct fg_stack in[] = {
		STACK(5, "main", "b"),
		STACK(10, "main", "a"),
		STACK(2, "main", "a b"),
		STACK(3, "main"),
		STACK(0, "zero", "is", "dropped"),
		STACK(7, "main", "a"),
		STACK(1, "main", "a", "x"),
		{ NULL, 0, 4 },
	};
	const char *want =
		"[unknown] 4\n"
		"main 3\n"
		"main;a 17\n"
		"main;a;x 1\n"
		"main;a b 2\n"
		"main;b 5\n";
	struct fg_stack rev[sizeof(in) / sizeof(in[0])];
	size_t n = sizeof(in) / sizeof(in[0]);
	const struct fg_stack big[] = {
		STACK(UINT64_MAX / 2 + 1, "x"), STACK(UINT64_MAX / 2 + 1, "x"),
	};
	char *out;
	int err;

	out = folded(in, n, &err);
	ASSERT_OK(err, "fg_write_folded");
	ASSERT_STREQ(out, want, "merged, sorted frame by frame");
	free(out);

	/* Input order must not matter. */
	for (size_t k = 0; k < n; k++)
		rev[k] = in[n - 1 - k];
	out = folded(rev, n, &err);
	ASSERT_OK(err, "reversed input");
	ASSERT_STREQ(out, want, "same output for reversed input");
	free(out);

	/* Values saturate instead of wrapping. */
	out = folded(big, 2, &err);
	ASSERT_STREQ(out, "x 18446744073709551615\n", "saturated sum");
	free(out);

	out = folded(NULL, 0, &err);
	ASSERT_OK(err, "empty input");
	ASSERT_STREQ(out, "", "empty output");
	free(out);
}

TEST(unit_flamegraph_folded_sanitize, 0)
{
	const struct fg_stack in[] = {
		STACK(1, "a;b", "x\ny", "tab\there", "trail  ", "  lead", "cr\r"),
		STACK(2, "\x01" "ctl\x7f", "bad\xff" "utf", "", NULL, "caf\xc3\xa9",
		      "nonchar\xef\xbf\xbe", "trunc\xe2\x82", "c1\xc2\x9b"),
		STACK(3, " \t\n "),
	};
	char *out;
	int err;

	out = folded(in, 3, &err);
	ASSERT_OK(err, "fg_write_folded");
	ASSERT_STREQ(out,
		     "[unknown] 3\n"
		     "a:b;x y;tab here;trail;lead;cr 1\n"
		     "\xef\xbf\xbd" "ctl\xef\xbf\xbd;bad\xef\xbf\xbd" "utf;[unknown];[unknown];"
		     "caf\xc3\xa9;nonchar\xef\xbf\xbd;trunc\xef\xbf\xbd\xef\xbf\xbd;c1\xef\xbf\xbd 2\n",
		     "sanitized");
	free(out);
}

/* Random bytes as frame names: every line must still parse as
 * "frame;frame;... VALUE" with the right number of frames, in valid UTF-8
 * without control bytes. */
TEST(unit_flamegraph_folded_random_bytes, 0)
{
	enum { N = 400, MAXF = 6, MAXLEN = 12 };
	static char names[N][MAXF][MAXLEN + 1];
	static const char *ptrs[N][MAXF];
	struct fg_stack in[N];
	unsigned seed = 4242;
	char e[200], *out, *doc, *sp, *end;
	struct xel *x;

	for (int i = 0; i < N; i++) {
		int nf = 1 + rand_r(&seed) % MAXF;

		for (int k = 0; k < nf; k++) {
			int len = rand_r(&seed) % MAXLEN;

			for (int b = 0; b < len; b++)
				names[i][k][b] = (char)(1 + rand_r(&seed) % 255);
			names[i][k][len] = 0;
			ptrs[i][k] = names[i][k];
		}
		in[i] = (struct fg_stack){ ptrs[i], nf, 1 + rand_r(&seed) % 1000 };
	}
	for (int i = 0; i < N; i++) {
		int frames = 1, err;

		out = folded(&in[i], 1, &err);
		doc = out ? malloc(strlen(out) + 16) : NULL;
		if (!ASSERT_TRUE(doc, "memory")) {
			free(out);
			break;
		}
		sprintf(doc, "<a>%s</a>", out);
		for (char *p = doc + 3; p[4]; p++)
			if (*p == '<' || *p == '&')
				*p = '_';
		/* The XML reader judges the characters. */
		x = xml_parse(doc, strlen(doc), e, sizeof(e));
		if (!ASSERT_TRUE(x, "valid UTF-8 without control bytes"))
			test_log("%s", e);
		xel_free(x);
		free(doc);
		sp = strrchr(out, ' ');
		if (!ASSERT_TRUE(sp && out[strlen(out) - 1] == '\n', "one line with a value")) {
			free(out);
			break;
		}
		ASSERT_TRUE(strtoull(sp + 1, &end, 10) == in[i].value && *end == '\n' && !end[1],
			    "the value");
		for (char *p = out; p < sp; p++)
			frames += *p == ';';
		ASSERT_EQ(frames, in[i].nframes, "one frame per input frame");
		ASSERT_TRUE(sp > out && sp[-1] != ' ' && sp[-1] != ';', "leaf neither empty nor space-ended");
		ASSERT_FALSE(out[0] == ' ' || strstr(out, ";;") || strstr(out, " ;") ||
			     strstr(out, "; "), "frames trimmed, none empty");
		free(out);
		if (test_failures())
			break;
	}
}

TEST(unit_flamegraph_bad_args, 0)
{
	const struct fg_stack neg = { NULL, -1, 1 }, noframes = { NULL, 2, 1 };
	const struct fg_stack ok = STACK(1, "a");
	struct fg_svg_opts narrow = { .width = 100 };
	FILE *full;
	int err;

	ASSERT_EQ(fg_write_folded(NULL, &ok, 1), -EINVAL, "NULL file");
	free(folded(NULL, 1, &err));
	ASSERT_EQ(err, -EINVAL, "NULL stacks");
	free(folded(&neg, 1, &err));
	ASSERT_EQ(err, -EINVAL, "negative nframes");
	free(folded(&noframes, 1, &err));
	ASSERT_EQ(err, -EINVAL, "frames NULL with nframes > 0");
	free(svg(&ok, 1, &narrow, &err, NULL));
	ASSERT_EQ(err, -EINVAL, "width too small");
	ASSERT_EQ(fg_write_svg(NULL, &ok, 1, NULL), -EINVAL, "NULL file (svg)");

	/* A write error is reported, not swallowed. */
	full = fopen("/dev/full", "w");
	if (full) {
		ASSERT_EQ(fg_write_folded(full, &ok, 1), -EIO, "folded to /dev/full");
		clearerr(full);
		ASSERT_EQ(fg_write_svg(full, &ok, 1, NULL), -EIO, "svg to /dev/full");
		fclose(full);
	}
}

/* ---- SVG --------------------------------------------------------------------- */

TEST(unit_flamegraph_svg_widths_and_tooltips, 0)
{
	const struct fg_stack in[] = { STACK(100, "a", "c"), STACK(300, "a", "b"), STACK(50, "a") };
	struct fg_svg_opts o = { .title = "widths", .width = 1200 };
	struct frame *fr = NULL, *a, *b, *c, *all;
	struct xel *root;
	char *doc;
	int n = 0;

	root = render(in, 3, &o, &doc);
	if (!root)
		goto out;
	n = frames_of(root, &fr);
	ASSERT_EQ(n, 4, "all, a, b, c");
	all = by_name(fr, n, "all");
	a = by_name(fr, n, "a");
	b = by_name(fr, n, "b");
	c = by_name(fr, n, "c");
	if (!ASSERT_TRUE(all && a && b && c, "every frame drawn"))
		goto out;

	ASSERT_NEAR0(all->w - 1180, 0.01, "root spans the graph (1200 - 2 * 10)");
	ASSERT_NEAR0(b->w - 1180 * 300.0 / 450, 0.01, "b's width is its share");
	ASSERT_NEAR0(c->w - 1180 * 100.0 / 450, 0.01, "c's width is its share");
	ASSERT_NEAR0(a->w - all->w, 0.01, "a is all of it");
	ASSERT_NEAR0(a->x - all->x, 0.01, "a starts at the left edge");
	ASSERT_NEAR0(b->x - a->x, 0.01, "largest child first");
	ASSERT_NEAR0(c->x - (b->x + b->w), 0.02, "c follows b");
	ASSERT_TRUE(a->parent == all && b->parent == a && c->parent == a, "callees above callers");

	ASSERT_STREQ(b->tip, "300 bytes, 66.67% of the total", "b's tooltip");
	ASSERT_STREQ(c->tip, "100 bytes, 22.22% of the total", "c's tooltip");
	ASSERT_STREQ(a->tip, "450 bytes, 100.00% of the total\n"
			     "in this frame itself: 50 bytes, 11.11%", "a's tooltip with its self value");
	ASSERT_STREQ(b->label, "b 300 B", "b labelled with its value");
	ASSERT_CONTAINS(doc, "Total: 450 bytes in 3 stacks", "total shown");
	ASSERT_CONTAINS(doc, "<title>widths</title>", "document title");
	ASSERT_FALSE(strstr(doc, "left out"), "no note when everything is drawn");
	ASSERT_FALSE(strstr(doc, "<script"), "no script");
out:
	frames_free(fr, n);
	xel_free(root);
	free(doc);
}

TEST(unit_flamegraph_svg_units, 0)
{
	const struct fg_stack in[] = {
		STACK(3 << 20, "main", "big"), STACK(1234567, "main", "odd"),
		STACK(15360, "main", "small"),
	};
	struct fg_svg_opts o = { .unit = "allocations" };
	struct frame *fr = NULL;
	struct xel *root;
	char *doc;
	int n = 0;

	root = render(in, 3, NULL, &doc);
	if (root) {
		n = frames_of(root, &fr);
		ASSERT_CONTAINS(tip_of(fr, n, "big"), "3.0 MiB (3145728 bytes), 71.56%", "MiB");
		ASSERT_CONTAINS(tip_of(fr, n, "odd"), "1.2 MiB (1234567 bytes)", "rounding");
		ASSERT_CONTAINS(tip_of(fr, n, "small"), "15.0 KiB (15360 bytes)", "KiB");
		ASSERT_STREQ(by_name(fr, n, "big") ? by_name(fr, n, "big")->label : NULL,
			     "big 3.0 MiB", "value in label");
		ASSERT_CONTAINS(doc, "Total: 4.2 MiB (4395655 bytes) in 3 stacks", "total");
		frames_free(fr, n);
	}
	xel_free(root);
	free(doc);

	root = render(in, 3, &o, &doc);
	if (root) {
		n = frames_of(root, &fr);
		ASSERT_CONTAINS(tip_of(fr, n, "odd"), "1234567 allocations", "other unit");
		ASSERT_STREQ(by_name(fr, n, "big") ? by_name(fr, n, "big")->label : NULL,
			     "big 3145728", "plain number in label");
		frames_free(fr, n);
	}
	xel_free(root);
	free(doc);
}

/* A unit too long for the tooltip's value is cut at a character, not
 * inside one (the SVG was not UTF-8; found by the out fuzz harness). */
TEST(unit_flamegraph_svg_long_unit, 0)
{
	const struct fg_stack in[] = { STACK(3145728, "main") };
	char unit[61] = "";
	struct fg_svg_opts o = { .unit = unit };
	struct xel *root;
	char *doc;

	for (int k = 0; k < 30; k++)
		strcat(unit, "\xc3\xa9");	/* U+00E9, two bytes */
	root = render(in, 1, &o, &doc);
	ASSERT_TRUE(root, "well-formed, valid UTF-8");
	ASSERT_CONTAINS(doc, "3145728 \xc3\xa9", "the unit, cut");
	xel_free(root);
	free(doc);
}

TEST(unit_flamegraph_svg_nasty_names, 0)
{
	const char *script = "<script>alert(1)</script>";
	const struct fg_stack in[] = {
		STACK(50, "main", script, "a&b", "\"dq\" 'sq'", "]]>", "--"),
		STACK(40, "main", "std::vector<int, std::allocator<int> >::push_back(int&&)"),
		STACK(30, "main", "bad\xff\xfe utf", "ctl\x01\x02\x1b[31m", "nonchar\xef\xbf\xbf",
		      "trunc\xf0\x9f"),
		STACK(20, "main", "caf\xc3\xa9 \xf0\x9f\x94\xa5 \xe6\xbc\xa2\xe5\xad\x97"),
	};
	struct fg_svg_opts o = {
		.title = "<b>title</b> & \"q\" \x01\xff",
		.subtitle = "sub ]]> <!-- --> &amp;",
		.unit = "<u>&",
	};
	struct xel **scripts = NULL, *root;
	struct frame *fr = NULL;
	int n = 0, ns = 0;
	char *doc;

	root = render(in, 4, &o, &doc);
	if (root) {
		n = frames_of(root, &fr);
		ASSERT_TRUE(by_name(fr, n, script), "markup in a name is text");
		ASSERT_TRUE(by_name(fr, n, "a&b"), "ampersand");
		ASSERT_TRUE(by_name(fr, n, "\"dq\" 'sq'"), "quotes");
		ASSERT_TRUE(by_name(fr, n, "]]>"), "CDATA end");
		ASSERT_TRUE(by_name(fr, n, "std::vector<int, std::allocator<int> >::push_back(int&&)"),
			    "C++ name");
		ASSERT_TRUE(by_name(fr, n, "bad\xef\xbf\xbd\xef\xbf\xbd utf"), "invalid UTF-8 replaced");
		ASSERT_TRUE(by_name(fr, n, "ctl\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd[31m"),
			    "control bytes replaced");
		ASSERT_TRUE(by_name(fr, n, "caf\xc3\xa9 \xf0\x9f\x94\xa5 \xe6\xbc\xa2\xe5\xad\x97"),
			    "valid UTF-8 kept");
		ASSERT_TRUE(by_name(fr, n, "trunc\xef\xbf\xbd\xef\xbf\xbd"), "cut sequence replaced");
		ASSERT_CONTAINS(tip_of(fr, n, "a&b"), "50 <u>&", "unit in the tooltip");
		xml_find_all(root, "script", &scripts, &ns);
		ASSERT_EQ(ns, 0, "no script element");
		ASSERT_STREQ(xml_kid(root, "title")->text, "<b>title</b> & \"q\" \xef\xbf\xbd\xef\xbf\xbd",
			     "document title");
		ASSERT_EQ(n, 13, "frames");
		frames_free(fr, n);
		free(scripts);
	}
	xel_free(root);
	free(doc);

	/* The same with a narrow graph, so labels get cut everywhere: the
	 * reader checks that no cut splits a character. */
	o.width = 400;
	root = render(in, 4, &o, &doc);
	xel_free(root);
	free(doc);
}

/* A function has one colour wherever it appears, in any graph, and every
 * colour is warm: red high, blue low, green in between. */
TEST(unit_flamegraph_svg_colors, 0)
{
	const struct fg_stack one[] = {
		STACK(500, "main", "parse", "malloc"), STACK(300, "main", "load", "malloc"),
		STACK(200, "main", "alpha"), STACK(100, "main", "beta"), STACK(100, "main", "gamma"),
	};
	const struct fg_stack two[] = {
		STACK(7, "other_root", "malloc"), STACK(9, "other_root", "parse"),
	};
	struct frame *f1 = NULL, *f2 = NULL, *b;
	struct xel *r1, *r2;
	char *d1, *d2;
	int n1 = 0, n2 = 0, distinct = 0, pairs = 0, same = 0;

	r1 = render(one, 5, NULL, &d1);
	r2 = render(two, 2, NULL, &d2);
	if (!r1 || !r2)
		goto out;
	n1 = frames_of(r1, &f1);
	n2 = frames_of(r2, &f2);
	for (int k = 1; k < n1; k++) {
		struct frame *f = &f1[k];

		ASSERT_TRUE(f->r >= 200 && f->r > f->g && f->g > f->b && f->b <= 100, "warm");
		for (int j = 1; j < k; j++) {
			bool eq = f1[j].r == f->r && f1[j].g == f->g && f1[j].b == f->b;

			if (!strcmp(f1[j].name, f->name)) {
				same += eq;
				continue;
			}
			pairs++;
			distinct += !eq;
		}
		b = by_name(f2, n2, f->name);
		if (b)
			ASSERT_TRUE(b->r == f->r && b->g == f->g && b->b == f->b,
				    "same name, same colour, other graph");
	}
	ASSERT_STREQ(f1[0].name, "all", "the root comes first");
	ASSERT_EQ(pairs, 27, "pairs of frames with different names");
	ASSERT_EQ(distinct, pairs, "different names, different colours");
	ASSERT_EQ(same, 1, "malloc twice, one colour");
out:
	frames_free(f1, n1);
	frames_free(f2, n2);
	xel_free(r1);
	xel_free(r2);
	free(d1);
	free(d2);
}

/* Long names cut to fit with "..", short ones whole, multibyte ones at a
 * character boundary. */
TEST(unit_flamegraph_svg_labels, 0)
{
	const char *lng = "a_very_long_function_name_that_cannot_possibly_fit";
	const char *wide = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	const char *cjk = "\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2\xe5\xad\x97"
			  "\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2\xe5\xad\x97";
	const struct fg_stack in[] = {
		STACK(1000, "short"), STACK(60, lng), STACK(60, wide), STACK(60, cjk), STACK(3, "tiny"),
	};
	struct frame *fr = NULL, *s, *l, *w, *c, *t;
	struct xel *root;
	char *doc;
	int n = 0;

	root = render(in, 5, NULL, &doc);
	if (!root)
		goto out;
	n = frames_of(root, &fr);
	s = by_name(fr, n, "short");
	l = by_name(fr, n, lng);
	w = by_name(fr, n, wide);
	c = by_name(fr, n, cjk);
	t = by_name(fr, n, "tiny");
	if (!ASSERT_TRUE(s && l && w && c && t, "frames drawn"))
		goto out;
	ASSERT_STREQ(s->label, "short 1000 B", "whole name and value");
	/* 60 of 1183 of 1180 px: 59.8 px, (59.8 - 6) / 6.7 = 8 cells. */
	ASSERT_STREQ(l->label, "a_very..", "long name cut to 8 cells with ..");
	ASSERT_STREQ(w->label, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9..",
		     "two-byte characters: one cell each");
	ASSERT_STREQ(c->label, "\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2..",
		     "CJK characters: two cells each");
	ASSERT_STREQ(t->label, "", "no label in a tiny box");
out:
	frames_free(fr, n);
	xel_free(root);
	free(doc);
}

TEST(unit_flamegraph_svg_empty, 0)
{
	const struct fg_stack zero[] = { STACK(0, "a", "b") };
	struct fg_svg_opts o = { .title = "Outstanding memory: ./app (pid 1)" };
	struct frame *fr = NULL;
	struct xel *root;
	char *doc;
	int n;

	root = render(NULL, 0, &o, &doc);
	if (root) {
		n = frames_of(root, &fr);
		ASSERT_EQ(n, 0, "no frames");
		ASSERT_CONTAINS(doc, "Nothing to show", "says so");
		ASSERT_CONTAINS(doc, "Outstanding memory: ./app (pid 1)", "title kept");
		frames_free(fr, n);
	}
	xel_free(root);
	free(doc);

	root = render(zero, 1, NULL, &doc);
	ASSERT_TRUE(root && strstr(doc, "Nothing to show"), "all-zero input is empty too");
	xel_free(root);
	free(doc);
}

/* Deep stacks: one level per frame, no recursion limits. */
TEST(unit_flamegraph_svg_deep, 0)
{
	enum { DEPTH = 200 };
	static char names[DEPTH][16], other[DEPTH][16];
	const char *a[DEPTH], *b[DEPTH];
	struct fg_stack in[2];
	struct frame *fr = NULL, *f;
	struct xel *root;
	char *doc;
	int n = 0, k;

	for (k = 0; k < DEPTH; k++) {
		snprintf(names[k], sizeof(names[k]), "f%d", k);
		snprintf(other[k], sizeof(other[k]), k < 50 ? "f%d" : "g%d", k);
		a[k] = names[k];
		b[k] = other[k];
	}
	in[0] = (struct fg_stack){ a, DEPTH, 3000 };
	in[1] = (struct fg_stack){ b, 120, 1000 };
	root = render(in, 2, NULL, &doc);
	if (!root)
		goto out;
	n = frames_of(root, &fr);
	ASSERT_EQ(n, 1 + DEPTH + 70, "all + 200 + 70 frames");
	for (k = 0; k < DEPTH; k++) {
		f = by_name(fr, n, names[k]);
		if (!ASSERT_TRUE(f && f->parent, "frame drawn on its caller"))
			break;
		ASSERT_STREQ(f->parent->name, k ? names[k - 1] : "all", "caller below");
		ASSERT_NEAR0(f->w - (k < 50 ? 1180 : 885), 0.01, "width");
	}
	ASSERT_NEAR0(xml_attr_num(root, "height") - (80 + (DEPTH + 1) * 17 + 40), 0.01,
		     "tall enough for every level");
out:
	frames_free(fr, n);
	xel_free(root);
	free(doc);
}

/* Callees too narrow to draw are left out with theirs, and the note says
 * how many and how much. */
TEST(unit_flamegraph_svg_narrow_frames, 0)
{
	enum { NTINY = 300 };
	static char tiny[NTINY][16];
	static const char *tiny_fr[NTINY][2];
	struct fg_stack in[NTINY + 2] = {
		STACK(1000000, "big"), STACK(1, "big", "lost"),
	};
	struct frame *fr = NULL;
	struct xel *root;
	char *doc;
	int n = 0;

	for (int k = 0; k < NTINY; k++) {
		snprintf(tiny[k], sizeof(tiny[k]), "tiny%03d", k);
		tiny_fr[k][0] = tiny[k];
		tiny_fr[k][1] = "leaf";
		in[k + 2] = (struct fg_stack){ tiny_fr[k], 2, 10 };
	}
	root = render(in, NTINY + 2, NULL, &doc);
	if (!root)
		goto out;
	n = frames_of(root, &fr);
	ASSERT_EQ(n, 2, "all and big");
	ASSERT_TRUE(by_name(fr, n, "big") && by_name(fr, n, "all"), "drawn");
	/* 300 tiny + 300 leaf + lost = 601 of 603; 3001 bytes of 1003001. */
	ASSERT_CONTAINS(doc, ">601 of 603 frames are narrower than 1 px and left out "
			"(2.9 KiB, 0.30% of the total); their callers' widths include them.<",
			"note: how many, how much");
out:
	frames_free(fr, n);
	xel_free(root);
	free(doc);
}

/* Frames left out that are under 0.01% of the total: the note's "<0.01%"
 * is escaped (it was written raw, and the SVG was not XML; found by the
 * out fuzz harness). */
TEST(unit_flamegraph_svg_narrow_tiny_share, 0)
{
	struct fg_stack in[] = {
		STACK(UINT64_MAX / 2, "big"), STACK(1, "big", "lost"),
	};
	struct xel *root;
	char *doc;

	root = render(in, 2, NULL, &doc);
	ASSERT_CONTAINS(doc, ", &lt;0.01% of the total); their callers'", "note escaped");
	xel_free(root);
	free(doc);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 10k random stacks: every drawn frame sits on its caller, at least 1 px
 * wide, as wide as its value, with the value in its tooltip as the model
 * computes it; the note accounts for every frame not drawn. */
TEST(unit_flamegraph_svg_many, 0)
{
	enum { N = 10000, NFUNCS = 300, MAXD = 30 };
	static char funcs[NFUNCS][24];
	static const char *fr_[N][MAXD];
	static struct fg_stack in[N];
	struct fg_svg_opts o = { .unit = "samples" };
	char *doc = NULL, *fold, *line, *save = NULL, path[4096], want[128], **prefixes = NULL;
	char **drawn = NULL;
	const char *note;
	unsigned seed = 99;
	uint64_t total = 0, hidden_v = 0, want_hidden_v = 0;
	struct frame *fr = NULL;
	struct xel *root;
	size_t nlines = 0, np = 0, cap = 0, distinct = 0, ndrawn = 0;
	int n = 0, k, err, hidden = -1, all = -1, checked = 0;
	struct { char *frames; uint64_t v; } *lines;

	for (k = 0; k < NFUNCS; k++)
		snprintf(funcs[k], sizeof(funcs[k]), "func_%03d", k);
	for (int i = 0; i < N; i++) {
		int d = 5 + rand_r(&seed) % (MAXD - 5);

		/* A few callers near the root, many names further up. */
		for (k = 0; k < d; k++)
			fr_[i][k] = funcs[rand_r(&seed) % (k < 3 ? 4 : NFUNCS)];
		/* A heavy stack in 50 makes thousands of frames wide enough
		 * to draw, the rest a long tail that is not. */
		in[i] = (struct fg_stack){ fr_[i], d, i % 50 ? 1 + rand_r(&seed) % 100000 :
					   10000000 + rand_r(&seed) % 1000000 };
		total += in[i].value;
	}
	root = render(in, N, &o, &doc);
	if (!root)
		goto out;
	n = frames_of(root, &fr);

	/* The model: the folded lines; a frame's value is the sum of the
	 * lines its path is a prefix of. */
	fold = folded(in, N, &err);
	lines = calloc(N, sizeof(*lines));
	drawn = calloc(n, sizeof(*drawn));
	for (line = strtok_r(fold, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');

		*sp = 0;
		lines[nlines].frames = line;
		lines[nlines++].v = strtoull(sp + 1, NULL, 10);
	}
	for (k = 0; k < n; k++) {
		struct frame *f = &fr[k], *p;
		uint64_t v = 0;
		size_t pl;

		if (!ASSERT_TRUE(f->w >= 1.0 - 0.005 && f->x >= 10 - 0.005 &&
				 f->x + f->w <= 1190 + 0.01, "inside the graph, at least 1 px"))
			break;
		if (!k) {
			ASSERT_STREQ(f->name, "all", "the root first");
			continue;
		}
		if (!ASSERT_TRUE(f->parent, "every frame sits on its caller")) {
			test_log("%s at x=%.2f w=%.2f y=%.2f", f->name, f->x, f->w, f->y);
			break;
		}
		/* The path from the root, through the callers found by
		 * geometry. */
		path[0] = 0;
		for (p = f; p->parent; p = p->parent) {
			size_t nl = strlen(p->name), cur = strlen(path);

			memmove(path + nl + (cur ? 1 : 0), path, cur + 1);
			memcpy(path, p->name, nl);
			if (cur)
				path[nl] = ';';
		}
		pl = strlen(path);
		for (size_t i = 0; i < nlines; i++)
			if (!strncmp(lines[i].frames, path, pl) &&
			    (!lines[i].frames[pl] || lines[i].frames[pl] == ';'))
				v += lines[i].v;
		snprintf(want, sizeof(want), "%" PRIu64 " samples, ", v);
		if (!ASSERT_TRUE(!strncmp(f->tip, want, strlen(want)), "tooltip value as the model's")) {
			test_log("%s: tooltip \"%s\", want \"%s\"", path, f->tip, want);
			break;
		}
		if (!ASSERT_NEAR0(f->w - (double)v * 1180 / total, 0.006, "width proportional to value"))
			break;
		drawn[ndrawn++] = strdup(path);
		checked++;
	}
	test_log("%d frames drawn, every one checked against the model", checked);
	ASSERT_GT(checked, 1000, "a big picture");

	/* Not drawn: the model's distinct prefixes that are not drawn paths;
	 * left out: the lines whose leaf is not drawn (its callers are). */
	for (size_t i = 0; i < nlines; i++)
		for (char *p = lines[i].frames;; p++)
			if (*p == ';' || !*p) {
				/* Doubling: one realloc per prefix copies
				 * them all each time under ASan. */
				if (np == cap) {
					cap = cap ? 2 * cap : 1024;
					prefixes = realloc(prefixes, cap * sizeof(*prefixes));
				}
				prefixes[np++] = strndup(lines[i].frames, p - lines[i].frames);
				if (!*p)
					break;
			}
	qsort(prefixes, np, sizeof(*prefixes), str_cmp);
	for (size_t i = 0; i < np; i++)
		distinct += !i || strcmp(prefixes[i], prefixes[i - 1]);
	qsort(drawn, ndrawn, sizeof(*drawn), str_cmp);
	for (size_t i = 0; i < nlines; i++)
		if (!bsearch(&lines[i].frames, drawn, ndrawn, sizeof(*drawn), str_cmp))
			want_hidden_v += lines[i].v;
	note = strstr(doc, "frames are narrower");
	if (ASSERT_TRUE(note, "note about frames not drawn")) {
		while (note[-1] != '>')
			note--;
		sscanf(note, "%d of %d", &hidden, &all);
		sscanf(strchr(note, '(') + 1, "%" SCNu64, &hidden_v);
	}
	ASSERT_EQ(all, (long long)distinct + 1, "note counts every frame");
	ASSERT_EQ(hidden, all - n, "note counts what is not drawn");
	ASSERT_EQ(hidden_v, want_hidden_v, "note: the value left out");
	snprintf(want, sizeof(want), "Total: %" PRIu64 " samples in %zu stacks", total, nlines);
	ASSERT_CONTAINS(doc, want, "total");
	for (size_t i = 0; i < np; i++)
		free(prefixes[i]);
	free(prefixes);
	for (size_t i = 0; i < ndrawn; i++)
		free(drawn[i]);
	free(drawn);
	free(lines);
	free(fold);
out:
	frames_free(fr, n);
	xel_free(root);
	free(doc);
}
