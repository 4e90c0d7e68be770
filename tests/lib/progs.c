// SPDX-License-Identifier: GPL-2.0
/* BPF programs of the test's own processes (see progs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "progs.h"

static unsigned *ids;
static size_t nids, capids;
static int children_listed;	/* /proc/PID/task/TID/children: 1 yes, -1 no */

unsigned bpf_prog_max_id(void)
{
	__u32 id = 0, next;

	while (!bpf_prog_get_next_id(id, &next))
		id = next;
	return id;
}

static bool record(unsigned id)
{
	for (size_t i = 0; i < nids; i++)
		if (ids[i] == id)
			return false;
	if (nids == capids) {
		size_t nc = capids ? capids * 2 : 64;
		unsigned *p = realloc(ids, nc * sizeof(*p));

		if (!p)
			return false;
		ids = p;
		capids = nc;
	}
	ids[nids++] = id;
	return true;
}

void bpf_progs_record_id(unsigned id)
{
	record(id);
}

/* The "prog_id:" of an fdinfo file (relative to dirfd); 0 if none. */
static unsigned fdinfo_prog_id(int dirfd, const char *name)
{
	char buf[1024], *p;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "\nprog_id:");
	return p ? (unsigned)strtoul(p + 9, NULL, 10) : 0;
}

int bpf_progs_record_fd(int fd)
{
	char path[64];
	unsigned id;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	id = fdinfo_prog_id(AT_FDCWD, path);
	if (!id)
		return -ENOENT;
	record(id);
	return 0;
}

static int sample_one(pid_t pid, int depth)
{
	char dir[64], path[600], target[64];
	int added = 0, fdfd, infofd;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	fdfd = dirfd(d);
	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", pid);
	infofd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (infofd >= 0 && (de = readdir(d))) {
		ssize_t n;
		unsigned id;

		if (de->d_name[0] == '.')
			continue;
		/* Only BPF fds ("anon_inode:bpf-prog", "anon_inode:bpf_link"):
		 * reading every fdinfo would cost more. */
		n = readlinkat(fdfd, de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strncmp(target, "anon_inode:bpf", 14) || strstr(target, "map"))
			continue;
		id = fdinfo_prog_id(infofd, de->d_name);
		added += id && record(id);
	}
	if (infofd >= 0)
		close(infofd);
	closedir(d);

	/* Descendants, where the kernel lists children (CONFIG_PROC_CHILDREN;
	 * a scan of all of /proc on every pump would cost too much). */
	if (!children_listed) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
		children_listed = access(path, R_OK) ? -1 : 1;
	}
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	d = depth < 4 && children_listed > 0 ? opendir(dir) : NULL;
	while (d && (de = readdir(d))) {
		char kids[1024], *p, *end;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/children", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			break;
		if (fgets(kids, sizeof(kids), f))
			for (p = kids; *p; p = end) {
				long kid = strtol(p, &end, 10);

				if (end == p)
					break;
				added += sample_one(kid, depth + 1);
			}
		fclose(f);
	}
	if (d)
		closedir(d);
	return added;
}

int bpf_progs_sample(pid_t pid)
{
	return pid > 0 ? sample_one(pid, 0) : 0;
}

int bpf_progs_recorded(unsigned since)
{
	int n = 0;

	for (size_t i = 0; i < nids; i++)
		n += ids[i] > since;
	return n;
}

int bpf_progs_since(unsigned since, char *names, size_t len)
{
	size_t pos = 0;
	int n = 0;

	if (len)
		names[0] = 0;
	for (size_t i = 0; i < nids; i++) {
		struct bpf_prog_info info;
		__u32 ilen = sizeof(info);
		int fd;

		if (ids[i] <= since)
			continue;
		fd = bpf_prog_get_fd_by_id(ids[i]);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			/* Cannot tell (not root?): count it, say why. */
			snprintf(info.name, sizeof(info.name), "?(%s)", strerror(errno));
		} else {
			memset(&info, 0, sizeof(info));
			bpf_obj_get_info_by_fd(fd, &info, &ilen);
			close(fd);
		}
		n++;
		if (pos < len)
			pos += snprintf(names + pos, len - pos, "%s%s(id %u)", pos ? ", " : "",
					info.name, ids[i]);
	}
	return n;
}

bool assert_no_progs_left_at(const char *file, int line, unsigned since, const char *what)
{
	struct timespec slice = { 0, 50 * 1000 * 1000 };
	char names[1024];
	int n;

	for (int i = 0; i < 40; i++) {
		n = bpf_progs_since(since, names, sizeof(names));
		if (!n)
			return test_checked(true);
		nanosleep(&slice, NULL);
	}
	test_checked(false);
	test_fail_at(file, line, "%s: %d of the test's %d BPF program(s) still loaded: %s", what, n,
		     bpf_progs_recorded(since), names);
	return false;
}
