// SPDX-License-Identifier: GPL-2.0
/* Unwind tables in the BPF object (see unwind.h).
 *
 * Objects are known by device and inode (the same library mapped twice,
 * or again after exec, is built once). Rows go into the mmapable row
 * array and are never moved; each object's run is announced in unw_objs
 * only once it is written. The mapping set is double-buffered: the half
 * BPF is not reading is rewritten, then unw_cur moves to the next version
 * (its low bit is the half; BPF's remembered walks name the version they
 * were walked under). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <gelf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/json.h"
#include "core/log.h"
#include "core/procfs.h"
#include "run/unwind.h"
#include "syms/cfi.h"
#include "syms/elfsym.h"
#include "syms/modfile.h"

struct uobj {
	unsigned int dev_major, dev_minor;
	unsigned long inode;
	char *path;
	struct cfi_table t;	/* rows freed once written */
	uint32_t first, count;
	int id;			/* index in unw_objs, -1: none */
	bool built, failed;
};

struct unwinder {
	bool cfi;
	pid_t pid;
	struct uobj *objs;
	size_t nobjs, capobjs;
	uint32_t rows_pending;	/* built, not yet written */
	uint32_t rows_used, rows_cap;
	uint32_t nids, full, nmaps;
	struct unw_row *rows;	/* the mmapped row array */
	size_t rows_len;
	int rows_fd, objs_fd, maps_fd, stats_fd;
	volatile uint32_t *cur, *nmaps_bpf;
};

static struct uobj *obj_find(struct unwinder *u, const struct proc_map *pm)
{
	for (size_t i = 0; i < u->nobjs; i++) {
		struct uobj *o = &u->objs[i];

		if (o->inode == pm->inode && o->dev_major == pm->dev_major &&
		    o->dev_minor == pm->dev_minor)
			return o;
	}
	return NULL;
}

static struct uobj *obj_add(struct unwinder *u, const struct proc_map *pm)
{
	struct uobj *o;

	if (u->nobjs == u->capobjs) {
		size_t cap = u->capobjs ? 2 * u->capobjs : 32;
		struct uobj *n = realloc(u->objs, cap * sizeof(*n));

		if (!n)
			return NULL;
		u->objs = n;
		u->capobjs = cap;
	}
	o = &u->objs[u->nobjs];
	memset(o, 0, sizeof(*o));
	o->dev_major = pm->dev_major;
	o->dev_minor = pm->dev_minor;
	o->inode = pm->inode;
	o->path = strdup(pm->path);
	o->id = -1;
	if (!o->path)
		return NULL;
	u->nobjs++;
	return o;
}

/* Build an object's table from an open file. */
static void obj_build(struct unwinder *u, struct uobj *o, int fd)
{
	int err;

	o->built = true;
	if (fd < 0) {
		o->failed = true;
		return;
	}
	err = cfi_table_build(fd, &o->t);
	close(fd);
	if (err) {
		o->failed = true;
		log_debug("no unwind table for %s: %s", o->path, strerror(-err));
		return;
	}
	u->rows_pending += o->t.n;
}

static int read_maps(pid_t pid, int (*fn)(struct unwinder *, const struct proc_map *),
		     struct unwinder *u)
{
	char path[64], line[PATH_MAX + 256];
	struct proc_map pm;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f))
		if (!proc_map_parse(line, &pm) && pm.perms[2] == 'x')
			err = fn(u, &pm);
	fclose(f);
	return err;
}

/* A mapping seen at load time or at a refresh: its object built. */
static int take_mapping(struct unwinder *u, const struct proc_map *pm)
{
	struct uobj *o;

	if (!u->cfi || !pm->path[0] || pm->path[0] == '[' || !pm->inode)
		return 0;
	o = obj_find(u, pm);
	if (!o && !(o = obj_add(u, pm)))
		return -ENOMEM;
	if (!o->built)
		obj_build(u, o, modfile_open_mapped(u->pid, -1, pm->start, pm->end, pm->path,
						    pm->inode));
	return 0;
}

struct unwinder *unwinder_new(pid_t pid, const char *const *files, int nfiles, bool cfi)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->cfi = cfi;
	u->pid = pid;
	u->rows_fd = u->objs_fd = u->maps_fd = u->stats_fd = -1;
	if (pid > 0 && cfi)
		read_maps(pid, take_mapping, u);
	for (int i = 0; cfi && i < nfiles; i++) {
		struct proc_map pm = {};
		struct uobj *o;
		struct stat st;
		int fd = open_regular(-1, files[i]);

		if (fd < 0 || fstat(fd, &st)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		pm.dev_major = major(st.st_dev);
		pm.dev_minor = minor(st.st_dev);
		pm.inode = st.st_ino;
		snprintf(pm.path, sizeof(pm.path), "%s", files[i]);
		o = obj_find(u, &pm);
		if (o) {
			close(fd);
			continue;
		}
		o = obj_add(u, &pm);
		if (!o) {
			close(fd);
			unwinder_free(u);
			errno = ENOMEM;
			return NULL;
		}
		obj_build(u, o, fd);
	}
	return u;
}

uint32_t unwinder_rows_wanted(const struct unwinder *u)
{
	uint64_t n;

	if (!u->cfi)
		return 1;
	/* Room for libraries loaded later: a quarter more, at least 64k
	 * rows (512 KiB; libc has 28k, libstdc++ 34k). */
	n = u->rows_pending + u->rows_pending / 4;
	if (n < u->rows_pending + 65536)
		n = u->rows_pending + 65536;
	return n > (1u << 24) ? 1u << 24 : (uint32_t)n;
}

int unwinder_bind(struct unwinder *u, struct bpf_object *obj, pid_t pid, volatile uint32_t *cur,
		  volatile uint32_t *nmaps)
{
	struct bpf_map *rows = bpf_object__find_map_by_name(obj, "unw_rows");

	u->pid = pid;
	if (!rows)
		return -ENOENT;
	u->rows_fd = bpf_map__fd(rows);
	u->objs_fd = bpf_object__find_map_fd_by_name(obj, "unw_objs");
	u->maps_fd = bpf_object__find_map_fd_by_name(obj, "unw_maps");
	u->stats_fd = bpf_object__find_map_fd_by_name(obj, "unw_stats");
	u->rows_cap = bpf_map__max_entries(rows);
	if (u->rows_fd < 0 || u->objs_fd < 0 || u->maps_fd < 0)
		return -ENOENT;
	u->cur = cur;
	u->nmaps_bpf = nmaps;
	if (!u->cur || !u->nmaps_bpf)
		return -ENOENT;
	if (u->cfi && u->rows_cap > 1) {
		long page = sysconf(_SC_PAGESIZE);

		u->rows_len = ((size_t)u->rows_cap * sizeof(struct unw_row) + page - 1) / page * page;
		u->rows = mmap(NULL, u->rows_len, PROT_READ | PROT_WRITE, MAP_SHARED, u->rows_fd, 0);
		if (u->rows == MAP_FAILED) {
			u->rows = NULL;
			return -errno;
		}
	}
	return 0;
}

/* Write built tables into the row array and announce them. */
static void write_tables(struct unwinder *u)
{
	for (size_t i = 0; i < u->nobjs; i++) {
		struct uobj *o = &u->objs[i];
		struct unw_obj v;

		if (!o->built || o->failed || o->id >= 0 || !o->t.rows)
			continue;
		if (!u->rows || u->nids >= UNW_OBJS_MAX || o->t.n > u->rows_cap - u->rows_used) {
			u->full++;
			o->failed = true;
			u->rows_pending -= o->t.n;
			free(o->t.rows);
			o->t.rows = NULL;
			continue;
		}
		memcpy(u->rows + u->rows_used, o->t.rows, o->t.n * sizeof(*o->t.rows));
		o->first = u->rows_used;
		o->count = o->t.n;
		u->rows_used += o->t.n;
		u->rows_pending -= o->t.n;
		free(o->t.rows);
		o->t.rows = NULL;
		__sync_synchronize();
		v.first = o->first;
		v.count = o->count;
		o->id = u->nids;
		if (bpf_map_update_elem(u->objs_fd, &(uint32_t){ u->nids }, &v, BPF_ANY)) {
			o->id = -1;
			o->failed = true;
			continue;
		}
		u->nids++;
	}
}

struct collect {
	struct unw_map m[UNW_MAPS_MAX];
	uint32_t n;
};

static struct collect *collecting;

static int collect_mapping(struct unwinder *u, const struct proc_map *pm)
{
	struct collect *c = collecting;
	uint64_t bias;
	struct unw_map *m;
	struct uobj *o;
	int err;

	err = take_mapping(u, pm);
	if (err)
		return err;
	if (c->n >= UNW_MAPS_MAX)
		return 0;
	m = &c->m[c->n++];
	memset(m, 0, sizeof(*m));
	m->start = pm->start;
	m->end = pm->end;
	m->obj = UNW_NO_OBJ;
	o = pm->inode ? obj_find(u, pm) : NULL;
	if (o && o->id >= 0 && cfi_table_bias(&o->t, pm->start, pm->pgoff, &bias)) {
		m->obj = o->id;
		m->bias = bias;
	}
	return 0;
}

int unwinder_refresh(struct unwinder *u)
{
	struct collect *c;
	uint32_t next;
	int err;

	if (u->maps_fd < 0 || !u->cur)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	/* Two passes: build the tables of new objects, write them, then
	 * name each mapping's object. */
	collecting = c;
	err = read_maps(u->pid, collect_mapping, u);
	if (!err) {
		write_tables(u);
		c->n = 0;
		err = read_maps(u->pid, collect_mapping, u);
	}
	collecting = NULL;
	if (err) {
		free(c);
		return err;
	}
	next = *u->cur + 1;
	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t key = (next & 1) * UNW_MAPS_MAX + i;

		if (bpf_map_update_elem(u->maps_fd, &key, &c->m[i], BPF_ANY)) {
			err = -errno;
			free(c);
			return err;
		}
	}
	u->nmaps_bpf[next & 1] = c->n;
	__sync_synchronize();
	*u->cur = next;
	u->nmaps = c->n;
	free(c);
	return 0;
}

void unwinder_stats(struct unwinder *u, struct unwinder_stats *st)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sums[4] = {};

	memset(st, 0, sizeof(*st));
	if (u->stats_fd >= 0 && ncpu > 0) {
		uint64_t *v = calloc(ncpu, sizeof(*v));

		for (uint32_t k = 0; v && k < 4; k++)
			if (!bpf_map_lookup_elem(u->stats_fd, &k, v))
				for (int c = 0; c < ncpu; c++)
					sums[k] += v[c];
		free(v);
	}
	st->cfi_frames = sums[0];
	st->fp_frames = sums[1];
	st->unknown = sums[2];
	st->reused = sums[3];
	st->objects = u->nobjs;
	st->tables = u->nids;
	st->rows = u->rows_used;
	st->rows_cap = u->rows_cap;
	st->full = u->full;
	st->maps = u->nmaps;
}

void unwind_json(struct json *j, const struct unwinder_stats *st)
{
	json_obj_begin(j);
	json_kstr(j, "method", st->rows_cap > 1 ? "cfi" : "fp");
	json_ku64(j, "cfi_frames", st->cfi_frames);
	json_ku64(j, "fp_frames", st->fp_frames);
	json_ku64(j, "ended_outside_code", st->unknown);
	json_ku64(j, "walks_reused", st->reused);
	json_ku64(j, "objects", st->objects);
	json_ku64(j, "tables", st->tables);
	json_ku64(j, "objects_without_room", st->full);
	json_ku64(j, "rows", st->rows);
	json_ku64(j, "rows_cap", st->rows_cap);
	json_obj_end(j);
}

void unwind_text(FILE *f, const struct unwinder_stats *st)
{
	fprintf(f, "  stacks: %" PRIu64 " frames by call-frame information, %" PRIu64
		" by frame pointer; %" PRIu64 " walks ended at an address outside known code; %"
		PRIu64 " walks reused\n", st->cfi_frames, st->fp_frames, st->unknown, st->reused);
	if (st->full)
		fprintf(f, "  unwind tables: %u objects had no room (%u of %u rows used): their "
			"frames were walked by frame pointer\n", st->full, st->rows, st->rows_cap);
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nobjs; i++) {
		free(u->objs[i].path);
		cfi_table_free(&u->objs[i].t);
	}
	free(u->objs);
	if (u->rows)
		munmap(u->rows, u->rows_len);
	free(u);
}

/* ---- where a program's mappings are known --------------------------------- */

/* File offset of virtual address v in elf; false if no segment holds it. */
static bool vaddr_offset(Elf *elf, uint64_t v, uint64_t *off)
{
	size_t nph;

	if (elf_getphdrnum(elf, &nph))
		return false;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD && v >= ph.p_vaddr &&
		    v - ph.p_vaddr < ph.p_filesz) {
			*off = v - ph.p_vaddr + ph.p_offset;
			return true;
		}
	}
	return false;
}

static Elf *elf_open_fd(const char *path, int *fd)
{
	Elf *elf;

	*fd = open_regular(-1, path);
	if (*fd < 0)
		return NULL;
	elf_version(EV_CURRENT);
	elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64) {
		if (elf)
			elf_end(elf);
		close(*fd);
		return NULL;
	}
	return elf;
}

/* PT_INTERP of elf into buf; false if none. */
static bool elf_interp(Elf *elf, char *buf, size_t len)
{
	size_t nph, sz;
	char *raw = elf_rawfile(elf, &sz);

	if (!raw || elf_getphdrnum(elf, &nph))
		return false;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_INTERP && ph.p_offset < sz &&
		    ph.p_filesz < len && ph.p_filesz <= sz - ph.p_offset && ph.p_filesz) {
			memcpy(buf, raw + ph.p_offset, ph.p_filesz);
			buf[ph.p_filesz] = 0;
			return buf[0] == '/';
		}
	}
	return false;
}

int unwind_sync_points(const char *exe, struct unwind_sync_point *pts, int max)
{
	static const char *const debug_state[] = { "_dl_debug_state" };
	struct elf_func f;
	struct elf_file *ef;
	GElf_Ehdr eh;
	char interp[PATH_MAX];
	int n = 0, fd;
	Elf *elf = elf_open_fd(exe, &fd);

	if (!elf)
		return 0;
	if (n < max && gelf_getehdr(elf, &eh) && eh.e_entry &&
	    vaddr_offset(elf, eh.e_entry, &pts[n].offset)) {
		snprintf(pts[n].path, sizeof(pts[n].path), "%s", exe);
		n++;
	}
	if (n < max && elf_interp(elf, interp, sizeof(interp)) && (ef = elf_file_open(interp))) {
		if (elf_file_find_funcs(ef, NULL, debug_state, 1, 0, &f) == 1 && f.found) {
			snprintf(pts[n].path, sizeof(pts[n].path), "%s", interp);
			pts[n].offset = f.offset;
			n++;
		}
		elf_file_close(ef);
	}
	elf_end(elf);
	close(fd);
	return n;
}

/* DT_NEEDED and DT_RUNPATH/DT_RPATH of elf. */
static void dyn_strings(Elf *elf, char **needed, int *nneeded, int max, char *runpath, size_t rlen)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	runpath[0] = 0;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(d, i, &dyn))
				break;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH)
				continue;
			s = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
			if (!s)
				continue;
			if (dyn.d_tag == DT_NEEDED && *nneeded < max && !strchr(s, '/'))
				needed[(*nneeded)++] = strdup(s);
			else if (dyn.d_tag != DT_NEEDED)
				snprintf(runpath, rlen, "%s", s);
		}
		return;
	}
}

static bool have(char **out, int n, const char *path)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(out[i], path))
			return true;
	return false;
}

static void add_file(char **out, int *n, int max, const char *path)
{
	if (*n < max && !have(out, *n, path) && (out[*n] = strdup(path)))
		(*n)++;
}

/* Find lib in runpath (with $ORIGIN as dir) and the usual directories. */
static bool find_lib(const char *lib, const char *runpath, const char *dir, char *buf, size_t len)
{
	static const char *const usual[] = {
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
		"/lib", "/usr/lib", "/usr/local/lib",
	};
	char rp[PATH_MAX], *save = NULL;

	snprintf(rp, sizeof(rp), "%s", runpath);
	for (char *p = strtok_r(rp, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		int w;

		if (!strncmp(p, "$ORIGIN", 7))
			w = snprintf(buf, len, "%s%s/%s", dir, p + 7, lib);
		else
			w = snprintf(buf, len, "%s/%s", p, lib);
		if (w > 0 && (size_t)w < len && !access(buf, R_OK))
			return true;
	}
	for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
		snprintf(buf, len, "%s/%s", usual[i], lib);
		if (!access(buf, R_OK))
			return true;
	}
	return false;
}

int unwind_needed_files(const char *exe, const char *extra, char **out, int max)
{
	char interp[PATH_MAX];
	int n = 0, fd;
	Elf *elf;

	add_file(out, &n, max, exe);
	if (extra && extra[0])
		add_file(out, &n, max, extra);
	/* Breadth first over DT_NEEDED: the program's, then theirs. */
	for (int i = 0, depth_end = n; i < n && i < max; i++) {
		char *needed[64], runpath[PATH_MAX], dir[PATH_MAX], path[PATH_MAX], *slash;
		int nn = 0;

		if (i >= depth_end && i > 16)
			break;
		elf = elf_open_fd(out[i], &fd);
		if (!elf)
			continue;
		if (i == 0 && elf_interp(elf, interp, sizeof(interp)))
			add_file(out, &n, max, interp);
		dyn_strings(elf, needed, &nn, 64, runpath, sizeof(runpath));
		elf_end(elf);
		close(fd);
		snprintf(dir, sizeof(dir), "%s", out[i]);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		for (int k = 0; k < nn; k++) {
			if (needed[k] && find_lib(needed[k], runpath, dir, path, sizeof(path)))
				add_file(out, &n, max, path);
			free(needed[k]);
		}
	}
	return n;
}
