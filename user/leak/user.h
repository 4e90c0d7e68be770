/* SPDX-License-Identifier: GPL-2.0 */
/* What leak.c (the tool, its modes, the run's hooks) and user.c (user
 * mode: planning the probes, attaching them, following execs) share: one
 * run's state. Private to user/leak/. */
#ifndef MEMSCOPE_LEAK_USER_H
#define MEMSCOPE_LEAK_USER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "leak/options.h"
#include "leak/regions.h"
#include "leak/uattach.h"
#include "run/clock.h"
#include "run/tool.h"

struct leak_bpf;
struct usyms;
struct unwinder;
struct ksyms;
struct leak_report;

/* What configure() and wanted() get: the options and the target filter. */
struct leak_cfg {
	const struct leak_opts *o;
	struct target_filter filter;
	uint32_t unw_rows;	/* user mode: the unwind row table's size */
	bool maps_stop;		/* stop a -c command while its tables are built */
	bool multi;		/* uprobe programs loaded for uprobe_multi links */
};

/* One image of the target: what was read of it while it ran. */
struct image {
	uint32_t no;
	struct usyms *us;
	char name[64];
};

struct leak_run {
	struct leak_opts *o;
	struct run run;
	struct leak_cfg cfg;
	struct leak_bpf *skel;
	bool user;		/* a process's allocator (else the kernel's) */
	char obj[PATH_MAX];	/* user mode: the allocator's object */
	int obj_mapped;		/* -O with -c: seen mapped at the end (1/0), -1: not asked */
	struct uattach ua;	/* user mode: what is attached */
	struct bpf_link *exec_link;	/* the exec tracepoint (user mode) */
	struct regions regions;
	struct usyms *us;
	struct unwinder *unw;
	struct ksyms *ks;
	struct leak_report *rep;
	struct tick_clock clock;
	/* Execs (user mode). Images are numbered by the BPF side's count of
	 * the target's execs (leak.h); run.links holds the uprobes from
	 * probes_from on. */
	size_t probes_from;
	struct stat obj_st;	/* the allocator object probed (dev, ino), or 0s */
	bool traced_any;	/* some image's allocator was probed */
	uint32_t image_base;	/* the image tracing began with (-c: the command) */
	uint32_t image_probed;	/* the image the probes were planned for */
	uint32_t image;		/* the image reports show */
	/* Images seen at their exec stop (-c), not reported yet: their
	 * symbols, read before their first instruction ran. */
	struct image next[4];
	int nnext;
};

/* leak.c */
extern const struct tool_job user_job;
/* Load job's BPF object for lr (0, or an exit code after a message). */
int load(struct leak_run *lr, const struct tool_job *job);

/* user.c */
/* Plan, load and attach the user-mode probes (0, or an exit code). */
int start_user(struct leak_run *lr);
/* The target execed: image is its new image number (from the BPF side). */
void exec_seen(struct leak_run *lr, uint32_t image);

#endif
