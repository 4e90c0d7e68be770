/* SPDX-License-Identifier: GPL-2.0 */
/* Can a kernel function be traced here, by fentry/fexit or by a kprobe?
 * Asked per function, not per attach type: a function can be inlined,
 * renamed (foo.isra.0), marked notrace or blacklisted on one kernel and
 * fine on the next, and the tools' fallbacks (cache on kernels without
 * mm_filemap_get_pages, oom on kernels whose mark_victim has only a pid)
 * hang on specific functions. */
#ifndef MEMSCOPE_CAPS_KFUNCS_H
#define MEMSCOPE_CAPS_KFUNCS_H

#include <stdbool.h>
#include <stdio.h>

struct btf;

/* 0 when an fentry program can be loaded for and attached to function name
 * (found as a BTF FUNC of vmlinux); -ENOENT when BTF has no such function,
 * else the errno of the failing load or attach (EPERM where a policy
 * refuses fentry, ENOTSUPP without trampolines, ...). Nothing stays
 * loaded. */
int fentry_can_attach(const struct btf *btf, const char *name);

/* 0 when a kprobe can be put on function name: kprobes exist (a kprobe PMU
 * or kprobe_events), the function is a traceable text symbol
 * (available_filter_functions, or /proc/kallsyms where that cannot be
 * read) and not on the kprobe blacklist. -EOPNOTSUPP without kprobes,
 * -ENOENT for an unknown or untraceable function, -EPERM for a
 * blacklisted one. */
int kprobe_available(const char *name);

/* The readers kprobe_available() uses, over an open file: is name the
 * word-th word (from 0) of a line of f (available_filter_functions: 0,
 * the kprobe blacklist: 1)? Is it a text symbol ('t' or 'T') of kallsyms
 * f? */
bool kfunc_listed(FILE *f, const char *name, int word);
bool kallsyms_has_text(FILE *f, const char *name);

#endif
