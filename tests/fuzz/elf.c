// SPDX-License-Identifier: GPL-2.0
/* ELF files as the objects of a traced process: the input is the file.
 * Function lookup (syms/elfsym.c), uprobe placement over it
 * (leak/uprobe_place.c: symbols, code bytes, the instruction decoder of
 * uprobe_insn.c) and the unwind tables from its call-frame information
 * (syms/cfi.c), both ways (through .eh_frame_hdr, and by scanning
 * .eh_frame), and what the unwinder reads of a program not started yet
 * (run/unwind.c: its entry point and PT_INTERP, DT_NEEDED and RUNPATH). */
#include <elf.h>
#include <fcntl.h>
#include <string.h>

#include "fuzz.h"
#include "leak/uprobe_place.h"
#include "run/unwind.h"
#include "syms/cfi.h"
#include "syms/elfsym.h"

static volatile size_t sink;

static void elfsym(const char *path)
{
	static const char *const names[] = { "malloc", "free", "main", "_start", "je_malloc",
					     "_Znwm", "" };
	struct elf_func fn[7];
	uint64_t vaddr, off, memsz;
	struct elf_file *ef = elf_file_open(path);
	const char *interp;
	int n;

	if (!ef)
		return;
	sink += elf_file_machine(ef) + elf_file_class(ef);
	interp = elf_file_interp(ef);
	sink += interp ? strlen(interp) : 0;
	if (!elf_file_segment(ef, PT_LOAD, &vaddr, &off, &memsz))
		sink += vaddr + off + memsz;
	n = elf_file_find_funcs(ef, NULL, names, 7, 0, fn);
	for (int i = 0; n > 0 && i < 7; i++) {
		size_t len = 64;
		const uint8_t *b;

		if (!fn[i].found)
			continue;
		b = elf_file_bytes(ef, fn[i].offset, &len);
		for (size_t k = 0; b && k < len; k++)
			sink += b[k];
	}
	elf_file_find_funcs(ef, "je_", names, 2, ELF_FIND_DYNSYM_ONLY, fn);
	elf_file_close(ef);
}

static void cfi(const char *path, bool scan)
{
	struct cfi_table t;
	uint64_t bias;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		abort();
	if (!(scan ? cfi_table_build_scan(fd, &t) : cfi_table_build(fd, &t))) {
		for (size_t i = 0; i < t.n; i++) {
			const struct unw_row *r = cfi_table_find(&t, t.rows[i].pc);

			if (!r)
				abort();	/* a row the search cannot find */
			sink += r->rule;
		}
		if (cfi_table_bias(&t, 0x400000, 0, &bias))
			sink += bias;
	}
	cfi_table_free(&t);
	close(fd);
}

static void unwind(const char *path)
{
	static struct unwind_sync_point pts[2];
	char *files[UNWIND_PREBUILD_MAX];
	int n;

	n = unwind_sync_points(path, pts, 2);
	for (int i = 0; i < n; i++)
		sink += strnlen(pts[i].path, sizeof(pts[i].path)) + pts[i].offset;
	n = unwind_needed_files(path, NULL, files, UNWIND_PREBUILD_MAX);
	for (int i = 0; i < n; i++) {
		sink += strlen(files[i]);
		free(files[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_site sites[AF_NR];
	struct uprobe_plan plan;
	const char *path = fuzz_file(data, size);

	elfsym(path);
	if (uprobe_plan(path, NULL, sites) > 0)
		for (int i = 0; i < AF_NR; i++)
			sink += sites[i].found ? sites[i].offset + strlen(sites[i].insn) : 0;
	uprobe_plan_init(&plan);
	uprobe_plan_add(&plan, path, NULL, AG_ALL, false);
	uprobe_plan_free(&plan);
	cfi(path, false);
	cfi(path, true);
	unwind(path);
	return 0;
}
