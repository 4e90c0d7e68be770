// SPDX-License-Identifier: GPL-2.0
/* Flame graphs: folded output (merging, order, sanitizing) and the SVG,
 * which every test reads back with the strict XML reader below and then
 * checks by geometry (rect x/width/y), not by comparing text. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "out/flamegraph.h"
#include "harness.h"

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

static char *svg(const struct fg_stack *s, size_t n, const struct fg_svg_opts *o,
		 int *err, size_t *len)
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

/* ---- a strict XML reader ----------------------------------------------------
 *
 * Checks the whole document as XML 1.0 requires and as our writer promises:
 * valid UTF-8 throughout, only XML characters (no control bytes but tab, LF,
 * CR), one root element, balanced and properly nested tags, quoted and
 * unique attributes, no raw '<' or '&' outside markup, only the predefined
 * entities and valid character references, well-formed comments, CDATA and
 * processing instructions, no DOCTYPE. Builds a small tree with entities
 * decoded so the tests can look at attributes and text. */

struct xattr {
	char *name, *value;
};

struct xel {
	char *name;
	struct xattr *attrs;
	int nattrs;
	struct xel **kids;
	int nkids;
	char *text;		/* direct character data, decoded */
	size_t textlen;
	struct xel *parent;
};

struct xp {
	const char *s;
	size_t i, n;
	char err[160];
};

static bool xp_fail(struct xp *p, const char *what)
{
	if (!p->err[0])
		snprintf(p->err, sizeof(p->err), "offset %zu: %s (near \"%.30s\")", p->i, what,
			 p->s + (p->i < p->n ? p->i : p->n));
	return false;
}

static bool xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* Whole-document UTF-8 and character check, independent of the writer's
 * own decoder. */
static bool check_chars(struct xp *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i = 0, len, k;
	uint32_t c, min;

	while (i < p->n) {
		if (s[i] < 0x80)
			len = 1, c = s[i], min = 0;
		else if ((s[i] & 0xe0) == 0xc0)
			len = 2, c = s[i] & 0x1f, min = 0x80;
		else if ((s[i] & 0xf0) == 0xe0)
			len = 3, c = s[i] & 0x0f, min = 0x800;
		else if ((s[i] & 0xf8) == 0xf0)
			len = 4, c = s[i] & 0x07, min = 0x10000;
		else
			goto bad;
		if (i + len > p->n)
			goto bad;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || (c >= 0xd800 && c <= 0xdfff) || !xml_char(c)) {
			p->i = i;
			return xp_fail(p, "not an XML character");
		}
		i += len;
	}
	return true;
bad:
	p->i = i;
	return xp_fail(p, "invalid UTF-8");
}

static bool starts(struct xp *p, const char *lit)
{
	return !strncmp(p->s + p->i, lit, strlen(lit));
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(struct xp *p)
{
	size_t from = p->i;

	while (p->i < p->n && is_space(p->s[p->i]))
		p->i++;
	return p->i - from;
}

static char *name(struct xp *p)
{
	size_t from = p->i;
	char c = p->i < p->n ? p->s[p->i] : 0;

	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':')) {
		xp_fail(p, "bad name");
		return NULL;
	}
	while (p->i < p->n) {
		c = p->s[p->i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == ':' || c == '-' || c == '.'))
			break;
		p->i++;
	}
	return strndup(p->s + from, p->i - from);
}

static void put_utf8(char **buf, size_t *len, uint32_t c)
{
	char tmp[4];
	size_t n;

	if (c < 0x80)
		tmp[0] = c, n = 1;
	else if (c < 0x800)
		tmp[0] = 0xc0 | (c >> 6), tmp[1] = 0x80 | (c & 0x3f), n = 2;
	else if (c < 0x10000)
		tmp[0] = 0xe0 | (c >> 12), tmp[1] = 0x80 | ((c >> 6) & 0x3f),
		tmp[2] = 0x80 | (c & 0x3f), n = 3;
	else
		tmp[0] = 0xf0 | (c >> 18), tmp[1] = 0x80 | ((c >> 12) & 0x3f),
		tmp[2] = 0x80 | ((c >> 6) & 0x3f), tmp[3] = 0x80 | (c & 0x3f), n = 4;
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, tmp, n);
	*len += n;
	(*buf)[*len] = 0;
}

static void put_bytes(char **buf, size_t *len, const char *s, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
}

/* An entity or character reference at '&'. */
static bool reference(struct xp *p, char **buf, size_t *len)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		     { "&quot;", '"' }, { "&apos;", '\'' } };
	size_t k;

	for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
		if (starts(p, ents[k].ent)) {
			put_bytes(buf, len, &ents[k].c, 1);
			p->i += strlen(ents[k].ent);
			return true;
		}
	}
	if (starts(p, "&#")) {
		bool hex = p->s[p->i + 2] == 'x';
		size_t j = p->i + 2 + hex, digits = 0;
		uint32_t c = 0;

		for (; j < p->n && p->s[j] != ';'; j++, digits++) {
			char d = p->s[j];
			int v = d >= '0' && d <= '9' ? d - '0' :
				hex && d >= 'a' && d <= 'f' ? d - 'a' + 10 :
				hex && d >= 'A' && d <= 'F' ? d - 'A' + 10 : -1;

			if (v < 0 || digits > 7)
				return xp_fail(p, "bad character reference");
			c = c * (hex ? 16 : 10) + v;
		}
		if (!digits || j >= p->n || !xml_char(c))
			return xp_fail(p, "bad character reference");
		put_utf8(buf, len, c);
		p->i = j + 1;
		return true;
	}
	return xp_fail(p, "raw '&' or unknown entity");
}

static bool comment_or_pi(struct xp *p)
{
	const char *end;

	if (starts(p, "<!--")) {
		end = strstr(p->s + p->i + 4, "--");
		if (!end || end[2] != '>')
			return xp_fail(p, "'--' inside a comment, or unterminated");
		p->i = end + 3 - p->s;
		return true;
	}
	if (starts(p, "<?")) {
		end = strstr(p->s + p->i + 2, "?>");
		if (!end)
			return xp_fail(p, "unterminated processing instruction");
		p->i = end + 2 - p->s;
		return true;
	}
	return false;
}

static void xel_free(struct xel *e)
{
	int k;

	if (!e)
		return;
	for (k = 0; k < e->nkids; k++)
		xel_free(e->kids[k]);
	for (k = 0; k < e->nattrs; k++) {
		free(e->attrs[k].name);
		free(e->attrs[k].value);
	}
	free(e->kids);
	free(e->attrs);
	free(e->text);
	free(e->name);
	free(e);
}

static bool attributes(struct xp *p, struct xel *e)
{
	for (;;) {
		size_t sp = skip_space(p);
		char q, *an, *val = NULL;
		size_t vlen = 0;
		int k;

		if (p->i >= p->n)
			return xp_fail(p, "unterminated start tag");
		if (p->s[p->i] == '>' || starts(p, "/>"))
			return true;
		if (!sp)
			return xp_fail(p, "no space before attribute");
		an = name(p);
		if (!an)
			return false;
		for (k = 0; k < e->nattrs; k++)
			if (!strcmp(e->attrs[k].name, an)) {
				free(an);
				return xp_fail(p, "duplicate attribute");
			}
		e->attrs = realloc(e->attrs, (e->nattrs + 1) * sizeof(*e->attrs));
		e->attrs[e->nattrs].name = an;
		e->attrs[e->nattrs].value = NULL;
		e->nattrs++;
		skip_space(p);
		if (p->i >= p->n || p->s[p->i] != '=')
			return xp_fail(p, "attribute without '='");
		p->i++;
		skip_space(p);
		q = p->i < p->n ? p->s[p->i] : 0;
		if (q != '"' && q != '\'')
			return xp_fail(p, "unquoted attribute value");
		p->i++;
		put_bytes(&val, &vlen, "", 0);
		e->attrs[e->nattrs - 1].value = val;
		while (p->i < p->n && p->s[p->i] != q) {
			if (p->s[p->i] == '<')
				return xp_fail(p, "'<' in attribute value");
			if (p->s[p->i] == '&') {
				if (!reference(p, &val, &vlen))
					return false;
			} else {
				put_bytes(&val, &vlen, p->s + p->i, 1);
				p->i++;
			}
			e->attrs[e->nattrs - 1].value = val;
		}
		if (p->i >= p->n)
			return xp_fail(p, "unterminated attribute value");
		p->i++;
	}
}

static struct xel *element(struct xp *p, struct xel *parent, int depth)
{
	struct xel *e = calloc(1, sizeof(*e));

	e->parent = parent;
	if (depth > 1000 || p->i >= p->n || p->s[p->i] != '<') {
		xp_fail(p, "expected an element");
		goto fail;
	}
	p->i++;
	e->name = name(p);
	if (!e->name || !attributes(p, e))
		goto fail;
	if (starts(p, "/>")) {
		p->i += 2;
		return e;
	}
	p->i++;	/* '>' */
	for (;;) {
		if (p->i >= p->n) {
			xp_fail(p, "unclosed element");
			goto fail;
		}
		if (starts(p, "</")) {
			size_t nl = strlen(e->name);

			p->i += 2;
			if (strncmp(p->s + p->i, e->name, nl)) {
				xp_fail(p, "mismatched end tag");
				goto fail;
			}
			p->i += nl;
			skip_space(p);
			if (p->i >= p->n || p->s[p->i] != '>') {
				xp_fail(p, "bad end tag");
				goto fail;
			}
			p->i++;
			return e;
		}
		if (starts(p, "<![CDATA[")) {
			const char *end = strstr(p->s + p->i + 9, "]]>");

			if (!end) {
				xp_fail(p, "unterminated CDATA");
				goto fail;
			}
			put_bytes(&e->text, &e->textlen, p->s + p->i + 9, end - (p->s + p->i + 9));
			p->i = end + 3 - p->s;
		} else if (starts(p, "<!--") || starts(p, "<?")) {
			if (!comment_or_pi(p))
				goto fail;
		} else if (starts(p, "<!")) {
			xp_fail(p, "markup declaration in content");
			goto fail;
		} else if (p->s[p->i] == '<') {
			struct xel *k = element(p, e, depth + 1);

			if (!k)
				goto fail;
			e->kids = realloc(e->kids, (e->nkids + 1) * sizeof(*e->kids));
			e->kids[e->nkids++] = k;
		} else if (p->s[p->i] == '&') {
			if (!reference(p, &e->text, &e->textlen))
				goto fail;
		} else {
			if (starts(p, "]]>")) {
				xp_fail(p, "']]>' in text");
				goto fail;
			}
			put_bytes(&e->text, &e->textlen, p->s + p->i, 1);
			p->i++;
		}
	}
fail:
	xel_free(e);
	return NULL;
}

/* Parse a whole document; NULL and err filled in when it is not XML. */
static struct xel *xml_parse(const char *s, size_t n, char *err, size_t errlen)
{
	struct xp p = { .s = s, .n = n };
	struct xel *root = NULL;

	if (memchr(s, 0, n)) {
		snprintf(err, errlen, "NUL byte in document");
		return NULL;
	}
	if (!check_chars(&p))
		goto out;
	if (starts(&p, "<?xml") && !comment_or_pi(&p))
		goto out;
	for (;;) {
		skip_space(&p);
		if (starts(&p, "<!DOCTYPE")) {
			xp_fail(&p, "DOCTYPE");
			goto out;
		}
		if (!starts(&p, "<!--") && !starts(&p, "<?"))
			break;
		if (!comment_or_pi(&p))
			goto out;
	}
	root = element(&p, NULL, 0);
	if (!root)
		goto out;
	for (;;) {
		skip_space(&p);
		if (p.i >= p.n)
			break;
		if (!comment_or_pi(&p)) {
			xp_fail(&p, "content after the root element");
			xel_free(root);
			root = NULL;
			goto out;
		}
	}
out:
	snprintf(err, errlen, "%s", p.err);
	return root;
}

static const char *attr(const struct xel *e, const char *an)
{
	for (int k = 0; k < e->nattrs; k++)
		if (!strcmp(e->attrs[k].name, an))
			return e->attrs[k].value;
	return NULL;
}

static double attr_num(const struct xel *e, const char *an)
{
	const char *v = attr(e, an);

	return v ? strtod(v, NULL) : -1;
}

static struct xel *kid(const struct xel *e, const char *kname)
{
	for (int k = 0; k < e->nkids; k++)
		if (!strcmp(e->kids[k]->name, kname))
			return e->kids[k];
	return NULL;
}

/* All text below e, as a browser's textContent. */
static void text_content(const struct xel *e, char **buf, size_t *len)
{
	/* Direct text and children interleave in a real DOM; our writer
	 * never mixes them except name + <tspan>, so text first is right. */
	if (e->text)
		put_bytes(buf, len, e->text, e->textlen);
	for (int k = 0; k < e->nkids; k++)
		text_content(e->kids[k], buf, len);
}

/* Every element named ename with class cls (NULL: any) below e. */
static void find_all(struct xel *e, const char *ename, const char *cls,
		     struct xel ***out, int *n)
{
	const char *c = attr(e, "class");

	if (!strcmp(e->name, ename) && (!cls || (c && !strcmp(c, cls)))) {
		*out = realloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = e;
	}
	for (int k = 0; k < e->nkids; k++)
		find_all(e->kids[k], ename, cls, out, n);
}

/* ---- frames as drawn ------------------------------------------------------ */

struct frame {
	char *name, *tip;	/* tooltip: first line, the rest */
	char *label;		/* text drawn in the box, "" if none */
	double x, y, w;
	unsigned r, g, b;	/* fill */
	bool merged;
};

static int frames_of(struct xel *root, struct frame **out)
{
	struct xel **gs = NULL;
	int n = 0, m = 0, k;

	find_all(root, "g", NULL, &gs, &n);
	*out = calloc(n + 1, sizeof(**out));

	for (k = 0; k < n; k++) {
		const char *cls = attr(gs[k], "class");
		struct xel *t = kid(gs[k], "title"), *r = kid(gs[k], "rect"), *l = kid(gs[k], "text");
		struct frame *f = &(*out)[m];
		char *nl, *lab = NULL;
		size_t ll = 0;

		if (!cls || strncmp(cls, "f", 1) || !t || !r)
			continue;
		f->merged = !strcmp(cls, "f m");
		f->name = strdup(t->text ? t->text : "");
		nl = strchr(f->name, '\n');
		f->tip = strdup(nl ? nl + 1 : "");
		if (nl)
			*nl = 0;
		put_bytes(&lab, &ll, "", 0);
		if (l)
			text_content(l, &lab, &ll);
		f->label = lab;
		f->x = attr_num(r, "x");
		f->y = attr_num(r, "y");
		f->w = attr_num(r, "width");
		if (attr(r, "fill"))
			sscanf(attr(r, "fill"), "rgb(%u,%u,%u)", &f->r, &f->g, &f->b);
		m++;
	}
	free(gs);
	return m;
}

static void frames_free(struct frame *f, int n)
{
	for (int k = 0; k < n; k++) {
		free(f[k].name);
		free(f[k].tip);
		free(f[k].label);
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

static double fabs_(double v)
{
	return v < 0 ? -v : v;
}

/* |d| <= eps, for coordinates (ASSERT_CMP compares integers). */
#define ASSERT_NEAR0(d, eps, what) ({                                           \
	double ___d = (d);                                                    \
	bool ___ok = fabs_(___d) <= (eps);                                    \
	if (!___ok)                                                           \
		test_fail_at(__FILE__, __LINE__, "%s: off by %.4f (max %.4f)",    \
			     what, ___d, (double)(eps));                      \
	___ok;                                                                \
})

/* a <= b + eps for coordinates. */
#define ASSERT_FLE(a, b, what) ({                                               \
	double ___a = (a), ___b = (b);                                        \
	bool ___ok = ___a <= ___b + 0.005;                                    \
	if (!___ok)                                                           \
		test_fail_at(__FILE__, __LINE__, "%s: %.4f > %.4f", what, ___a, ___b); \
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
		"<a/><b/>", "<a><!-- x -- y --></a>", "<a>]]></a>", "<!DOCTYPE a><a/>", "",
	};
	static const char *const good[] = {
		"<?xml version=\"1.0\"?>\n<a x='1' y=\"&lt;&amp;&quot;\">t&#10;&#x41;<b/><![CDATA[<&]]></a>\n",
		"<!-- c --><a>caf\xc3\xa9 \xf0\x9f\x94\xa5</a><!-- d -->",
	};
	char err[200];

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct xel *e = xml_parse(bad[k], strlen(bad[k]), err, sizeof(err));

		if (!ASSERT_FALSE(e, "malformed document rejected"))
			test_log("accepted: %s", bad[k]);
		xel_free(e);
	}
	for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		struct xel *e = xml_parse(good[k], strlen(good[k]), err, sizeof(err));

		if (!ASSERT_TRUE(e, "well-formed document accepted"))
			test_log("%s: %s", good[k], err);
		else if (k == 0)
			ASSERT_STREQ(attr(e, "y"), "<&\"", "attribute decoded");
		xel_free(e);
	}
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
	const struct fg_stack big[] = {
		STACK(UINT64_MAX / 2 + 1, "x"), STACK(UINT64_MAX / 2 + 1, "x"),
	};
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
		      "nonchar\xef\xbf\xbe", "trunc\xe2\x82"),
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
		     "caf\xc3\xa9;nonchar\xef\xbf\xbd;trunc\xef\xbf\xbd\xef\xbf\xbd 2\n",
		     "sanitized");
	free(out);
}

/* Random bytes as frame names: every line must still parse as
 * "frame;frame;... VALUE" with the right number of frames. */
TEST(unit_flamegraph_folded_random_bytes, 0)
{
	enum { N = 400, MAXF = 6, MAXLEN = 12 };
	static char names[N][MAXF][MAXLEN + 1];
	static const char *ptrs[N][MAXF];
	struct fg_stack in[N];
	unsigned seed = 4242;
	char *out, *line, *save = NULL;
	int err, lines = 0;

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
	out = folded(in, N, &err);
	ASSERT_OK(err, "fg_write_folded");
	{
		char e[200];
		/* Valid UTF-8 without control bytes: wrap in an element and
		 * let the XML reader judge the characters. */
		size_t len = strlen(out);
		char *doc = malloc(len + 16);
		struct xel *x;

		for (size_t i = 0; i < len; i++)
			if (out[i] == '<' || out[i] == '&')
				out[i] = '_';
		sprintf(doc, "<a>%s</a>", out);
		x = xml_parse(doc, strlen(doc), e, sizeof(e));
		if (!ASSERT_TRUE(x, "folded output is valid UTF-8 without control bytes"))
			test_log("%s", e);
		xel_free(x);
		free(doc);
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		lines++;
	ASSERT_GT(lines, N / 2, "merged lines");
	ASSERT_LE(lines, N, "merged lines");
	free(out);

	/* One stack at a time, so each line can be held against its input. */
	for (int i = 0; i < N; i++) {
		char *sp, *end, *p;
		unsigned long long v;
		int frames = 1;

		out = folded(&in[i], 1, &err);
		sp = strrchr(out, ' ');
		if (!ASSERT_TRUE(sp && out[strlen(out) - 1] == '\n', "one line with a value")) {
			free(out);
			break;
		}
		v = strtoull(sp + 1, &end, 10);
		ASSERT_TRUE(*end == '\n' && !end[1] && v == in[i].value, "the value");
		for (p = out; p < sp; p++)
			frames += *p == ';';
		ASSERT_EQ(frames, in[i].nframes, "one frame per input frame");
		ASSERT_TRUE(sp > out && sp[-1] != ' ' && sp[-1] != ';', "leaf neither empty nor space-ended");
		ASSERT_NE(out[0], ' ', "no leading space");
		ASSERT_FALSE(strstr(out, ";;") || strstr(out, " ;") || strstr(out, "; "),
			     "frames trimmed, none empty");
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
	const struct fg_stack in[] = { STACK(100, "a", "c"), STACK(300, "a", "b") };
	struct fg_svg_opts o = { .title = "widths", .width = 1200 };
	struct frame *fr = NULL, *a, *b, *c, *all;
	struct xel *root;
	char *doc;
	int n;

	root = render(in, 2, &o, &doc);
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

	ASSERT_NEAR0(b->w - 3 * c->w, 0.05, "b is 3x as wide as c");
	ASSERT_NEAR0(a->w - (b->w + c->w), 0.03, "a spans b and c");
	ASSERT_NEAR0(all->w - 1180, 0.01, "root spans the graph (1200 - 2 * 10)");
	ASSERT_NEAR0(a->w - all->w, 0.01, "a is all of it");
	ASSERT_NEAR0(a->x - all->x, 0.01, "a starts at the left edge");
	ASSERT_NEAR0(b->x - a->x, 0.01, "largest child first");
	ASSERT_NEAR0(c->x - (b->x + b->w), 0.02, "c follows b");
	ASSERT_TRUE(a->y < all->y && b->y < a->y, "callees above callers");
	ASSERT_NEAR0(b->y - c->y, 0.001, "siblings on one level");

	ASSERT_CONTAINS(b->tip, "300 bytes", "b's value");
	ASSERT_CONTAINS(b->tip, "75.00%", "b's share");
	ASSERT_CONTAINS(c->tip, "100 bytes", "c's value");
	ASSERT_CONTAINS(c->tip, "25.00%", "c's share");
	ASSERT_CONTAINS(a->tip, "400 bytes", "a's value");
	ASSERT_CONTAINS(a->tip, "100.00%", "a's share");
	ASSERT_CONTAINS(b->label, "b", "b labelled");
	ASSERT_CONTAINS(doc, "Total: 400 bytes in 2 stacks", "total shown");
	ASSERT_FALSE(strstr(doc, "class=\"note\""), "no note when everything is drawn");
out:
	if (fr)
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
		ASSERT_CONTAINS(tip_of(fr, n, "big"), "3.00 MiB (3,145,728 bytes)", "MiB");
		ASSERT_CONTAINS(tip_of(fr, n, "odd"), "1.18 MiB (1,234,567 bytes)", "rounding");
		ASSERT_CONTAINS(tip_of(fr, n, "small"), "15.0 KiB (15,360 bytes)", "KiB");
		ASSERT_STREQ(by_name(fr, n, "big") ? by_name(fr, n, "big")->label : NULL,
			     "big 3.00 MiB", "value in label");
		ASSERT_CONTAINS(doc, "Total: 4.19 MiB (4,395,655 bytes) in 3 stacks", "total");
		frames_free(fr, n);
	}
	xel_free(root);
	free(doc);

	root = render(in, 3, &o, &doc);
	if (root) {
		n = frames_of(root, &fr);
		ASSERT_CONTAINS(tip_of(fr, n, "odd"), "1,234,567 allocations", "other unit");
		frames_free(fr, n);
	}
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
		find_all(root, "script", NULL, &scripts, &ns);
		ASSERT_EQ(ns, 1, "only our own script element");
		ASSERT_STREQ(kid(root, "title")->text, "<b>title</b> & \"q\" \xef\xbf\xbd\xef\xbf\xbd",
			     "document title");
		/* Labels must be cut at character boundaries: the reader has
		 * already checked the UTF-8, so nothing to do but count them. */
		ASSERT_GE(n, 10, "frames");
		frames_free(fr, n);
		free(scripts);
	}
	xel_free(root);
	free(doc);

	/* The same with a narrow graph, so labels get cut everywhere. */
	o.width = 400;
	root = render(in, 4, &o, &doc);
	xel_free(root);
	free(doc);
}

/* A function has one color wherever it appears, in any graph, and every
 * color is warm: red high, blue low, green in between. */
TEST(unit_flamegraph_svg_colors, 0)
{
	const struct fg_stack one[] = {
		STACK(500, "main", "parse", "malloc"), STACK(300, "main", "load", "malloc"),
		STACK(200, "main", "alpha"), STACK(100, "main", "beta"), STACK(100, "main", "gamma"),
	};
	const struct fg_stack two[] = {
		STACK(7, "other_root", "malloc"), STACK(9, "other_root", "parse"),
	};
	struct frame *f1 = NULL, *f2 = NULL, *a, *b;
	struct xel *r1, *r2;
	char *d1, *d2;
	int n1 = 0, n2 = 0, k, distinct = 0, pairs = 0;

	r1 = render(one, 5, NULL, &d1);
	r2 = render(two, 2, NULL, &d2);
	if (!r1 || !r2)
		goto out;
	n1 = frames_of(r1, &f1);
	n2 = frames_of(r2, &f2);
	for (k = 0; k < n1; k++) {
		struct frame *f = &f1[k];

		if (!strcmp(f->name, "all"))
			continue;
		ASSERT_TRUE(f->r >= 200 && f->r > f->g && f->g > f->b && f->b <= 100, "warm");
		for (int j = 0; j < k; j++) {
			if (!strcmp(f1[j].name, f->name) || !strcmp(f1[j].name, "all"))
				continue;
			pairs++;
			distinct += f1[j].r != f->r || f1[j].g != f->g || f1[j].b != f->b;
		}
	}
	ASSERT_EQ(pairs, 27, "pairs of frames with different names");
	ASSERT_EQ(distinct, pairs, "different names, different colors");
	/* malloc twice in graph one, once in graph two */
	a = NULL;
	for (k = 0; k < n1; k++) {
		if (strcmp(f1[k].name, "malloc"))
			continue;
		if (a)
			ASSERT_TRUE(a->r == f1[k].r && a->g == f1[k].g && a->b == f1[k].b,
				    "same name, same color, same graph");
		a = &f1[k];
	}
	b = by_name(f2, n2, "malloc");
	if (ASSERT_TRUE(a && b, "malloc drawn"))
		ASSERT_TRUE(a->r == b->r && a->g == b->g && a->b == b->b,
			    "same name, same color, other graph");
	a = by_name(f1, n1, "parse");
	b = by_name(f2, n2, "parse");
	if (ASSERT_TRUE(a && b, "parse drawn"))
		ASSERT_TRUE(a->r == b->r && a->g == b->g && a->b == b->b, "parse too");
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
	const struct fg_stack in[] = {
		STACK(1000, "short"), STACK(60, lng), STACK(60, wide), STACK(3, "tiny"),
	};
	struct frame *fr = NULL, *s, *l, *w, *t;
	struct xel *root;
	char *doc;
	int n;

	root = render(in, 4, NULL, &doc);
	if (!root)
		goto out;
	n = frames_of(root, &fr);
	s = by_name(fr, n, "short");
	l = by_name(fr, n, lng);
	w = by_name(fr, n, wide);
	t = by_name(fr, n, "tiny");
	if (!ASSERT_TRUE(s && l && w && t, "frames drawn"))
		goto free;
	ASSERT_STREQ(s->label, "short 1000 B", "whole name and value");
	ASSERT_GT(strlen(l->label), 3, "long name partly shown");
	ASSERT_TRUE(strlen(l->label) < strlen(lng), "long name cut");
	ASSERT_STREQ(l->label + strlen(l->label) - 2, "..", "cut marked with ..");
	ASSERT_TRUE(!strncmp(l->label, lng, strlen(l->label) - 2), "cut keeps the start");
	/* Roughly 6.7 px a character: the label must fit its box. */
	ASSERT_FLE(strlen(l->label) * 6.7 + 6, l->w, "label fits");
	ASSERT_STREQ(w->label + strlen(w->label) - 2, "..", "multibyte name cut");
	ASSERT_EQ((strlen(w->label) - 2) % 2, 0, "cut between characters");
	ASSERT_STREQ(t->label, "", "no label in a tiny box");
free:
	frames_free(fr, n);
out:
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

TEST(unit_flamegraph_svg_deep, 0)
{
	enum { DEPTH = 200 };
	static char names[DEPTH][16], other[DEPTH][16];
	const char *a[DEPTH], *b[DEPTH];
	struct fg_stack in[2];
	struct frame *fr = NULL;
	struct xel *root;
	char *doc;
	int n, k;

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
		struct frame *f = by_name(fr, n, names[k]), *g;

		if (!ASSERT_TRUE(f, "frame drawn"))
			break;
		if (k < 50) {
			ASSERT_NEAR0(f->w - 1180, 0.01, "shared frame full width");
		} else {
			ASSERT_NEAR0(f->w - 885, 0.01, "3/4 of the width");
			if (k < 120 && (g = by_name(fr, n, other[k])))
				ASSERT_NEAR0(f->y - g->y, 0.001, "same depth, same level");
		}
		if (k)
			ASSERT_NEAR0(by_name(fr, n, names[k - 1])->y - f->y - 17, 0.001,
				  "one level per frame");
	}
	ASSERT_GE(attr_num(root, "height"), (DEPTH + 1) * 17, "tall enough");
	frames_free(fr, n);
out:
	xel_free(root);
	free(doc);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* How many stacks repeat an earlier one (they are merged). */
static int dups(const struct fg_stack *s, int n)
{
	char *out;
	int err, lines = 0;

	out = folded(s, n, &err);
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	free(out);
	return n - lines;
}

/* Callees too narrow to draw: merged into one grey box when together they
 * are wide enough, left out otherwise, and counted in the note. */
TEST(unit_flamegraph_svg_narrow_frames, 0)
{
	enum { NTINY = 300 };
	static char tiny[NTINY][16];
	static const char *tiny_fr[NTINY][2];
	struct fg_stack in[NTINY + 2] = {
		STACK(1000000, "big"), STACK(1, "big", "lost"),
	};
	struct frame *fr = NULL, *big, *m = NULL;
	struct xel *root;
	char *doc;
	int n, k, merged = 0;

	for (k = 0; k < NTINY; k++) {
		snprintf(tiny[k], sizeof(tiny[k]), "tiny%03d", k);
		tiny_fr[k][0] = tiny[k];
		tiny_fr[k][1] = "leaf";
		in[k + 2] = (struct fg_stack){ tiny_fr[k], 2, 10 };
	}
	root = render(in, NTINY + 2, NULL, &doc);
	if (!root)
		goto out;
	n = frames_of(root, &fr);
	for (k = 0; k < n; k++)
		if (fr[k].merged)
			merged++, m = &fr[k];
	ASSERT_EQ(n, 3, "all, big and one merged box");
	ASSERT_EQ(merged, 1, "one merged box");
	big = by_name(fr, n, "big");
	if (!ASSERT_TRUE(big && m, "drawn"))
		goto free;
	ASSERT_STREQ(m->name, "300 smaller callees of all", "merged box names its caller");
	ASSERT_CONTAINS(m->tip, "3,000 bytes", "merged value");
	ASSERT_NEAR0(m->x - (big->x + big->w), 0.02, "merged box after the drawn siblings");
	ASSERT_NEAR0(m->w - 3000.0 / 1003001 * 1180, 0.01, "merged box width");
	ASSERT_NEAR0(m->y - big->y, 0.001, "on the callees' level");
	ASSERT_CONTAINS(doc, ">601 of 603 frames are narrower than 1 px", "note: how many");
	ASSERT_CONTAINS(doc, ">600 are shown merged in 1 grey &quot;+N&quot; box (2.93 KiB, 0.30%); "
			"1 is left out (1 B, &lt;0.01%).<", "note: merged and left out");
free:
	frames_free(fr, n);
out:
	xel_free(root);
	free(doc);
}

/* 10k stacks: the picture stays consistent (every frame sits on its
 * caller, within the graph, at least the minimum width) and the note
 * accounts for every frame not drawn. */
TEST(unit_flamegraph_svg_many, 0)
{
	enum { N = 10000, NFUNCS = 300, MAXD = 30 };
	static char funcs[NFUNCS][24];
	static const char *fr_[N][MAXD];
	static struct fg_stack in[N];
	char *doc = NULL, *fold, *line, *save = NULL, **prefixes = NULL;
	size_t np = 0, distinct = 0;
	unsigned seed = 99;
	uint64_t total = 0;
	struct frame *fr = NULL;
	struct xel *root;
	double *kids_w = NULL;
	clock_t t0;
	int n, k, err, drawn = 0, note_hidden = -1, note_all = -1;

	for (k = 0; k < NFUNCS; k++)
		snprintf(funcs[k], sizeof(funcs[k]), "func_%03d", k);
	for (int i = 0; i < N; i++) {
		int d = 5 + rand_r(&seed) % (MAXD - 5);

		/* A few callers near the root, many names further up. */
		for (k = 0; k < d; k++)
			fr_[i][k] = funcs[rand_r(&seed) % (k < 3 ? 4 : NFUNCS)];
		/* A heavy stack in 50 makes a picture with thousands of
		 * frames drawn, the rest a long tail that is not. */
		in[i] = (struct fg_stack){ fr_[i], d, i % 50 ? 1 + rand_r(&seed) % 100000 :
					   10000000 + rand_r(&seed) % 1000000 };
		total += in[i].value;
	}

	t0 = clock();
	root = render(in, N, NULL, &doc);
	test_log("10k stacks rendered and parsed in %.2f s",
		 (double)(clock() - t0) / CLOCKS_PER_SEC);
	if (!root)
		goto out;
	n = frames_of(root, &fr);
	kids_w = calloc(n, sizeof(*kids_w));
	for (k = 0; k < n; k++) {
		struct frame *f = &fr[k];
		bool parent = !strcmp(f->name, "all");

		drawn += !f->merged;
		ASSERT_FLE(10, f->x, "inside the graph");
		ASSERT_FLE(f->x + f->w, 1190.01, "inside the graph");
		if (!ASSERT_FLE(1.0, f->w, "at least the minimum width"))
			break;
		for (int j = 0; j < n && !parent; j++) {
			parent = fabs_(fr[j].y - f->y - 17) < 0.001 && !fr[j].merged &&
				 fr[j].x <= f->x + 0.02 && fr[j].x + fr[j].w >= f->x + f->w - 0.02;
			if (parent)
				kids_w[j] += f->w;
		}
		if (!ASSERT_TRUE(parent, "every frame sits on its caller")) {
			test_log("%s at x=%.2f w=%.2f y=%.2f", f->name, f->x, f->w, f->y);
			break;
		}
	}

	/* Distinct tree nodes = distinct stack prefixes, counted from the
	 * folded output, plus the root. */
	fold = folded(in, N, &err);
	for (line = strtok_r(fold, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		*strrchr(line, ' ') = 0;
		for (char *p = line;; p++) {
			if (*p == ';' || !*p) {
				prefixes = realloc(prefixes, (np + 1) * sizeof(*prefixes));
				prefixes[np++] = strndup(line, p - line);
			}
			if (!*p)
				break;
		}
	}
	qsort(prefixes, np, sizeof(*prefixes), str_cmp);
	for (size_t i = 0; i < np; i++)
		distinct += !i || strcmp(prefixes[i], prefixes[i - 1]);
	for (size_t i = 0; i < np; i++)
		free(prefixes[i]);
	free(prefixes);
	free(fold);

	{
		const char *note = strstr(doc, "class=\"note\"");

		if (ASSERT_TRUE(note, "note about frames not drawn"))
			sscanf(strchr(note, '>') + 1, "%d of %d", &note_hidden, &note_all);
	}
	test_log("%d frames drawn", drawn);
	ASSERT_GT(drawn, 1000, "a big picture");
	for (k = 0; k < n; k++)
		if (!ASSERT_FLE(kids_w[k], fr[k].w + 0.05, "callees fit in their caller"))
			break;
	ASSERT_EQ(note_all, (long long)distinct + 1, "note counts every frame");
	ASSERT_EQ(note_hidden, note_all - drawn, "note counts what is not drawn");
	{
		char want[64], digits[32];
		int nd = snprintf(digits, sizeof(digits), "%" PRIu64, total), o = 0;

		for (int i = 0; i < nd; i++) {
			if (i && (nd - i) % 3 == 0)
				want[o++] = ',';
			want[o++] = digits[i];
		}
		snprintf(want + o, sizeof(want) - o, " bytes) in %d stacks", N - dups(in, N));
		ASSERT_CONTAINS(doc, want, "total");
	}
	frames_free(fr, n);
out:
	free(kids_w);
	xel_free(root);
	free(doc);
}

/* A leak-tool-like profile written to /tmp/flame-sample.svg, to look at
 * (rsvg-convert /tmp/flame-sample.svg -o /tmp/flame-sample.png). */
TEST(unit_flamegraph_svg_sample, 0)
{
#define LIBC "_start", "__libc_start_main", "main"
#define REQ LIBC, "server_loop", "handle_request"
	const struct fg_stack base[] = {
		STACK(3355443, REQ, "parse_json", "json_parse_object", "json_parse_value",
		      "json_new_string", "strdup", "malloc"),
		STACK(1048576, REQ, "parse_json", "json_parse_object", "json_parse_array",
		      "json_array_grow", "realloc"),
		STACK(2202009, REQ, "cache_insert",
		      "std::unordered_map<std::string, Entry>::operator[](std::string const&)",
		      "operator new(unsigned long)", "malloc"),
		STACK(1572864, REQ, "session_create", "calloc"),
		STACK(524288, REQ, "session_create", "tls_context_new", "CRYPTO_zalloc", "malloc"),
		STACK(122880, LIBC, "load_config", "yaml_parse_file", "yaml_node_alloc", "malloc"),
		STACK(472, LIBC, "init_logging", "fopen", "malloc"),
		STACK(4194304, "start_thread", "worker_main", "process_batch", "compress_block",
		      "ZSTD_createCCtx", "ZSTD_customMalloc", "malloc"),
		STACK(786432, "start_thread", "worker_main", "process_batch", "decode_frame",
		      "av_malloc", "posix_memalign"),
		STACK(65536, "[unknown]", "malloc"),
	};
	enum { NSMALL = 60 };
	static char small_names[NSMALL][32];
	static const char *small_fr[NSMALL][8];
	struct fg_stack in[sizeof(base) / sizeof(base[0]) + NSMALL];
	size_t n = 0, k;
	struct fg_svg_opts o = {
		.title = "Outstanding memory: ./app (pid 1234)",
		.subtitle = "memscope leak, 2026-11-23 10:00:01, 70 stacks, allocations older than 5 s",
		.unit = "bytes",
	};
	struct xel *root;
	char *doc;
	FILE *f;

	for (k = 0; k < sizeof(base) / sizeof(base[0]); k++)
		in[n++] = base[k];
	/* Many small allocation sites under one caller: they end up merged. */
	for (k = 0; k < NSMALL; k++) {
		const char *fr[] = { REQ, "log_request", small_names[k], "malloc" };

		snprintf(small_names[k], sizeof(small_names[k]), "format_field_%02zu", k);
		memcpy(small_fr[k], fr, sizeof(fr));
		in[n++] = (struct fg_stack){ small_fr[k], 8, 2048 + 512 * (k % 5) };
	}
	root = render(in, n, &o, &doc);
	if (root) {
		f = fopen("/tmp/flame-sample.svg", "w");
		if (f) {
			fputs(doc, f);
			fclose(f);
		} else {
			test_log("cannot write /tmp/flame-sample.svg: %s", strerror(errno));
		}
		ASSERT_CONTAINS(doc, "smaller callee", "small sites merged");
	}
	xel_free(root);
	free(doc);
#undef REQ
#undef LIBC
}
