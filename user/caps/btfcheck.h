/* SPDX-License-Identifier: GPL-2.0 */
/* A BTF file's types checked before anything walks them: libbpf's
 * btf__parse() (1.1, Debian 12) accepts type ids past the last type, names
 * outside the string section and loops of modifiers, and btf_dump, CO-RE
 * relocation and the prototype printing of caps/tracepoints.c then write
 * out of bounds, read through NULL or recurse without end. --btf FILE is
 * such a file. */
#ifndef MEMSCOPE_CAPS_BTFCHECK_H
#define MEMSCOPE_CAPS_BTFCHECK_H

struct btf;

/* 0 when every name lies in the string section, every type id the types
 * refer to names a type, and no chain of pointers, modifiers, typedefs,
 * arrays, functions and variables comes back to where it started (only a
 * struct or union may be reached again, as a struct's pointer to itself
 * is); else -EINVAL (-ENOMEM). */
int btf_check_graph(const struct btf *btf);

#endif
