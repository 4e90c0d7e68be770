/* SPDX-License-Identifier: GPL-2.0 */
/* Tracepoints as this kernel has them: the tracefs event directory, the
 * BPF-visible prototype from BTF (btf_trace_<name>), and contracts.
 *
 * tp_btf and raw_tp programs read a tracepoint's arguments by position,
 * and CO-RE cannot relocate positions: a kernel that reorders or changes
 * them would have the program read the wrong argument silently. So every
 * such program states the leading arguments it reads as a contract, and a
 * program variant is loaded only where the BTF prototype matches it; the
 * tool then takes its next variant, or says which tracepoint has which
 * prototype. */
#ifndef MEMSCOPE_CAPS_TRACEPOINTS_H
#define MEMSCOPE_CAPS_TRACEPOINTS_H

#include <stdbool.h>
#include <stddef.h>

#include "caps/kinds.h"

struct btf;

struct tp_contract {
	const char *category;	/* "kmem" */
	const char *name;	/* "kmalloc" */
	/* The leading arguments the program reads by position, as BTF prints
	 * the prototype: "long unsigned int, const void *, size_t, size_t".
	 * NULL: only that the tracepoint exists (a classic tracepoint program
	 * reads fields by name, relocated by CO-RE). */
	const char *args;
};

/* Mount point of tracefs (mounting it at /sys/kernel/tracing when asked and
 * missing, as perf does); 0, or -errno with buf "". */
int tracefs_find(char *buf, size_t len, bool mount_if_missing, bool *mounted);

/* Does events/<category>/<name> exist under tracefs? */
bool tp_in_tracefs(const char *tracefs, const char *category, const char *name);

/* The argument types of tracepoint name from BTF ("struct task_struct *,
 * uid_t"), without the leading void *__data; false when BTF has no
 * btf_trace_<name>. */
bool tp_btf_args(const struct btf *btf, const char *name, char *buf, size_t len);

/* Does the prototype args begin with the arguments expected? */
bool tp_args_match(const char *args, const char *expected);

/* Can a program of attach kind `kind` (tp_btf, raw_tp or tracepoint) rely
 * on contract c here? 0; -ENOENT when the tracepoint is missing (from BTF
 * for tp_btf/raw_tp, from tracefs for tracepoint), -EPROTO when its
 * prototype differs from the contract. why receives a sentence naming the
 * tracepoint and, for -EPROTO, the prototype found. */
int tp_contract_check(const struct tp_contract *c, enum probe_kind kind, const struct btf *btf,
		      const char *tracefs, char *why, size_t len);

#endif
