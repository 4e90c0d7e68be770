/* SPDX-License-Identifier: GPL-2.0 */
/* A strict JSON parser for tests: rejects anything RFC 8259 does (control
 * bytes in strings, invalid UTF-8, trailing garbage), so parsing a tool's
 * -j output also checks that the output is valid. */
#ifndef MEMSCOPE_TEST_JSONP_H
#define MEMSCOPE_TEST_JSONP_H

#include <stdbool.h>
#include <stddef.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	bool b;
	double num;
	char *s;		/* J_STR: decoded, NUL-terminated */
	size_t len;		/* J_STR: bytes; J_ARR/J_OBJ: items */
	struct jv **items;	/* J_ARR/J_OBJ values */
	char **keys;		/* J_OBJ keys */
};

/* Parse one JSON text of n bytes; NULL on error with *err set. */
struct jv *jv_parse(const char *s, size_t n, const char **err);
void jv_free(struct jv *v);

/* Lenient accessors, for the parser and for code that asks whether a member
 * is there: tests read members with the strict getters of jreq.h. */
struct jv *jv_get(const struct jv *obj, const char *key);	/* NULL if absent */
struct jv *jv_at(const struct jv *arr, size_t i);
const char *jv_str(const struct jv *v);		/* NULL unless a string */
long long jv_int(const struct jv *v);			/* 0 unless a number */
double jv_num(const struct jv *v);
bool jv_bool(const struct jv *v);
bool jv_is(const struct jv *v, enum jtype t);

/* JSON Lines: every non-empty line must be a JSON object. */
struct jlines {
	struct jv **recs;
	int n;
};

/* 0, or -1 with *bad_line (1-based) and *err. */
int jlines_parse(const char *text, struct jlines *out, int *bad_line, const char **err);
void jlines_free(struct jlines *l);
/* First record (from index *from, updated past it; NULL: from 0) whose "type"
 * is type and, if key is set, whose string member key equals val. */
struct jv *jlines_find(const struct jlines *l, int *from, const char *type,
		       const char *key, const char *val);
int jlines_count(const struct jlines *l, const char *type);

#endif
