// SPDX-License-Identifier: GPL-2.0
/* A process with a known ledger of mappings: anonymous memory it maps (an
 * allocation), a file it creates and maps twice (private and shared: not
 * allocations), and a thread whose first allocator call is free() (glibc
 * then makes the thread an arena: a 64 MiB mmap inside free, the
 * allocator's own) and which maps anonymous memory right after, from a
 * deeper frame. The thread runs on a stack this process mapped itself, so
 * that pthread_create maps nothing of its own. Expectations go to FILE as
 * JSON Lines: "expect" records (allocations, by site, as ledger.c writes
 * them), "file_expect" records (file mappings, by site) and "done" with the
 * totals of anonymous mappings.
 *
 * usage: mapper --out FILE
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define PAGE 4096
#define ANON_PAGES 7
#define AFTER_FREE_PAGES 3
#define FILE_PAGES 5
#define STACK_BYTES (256 * 1024)

static int out_fd = -1;
static void *volatile sink[16];
static unsigned long long anon_bytes, anon_count;

static void record(const char *type, const char *site, int line, unsigned long long bytes,
		   unsigned long long count)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf),
			 "{\"type\":\"%s\",\"site\":\"%s\",\"line\":%d,\"bytes\":%llu,\"count\":%llu}\n",
			 type, site, line, bytes, count);

	/* write(2): stdio would allocate and add noise of its own. */
	if (write(out_fd, buf, n) != n)
		_exit(3);
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(4);
	return p;
}

NOINLINE static void site_anon(void)
{
	void *p;
	int line;

	p = mmap(NULL, ANON_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); line = __LINE__;
	if (p == MAP_FAILED)
		_exit(4);
	sink[0] = p;
	anon_bytes += ANON_PAGES * PAGE;
	anon_count++;
	record("expect", __func__, line, ANON_PAGES * PAGE, 1);
}

NOINLINE static void site_file_map(const char *dir)
{
	char path[4096], page[PAGE];
	void *p, *q;
	int fd, line, line2;

	snprintf(path, sizeof(path), "%s/mapped", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		_exit(5);
	memset(page, 'm', sizeof(page));
	for (int i = 0; i < FILE_PAGES; i++)
		if (write(fd, page, sizeof(page)) != sizeof(page))
			_exit(5);
	p = mmap(NULL, FILE_PAGES * PAGE, PROT_READ, MAP_PRIVATE, fd, 0); line = __LINE__;
	q = mmap(NULL, FILE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); line2 = __LINE__;
	if (p == MAP_FAILED || q == MAP_FAILED)
		_exit(5);
	close(fd);
	unlink(path);
	sink[1] = p;
	sink[2] = q;
	record("file_expect", __func__, line, FILE_PAGES * PAGE, 1);
	record("file_expect", __func__, line2, FILE_PAGES * PAGE, 1);
}

static void *thread_block;
static int after_free_line;

/* Deeper than the free() before it: a call from a frame below the one
 * free ran in, after free returned. */
NOINLINE static void site_after_free(void)
{
	void *p;

	p = mmap(NULL, AFTER_FREE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); after_free_line = __LINE__;
	if (p == MAP_FAILED)
		_exit(4);
	sink[3] = p;
}

static void *first_call_free(void *arg)
{
	free(thread_block);
	site_after_free();
	return NULL;
}

NOINLINE static void site_thread_block(void)
{
	int line;

	thread_block = malloc(100); line = __LINE__;
	record("expect", __func__, line, 0, 0);
}

int main(int argc, char **argv)
{
	pthread_attr_t attr;
	pthread_t t;
	void *stack;
	char buf[256];
	int n;

	if (argc != 3 || strcmp(argv[1], "--out")) {
		fprintf(stderr, "usage: mapper --out FILE\n");
		return 2;
	}
	out_fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		perror(argv[2]);
		return 1;
	}
	site_anon();
	{
		char dir[4096], *slash;

		snprintf(dir, sizeof(dir), "%s", argv[2]);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		else
			strcpy(dir, ".");
		site_file_map(dir);
	}
	site_thread_block();

	stack = map_anon(STACK_BYTES);
	anon_bytes += STACK_BYTES;
	anon_count++;
	if (pthread_attr_init(&attr) || pthread_attr_setstack(&attr, stack, STACK_BYTES) ||
	    pthread_create(&t, &attr, first_call_free, NULL) || pthread_join(t, NULL))
		_exit(6);
	anon_bytes += AFTER_FREE_PAGES * PAGE;
	anon_count++;
	record("expect", "site_after_free", after_free_line, AFTER_FREE_PAGES * PAGE, 1);

	n = snprintf(buf, sizeof(buf),
		     "{\"type\":\"done\",\"anon_bytes\":%llu,\"anon_count\":%llu}\n", anon_bytes,
		     anon_count);
	if (write(out_fd, buf, n) != n)
		return 1;
	close(out_fd);
	return 0;
}
