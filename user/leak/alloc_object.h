/* SPDX-License-Identifier: GPL-2.0 */
/* Which object serves malloc & co. to a running process or to a command
 * about to start: the executable itself (static, or with a statically
 * linked allocator), a preloaded or linked allocator library (jemalloc,
 * tcmalloc, mimalloc), or the C library. That object is where
 * `memscope leak` puts its uprobes (uprobe_place.h plans them). */
#ifndef MEMSCOPE_ALLOC_OBJECT_H
#define MEMSCOPE_ALLOC_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Which object serves prefix+malloc in the running process pid: the first
 * object that defines it in the dynamic linker's search order, read from
 * the process's own link map (r_debug); where that cannot be read, the
 * executable, then other libraries (preloaded or linked allocators such as
 * jemalloc, tcmalloc, mimalloc), then the C library, in /proc/PID/maps
 * order. path receives a name for it that works from our mount namespace
 * (the plain path when the target sees the same file there, else
 * /proc/PID/root/<path> for a process in a container, or
 * /proc/PID/map_files/<range> for a file deleted since it was mapped);
 * target_path (may be NULL) the path as the process sees it. 0, -ESRCH for
 * no such process, -ENOENT when no mapped object defines it (a stripped
 * static executable), other -errno. MEMSCOPE_ALLOC_ORDER=maps in the
 * environment forces the maps order (test-only: it lets the suite run that
 * path on processes whose link map is readable). */
int alloc_object_for_pid(pid_t pid, const char *prefix, char *path, size_t len,
			 char *target_path, size_t tlen);

/* The same for a command about to be started with our environment (exe is
 * the path of its ELF executable, PATH already searched): the executable
 * itself if it defines prefix+malloc (static, or a statically linked
 * allocator); else the libraries its dynamic loader will map, in load
 * order (LD_PRELOAD first), listed by running that loader with
 * LD_TRACE_LOADED_OBJECTS=1 as ldd does (only glibc's loader, which runs no
 * program code in that mode; for others the LD_PRELOAD paths and the
 * loader itself, which is musl's C library, are tried), the first that
 * defines it. 0, -ENOEXEC when exe is not ELF, -ENOENT when nothing defines
 * it, other -errno. */
int alloc_object_for_command(const char *exe, const char *prefix, char *path, size_t len);

/* Does process pid map the file at path (same device and inode)? 1 or 0,
 * or -errno (-ESRCH: no such process). */
int alloc_object_mapped(pid_t pid, const char *path);

/* The objects in which the dynamic linker of process pid, or of a command
 * about to start (exe as above), looks up a symbol, in the order it
 * searches them: the first that defines a name serves it. For a process
 * the link map's order (without it: /proc/PID/maps order with the C
 * library last); for a command the executable, then the loader's list.
 * Each path works from our mount namespace; symtab: a static executable,
 * where .symtab is all there is. 0 or -errno; free with alloc_objs_free. */
struct alloc_obj {
	char *path;
	bool symtab;
};

struct alloc_objs {
	int n;
	struct alloc_obj *v;
};

int alloc_objects_for_pid(pid_t pid, struct alloc_objs *out);
int alloc_objects_for_command(const char *exe, struct alloc_objs *out);
void alloc_objs_free(struct alloc_objs *l);

/* The absolute paths in a loader's ldd-mode list (its output with
 * LD_TRACE_LOADED_OBJECTS=1: "\tname => /path (0x...)" or "\t/path
 * (0x...)"), each once, in order, added to out; list is cut up. 0 or
 * -ENOMEM. */
int alloc_objs_from_list(char *list, struct alloc_objs *out);

#endif
