// SPDX-License-Identifier: GPL-2.0
/* Memory cgroups for tests (see memcg.h). Written against the kernel's
 * cgroup files directly, not through memscope's own cgroup code, so tests
 * of that code have an independent answer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/procfs.h"
#include "harness.h"
#include "memcg.h"
#include "run.h"

#define PREFIX "memscope-test-"

static void msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int write_str(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX + 64];
	ssize_t n, len = strlen(val);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n != len)
		err = n < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

static bool has_file(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static char *read_in(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return read_text_file(path, NULL);
}

/* The value after `key ` on a line of a "key value" file; -1 if absent. */
static long long key_value(const char *dir, const char *file, const char *key)
{
	char *text = read_in(dir, file), *line, *save = NULL;
	size_t klen = strlen(key);
	long long v = -1;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	free(text);
	return v;
}

static long long one_value(const char *dir, const char *file)
{
	char *text = read_in(dir, file);
	long long v = text && *text ? strtoll(text, NULL, 10) : -1;

	free(text);
	return v;
}

/* The directory of this process's memory cgroup, from /proc/self/cgroup
 * and /proc/self/mountinfo; *version 1 or 2. 0 or -ENOENT. */
static int own_memcg(char *dir, size_t len, int *version)
{
	char *cg = read_text_file("/proc/self/cgroup", NULL), *mi = NULL;
	char *line, *save = NULL, v1path[PATH_MAX] = "", v2path[PATH_MAX] = "";
	int err = -ENOENT;

	/* "hierarchy-id:controllers:path"; v2 is "0::path". */
	for (line = cg ? strtok_r(cg, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = 0;
		if (word_in_list(c1 + 1, "memory"))
			snprintf(v1path, sizeof(v1path), "%s", c2 + 1);
		else if (!strcmp(line, "0:") && c1[1] == 0)
			snprintf(v2path, sizeof(v2path), "%s", c2 + 1);
	}
	mi = read_text_file("/proc/self/mountinfo", NULL);
	/* "id parent maj:min root mountpoint opts [optional...] - fstype src superopts" */
	for (line = mi ? strtok_r(mi, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char root[PATH_MAX], mnt[PATH_MAX], fstype[32], superopts[512];
		const char *dash = strstr(line, " - "), *path;
		size_t rl;

		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(dash + 3, "%31s %*s %511s", fstype, superopts) != 2)
			continue;
		if (v1path[0] && !strcmp(fstype, "cgroup") && word_in_list(superopts, "memory"))
			path = v1path, *version = 1;
		else if (!v1path[0] && v2path[0] && !strcmp(fstype, "cgroup2"))
			path = v2path, *version = 2;
		else
			continue;
		/* The mount shows the hierarchy from root down. */
		rl = strcmp(root, "/") ? strlen(root) : 0;
		if (strncmp(path, root, rl) || (path[rl] && path[rl] != '/'))
			continue;
		snprintf(dir, len, "%s%s", mnt, path + rl);
		/* "/sys/fs/cgroup/" for the root: drop the slash. */
		if (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
			dir[strlen(dir) - 1] = 0;
		err = 0;
		break;
	}
	free(cg);
	free(mi);
	return err;
}

/* Whether /proc/swaps lists a swap area (a line after its header). */
static bool swap_configured(void)
{
	char *text = read_text_file("/proc/swaps", NULL), *nl = text ? strchr(text, '\n') : NULL;
	bool any = nl && nl[1];

	free(text);
	return any;
}

int memcg_create(struct memcg *cg, unsigned long long limit, long long swap, char *why,
		 size_t len)
{
	static int seq;
	char val[32], *ctl;
	struct stat st;
	int err;

	memset(cg, 0, sizeof(*cg));
	why[0] = 0;
	if (geteuid()) {
		snprintf(why, len, "making a memory cgroup needs root");
		return -EPERM;
	}
	if (own_memcg(cg->parent, sizeof(cg->parent), &cg->version)) {
		snprintf(why, len, "no memory controller: neither a cgroup v1 memory hierarchy "
			 "nor cgroup v2 is mounted for this process");
		return -ENOENT;
	}
	if (cg->version == 2) {
		ctl = read_in(cg->parent, "cgroup.controllers");
		err = (ctl && word_in_list(ctl, "memory")) ? 0 : -EOPNOTSUPP;
		free(ctl);
		if (err) {
			snprintf(why, len, "cgroup v2 without the memory controller in %s",
				 cg->parent);
			return err;
		}
		/* Children get the controller only from subtree_control, and
		 * a non-root cgroup that holds processes (we are in it) may
		 * not enable it: the v2 no-internal-processes rule. */
		ctl = read_in(cg->parent, "cgroup.subtree_control");
		err = (ctl && word_in_list(ctl, "memory")) ? 0 :
		      write_str(cg->parent, "cgroup.subtree_control", "+memory");
		free(ctl);
		if (err) {
			snprintf(why, len, "cannot enable memory for the children of %s (%s): a "
				 "cgroup v2 that holds processes cannot; run the tests from a "
				 "cgroup with memory in cgroup.subtree_control", cg->parent,
				 strerror(-err));
			return err;
		}
	}
	do
		snprintf(cg->path, sizeof(cg->path), "%s/" PREFIX "%d-%d", cg->parent,
			 test_runner_pid(), seq++);
	while ((err = mkdir(cg->path, 0755) ? -errno : 0) == -EEXIST);
	if (err) {
		snprintf(why, len, "mkdir %s: %s", cg->path, strerror(-err));
		cg->path[0] = 0;
		return err;
	}
	if (stat(cg->path, &st)) {
		err = -errno;
		goto fail;
	}
	cg->id = st.st_ino;
	cg->limit = limit;
	snprintf(val, sizeof(val), "%llu", limit);
	err = write_str(cg->path, cg->version == 1 ? "memory.limit_in_bytes" : "memory.max", val);
	if (err)
		goto fail;
	if (swap >= 0 && cg->version == 1 && has_file(cg->path, "memory.memsw.limit_in_bytes") &&
	    (swap > 0 || swap_configured())) {
		/* v1 limits memory+swap together, never below the memory
		 * limit. Only where there is swap: once set, v1 charges that
		 * counter first, and its failcnt does not count (measured on
		 * 6.18: memory.memsw.failcnt stayed 0 through an OOM kill),
		 * so limit hits would read 0. */
		snprintf(val, sizeof(val), "%llu", limit + swap);
		err = write_str(cg->path, "memory.memsw.limit_in_bytes", val);
	} else if (swap >= 0 && cg->version == 2 && has_file(cg->path, "memory.swap.max")) {
		snprintf(val, sizeof(val), "%lld", swap);
		err = write_str(cg->path, "memory.swap.max", val);
	}
	if (err)
		goto fail;
	return 0;
fail:
	snprintf(why, len, "setting up %s: %s", cg->path, strerror(-err));
	rmdir(cg->path);
	cg->path[0] = 0;
	return err;
}

bool memcg_create_or_skip(struct memcg *cg, unsigned long long limit, long long swap)
{
	char why[PATH_MAX + 256];
	int err = memcg_create(cg, limit, swap, why, sizeof(why));

	if (err == -EPERM || err == -ENOENT || err == -EOPNOTSUPP || err == -EBUSY)
		test_skip("%s", why);
	return ASSERT_OK(err, why);
}

int memcg_join(const char *path)
{
	return write_str(path, "cgroup.procs", "0");
}

int memcg_move(const struct memcg *cg, pid_t pid)
{
	char val[16];

	snprintf(val, sizeof(val), "%d", pid);
	return write_str(cg->path, "cgroup.procs", val);
}

pid_t memcg_spawn(const struct memcg *cg, void (*fn)(void *arg), void *arg)
{
	int p[2], err = -EIO;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		close(p[0]);
		err = memcg_join(cg->path);
		if (write(p[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(125);
		close(p[1]);
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &err, sizeof(err)) != sizeof(err))
		err = -EIO;
	close(p[0]);
	if (err) {
		waitpid(pid, NULL, 0);
		return err;
	}
	return pid;
}

long long memcg_usage(const struct memcg *cg)
{
	return one_value(cg->path, cg->version == 1 ? "memory.usage_in_bytes" : "memory.current");
}

long long memcg_peak(const struct memcg *cg)
{
	return one_value(cg->path, cg->version == 1 ? "memory.max_usage_in_bytes" : "memory.peak");
}

long long memcg_stat(const struct memcg *cg, const char *key)
{
	return key_value(cg->path, "memory.stat", key);
}

long long memcg_swap(const struct memcg *cg)
{
	return cg->version == 1 ? key_value(cg->path, "memory.stat", "swap") :
	       one_value(cg->path, "memory.swap.current");
}

long long memcg_oom_kills(const struct memcg *cg)
{
	return cg->version == 1 ? key_value(cg->path, "memory.oom_control", "oom_kill") :
	       key_value(cg->path, "memory.events", "oom_kill");
}

long long memcg_limit_hits(const struct memcg *cg)
{
	long long mem, memsw;

	if (cg->version == 2)
		return key_value(cg->path, "memory.events", "max");
	/* v1 charges memory+swap first: with a swap limit it is that
	 * counter that fails (and counts) when the group is full. */
	mem = one_value(cg->path, "memory.failcnt");
	memsw = one_value(cg->path, "memory.memsw.failcnt");	/* 0 on 6.18 */
	return mem < 0 ? mem : mem + (memsw > 0 ? memsw : 0);
}

static int pids_in(const char *dir, pid_t *pids, int n)
{
	char *text = read_in(dir, "cgroup.procs"), *p, *end;
	int count = 0;

	if (!text)
		return -errno;
	for (p = text;; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (count < n)
			pids[count] = pid;
		count++;
	}
	free(text);
	return count;
}

int memcg_pids(const struct memcg *cg, pid_t *pids, int n)
{
	return pids_in(cg->path, pids, n);
}

/* Empty dir (sub-groups first) and remove it; back is where the calling
 * process goes if it is inside. */
static int remove_group(const char *dir, const char *back)
{
	pid_t pids[256];
	struct dirent *de;
	int n = 0, err = 0;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char sub[PATH_MAX + 256];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if ((err = remove_group(sub, back)))
			break;
	}
	closedir(d);
	if (err)
		return err;
	/* Processes go away asynchronously: 10 s at most. */
	for (int i = 0; i < 1000 && (n = pids_in(dir, pids, 256)) > 0; i++) {
		for (int k = 0; k < n && k < 256; k++) {
			if (pids[k] == getpid()) {
				memcg_join(back);
				continue;
			}
			/* Not reaped here: its parent (a test, bg_*) wants
			 * the status, and a zombie no longer holds the group. */
			kill(pids[k], SIGKILL);
		}
		msleep(10);
	}
	if (n > 0)
		return -EBUSY;
	for (int i = 0; i < 500; i++) {
		if (!rmdir(dir) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		msleep(10);
	}
	return -EBUSY;
}

int memcg_destroy(struct memcg *cg)
{
	int err;

	if (!cg->path[0])
		return 0;
	err = remove_group(cg->path, cg->parent);
	if (!err)
		cg->path[0] = 0;
	return err;
}

int memcg_sweep(pid_t mine, char *removed, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *de;
	size_t pos = 0;
	int version, found = 0;
	DIR *d;

	if (len)
		removed[0] = 0;
	if (own_memcg(dir, sizeof(dir), &version) || !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 256];
		int owner, n, err;

		if (de->d_type != DT_DIR || sscanf(de->d_name, PREFIX "%d-%d", &owner, &n) != 2)
			continue;
		if (mine ? owner != mine : owner == getpid() || test_runner_alive(owner))
			continue;
		found++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		err = remove_group(path, dir);
		if (pos < len)
			pos += snprintf(removed + pos, len - pos, "%s%s%s%s", pos ? ", " : "",
					de->d_name, err ? ": " : "", err ? strerror(-err) : "");
	}
	closedir(d);
	return found;
}
