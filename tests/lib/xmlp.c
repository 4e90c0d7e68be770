// SPDX-License-Identifier: GPL-2.0
/* The strict XML reader (see xmlp.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmlp.h"

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

/* Whole-document UTF-8 and character check, independent of the writer's
 * own decoder. */
static bool check_chars(struct xp *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	uint32_t c, min;
	size_t len, k;

	for (p->i = 0; p->i < p->n; p->i += len) {
		unsigned char b = s[p->i];

		if (b < 0x80)
			len = 1, c = b, min = 0;
		else if ((b & 0xe0) == 0xc0)
			len = 2, c = b & 0x1f, min = 0x80;
		else if ((b & 0xf0) == 0xe0)
			len = 3, c = b & 0x0f, min = 0x800;
		else if ((b & 0xf8) == 0xf0)
			len = 4, c = b & 0x07, min = 0x10000;
		else
			return xp_fail(p, "invalid UTF-8");
		if (p->i + len > p->n)
			return xp_fail(p, "invalid UTF-8");
		for (k = 1; k < len; k++) {
			if ((s[p->i + k] & 0xc0) != 0x80)
				return xp_fail(p, "invalid UTF-8");
			c = (c << 6) | (s[p->i + k] & 0x3f);
		}
		if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return xp_fail(p, "invalid UTF-8");
		if (!(c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xfffd) || c >= 0x10000))
			return xp_fail(p, "not an XML character");
	}
	p->i = 0;
	return true;
}

static bool starts(struct xp *p, const char *lit)
{
	return !strncmp(p->s + p->i, lit, strlen(lit));
}

static size_t skip_space(struct xp *p)
{
	size_t from = p->i;

	while (p->i < p->n && strchr(" \t\n\r", p->s[p->i]) && p->s[p->i])
		p->i++;
	return p->i - from;
}

static char *name(struct xp *p)
{
	size_t from = p->i;

	if (p->i >= p->n || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:",
				     p->s[p->i]) || !p->s[p->i]) {
		xp_fail(p, "bad name");
		return NULL;
	}
	while (p->i < p->n && p->s[p->i] &&
	       strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:-.", p->s[p->i]))
		p->i++;
	return strndup(p->s + from, p->i - from);
}

static void put_bytes(char **buf, size_t *len, const char *s, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
}

/* One of the five entities at '&'. */
static bool reference(struct xp *p, char **buf, size_t *len)
{
	static const char *const ents[] = { "&lt;<", "&gt;>", "&amp;&", "&quot;\"", "&apos;'" };

	for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
		size_t el = strlen(ents[k]) - 1;

		if (!strncmp(p->s + p->i, ents[k], el)) {
			put_bytes(buf, len, ents[k] + el, 1);
			p->i += el;
			return true;
		}
	}
	return xp_fail(p, "raw '&' or an entity we do not write");
}

void xel_free(struct xel *e)
{
	if (!e)
		return;
	for (int k = 0; k < e->nkids; k++)
		xel_free(e->kids[k]);
	for (int k = 0; k < e->nattrs; k++) {
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
		size_t sp = skip_space(p), vlen = 0;
		struct xattr *a;
		char q, *an;

		if (p->i >= p->n)
			return xp_fail(p, "unterminated start tag");
		if (p->s[p->i] == '>' || starts(p, "/>"))
			return true;
		if (!sp)
			return xp_fail(p, "no space before attribute");
		an = name(p);
		if (!an)
			return false;
		for (int k = 0; k < e->nattrs; k++)
			if (!strcmp(e->attrs[k].name, an)) {
				free(an);
				return xp_fail(p, "duplicate attribute");
			}
		e->attrs = realloc(e->attrs, (e->nattrs + 1) * sizeof(*e->attrs));
		a = &e->attrs[e->nattrs++];
		*a = (struct xattr){ an, NULL };
		put_bytes(&a->value, &vlen, "", 0);
		skip_space(p);
		if (p->i >= p->n || p->s[p->i] != '=')
			return xp_fail(p, "attribute without '='");
		p->i++;
		skip_space(p);
		q = p->i < p->n ? p->s[p->i] : 0;
		if (q != '"' && q != '\'')
			return xp_fail(p, "unquoted attribute value");
		for (p->i++; p->i < p->n && p->s[p->i] != q;) {
			if (p->s[p->i] == '<')
				return xp_fail(p, "'<' in attribute value");
			if (p->s[p->i] != '&')
				put_bytes(&a->value, &vlen, p->s + p->i++, 1);
			else if (!reference(p, &a->value, &vlen))
				return false;
		}
		if (p->i++ >= p->n)
			return xp_fail(p, "unterminated attribute value");
	}
}

static struct xel *element(struct xp *p, int depth)
{
	struct xel *e = calloc(1, sizeof(*e));

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
	for (p->i++; p->i < p->n;) {
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
		if (starts(p, "<!") || starts(p, "<?")) {
			xp_fail(p, "comment, CDATA or PI in content");
			goto fail;
		}
		if (p->s[p->i] == '<') {
			struct xel *k = element(p, depth + 1);

			if (!k)
				goto fail;
			e->kids = realloc(e->kids, (e->nkids + 1) * sizeof(*e->kids));
			e->kids[e->nkids++] = k;
		} else if (p->s[p->i] == '&') {
			if (!reference(p, &e->text, &e->textlen))
				goto fail;
		} else if (starts(p, "]]>")) {
			xp_fail(p, "']]>' in text");
			goto fail;
		} else {
			put_bytes(&e->text, &e->textlen, p->s + p->i++, 1);
		}
	}
	xp_fail(p, "unclosed element");
fail:
	xel_free(e);
	return NULL;
}

/* Parse a whole document; NULL and err filled in when it is not XML. */
struct xel *xml_parse(const char *s, size_t n, char *err, size_t errlen)
{
	struct xp p = { .s = s, .n = n };
	struct xel *root = NULL;
	const char *end;

	if (memchr(s, 0, n)) {
		snprintf(err, errlen, "NUL byte in document");
		return NULL;
	}
	if (!check_chars(&p))
		goto out;
	if (starts(&p, "<?xml ")) {
		end = strstr(s, "?>");
		if (!end) {
			xp_fail(&p, "unterminated XML declaration");
			goto out;
		}
		p.i = end + 2 - s;
	}
	skip_space(&p);
	root = element(&p, 0);
	skip_space(&p);
	if (root && p.i < p.n) {
		xp_fail(&p, "content after the root element");
		xel_free(root);
		root = NULL;
	}
out:
	snprintf(err, errlen, "%s", p.err);
	return root;
}

const char *xml_attr(const struct xel *e, const char *an)
{
	for (int k = 0; k < e->nattrs; k++)
		if (!strcmp(e->attrs[k].name, an))
			return e->attrs[k].value;
	return NULL;
}

double xml_attr_num(const struct xel *e, const char *an)
{
	const char *v = xml_attr(e, an);

	return v ? strtod(v, NULL) : -1;
}

struct xel *xml_kid(const struct xel *e, const char *kname)
{
	for (int k = 0; k < e->nkids; k++)
		if (!strcmp(e->kids[k]->name, kname))
			return e->kids[k];
	return NULL;
}

/* Every element named ename below e, in document order. */
void xml_find_all(struct xel *e, const char *ename, struct xel ***out, int *n)
{
	if (!strcmp(e->name, ename)) {
		*out = realloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = e;
	}
	for (int k = 0; k < e->nkids; k++)
		xml_find_all(e->kids[k], ename, out, n);
}
