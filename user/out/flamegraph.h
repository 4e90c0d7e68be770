/* SPDX-License-Identifier: GPL-2.0 */
/* Flame graphs of stacks with a value (outstanding bytes for the leak tool):
 * collapsed "folded" text that flamegraph.pl, inferno and speedscope read,
 * and a self-contained SVG rendered here, so a user needs no other tool.
 *
 * Both outputs go through the same frame-name canonicalization, so they
 * describe the same tree: invalid UTF-8, control bytes and characters XML
 * forbids become U+FFFD (tab/newline/CR a space), ';' becomes ':', leading
 * and trailing white space is dropped, and a NULL or empty frame is
 * "[unknown]". Stacks whose canonical frame lists are equal are merged
 * (values added, saturating), stacks with value 0 are left out, and a stack
 * without frames counts as the single frame "[unknown]". */
#ifndef MEMSCOPE_FLAMEGRAPH_H
#define MEMSCOPE_FLAMEGRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fg_stack {
	const char *const *frames;	/* outermost first (root ... leaf) */
	int nframes;
	uint64_t value;			/* e.g. outstanding bytes */
};

/* One line per distinct stack, "root;child;leaf VALUE\n", sorted frame by
 * frame (a caller's line comes before its callees' lines), so equal inputs
 * give byte-identical files. 0, -EINVAL on bad arguments, -ENOMEM, or -EIO
 * if writing to f failed. */
int fg_write_folded(FILE *f, const struct fg_stack *s, size_t n);

struct fg_svg_opts {
	const char *title;	/* "Outstanding memory: ./app (pid 1234)"; NULL: "Flame graph" */
	const char *subtitle;	/* optional, e.g. "memscope leak, 2026-11-23 10:00:01" */
	const char *unit;	/* "bytes" (or "B"): values read 1.50 MiB; anything
				 * else is printed after the number; NULL: "bytes" */
	int width;		/* pixels, 0: 1200; otherwise 400..100000 */
};

/* A self-contained SVG flame graph: root at the bottom ("all", the total),
 * callees above their callers, each frame as wide as its value. Siblings
 * are ordered largest first (ties by name) because the question asked of
 * a memory graph is where most of it is. Frames narrower than a pixel are
 * not drawn one by one: the small callees of a frame are shown as one grey
 * "+N" box when together they are wide enough, and a note under the graph
 * counts what was not drawn. Colors are a warm palette keyed by a hash of
 * the frame name, so a function has the same color in every graph. Every
 * frame has a <title> tooltip with its name, value and share of the total;
 * labels are cut with ".." to fit. A small inline script adds click-to-zoom
 * (it magnifies what is drawn; frames left out stay out), but nothing needs
 * it to be read. opts may be NULL. Returns as fg_write_folded(). */
int fg_write_svg(FILE *f, const struct fg_stack *s, size_t n, const struct fg_svg_opts *opts);

#endif
