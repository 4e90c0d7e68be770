// SPDX-License-Identifier: GPL-2.0
/* Atomic, symlink-safe output files (see files.h).
 *
 * Everything is done relative to one descriptor of the target's directory,
 * so the directory is resolved once: a directory swapped in meanwhile
 * cannot split where the temporary file is made from where it is renamed.
 * The stream writes through a cookie that keeps the first write error, so
 * the caller learns ENOSPC, not just "an error happened" (stdio keeps only
 * a flag, and errno is long gone by the time it is looked at). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out/files.h"

/* Hidden, and telling whoever finds one left by a crash what it is. */
#define TMP_PREFIX ".memscope-"
#define NAME_TRIES 16

struct sink {
	int fd;
	int err;		/* first write error, negative errno */
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct sink *s = cookie;
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(s->fd, buf + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!s->err)
				s->err = w < 0 ? -errno : -EIO;
			/* stdio takes -1 as the error; errno stays set. */
			return done ? (ssize_t)done : -1;
		}
		done += w;
	}
	return done;
}

/* A name no one can have prepared: 96 random bits. */
static int random_name(char *buf, size_t len)
{
	unsigned char r[12];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return -EIO;
	snprintf(buf, len, TMP_PREFIX);
	for (i = 0; i < sizeof(r) && strlen(buf) + 3 <= len; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%02x", r[i]);
	return 0;
}

/* Create a new file under a random name in dfd; O_EXCL fails on anything
 * already there, a symlink included, so nothing planted is opened. */
static int create_named(int dfd, char *name, size_t len)
{
	int i, fd, err;

	for (i = 0; i < NAME_TRIES; i++) {
		err = random_name(name, len);
		if (err)
			return err;
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* Give the unnamed file fd a random name in dfd. */
static int link_tmpfile(int fd, int dfd, char *name, size_t len)
{
	char self[64];
	int i, err;

	for (i = 0; i < NAME_TRIES; i++) {
		err = random_name(name, len);
		if (err)
			return err;
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd
		 * does not. */
		if (!linkat(fd, "", dfd, name, AT_EMPTY_PATH))
			return 0;
		if (errno == EEXIST)
			continue;
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		if (!linkat(AT_FDCWD, self, dfd, name, AT_SYMLINK_FOLLOW))
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* The directory part of path, opened, and the last component. */
static int open_dir(const char *path, char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int dfd;

	*base = strdup(slash ? slash + 1 : path);
	if (!*base)
		return -ENOMEM;
	if (!**base || !strcmp(*base, ".") || !strcmp(*base, ".."))
		return -EISDIR;
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, slash - path);
	if (!dir)
		return -ENOMEM;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	return dfd >= 0 ? dfd : -errno;
}

int file_write_atomic_flags(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx,
			    unsigned flags)
{
	static const cookie_io_functions_t io = { .write = sink_write };
	struct sink sink = { .fd = -1 };
	char name[64] = "", *base = NULL;
	bool named = false;
	FILE *f = NULL;
	int dfd, err;

	if (!path || !*path || !fill)
		return -EINVAL;
	dfd = open_dir(path, &base);
	if (dfd < 0) {
		err = dfd;
		goto out;
	}
	if (!(flags & FILE_ATOMIC_NAMED))
		sink.fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	if (sink.fd < 0) {
		/* EOPNOTSUPP: the file system has no O_TMPFILE; EISDIR or
		 * EINVAL: the kernel is older than 3.11. Anything else (EACCES,
		 * ENOSPC...) would fail the same way with a name. */
		if ((flags & FILE_ATOMIC_NAMED) || errno == EOPNOTSUPP || errno == EISDIR ||
		    errno == EINVAL) {
			sink.fd = create_named(dfd, name, sizeof(name));
			named = sink.fd >= 0;
		} else {
			sink.fd = -errno;
		}
	}
	if (sink.fd < 0) {
		err = sink.fd;
		sink.fd = -1;
		goto out;
	}
	f = fopencookie(&sink, "w", io);
	if (!f) {
		err = -ENOMEM;
		goto out;
	}
	err = fill(f, ctx);
	/* A fill that saw its stream fail says -EIO; the cause is better. */
	if (err == -EIO && sink.err)
		err = sink.err;
	if (!err && (fflush(f) || ferror(f)))
		err = sink.err ? sink.err : -EIO;
	if (fclose(f) && !err)
		err = sink.err ? sink.err : -EIO;
	f = NULL;
	if (err)
		goto out;
	if (!named) {
		err = link_tmpfile(sink.fd, dfd, name, sizeof(name));
		if (err)
			goto out;
		named = true;
	}
	/* close() can report a delayed write error (NFS). */
	if (close(sink.fd)) {
		sink.fd = -1;
		err = -errno;
		goto out;
	}
	sink.fd = -1;
	if (renameat(dfd, name, dfd, base))
		err = -errno;
	else
		named = false;	/* it is path now */
out:
	if (f)
		fclose(f);
	if (sink.fd >= 0)
		close(sink.fd);
	if (named)
		unlinkat(dfd, name, 0);
	if (dfd >= 0)
		close(dfd);
	free(base);
	return err;
}

int file_write_atomic(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx)
{
	return file_write_atomic_flags(path, fill, ctx, 0);
}
