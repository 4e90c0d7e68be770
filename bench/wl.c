// SPDX-License-Identifier: GPL-2.0
/* The workloads of `make bench`: deterministic loops of one kind of work,
 * timed over a fixed duration, each printing one JSON line
 *   {"type":"bench","workload":MODE,"ops":N,"ns_per_op":X,"warmup_ops":W}
 *
 * usage: benchwl MODE [-d MS] [-w MS] [-g FD] [-f FILE] [-D DEPTH] [-r RATE]
 *   -d MS   measure for MS milliseconds (default 2000)
 *   -r RATE at most RATE ops per second, paced in steps of 10 ms (default:
 *           as fast as it goes); make soak's steady, light load
 *   -D N    run the loop N calls below main (default 1): deeper stacks
 *   -w MS   warm up for MS milliseconds first (default 200), not counted
 *   -g FD   print {"type":"ready"}, then wait for a byte on FD before
 *           starting (the driver attaches a tracer meanwhile: the process
 *           exists, its allocator is mapped)
 *   -f FILE the file of the read and reclaim modes
 *
 * modes:
 *   malloc      malloc(64)+free pairs with a ring of 1024 live blocks (the
 *               pair frees the block allocated 1024 pairs earlier)
 *   new         C++ operator new(64)+sized delete pairs, the same ring (the
 *               calls a C++ compiler emits, into libstdc++)
 *   socketpair  64-byte send+recv over an AF_UNIX socketpair (an skb each)
 *   pipe        pipe2()+close() of both ends (a pipe's inode and buffers)
 *   tmpfs       create, close and unlink a file in $TMPDIR or /dev/shm (tmpfs
 *               there: inode, dentry, file)
 *   tcp         a 64-byte echo over a TCP loopback connection (the skb of
 *               the reply is allocated in softirq context)
 *   readseq     128 KiB sequential preads of FILE, cached (warmed first)
 *   readrand    4 KiB preads of FILE at random page offsets, cached
 *   reclaim     read FILE start to end with posix_fadvise DONTNEED before
 *               each pass (the caller puts this process in a small memory
 *               cgroup: every pass reclaims); an op is 128 KiB
 *   spawn       fork, exec /bin/true, wait (what runs on every exit and
 *               exec: what memscope oom and reclaim cost an idle machine)
 *   oom         fork a child that touches anonymous memory until the OOM
 *               killer ends it (the caller puts this process in a small
 *               memory cgroup without swap), wait for the kill
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *file;
static int fd_a = -1, fd_b = -1;
static char tmpname[256];
static uint64_t rnd = 88172645463325252ULL;
static off_t file_size;

static void die(const char *what)
{
	fprintf(stderr, "benchwl: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- one op of each mode ----------------------------------------------- */

#define RING 1024
static void *ring[RING];
static unsigned int ring_pos;
static void *(*volatile do_malloc)(size_t) = malloc;
static void (*volatile do_free)(void *) = free;

static void op_malloc(void)
{
	void **slot = &ring[ring_pos++ % RING];

	do_free(*slot);
	*slot = do_malloc(64);
	if (!*slot)
		die("malloc");
}

/* What `new char[64]`-style code calls: libstdc++'s operator new(size_t)
 * and the sized operator delete(void*, size_t) of C++14. */
extern void *_Znwm(unsigned long);
extern void _ZdlPvm(void *, unsigned long);
static void *(*volatile do_new)(unsigned long) = _Znwm;
static void (*volatile do_delete)(void *, unsigned long) = _ZdlPvm;

static void op_new(void)
{
	void **slot = &ring[ring_pos++ % RING];

	if (*slot)
		do_delete(*slot, 64);
	*slot = do_new(64);
}

static void op_socketpair(void)
{
	char buf[64] = { 1 };

	if (send(fd_a, buf, sizeof(buf), 0) != sizeof(buf) ||
	    recv(fd_b, buf, sizeof(buf), 0) != sizeof(buf))
		die("socketpair round trip");
}

static void op_pipe(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		die("pipe2");
	close(p[0]);
	close(p[1]);
}

static void op_tmpfs(void)
{
	int fd = open(tmpname, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);

	if (fd < 0)
		die(tmpname);
	close(fd);
	if (unlink(tmpname))
		die("unlink");
}

static void op_tcp(void)
{
	char buf[64] = { 2 };
	ssize_t got = 0, n;

	if (send(fd_a, buf, sizeof(buf), 0) != sizeof(buf))
		die("tcp send");
	while (got < (ssize_t)sizeof(buf)) {
		n = recv(fd_b, buf + got, sizeof(buf) - (size_t)got, 0);
		if (n <= 0)
			die("tcp recv");
		got += n;
	}
	/* And back: the reply's skb is made in the receiver's softirq. */
	if (send(fd_b, buf, sizeof(buf), 0) != sizeof(buf))
		die("tcp send back");
	for (got = 0; got < (ssize_t)sizeof(buf); got += n) {
		n = recv(fd_a, buf + got, sizeof(buf) - (size_t)got, 0);
		if (n <= 0)
			die("tcp recv back");
	}
}

static char rbuf[128 << 10];
static off_t seq_pos;

static void op_readseq(void)
{
	if (seq_pos + (off_t)sizeof(rbuf) > file_size)
		seq_pos = 0;
	if (pread(fd_a, rbuf, sizeof(rbuf), seq_pos) < 0)
		die("pread");
	seq_pos += sizeof(rbuf);
}

static void op_readrand(void)
{
	off_t pages = file_size / 4096;

	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	if (pread(fd_a, rbuf, 4096, (off_t)(rnd % (uint64_t)pages) * 4096) < 0)
		die("pread");
}

static void op_reclaim(void)
{
	if (seq_pos + (off_t)sizeof(rbuf) > file_size) {
		seq_pos = 0;
		posix_fadvise(fd_a, 0, 0, POSIX_FADV_DONTNEED);
	}
	if (pread(fd_a, rbuf, sizeof(rbuf), seq_pos) < 0)
		die("pread");
	seq_pos += sizeof(rbuf);
}

static void op_spawn(void)
{
	int st;
	pid_t p = fork();

	if (p < 0)
		die("fork");
	if (!p) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		die("/bin/true");
}

/* The child grows until its memory cgroup's OOM killer takes it (it is
 * the group's largest task, and asks to be the victim). */
static void op_oom(void)
{
	const size_t len = (size_t)1 << 30;
	int st, fd;
	pid_t p = fork();

	if (p < 0)
		die("fork");
	if (!p) {
		char *m;

		fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1000", 4) != 4)
				_exit(125);
			close(fd);
		}
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(125);
		for (size_t o = 0; o < len; o += 4096)
			m[o] = 1;
		_exit(126);	/* 1 GiB and no kill: no limit here */
	}
	if (waitpid(p, &st, 0) != p || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		errno = 0;
		die("the child was not OOM-killed (no small memory cgroup?)");
	}
}

/* ---- set-up ---------------------------------------------------------------- */

static void setup_tcp(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len))
		die("tcp listen on loopback");
	fd_a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd_a < 0 || connect(fd_a, (struct sockaddr *)&sa, sizeof(sa)))
		die("tcp connect");
	fd_b = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (fd_b < 0)
		die("tcp accept");
	setsockopt(fd_a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd_b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
}

static void setup_file(bool warm)
{
	struct stat st;

	if (!file) {
		fprintf(stderr, "benchwl: this mode needs -f FILE\n");
		exit(2);
	}
	fd_a = open(file, O_RDONLY | O_CLOEXEC);
	if (fd_a < 0 || fstat(fd_a, &st))
		die(file);
	file_size = st.st_size;
	if (file_size < (off_t)sizeof(rbuf)) {
		fprintf(stderr, "benchwl: %s: smaller than 128 KiB\n", file);
		exit(2);
	}
	for (off_t o = 0; warm && o < file_size; o += sizeof(rbuf))
		if (pread(fd_a, rbuf, sizeof(rbuf), o) < 0)
			die("pread");
}

static const struct mode {
	const char *name;
	void (*op)(void);
} modes[] = {
	{ "malloc", op_malloc },     { "new", op_new }, { "socketpair", op_socketpair }, { "pipe", op_pipe },
	{ "tmpfs", op_tmpfs },	     { "tcp", op_tcp },		      { "readseq", op_readseq },
	{ "readrand", op_readrand }, { "reclaim", op_reclaim },	      { "spawn", op_spawn },
	{ "oom", op_oom },
};

static double rate;	/* -r: ops per second at most (0: no pacing) */
static uint64_t paced_ops, paced_t0;

/* Ops until the clock passes end; the clock is read every `batch` ops. */
static uint64_t run(void (*op)(void), uint64_t end, unsigned int batch, uint64_t *t_end)
{
	uint64_t ops = 0, t;

	do {
		for (unsigned int i = 0; i < batch; i++)
			op();
		ops += batch;
		t = now_ns();
		if (rate > 0) {
			/* Where the schedule says the next batch starts. */
			uint64_t next;
			struct timespec ts;

			if (!paced_t0)
				paced_t0 = t;
			paced_ops += batch;
			next = paced_t0 + (uint64_t)((double)paced_ops / rate * 1e9);
			if (next > end)
				next = end;
			if (next > t) {
				ts.tv_sec = (time_t)(next / 1000000000u);
				ts.tv_nsec = (long)(next % 1000000000u);
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				t = now_ns();
			}
		}
	} while (t < end);
	*t_end = t;
	return ops;
}

static uint64_t (*volatile do_run)(void (*)(void), uint64_t, unsigned int, uint64_t *) = run;

/* The loop, depth calls below main: each frame a real call and return. */
__attribute__((noinline)) static uint64_t deeper(int depth, void (*op)(void), uint64_t end,
						 unsigned int batch, uint64_t *t_end)
{
	uint64_t ops = depth > 1 ? deeper(depth - 1, op, end, batch, t_end) :
				   do_run(op, end, batch, t_end);

	asm volatile("" ::: "memory");
	return ops;
}

int main(int argc, char **argv)
{
	long dur_ms = 2000, warm_ms = 200;
	int gate = -1, depth = 1, opt;
	const struct mode *m = NULL;
	uint64_t t0, t1, ops, wops;
	unsigned int batch;
	char c;

	while ((opt = getopt(argc, argv, "d:w:g:f:D:r:")) != -1) {
		switch (opt) {
		case 'd': dur_ms = atol(optarg); break;
		case 'w': warm_ms = atol(optarg); break;
		case 'g': gate = atoi(optarg); break;
		case 'f': file = optarg; break;
		case 'D': depth = atoi(optarg); break;
		case 'r': rate = strtod(optarg, NULL); break;
		default: goto usage;
		}
	}
	for (size_t i = 0; optind < argc && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[optind], modes[i].name))
			m = &modes[i];
	if (!m || dur_ms <= 0 || warm_ms < 0 || depth < 1 || depth > 1000 || !(rate >= 0))
		goto usage;

	if (m->op == op_socketpair) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			die("socketpair");
		fd_a = sv[0];
		fd_b = sv[1];
	} else if (m->op == op_tcp) {
		setup_tcp();
	} else if (m->op == op_tmpfs) {
		const char *d = getenv("TMPDIR");

		snprintf(tmpname, sizeof(tmpname), "%s/benchwl.%d", d && *d ? d : "/dev/shm",
			 (int)getpid());
	} else if (m->op == op_readseq || m->op == op_readrand) {
		setup_file(true);
	} else if (m->op == op_reclaim) {
		setup_file(false);
	}
	if (gate >= 0) {
		printf("{\"type\":\"ready\",\"pid\":%d}\n", (int)getpid());
		fflush(stdout);
		if (read(gate, &c, 1) != 1) {
			fprintf(stderr, "benchwl: the gate closed before it opened\n");
			return 1;
		}
		close(gate);
	}
	/* Reading the clock costs ~20 ns: often enough to stop on time for
	 * the slow modes, rarely enough to be noise for the fast ones. */
	batch = m->op == op_spawn || m->op == op_reclaim || m->op == op_oom ? 1 :
		m->op == op_malloc || m->op == op_new			     ? 256 :
									       16;
	/* Paced: a batch every 10 ms or so. */
	if (rate > 0)
		batch = rate >= 200 ? (unsigned int)(rate / 100) : 1;
	t0 = now_ns();
	wops = warm_ms ? deeper(depth, m->op, t0 + (uint64_t)warm_ms * 1000000, batch, &t0) : 0;
	ops = deeper(depth, m->op, t0 + (uint64_t)dur_ms * 1000000, batch, &t1);
	printf("{\"type\":\"bench\",\"workload\":\"%s\",\"ops\":%llu,\"ns_per_op\":%.1f,"
	       "\"warmup_ops\":%llu}\n",
	       m->name, (unsigned long long)ops, (double)(t1 - t0) / (double)ops,
	       (unsigned long long)wops);
	return fflush(stdout) ? 1 : 0;
usage:
	fprintf(stderr, "usage: benchwl malloc|new|socketpair|pipe|tmpfs|tcp|readseq|readrand|"
			"reclaim|spawn|oom [-d MS] [-w MS] [-g FD] [-f FILE] [-D DEPTH] [-r RATE]\n");
	return 2;
}
