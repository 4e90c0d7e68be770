// SPDX-License-Identifier: GPL-2.0
/* Separate debug files, found as gdb and libdwfl's standard callback find
 * them, but never through debuginfod (see debuginfo.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>

#include "core/log.h"
#include "core/procfs.h"
#include "syms/debuginfo.h"
#include "syms/modfile.h"

#define DEBUG_DIR "/usr/lib/debug"

static bool elf_has_dwarf(Elf *elf)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
			return true;
	}
	return false;
}

/* Bytes libdw will inflate into memory for this file's DWARF: it
 * decompresses every compressed debug section when it opens the file. */
static size_t elf_inflate_cost(Elf *elf)
{
	size_t shstrndx, cost = 0;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		GElf_Chdr ch;
		const char *name;
		ssize_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if ((sh.sh_flags & SHF_COMPRESSED) && !strncmp(name, ".debug_", 7)) {
			if (gelf_getchdr(scn, &ch))
				cost += ch.ch_size;
		} else if (!strncmp(name, ".zdebug_", 8)) {
			n = dwelf_scn_gnu_compressed_size(scn);
			if (n > 0)
				cost += n;
		}
	}
	return cost;
}

/* The .gnu_debugaltlink section: a file name, NUL, the file's build-id. */
static bool elf_altlink(Elf *elf, const char **name, const void **id, size_t *id_len)
{
	size_t shstrndx, n;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *s;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		s = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!s || strcmp(s, ".gnu_debugaltlink"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || !d->d_size)
			return false;
		s = d->d_buf;
		n = strnlen(s, d->d_size);
		if (n == 0 || n + 1 >= d->d_size)
			return false;
		*name = s;
		*id = s + n + 1;
		*id_len = d->d_size - n - 1;
		return true;
	}
	return false;
}

static bool id_matches(Elf *elf, const void *id, size_t id_len)
{
	const void *got;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &got);

	return n > 0 && (size_t)n == id_len && !memcmp(got, id, id_len);
}

struct found {
	char *path;
	bool in_root;
	Elf *elf;		/* open while searching */
	int fd;
};

static void found_close(struct found *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->elf = NULL;
	f->fd = -1;
}

/* Try one candidate, a path in the target's root (in_root) or in ours;
 * true if it is a debug file for the module: carries want_id when given,
 * and is not the main file under another name. */
static bool try_candidate(int root_fd, bool in_root, const char *path,
			  const void *want_id, size_t want_len,
			  const struct stat *main_st, struct found *out)
{
	struct stat st;
	Elf *elf;
	int fd;

	fd = open_regular(in_root ? root_fd : -1, path);
	if (fd < 0)
		return false;
	if (main_st && !fstat(fd, &st) && st.st_dev == main_st->st_dev &&
	    st.st_ino == main_st->st_ino)
		goto reject;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		goto reject_elf;
	if (want_len && !id_matches(elf, want_id, want_len))
		goto reject_elf;
	out->path = strdup(path);
	if (!out->path)
		goto reject_elf;
	out->in_root = in_root;
	out->elf = elf;
	out->fd = fd;
	log_debug("debuginfo: debug file %s%s", in_root && root_fd >= 0 ? "(target root) " : "",
		  path);
	return true;
reject_elf:
	if (elf)
		elf_end(elf);
reject:
	close(fd);
	return false;
}

/* path in the target's root, then in ours if that is another one. */
static bool try_roots(int root_fd, const char *path, const void *want_id, size_t want_len,
		      const struct stat *main_st, struct found *out)
{
	return try_candidate(root_fd, true, path, want_id, want_len, main_st, out) ||
	       (root_fd >= 0 && try_candidate(root_fd, false, path, want_id, want_len, main_st, out));
}

/* "/usr/lib/debug/.build-id/ab/cdef....debug". */
static bool find_by_build_id(int root_fd, const unsigned char *id, size_t len,
			     const struct stat *main_st, struct found *out)
{
	char path[PATH_MAX], *p;
	size_t i;

	if (len < 2 || len > 64)
		return false;
	p = path + snprintf(path, sizeof(path), DEBUG_DIR "/.build-id/%02x/", id[0]);
	for (i = 1; i < len; i++)
		p += sprintf(p, "%02x", id[i]);
	strcpy(p, ".debug");
	return try_roots(root_fd, path, id, len, main_st, out);
}

/* The module's directory as the target sees it, for .gnu_debuglink. */
static void module_dir(const char *module_path, char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", module_path);
	path_strip_deleted(buf);
	slash = strrchr(buf, '/');
	if (slash)
		*slash = 0;
	else
		buf[0] = 0;
}

static bool find_by_debuglink(int root_fd, const char *module_path, Elf *main_elf,
			      const unsigned char *id, int id_len, const struct stat *main_st,
			      struct found *out)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	const char *link;
	GElf_Word crc;

	link = dwelf_elf_gnu_debuglink(main_elf, &crc);
	if (!link || !*link || strchr(link, '/') || module_path[0] != '/')
		return false;
	/* Without a build-id the CRC is not checked either (as with "-" in
	 * libdwfl's debuginfo_path): debug files are found by name. */
	module_dir(module_path, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, link);
	if (try_candidate(root_fd, true, path, id, id_len, main_st, out))
		return true;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, link);
	if (try_candidate(root_fd, true, path, id, id_len, main_st, out))
		return true;
	snprintf(path, sizeof(path), DEBUG_DIR "%s/%s", dir, link);
	return try_roots(root_fd, path, id, id_len, main_st, out);
}

/* The dwz file shared by several debug files. */
static bool find_alt(int root_fd, struct debuginfo *d, Elf *dw_elf, bool dw_in_root,
		     const char *dw_path, struct found *out)
{
	char path[PATH_MAX * 2], dir[PATH_MAX], *slash;
	const void *id;
	const char *name;
	size_t id_len;

	if (!elf_altlink(dw_elf, &name, &id, &id_len))
		return false;
	free(d->alt_name);
	d->alt_name = strdup(name);
	if (!d->alt_name)
		return false;
	if (name[0] == '/') {
		if (try_roots(root_fd, name, id, id_len, NULL, out))
			return true;
	} else if (dw_path) {
		snprintf(dir, sizeof(dir), "%s", dw_path);
		slash = strrchr(dir, '/');
		if (slash) {
			*slash = 0;
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (try_candidate(root_fd, dw_in_root, path, id, id_len, NULL, out))
				return true;
		}
	}
	return find_by_build_id(root_fd, id, id_len, NULL, out);
}

void debuginfo_find(int root_fd, const char *module_path, Elf *main_elf,
		    const unsigned char *id, int id_len, const struct stat *main_st,
		    struct debuginfo *d)
{
	struct found dbg = { .fd = -1 }, alt = { .fd = -1 };

	if (id_len < 0)
		id_len = 0;
	if (elf_has_dwarf(main_elf)) {
		d->has_dwarf = true;
		d->inflate_cost = elf_inflate_cost(main_elf);
		if (find_alt(root_fd, d, main_elf, true, module_path, &alt)) {
			d->inflate_cost += elf_inflate_cost(alt.elf);
			d->alt_path = alt.path;
			d->alt_in_root = alt.in_root;
			found_close(&alt);
		}
		return;
	}
	if (!(id_len > 0 && find_by_build_id(root_fd, id, id_len, main_st, &dbg)) &&
	    !find_by_debuglink(root_fd, module_path, main_elf, id, id_len, main_st, &dbg))
		return;
	/* A debug file with symbols only is still worth having. */
	d->path = dbg.path;
	d->in_root = dbg.in_root;
	d->has_dwarf = elf_has_dwarf(dbg.elf);
	if (!d->has_dwarf) {
		found_close(&dbg);
		return;
	}
	d->inflate_cost = elf_inflate_cost(dbg.elf);
	if (find_alt(root_fd, d, dbg.elf, dbg.in_root, dbg.path, &alt)) {
		d->inflate_cost += elf_inflate_cost(alt.elf);
		d->alt_path = alt.path;
		d->alt_in_root = alt.in_root;
		found_close(&alt);
	}
	found_close(&dbg);
}

void debuginfo_free(struct debuginfo *d)
{
	free(d->path);
	free(d->alt_name);
	free(d->alt_path);
	memset(d, 0, sizeof(*d));
}
