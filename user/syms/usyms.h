/* SPDX-License-Identifier: GPL-2.0 */
/* Symbolization: turning captured stack addresses into "function+offset"
 * and "file:line", for user processes (usyms, usyms.c) and the kernel
 * (ksyms, ksyms.c).
 *
 * User space goes through elfutils' libdwfl: symbols from .symtab (or
 * .dynsym), file:line from DWARF, found in the file itself, through
 * .gnu_debuglink or by build-id under /usr/lib/debug. Modules are reported
 * from /proc/PID/maps by us, not by dwfl_linux_proc_report(): every file is
 * opened through /proc/PID/map_files (so deleted or replaced files and files
 * inside containers work; that needs CAP_SYS_ADMIN, without it files are
 * opened by path in the target's root) and kept open, one descriptor per
 * executable file, so a target's modules stay resolvable after it exits. Nothing is loaded before an address needs it,
 * answers are cached, and what libdw holds for DWARF is kept under a
 * budget. No network: debuginfod is never asked.
 *
 * The kernel side does not keep /proc/kallsyms in memory: each batch of
 * addresses not seen before is resolved in one streaming pass and the
 * answers are cached.
 *
 * Neither object is thread-safe. */
#ifndef MEMSCOPE_USYMS_H
#define MEMSCOPE_USYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One resolved address. All strings are owned by the usyms/ksyms object
 * that filled it in and stay valid until it is freed. */
struct sym_frame {
	uint64_t addr;		/* address as captured */
	const char *sym;	/* function name, NULL if unknown */
	uint64_t offset;	/* addr - symbol start */
	/* Path of the mapped file as the target sees it (as in its maps,
	 * " (deleted)" included), "[vdso]", "[anon]" for anonymous code;
	 * kernel: "vmlinux" or the module name ("ext4"). NULL if addr is in
	 * no mapping that can hold code. */
	const char *module;
	uint64_t module_offset;	/* file offset of addr in module ("module+0xoff");
				 * offset from the mapping start for the vdso and
				 * anonymous code; 0 for the kernel */
	const char *build_id;	/* lowercase hex, NULL if none */
	const char *file;	/* source file as the DWARF names it (may be relative to
				 * the compilation directory), NULL if unknown */
	int line;		/* 0 if unknown */
};

/* "sym+0xoff", else "module+0xoff" (the module's base name), else "0xaddr":
 * the one way frames are named in text output. Returns buf. */
const char *sym_frame_name(const struct sym_frame *f, char *buf, size_t len);

/* ---- user space ---------------------------------------------------------- */

struct usyms;

#define USYMS_DEFAULT_DWARF_MEM (4u << 20)

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

/* ---- kernel -------------------------------------------------------------- */

struct ksyms;

/* NULL + errno; EPERM when /proc/kallsyms hides addresses from us
 * (kptr_restrict, or not root with perf_event_paranoid > 1). */
struct ksyms *ksyms_new(void);

/* Resolve n kernel addresses into out[0..n-1]; the addresses not resolved
 * before take one pass over /proc/kallsyms together. out[i].sym is NULL
 * for an address no text symbol covers. Returns 0 or a negative errno
 * (-EPERM: addresses are hidden); out is filled in (addr only) on error. */
int ksyms_resolve(struct ksyms *k, const uint64_t *addrs, size_t n, struct sym_frame *out);

void ksyms_free(struct ksyms *k);

#endif
