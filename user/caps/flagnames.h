/* SPDX-License-Identifier: GPL-2.0 */
/* Names of a tracepoint field's flags as this kernel prints them: the
 * table of __print_flags() in the event's tracefs format ("print fmt"),
 * its masks given as C constant expressions that the kernel's version of
 * the flags produced (gfp flags changed bits across 6.1..6.18). Decoding
 * follows the kernel's own: the entries in order, each whose mask is all
 * set in what is left is printed and taken out; what remains is printed
 * in hex. So "GFP_KERNEL|__GFP_NOWARN" is what the trace would show. */
#ifndef MEMSCOPE_CAPS_FLAGNAMES_H
#define MEMSCOPE_CAPS_FLAGNAMES_H

#include <stddef.h>
#include <stdint.h>

struct flag_name {
	uint64_t mask;
	char *name;
};

struct flag_names {
	struct flag_name *v;
	size_t n;
};

/* The table that fn ("__print_flags", or "__print_symbolic": values, not
 * masks) uses for field (e.g. "gfp_flags") in a format file's text; 0, or
 * -ENOENT when the text prints no such table, -ENOMEM. */
int flag_names_parse(const char *format, const char *fn, const char *field,
		     struct flag_names *t);
/* The same from tracefs: events/<category>/<event>/format. */
int flag_names_load(const char *category, const char *event, const char *fn,
		    const char *field, struct flag_names *t);
/* Evaluate a C constant expression of unsigned integers with casts,
 * parentheses, ~, <<, >>, & and | (what the format files hold); 0 or
 * -EINVAL. */
int flag_expr_eval(const char *s, size_t len, uint64_t *out);
/* v by the table into buf: "A|B|0x10"; "none" for 0 (as the gfp formats
 * say); hex alone without a table. Returns buf. */
const char *flag_names_format(const struct flag_names *t, uint64_t v, char *buf, size_t len);
/* A __print_symbolic table's name for v, NULL if none. */
const char *flag_names_symbol(const struct flag_names *t, uint64_t v);
void flag_names_free(struct flag_names *t);

#endif
