/* SPDX-License-Identifier: GPL-2.0 */
/* Flame graphs as self-contained SVG files, so a user needs no other tool
 * (no Debian 12 package carries flamegraph.pl or inferno). The stacks are
 * those of the folded output (out/flamegraph.h), canonicalized and merged
 * the same way. */
#ifndef MEMSCOPE_FLAMEGRAPH_SVG_H
#define MEMSCOPE_FLAMEGRAPH_SVG_H

#include <stddef.h>
#include <stdio.h>

#include "out/flamegraph.h"

struct fg_svg_opts {
	const char *title;	/* "Outstanding memory: ./app (pid 1234)"; NULL: "Flame graph" */
	const char *subtitle;	/* optional, e.g. "memscope leak, 2026-11-23 10:00:01" */
	const char *unit;	/* "bytes" (or "B"): values read 1.5 MiB; anything
				 * else is printed after the number; NULL: "bytes" */
	int width;		/* pixels, 0: 1200; otherwise 400..100000 */
};

/* Root at the bottom ("all", the total), callees above their callers, each
 * frame as wide as its value. Siblings are ordered largest first (ties by
 * name) because the question asked of a memory graph is where most of it
 * is. Frames narrower than a pixel are left out with their callees, as
 * flamegraph.pl does, and a note under the graph says how many and how
 * much. Colours are a warm palette keyed by a hash of the frame name, so a
 * function has the same colour in every graph. Every frame has a <title>
 * tooltip with its name, value and share of the total; labels are cut with
 * ".." to fit. No script: there is no click-to-zoom (open the --folded
 * output in speedscope or flamegraph.pl for that). opts may be NULL.
 * Returns 0, -EINVAL on bad arguments, -ENOMEM, or -EIO if writing to f
 * failed. */
int fg_write_svg(FILE *f, const struct fg_stack *s, size_t n, const struct fg_svg_opts *opts);

#endif
