// SPDX-License-Identifier: GPL-2.0
/* Scratch directories on a block-backed file system (see scratch.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsutil.h"
#include "harness.h"
#include "run.h"
#include "scratch.h"

#define PREFIX "memscope-scratch-"

/* Where scratch directories may go, in order of preference. Only the
 * guest's /scratch is vmtest's disk: on a host a /scratch may be anyone's
 * (a shared network file system, say). */
static const char *const guest_bases[] = { "/scratch", NULL };
static const char *const host_bases[] = { "/var/tmp", "/tmp", NULL };

static const char *const *bases(void)
{
	return getenv("MEMSCOPE_GUEST") ? guest_bases : host_bases;
}

/* Why scratch files cannot go in dir (a constant string), or NULL when
 * they can: a file system with a block device behind it. */
static const char *not_block_backed(const char *dir)
{
	struct statfs sfs;
	struct stat st;

	if (statfs(dir, &sfs) || stat(dir, &st))
		return strerror(errno);
	switch (sfs.f_type) {
	case TMPFS_MAGIC:
		return "tmpfs (shmem: never read from a disk, not evicted by fadvise)";
	case RAMFS_MAGIC:
		return "ramfs (no disk behind it)";
	case OVERLAYFS_SUPER_MAGIC:
		/* Its pages belong to the inode below: a page-cache tool
		 * reports a device and inode that stat() here does not. */
		return "overlayfs (the pages are the lower file system's)";
	case BTRFS_SUPER_MAGIC:
		/* On a disk, though each subvolume has an anonymous st_dev. */
		return NULL;
	}
	/* The rest without a block device (NFS, FUSE, 9p, virtiofs, ZFS)
	 * have an anonymous device number: major 0. */
	if (!major(st.st_dev))
		return "not on a block device (anonymous device number)";
	return NULL;
}

const char *test_scratch_dir(void)
{
	static char dir[PATH_MAX];
	const char *const *base;

	if (dir[0])
		return dir;
	for (base = bases(); *base; base++) {
		const char *why = not_block_backed(*base);

		if (why) {
			test_log("scratch: not in %s: %s", *base, why);
			continue;
		}
		/* The runner made the test the leader of its process group:
		 * its children name the same directory. */
		snprintf(dir, sizeof(dir), "%s/" PREFIX "%d-%d", *base, test_runner_pid(),
			 (int)getpgrp());
		if (!mkdir(dir, 0755) || errno == EEXIST)
			return dir;
		test_log("scratch: mkdir %s: %s", dir, strerror(errno));
		dir[0] = 0;
	}
	return NULL;
}

int scratch_sweep(pid_t mine, char *removed, size_t len)
{
	const char *const *base;
	size_t pos = 0;
	int found = 0;

	if (len)
		removed[0] = 0;
	for (base = bases(); *base; base++) {
		DIR *d = opendir(*base);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char path[PATH_MAX];
			int owner, test;

			if (sscanf(de->d_name, PREFIX "%d-%d", &owner, &test) != 2)
				continue;
			if (mine ? owner != mine : owner == getpid() || test_runner_alive(owner))
				continue;
			found++;
			snprintf(path, sizeof(path), "%s/%s", *base, de->d_name);
			rm_tree(path);
			if (pos < len)
				pos += snprintf(removed + pos, len - pos, "%s%s", pos ? ", " : "",
						path);
		}
		if (d)
			closedir(d);
	}
	return found;
}

char *scratch_mkdtemp(const char *prefix)
{
	static char dir[PATH_MAX];
	const char *base = test_scratch_dir();

	if (!base)
		return NULL;
	snprintf(dir, sizeof(dir), "%s/%s.XXXXXX", base, prefix);
	return mkdtemp(dir);
}

bool scratch_make_file(const char *path, int mib)
{
	char n[16], *argv[] = { (char *)bin_path("tests/workloads/cachewl"), (char *)path, "make",
				n, NULL };
	struct run_result r;
	bool ok;

	snprintf(n, sizeof(n), "%d", mib);
	ok = ASSERT_OK(run_argv(argv, NULL, &r), "make the file") &&
	     ASSERT_EQ(r.status, 0, "cachewl make");
	run_result_free(&r);
	return ok;
}
