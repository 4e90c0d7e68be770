/* SPDX-License-Identifier: GPL-2.0 */
/* User-space symbolization: turning captured stack addresses of a process
 * into "function+offset" and "file:line" (the kernel's are syms/ksyms.h).
 *
 * User space goes through elfutils' libdwfl: symbols from .symtab (or
 * .dynsym), file:line from DWARF, found in the file itself, through
 * .gnu_debuglink or by build-id under /usr/lib/debug. Modules are reported
 * from /proc/PID/maps by us, not by dwfl_linux_proc_report(): every file is
 * opened through /proc/PID/map_files (so deleted or replaced files and files
 * inside containers work; that needs CAP_SYS_ADMIN, without it files are
 * opened by path in the target's root) and kept open, one descriptor per
 * executable file up to a budget, so a target's modules stay resolvable
 * after it exits. Nothing is loaded before an address needs it, answers
 * are cached, and what libdw holds for DWARF is kept under a
 * budget. No network: debuginfod is never asked.
 *
 * Not thread-safe. */
#ifndef MEMSCOPE_USYMS_H
#define MEMSCOPE_USYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "syms/frame.h"

struct usyms;

/* libc6-dbg's libc inflates to 10 MiB: a large library's DWARF must fit (the
 * budget bounds libdw's state, our RSS grows by what it holds). */
#define USYMS_DEFAULT_DWARF_MEM (32u << 20)
#define USYMS_DEFAULT_FD_MAX 256

struct usyms_opts {
	size_t sz;		/* sizeof(struct usyms_opts) */
	/* Memory libdw may hold for DWARF at a time. Line tables are built a
	 * whole compile unit at a time (1.6 MiB for CPython's ceval.c), and
	 * compressed DWARF (Debian's -dbg/-dbgsym files) is inflated whole
	 * when a module's first line is looked up (about 10 MiB for libc6-dbg):
	 * past this budget libdw's state is dropped and rebuilt when needed
	 * (answers already given stay cached), and a module whose DWARF alone
	 * would inflate beyond it gets symbols but no file:line.
	 * 0: USYMS_DEFAULT_DWARF_MEM; SIZE_MAX: no limit. */
	size_t dwarf_mem_max;
	bool no_lines;		/* never look up file:line */
	/* File descriptors this object (with libdwfl) may hold. One is kept
	 * per mapped file so that symbols survive the target's exit; past
	 * this many, the least recently used are closed and reopened while
	 * the target lives (after it exits, a closed one is lost).
	 * 0: USYMS_DEFAULT_FD_MAX. */
	unsigned fd_max;
};

/* Symbolizer for process pid (0: this process); reads its maps once.
 * NULL + errno (ESRCH: no such process). */
struct usyms *usyms_new(pid_t pid);
struct usyms *usyms_new_opts(pid_t pid, const struct usyms_opts *opts);

/* Re-read /proc/PID/maps and take in new mappings; known modules are kept
 * (also where the target unmapped them), so the last state survives the
 * target's exit. Returns the number of new modules, or a negative errno
 * (-ESRCH once the target is gone; the object stays usable). */
int usyms_refresh(struct usyms *u);

/* Resolve addr. return_addr: addr is a return address (every frame of a
 * stack but the first), so the function and line are those of addr - 1,
 * the call instruction; offset stays relative to addr. Results are cached;
 * maps are not re-read here (usyms_refresh() does). Returns 0 with *out
 * filled in (sym and module may be NULL), or -EINVAL. */
int usyms_resolve(struct usyms *u, uint64_t addr, bool return_addr, struct sym_frame *out);

void usyms_free(struct usyms *u);

#endif
