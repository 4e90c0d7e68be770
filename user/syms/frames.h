/* SPDX-License-Identifier: GPL-2.0 */
/* Stacks as people read them: captured addresses resolved into frames,
 * cut to what belongs to the caller, and rendered the one way every tool
 * shows them (a text line per frame, a JSON object per frame). Names come
 * from the traced process (symbols, paths, module names) and are escaped
 * before they reach a terminal. */
#ifndef MEMSCOPE_SYMS_FRAMES_H
#define MEMSCOPE_SYMS_FRAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/stack.h"
#include "syms/ksyms.h"
#include "syms/usyms.h"

struct json;

#define FRAMES_MAX (STACK_DEPTH + 1)

struct frames {
	int n;
	struct sym_frame f[FRAMES_MAX];
};

/* A user stack taken at a return probe (every frame a return address).
 * A frame-pointer walk through code built without frame pointers ends in
 * whatever the register held: the stack stops at the first address (after
 * the first) that is in no mapping. */
void frames_user(struct usyms *us, const uint64_t *ips, int n, struct frames *out);

/* A kernel stack: the tracing machinery the walk starts in (BPF, perf,
 * tracepoint glue) is dropped; with a call site (site != 0), frames before
 * it (inside the allocator) are dropped too, and the site is put first
 * when the walk did not reach it. ks may be NULL (addresses only). */
void frames_kernel(struct ksyms *ks, const uint64_t *ips, int n, uint64_t site,
		   struct frames *out);

/* Stack id of the stack store (bpf/lib/stack.bpf.h, the map stacks_fd)
 * resolved into out: a user stack with us, or a kernel one with ks and
 * site as frames_kernel() takes them. A stack not kept (id < 0, or gone
 * from the store) gives no frames (but a kernel call site); returns false
 * then. */
bool frames_of_stack(int stacks_fd, int32_t id, bool user, struct usyms *us, struct ksyms *ks,
		     uint64_t site, struct frames *out);

/* "    #i  0x... sym+0xoff  file:line" (or "(module)"), newline-ended. */
void frame_print(FILE *f, int i, const struct sym_frame *fr);
/* {"addr":...,"sym":...,"offset":...,"module":...,"build_id":...,
 *  "file":...,"line":...} */
void frame_json(struct json *j, const struct sym_frame *fr);

#endif
