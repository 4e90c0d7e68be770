/* SPDX-License-Identifier: GPL-2.0 */
/* Function symbols and code bytes of ELF files, for placing uprobes: where
 * a function starts as a file offset (what uprobe perf events take), and
 * the bytes there. The files are those of traced processes, so nothing in
 * them is trusted: every offset is checked against the file's size. */
#ifndef MEMSCOPE_ELFSYM_H
#define MEMSCOPE_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;

/* Open an ELF file read-only (mapped, not copied). NULL and errno: ENOENT
 * and friends from open(), ENOEXEC when it is not a regular ELF file. */
struct elf_file *elf_file_open(const char *path);
void elf_file_close(struct elf_file *ef);

int elf_file_machine(const struct elf_file *ef);	/* EM_X86_64, ... */
int elf_file_class(const struct elf_file *ef);		/* ELFCLASS64 or ELFCLASS32 */
/* PT_INTERP as written in the file; NULL when there is none (a static
 * executable, or a shared library). */
const char *elf_file_interp(const struct elf_file *ef);
/* First program header of type (PT_DYNAMIC, PT_LOAD, ...); 0 or -ENOENT. */
int elf_file_segment(const struct elf_file *ef, uint32_t type, uint64_t *vaddr,
		     uint64_t *offset, uint64_t *memsz);

struct elf_func {
	bool found;
	bool ifunc;		/* STT_GNU_IFUNC: the address is its resolver's */
	bool dynamic;		/* from .dynsym: visible to the dynamic linker */
	uint64_t vaddr;
	uint64_t offset;	/* file offset of the first byte */
	uint64_t size;		/* st_size; 0 when the symbol does not say */
};

enum elf_find_flags {
	/* Only what the dynamic linker sees: for deciding which library
	 * serves a symbol (a local or hidden .symtab entry serves nobody). */
	ELF_FIND_DYNSYM_ONLY = 1 << 0,
};

/* Look up the functions prefix+names[i] (prefix may be NULL) in .dynsym,
 * then in .symtab for the ones not found there, in one pass per table.
 * Where a name has several definitions, the default symbol version and
 * global over weak over local binding win. Returns the number found, or
 * -errno. */
int elf_file_find_funcs(struct elf_file *ef, const char *prefix,
			const char *const *names, int n, unsigned flags,
			struct elf_func *out);

/* The file's bytes from offset off: a pointer into the mapping and in *len
 * how many of the *len asked for are there; NULL when off is past the end. */
const uint8_t *elf_file_bytes(const struct elf_file *ef, uint64_t off, size_t *len);

#endif
