// SPDX-License-Identifier: GPL-2.0
/* A process with a known allocation ledger: every traced allocator function
 * is called from its own site function, some blocks are freed (also from
 * other threads), the rest leak, and failed calls are made on purpose. The
 * expected outstanding bytes and counts per site, with the source line of
 * the allocating call, go to --out FILE as JSON Lines: the truth the leak
 * tests compare memscope's report with.
 *
 * usage: ledger --out FILE [--wait] [--hold]
 *   --wait  print "ready" and do nothing until SIGUSR1 (so a tracer can
 *           attach with -p first)
 *   --hold  after the ledger, keep everything until SIGTERM/SIGINT
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define PAGE 4096

static int out_fd = -1;
/* Sizes the compiler cannot see through, so it neither warns about nor
 * optimizes away the calls that must fail. */
static volatile size_t huge = SIZE_MAX / 2, zero;
static volatile int failures;

/* The expected ledger entry of one site. Written with write(2): stdio
 * would allocate and add noise of its own. */
static void expect(const char *site, int line, unsigned long long bytes,
		   unsigned long long count)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf),
			 "{\"type\":\"expect\",\"site\":\"%s\",\"line\":%d,\"bytes\":%llu,\"count\":%llu}\n",
			 site, line, bytes, count);

	if (write(out_fd, buf, n) != n)
		_exit(3);
}

/* Keep pointers reachable so nothing is optimized away. */
static void *volatile sink[64];
static void keep(int slot, void *p)
{
	sink[slot % 64] = p;
}

NOINLINE static void site_malloc(void)
{
	int line = 0;

	for (int i = 0; i < 5; i++) {
		keep(i, malloc(1000)); line = __LINE__;
	}
	expect(__func__, line, 5000, 5);
}

NOINLINE static void site_malloc_freed(void)
{
	int line = 0;

	for (int i = 0; i < 10; i++) {
		void *p = malloc(777); line = __LINE__;

		keep(0, p);
		free(p);
	}
	expect(__func__, line, 0, 0);
}

NOINLINE static void site_calloc(void)
{
	int line = 0;

	for (int i = 0; i < 3; i++) {
		keep(i, calloc(10, 100)); line = __LINE__;
	}
	expect(__func__, line, 3000, 3);
}

/* realloc(NULL, n) allocates, a grow moves, a shrink stays: only the block
 * from the last call is outstanding, at that call's line. */
NOINLINE static void site_realloc_chain(void)
{
	char *p;
	int line;

	p = realloc(NULL, 100);
	memset(p, 1, 100);
	p = realloc(p, 5000);
	p = realloc(p, 300); line = __LINE__;
	keep(0, p);
	expect(__func__, line, 300, 1);
}

/* glibc's realloc(p, 0) frees p. */
NOINLINE static void site_realloc_zero(void)
{
	void *p = malloc(400);
	int line = __LINE__ - 1;

	keep(0, realloc(p, zero));
	expect(__func__, line, 0, 0);
}

/* A failed realloc leaves the old block allocated. */
NOINLINE static void site_realloc_fail(void)
{
	void *p = malloc(64);
	int line = __LINE__ - 1;
	void *q = realloc(p, huge);

	if (q)
		_exit(4);
	failures = failures + 1;
	keep(0, p);
	expect(__func__, line, 64, 1);
}

NOINLINE static void site_reallocarray(void)
{
	int line;

	keep(0, reallocarray(NULL, 10, 50)); line = __LINE__;
	expect(__func__, line, 500, 1);
}

NOINLINE static void site_posix_memalign(void)
{
	int line = 0;

	for (int i = 0; i < 2; i++) {
		void *p = NULL;

		int err = posix_memalign(&p, 64, 256); line = __LINE__;

		if (err)
			_exit(5);
		keep(i, p);
	}
	expect(__func__, line, 512, 2);
}

NOINLINE static void site_aligned_alloc(void)
{
	int line;

	keep(0, aligned_alloc(64, 128)); line = __LINE__;
	expect(__func__, line, 128, 1);
}

NOINLINE static void site_memalign(void)
{
	int line;

	keep(0, memalign(32, 96)); line = __LINE__;
	expect(__func__, line, 96, 1);
}

NOINLINE static void site_valloc(void)
{
	int line;

	keep(0, valloc(100)); line = __LINE__;
	expect(__func__, line, 100, 1);
}

NOINLINE static void site_pvalloc(void)
{
	int line;

	/* The requested size is what counts, not the page it rounds to. */
	keep(0, pvalloc(100)); line = __LINE__;
	expect(__func__, line, 100, 1);
}

/* glibc serves this from mmap internally; that inner mmap must not be
 * counted a second time, nor the munmap inside free. */
NOINLINE static void site_big_malloc(void)
{
	int line;
	void *gone;

	keep(0, malloc(1 << 20)); line = __LINE__;
	gone = malloc(2 << 20);
	keep(1, gone);
	free(gone);
	expect(__func__, line, 1 << 20, 1);
}

/* 16 pages, then a hole of 4 in the middle: 12 pages in two pieces. */
NOINLINE static void site_mmap_partial(void)
{
	char *p;
	int line;

	p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); line = __LINE__;
	if (p == MAP_FAILED)
		_exit(6);
	munmap(p + 6 * PAGE, 4 * PAGE);
	keep(0, p);
	expect(__func__, line, 12 * PAGE, 2);
}

NOINLINE static void site_mremap_grow(void)
{
	char *p;
	int line;

	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); line = __LINE__;
	p = mremap(p, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		_exit(7);
	keep(0, p);
	expect(__func__, line, 8 * PAGE, 1);
}

NOINLINE static void site_mremap_shrink(void)
{
	char *p;
	int line;

	p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); line = __LINE__;
	p = mremap(p, 8 * PAGE, 2 * PAGE, 0);
	if (p == MAP_FAILED)
		_exit(8);
	keep(0, p);
	expect(__func__, line, 2 * PAGE, 1);
}

/* Calls that fail: nothing outstanding, each counted as failed. */
NOINLINE static void site_failed(void)
{
	void *p = NULL;

	if (malloc(huge) || malloc(huge + 1))
		_exit(9);
	if (calloc(huge, 4))
		_exit(9);
	if (posix_memalign(&p, 3, 64) != EINVAL)
		_exit(9);
	if (mmap(NULL, zero, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED)
		_exit(9);
	failures = failures + 5;
	expect(__func__, __LINE__, 0, 0);
}

#define THREADS 4
#define PER_THREAD 100
static int thread_line;

/* Each thread leaks half of what it allocates. */
NOINLINE static void *site_thread_alloc(void *arg)
{
	void *blocks[PER_THREAD];

	for (int i = 0; i < PER_THREAD; i++) {
		blocks[i] = malloc(512); thread_line = __LINE__;
	}
	for (int i = 0; i < PER_THREAD; i += 2)
		free(blocks[i]);
	keep((int)(long)arg, blocks[1]);
	return NULL;
}

static void *cross_blocks[10];

static void *free_them(void *arg)
{
	for (int i = 0; i < 10; i++)
		free(cross_blocks[i]);
	return NULL;
}

/* Allocated here, freed by another thread. */
NOINLINE static void site_cross_thread(void)
{
	pthread_t t;
	int line = 0;

	for (int i = 0; i < 10; i++) {
		cross_blocks[i] = malloc(2048); line = __LINE__;
	}
	pthread_create(&t, NULL, free_them, NULL);
	pthread_join(t, NULL);
	expect(__func__, line, 0, 0);
}

static volatile sig_atomic_t go, stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		stop = 1;
}

int main(int argc, char **argv)
{
	pthread_t threads[THREADS];
	const char *out = NULL;
	int wait = 0, hold = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--wait"))
			wait = 1;
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else {
			fprintf(stderr, "usage: ledger --out FILE [--wait] [--hold]\n");
			return 2;
		}
	}
	if (!out) {
		fprintf(stderr, "usage: ledger --out FILE [--wait] [--hold]\n");
		return 2;
	}
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (wait) {
		/* write(2): stdio would allocate before the tracer is there. */
		if (write(1, "ready\n", 6) != 6)
			return 1;
	}
	while (wait && !go && !stop)
		usleep(10 * 1000);

	out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		perror(out);
		return 1;
	}
	site_malloc();
	site_malloc_freed();
	site_calloc();
	site_realloc_chain();
	site_realloc_zero();
	site_realloc_fail();
	site_reallocarray();
	site_posix_memalign();
	site_aligned_alloc();
	site_memalign();
	site_valloc();
	site_pvalloc();
	site_big_malloc();
	site_mmap_partial();
	site_mremap_grow();
	site_mremap_shrink();
	site_failed();
	site_cross_thread();
	for (long i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, site_thread_alloc, (void *)(i + 8));
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	expect("site_thread_alloc", thread_line, THREADS * PER_THREAD / 2 * 512,
	       THREADS * PER_THREAD / 2);
	{
		char buf[128];
		int n = snprintf(buf, sizeof(buf),
				 "{\"type\":\"done\",\"pid\":%d,\"failed_calls\":%d}\n",
				 getpid(), failures);

		if (write(out_fd, buf, n) != n)
			return 1;
	}
	close(out_fd);

	while (hold && !stop)
		usleep(10 * 1000);
	return 0;
}
