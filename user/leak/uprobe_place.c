// SPDX-License-Identifier: GPL-2.0
/* Uprobe placement for the allocator functions (see uprobe_place.h): their
 * names and classes, what each class's entry program reads, and planning
 * over ELF files. The instruction rules are in uprobe_insn.c. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syms/elfsym.h"
#include "leak/uprobe_place.h"

struct fn_info {
	const char *name;
	const char *cxx;	/* C++ meaning, for -v */
	unsigned char cls;	/* enum alloc_class */
	unsigned char group;	/* enum alloc_group */
};

#define JE(fn, name, cls) [AF_##fn] = { name, NULL, CLS_##cls, AG_JEMALLOC }
#define TC(fn, name, cls) [AF_##fn] = { name, NULL, CLS_##cls, AG_TCMALLOC }
#define CX(fn, name, what, cls) [AF_##fn] = { name, what, CLS_##cls, AG_CXX }

static const struct fn_info fns[AF_ALL_NR] = {
	[AF_MALLOC] = { "malloc", NULL, CLS_MALLOC, AG_C },
	[AF_CALLOC] = { "calloc", NULL, CLS_CALLOC, AG_C },
	[AF_REALLOC] = { "realloc", NULL, CLS_REALLOC, AG_C },
	[AF_REALLOCARRAY] = { "reallocarray", NULL, CLS_REALLOCARRAY, AG_C },
	[AF_POSIX_MEMALIGN] = { "posix_memalign", NULL, CLS_POSIX_MEMALIGN, AG_C },
	[AF_MEMALIGN] = { "memalign", NULL, CLS_MEMALIGN, AG_C },
	[AF_ALIGNED_ALLOC] = { "aligned_alloc", NULL, CLS_ALIGNED_ALLOC, AG_C },
	[AF_VALLOC] = { "valloc", NULL, CLS_VALLOC, AG_C },
	[AF_PVALLOC] = { "pvalloc", NULL, CLS_PVALLOC, AG_C },
	[AF_FREE] = { "free", NULL, CLS_FREE, AG_C },
	[AF_MMAP] = { "mmap", NULL, CLS_MMAP, AG_C },
	[AF_MUNMAP] = { "munmap", NULL, CLS_MUNMAP, AG_C },
	[AF_MREMAP] = { "mremap", NULL, CLS_MREMAP, AG_C },

	JE(MALLOCX, "mallocx", MALLOCX),
	JE(RALLOCX, "rallocx", RALLOCX),
	JE(XALLOCX, "xallocx", XALLOCX),
	JE(SDALLOCX, "sdallocx", FREE),
	JE(DALLOCX, "dallocx", FREE),

	TC(TC_MALLOC, "tc_malloc", MALLOC),
	TC(TC_MALLOC_SKIP_NEW_HANDLER, "tc_malloc_skip_new_handler", MALLOC),
	TC(TC_CALLOC, "tc_calloc", CALLOC),
	TC(TC_REALLOC, "tc_realloc", REALLOC),
	TC(TC_MEMALIGN, "tc_memalign", MEMALIGN),
	TC(TC_POSIX_MEMALIGN, "tc_posix_memalign", POSIX_MEMALIGN),
	TC(TC_VALLOC, "tc_valloc", VALLOC),
	TC(TC_PVALLOC, "tc_pvalloc", PVALLOC),
	TC(TC_FREE, "tc_free", FREE),
	TC(TC_CFREE, "tc_cfree", FREE),
	TC(TC_FREE_SIZED, "tc_free_sized", FREE),
	TC(TC_NEW, "tc_new", NEW),
	TC(TC_NEWARRAY, "tc_newarray", NEW_ARRAY),
	TC(TC_NEW_NOTHROW, "tc_new_nothrow", NEW),
	TC(TC_NEWARRAY_NOTHROW, "tc_newarray_nothrow", NEW_ARRAY),
	TC(TC_NEW_ALIGNED, "tc_new_aligned", NEW),
	TC(TC_NEWARRAY_ALIGNED, "tc_newarray_aligned", NEW_ARRAY),
	TC(TC_NEW_ALIGNED_NOTHROW, "tc_new_aligned_nothrow", NEW),
	TC(TC_NEWARRAY_ALIGNED_NOTHROW, "tc_newarray_aligned_nothrow", NEW_ARRAY),
	TC(TC_DELETE, "tc_delete", DELETE),
	TC(TC_DELETEARRAY, "tc_deletearray", DELETE),
	TC(TC_DELETE_SIZED, "tc_delete_sized", DELETE),
	TC(TC_DELETEARRAY_SIZED, "tc_deletearray_sized", DELETE),
	TC(TC_DELETE_NOTHROW, "tc_delete_nothrow", DELETE),
	TC(TC_DELETEARRAY_NOTHROW, "tc_deletearray_nothrow", DELETE),
	TC(TC_DELETE_ALIGNED, "tc_delete_aligned", DELETE),
	TC(TC_DELETEARRAY_ALIGNED, "tc_deletearray_aligned", DELETE),
	TC(TC_DELETE_SIZED_ALIGNED, "tc_delete_sized_aligned", DELETE),
	TC(TC_DELETEARRAY_SIZED_ALIGNED, "tc_deletearray_sized_aligned", DELETE),
	TC(TC_DELETE_ALIGNED_NOTHROW, "tc_delete_aligned_nothrow", DELETE),
	TC(TC_DELETEARRAY_ALIGNED_NOTHROW, "tc_deletearray_aligned_nothrow", DELETE),

	CX(NEW, "_Znwm", "operator new(size_t)", NEW),
	CX(NEW_ARRAY, "_Znam", "operator new[](size_t)", NEW_ARRAY),
	CX(NEW_NOTHROW, "_ZnwmRKSt9nothrow_t", "operator new(size_t, nothrow_t const&)", NEW),
	CX(NEW_ARRAY_NOTHROW, "_ZnamRKSt9nothrow_t", "operator new[](size_t, nothrow_t const&)",
	   NEW_ARRAY),
	CX(NEW_ALIGNED, "_ZnwmSt11align_val_t", "operator new(size_t, align_val_t)", NEW),
	CX(NEW_ARRAY_ALIGNED, "_ZnamSt11align_val_t", "operator new[](size_t, align_val_t)",
	   NEW_ARRAY),
	CX(NEW_ALIGNED_NOTHROW, "_ZnwmSt11align_val_tRKSt9nothrow_t",
	   "operator new(size_t, align_val_t, nothrow_t const&)", NEW),
	CX(NEW_ARRAY_ALIGNED_NOTHROW, "_ZnamSt11align_val_tRKSt9nothrow_t",
	   "operator new[](size_t, align_val_t, nothrow_t const&)", NEW_ARRAY),
	CX(DELETE, "_ZdlPv", "operator delete(void*)", DELETE),
	CX(DELETE_ARRAY, "_ZdaPv", "operator delete[](void*)", DELETE),
	CX(DELETE_SIZED, "_ZdlPvm", "operator delete(void*, size_t)", DELETE),
	CX(DELETE_ARRAY_SIZED, "_ZdaPvm", "operator delete[](void*, size_t)", DELETE),
	CX(DELETE_ALIGNED, "_ZdlPvSt11align_val_t", "operator delete(void*, align_val_t)", DELETE),
	CX(DELETE_ARRAY_ALIGNED, "_ZdaPvSt11align_val_t", "operator delete[](void*, align_val_t)",
	   DELETE),
	CX(DELETE_SIZED_ALIGNED, "_ZdlPvmSt11align_val_t",
	   "operator delete(void*, size_t, align_val_t)", DELETE),
	CX(DELETE_ARRAY_SIZED_ALIGNED, "_ZdaPvmSt11align_val_t",
	   "operator delete[](void*, size_t, align_val_t)", DELETE),
	CX(DELETE_NOTHROW, "_ZdlPvRKSt9nothrow_t", "operator delete(void*, nothrow_t const&)",
	   DELETE),
	CX(DELETE_ARRAY_NOTHROW, "_ZdaPvRKSt9nothrow_t",
	   "operator delete[](void*, nothrow_t const&)", DELETE),
	CX(DELETE_ALIGNED_NOTHROW, "_ZdlPvSt11align_val_tRKSt9nothrow_t",
	   "operator delete(void*, align_val_t, nothrow_t const&)", DELETE),
	CX(DELETE_ARRAY_ALIGNED_NOTHROW, "_ZdaPvSt11align_val_tRKSt9nothrow_t",
	   "operator delete[](void*, align_val_t, nothrow_t const&)", DELETE),
};

const char *alloc_fn_name(enum alloc_fn fn)
{
	return (unsigned int)fn < AF_ALL_NR ? fns[fn].name : "?";
}

const char *alloc_fn_cxx(enum alloc_fn fn)
{
	return (unsigned int)fn < AF_ALL_NR ? fns[fn].cxx : NULL;
}

enum alloc_class alloc_fn_class(enum alloc_fn fn)
{
	return (unsigned int)fn < AF_ALL_NR ? (enum alloc_class)fns[fn].cls : CLS_NR;
}

enum alloc_group alloc_fn_group(enum alloc_fn fn)
{
	return (unsigned int)fn < AF_ALL_NR ? (enum alloc_group)fns[fn].group : 0;
}

/* What each entry program in bpf/leak.bpf.c reads from pt_regs at its
 * probe: the arguments its BPF_KPROBE declares (a superset of those it
 * uses: posix_memalign's alignment, mmap's prot, ...), and the stack
 * pointer (enter(), free_entry() and delete_entry() key the call by it and
 * first_free() reads the return address at it). entry_multi declares a0-a4
 * for all of them, but its cookie picks one case per probe, and each case
 * passes on only arguments listed here: a register it loads and never uses
 * cannot change what it records. Nothing reads ip, rbp or any other
 * register at entry; the stack walk happens at the return. */
#define A0 UREG_RDI
#define A1 UREG_RSI
#define A2 UREG_RDX
#define A3 UREG_RCX
#define A4 UREG_R8

static const uint16_t class_reads[CLS_NR] = {
	[CLS_MALLOC] = A0,
	[CLS_CALLOC] = A0 | A1,
	[CLS_REALLOC] = A0 | A1,
	[CLS_REALLOCARRAY] = A0 | A1 | A2,
	[CLS_POSIX_MEMALIGN] = A0 | A1 | A2,
	[CLS_MEMALIGN] = A0 | A1,
	[CLS_ALIGNED_ALLOC] = A0 | A1,
	[CLS_VALLOC] = A0,
	[CLS_PVALLOC] = A0,
	[CLS_FREE] = A0,
	[CLS_MMAP] = A0 | A1 | A2 | A3 | A4,
	[CLS_MUNMAP] = A0 | A1,
	[CLS_MREMAP] = A0 | A1 | A2,
	[CLS_NEW] = A0,
	[CLS_NEW_ARRAY] = A0,
	[CLS_DELETE] = A0,
	[CLS_MALLOCX] = A0,
	[CLS_RALLOCX] = A0 | A1,
	[CLS_XALLOCX] = A0 | A1,
};

unsigned alloc_class_reads(enum alloc_class cls)
{
	return (unsigned int)cls < CLS_NR ? class_reads[cls] | UREG_RSP : 0;
}

/* ---- one object ------------------------------------------------------------ */

/* Bytes given to the chooser when a symbol has no size. */
#define ENTRY_BYTES 64
/* The branch scan reads at most this much of a function. */
#define MAX_BODY_BYTES (256 << 10)

/* The function's bytes, read from the file with pread(): a mapping of the
 * file (libelf's, or the process's) shows the int3 of any uprobe another
 * tracer holds there, which would read as "trap instruction". */
static uint8_t *read_code(int fd, uint64_t off, size_t *len)
{
	uint8_t *buf = malloc(*len ? *len : 1);
	size_t got = 0;

	while (buf && got < *len) {
		ssize_t n = pread(fd, buf + got, *len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	if (buf && !got) {
		free(buf);
		return NULL;
	}
	*len = got;
	return buf;
}

static void plan_one(int fd, bool x86, const struct elf_func *fn, unsigned reads,
		     struct probe_site *s)
{
	uint8_t *code;
	size_t size;
	int off, target;

	s->found = true;
	s->entry = fn->offset;
	if (fn->ifunc) {
		s->why = "not probed: an IFUNC symbol is its resolver, not the function";
		return;
	}
	if (!x86) {
		s->offset = 0;
		s->ret_ok = true;
		s->why = "entry: placement rules exist for x86-64 only";
		return;
	}
	size = fn->size ? (fn->size < MAX_BODY_BYTES ? fn->size : MAX_BODY_BYTES) : ENTRY_BYTES;
	code = read_code(fd, fn->offset, &size);
	if (!code) {
		s->why = "not probed: the function's bytes are not in the file";
		return;
	}
	off = uprobe_choose_offset(code, size, reads, s);
	/* Without a size the body is unknown: nothing to scan. */
	if (off > 0 && fn->size) {
		target = uprobe_branch_into(code, size, 0, off);
		/* Choose again among the instructions before the target. */
		if (target > 0 && uprobe_choose_offset(code, target, reads, s) >= 0)
			s->why = "a branch inside the function lands in the skipped bytes: "
				 "probe kept before it";
	}
	free(code);
}

static void site_reset(struct probe_site *s)
{
	*s = (struct probe_site){
		.obj = -1,
		.offset = -1,
		.alias_of = -1,
		.why = "not defined",
	};
}

/* Plan the functions want[] (want[i] set) of the object at path whose
 * sites are not found yet. names[i] is each one's full symbol. Returns
 * how many it found, or -errno. */
static int plan_names(const char *path, const char *const *names, const bool *want, int n,
		      unsigned flags, int obj, struct probe_site *sites)
{
	struct elf_func *fn;
	struct elf_file *ef;
	int i, j, found = 0, fd, err;
	bool x86;

	fn = calloc(n, sizeof(*fn));
	if (!fn)
		return -ENOMEM;
	ef = elf_file_open(path);
	fd = ef ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1;
	if (!ef || fd < 0) {
		err = -errno;
		elf_file_close(ef);
		free(fn);
		return err;
	}
	err = elf_file_find_funcs(ef, NULL, names, n, flags, fn);
	if (err < 0)
		goto out;
	x86 = elf_file_machine(ef) == EM_X86_64 && elf_file_class(ef) == ELFCLASS64;
	for (i = 0; i < n; i++) {
		if (!want[i] || !fn[i].found || sites[i].found)
			continue;
		plan_one(fd, x86, &fn[i], alloc_class_reads(fns[i].cls), &sites[i]);
		sites[i].obj = obj;
		found++;
	}
	/* An alias: the same entry in the same object, attached once. */
	for (i = 0; i < n; i++) {
		if (!sites[i].found || sites[i].obj != obj || !want[i])
			continue;
		for (j = 0; j < i; j++) {
			if (sites[j].found && sites[j].obj == obj && sites[j].entry == sites[i].entry) {
				sites[i].alias_of = sites[j].alias_of >= 0 ? sites[j].alias_of : j;
				break;
			}
		}
	}
	err = found;
out:
	close(fd);
	elf_file_close(ef);
	free(fn);
	return err;
}

int uprobe_plan(const char *path, const char *prefix, struct probe_site sites[AF_NR])
{
	char full[AF_NR][128];
	const char *names[AF_NR];
	bool want[AF_NR];
	int i;

	for (i = 0; i < AF_NR; i++) {
		site_reset(&sites[i]);
		snprintf(full[i], sizeof(full[i]), "%s%s", prefix ? prefix : "", fns[i].name);
		names[i] = full[i];
		want[i] = true;
	}
	return plan_names(path, names, want, AF_NR, 0, 0, sites);
}

void uprobe_plan_init(struct uprobe_plan *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < AF_ALL_NR; i++)
		site_reset(&p->sites[i]);
}

void uprobe_plan_free(struct uprobe_plan *p)
{
	for (int i = 0; i < p->nobj; i++)
		free(p->obj[i]);
	p->nobj = 0;
}

int uprobe_plan_add(struct uprobe_plan *p, const char *path, const char *prefix,
		    unsigned groups, bool dynsym_only)
{
	static char full[AF_ALL_NR][160];
	const char *names[AF_ALL_NR];
	bool want[AF_ALL_NR], any = false;
	int i, n;

	for (i = 0; i < AF_ALL_NR; i++) {
		bool prefixed = fns[i].group & (AG_C | AG_JEMALLOC);

		want[i] = (fns[i].group & groups) && !p->sites[i].found;
		any |= want[i];
		snprintf(full[i], sizeof(full[i]), "%s%s", prefixed && prefix ? prefix : "",
			 fns[i].name);
		names[i] = full[i];
	}
	if (!any)
		return 0;
	for (i = 0; i < p->nobj; i++)
		if (!strcmp(p->obj[i], path))
			break;
	if (i == UPROBE_PLAN_MAX_OBJS)
		return -E2BIG;
	n = plan_names(path, names, want, AF_ALL_NR, dynsym_only ? ELF_FIND_DYNSYM_ONLY : 0, i,
		       p->sites);
	if (n <= 0 || i < p->nobj)
		return n;
	p->obj[i] = strdup(path);
	if (!p->obj[i]) {
		for (int k = 0; k < AF_ALL_NR; k++)
			if (p->sites[k].obj == i)
				site_reset(&p->sites[k]);
		return -ENOMEM;
	}
	p->nobj++;
	return n;
}
