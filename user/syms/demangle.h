/* SPDX-License-Identifier: GPL-2.0 */
/* Symbol names as people read them: C++ (Itanium ABI, "_Z...") and Rust
 * ("_R..." v0; the legacy scheme is C++-shaped) names demangled, through
 * libiberty's cplus_demangle (Debian's libiberty-dev: a static archive, so
 * no C++ runtime is loaded into memscope, and the same code in the static
 * build; its recursion limits stay on, for names from processes we do not
 * control). */
#ifndef MEMSCOPE_SYMS_DEMANGLE_H
#define MEMSCOPE_SYMS_DEMANGLE_H

/* The demangled form of name (malloc'd; free() it), or NULL when name is
 * not a mangled name this knows (then it is shown as it is). */
char *sym_demangle(const char *name);

#endif
