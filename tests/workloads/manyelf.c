// SPDX-License-Identifier: GPL-2.0
/* A process with many mapped ELF files, as a plugin- or JIT-heavy one has:
 * copies its own executable N times (default 1200) into a new directory
 * under /tmp, maps every copy whole, PROT_READ|PROT_EXEC, and prints
 * "ready DIR OFFSET", OFFSET being the file offset of manyelf_marker() in
 * each copy. Exits on SIGTERM or SIGINT, removing the copies.
 *
 * usage: manyelf [N]
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

__attribute__((noinline)) void manyelf_marker(void)
{
	asm volatile("");
}

/* File offset of p in the file mapped there, from our own maps. */
static long file_offset(const void *p)
{
	unsigned long start, end, pgoff, a = (unsigned long)p;
	char line[4200];
	long off = -1;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && off < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %lx", &start, &end, &pgoff) == 3 && a >= start &&
		    a < end)
			off = a - start + pgoff;
	if (f)
		fclose(f);
	return off;
}

static void cleanup(const char *dir, int n)
{
	char path[4096];

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/copy-%04d.so", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1200, fd, i;
	char dir[] = "/tmp/memscope-manyelf-XXXXXX", path[4096];
	struct sigaction sa = { .sa_handler = on_signal };
	struct stat st;
	char *image;

	if (n <= 0 || !mkdtemp(dir) || chmod(dir, 0755))
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		return 1;
	image = malloc(st.st_size);
	if (!image || read(fd, image, st.st_size) != st.st_size)
		return 1;
	close(fd);
	for (i = 0; i < n && !stop; i++) {
		snprintf(path, sizeof(path), "%s/copy-%04d.so", dir, i);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, image, st.st_size) != st.st_size ||
		    mmap(NULL, st.st_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED) {
			perror(path);
			cleanup(dir, i + 1);
			return 1;
		}
		/* The mapping keeps the file: no descriptor of ours needed. */
		close(fd);
	}
	manyelf_marker();
	printf("ready %s %ld\n", dir, file_offset((const void *)manyelf_marker));
	fflush(stdout);
	while (!stop)
		pause();
	cleanup(dir, n);
	return 0;
}
