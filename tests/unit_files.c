// SPDX-License-Identifier: GPL-2.0
/* Atomic output files, for real: symlinks planted where a writer might
 * open or follow them, a missing directory, a full file system (a tiny
 * tmpfs of our own, in a private mount namespace) and a failing fill
 * callback. Each case runs with O_TMPFILE and with the named fallback. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "harness.h"
#include "out/files.h"

#define VICTIM_TEXT "precious\n"

struct fill_ctx {
	const char *text;
	size_t repeat;		/* write text this many times */
	int fail;		/* then return this */
};

static int fill(FILE *f, void *p)
{
	const struct fill_ctx *c = p;

	for (size_t i = 0; i < c->repeat; i++)
		fputs(c->text, f);
	return c->fail;
}

static bool read_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = 0;
	return true;
}

static const char *mode_name(unsigned flags)
{
	return flags & FILE_ATOMIC_NAMED ? "named" : "O_TMPFILE";
}

TEST(unit_files_write_and_replace, 0)
{
	char dir[] = "/tmp/memscope-files-XXXXXX", path[128], buf[256], what[96];
	struct fill_ctx c = { .text = "hello\n", .repeat = 3 };
	mode_t um = umask(022);
	struct stat st1, st2;
	char *l;

	umask(um);
	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	for (unsigned flags = 0; flags <= FILE_ATOMIC_NAMED; flags += FILE_ATOMIC_NAMED) {
		snprintf(what, sizeof(what), "%s: new file", mode_name(flags));
		c.text = "hello\n";
		ASSERT_OK(file_write_atomic_flags(path, fill, &c, flags), what);
		ASSERT_TRUE(read_all(path, buf, sizeof(buf)) && !strcmp(buf, "hello\nhello\nhello\n"),
			    "content");
		ASSERT_OK(stat(path, &st1), "stat");
		ASSERT_EQ(st1.st_mode & 07777, 0666 & ~um, "mode 0666 less the umask");
		c.text = "again\n";
		snprintf(what, sizeof(what), "%s: replace", mode_name(flags));
		ASSERT_OK(file_write_atomic_flags(path, fill, &c, flags), what);
		ASSERT_OK(stat(path, &st2), "stat");
		ASSERT_NE(st1.st_ino, st2.st_ino, "replaced by a new inode, not rewritten");
		ASSERT_TRUE(read_all(path, buf, sizeof(buf)) && !strcmp(buf, "again\nagain\nagain\n"),
			    "new content");
		l = dir_listing(dir);
		ASSERT_STREQ(l, "out.txt ", "nothing else in the directory");
		free(l);
		unlink(path);
	}
	/* A relative path: the directory is ".". */
	if (ASSERT_OK(chdir(dir), "chdir")) {
		ASSERT_OK(file_write_atomic("rel.txt", fill, &c), "relative path");
		ASSERT_TRUE(read_all("rel.txt", buf, sizeof(buf)), "written in the cwd");
	}
	rm_tree(dir);
}

TEST(unit_files_planted_symlinks, T_ROOT)
{
	/* Names a writer might use for its temporary file, and path itself. */
	static const char *const planted[] = {
		"out.svg.tmp", ".out.svg.tmp", "out.svg~", ".out.svg.swp", "out.svg.new",
		".out.svg", "#out.svg#", ".memscope-", "out.svg",
	};
	char dir[] = "/tmp/memscope-files-XXXXXX", vdir[] = "/tmp/memscope-victim-XXXXXX";
	char path[128], victim[128], p[160], buf[256], what[128];
	struct fill_ctx c = { .text = "<svg/>\n", .repeat = 1 };
	struct stat st, vst0, vst;
	size_t i;

	if (!ASSERT_TRUE(mkdtemp(dir) && mkdtemp(vdir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/out.svg", dir);
	snprintf(victim, sizeof(victim), "%s/victim", vdir);
	for (unsigned flags = 0; flags <= FILE_ATOMIC_NAMED; flags += FILE_ATOMIC_NAMED) {
		ASSERT_TRUE(write_text(victim, VICTIM_TEXT), "victim");
		ASSERT_OK(stat(victim, &vst0), "stat victim");
		for (i = 0; i < sizeof(planted) / sizeof(planted[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, planted[i]);
			unlink(p);
			ASSERT_OK(symlink(victim, p), "plant a symlink");
		}
		snprintf(what, sizeof(what), "%s: write through planted symlinks", mode_name(flags));
		ASSERT_OK(file_write_atomic_flags(path, fill, &c, flags), what);
		ASSERT_TRUE(read_all(victim, buf, sizeof(buf)) && !strcmp(buf, VICTIM_TEXT),
			    "victim content untouched");
		ASSERT_OK(stat(victim, &vst), "stat victim");
		ASSERT_TRUE(vst.st_ino == vst0.st_ino && vst.st_size == vst0.st_size &&
			    vst.st_mtim.tv_sec == vst0.st_mtim.tv_sec &&
			    vst.st_mtim.tv_nsec == vst0.st_mtim.tv_nsec, "victim not written");
		ASSERT_OK(lstat(path, &st), "lstat path");
		ASSERT_TRUE(S_ISREG(st.st_mode), "the symlink at path is replaced by a regular file");
		ASSERT_TRUE(read_all(path, buf, sizeof(buf)) && !strcmp(buf, "<svg/>\n"),
			    "path holds the output");
		for (i = 0; i + 1 < sizeof(planted) / sizeof(planted[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, planted[i]);
			snprintf(what, sizeof(what), "%s is still the planted symlink", planted[i]);
			ASSERT_TRUE(!lstat(p, &st) && S_ISLNK(st.st_mode), what);
		}
		unlink(path);
	}
	/* A dangling symlink at path: replaced, its target never created. */
	snprintf(p, sizeof(p), "%s/absent", vdir);
	ASSERT_OK(symlink(p, path), "dangling symlink at path");
	ASSERT_OK(file_write_atomic(path, fill, &c), "write over a dangling symlink");
	ASSERT_TRUE(access(p, F_OK) && errno == ENOENT, "its target was not created");
	ASSERT_TRUE(!lstat(path, &st) && S_ISREG(st.st_mode), "path is a regular file");
	rm_tree(dir);
	rm_tree(vdir);
}

TEST(unit_files_bad_paths, 0)
{
	char dir[] = "/tmp/memscope-files-XXXXXX", path[160];
	struct fill_ctx c = { .text = "x", .repeat = 1 };
	char *l;

	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/no/such/dir/out.svg", dir);
	ASSERT_EQ(file_write_atomic(path, fill, &c), -ENOENT, "missing directory");
	ASSERT_EQ(file_write_atomic_flags(path, fill, &c, FILE_ATOMIC_NAMED), -ENOENT,
		  "missing directory (named)");
	snprintf(path, sizeof(path), "%s/", dir);
	ASSERT_EQ(file_write_atomic(path, fill, &c), -EISDIR, "path ending in /");
	snprintf(path, sizeof(path), "%s/sub", dir);
	ASSERT_OK(mkdir(path, 0755), "mkdir");
	ASSERT_EQ(file_write_atomic(path, fill, &c), -EISDIR, "a directory at path");
	ASSERT_EQ(file_write_atomic(NULL, fill, &c), -EINVAL, "NULL path");
	ASSERT_EQ(file_write_atomic(path, NULL, &c), -EINVAL, "NULL fill");
	l = dir_listing(dir);
	ASSERT_STREQ(l, "sub ", "no temporary file left");
	free(l);
	rm_tree(dir);
}

TEST(unit_files_fill_error, 0)
{
	char dir[] = "/tmp/memscope-files-XXXXXX", path[128], buf[64], what[96];
	struct fill_ctx c = { .text = "partial output\n", .repeat = 1000, .fail = -EBADMSG };
	char *l;

	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/out.folded", dir);
	ASSERT_TRUE(write_text(path, "old\n"), "previous output");
	for (unsigned flags = 0; flags <= FILE_ATOMIC_NAMED; flags += FILE_ATOMIC_NAMED) {
		snprintf(what, sizeof(what), "%s: fill's error is returned", mode_name(flags));
		ASSERT_EQ(file_write_atomic_flags(path, fill, &c, flags), -EBADMSG, what);
		ASSERT_TRUE(read_all(path, buf, sizeof(buf)) && !strcmp(buf, "old\n"),
			    "previous output kept");
		l = dir_listing(dir);
		ASSERT_STREQ(l, "out.folded ", "no temporary file left");
		free(l);
	}
	rm_tree(dir);
}

TEST(unit_files_full_file_system, T_ROOT)
{
	char dir[] = "/tmp/memscope-files-XXXXXX", path[128], filler[128], what[96];
	static char block[65536];
	struct fill_ctx c = { .text = "a line of a large flame graph\n", .repeat = 20000 };
	bool mounted = false;
	char *l;
	int fd;

	/* Our own mount namespace: the tmpfs is invisible to everyone else
	 * and goes away with us even if the test dies midway. */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		test_skip("no private mount namespace: %s", strerror(errno));
	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	if (!ASSERT_OK(mount("tmpfs", dir, "tmpfs", 0, "size=1m,mode=0755"), "mount a tiny tmpfs"))
		goto out;
	mounted = true;
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (!ASSERT_TRUE(fd >= 0, "filler"))
		goto out;
	while (write(fd, block, sizeof(block)) > 0)
		;
	ASSERT_EQ(errno, ENOSPC, "the tmpfs is full");
	close(fd);
	snprintf(path, sizeof(path), "%s/out.svg", dir);
	for (unsigned flags = 0; flags <= FILE_ATOMIC_NAMED; flags += FILE_ATOMIC_NAMED) {
		snprintf(what, sizeof(what), "%s: full file system", mode_name(flags));
		ASSERT_EQ(file_write_atomic_flags(path, fill, &c, flags), -ENOSPC, what);
		/* A writer that noticed its stream fail (fg_write_*) says -EIO:
		 * the caller still learns the cause. */
		c.fail = -EIO;
		ASSERT_EQ(file_write_atomic_flags(path, fill, &c, flags), -ENOSPC,
			  "fill's -EIO gives way to the write error");
		c.fail = 0;
		l = dir_listing(dir);
		ASSERT_STREQ(l, "filler ", "no temporary file left, no output");
		free(l);
	}
	/* Room for a small file again: the same call succeeds. */
	ASSERT_OK(truncate(filler, 0), "make room");
	ASSERT_OK(file_write_atomic(path, fill, &c), "writes once there is room");
out:
	if (mounted)
		ASSERT_OK(umount2(dir, MNT_DETACH), "umount");
	rmdir(dir);
}
