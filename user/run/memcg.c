// SPDX-License-Identifier: GPL-2.0
/* Memory cgroup ids and paths (see memcg.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caps/sysfacts.h"
#include "core/hmap.h"
#include "run/memcg.h"

/* Is dir inside (or equal to) mount? */
static bool under(const char *dir, const char *mount)
{
	size_t n = strlen(mount);

	return !strncmp(dir, mount, n) && (dir[n] == '/' || !dir[n]);
}

int memcg_resolve(const char *path, uint64_t *id, char *dir, size_t len)
{
	char mount[256], real[PATH_MAX], cand[PATH_MAX + 300];
	struct stat st;

	if (!memcg_hierarchy(mount, sizeof(mount)))
		return -EOPNOTSUPP;
	/* A path as /proc/PID/cgroup shows it first, then as given. */
	snprintf(cand, sizeof(cand), "%s/%s", mount, path[0] == '/' ? path + 1 : path);
	if (!realpath(cand, real) && !realpath(path, real))
		return -errno;
	if (stat(real, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!under(real, mount))
		return -EXDEV;
	/* A cgroup directory has this file in both versions' memory
	 * hierarchy; any other directory under the mount does not exist. */
	snprintf(cand, sizeof(cand), "%s/cgroup.procs", real);
	if (access(cand, F_OK))
		return -EXDEV;
	*id = st.st_ino;
	snprintf(dir, len, "%s", real);
	return 0;
}

struct memcg_names {
	struct hmap ids;	/* id -> char * (path relative to the mount) */
	char mount[256];
	time_t last_walk;
};

struct memcg_names *memcg_names_new(void)
{
	struct memcg_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	hmap_init(&n->ids, sizeof(char *));
	memcg_hierarchy(n->mount, sizeof(n->mount));
	return n;
}

static void names_clear(struct memcg_names *n)
{
	struct hkey k;
	size_t i = 0;
	void *v;

	while (hmap_next(&n->ids, &i, &k, &v))
		free(*(char **)v);
	hmap_clear(&n->ids);
}

void memcg_names_free(struct memcg_names *n)
{
	if (!n)
		return;
	names_clear(n);
	hmap_free(&n->ids);
	free(n);
}

/* Record dir (relative path rel) and everything below it. */
static void walk(struct memcg_names *n, int dirfd, const char *rel, int depth)
{
	struct stat st;
	struct dirent *e;
	bool created;
	char **slot;
	DIR *d;

	if (fstat(dirfd, &st)) {
		close(dirfd);
		return;
	}
	slot = hmap_put(&n->ids, (struct hkey){ st.st_ino, 0 }, &created);
	if (slot && created)
		*slot = strdup(rel[0] ? rel : "/");
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return;
	}
	while (depth < 64 && (e = readdir(d))) {
		char sub[PATH_MAX];
		int fd;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		walk(n, fd, sub, depth + 1);
	}
	closedir(d);
}

const char *memcg_names_get(struct memcg_names *n, uint64_t id)
{
	char **p = hmap_get(&n->ids, (struct hkey){ id, 0 });
	time_t now = time(NULL);
	int fd;

	if (p)
		return *p;
	if (!n->mount[0] || now == n->last_walk)
		return NULL;
	n->last_walk = now;
	names_clear(n);
	fd = open(n->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		walk(n, fd, "", 0);
	p = hmap_get(&n->ids, (struct hkey){ id, 0 });
	return p ? *p : NULL;
}
