// SPDX-License-Identifier: GPL-2.0
/* Calls each allocator function memscope probes a known number of times
 * (alloc_calls.h), and nothing else in between, so tests can count probe
 * hits exactly. Protocol on stdin/stdout: prints "ready", waits for a byte;
 * 'g' runs the calls and prints "done", anything else (or EOF) exits; then
 * waits for EOF and exits. Output goes through write(): stdio would
 * allocate. alloc_calls_static is the same program linked statically. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc_calls.h"

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(2);
}

/* Through a volatile pointer so the compiler calls each function as
 * written (no merging of malloc+free pairs, no builtin expansion). */
static void *(*volatile do_malloc)(size_t) = malloc;
static void *(*volatile do_calloc)(size_t, size_t) = calloc;
static void *(*volatile do_realloc)(void *, size_t) = realloc;
static void *(*volatile do_reallocarray)(void *, size_t, size_t) = reallocarray;
static int (*volatile do_posix_memalign)(void **, size_t, size_t) = posix_memalign;
static void *(*volatile do_memalign)(size_t, size_t) = memalign;
static void *(*volatile do_aligned_alloc)(size_t, size_t) = aligned_alloc;
static void *(*volatile do_valloc)(size_t) = valloc;
static void *(*volatile do_pvalloc)(size_t) = pvalloc;
static void (*volatile do_free)(void *) = free;
static void *(*volatile do_mmap)(void *, size_t, int, int, int, off_t) = mmap;
static int (*volatile do_munmap)(void *, size_t) = munmap;
static void *(*volatile do_mremap)(void *, size_t, size_t, int, ...) = mremap;

static void run(void)
{
	static void *blocks[AC_BLOCKS];
	static char *maps[AC_MMAP];
	long page = sysconf(_SC_PAGESIZE);
	int n = 0, i;

	for (i = 0; i < AC_MALLOC; i++)
		blocks[n++] = do_malloc(24 + i);
	for (i = 0; i < AC_CALLOC; i++)
		blocks[n++] = do_calloc(2, 16 + i);
	for (i = 0; i < AC_REALLOC; i++)
		blocks[i % AC_MALLOC] = do_realloc(blocks[i % AC_MALLOC], 48 + i);
	for (i = 0; i < AC_REALLOCARRAY; i++)
		blocks[i % AC_MALLOC] = do_reallocarray(blocks[i % AC_MALLOC], 2, 40 + i);
	for (i = 0; i < AC_POSIX_MEMALIGN; i++)
		if (do_posix_memalign(&blocks[n++], 64, 100))
			_exit(3);
	for (i = 0; i < AC_MEMALIGN; i++)
		blocks[n++] = do_memalign(32, 80);
	for (i = 0; i < AC_ALIGNED_ALLOC; i++)
		blocks[n++] = do_aligned_alloc(128, 256);
	for (i = 0; i < AC_VALLOC; i++)
		blocks[n++] = do_valloc(100);
	for (i = 0; i < AC_PVALLOC; i++)
		blocks[n++] = do_pvalloc(100);
	for (i = 0; i < n; i++)
		do_free(blocks[i]);
	for (i = 0; i < AC_FREE_NULL; i++)
		do_free(NULL);

	for (i = 0; i < AC_MMAP; i++) {
		maps[i] = do_mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] == MAP_FAILED)
			_exit(4);
	}
	for (i = 0; i < AC_MMAP; i++)
		if (do_mremap(maps[i], 3 * page, 2 * page, 0) != maps[i])
			_exit(5);
	for (i = AC_MMAP; i < AC_MREMAP; i++)
		if (do_mremap(maps[0], 2 * page, 2 * page, 0) != maps[0])
			_exit(5);
	for (i = 0; i < AC_MUNMAP; i++)
		if (do_munmap(maps[i / 2] + (i % 2) * page, page))
			_exit(6);
}

int main(void)
{
	char c;

	say("ready\n");
	if (read(0, &c, 1) != 1 || c != 'g')
		return 0;
	run();
	say("done\n");
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
