// SPDX-License-Identifier: GPL-2.0
/* A shared library for the hostile workload, built stripped (only its
 * exported symbols remain): the test copies it under a name that attacks a
 * terminal and the workload dlopen()s it and allocates and reads through
 * it, so its name is what stacks show for the frames in it (the inner
 * functions have no symbol: "<module>+0x..."). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) static void *inner_alloc(size_t n)
{
	void *p = malloc(n);

	if (p)
		memset(p, 1, n);
	__asm__ volatile("" ::: "memory");	/* not a tail call */
	return p;
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
