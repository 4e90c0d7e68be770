// SPDX-License-Identifier: GPL-2.0
/* A process whose names are made to attack a terminal: its comm holds ESC,
 * BEL and a newline (an xterm title sequence) or whatever -n gives, its
 * executable's path may too (the tests copy it under such a name), and so
 * may the library it loads (-l) and the file it reads (-f). It leaks a
 * little (through the library with -l), says "ready", and waits for
 * SIGTERM/SIGINT. On SIGUSR1 it leaks as much again (for a tracer that
 * attached meanwhile), reads FILE twice from a cold cache, then touches
 * MIB MiB of heap (-a), all through the library, and says "done" (unless
 * the OOM killer ended it first).
 *
 * usage: hostile [-n COMM] [-l LIBRARY] [-f FILE] [-a MIB]
 *   LIBRARY: a copy of libhostile.so (tests/workloads/so/hostile_lib.c)
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop, go;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		stop = 1;
}

__attribute__((noinline)) static void *leak_some(size_t n)
{
	void *p = malloc(n);

	memset(p, 1, n);
	return p;
}

static void *(*lib_alloc)(size_t n);
static ssize_t (*lib_read)(int fd, void *buf, size_t n, off_t off);

static void *alloc(size_t n)
{
	return lib_alloc ? lib_alloc(n) : leak_some(n);
}

static void read_file(int fd)
{
	static char buf[1 << 20];

	for (int pass = 0; pass < 2; pass++) {
		off_t off = 0;
		ssize_t n;

		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		while ((n = lib_read ? lib_read(fd, buf, sizeof(buf), off)
				     : pread(fd, buf, sizeof(buf), off)) > 0)
			off += n;
	}
}

int main(int argc, char **argv)
{
	const char *comm = "\x1b]0;pwn\a\n", *lib = NULL, *file = NULL;
	long mib = 0;
	int c, fd = -1;

	while ((c = getopt(argc, argv, "n:l:f:a:")) != -1) {
		switch (c) {
		case 'n': comm = optarg; break;
		case 'l': lib = optarg; break;
		case 'f': file = optarg; break;
		case 'a': mib = atol(optarg); break;
		default:
			fprintf(stderr, "usage: hostile [-n COMM] [-l LIBRARY] [-f FILE] [-a MIB]\n");
			return 2;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_signal);
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	if (lib) {
		void *h = dlopen(lib, RTLD_NOW);

		if (!h || !(lib_alloc = (void *(*)(size_t))dlsym(h, "hostile_lib_alloc")) ||
		    !(lib_read = (ssize_t (*)(int, void *, size_t, off_t))dlsym(h, "hostile_lib_read"))) {
			fprintf(stderr, "hostile: %s\n", dlerror());
			return 1;
		}
	}
	if (file && (fd = open(file, O_RDONLY)) < 0) {
		perror("hostile: open");
		return 1;
	}
	for (int i = 0; i < 64; i++)
		alloc(1000);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (go) {
			go = 0;
			for (int i = 0; i < 64; i++)
				alloc(1000);
			if (fd >= 0)
				read_file(fd);
			for (long i = 0; i < mib; i++)
				alloc(1 << 20);
			printf("done\n");
			fflush(stdout);
		}
		usleep(10 * 1000);
	}
	return 0;
}
