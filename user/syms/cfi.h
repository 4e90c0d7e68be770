/* SPDX-License-Identifier: GPL-2.0 */
/* Unwind tables from an object's call-frame information (.eh_frame): the
 * rows lib/unwind.bpf.h walks (bpf/lib/unwind.h). x86-64 only. The file
 * belongs to a traced process: nothing in it is trusted. */
#ifndef MEMSCOPE_SYMS_CFI_H
#define MEMSCOPE_SYMS_CFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/unwind.h"

struct cfi_table {
	struct unw_row *rows;	/* sorted by pc, adjacent rules differ */
	size_t n, cap;
	size_t fdes;		/* functions with call-frame information */
	/* The file's loadable segments, to place a mapping (cfi_table_bias). */
	struct { uint64_t offset, vaddr, filesz; } loads[8];
	int nloads;
	size_t fallback;	/* rows inside functions whose rule BPF cannot follow */
};

/* Build the table of the ELF file open at fd (the fd stays open and
 * ours). 0, or -errno: -ENOEXEC not an ELF file, -ENODATA no .eh_frame_hdr
 * the table can be read from. */
int cfi_table_build(int fd, struct cfi_table *t);
/* The same, with the functions found by reading .eh_frame whole even
 * where .eh_frame_hdr indexes them (what static programs get): for tests. */
int cfi_table_build_scan(int fd, struct cfi_table *t);
void cfi_table_free(struct cfi_table *t);

/* The load bias of a mapping of the file at file offset pgoff starting at
 * start (object address = address - bias); false when no segment holds
 * pgoff. */
bool cfi_table_bias(const struct cfi_table *t, uint64_t start, uint64_t pgoff, uint64_t *bias);

/* The row that covers object address pc; NULL if none (for tests and
 * user-space checks; BPF does the same search). */
const struct unw_row *cfi_table_find(const struct cfi_table *t, uint64_t pc);

#endif
