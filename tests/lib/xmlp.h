/* SPDX-License-Identifier: GPL-2.0 */
/* A strict XML reader for tests, as jsonp.h is for JSON: parsing an SVG the
 * tools write also checks that it is well-formed.
 *
 * Checks the document as XML 1.0 requires, for the subset our writers use:
 * valid UTF-8 of XML characters only (no control bytes but tab, LF, CR), an
 * optional XML declaration, one root element, balanced and properly nested
 * tags, quoted and unique attributes, no raw '<' or '&' outside markup, only
 * the five predefined entities. Everything else (comments, CDATA, character
 * references, DOCTYPE) is refused: the writers emit none. Builds a small
 * tree with entities decoded. */
#ifndef MEMSCOPE_TEST_XMLP_H
#define MEMSCOPE_TEST_XMLP_H

#include <stdbool.h>
#include <stddef.h>

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
};

/* Parse a whole document of n bytes; NULL and err filled in when it is
 * not XML. */
struct xel *xml_parse(const char *s, size_t n, char *err, size_t errlen);
void xel_free(struct xel *e);

const char *xml_attr(const struct xel *e, const char *name);	/* NULL if absent */
double xml_attr_num(const struct xel *e, const char *name);	/* -1 if absent */
struct xel *xml_kid(const struct xel *e, const char *name);	/* first child so named */
/* Append every element named name below e (e included), in document order. */
void xml_find_all(struct xel *e, const char *name, struct xel ***out, int *n);

#endif
