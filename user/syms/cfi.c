// SPDX-License-Identifier: GPL-2.0
/* Unwind tables from .eh_frame (see cfi.h).
 *
 * libdw interprets the call-frame instructions (dwarf_cfi_addrframe gives
 * the rule at an address and the range it holds for); .eh_frame_hdr's
 * sorted table gives where every FDE starts, so each function is walked
 * row by row from its first address to its end. A rule the BPF walker
 * cannot follow (a CFA from an expression, as in the PLT; an offset out
 * of range) becomes UNW_NONE, where the walker falls back to the frame
 * pointer. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>

#include "syms/cfi.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

static int push(struct cfi_table *t, uint64_t pc, const struct unw_row *r, bool gap)
{
	struct unw_row *last = t->n ? &t->rows[t->n - 1] : NULL;

	if (pc > UINT32_MAX)
		return 0;	/* beyond what a row holds: no table there */
	if (last && last->pc == pc) {
		/* An empty range before: the new rule wins. */
		*last = *r;
		last->pc = pc;
		if (t->n > 1 && !memcmp(&t->rows[t->n - 2].cfa_off, &last->cfa_off, 4))
			t->n--;
		return 0;
	}
	if (last && pc < last->pc)
		return 0;	/* overlapping FDEs: keep the first */
	if (last && !memcmp(&last->cfa_off, &r->cfa_off, 4))
		return 0;	/* same rule: the range grows */
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct unw_row *n = realloc(t->rows, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->rows = n;
		t->cap = cap;
	}
	t->rows[t->n] = *r;
	t->rows[t->n].pc = pc;
	if ((r->rule & UNW_RULE_MASK) == UNW_NONE && !gap)
		t->fallback++;
	t->n++;
	return 0;
}

/* The rule of one libdw frame row. */
static void rule_of(Dwarf_Frame *f, struct unw_row *r)
{
	Dwarf_Op ops_mem[3], *ops;
	size_t nops;
	int64_t off;

	memset(r, 0, sizeof(*r));
	/* The return address: undefined marks the outermost frame; anything
	 * but "saved at CFA - 8" is beyond the walker. */
	if (dwarf_frame_register(f, REG_RA, ops_mem, &ops, &nops))
		return;
	if (ops && nops == 0) {
		r->rule = UNW_END;
		return;
	}
	if (!ops || nops != 2 || ops[0].atom != DW_OP_call_frame_cfa ||
	    ops[1].atom != DW_OP_plus_uconst || (int64_t)ops[1].number != -8)
		return;
	if (dwarf_frame_cfa(f, &ops, &nops) || nops != 1 || ops[0].atom != DW_OP_bregx)
		return;
	off = (int64_t)ops[0].number2;
	if (off < INT16_MIN || off > INT16_MAX)
		return;
	if (ops[0].number == REG_RSP)
		r->rule = UNW_CFA_SP;
	else if (ops[0].number == REG_RBP)
		r->rule = UNW_CFA_BP;
	else
		return;
	r->cfa_off = (int16_t)off;
	/* rbp: saved at CFA + n, or untouched (same value, unspecified). */
	if (dwarf_frame_register(f, REG_RBP, ops_mem, &ops, &nops))
		return;
	if (ops && nops == 2 && ops[0].atom == DW_OP_call_frame_cfa &&
	    ops[1].atom == DW_OP_plus_uconst) {
		off = (int64_t)ops[1].number;
		if (off % 8 == 0 && off / 8 >= INT8_MIN && off / 8 <= INT8_MAX) {
			r->bp_off = (int8_t)(off / 8);
			r->rule |= UNW_BP_SAVED;
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Function starts from .eh_frame_hdr's search table (GNU ld, gold, lld
 * and mold all write it with datarel|sdata4 entries; lld types the section
 * SHT_X86_64_UNWIND). */
static int fde_starts(Elf *elf, uint64_t **out, size_t *n)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;

	*out = NULL;
	*n = 0;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return -ENODATA;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *d;
		const uint8_t *p, *end;
		uint64_t count, *v;
		size_t k;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_PROGBITS && sh.sh_type != SHT_X86_64_UNWIND))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".eh_frame_hdr"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size < 12)
			return -ENODATA;
		p = d->d_buf;
		end = p + d->d_size;
		/* version 1; eh_frame_ptr any 4-byte encoding; count udata4;
		 * table datarel|sdata4. */
		if (p[0] != 1 || p[2] != DW_EH_PE_udata4 || p[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4) ||
		    (p[1] & 0x0f) != DW_EH_PE_sdata4)
			return -ENODATA;
		count = (uint32_t)(p[8] | p[9] << 8 | p[10] << 16 | (uint32_t)p[11] << 24);
		p += 12;
		if (count > (size_t)(end - p) / 8)
			return -ENODATA;
		v = malloc((count ? count : 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (k = 0; k < count; k++, p += 8) {
			int32_t rel;

			memcpy(&rel, p, 4);
			v[k] = sh.sh_addr + (int64_t)rel;
		}
		qsort(v, count, sizeof(*v), cmp_u64);
		*out = v;
		*n = count;
		return 0;
	}
	return -ENODATA;
}

/* A DW_EH_PE-encoded pointer at p (field at address at), into *v; bytes
 * used, 0 if the encoding is not one of those x86-64 objects use. */
static size_t read_encoded(const uint8_t *p, const uint8_t *end, uint8_t enc, uint64_t at,
			   uint64_t *v)
{
	size_t n;
	int64_t x = 0;

	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		n = 8;
		break;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		n = 4;
		break;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		n = 2;
		break;
	default:
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	if (n == 8) {
		memcpy(&x, p, 8);
	} else if (n == 4) {
		int32_t s4;
		uint32_t u4;

		memcpy(&s4, p, 4);
		memcpy(&u4, p, 4);
		x = (enc & 0x0f) == DW_EH_PE_sdata4 ? s4 : (int64_t)u4;
	} else {
		int16_t s2;
		uint16_t u2;

		memcpy(&s2, p, 2);
		memcpy(&u2, p, 2);
		x = (enc & 0x0f) == DW_EH_PE_sdata2 ? s2 : (int64_t)u2;
	}
	switch (enc & 0x70) {
	case 0:
		break;
	case DW_EH_PE_pcrel:
		x += (int64_t)at;
		break;
	default:
		return 0;
	}
	*v = (uint64_t)x;
	return n;
}

/* The FDE pointer encoding of a CIE ('R' in its augmentation), 0xff if
 * it cannot be told. */
static uint8_t cie_fde_encoding(const Dwarf_CIE *cie)
{
	const uint8_t *d = cie->augmentation_data, *end = d + cie->augmentation_data_size;
	const char *a = cie->augmentation;
	uint64_t dummy;

	if (!a || a[0] != 'z')
		return a && !a[0] ? DW_EH_PE_absptr : 0xff;
	for (a++; *a && d; a++) {
		switch (*a) {
		case 'R':
			return d < end ? *d : 0xff;
		case 'L':
			d++;
			break;
		case 'P': {
			size_t n;

			if (d >= end)
				return 0xff;
			n = read_encoded(d + 1, end, d[0] & 0x7f, 0, &dummy);
			if (!n)
				return 0xff;
			d += 1 + n;
			break;
		}
		case 'S':
		case 'B':
			break;
		default:
			return 0xff;
		}
	}
	return DW_EH_PE_absptr;
}

/* Function starts from .eh_frame itself, for objects linked without
 * .eh_frame_hdr (static programs). */
static int fde_starts_scan(Elf *elf, uint64_t **out, size_t *n)
{
	struct { Dwarf_Off off; uint8_t enc; } cies[64];
	size_t ncies = 0, cap = 0, shstrndx;
	Elf_Scn *scn = NULL;
	uint64_t *v = NULL;
	GElf_Shdr sh;
	Elf_Data *d = NULL;
	const unsigned char *ident;

	*out = NULL;
	*n = 0;
	ident = (const unsigned char *)elf_getident(elf, NULL);
	if (!ident || elf_getshdrstrndx(elf, &shstrndx))
		return -ENODATA;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_PROGBITS && sh.sh_type != SHT_X86_64_UNWIND))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".eh_frame")) {
			d = elf_getdata(scn, NULL);
			break;
		}
	}
	if (!d || !d->d_buf)
		return -ENODATA;
	for (Dwarf_Off off = 0, next; off < d->d_size; off = next) {
		Dwarf_CFI_Entry e;
		uint64_t start;
		uint8_t enc = 0xff;

		if (dwarf_next_cfi(ident, d, true, off, &next, &e) || next <= off)
			break;
		if (dwarf_cfi_cie_p(&e)) {
			if (ncies < sizeof(cies) / sizeof(cies[0])) {
				cies[ncies].off = off;
				cies[ncies].enc = cie_fde_encoding(&e.cie);
				ncies++;
			}
			continue;
		}
		for (size_t k = 0; k < ncies; k++)
			if (cies[k].off == e.fde.CIE_pointer)
				enc = cies[k].enc;
		if (enc == 0xff ||
		    !read_encoded(e.fde.start, e.fde.end, enc,
				  sh.sh_addr + (uint64_t)(e.fde.start - (const uint8_t *)d->d_buf), &start))
			continue;
		if (*n == cap) {
			size_t c = cap ? cap * 2 : 1024;
			uint64_t *nv = realloc(v, c * sizeof(*nv));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = c;
		}
		v[(*n)++] = start;
	}
	if (!*n) {
		free(v);
		return -ENODATA;
	}
	qsort(v, *n, sizeof(*v), cmp_u64);
	*out = v;
	return 0;
}

static int build(int fd, struct cfi_table *t, bool scan_only)
{
	static const struct unw_row none = { .rule = UNW_NONE };
	uint64_t *starts = NULL;
	Dwarf_CFI *cfi = NULL;
	size_t nstarts = 0;
	Elf *elf;
	int err = 0;

	memset(t, 0, sizeof(*t));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto out;
	}
	if (gelf_getclass(elf) != ELFCLASS64) {
		err = -ENOEXEC;
		goto out;
	}
	{
		size_t nph;

		if (elf_getphdrnum(elf, &nph))
			nph = 0;
		for (size_t i = 0; i < nph && t->nloads < 8; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
				t->loads[t->nloads].offset = ph.p_offset;
				t->loads[t->nloads].vaddr = ph.p_vaddr;
				t->loads[t->nloads].filesz = ph.p_filesz;
				t->nloads++;
			}
		}
	}
	err = scan_only ? -ENODATA : fde_starts(elf, &starts, &nstarts);
	if (err == -ENODATA)
		err = fde_starts_scan(elf, &starts, &nstarts);
	if (err)
		goto out;
	cfi = dwarf_getcfi_elf(elf);
	if (!cfi) {
		err = -ENODATA;
		goto out;
	}
	for (size_t i = 0; i < nstarts && !err; i++) {
		uint64_t pc = starts[i], next = i + 1 < nstarts ? starts[i + 1] : UINT64_MAX;
		bool any = false;

		if (i && starts[i] == starts[i - 1])
			continue;
		t->fdes++;
		while (pc < next && !err) {
			Dwarf_Frame *f = NULL;
			Dwarf_Addr lo, hi;
			struct unw_row r;

			if (dwarf_cfi_addrframe(cfi, pc, &f) || !f)
				break;
			if (dwarf_frame_info(f, &lo, &hi, NULL) < 0 || hi <= pc || lo > pc) {
				free(f);
				break;
			}
			rule_of(f, &r);
			free(f);
			err = push(t, pc, &r, false);
			any = true;
			pc = hi;
		}
		/* Between this function's end and the next one's start: none. */
		if (any && pc < next && !err)
			err = push(t, pc, &none, true);
	}
out:
	if (cfi)
		dwarf_cfi_end(cfi);
	if (elf)
		elf_end(elf);
	free(starts);
	if (err)
		cfi_table_free(t);
	return err;
}

int cfi_table_build(int fd, struct cfi_table *t)
{
	return build(fd, t, false);
}

int cfi_table_build_scan(int fd, struct cfi_table *t)
{
	return build(fd, t, true);
}

void cfi_table_free(struct cfi_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

bool cfi_table_bias(const struct cfi_table *t, uint64_t start, uint64_t pgoff, uint64_t *bias)
{
	for (int i = 0; i < t->nloads; i++)
		if (pgoff >= t->loads[i].offset && pgoff - t->loads[i].offset < t->loads[i].filesz) {
			*bias = start - pgoff + t->loads[i].offset - t->loads[i].vaddr;
			return true;
		}
	return false;
}

const struct unw_row *cfi_table_find(const struct cfi_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->n;

	if (!t->n || pc < t->rows[0].pc || pc > UINT32_MAX)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return &t->rows[lo];
}
