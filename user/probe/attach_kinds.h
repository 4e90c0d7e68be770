/* SPDX-License-Identifier: GPL-2.0 */
/* What `memscope probe` learns about each BPF attach type by trying it: a
 * two-line program of that type (bpf/probe.bpf.c) is loaded, attached to
 * something harmless (sched_switch, vfs_read, a function of memscope
 * itself) and triggered, then unloaded again. The tools do not use these
 * answers: each loads its own programs (run/attach.h); these rows explain
 * why a mode is or is not available. */
#ifndef MEMSCOPE_PROBE_ATTACH_KINDS_H
#define MEMSCOPE_PROBE_ATTACH_KINDS_H

#include <stdbool.h>

#include "caps/kinds.h"

struct attach_result {
	bool loaded;
	bool attached;
	bool fired;		/* the test trigger made it run */
	int err;		/* negative errno of the failing step, 0 if none */
	const char *stage;	/* "open", "load", "attach", or NULL */
	char target[64];	/* what it was attached to */
};

/* Load, attach and trigger the tiny program for one attach type; nothing
 * stays loaded afterwards. Expected failures are logged at debug level. */
void attach_kind_try(enum probe_kind kind, struct attach_result *res);

/* Likely reason for a failure, for people; NULL if none is known. */
const char *attach_hint(enum probe_kind kind, const struct attach_result *res);

#endif
