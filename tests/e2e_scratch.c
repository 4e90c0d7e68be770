// SPDX-License-Identifier: GPL-2.0
/* The scratch directory (tests/lib/scratch.h) against the kernel: what the
 * page-cache tests will rely on holds there, on the host and in the QEMU
 * guests (where it is vmtest's ext4 disk). A file written and synced can be
 * evicted from the page cache completely, reading it fetches it from the
 * disk and leaves every page resident; and the runner's sweeps remove
 * scratch directories as documented. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "harness.h"
#include "scratch.h"

#define MiB (1ULL << 20)
#define FILE_BYTES (16 * MiB)

/* What word i (8 bytes) of the file holds: distinct in every page, so a
 * page read from the wrong place, or a hole read as zeros, shows. */
static uint64_t word_at(size_t i)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL;
}

/* Pages of fd's first len bytes that are in the page cache: mincore() on
 * a fresh mapping (mapping faults nothing in, mincore reports the cache
 * of a file the caller owns); -1 on error. */
static long resident_pages(int fd, size_t len)
{
	size_t page = sysconf(_SC_PAGESIZE), n = (len + page - 1) / page;
	unsigned char *vec = malloc(n);
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	long resident = -1;

	if (vec && p != MAP_FAILED && !mincore(p, len, vec)) {
		resident = 0;
		for (size_t i = 0; i < n; i++)
			resident += vec[i] & 1;
	}
	if (p != MAP_FAILED)
		munmap(p, len);
	free(vec);
	return resident;
}

/* Bytes this task caused to be fetched from storage (/proc/self/io
 * read_bytes: counted at submit_bio); -1 without task I/O accounting. */
static long long io_read_bytes(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/self/io", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "read_bytes: %lld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

TEST_FULL(e2e_scratch_page_cache, T_ROOT | T_E2E, 120)
{
	size_t page = sysconf(_SC_PAGESIZE), words = FILE_BYTES / 8, bad = 0;
	const char *dir = test_scratch_dir();
	long long before, after;
	char path[PATH_MAX];
	struct statfs sfs = {};
	uint64_t *buf;
	struct stat st;
	ssize_t n;
	int fd;

	if (!dir)
		test_skip("no block-backed file system for scratch files here");
	test_log("scratch directory: %s", dir);
	buf = malloc(FILE_BYTES);
	if (!ASSERT_TRUE(buf, "16 MiB buffer"))
		return;
	for (size_t i = 0; i < words; i++)
		buf[i] = word_at(i);
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!ASSERT_GE(fd, 0, "create the file"))
		return;
	ASSERT_EQ(write(fd, buf, FILE_BYTES), FILE_BYTES, "write 16 MiB");
	ASSERT_OK(fdatasync(fd), "fdatasync");

	/* Where it is: a file system with a disk behind it. */
	if (ASSERT_OK(fstatfs(fd, &sfs), "fstatfs")) {
		test_log("file system magic 0x%llx", (unsigned long long)sfs.f_type);
		ASSERT_NE(sfs.f_type, TMPFS_MAGIC, "not tmpfs");
		ASSERT_NE(sfs.f_type, RAMFS_MAGIC, "not ramfs");
	}
	if (ASSERT_OK(fstat(fd, &st), "fstat")) {
		test_log("st_dev %u:%u, %lld blocks of 512 bytes", major(st.st_dev),
			 minor(st.st_dev), (long long)st.st_blocks);
		if (sfs.f_type != BTRFS_SUPER_MAGIC)
			ASSERT_NE(major(st.st_dev), 0, "a block device's number, not an anonymous one");
		ASSERT_GE(st.st_blocks * 512, FILE_BYTES, "all of it allocated on the disk");
	}

	/* Clean after fdatasync: DONTNEED evicts every page. */
	ASSERT_OK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), "fadvise DONTNEED");
	ASSERT_EQ(resident_pages(fd, FILE_BYTES), 0, "pages resident after DONTNEED");

	/* Reading it fetches it from the disk and caches all of it. */
	before = io_read_bytes();
	memset(buf, 0, FILE_BYTES);
	for (size_t off = 0; off < FILE_BYTES; off += n) {
		n = pread(fd, (char *)buf + off, FILE_BYTES - off, off);
		if (!ASSERT_GT(n, 0, "read the file"))
			break;
	}
	after = io_read_bytes();
	for (size_t i = 0; i < words; i++)
		bad += buf[i] != word_at(i);
	ASSERT_EQ(bad, 0, "words read back different from those written");
	ASSERT_EQ(resident_pages(fd, FILE_BYTES), FILE_BYTES / page, "pages resident after reading");
	if (before < 0)
		test_log("no /proc/self/io (CONFIG_TASK_IO_ACCOUNTING): disk reads not counted");
	else
		ASSERT_GE(after - before, FILE_BYTES, "bytes read from the disk (/proc/self/io)");
	close(fd);
	free(buf);
	/* The runner removes the file with the directory. */
}

/* The directory is the test's own and stays put; what the runner does
 * between tests and at start: directories of this runner, and of runners
 * that are gone, are removed with what they hold; a live runner's stay. */
TEST(e2e_scratch_sweep, T_E2E)
{
	char base[PATH_MAX], stale[PATH_MAX + 64], file[PATH_MAX + 80], removed[1024], want[64];
	const char *dir = test_scratch_dir();
	struct stat st;
	pid_t dead;
	int n;

	if (!dir)
		test_skip("no block-backed file system for scratch files here");
	ASSERT_TRUE(test_scratch_dir() == dir, "the same directory on a second call");
	snprintf(want, sizeof(want), "/memscope-scratch-%d-%d", test_runner_pid(), getpid());
	ASSERT_CONTAINS(dir, want, "named after the runner and the test");
	ASSERT_TRUE(!stat(dir, &st) && S_ISDIR(st.st_mode), "it exists");
	snprintf(file, sizeof(file), "%s/file", dir);
	ASSERT_TRUE(write_text(file, "x"), "a file in it");

	/* A pid that is gone: a child of ours, reaped. */
	dead = fork();
	if (!dead)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(base, sizeof(base), "%s", dir);
	snprintf(stale, sizeof(stale), "%s/memscope-scratch-%d-1", dirname(base), dead);
	ASSERT_OK(mkdir(stale, 0755), "a directory of a runner that is gone");
	snprintf(file, sizeof(file), "%s/file", stale);
	ASSERT_TRUE(write_text(file, "x"), "a file in it");

	n = scratch_sweep(0, removed, sizeof(removed));
	test_log("sweep of stale directories: %d removed: %s", n, removed);
	ASSERT_GE(n, 1, "stale directories found");
	ASSERT_CONTAINS(removed, stale, "the gone runner's directory is named");
	ASSERT_TRUE(stat(stale, &st) && errno == ENOENT, "and removed");
	ASSERT_OK(stat(dir, &st), "the live runner's directory stays");

	/* Between tests: this runner's. */
	ASSERT_EQ(scratch_sweep(test_runner_pid(), removed, sizeof(removed)), 1,
		  "this runner's directory found");
	ASSERT_TRUE(stat(dir, &st) && errno == ENOENT, "and removed");
	ASSERT_EQ(scratch_sweep(test_runner_pid(), removed, sizeof(removed)), 0, "nothing left");
}
