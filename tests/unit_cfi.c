// SPDX-License-Identifier: GPL-2.0
/* Unwind tables from .eh_frame (syms/cfi.c), held against what the x86-64
 * ABI fixes: at the first instruction of every function the caller's
 * frame is rsp + 8 (the return address was just pushed). Checked at the
 * entry of every function symbol of libc (no frame pointers) and of the
 * -O2 callpaths workload; and the two ways of finding the functions
 * (.eh_frame_hdr's index, a scan of .eh_frame) must give the same table. */
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"
#include "syms/cfi.h"

static const char *libc_path(void)
{
	static const char *const paths[] = { "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6",
					     "/usr/lib/x86_64-linux-gnu/libc.so.6" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], R_OK))
			return paths[i];
	return NULL;
}

/* Every FUNC symbol with a size: is its entry row "CFA = rsp + 8"? */
static void check_entries(const char *path, size_t min_funcs)
{
	size_t funcs = 0, good = 0;
	struct cfi_table t;
	Elf_Scn *scn = NULL;
	char what[256];
	Elf *elf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!ASSERT_TRUE(fd >= 0, path))
		return;
	if (!ASSERT_OK(cfi_table_build(fd, &t), path)) {
		close(fd);
		return;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			const struct unw_row *r;
			const char *name;
			GElf_Sym sym;

			if (!gelf_getsym(d, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_size || sym.st_shndx == SHN_UNDEF)
				continue;
			/* A .cold part is not entered by a call: it has its
			 * parent's frame. */
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && strstr(name, ".cold"))
				continue;
			funcs++;
			r = cfi_table_find(&t, sym.st_value);
			/* _start: no caller at all. */
			if (r && name && !strcmp(name, "_start") && r->rule == UNW_END)
				good++;
			else if (r && (r->rule & UNW_RULE_MASK) == UNW_CFA_SP && r->cfa_off == 8 &&
				 !(r->rule & UNW_BP_SAVED))
				good++;
			else if (funcs - good <= 5)
				test_log("%s: %s at 0x%lx: rule %d cfa %d", path,
					 name ? name : "?", (unsigned long)sym.st_value,
					 r ? r->rule : -1, r ? r->cfa_off : 0);
		}
	}
	snprintf(what, sizeof(what), "%s: functions checked", path);
	ASSERT_GE(funcs, min_funcs, what);
	/* A few hand-written entries have no call-frame information (libc's
	 * signal return trampoline has a rule of its own). */
	snprintf(what, sizeof(what), "%s: entries with CFA = rsp + 8 (of %zu)", path, funcs);
	ASSERT_GE(good * 1000, funcs * 995, what);
	if (elf)
		elf_end(elf);
	cfi_table_free(&t);
	close(fd);
}

TEST(unit_cfi_entries_libc, 0)
{
	const char *libc = libc_path();

	if (!libc) {
		test_skip("no libc.so.6 found");
		return;
	}
	check_entries(libc, 1000);
}

TEST(unit_cfi_entries_workload, 0)
{
	check_entries(bin_path("tests/workloads/callpaths"), 8);
	check_entries(bin_path("tests/workloads/callpaths_static"), 500);
}

TEST(unit_cfi_hdr_equals_scan, 0)
{
	const char *libc = libc_path();
	struct cfi_table a, b;
	int fd;

	if (!libc) {
		test_skip("no libc.so.6 found");
		return;
	}
	fd = open(libc, O_RDONLY | O_CLOEXEC);
	if (!ASSERT_TRUE(fd >= 0, libc))
		return;
	if (ASSERT_OK(cfi_table_build(fd, &a), "from .eh_frame_hdr")) {
		if (ASSERT_OK(cfi_table_build_scan(fd, &b), "from .eh_frame")) {
			ASSERT_EQ(a.n, b.n, "rows");
			ASSERT_EQ(a.fdes, b.fdes, "functions");
			ASSERT_TRUE(a.n == b.n && !memcmp(a.rows, b.rows, a.n * sizeof(*a.rows)),
				    "the same rows");
			cfi_table_free(&b);
		}
		cfi_table_free(&a);
	}
	close(fd);
}
