// SPDX-License-Identifier: GPL-2.0
/* Kernel allocations and frees a test can predict, one kind per mode. It
 * prints "ready" and waits for a SIGUSR1 (a tracer attaches meanwhile),
 * then does the first phase and prints what it did; each further phase
 * waits for another SIGUSR1. SIGTERM ends it.
 *
 *   kmemwl pages N    map N anonymous pages (no huge pages) and touch
 *                     each: "touched N"; then munmap them all at once (the
 *                     kernel frees them in batches): "unmapped N"
 *   kmemwl maple N R  R rounds of: map N single pages with alternating
 *                     protections (N vmas: maple-tree nodes), unmap them
 *                     one by one; then map N such pages once more and
 *                     keep them: "churned N R"
 *   kmemwl tcp N      N TCP connections over loopback, each accepted, all
 *                     held: "connected N" (the kernel made N sockets in
 *                     socket() and N child sockets in the softirq of
 *                     connect(), plus the listener); brings the
 *                     loopback interface up where it is down (a test
 *                     guest's)
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t next, stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		next = 1;
	else
		stop = 1;
}

/* Wait for the next SIGUSR1; false on SIGTERM. */
static int wait_next(void)
{
	while (!next && !stop)
		usleep(10 * 1000);
	next = 0;
	return !stop;
}

static void say(const char *fmt, long a, long b)
{
	printf(fmt, a, b);
	fflush(stdout);
}

static int pages(long n)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, n * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* Order-0 pages: the batched free path is for them. */
	madvise(p, n * pg, MADV_NOHUGEPAGE);
	for (long i = 0; i < n; i++)
		p[i * pg] = 1;
	say("touched %ld\n", n, 0);
	if (!wait_next())
		return 0;
	if (munmap(p, n * pg)) {
		perror("munmap");
		return 1;
	}
	say("unmapped %ld\n", n, 0);
	return 0;
}

static int maple(long n, long rounds)
{
	long pg = sysconf(_SC_PAGESIZE);

	for (long r = 0; r <= rounds; r++) {
		/* One reservation, then a page at a time over it with
		 * alternating protections: neighbours never merge. */
		char *base = mmap(NULL, n * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (base == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (long i = 0; i < n; i++)
			if (mprotect(base + i * pg, pg, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE)) {
				perror("mprotect");
				return 1;
			}
		if (r == rounds)
			break;	/* the last set stays */
		for (long i = 0; i < n; i++)
			munmap(base + i * pg, pg);
	}
	say("churned %ld %ld\n", n, rounds);
	return 0;
}

/* The loopback interface up (it is down in a bare test guest). */
static void loopback_up(void)
{
	struct ifreq ifr = {};
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s >= 0 && !ioctl(s, SIOCGIFFLAGS, &ifr) && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			perror("lo up");
	}
	if (s >= 0)
		close(s);
}

static int tcp(long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct rlimit rl;

	loopback_up();
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)(2 * n + 16)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, n + 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len)) {
		perror("listen");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) || accept(l, NULL, NULL) < 0) {
			perror("connect");
			return 1;
		}
	}
	say("connected %ld\n", n, 0);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0, r = argc > 3 ? atol(argv[3]) : 1;
	int err;

	if (argc < 3 || n <= 0 || r <= 0 ||
	    (strcmp(argv[1], "pages") && strcmp(argv[1], "maple") && strcmp(argv[1], "tcp"))) {
		fprintf(stderr, "usage: kmemwl pages N | maple N ROUNDS | tcp N\n");
		return 2;
	}
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	say("ready\n", 0, 0);
	if (!wait_next())
		return 0;
	if (!strcmp(argv[1], "pages"))
		err = pages(n);
	else if (!strcmp(argv[1], "maple"))
		err = maple(n, r);
	else
		err = tcp(n);
	while (!err && !stop)
		usleep(10 * 1000);
	return err;
}
