// SPDX-License-Identifier: GPL-2.0
/* The libdwfl symbolizer (syms/usyms.c) on a hostile object: the input is
 * written to a file, the file mapped executable into this process, and
 * usyms for this process (it reads our own /proc/self/maps, as it reads a
 * target's) resolves addresses in that mapping: symbols, the module's
 * build-id and segments, file:line from its DWARF. */
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "syms/usyms.h"

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usyms_opts o = { .sz = sizeof(o), .dwarf_mem_max = 8u << 20, .fd_max = 8 };
	const char *path = fuzz_file(data, size);
	size_t len = size ? size : 1, page = (size_t)sysconf(_SC_PAGESIZE);
	struct sym_frame fr;
	struct usyms *u;
	char name[256];
	uint8_t *m;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		abort();
	m = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		abort();	/* TMPDIR must not be noexec */
	u = usyms_new_opts(0, &o);
	if (!u)
		abort();
	/* Every 61st byte of the mapping, a few with return_addr. */
	for (size_t off = 0; off < len && off < 64 * page; off += 61 + (off & 0xfff) / 8) {
		if (usyms_resolve(u, (uintptr_t)m + off, off & 1, &fr))
			continue;
		sink += fr.sym ? strlen(fr.sym) : 0;
		sink += fr.file ? strlen(fr.file) + fr.line : 0;
		sink += fr.build_id ? strlen(fr.build_id) : 0;
		sink += strlen(sym_frame_name(&fr, name, sizeof(name)));
	}
	usyms_free(u);
	munmap(m, len);
	return 0;
}
