/* SPDX-License-Identifier: GPL-2.0 */
/* The command line of `memscope leak`: libbpf-tools memleak's flags with
 * the same meaning, and memscope's own. */
#ifndef MEMSCOPE_LEAK_OPTIONS_H
#define MEMSCOPE_LEAK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/cli.h"
#include "leak/report.h"

struct leak_opts {
	struct common_opts common;
	pid_t pid;
	const char *command;
	bool trace;
	bool show_allocs;
	unsigned older_ms;
	bool combined_only;
	unsigned sample_rate;
	unsigned top;
	uint64_t min_size, max_size;
	const char *obj;
	bool percpu;
	bool kernel;		/* --kernel: kernel allocations (of -p/-c if given) */
	const char *cgroup;	/* --cgroup: kernel allocations of a memory cgroup */
	const char *prefix;
	enum leak_sort sort;
	bool by_cache;
	enum kstack_mode kstacks;
	bool unwind_fp;		/* --unwind fp: user stacks by frame pointer only */
	const char *folded, *svg;
	uint64_t max_allocs, max_stacks;
	bool max_allocs_given;	/* --max-allocs on the command line (else the mode's default) */
	size_t buckets;		/* kernel mode: allocation table buckets, from max_allocs */
	unsigned interval_s;
	unsigned count;
	int npositional;
};

/* Default --max-allocs. A process: the overflow of its first table, a hash
 * map that grows with its live set; with the first table's 65,536 slots
 * it holds 589,824 blocks, twice what ordinary programs keep (jq, xmllint,
 * gawk: 200k-300k), for 8 MiB of bucket heads. The kernel: a preallocated
 * array (leak.h says why). */
#define LEAK_USER_MAX_ALLOCS 524288
#define LEAK_KERNEL_MAX_ALLOCS 131072

/* Parse argv (argv[0] is "leak") into o, with the defaults for what is
 * not given. 0, or the exit code after a message (--help exits 0 from
 * inside). */
int leak_options_parse(int argc, char **argv, struct leak_opts *o);

#endif
