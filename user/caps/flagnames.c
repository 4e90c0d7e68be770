// SPDX-License-Identifier: GPL-2.0
/* Flag names from a tracepoint's print format (see flagnames.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps/flagnames.h"
#include "caps/tracepoints.h"
#include "core/procfs.h"

/* ---- the expression ----------------------------------------------------- */

struct lexer {
	const char *p, *end;
	bool bad;
};

static void skip_space(struct lexer *l)
{
	while (l->p < l->end && isspace((unsigned char)*l->p))
		l->p++;
}

static bool accept(struct lexer *l, const char *tok)
{
	size_t n = strlen(tok);

	skip_space(l);
	if ((size_t)(l->end - l->p) >= n && !memcmp(l->p, tok, n)) {
		l->p += n;
		return true;
	}
	return false;
}

static uint64_t or_expr(struct lexer *l);

/* "(" already taken: a cast "( unsigned long)" / "(gfp_t)" is a list of
 * identifiers then ")". */
static bool cast_follows(const struct lexer *l)
{
	const char *q = l->p;
	bool word = false;

	while (q < l->end && *q == ' ')
		q++;
	if (q >= l->end || !(isalpha((unsigned char)*q) || *q == '_'))
		return false;
	while (q < l->end && (isalnum((unsigned char)*q) || *q == '_' || *q == ' ' || *q == '*')) {
		word = word || isalpha((unsigned char)*q) || *q == '_';
		q++;
	}
	return word && q < l->end && *q == ')';
}

static uint64_t unary(struct lexer *l)
{
	uint64_t v;
	char *e;

	skip_space(l);
	if (l->bad || l->p >= l->end) {
		l->bad = true;
		return 0;
	}
	if (accept(l, "~"))
		return ~unary(l);
	if (accept(l, "(")) {
		if (cast_follows(l)) {
			l->p = memchr(l->p, ')', l->end - l->p) + 1;
			return unary(l);
		}
		v = or_expr(l);
		if (!accept(l, ")"))
			l->bad = true;
		return v;
	}
	if (!isdigit((unsigned char)*l->p)) {
		l->bad = true;
		return 0;
	}
	errno = 0;
	v = strtoull(l->p, &e, 0);
	if (errno || e > l->end) {
		l->bad = true;
		return 0;
	}
	l->p = e;
	while (l->p < l->end && strchr("uUlL", *l->p))
		l->p++;
	return v;
}

static uint64_t shift_expr(struct lexer *l)
{
	uint64_t v = unary(l), n;

	for (;;) {
		if (accept(l, "<<")) {
			n = unary(l);
			v = n < 64 ? v << n : 0;
		} else if (accept(l, ">>")) {
			n = unary(l);
			v = n < 64 ? v >> n : 0;
		} else {
			return v;
		}
	}
}

static uint64_t and_expr(struct lexer *l)
{
	uint64_t v = shift_expr(l);

	while (!l->bad) {
		skip_space(l);
		/* "&" but not "&&" */
		if (l->p + 1 < l->end && l->p[0] == '&' && l->p[1] == '&')
			break;
		if (!accept(l, "&"))
			break;
		v &= shift_expr(l);
	}
	return v;
}

static uint64_t or_expr(struct lexer *l)
{
	uint64_t v = and_expr(l);

	while (!l->bad) {
		skip_space(l);
		if (l->p + 1 < l->end && l->p[0] == '|' && l->p[1] == '|')
			break;
		if (!accept(l, "|"))
			break;
		v |= and_expr(l);
	}
	return v;
}

int flag_expr_eval(const char *s, size_t len, uint64_t *out)
{
	struct lexer l = { s, s + len, false };
	uint64_t v = or_expr(&l);

	skip_space(&l);
	if (l.bad || l.p != l.end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* ---- the table ---------------------------------------------------------- */

/* The end of a balanced expression starting at p: the first top-level
 * ',' (or NULL). */
static const char *expr_end(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == ',' && !depth)
			return p;
		if (depth < 0)
			return NULL;
	}
	return NULL;
}

int flag_names_parse(const char *format, const char *fn, const char *field,
		     struct flag_names *t)
{
	char needle[96];
	const char *p;
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	snprintf(needle, sizeof(needle), "%s(REC->%s,", fn, field);
	p = strstr(format, needle);
	if (!p)
		return -ENOENT;
	p += strlen(needle);
	/* __print_flags: the separator string; then {mask, "name"} entries. */
	while (*p == ' ')
		p++;
	if (*p == '"')
		p = strchr(p + 1, '"');
	while (p && (p = strchr(p, '{')) && !strncmp(p, "{", 1)) {
		const char *e = expr_end(p + 1), *q, *r;
		uint64_t mask;

		if (!e)
			break;
		q = strchr(e, '"');
		r = q ? strchr(q + 1, '"') : NULL;
		if (!r)
			break;
		if (!flag_expr_eval(p + 1, e - p - 1, &mask)) {
			if (t->n == cap) {
				size_t nc = cap ? 2 * cap : 32;
				struct flag_name *v = realloc(t->v, nc * sizeof(*v));

				if (!v)
					goto nomem;
				t->v = v;
				cap = nc;
			}
			t->v[t->n].mask = mask;
			t->v[t->n].name = strndup(q + 1, r - q - 1);
			if (!t->v[t->n].name)
				goto nomem;
			t->n++;
		}
		p = r + 1;
		/* The table ends at the "})" after its last entry. */
		while (*p == '}' || *p == ' ')
			p++;
		if (*p != ',')
			break;
	}
	return t->n ? 0 : -ENOENT;
nomem:
	flag_names_free(t);
	return -ENOMEM;
}

int flag_names_load(const char *category, const char *event, const char *fn,
		    const char *field, struct flag_names *t)
{
	char tracefs[256], path[512];
	static char buf[64 * 1024];
	ssize_t n;

	memset(t, 0, sizeof(*t));
	tracefs_find(tracefs, sizeof(tracefs), false, NULL);
	if (!tracefs[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs, category, event);
	n = read_file_str(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return flag_names_parse(buf, fn, field, t);
}

const char *flag_names_format(const struct flag_names *t, uint64_t v, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	if (!v) {
		snprintf(buf, len, "none");
		return buf;
	}
	/* As trace_print_flags_seq() does (a zero mask, a flag configured
	 * out, matches whatever is left). */
	for (size_t i = 0; t && i < t->n && v; i++) {
		if ((v & t->v[i].mask) != t->v[i].mask)
			continue;
		at += snprintf(buf + at, at < len ? len - at : 0, "%s%s", at ? "|" : "",
			       t->v[i].name);
		v &= ~t->v[i].mask;
	}
	if (v)
		snprintf(buf + at, at < len ? len - at : 0, "%s0x%llx", at ? "|" : "",
			 (unsigned long long)v);
	return buf;
}

const char *flag_names_symbol(const struct flag_names *t, uint64_t v)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (t->v[i].mask == v)
			return t->v[i].name;
	return NULL;
}

void flag_names_free(struct flag_names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
