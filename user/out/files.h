/* SPDX-License-Identifier: GPL-2.0 */
/* Output files written whole or not at all (--folded, --svg and whatever
 * later tools write): readers never see a half-written file, a failed write
 * leaves the previous file in place and is reported, and, since memscope
 * runs as root, no name in the target's directory that someone else could
 * have prepared is ever opened or followed.
 *
 * The new content goes to an unnamed file in the target's directory
 * (O_TMPFILE; where the file system lacks it, a name made of random bytes,
 * created with O_EXCL so neither an existing file nor a symlink is
 * opened), which is given a random name with linkat() and renamed over
 * path. rename() replaces a symlink planted at path; it never follows it. */
#ifndef MEMSCOPE_FILES_H
#define MEMSCOPE_FILES_H

#include <stdio.h>

/* Write path atomically: fill writes the content to f and returns 0 or a
 * negative errno. Every write, flush and close is checked. Returns 0, the
 * error fill returned, or -errno (-ENOENT: no such directory, -ENOSPC: the
 * file system is full, ...); on failure no temporary file is left and path
 * is unchanged. The file is created with mode 0666 less the umask, as
 * fopen() would. */
int file_write_atomic(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx);

/* Flags for file_write_atomic_flags(). */
enum {
	/* Skip O_TMPFILE and create the named temporary file from the start,
	 * as on a file system without O_TMPFILE: for tests of that path. */
	FILE_ATOMIC_NAMED = 1 << 0,
};
int file_write_atomic_flags(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx,
			    unsigned flags);

#endif
