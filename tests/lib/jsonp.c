// SPDX-License-Identifier: GPL-2.0
/* Strict recursive-descent JSON parser for the tests (see jsonp.h). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonp.h"

#define MAX_DEPTH 64

struct p {
	const char *s, *end;
	const char *err;
	int depth;
};

static void ws(struct p *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static struct jv *fail(struct p *p, const char *why)
{
	if (!p->err)
		p->err = why;
	return NULL;
}

static struct jv *new(enum jtype t)
{
	struct jv *v = calloc(1, sizeof(*v));

	if (v)
		v->t = t;
	return v;
}

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | (cp >> 6);
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | (cp >> 12);
		o[1] = 0x80 | ((cp >> 6) & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | (cp >> 18);
	o[1] = 0x80 | ((cp >> 12) & 0x3f);
	o[2] = 0x80 | ((cp >> 6) & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* Validate one raw UTF-8 sequence; returns its length or 0. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static char *parse_string_raw(struct p *p, size_t *outlen)
{
	/* Decoded output is never longer than the input. */
	const char *start = ++p->s;
	char *out = malloc(p->end - start + 1), *o = out;

	if (!out)
		return NULL;
	while (p->s < p->end && *p->s != '"') {
		unsigned char c = *p->s;

		if (c < 0x20) {
			fail(p, "control byte in string");
			goto bad;
		}
		if (c == '\\') {
			uint32_t cp, lo;

			if (++p->s >= p->end)
				goto trunc;
			switch (*p->s) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '/': *o++ = '/'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u':
				if (p->end - p->s < 5 || hex4(p->s + 1, &cp)) {
					fail(p, "bad \\u escape");
					goto bad;
				}
				p->s += 4;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (p->end - p->s < 7 || p->s[1] != '\\' || p->s[2] != 'u' ||
					    hex4(p->s + 3, &lo) || lo < 0xdc00 || lo > 0xdfff) {
						fail(p, "unpaired surrogate");
						goto bad;
					}
					p->s += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					fail(p, "unpaired surrogate");
					goto bad;
				}
				o += put_utf8(o, cp);
				break;
			default:
				fail(p, "bad escape");
				goto bad;
			}
			p->s++;
		} else if (c < 0x80) {
			*o++ = c;
			p->s++;
		} else {
			size_t l = utf8_ok((const unsigned char *)p->s, p->end - p->s);

			if (!l) {
				fail(p, "invalid UTF-8 in string");
				goto bad;
			}
			memcpy(o, p->s, l);
			o += l;
			p->s += l;
		}
	}
	if (p->s >= p->end)
		goto trunc;
	p->s++;
	*o = 0;
	*outlen = o - out;
	return out;
trunc:
	fail(p, "unterminated string");
bad:
	free(out);
	return NULL;
}

static struct jv *parse_value(struct p *p);

static bool push(struct jv *v, struct jv *item, char *key)
{
	struct jv **items = realloc(v->items, (v->len + 1) * sizeof(*items));

	if (!items)
		return false;
	v->items = items;
	if (v->t == J_OBJ) {
		char **keys = realloc(v->keys, (v->len + 1) * sizeof(*keys));

		if (!keys)
			return false;
		v->keys = keys;
		v->keys[v->len] = key;
	}
	v->items[v->len++] = item;
	return true;
}

static struct jv *parse_container(struct p *p, enum jtype t)
{
	char close = t == J_OBJ ? '}' : ']';
	struct jv *v = new(t);

	if (!v)
		return fail(p, "out of memory");
	if (++p->depth > MAX_DEPTH) {
		jv_free(v);
		return fail(p, "nested too deep");
	}
	p->s++;
	ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		p->depth--;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct jv *item;
		size_t kl;

		ws(p);
		if (t == J_OBJ) {
			if (p->s >= p->end || *p->s != '"')
				goto bad_key;
			key = parse_string_raw(p, &kl);
			if (!key)
				goto bad;
			ws(p);
			if (p->s >= p->end || *p->s != ':') {
				free(key);
				fail(p, "expected ':'");
				goto bad;
			}
			p->s++;
		}
		item = parse_value(p);
		if (!item || !push(v, item, key)) {
			free(key);
			jv_free(item);
			goto bad;
		}
		ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->end && *p->s == close) {
			p->s++;
			p->depth--;
			return v;
		}
		fail(p, t == J_OBJ ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
bad_key:
	fail(p, "expected a string key");
bad:
	jv_free(v);
	return NULL;
}

static struct jv *parse_number(struct p *p)
{
	const char *s = p->s;
	char buf[64];
	struct jv *v;

	if (s < p->end && *s == '-')
		s++;
	if (s >= p->end)
		return fail(p, "bad number");
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	else
		return fail(p, "bad number");
	if (s < p->end && *s == '.') {
		s++;
		if (s >= p->end || *s < '0' || *s > '9')
			return fail(p, "bad number");
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < p->end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < p->end && (*s == '+' || *s == '-'))
			s++;
		if (s >= p->end || *s < '0' || *s > '9')
			return fail(p, "bad number");
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	if ((size_t)(s - p->s) >= sizeof(buf))
		return fail(p, "number too long");
	memcpy(buf, p->s, s - p->s);
	buf[s - p->s] = 0;
	v = new(J_NUM);
	if (!v)
		return fail(p, "out of memory");
	v->num = strtod(buf, NULL);
	p->s = s;
	return v;
}

static bool lit(struct p *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n))
		return false;
	p->s += n;
	return true;
}

static struct jv *parse_value(struct p *p)
{
	struct jv *v;

	ws(p);
	if (p->s >= p->end)
		return fail(p, "unexpected end");
	switch (*p->s) {
	case '{':
		return parse_container(p, J_OBJ);
	case '[':
		return parse_container(p, J_ARR);
	case '"':
		v = new(J_STR);
		if (!v)
			return fail(p, "out of memory");
		v->s = parse_string_raw(p, &v->len);
		if (!v->s) {
			free(v);
			return NULL;
		}
		return v;
	case 't':
	case 'f':
		v = new(J_BOOL);
		if (v && (lit(p, "true") ? (v->b = true) : lit(p, "false")))
			return v;
		free(v);
		return fail(p, "bad literal");
	case 'n':
		if (lit(p, "null"))
			return new(J_NULL);
		return fail(p, "bad literal");
	default:
		return parse_number(p);
	}
}

struct jv *jv_parse(const char *s, size_t n, const char **err)
{
	struct p p = { s, s + n, NULL, 0 };
	struct jv *v = parse_value(&p);

	if (v) {
		ws(&p);
		if (p.s != p.end) {
			jv_free(v);
			v = NULL;
			fail(&p, "trailing characters");
		}
	}
	if (err)
		*err = p.err;
	return v;
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	for (size_t i = 0; (v->t == J_ARR || v->t == J_OBJ) && i < v->len; i++) {
		jv_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

struct jv *jv_get(const struct jv *o, const char *key)
{
	if (!o || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->len; i++)
		if (!strcmp(o->keys[i], key))
			return o->items[i];
	return NULL;
}

struct jv *jv_at(const struct jv *a, size_t i)
{
	if (!a || a->t != J_ARR || i >= a->len)
		return NULL;
	return a->items[i];
}

const char *jv_str(const struct jv *v) { return v && v->t == J_STR ? v->s : NULL; }
long long jv_int(const struct jv *v) { return v && v->t == J_NUM ? (long long)v->num : 0; }
double jv_num(const struct jv *v) { return v && v->t == J_NUM ? v->num : NAN; }
bool jv_bool(const struct jv *v) { return v && v->t == J_BOOL && v->b; }
bool jv_is(const struct jv *v, enum jtype t) { return v && v->t == t; }
static const char *jv_gets(const struct jv *o, const char *k) { return jv_str(jv_get(o, k)); }

int jlines_parse(const char *text, struct jlines *out, int *bad_line, const char **err)
{
	const char *line = text;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		struct jv *v, **recs;

		lineno++;
		if (n) {
			v = jv_parse(line, n, err);
			if (!v || v->t != J_OBJ) {
				if (v && err)
					*err = "record is not an object";
				jv_free(v);
				if (bad_line)
					*bad_line = lineno;
				return -1;
			}
			recs = realloc(out->recs, (out->n + 1) * sizeof(*recs));
			if (!recs) {
				jv_free(v);
				return -1;
			}
			out->recs = recs;
			out->recs[out->n++] = v;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

void jlines_free(struct jlines *l)
{
	for (int i = 0; i < l->n; i++)
		jv_free(l->recs[i]);
	free(l->recs);
	memset(l, 0, sizeof(*l));
}

struct jv *jlines_find(const struct jlines *l, int *from, const char *type,
		       const char *key, const char *val)
{
	for (int i = from ? *from : 0; i < l->n; i++) {
		const char *t = jv_gets(l->recs[i], "type");

		if (!t || strcmp(t, type))
			continue;
		if (key) {
			const char *v = jv_gets(l->recs[i], key);

			if (!v || strcmp(v, val))
				continue;
		}
		if (from)
			*from = i + 1;
		return l->recs[i];
	}
	return NULL;
}

int jlines_count(const struct jlines *l, const char *type)
{
	int n = 0;

	for (int i = 0; i < l->n; i++) {
		const char *t = jv_gets(l->recs[i], "type");

		n += t && !strcmp(t, type);
	}
	return n;
}
