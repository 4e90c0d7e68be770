/* SPDX-License-Identifier: GPL-2.0 */
/* One symbolized stack frame, as both symbolizers (usyms for processes,
 * ksyms for the kernel) fill it in, and the one way frames are named in
 * text output. */
#ifndef MEMSCOPE_FRAME_H
#define MEMSCOPE_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* One resolved address. All strings are owned by the usyms/ksyms object
 * that filled it in and stay valid until it is freed. */
struct sym_frame {
	uint64_t addr;		/* address as captured */
	const char *sym;	/* function name (demangled), NULL if unknown */
	const char *mangled;	/* the symbol as the object names it, when that differs
				 * from sym (C++, Rust); else NULL */
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

/* "sym+0xoff", else "module+0xoff" (the module's base name), else "0xaddr".
 * Returns buf. */
const char *sym_frame_name(const struct sym_frame *f, char *buf, size_t len);

#endif
