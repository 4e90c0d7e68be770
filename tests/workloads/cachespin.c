// SPDX-License-Identifier: GPL-2.0
/* Page-cache traffic for cachetop to show: creates FILE (KIB KiB) unless it
 * is there, then reads it start to end in 64 KiB reads, a pass every 50 ms,
 * until killed; with EVICT, drops the file from the page cache every EVICT
 * passes, so that row has misses too. Writes nothing to stdout.
 *
 * usage: cachespin FILE [KIB [EVICT]]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static int make_file(const char *path, long kib)
{
	char buf[CHUNK];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return 0;	/* there already (or not creatable: open says) */
	memset(buf, 'r', sizeof(buf));
	for (long done = 0; done < kib * 1024; done += CHUNK)
		if (write(fd, buf, CHUNK) != CHUNK) {
			perror(path);
			return -1;
		}
	return close(fd);
}

int main(int argc, char **argv)
{
	long kib = argc > 2 ? atol(argv[2]) : 1024, evict = argc > 3 ? atol(argv[3]) : 0;
	const struct timespec pause = { 0, 50 * 1000 * 1000 };
	static char buf[CHUNK];
	int fd;

	if (argc < 2 || argc > 4 || kib <= 0 || evict < 0) {
		fprintf(stderr, "usage: cachespin FILE [KIB [EVICT]]\n");
		return 2;
	}
	if (make_file(argv[1], kib))
		return 1;
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	for (unsigned long pass = 1;; pass++) {
		off_t at = 0;
		ssize_t n;

		while ((n = pread(fd, buf, sizeof(buf), at)) > 0)
			at += n;
		if (n < 0) {
			perror("pread");
			return 1;
		}
		if (evict && pass % evict == 0)
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		nanosleep(&pause, NULL);
	}
}
