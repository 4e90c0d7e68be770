/* SPDX-License-Identifier: GPL-2.0 */
/* Flame graphs of stacks with a value (outstanding bytes for the leak tool),
 * as collapsed "folded" text that flamegraph.pl, inferno and speedscope
 * read. This is the core; out/flamegraph_svg.h draws the same stacks as a
 * self-contained SVG.
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/strpool.h"

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

/* ---- shared with the SVG writer ------------------------------------------ */

/* Canonical, sorted, merged stacks: frame names are interned (equal names
 * are one pointer) and the stacks are in the order of a depth-first walk
 * of their tree, a stack right before those it is a prefix of. */
struct fg_ent {
	const char **fr;
	int n;
	uint64_t v;
};

struct fg_prep {
	struct strpool names;
	const char **frames;	/* every ent's frames, one allocation */
	struct fg_ent *ents;
	size_t nents;
	size_t nframes;		/* sum of the ents' n */
	uint64_t total;		/* saturating */
	int max_frames;
};

/* 0, -EINVAL or -ENOMEM; p is freed on error. */
int fg_prep_build(struct fg_prep *p, const struct fg_stack *s, size_t n);
void fg_prep_free(struct fg_prep *p);

/* Text from anywhere made valid in the outputs: as frames are (see above)
 * when frame is true; otherwise only bad characters replaced, tab and
 * newline made spaces. buf needs 3 * strlen(s) + 1 bytes. Returns buf or,
 * for a frame, "[unknown]". */
const char *fg_canon(const char *s, char *buf, bool frame);

static inline uint64_t fg_sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

#endif
