// SPDX-License-Identifier: GPL-2.0
/* ELF function lookup for uprobe placement (see elfsym.h), through libelf
 * on a read-only mapping of the file. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syms/elfsym.h"

struct elf_file {
	int fd;
	Elf *elf;
	const uint8_t *image;
	size_t size;
	GElf_Ehdr ehdr;
	GElf_Phdr *phdr;
	size_t phnum;
	char *interp;
};

void elf_file_close(struct elf_file *ef)
{
	if (!ef)
		return;
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef->phdr);
	free(ef->interp);
	free(ef);
}

static int read_headers(struct elf_file *ef)
{
	size_t i;

	if (!gelf_getehdr(ef->elf, &ef->ehdr) || elf_getphdrnum(ef->elf, &ef->phnum))
		return -ENOEXEC;
	if (ef->phnum) {
		ef->phdr = calloc(ef->phnum, sizeof(*ef->phdr));
		if (!ef->phdr)
			return -ENOMEM;
	}
	for (i = 0; i < ef->phnum; i++) {
		GElf_Phdr *ph = &ef->phdr[i];

		if (!gelf_getphdr(ef->elf, i, ph))
			return -ENOEXEC;
		if (ph->p_type != PT_INTERP || ef->interp)
			continue;
		/* Untrusted file: the string must lie inside it. */
		if (ph->p_offset >= ef->size || ph->p_filesz > ef->size - ph->p_offset ||
		    !ph->p_filesz)
			return -ENOEXEC;
		ef->interp = strndup((const char *)ef->image + ph->p_offset, ph->p_filesz);
		if (!ef->interp)
			return -ENOMEM;
	}
	return 0;
}

struct elf_file *elf_file_open(const char *path)
{
	struct elf_file *ef;
	struct stat st;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return NULL;
	/* O_NONBLOCK: a FIFO planted where a library should be must not hang
	 * us in open(); it is refused below as not a regular file. */
	ef->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (ef->fd < 0) {
		err = -errno;
		goto fail;
	}
	if (fstat(ef->fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -ENOEXEC;
		goto fail;
	}
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto fail;
	}
	ef->image = (const uint8_t *)elf_rawfile(ef->elf, &ef->size);
	if (!ef->image) {
		err = -ENOEXEC;
		goto fail;
	}
	err = read_headers(ef);
	if (err)
		goto fail;
	return ef;
fail:
	elf_file_close(ef);
	errno = -err;
	return NULL;
}

int elf_file_machine(const struct elf_file *ef)
{
	return ef->ehdr.e_machine;
}

int elf_file_class(const struct elf_file *ef)
{
	return ef->ehdr.e_ident[EI_CLASS];
}

const char *elf_file_interp(const struct elf_file *ef)
{
	return ef->interp;
}

int elf_file_segment(const struct elf_file *ef, uint32_t type, uint64_t *vaddr,
		     uint64_t *offset, uint64_t *memsz)
{
	for (size_t i = 0; i < ef->phnum; i++) {
		const GElf_Phdr *ph = &ef->phdr[i];

		if (ph->p_type != type)
			continue;
		if (vaddr)
			*vaddr = ph->p_vaddr;
		if (offset)
			*offset = ph->p_offset;
		if (memsz)
			*memsz = ph->p_memsz;
		return 0;
	}
	return -ENOENT;
}

const uint8_t *elf_file_bytes(const struct elf_file *ef, uint64_t off, size_t *len)
{
	if (off >= ef->size) {
		*len = 0;
		return NULL;
	}
	if (*len > ef->size - off)
		*len = ef->size - off;
	return ef->image + off;
}

/* File offset of a virtual address: through the PT_LOAD that holds its
 * bytes in the file (not one where it would be bss). */
static int vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < ef->phnum; i++) {
		const GElf_Phdr *ph = &ef->phdr[i];

		if (ph->p_type != PT_LOAD || vaddr < ph->p_vaddr ||
		    vaddr - ph->p_vaddr >= ph->p_filesz)
			continue;
		*off = vaddr - ph->p_vaddr + ph->p_offset;
		return *off < ef->size ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* How good a definition is when a name has several: the default version
 * (glibc keeps old versions of some functions, e.g. __libc_start_main@
 * GLIBC_2.2.5 beside @@GLIBC_2.34) beats an old one, then global beats
 * weak beats local. */
static int sym_rank(const GElf_Sym *sym, bool default_version)
{
	int rank;

	switch (GELF_ST_BIND(sym->st_info)) {
	case STB_GLOBAL:
		rank = 3;
		break;
	case STB_WEAK:
		rank = 2;
		break;
	default:
		rank = 1;
		break;
	}
	return rank + (default_version ? 4 : 0);
}

struct find_ctx {
	const char *prefix;
	size_t prefix_len;
	const char *const *names;
	int n;
	struct elf_func *out;
	int *rank;
};

static void scan_symbols(struct elf_file *ef, Elf_Scn *scn, const GElf_Shdr *sh,
			 Elf_Data *versym, bool dynamic, struct find_ctx *c)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t symsz = gelf_fsize(ef->elf, ELF_T_SYM, 1, EV_CURRENT);
	size_t count, i;

	if (!data || !symsz)
		return;
	count = data->d_size / symsz;
	/* A versym table that does not match the symbol table is ignored. */
	if (versym && versym->d_size / sizeof(GElf_Versym) != count)
		versym = NULL;
	for (i = 1; i < count; i++) {
		const char *name, *at;
		bool default_version = true;
		GElf_Versym vs;
		size_t blen;
		GElf_Sym sym;
		uint64_t off;
		int type, j, rank;

		if (!gelf_getsym(data, i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || !sym.st_value)
			continue;
		name = elf_strptr(ef->elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		if (c->prefix_len) {
			if (strncmp(name, c->prefix, c->prefix_len))
				continue;
			name += c->prefix_len;
		}
		/* .symtab spells versions into the name: "f@VER" is an old
		 * version, "f@@VER" the default. */
		at = strchr(name, '@');
		blen = at ? (size_t)(at - name) : strlen(name);
		if (at && at[1] != '@')
			default_version = false;
		if (versym && gelf_getversym(versym, i, &vs) && (vs & 0x8000))
			default_version = false;
		for (j = 0; j < c->n; j++) {
			if (strncmp(name, c->names[j], blen) || c->names[j][blen])
				continue;
			rank = sym_rank(&sym, default_version);
			if (rank <= c->rank[j] || vaddr_to_offset(ef, sym.st_value, &off))
				break;
			c->rank[j] = rank;
			c->out[j] = (struct elf_func){
				.found = true,
				.ifunc = type == STT_GNU_IFUNC,
				.dynamic = dynamic,
				.vaddr = sym.st_value,
				.offset = off,
				.size = sym.st_size,
			};
			break;
		}
	}
}

int elf_file_find_funcs(struct elf_file *ef, const char *prefix,
			const char *const *names, int n, unsigned flags,
			struct elf_func *out)
{
	Elf_Scn *scn = NULL, *dynsym = NULL, *symtab = NULL;
	GElf_Shdr sh, dyn_sh, sym_sh;
	Elf_Data *versym = NULL;
	struct find_ctx c = {
		.prefix = prefix,
		.prefix_len = prefix ? strlen(prefix) : 0,
		.names = names,
		.n = n,
		.out = out,
	};
	int found = 0, i;

	memset(out, 0, n * sizeof(*out));
	c.rank = calloc(n, sizeof(*c.rank));
	if (!c.rank)
		return -ENOMEM;
	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM && !dynsym) {
			dynsym = scn;
			dyn_sh = sh;
		} else if (sh.sh_type == SHT_SYMTAB && !symtab) {
			symtab = scn;
			sym_sh = sh;
		} else if (sh.sh_type == SHT_GNU_versym && !versym) {
			versym = elf_getdata(scn, NULL);
		}
	}
	if (dynsym)
		scan_symbols(ef, dynsym, &dyn_sh, versym, true, &c);
	if (symtab && !(flags & ELF_FIND_DYNSYM_ONLY)) {
		/* .dynsym answers first; .symtab only fills the gaps. */
		for (i = 0; i < n; i++)
			c.rank[i] = out[i].found ? 1 << 30 : 0;
		scan_symbols(ef, symtab, &sym_sh, NULL, false, &c);
	}
	free(c.rank);
	for (i = 0; i < n; i++)
		found += out[i].found;
	return found;
}
