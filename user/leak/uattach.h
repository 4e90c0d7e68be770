/* SPDX-License-Identifier: GPL-2.0 */
/* Attaching `memscope leak`'s uprobe programs at the entry points of a plan
 * (uprobe_place.h): one uprobe (and uretprobe) per function, or, where the
 * kernel has them (6.6+), per object two uprobe_multi links, one for every
 * entry and one for every return. */
#ifndef MEMSCOPE_LEAK_UATTACH_H
#define MEMSCOPE_LEAK_UATTACH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "leak/report.h"
#include "leak/uprobe_place.h"
#include "run/attach.h"

struct bpf_program;
struct leak_bpf;

struct uattach {
	/* Set by the caller: */
	struct leak_bpf *skel;		/* loaded for single uprobes or for links */
	pid_t pid;			/* the traced process */
	struct link_set *links;		/* where single uprobes go */
	/* Filled: */
	struct attach_failure fails[AF_ALL_NR];
	int nfails;
	int *mfds;			/* uprobe_multi links */
	int nmfds;
	size_t nprobes;			/* the uprobes they hold */
};

/* One uprobe per entry point and one uretprobe per allocating one (frees
 * have none): the number attached, or -EACCES/-EPERM when uprobes are
 * refused altogether (said once); each function that fails is in fails. */
int uattach_single(struct uattach *a, const struct uprobe_plan *plan);
/* The same through uprobe_multi links (skel loaded with the programs'
 * expected attach type set for them): the number of functions attached,
 * or -errno of the first link refused, -EINVAL where the kernel has none.
 * On failure the caller detaches what was made and falls back. */
int uattach_multi(struct uattach *a, const struct uprobe_plan *plan);
/* One more entry program at path+off, the way the others were attached
 * (a link of its own after uattach_multi, a single uprobe otherwise);
 * 0 or -errno. */
int uattach_extra(struct uattach *a, struct bpf_program *prog, const char *path, uint64_t off);
/* Close the links (idempotent). */
void uattach_detach_multi(struct uattach *a);

#endif
