// SPDX-License-Identifier: GPL-2.0
/* User-space symbolization with libdwfl (see usyms.h).
 *
 * Why not dwfl_linux_proc_report() and dwfl_linux_proc_find_elf()? In
 * elfutils 0.188 they open the path from the maps line, lazily, in *our*
 * root: the wrong file or none for a process in a container, nothing once
 * the container's process is gone. A deleted file is read from
 * /proc/PID/mem only after dwfl_linux_proc_attach(), which ptrace-stops
 * the target, and the image in memory has no .symtab. And the load bias is
 * taken from where a file's first mapping starts, as if ld.so had mapped
 * it. So modules are reported here, one libdwfl module per file, from a
 * descriptor opened through /proc/PID/map_files/START-END at refresh and
 * held open.
 *
 * Load bias: every module is reported with bias 0, i.e. libdwfl sees
 * link-time addresses. An address is turned into one by way of the file:
 * the mapping gives its file offset (addr - start + pgoff), the PT_LOAD
 * segment holding that offset gives the link-time address (offset -
 * p_offset + p_vaddr). That is the same as addr - load bias for what ld.so
 * and the kernel map, and also right for an ELF file mmap()ed whole (a JIT
 * or a test doing it), whose segments are not where ld.so would put them.
 * Since we never ask libdwfl which module an address is in, its modules may
 * overlap in its address space; their names are made unique, because
 * libdwfl takes a second module with the same name and range for the first.
 *
 * Descriptors: a target can map thousands of ELF files (plugins, JIT
 * dumps), and each open module costs one descriptor of ours plus those
 * libdwfl holds (a dup, debug files). All of them count against fd_max:
 * past it, the least recently used of our own are closed (modules that
 * never resolved an address first: after the target exits a closed one is
 * lost for good) and reopened through map_files when needed again; if
 * only libdwfl's are left, the Dwfl is dropped as for memory. The soft
 * RLIMIT_NOFILE is raised to the hard one once, for the rest of memscope.
 *
 * Memory: libdw builds line tables a whole compile unit at a time (1.6 MB
 * for CPython's ceval.c), inflates compressed DWARF whole (10 MB for
 * libc6-dbg), and what it reads of the mapped files stays resident. Our
 * RSS growth inside libdw calls is counted, and past the budget the whole
 * Dwfl is dropped and rebuilt on the next miss: the strings we hand out
 * are our own copies and answers are cached, so nothing handed out goes
 * stale. The files stay open (ours, libdwfl gets dups) for the rebuild.
 *
 * Debug files are found by our own find_debuginfo callback (syms/debuginfo.h
 * says where it looks, and why not dwfl_standard_find_debuginfo()). */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include "core/hmap.h"
#include "core/log.h"
#include "core/procfs.h"
#include "core/ranges.h"
#include "core/strpool.h"
#include "core/strutil.h"
#include "syms/debuginfo.h"
#include "syms/demangle.h"
#include "syms/modfile.h"
#include "syms/usyms.h"
#include "syms/usyms_int.h"

/* ---- libdwfl callbacks ------------------------------------------------ */

/* Where this module's DWARF is and what loading it would cost. Runs once,
 * before libdwfl needs the answer (from symbol lookup or line lookup). */
static void search_debuginfo(struct usyms *u, struct umod *um)
{
	const unsigned char *id = NULL;
	struct stat main_st, *mst = NULL;
	GElf_Addr bias, vaddr;
	Elf *main_elf;
	int id_len;

	um->debug_searched = true;
	main_elf = dwfl_module_getelf(um->mod, &bias);
	if (!main_elf)
		return;
	if (um->st_ino) {
		main_st.st_dev = um->st_dev;
		main_st.st_ino = um->st_ino;
		mst = &main_st;
	}
	id_len = dwfl_module_build_id(um->mod, &id, &vaddr);
	debuginfo_find(u->root_fd, um->path, main_elf, id, id_len, mst, &um->dbg);
}

/* libdwfl asks for the separate debug file (for .symtab or DWARF), and,
 * once DWARF is open, for its dwz alternate (debuglink_file is then the
 * .gnu_debugaltlink name). */
static int find_debuginfo_cb(Dwfl_Module *mod, void **userdata, const char *modname,
			     GElf_Addr base, const char *file_name, const char *debuglink_file,
			     GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	struct umod *um = *userdata;
	const char *path;
	bool in_root;
	int fd;

	if (!um)
		return -1;
	if (!um->debug_searched)
		search_debuginfo(um->owner, um);
	if (debuglink_file && um->dbg.alt_name && !strcmp(debuglink_file, um->dbg.alt_name)) {
		path = um->dbg.alt_path;
		in_root = um->dbg.alt_in_root;
	} else {
		path = um->dbg.path;
		in_root = um->dbg.in_root;
	}
	if (!path)
		return -1;
	usyms_fd_make_room(um->owner, um, false);
	fd = open_regular(in_root ? um->owner->root_fd : -1, path);
	if (fd < 0)
		return -1;
	*debuginfo_file_name = strdup(path);
	if (!*debuginfo_file_name) {
		close(fd);
		return -1;
	}
	/* libdwfl keeps it until the Dwfl ends. */
	um->owner->nfds++;
	return fd;
}

/* Every module is reported with its descriptor: libdwfl never looks for
 * files by name in our file system. */
static int find_elf_cb(Dwfl_Module *mod, void **userdata, const char *modname,
		       Dwarf_Addr base, char **file_name, Elf **elfp)
{
	return -1;
}

/* ---- modules and mappings ---------------------------------------------- */

static void umod_free(struct umod *um)
{
	if (!um)
		return;
	if (um->fd >= 0)
		close(um->fd);
	free(um->path);
	free(um->segs);
	free(um->build_id);
	debuginfo_free(&um->dbg);
	free(um);
}

static void umod_read_segs(struct umod *um)
{
	const unsigned char *id;
	GElf_Addr bias, vaddr;
	size_t phnum, i;
	Elf *elf;
	int n;

	um->segs_read = true;
	elf = dwfl_module_getelf(um->mod, &bias);
	if (!elf || elf_getphdrnum(elf, &phnum))
		return;
	um->segs = calloc(phnum ? phnum : 1, sizeof(*um->segs));
	if (!um->segs)
		return;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		um->segs[um->nsegs++] = (struct useg){ ph.p_offset, ph.p_filesz, ph.p_vaddr };
	}
	n = dwfl_module_build_id(um->mod, &id, &vaddr);
	if (n > 0)
		um->build_id = hex_alloc(id, n);
}

/* Hand the module to libdwfl (again, after a drop) when first used. */
static bool umod_ready(struct usyms *u, struct umod *um)
{
	GElf_Addr bias;
	char name[64];
	void **userdata;
	int fd;

	if (um->mod)
		return true;
	if (um->dead || um->fd < 0)
		return false;
	usyms_fd_make_room(u, um, true);
	if (!u->dwfl) {
		u->dwfl = dwfl_begin(&u->cb);
		if (!u->dwfl)
			return false;
		u->dw_mem = 0;
	}
	fd = fcntl(um->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return false;
	/* Unique per module (see the top of this file); libdwfl's modname is
	 * not shown anywhere. */
	snprintf(name, sizeof(name), "%u:%.50s", um->serial,
		 strrchr(um->path, '/') ? strrchr(um->path, '/') + 1 : um->path);
	dwfl_report_begin_add(u->dwfl);
	um->mod = dwfl_report_elf(u->dwfl, name, um->path, fd, 0, true);
	dwfl_report_end(u->dwfl, NULL, NULL);
	if (!um->mod) {
		log_debug("usyms: %s: %s", um->path, dwfl_errmsg(-1));
		close(fd);
		um->dead = true;
		return false;
	}
	u->nfds++;	/* the dup is libdwfl's now */
	dwfl_module_info(um->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = um;
	modfile_advise_random(dwfl_module_getelf(um->mod, &bias));
	if (!um->segs_read)
		umod_read_segs(um);
	return true;
}

/* Free all libdw holds; modules are reported again when next used. */
void usyms_dwfl_drop(struct usyms *u)
{
	size_t i;

	if (!u->dwfl)
		return;
	log_debug("usyms: dropping libdw state (%zu KiB)", u->dw_mem >> 10);
	dwfl_end(u->dwfl);
	u->dwfl = NULL;
	u->dw_mem = 0;
	u->nfds = 0;
	for (i = 0; i < u->nmods; i++) {
		u->mods[i]->mod = NULL;
		u->mods[i]->dwarf_loaded = false;
		u->nfds += u->mods[i]->fd >= 0;
	}
	/* Line tables are many small blocks: give the heap's top back. */
	malloc_trim(0);
}

/* Link-time address of a file offset, through the segment holding it. */
static bool off_to_vaddr(const struct umod *um, uint64_t off, uint64_t *vaddr)
{
	int i;

	for (i = 0; i < um->nsegs; i++) {
		const struct useg *s = &um->segs[i];

		if (off >= s->off && off - s->off < s->filesz) {
			*vaddr = off - s->off + s->vaddr;
			return true;
		}
	}
	return false;
}

static struct umod *umod_find(struct usyms *u, const struct proc_map *pm, bool special,
			      const char *path)
{
	size_t i;

	for (i = 0; i < u->nmods; i++) {
		struct umod *um = u->mods[i];

		if (special ? um->special && !strcmp(um->path, path)
			    : !um->special && um->inode == pm->inode &&
			      um->dev_major == pm->dev_major && um->dev_minor == pm->dev_minor &&
			      (pm->inode || !strcmp(um->path, path)))
			return um;
	}
	return NULL;
}

static struct umod *umod_add(struct usyms *u, const struct proc_map *pm, bool special,
			     const char *path)
{
	struct umod *um;
	struct stat st;

	if (u->nmods == u->capmods) {
		size_t cap = u->capmods ? u->capmods * 2 : 16;
		struct umod **m = realloc(u->mods, cap * sizeof(*m));

		if (!m)
			return NULL;
		u->mods = m;
		u->capmods = cap;
	}
	um = calloc(1, sizeof(*um));
	if (!um)
		return NULL;
	um->owner = u;
	um->fd = -1;
	um->serial = u->nmods;
	um->special = special;
	um->path = strdup(path);
	if (!um->path) {
		free(um);
		return NULL;
	}
	if (!special || !strcmp(path, "[vdso]"))
		usyms_fd_make_room(u, NULL, true);
	if (!special) {
		um->dev_major = pm->dev_major;
		um->dev_minor = pm->dev_minor;
		um->inode = pm->inode;
		/* Now: the target may be gone when the module is first used. */
		um->fd = modfile_open_mapped(u->pid, u->root_fd, pm->start, pm->end, pm->path, pm->inode);
		if (um->fd >= 0 && !fstat(um->fd, &st)) {
			um->st_dev = st.st_dev;
			um->st_ino = st.st_ino;
		}
	} else if (!strcmp(path, "[vdso]")) {
		um->fd = modfile_vdso(u->pid, pm);
	}
	u->nfds += um->fd >= 0;
	u->mods[u->nmods++] = um;
	return um;
}

static int map_cmp(const void *a, const void *b)
{
	const struct umap *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* First mapping in maps[0..n) whose end is above addr. */
static size_t map_upper(const struct umap *maps, size_t n, uint64_t addr)
{
	return range_upper(maps, n, sizeof(*maps), addr);
}

static bool overlaps_any(const struct umap *maps, size_t n, const struct umap *m)
{
	size_t i = map_upper(maps, n, m->start);

	return i < n && maps[i].start < m->end;
}

int usyms_refresh(struct usyms *u)
{
	struct umap *fresh = NULL, *merged = NULL, *tmp;
	size_t nfresh = 0, capfresh = 0, nmerged = 0, i;
	char path[64], *line = NULL;
	size_t linecap = 0, nmods_before = u->nmods;
	bool changed;
	int err = 0;
	FILE *f;

	if (!usyms_target_alive(u))
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/maps", u->pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &linecap, f) > 0) {
		struct proc_map pm;
		const char *name;
		bool special;
		struct umod *um;

		if (proc_map_parse(line, &pm))
			continue;
		/* Only what can hold code: anonymous data mappings come and go
		 * with every large malloc and would pile up here. */
		if (!strchr(pm.perms, 'x'))
			continue;
		special = !pm.inode && pm.path[0] != '/';
		name = pm.path;
		if (special && !pm.path[0])
			name = "[anon]";
		um = umod_find(u, &pm, special, name);
		if (!um)
			um = umod_add(u, &pm, special, name);
		if (!um) {
			err = -ENOMEM;
			break;
		}
		if (nfresh == capfresh) {
			capfresh = capfresh ? capfresh * 2 : 64;
			tmp = realloc(fresh, capfresh * sizeof(*fresh));
			if (!tmp) {
				err = -ENOMEM;
				break;
			}
			fresh = tmp;
		}
		/* An anonymous mapping's pgoff is its address in pages. */
		fresh[nfresh++] = (struct umap){ pm.start, pm.end, special ? 0 : pm.pgoff, um };
	}
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	free(line);
	/* A process exiting while we read shows empty maps, and once reaped,
	 * its pid may be someone else's. */
	if (!err && !usyms_target_alive(u))
		err = -ESRCH;
	if (err)
		goto out;

	qsort(fresh, nfresh, sizeof(*fresh), map_cmp);
	/* New mappings replace what they overlap; the rest of what we knew
	 * stays, for addresses captured before it was unmapped. */
	merged = malloc((nfresh + u->nmaps + 1) * sizeof(*merged));
	if (!merged) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(merged, fresh, nfresh * sizeof(*fresh));
	nmerged = nfresh;
	for (i = 0; i < u->nmaps; i++)
		if (!overlaps_any(fresh, nfresh, &u->maps[i]))
			merged[nmerged++] = u->maps[i];
	qsort(merged, nmerged, sizeof(*merged), map_cmp);
	changed = nmerged != u->nmaps ||
		  (nmerged && memcmp(merged, u->maps, nmerged * sizeof(*merged)));
	free(u->maps);
	u->maps = merged;
	u->nmaps = nmerged;
	if (changed)
		hmap_free(&u->cache);
	err = u->nmods - nmods_before;
out:
	free(fresh);
	return err;
}

/* ---- resolving ----------------------------------------------------------- */

/* Whether this module can have file:line at all. */
static bool lines_possible(struct usyms *u, struct umod *um)
{
	if (um->lines != LINES_UNKNOWN)
		return um->lines == LINES_OK;
	um->lines = LINES_NONE;
	if (u->no_lines)
		return false;
	if (!um->debug_searched)
		search_debuginfo(u, um);
	if (!um->dbg.has_dwarf)
		return false;
	if (um->dbg.inflate_cost > u->dwarf_mem_max) {
		log_info("usyms: %s: no file:line, its DWARF is compressed and would take "
			 "%zu KiB in memory (budget %zu KiB)", um->path, um->dbg.inflate_cost >> 10,
			 u->dwarf_mem_max >> 10);
		return false;
	}
	um->lines = LINES_OK;
	return true;
}

/* Our copy of s; NULL when out of memory (libdw's own string would not
 * outlive the next drop). */
static const char *intern(struct usyms *u, const char *s)
{
	return strpool_str(&u->strs, s);
}

/* The name to show for symbol name (demangled, our copy), with *mangled
 * set to our copy of name when that differs. */
static const char *sym_name(struct usyms *u, const char *name, const char **mangled)
{
	char *d = sym_demangle(name);
	const char *s;

	*mangled = NULL;
	if (!d)
		return intern(u, name);
	s = intern(u, d);
	free(d);
	if (s)
		*mangled = intern(u, name);
	return s;
}

static bool sym_is_code(const GElf_Sym *sym)
{
	switch (GELF_ST_TYPE(sym->st_info)) {
	case STT_FUNC:
	case STT_GNU_IFUNC:
	case STT_NOTYPE:	/* assembly labels */
		return true;
	default:
		return false;
	}
}

static struct umap *map_find(struct usyms *u, uint64_t addr)
{
	size_t i = map_upper(u->maps, u->nmaps, addr);

	return i < u->nmaps && u->maps[i].start <= addr ? &u->maps[i] : NULL;
}

static void resolve_uncached(struct usyms *u, uint64_t addr, bool return_addr,
			     struct sym_frame *out)
{
	/* The call instruction ends right before a return address, which may
	 * be the first byte of the next function (a call to a noreturn
	 * function at the very end). */
	uint64_t look = return_addr && addr ? addr - 1 : addr;
	const char *name, *file = NULL;
	size_t rss0, rss1;
	Dwarf_Addr bias;
	Dwarf *dw;
	uint64_t vaddr;
	struct umap *m;
	struct umod *um;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
	m = map_find(u, look);
	if (!m)
		return;
	um = m->mod;
	out->module = um->path;
	out->module_offset = addr - m->start + m->pgoff;
	um->last_use = ++u->clock;
	if (um->evicted && !usyms_umod_reopen(u, um, m))
		return;
	if (um->dead || um->fd < 0)
		return;
	rss0 = proc_self_rss();
	if (!umod_ready(u, um))
		goto account;
	out->build_id = um->build_id;
	if (!off_to_vaddr(um, look - m->start + m->pgoff, &vaddr))
		goto account;
	name = dwfl_module_addrinfo(um->mod, vaddr, &off, &sym, NULL, NULL, NULL);
	if (name && *name && sym_is_code(&sym)) {
		out->sym = sym_name(u, name, &out->mangled);
		out->offset = out->sym ? off + (addr - look) : 0;
		um->resolved = true;
	}
	if (!lines_possible(u, um))
		goto account;
	/* Make room first for DWARF that will be inflated whole. */
	if (!um->dwarf_loaded && um->dbg.inflate_cost &&
	    u->dw_mem + um->dbg.inflate_cost > u->dwarf_mem_max) {
		usyms_dwfl_drop(u);
		rss0 = proc_self_rss();
		if (!umod_ready(u, um))
			goto account;
	}
	if (!um->dwarf_loaded) {
		um->dwarf_loaded = true;
		dw = dwfl_module_getdwarf(um->mod, &bias);
		if (dw)
			modfile_advise_random(dwarf_getelf(dw));
	}
	line = dwfl_module_getsrc(um->mod, vaddr);
	if (line)
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (file && lineno > 0) {
		out->file = intern(u, file);
		out->line = out->file ? lineno : 0;
	}
account:
	rss1 = proc_self_rss();
	if (rss1 > rss0)
		u->dw_mem += rss1 - rss0;
	if (u->dw_mem > u->dwarf_mem_max)
		usyms_dwfl_drop(u);
}

static struct hkey cache_key(uint64_t addr, bool ra)
{
	return (struct hkey){ addr, ra };
}

int usyms_resolve(struct usyms *u, uint64_t addr, bool return_addr, struct sym_frame *out)
{
	struct sym_frame *e;

	if (!u || !out)
		return -EINVAL;
	e = hmap_get(&u->cache, cache_key(addr, return_addr));
	if (e) {
		*out = *e;
		return 0;
	}
	resolve_uncached(u, addr, return_addr, out);
	if (u->cache.len >= CACHE_MAX)
		hmap_clear(&u->cache);
	e = hmap_put(&u->cache, cache_key(addr, return_addr), NULL);
	if (e)		/* no cache is slower, not wrong */
		*e = *out;
	return 0;
}

/* ---- life cycle ---------------------------------------------------------- */

struct usyms *usyms_new(pid_t pid)
{
	return usyms_new_opts(pid, NULL);
}

struct usyms *usyms_new_opts(pid_t pid, const struct usyms_opts *opts)
{
	struct stat root_st, our_st;
	struct proc_pid_stat st;
	char path[64];
	struct usyms *u;
	int err;

	if (pid < 0 || (opts && opts->sz < sizeof(size_t))) {
		errno = EINVAL;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		errno = ENOMEM;
		return NULL;
	}
	u->pid = pid ? pid : getpid();
	u->root_fd = -1;
	strpool_init(&u->strs);
	hmap_init(&u->cache, sizeof(struct sym_frame));
	if (proc_pid_stat_read(u->pid, &st)) {
		err = ESRCH;
		goto err;
	}
	u->start_time = st.start_time;
	u->dwarf_mem_max = USYMS_DEFAULT_DWARF_MEM;
	u->fd_max = USYMS_DEFAULT_FD_MAX;
	if (opts) {
		/* Fields beyond what the caller's struct has are zero. */
		struct usyms_opts o = {};

		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
		if (o.dwarf_mem_max)
			u->dwarf_mem_max = o.dwarf_mem_max;
		u->no_lines = o.no_lines;
		if (o.fd_max)
			u->fd_max = o.fd_max;
	}
	usyms_raise_nofile();

	snprintf(path, sizeof(path), "/proc/%d/root", u->pid);
	u->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* Same root as ours: plain paths (and no openat2 needed). A root we
	 * may not look at is taken as ours too. */
	if (u->root_fd >= 0 && (fstat(u->root_fd, &root_st) || stat("/", &our_st) ||
				(root_st.st_dev == our_st.st_dev && root_st.st_ino == our_st.st_ino))) {
		close(u->root_fd);
		u->root_fd = -1;
	}

	u->cb.find_elf = find_elf_cb;
	u->cb.find_debuginfo = find_debuginfo_cb;
	u->cb.section_address = dwfl_offline_section_address;
	err = usyms_refresh(u);
	if (err < 0) {
		err = -err;
		goto err;
	}
	return u;
err:
	usyms_free(u);
	errno = err;
	return NULL;
}

void usyms_free(struct usyms *u)
{
	size_t i;

	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	for (i = 0; i < u->nmods; i++)
		umod_free(u->mods[i]);
	strpool_free(&u->strs);
	free(u->mods);
	free(u->maps);
	hmap_free(&u->cache);
	if (u->root_fd >= 0)
		close(u->root_fd);
	free(u);
}
