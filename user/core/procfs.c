// SPDX-License-Identifier: GPL-2.0
/* Readers of /proc and /sys files (see procfs.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/procfs.h"

int proc_map_parse(const char *line, struct proc_map *m)
{
	int path_at = 0;

	memset(m, 0, sizeof(*m));
	/* 55d0c0a5e000-55d0c0a60000 r-xp 00002000 fe:00 1234   /usr/bin/x */
	if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &m->start, &m->end, m->perms,
		   &m->pgoff, &m->dev_major, &m->dev_minor, &m->inode, &path_at) < 7)
		return -EINVAL;
	if (m->end < m->start)
		return -EINVAL;
	if (path_at > 0) {
		const char *s = line + path_at, *end = s + strlen(s);
		size_t n = 0;

		/* Only the line's own end: a name may end in a space. */
		if (end > s && end[-1] == '\n')
			end--;
		/* The kernel writes a newline in the path as "\012" (and
		 * escapes nothing else, not even a backslash): undone while
		 * copying, or a module's name would be shown as other bytes
		 * than its own, and a path near PATH_MAX with newlines cut. */
		while (s < end && n < sizeof(m->path) - 1) {
			if (end - s >= 4 && !strncmp(s, "\\012", 4)) {
				m->path[n++] = '\n';
				s += 4;
			} else {
				m->path[n++] = *s++;
			}
		}
		m->path[n] = 0;
	}
	return 0;
}

#define DELETED_SUFFIX " (deleted)"

bool path_is_deleted(const char *path)
{
	size_t n = strlen(path), k = sizeof(DELETED_SUFFIX) - 1;

	return n > k && !strcmp(path + n - k, DELETED_SUFFIX);
}

bool path_strip_deleted(char *path)
{
	if (!path_is_deleted(path))
		return false;
	path[strlen(path) - (sizeof(DELETED_SUFFIX) - 1)] = 0;
	return true;
}

int proc_map_find(pid_t pid, unsigned long addr, struct proc_map *m)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int err = -ENOENT;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* getline: a fixed buffer would split a long path's line in two. */
	while (getline(&line, &cap, f) > 0) {
		if (proc_map_parse(line, m))
			continue;
		if (addr >= m->start && addr < m->end) {
			err = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return err;
}

/* The kernel writes space, tab, newline and backslash in mount points as
 * \ooo (fs/proc_namespace.c, mangle()); undo that in place. */
static void unescape_octal(char *s)
{
	char *o = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
}

int mounts_find(FILE *f, const char *fstype, const char *opt, char *buf, size_t len)
{
	char *line = NULL, *save, *dir, *type, *opts;
	size_t cap = 0;
	int err = -ENOENT;

	while (err == -ENOENT && getline(&line, &cap, f) > 0) {
		/* Fields never hold a raw space: the kernel escapes them. */
		if (!strtok_r(line, " \n", &save) || !(dir = strtok_r(NULL, " \n", &save)) ||
		    !(type = strtok_r(NULL, " \n", &save)) || !(opts = strtok_r(NULL, " \n", &save)))
			continue;
		if (strcmp(type, fstype) || (opt && !word_in_list(opts, opt)))
			continue;
		unescape_octal(dir);
		err = strlen(dir) < len ? 0 : -ENAMETOOLONG;
		if (!err)
			memcpy(buf, dir, strlen(dir) + 1);
	}
	free(line);
	return err;
}

int proc_mount_find(const char *fstype, const char *opt, char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	int err;

	if (!f)
		return -errno;
	err = mounts_find(f, fstype, opt, buf, len);
	fclose(f);
	return err;
}

int cgroup_find(FILE *f, const char *ctrl, char *buf, size_t len)
{
	char line[4096], *c1, *c2, *nl;

	while (fgets(line, sizeof(line), f)) {
		/* hierarchy-ID:controller-list:path */
		c1 = strchr(line, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		if (*ctrl ? !word_in_list(c1 + 1, ctrl) : (c1[1] != 0 || strncmp(line, "0:", 2)))
			continue;
		nl = strchr(c2 + 1, '\n');
		if (nl)
			*nl = 0;
		snprintf(buf, len, "%s", c2 + 1);
		return 0;
	}
	return -ENOENT;
}

int proc_self_cgroup(const char *ctrl, char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	int err;

	if (!f)
		return -errno;
	err = cgroup_find(f, ctrl, buf, len);
	fclose(f);
	return err;
}

ssize_t read_file_str(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Until the end: tracefs and seq_file files come a page per read. */
	n = 0;
	while ((size_t)n < len - 1) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			n = -errno;
			break;
		}
		if (!r)
			break;
		n += r;
	}
	close(fd);
	if (n < 0)
		return n;
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return n;
}

bool word_in_list(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;

	if (!wl)
		return false;
	while ((p = strstr(p, word))) {
		bool start = p == list || p[-1] == ',' || p[-1] == ' ' || p[-1] == '\t';
		char after = p[wl];
		bool end = !after || after == ',' || after == ' ' || after == '\t' || after == '\n';

		if (start && end)
			return true;
		p += wl;
	}
	return false;
}

int keyed_find(FILE *f, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);
	char line[512];

	while (fgets(line, sizeof(line), f)) {
		const char *p = line + kl;

		if (strncmp(line, key, kl) || (*p != ':' && *p != ' ' && *p != '\t'))
			continue;
		p += *p == ':';
		return sscanf(p, "%" SCNu64, v) == 1 ? 0 : -EINVAL;
	}
	return -ENOENT;
}

int file_keyed_u64(const char *path, const char *key, uint64_t *v)
{
	FILE *f = fopen(path, "re");
	int err;

	if (!f)
		return -errno;
	err = keyed_find(f, key, v);
	fclose(f);
	return err;
}

uint64_t meminfo_kb(const char *key)
{
	uint64_t v = 0;

	return file_keyed_u64("/proc/meminfo", key, &v) ? 0 : v;
}

int mountinfo_find_dev(FILE *f, unsigned major, unsigned minor, char *mnt, size_t len)
{
	char *line = NULL, *save, *root, *dir, *id;
	unsigned ma, mi;
	size_t cap = 0;
	int err = -ENOENT;

	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the first mount of the
	 * device's own root ("/"), else the first of it at all. */
	while (err && getline(&line, &cap, f) > 0) {
		if (!strtok_r(line, " \n", &save) || !strtok_r(NULL, " \n", &save) ||
		    !(id = strtok_r(NULL, " \n", &save)) || !(root = strtok_r(NULL, " \n", &save)) ||
		    !(dir = strtok_r(NULL, " \n", &save)) || sscanf(id, "%u:%u", &ma, &mi) != 2 ||
		    ma != major || mi != minor || strcmp(root, "/"))
			continue;
		unescape_octal(dir);
		err = strlen(dir) < len ? 0 : -ENAMETOOLONG;
		if (!err)
			memcpy(mnt, dir, strlen(dir) + 1);
	}
	free(line);
	return err;
}

int proc_mount_of_dev(unsigned major, unsigned minor, char *mnt, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err;

	if (!f)
		return -errno;
	err = mountinfo_find_dev(f, major, minor, mnt, len);
	fclose(f);
	return err;
}

uint64_t fd_memlock(int fd)
{
	char path[64], line[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %" SCNu64, &v) == 1)
			break;
	fclose(f);
	return v;
}

int proc_pid_stat_parse(const char *line, struct proc_pid_stat *st)
{
	const char *p = strrchr(line, ')');
	int i;

	/* The name (field 2) may hold spaces and parentheses: the last ')'
	 * ends it. */
	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->state = p[2];
	for (i = 2; p && i < 22; i++) {
		p = strchr(p + 1, ' ');
		if (p && i == 8)
			st->flags = strtoul(p + 1, NULL, 10);
	}
	if (!p)
		return -EINVAL;
	st->start_time = strtoull(p + 1, NULL, 10);
	return 0;
}

int proc_pid_stat_read(pid_t pid, struct proc_pid_stat *st)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file_str(path, buf, sizeof(buf)) <= 0 || proc_pid_stat_parse(buf, st))
		return -ESRCH;
	return 0;
}

size_t proc_self_rss(void)
{
	unsigned long size, resident;
	char buf[128];

	if (read_file_str("/proc/self/statm", buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%lu %lu", &size, &resident) != 2)
		return 0;
	return resident * (size_t)sysconf(_SC_PAGESIZE);
}
