/* SPDX-License-Identifier: GPL-2.0 */
/* Memory cgroups by id and by path, on cgroup v1 (the memory controller's
 * own hierarchy) and v2 (the unified one) alike. The BPF side attributes
 * events to the id of a task's memory cgroup (bpf/lib/common.bpf.h): the
 * inode number of its directory. User space turns a --cgroup PATH into
 * that id, and ids back into paths for reports. */
#ifndef MEMSCOPE_RUN_MEMCG_H
#define MEMSCOPE_RUN_MEMCG_H

#include <stddef.h>
#include <stdint.h>

/* path: a directory of the memory hierarchy ("/sys/fs/cgroup/memory/a"),
 * or a cgroup path as /proc/PID/cgroup shows it ("/a", relative to the
 * hierarchy's root). Fills *id and the directory. 0; -ENOENT (no such
 * cgroup), -EXDEV (a directory, but not of the memory hierarchy),
 * -EOPNOTSUPP (no memory controller mounted), other -errno. */
int memcg_resolve(const char *path, uint64_t *id, char *dir, size_t len);

/* Names of memory cgroups by id, learnt by walking the hierarchy (again
 * when an id is not known, at most once a second). */
struct memcg_names;

struct memcg_names *memcg_names_new(void);
void memcg_names_free(struct memcg_names *n);
/* The path of id relative to the hierarchy's root ("/" for the root,
 * "/a/b"); NULL when no cgroup has that id (it may be gone). */
const char *memcg_names_get(struct memcg_names *n, uint64_t id);

#endif
