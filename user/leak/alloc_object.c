// SPDX-License-Identifier: GPL-2.0
/* Which object serves malloc (see alloc_object.h): for a running process,
 * its mappings and the dynamic linker's own list of loaded objects read
 * from its memory; for a command, the list its loader prints in ldd mode. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "leak/alloc_object.h"
#include "syms/elfsym.h"
#include "core/log.h"
#include "core/procfs.h"

/* Does the ELF file at path define prefix+malloc where the dynamic linker
 * (dynsym_only) or anyone looks? 1 yes, 0 no, -errno. *is_libc: it also
 * defines __libc_start_main (glibc's and musl's C library). */
static int defines_malloc(const char *path, const char *prefix, bool dynsym_only, bool *is_libc)
{
	struct elf_func fn[2];
	const char *names[2];
	struct elf_file *ef;
	char want[128];
	int n;

	snprintf(want, sizeof(want), "%smalloc", prefix ? prefix : "");
	names[0] = want;
	names[1] = "__libc_start_main";
	ef = elf_file_open(path);
	if (!ef)
		return -errno;
	n = elf_file_find_funcs(ef, NULL, names, 2, dynsym_only ? ELF_FIND_DYNSYM_ONLY : 0, fn);
	elf_file_close(ef);
	if (n < 0)
		return n;
	if (is_libc)
		*is_libc = fn[1].found;
	return fn[0].found;
}

static int copy_str(char *dst, size_t len, const char *src)
{
	if (!dst || !len)
		return 0;
	if ((size_t)snprintf(dst, len, "%s", src) >= len)
		return -ENAMETOOLONG;
	return 0;
}

struct mobj {
	char path[PATH_MAX];	/* as the process sees it */
	bool deleted;
	bool static_exe;
	unsigned long start, end;	/* the mapping at file offset 0, else the first */
	bool at_zero;
	int order;		/* position in the link map; INT_MAX: not there */
};

struct mrange {
	unsigned long start, end;
	int obj;
};

struct pid_view {
	pid_t pid;
	struct mobj *obj;
	int nobj, obj_cap;
	struct mrange *map;
	int nmap, map_cap;
	int exe;		/* index in obj, -1: none */
};

static void pid_view_free(struct pid_view *v)
{
	free(v->obj);
	free(v->map);
}

/* Room for one more of n elements in *arr (capacity *cap, doubling). */
static int grow(void **arr, int n, int *cap, size_t elem)
{
	int ncap = *cap ? *cap * 2 : 16;
	void *tmp;

	if (n < *cap)
		return 0;
	tmp = realloc(*arr, ncap * elem);
	if (!tmp)
		return -ENOMEM;
	*arr = tmp;
	*cap = ncap;
	return 0;
}

static int add_mapping(struct pid_view *v, const struct proc_map *m)
{
	char path[PATH_MAX];
	bool del;
	int i;

	snprintf(path, sizeof(path), "%s", m->path);
	del = path_strip_deleted(path);
	/* A file's mappings are adjacent: try the last one first. */
	i = v->nobj - 1;
	if (i < 0 || strcmp(v->obj[i].path, path)) {
		for (i = 0; i < v->nobj; i++)
			if (!strcmp(v->obj[i].path, path))
				break;
	}
	if (i == v->nobj) {
		if (grow((void **)&v->obj, v->nobj, &v->obj_cap, sizeof(*v->obj)))
			return -ENOMEM;
		v->obj[i] = (struct mobj){
			.deleted = del,
			.start = m->start,
			.end = m->end,
			.order = INT_MAX,
		};
		snprintf(v->obj[i].path, sizeof(v->obj[i].path), "%s", path);
		v->nobj++;
	}
	if (m->pgoff == 0 && !v->obj[i].at_zero) {
		v->obj[i].at_zero = true;
		v->obj[i].start = m->start;
		v->obj[i].end = m->end;
	}
	if (grow((void **)&v->map, v->nmap, &v->map_cap, sizeof(*v->map)))
		return -ENOMEM;
	v->map[v->nmap++] = (struct mrange){ m->start, m->end, i };
	return 0;
}

static int pid_view_read(pid_t pid, struct pid_view *v)
{
	char file[64], line[PATH_MAX + 128], exe[PATH_MAX];
	struct proc_map m;
	ssize_t n;
	int err = 0, i;
	FILE *f;

	memset(v, 0, sizeof(*v));
	v->pid = pid;
	v->exe = -1;
	snprintf(file, sizeof(file), "/proc/%d/maps", pid);
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		/* Files only: not [heap], [vdso], anonymous memory. */
		if (proc_map_parse(line, &m) || m.path[0] != '/')
			continue;
		err = add_mapping(v, &m);
	}
	fclose(f);
	if (err)
		return err;

	snprintf(file, sizeof(file), "/proc/%d/exe", pid);
	n = readlink(file, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		path_strip_deleted(exe);
		for (i = 0; i < v->nobj; i++)
			if (!strcmp(v->obj[i].path, exe))
				v->exe = i;
	}
	return 0;
}

/* A path to the object that opens the same file from here. */
static int usable_path(const struct pid_view *v, const struct mobj *o, char *buf, size_t len)
{
	char inroot[PATH_MAX + 32];
	struct stat a, b;

	/* The name may now be another file, or none: the mapping itself
	 * still is the one (needs CAP_SYS_ADMIN to open). */
	if (o->deleted) {
		snprintf(inroot, sizeof(inroot), "/proc/%d/map_files/%lx-%lx", v->pid,
			 o->start, o->end);
		return copy_str(buf, len, inroot);
	}
	snprintf(inroot, sizeof(inroot), "/proc/%d/root%s", v->pid, o->path);
	if (!stat(o->path, &a) && !stat(inroot, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return copy_str(buf, len, o->path);
	return copy_str(buf, len, inroot);
}

static int read_mem(int fd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len, (off_t)addr);

	return n == (ssize_t)len ? 0 : -EIO;
}

/* struct link_map's public head (<link.h>), 64-bit. */
struct lm64 {
	uint64_t l_addr, l_name, l_ld, l_next, l_prev;
};

#define MAX_LINK_MAP 4096

/* Number the objects in the order of the process's link map: the order
 * in which the dynamic linker searches them for a symbol (the executable,
 * LD_PRELOAD, then the needed libraries breadth-first). The list head is
 * r_debug.r_map, which the linker stores in the executable's DT_DEBUG. */
static int link_map_order(struct pid_view *v)
{
	uint64_t dyn_vaddr, dyn_size, load_vaddr, load_off, bias, rdebug = 0, node = 0;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char path[PATH_MAX + 64], file[64];
	struct elf_file *ef;
	uint64_t *dyn = NULL;
	const struct mobj *exe;
	int fd, err, i, pos = 0;
	size_t k, ndyn;
	struct lm64 lm;

	if (v->exe < 0 || !v->obj[v->exe].at_zero)
		return -ENOENT;
	exe = &v->obj[v->exe];
	err = usable_path(v, exe, path, sizeof(path));
	if (err)
		return err;
	ef = elf_file_open(path);
	if (!ef)
		return -errno;
	if (elf_file_class(ef) != ELFCLASS64 || !elf_file_interp(ef) ||
	    elf_file_segment(ef, PT_DYNAMIC, &dyn_vaddr, NULL, &dyn_size) ||
	    elf_file_segment(ef, PT_LOAD, &load_vaddr, &load_off, NULL) || load_off >= page) {
		elf_file_close(ef);
		return -ENOTSUP;
	}
	elf_file_close(ef);
	/* The mapping at file offset 0 holds the first PT_LOAD. */
	bias = exe->start - (load_vaddr & ~(page - 1));

	snprintf(file, sizeof(file), "/proc/%d/mem", v->pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ndyn = (dyn_size < 65536 ? dyn_size : 65536) / 16;
	dyn = calloc(ndyn ? ndyn : 1, 16);
	err = dyn ? read_mem(fd, bias + dyn_vaddr, dyn, ndyn * 16) : -ENOMEM;
	for (k = 0; !err && k < ndyn && dyn[2 * k] != DT_NULL; k++)
		if (dyn[2 * k] == DT_DEBUG)
			rdebug = dyn[2 * k + 1];
	free(dyn);
	if (!err && !rdebug)
		err = -ENOENT;	/* not filled in yet: the linker has not run */
	/* struct r_debug: int r_version; struct link_map *r_map; ... */
	if (!err)
		err = read_mem(fd, rdebug + 8, &node, sizeof(node));
	for (k = 0; !err && node && k < MAX_LINK_MAP; k++) {
		if (read_mem(fd, node, &lm, sizeof(lm)))
			break;
		/* The entry's dynamic section lies in one of its mappings:
		 * that says which file it is, whatever its l_name says. */
		for (i = 0; i < v->nmap; i++) {
			const struct mrange *r = &v->map[i];

			if (lm.l_ld >= r->start && lm.l_ld < r->end) {
				if (v->obj[r->obj].order == INT_MAX)
					v->obj[r->obj].order = pos++;
				break;
			}
		}
		node = lm.l_next;
	}
	close(fd);
	if (err)
		return err;
	return pos ? 0 : -ENOENT;
}

static int cmp_order(const void *a, const void *b)
{
	const struct mobj *x = *(const struct mobj *const *)a, *y = *(const struct mobj *const *)b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x < y ? -1 : x > y;	/* then maps order */
}

/* The process's objects in the order its dynamic linker searches them. */
static int pid_order(pid_t pid, struct pid_view *v, struct mobj ***orderp, bool *by_link_map)
{
	char usable[PATH_MAX + 64];
	struct mobj **order;
	const char *mode;
	int err, i;

	err = pid_view_read(pid, v);
	if (err)
		return err;
	if (v->exe >= 0) {
		struct elf_file *ef = NULL;

		if (!usable_path(v, &v->obj[v->exe], usable, sizeof(usable)))
			ef = elf_file_open(usable);
		if (ef)
			v->obj[v->exe].static_exe = !elf_file_interp(ef);
		elf_file_close(ef);
	}
	/* MEMSCOPE_ALLOC_ORDER=maps: test-only, runs the fallback path on
	 * processes whose link map is readable. */
	mode = getenv("MEMSCOPE_ALLOC_ORDER");
	err = mode && !strcmp(mode, "maps") ? -ECANCELED : link_map_order(v);
	*by_link_map = !err;
	if (err) {
		log_debug("pid %d: link map not readable (%s): using /proc/%d/maps order",
			  pid, strerror(-err), pid);
		if (v->exe >= 0)
			v->obj[v->exe].order = 0;
	}
	order = calloc(v->nobj ? v->nobj : 1, sizeof(*order));
	if (!order) {
		pid_view_free(v);
		return -ENOMEM;
	}
	for (i = 0; i < v->nobj; i++)
		order[i] = &v->obj[i];
	qsort(order, v->nobj, sizeof(*order), cmp_order);
	*orderp = order;
	return 0;
}

int alloc_object_for_pid(pid_t pid, const char *prefix, char *path, size_t len,
			 char *target_path, size_t tlen)
{
	struct mobj **order = NULL, *chosen = NULL, *libc = NULL;
	char usable[PATH_MAX + 64];
	struct pid_view v;
	bool by_link_map, is_libc;
	int err, i, r;

	err = pid_order(pid, &v, &order, &by_link_map);
	if (err)
		return err;
	for (i = 0; i < v.nobj && !chosen; i++) {
		struct mobj *o = order[i];

		if (usable_path(&v, o, usable, sizeof(usable)))
			continue;
		/* In a static executable .symtab is all there is; anywhere
		 * else only .dynsym takes part in symbol binding. */
		r = defines_malloc(usable, prefix, !o->static_exe, &is_libc);
		if (r <= 0)
			continue;
		/* Without the link map, an allocator library beats the C
		 * library it was loaded to replace. */
		if (!by_link_map && is_libc && !o->static_exe) {
			if (!libc)
				libc = o;
			continue;
		}
		chosen = o;
	}
	if (!chosen)
		chosen = libc;
	if (!chosen) {
		err = -ENOENT;
		goto out;
	}
	err = usable_path(&v, chosen, path, len);
	if (!err)
		err = copy_str(target_path, tlen, chosen->path);
	log_debug("pid %d: %smalloc served by %s (%s)", pid, prefix ? prefix : "",
		  chosen->path, by_link_map ? "link map order" : "maps order");
out:
	free(order);
	pid_view_free(&v);
	return err;
}

void alloc_objs_free(struct alloc_objs *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int objs_add(struct alloc_objs *l, const char *path, bool symtab)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, path))
			return 0;
	if (l->n % 16 == 0) {
		struct alloc_obj *tmp = realloc(l->v, (l->n + 16) * sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		l->v = tmp;
	}
	l->v[l->n].path = strdup(path);
	if (!l->v[l->n].path)
		return -ENOMEM;
	l->v[l->n++].symtab = symtab;
	return 0;
}

int alloc_objects_for_pid(pid_t pid, struct alloc_objs *out)
{
	struct mobj **order = NULL, *libc = NULL;
	char usable[PATH_MAX + 64];
	struct pid_view v;
	bool by_link_map, is_libc;
	int err, i;

	memset(out, 0, sizeof(*out));
	err = pid_order(pid, &v, &order, &by_link_map);
	if (err)
		return err;
	for (i = 0; !err && i < v.nobj; i++) {
		struct mobj *o = order[i];

		if (usable_path(&v, o, usable, sizeof(usable)))
			continue;
		/* Without the link map the C library goes last, as above. */
		if (!by_link_map && !o->static_exe && defines_malloc(usable, NULL, true, &is_libc) >= 0 &&
		    is_libc) {
			if (!libc)
				libc = o;
			continue;
		}
		err = objs_add(out, usable, o->static_exe);
	}
	if (!err && libc && !usable_path(&v, libc, usable, sizeof(usable)))
		err = objs_add(out, usable, false);
	free(order);
	pid_view_free(&v);
	if (err)
		alloc_objs_free(out);
	return err;
}

/* ---- for a command -------------------------------------------------------- */

/* How long the loader may take to list a program's libraries. */
#define LOADER_TIMEOUT_MS 5000

/* glibc's loader exports these (GLIBC_PRIVATE); musl's does not. */
static bool is_glibc_loader(const char *interp)
{
	static const char *const names[] = {
		"_dl_catch_exception", "_dl_catch_error", "_dl_signal_error",
	};
	struct elf_func fn[3];
	struct elf_file *ef;
	int n;

	ef = elf_file_open(interp);
	if (!ef)
		return false;
	n = elf_file_find_funcs(ef, NULL, names, 3, ELF_FIND_DYNSYM_ONLY, fn);
	elf_file_close(ef);
	return n > 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Run `interp exe` with LD_TRACE_LOADED_OBJECTS=1 and our environment (the
 * one the command will get, so LD_PRELOAD and LD_LIBRARY_PATH count) and
 * return what it prints. This runs the loader the command names, which
 * starting the command would run anyway, with the same privileges. */
static char *loader_list(const char *interp, const char *exe, int *err)
{
	extern char **environ;
	char *const argv[] = { (char *)interp, (char *)exe, NULL };
	size_t n = 0, cap = 0, len = 0, i, k = 0;
	char **envp, *out = NULL;
	long long deadline;
	int fds[2], status;
	pid_t pid;

	while (environ[n])
		n++;
	envp = calloc(n + 2, sizeof(*envp));
	if (!envp) {
		*err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_TRACE_LOADED_OBJECTS=", 24))
			envp[k++] = environ[i];
	envp[k] = "LD_TRACE_LOADED_OBJECTS=1";
	if (pipe2(fds, O_CLOEXEC)) {
		*err = -errno;
		free(envp);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		*err = -errno;
		close(fds[0]);
		close(fds[1]);
		free(envp);
		return NULL;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(fds[1], 1);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		execve(interp, argv, envp);
		_exit(127);
	}
	close(fds[1]);
	free(envp);
	*err = 0;
	deadline = now_ms() + LOADER_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t got;

		if (left <= 0) {
			*err = -ETIMEDOUT;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (cap - len < 4096) {
			char *tmp = realloc(out, cap + 65536);

			if (!tmp) {
				*err = -ENOMEM;
				kill(pid, SIGKILL);
				break;
			}
			out = tmp;
			cap += 65536;
		}
		got = read(fds[0], out + len, cap - len - 1);
		if (got <= 0)
			break;
		len += got;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!*err && !out)
		*err = -ENOENT;
	if (*err) {
		free(out);
		return NULL;
	}
	out[len] = 0;
	return out;
}

/* The first library in the loader's list ("\tname => /path (0x...)" or
 * "\t/path (0x...)" for preloaded ones and the loader) that defines it. */
static int pick_from_list(char *list, const char *prefix, char *path, size_t len)
{
	char *line, *save = NULL;

	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line + strspn(line, " \t"), *arrow, *end;

		arrow = strstr(p, " => ");
		if (arrow)
			p = arrow + 4;
		if (*p != '/')
			continue;	/* linux-vdso.so.1, "not found" */
		end = strstr(p, " (0x");
		if (end)
			*end = 0;
		if (defines_malloc(p, prefix, true, NULL) > 0)
			return copy_str(path, len, p);
	}
	return -ENOENT;
}

/* Without glibc's loader: the LD_PRELOAD paths, then the loader itself
 * (musl's is its C library too). */
static int pick_without_glibc(const char *interp, const char *prefix, char *path, size_t len)
{
	const char *env = getenv("LD_PRELOAD");
	char *list, *tok, *save = NULL;

	list = strdup(env ? env : "");
	if (!list)
		return -ENOMEM;
	for (tok = strtok_r(list, ": \t", &save); tok; tok = strtok_r(NULL, ": \t", &save)) {
		if (tok[0] == '/' && defines_malloc(tok, prefix, true, NULL) > 0) {
			int err = copy_str(path, len, tok);

			free(list);
			return err;
		}
	}
	free(list);
	if (defines_malloc(interp, prefix, true, NULL) > 0)
		return copy_str(path, len, interp);
	return -ENOENT;
}

int alloc_object_for_command(const char *exe, const char *prefix, char *path, size_t len)
{
	struct elf_file *ef;
	char *interp, *list;
	int err, r;

	ef = elf_file_open(exe);
	if (!ef)
		return -errno;
	interp = elf_file_interp(ef) ? strdup(elf_file_interp(ef)) : NULL;
	r = elf_file_interp(ef) && !interp;
	elf_file_close(ef);
	if (r)
		return -ENOMEM;

	r = defines_malloc(exe, prefix, interp != NULL, NULL);
	if (r < 0) {
		err = r;
		goto out;
	}
	if (r > 0) {
		err = copy_str(path, len, exe);
		goto out;
	}
	if (!interp) {
		/* Static, and no symbol: stripped. */
		err = -ENOENT;
		goto out;
	}
	if (!is_glibc_loader(interp)) {
		log_debug("%s: loader %s is not glibc's: trying LD_PRELOAD and the loader",
			  exe, interp);
		err = pick_without_glibc(interp, prefix, path, len);
		goto out;
	}
	list = loader_list(interp, exe, &err);
	if (!list) {
		log_debug("%s: cannot list its libraries with %s: %s", exe, interp,
			  strerror(-err));
		goto out;
	}
	err = pick_from_list(list, prefix, path, len);
	free(list);
out:
	free(interp);
	return err;
}

int alloc_object_mapped(pid_t pid, const char *path)
{
	char file[64], line[PATH_MAX + 128];
	struct proc_map m;
	struct stat st;
	int found = 0;
	FILE *f;

	if (stat(path, &st))
		return -errno;
	snprintf(file, sizeof(file), "/proc/%d/maps", pid);
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = !proc_map_parse(line, &m) && m.inode == st.st_ino &&
			m.dev_major == major(st.st_dev) && m.dev_minor == minor(st.st_dev);
	fclose(f);
	return found;
}

/* The paths of the loader's list, in its order (see pick_from_list). */
int alloc_objs_from_list(char *list, struct alloc_objs *out)
{
	char *line, *save = NULL;
	int err = 0;

	for (line = strtok_r(list, "\n", &save); !err && line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line + strspn(line, " \t"), *arrow, *end;

		arrow = strstr(p, " => ");
		if (arrow)
			p = arrow + 4;
		if (*p != '/')
			continue;
		end = strstr(p, " (0x");
		if (end)
			*end = 0;
		err = objs_add(out, p, false);
	}
	return err;
}

int alloc_objects_for_command(const char *exe, struct alloc_objs *out)
{
	struct elf_file *ef;
	char *interp, *list, *env, *tok, *save = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	ef = elf_file_open(exe);
	if (!ef)
		return -errno;
	interp = elf_file_interp(ef) ? strdup(elf_file_interp(ef)) : NULL;
	err = elf_file_interp(ef) && !interp ? -ENOMEM : 0;
	elf_file_close(ef);
	if (!err)
		err = objs_add(out, exe, !interp);
	if (err || !interp)
		goto out;
	if (is_glibc_loader(interp)) {
		list = loader_list(interp, exe, &err);
		if (list) {
			err = alloc_objs_from_list(list, out);
			free(list);
		}
		goto out;
	}
	/* Not glibc's loader: what LD_PRELOAD names, then the loader. */
	env = strdup(getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
	if (!env) {
		err = -ENOMEM;
		goto out;
	}
	for (tok = strtok_r(env, ": \t", &save); !err && tok; tok = strtok_r(NULL, ": \t", &save))
		if (tok[0] == '/')
			err = objs_add(out, tok, false);
	free(env);
	if (!err)
		err = objs_add(out, interp, false);
out:
	free(interp);
	if (err)
		alloc_objs_free(out);
	return err;
}
