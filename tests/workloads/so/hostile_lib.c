// SPDX-License-Identifier: GPL-2.0
/* A shared library for the hostile workload, built stripped (only its
 * exported symbols remain): the test copies it under a name that attacks a
 * terminal and the workload dlopen()s it and allocates and reads through
 * it, so its name is what stacks show for the frames in it (the inner
 * functions have no symbol: "<module>+0x..."). */
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) static void *inner_alloc(size_t n)
{
	volatile char *p = malloc(n);

	/* Touched here, not by memset: a page fault (an OOM kill's
	 * trigger) happens with this library's code on top of the stack. */
	for (size_t i = 0; p && i < n; i += 64)
		p[i] = 1;
	__asm__ volatile("" ::: "memory");	/* not a tail call */
	return (void *)p;
}

__attribute__((noinline)) static ssize_t inner_read(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = pread(fd, buf, n, off);

	__asm__ volatile("" ::: "memory");
	return r;
}

void *hostile_lib_alloc(size_t n)
{
	void *p = inner_alloc(n);

	__asm__ volatile("" ::: "memory");
	return p;
}

ssize_t hostile_lib_read(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = inner_read(fd, buf, n, off);

	__asm__ volatile("" ::: "memory");
	return r;
}
