// SPDX-License-Identifier: GPL-2.0
/* Page-cache workloads with their own truth, for cachestat/cachetop tests.
 * The file is prepared (made, evicted in part), its residency measured
 * with mincore(), then "ready" is printed and the workload waits for
 * SIGUSR1 (so a tracer can attach to it), does one thing, prints a JSON
 * line with what the truth says, and waits for SIGTERM.
 *
 * usage: cachewl FILE OP [ARGS]
 *   make MIB            create FILE with MIB MiB (written, synced, evicted)
 *   read STATE BS [OFF LEN]
 *                       STATE cold|warm|half|alt: evict all, none, the first
 *                       half, every other 16 pages; then read [OFF, OFF+LEN)
 *                       (default all) in blocks of BS bytes
 *   sendfile STATE BS   the same, whole file, by sendfile() to /dev/null
 *   splice STATE BS     the same, by splice() into a pipe of BS bytes,
 *                       drained into /dev/null
 *   overlap             warm, then read pages 0-9, then 5-9 (two reads that
 *                       end on the same page)
 *   write MIB           write MIB MiB to a new FILE (not synced)
 *   mmap STATE          map FILE, touch every page
 * The JSON line: {"op":..,"pages":N,"requested":N,"resident_before":N,
 *   "misses":N,"added":N} where requested are the pages read asked for
 * (clamped to the end of file), misses those of them not resident before,
 * added the pages that became resident.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096L

static volatile sig_atomic_t go, stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		stop = 1;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Resident pages of fd's file in [first, first + n), or the vector. */
static long resident(int fd, long pages, long first, long n, unsigned char *vec_out)
{
	unsigned char *vec = malloc(pages ? pages : 1);
	void *p;
	long r = 0;

	if (!pages) {
		free(vec);
		return 0;
	}
	p = mmap(NULL, pages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || mincore(p, pages * PAGE, vec))
		die("mincore");
	for (long i = first; i < first + n && i < pages; i++)
		r += vec[i] & 1;
	if (vec_out)
		memcpy(vec_out, vec, pages);
	munmap(p, pages * PAGE);
	free(vec);
	return r;
}

static void evict(int fd, off_t off, off_t len)
{
	fdatasync(fd);
	if (posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED))
		die("fadvise");
}

static void read_all(int fd, long bs, off_t off, off_t len)
{
	char *buf = malloc(bs);
	off_t end = off + len;

	while (off < end) {
		ssize_t n = pread(fd, buf, bs, off);

		if (n < 0)
			die("pread");
		if (n == 0)
			break;
		off += n;
	}
	free(buf);
}

/* The whole file through the kernel's splice path: sendfile() to
 * /dev/null, or splice() into a pipe emptied into /dev/null. */
static void splice_all(int fd, long bs, off_t size, bool use_sendfile)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC), pfd[2];
	off_t off = 0;

	if (null < 0 || pipe2(pfd, O_CLOEXEC))
		die("/dev/null or pipe");
	if (!use_sendfile && fcntl(pfd[1], F_SETPIPE_SZ, (int)bs) < 0)
		die("F_SETPIPE_SZ");
	while (off < size) {
		ssize_t n = use_sendfile ? sendfile(null, fd, &off, bs)
					 : splice(fd, &off, pfd[1], NULL, bs, 0);

		if (n < 0)
			die(use_sendfile ? "sendfile" : "splice");
		if (n == 0)
			break;
		while (!use_sendfile && n > 0) {
			ssize_t m = splice(pfd[0], NULL, null, NULL, n, 0);

			if (m <= 0)
				die("splice to /dev/null");
			n -= m;
		}
	}
	close(pfd[0]);
	close(pfd[1]);
	close(null);
}

static void prepare(int fd, long pages, const char *state)
{
	if (!strcmp(state, "cold")) {
		evict(fd, 0, 0);
		return;
	}
	read_all(fd, 1 << 20, 0, pages * PAGE);
	if (!strcmp(state, "half"))
		evict(fd, 0, pages / 2 * PAGE);
	else if (!strcmp(state, "alt"))
		for (long p = 0; p < pages; p += 32)
			evict(fd, p * PAGE, 16 * PAGE);
	else if (strcmp(state, "warm"))
		die("state");
}

static void wait_go(void)
{
	printf("ready\n");
	fflush(stdout);
	while (!go && !stop)
		usleep(5000);
}

int main(int argc, char **argv)
{
	long pages = 0, requested = 0, before = 0, misses = 0, after;
	const char *file, *op;
	struct stat st;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: cachewl FILE make|read|write|mmap ARGS\n");
		return 2;
	}
	file = argv[1];
	op = argv[2];
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (!strcmp(op, "make") && argc == 4) {
		long mib = atol(argv[3]);
		char *buf = malloc(1 << 20);

		fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || !buf)
			die(file);
		for (long i = 0; i < (1 << 20); i++)
			buf[i] = (char)(i * 2654435761u >> 13);
		for (long m = 0; m < mib; m++)
			if (write(fd, buf, 1 << 20) != 1 << 20)
				die("write");
		evict(fd, 0, 0);
		printf("{\"type\":\"truth\",\"op\":\"make\",\"pages\":%ld}\n", mib * 256);
		return 0;
	}
	if (!strcmp(op, "write") && argc == 4) {
		long mib = atol(argv[3]);
		char *buf = calloc(1, 1 << 20);

		fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || !buf)
			die(file);
		wait_go();
		for (long m = 0; m < mib; m++)
			if (write(fd, buf, 1 << 20) != 1 << 20)
				die("write");
		printf("{\"type\":\"truth\",\"op\":\"write\",\"pages\":%ld,\"dirtied\":%ld}\n", mib * 256, mib * 256);
		fflush(stdout);
		while (!stop)
			usleep(5000);
		return 0;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die(file);
	pages = (st.st_size + PAGE - 1) / PAGE;
	if ((!strcmp(op, "sendfile") || !strcmp(op, "splice")) && argc == 5) {
		prepare(fd, pages, argv[3]);
		requested = pages;
		before = resident(fd, pages, 0, pages, NULL);
		misses = pages - before;
		wait_go();
		splice_all(fd, atol(argv[4]), st.st_size, !strcmp(op, "sendfile"));
	} else if (!strcmp(op, "read") && (argc == 5 || argc == 7)) {
		long bs = atol(argv[4]);
		off_t off = argc == 7 ? atol(argv[5]) : 0, len = argc == 7 ? atol(argv[6]) : st.st_size;
		long first = off / PAGE, last = (off + len - 1) / PAGE;

		prepare(fd, pages, argv[3]);
		if (last >= pages)
			last = pages - 1;
		requested = first <= last ? last - first + 1 : 0;
		before = resident(fd, pages, 0, pages, NULL);
		misses = requested - resident(fd, pages, first, requested, NULL);
		wait_go();
		read_all(fd, bs, off, len);
	} else if (!strcmp(op, "overlap") && argc == 3) {
		/* Two reads that end on the same page, the second starting
		 * after the first: two reads, 10 + 5 pages, all cached. */
		char buf[40960];

		prepare(fd, pages, "warm");
		requested = 15;
		before = resident(fd, pages, 0, pages, NULL);
		misses = 10 - resident(fd, pages, 0, 10, NULL);
		wait_go();
		if (pread(fd, buf, 40960, 0) != 40960 || pread(fd, buf, 20480, 20480) != 20480)
			die("pread");
	} else if (!strcmp(op, "mmap") && argc == 4) {
		volatile char *p;
		long sum = 0;

		prepare(fd, pages, argv[3]);
		before = resident(fd, pages, 0, pages, NULL);
		misses = pages - before;
		p = mmap(NULL, pages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap");
		wait_go();
		for (long i = 0; i < pages; i++)
			sum += p[i * PAGE];
		(void)sum;
	} else {
		fprintf(stderr, "cachewl: bad arguments\n");
		return 2;
	}
	/* mincore() counts a page only once its read has completed: the
	 * readahead started at the end of a read may still be in flight
	 * (slow in an emulated guest). Wait until the count holds still. */
	after = resident(fd, pages, 0, pages, NULL);
	for (int still = 0, i = 0; still < 3 && i < 200; i++) {
		long now;

		usleep(10000);
		now = resident(fd, pages, 0, pages, NULL);
		still = now == after ? still + 1 : 0;
		after = now;
	}
	printf("{\"type\":\"truth\",\"op\":\"%s\",\"pages\":%ld,\"requested\":%ld,\"resident_before\":%ld,"
	       "\"misses\":%ld,\"added\":%ld}\n", op, pages, requested, before, misses,
	       after - before);
	fflush(stdout);
	while (!stop)
		usleep(5000);
	return 0;
}
