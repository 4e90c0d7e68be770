// SPDX-License-Identifier: GPL-2.0
/* memscope-bench: what each memscope tool costs, side by side with the
 * untraced run, the cost of the traps alone (the floor) and the tracers a
 * user would pick instead (the peers), measured in one run.
 *
 * For each benchmark: a warm-up round, then ROUNDS rounds; in each round
 * every configuration (untraced, memscope, floor, peers) runs the same
 * workload once, in turn (A B C ... A B C ...). A run: the workload starts
 * and waits at a gate; the tracer starts and is waited for until it says
 * it is attached; the gate opens; the workload runs for a fixed time and
 * prints its time per operation; the tracer gets SIGINT. Measured per run:
 * the workload's ns per op, the tracer's start-to-attached and SIGINT-to-
 * exit times, its peak RSS and CPU time (wait4), the kernel memory its BPF
 * maps pin (memlock in the fdinfo of its map descriptors), and how busy
 * the machine's CPUs were meanwhile beyond the run's own processes: a run
 * that overlapped outside load is redone (up to 3 times, then kept and
 * flagged).
 *
 * Then one more run of each memscope configuration with the kernel's BPF
 * run-time statistics on (BPF_ENABLE_STATS, held only for that run: no
 * sysctl is changed): each program's time per run and runs per op.
 *
 * Output: a table per benchmark on stdout, and a JSON file with the same
 * figures, every round's, and the machine (commit, kernel release and
 * build, CPU model and count).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* ---- the benchmarks ---------------------------------------------------------- */

#define UNTRACED { "untraced", K_BASE, NULL, NULL, NULL, NULL }
#define MS_ATTACHED "\"type\":\"attached\""
#define LEAK_P "{ms} leak -j -p {pid} 3600"
#define LEAK_USER_CONFIGS                                                                   \
	UNTRACED, { "memscope leak -p", K_MEMSCOPE, LEAK_P, MS_ATTACHED, NULL, NULL },      \
	{ "memscope leak -p --unwind fp", K_MEMSCOPE, "{ms} leak -j --unwind fp -p {pid} 3600", \
	  MS_ATTACHED, NULL, NULL },                                                         \
	{ "floor: empty programs, memscope's offsets", K_FLOOR, LEAK_P, MS_ATTACHED,        \
	  "MEMSCOPE_BENCH_FLOOR=1", NULL },                                                  \
	{ "floor: empty programs at +0", K_FLOOR, LEAK_P, MS_ATTACHED,                      \
	  "MEMSCOPE_BENCH_FLOOR=entry", NULL }
#define LEAK_KERNEL_CONFIGS                                                                  \
	UNTRACED, { "memscope leak (kernel)", K_MEMSCOPE, "{ms} leak -j 3600", MS_ATTACHED, NULL, \
		    NULL },                                                                   \
	{ "bpftrace kmemleak.bt", K_PEER, "bpftrace {peer}/kmemleak.bt", "Attaching", NULL,  \
	  "bpftrace" }
#define CACHE_CONFIGS                                                                         \
	UNTRACED, { "floor: empty programs", K_FLOOR, "{ms} cachestat -j 3600", MS_ATTACHED,        \
		    "MEMSCOPE_BENCH_FLOOR=1", NULL },                                          \
	{ "memscope cachestat", K_MEMSCOPE, "{ms} cachestat -j 3600", MS_ATTACHED, NULL, NULL }, \
	{ "memscope cachetop", K_MEMSCOPE, "{ms} cachetop -b -j 3600", MS_ATTACHED, NULL, NULL }, \
	{ "libbpf-tools cachestat", K_PEER, "stdbuf -oL /usr/sbin/cachestat 3600", "HITS", NULL,         \
	  "/usr/sbin/cachestat" }

const char *const kind_names[] = { "untraced", "memscope", "floor", "peer" };

const struct bench benches[] = {
	{ "leak-user", "malloc(64)+free pairs, a ring of 1024 live blocks", "pair", WL_GATED,
	  "{bench}/benchwl malloc", false, false, false,
	  { LEAK_USER_CONFIGS,
	    { "bpftrace memleak.bt", K_PEER, "bpftrace -p {pid} {peer}/memleak.bt {libc}",
	      "Attaching", NULL, "bpftrace" } } },
	{ "leak-deep", "the same pairs made 20 calls below main (stacks of 25 frames)", "pair",
	  WL_GATED, "{bench}/benchwl malloc -D 20", false, false, false,
	  { UNTRACED,
	    { "memscope leak -p", K_MEMSCOPE, LEAK_P, MS_ATTACHED, NULL, NULL },
	    { "memscope leak -p --unwind fp", K_MEMSCOPE,
	      "{ms} leak -j --unwind fp -p {pid} 3600", MS_ATTACHED, NULL, NULL },
	    { "floor: empty programs, memscope's offsets", K_FLOOR, LEAK_P, MS_ATTACHED,
	      "MEMSCOPE_BENCH_FLOOR=1", NULL },
	    { "bpftrace memleak.bt", K_PEER, "bpftrace -p {pid} {peer}/memleak.bt {libc}",
	      "Attaching", NULL, "bpftrace" } } },
	{ "leak-cxx", "C++ new(64)+sized delete pairs, a ring of 1024", "pair", WL_GATED,
	  "{bench}/benchwl new", false, false, false, { LEAK_USER_CONFIGS } },
	{ "leak-kernel-socketpair", "64-byte AF_UNIX socketpair send+recv", "round trip",
	  WL_GATED, "{bench}/benchwl socketpair", false, false, false, { LEAK_KERNEL_CONFIGS } },
	{ "leak-kernel-pipe", "pipe2()+close() of both ends", "pipe", WL_GATED,
	  "{bench}/benchwl pipe", false, false, false, { LEAK_KERNEL_CONFIGS } },
	{ "leak-kernel-tmpfs", "create+close+unlink of a tmpfs file", "file", WL_GATED,
	  "{bench}/benchwl tmpfs", false, false, false, { LEAK_KERNEL_CONFIGS } },
	{ "leak-kernel-tcp", "64-byte TCP loopback echo", "echo", WL_GATED,
	  "{bench}/benchwl tcp", false, false, false, { LEAK_KERNEL_CONFIGS } },
	{ "cache-seq", "128 KiB sequential cached preads", "read", WL_GATED,
	  "{bench}/benchwl readseq -f {file}", true, false, false, { CACHE_CONFIGS } },
	{ "cache-rand", "4 KiB random cached preads", "read", WL_GATED,
	  "{bench}/benchwl readrand -f {file}", true, false, false, { CACHE_CONFIGS } },
	{ "reclaim", "128 KiB reads of a 128 MiB file through a 32 MiB memory cgroup", "read",
	  WL_GATED, "{bench}/benchwl reclaim -f {file}", false, true, true,
	  { UNTRACED,
	    { "memscope reclaim", K_MEMSCOPE, "{ms} reclaim -j", MS_ATTACHED, NULL, NULL },
	    { "libbpf-tools drsnoop", K_PEER, "stdbuf -oL /usr/sbin/drsnoop", "TIME", NULL,
	      "/usr/sbin/drsnoop" } } },
	{ "oom-idle", "fork+exec+wait of /bin/true (no OOM happens)", "spawn", WL_GATED,
	  "{bench}/benchwl spawn", false, false, false,
	  { UNTRACED, { "memscope oom", K_MEMSCOPE, "{ms} oom -j", MS_ATTACHED, NULL, NULL },
	    { "libbpf-tools oomkill", K_PEER, "stdbuf -oL /usr/sbin/oomkill", "Tracing", NULL,
	      "/usr/sbin/oomkill" } } },
	{ "redis", "redis-server (Debian, jemalloc), redis-benchmark SET+GET on loopback",
	  "request", WL_REDIS, NULL, false, false, false,
	  { UNTRACED,
	    { "memscope leak -p", K_MEMSCOPE, LEAK_P, MS_ATTACHED, NULL, NULL },
	    { "floor: empty programs, memscope's offsets", K_FLOOR, LEAK_P, MS_ATTACHED,
	      "MEMSCOPE_BENCH_FLOOR=1", NULL },
	    { "floor: empty programs at +0", K_FLOOR, LEAK_P, MS_ATTACHED,
	      "MEMSCOPE_BENCH_FLOOR=entry", NULL },
	    { "bpftrace memleak.bt (jemalloc)", K_PEER, "bpftrace -p {pid} {peer}/memleak.bt {je}",
	      "Attaching", NULL, "bpftrace" } } },
};
#define NBENCH (sizeof(benches) / sizeof(benches[0]))
const size_t nbench = NBENCH;

struct opts o = { .rounds = 5, .seconds = 2.0, .busy_max = OUTSIDE_LOAD };

static char tmpdir[64];
static char file_cached[128], file_reclaim[128], memcg[PATH_MAX - 64];
static char libc_path[PATH_MAX], je_path[PATH_MAX];
static int redis_port;
static pid_t redis_pid;
static volatile sig_atomic_t stop;
static pid_t live[4];

static void on_signal(int sig)
{
	stop = sig;
}

static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- small helpers ---------------------------------------------------------------- */

/* Expand {ms} {bench} {peer} {pid} {file} {libc} {je} {port} in t. */
static void expand_cmd(const char *t, pid_t pid, const char *file, char *out, size_t len)
{
	char spid[16], sport[16];
	const struct var vars[] = {
		{ "ms", o.ms },	      { "bench", o.bench_dir }, { "peer", o.peer_dir },
		{ "pid", spid },      { "port", sport },	{ "file", file },
		{ "libc", libc_path }, { "je", je_path },
	};

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(sport, sizeof(sport), "%d", redis_port);
	expand(t, vars, sizeof(vars) / sizeof(vars[0]), out, len);
}

/* ---- one run ------------------------------------------------------------------------- */

struct wl_out {
	double ns_per_op;
	double ops;		/* every op it made, warm-up included */
	double cpu_ms;		/* the workload's (and the server's) own */
	bool ok;
	char err[160];
};

/* Run the redis client: ns per request from redis-benchmark's rates. */
static void run_redis_client(struct wl_out *w)
{
	char out[PATH_MAX], buf[4096], reqs[32], port[16];
	struct rusage ru;
	double total_s = 0, n = 0;
	int st;
	long nreq = (long)(o.seconds * 20000);
	FILE *f;

	snprintf(out, sizeof(out), "%s/client.out", tmpdir);
	snprintf(reqs, sizeof(reqs), "%ld", nreq < 1000 ? 1000 : nreq);
	snprintf(port, sizeof(port), "%d", redis_port);
	char *argv[] = { "redis-benchmark", "-p", port, "-q", "-t", "set,get", "-n", reqs,
			 "-c", "4", "-r", "10000", "-d", "64", NULL };
	pid_t p = spawn(argv, NULL, out, -1, -1, NULL);

	while (wait4(p, &st, 0, &ru) < 0 && errno == EINTR)
		;
	w->cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	f = fopen(out, "re");
	while (f && fgets(buf, sizeof(buf), f)) {
		/* "SET: 51203.28 requests per second, p50=..." (the last \r
		 * segment of the line). */
		char *s = strrchr(buf, '\r');
		double rps;

		s = s ? s + 1 : buf;
		if ((!strncmp(s, "SET: ", 5) || !strncmp(s, "GET: ", 5)) &&
		    sscanf(s + 5, "%lf", &rps) == 1 && rps > 0) {
			total_s += (double)atol(reqs) / rps;
			n += (double)atol(reqs);
		}
	}
	if (f)
		fclose(f);
	if (n > 0) {
		w->ns_per_op = total_s / n * 1e9;
		w->ops = n;
		w->ok = true;
	} else {
		if (snprintf(w->err, sizeof(w->err), "redis-benchmark printed no rates (see %s)", out) < 0)
			w->err[0] = 0;
	}
}

/* One run of config c of bench b; round r (r < 0: warm-up or profile). */
static int run_once(const struct bench *b, const struct config *c, struct run_res *res,
		    struct cfg_res *cr, bool profile)
{
	char cmd[1024], wcmd[1024], tout[PATH_MAX], wout[PATH_MAX], last[160] = "";
	char *targv[32], *wargv[32];
	int gate[2] = { -1, -1 }, st = 0, stats_fd = -1;
	pid_t wl = -1, tr = -1, target;
	unsigned long long b0, t0, b1, t1;
	double t_start, t_ready, tcpu0 = 0, tcpu1, scpu0 = 0, scpu1 = 0, elapsed;
	struct rusage ru;
	struct wl_out w = { 0 };

	memset(res, 0, sizeof(*res));
	snprintf(tout, sizeof(tout), "%s/tracer.out", tmpdir);
	snprintf(wout, sizeof(wout), "%s/wl.out", tmpdir);

	if (b->wl == WL_GATED) {
		if (pipe2(gate, O_CLOEXEC))
			return -1;
		expand_cmd(b->wl_cmd, 0, b->reclaim_file ? file_reclaim : file_cached, wcmd,
		       sizeof(wcmd));
		snprintf(wcmd + strlen(wcmd), sizeof(wcmd) - strlen(wcmd), " -g 3 -d %.0f",
			 o.seconds * 1000);
		split(wcmd, wargv, 32);
		unlink(wout);
		/* fd 3 in the child is a dup without O_CLOEXEC. */
		wl = spawn(wargv, NULL, wout, -1, gate[0], b->needs_memcg ? memcg : NULL);
		live[0] = wl;
		close(gate[0]);
		target = wl;
		t_start = now_ms();
		while (!file_has(wout, "\"ready\"", NULL, 0)) {
			if (waitpid(wl, &st, WNOHANG) == wl || now_ms() - t_start > 10000 || stop) {
				file_has(wout, "\n", last, sizeof(last));
				snprintf(cr->why, sizeof(cr->why), "the workload did not start: %s",
					 last);
				goto fail;
			}
			usleep(1000);
		}
	} else {
		target = redis_pid;
	}

	if (c->cmd) {
		expand_cmd(c->cmd, target, NULL, cmd, sizeof(cmd));
		split(cmd, targv, 32);
		if (profile) {
			stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
			if (stats_fd < 0)
				msg("bench: BPF_ENABLE_STATS: %s\n", strerror(errno));
		}
		unlink(tout);
		t_start = now_ms();
		tr = spawn(targv, c->env, tout, -1, -1, NULL);
		live[1] = tr;
		for (;;) {
			if (file_has(tout, c->ready, NULL, 0))
				break;
			if (waitpid(tr, &st, WNOHANG) == tr || now_ms() - t_start > 60000 || stop) {
				file_has(tout, "\n", last, sizeof(last));
				snprintf(cr->why, sizeof(cr->why), "%s", last[0] ? last : "no output");
				if (waitpid(tr, &st, WNOHANG) == 0)
					kill_wait(tr, SIGKILL, &ru, NULL);
				tr = -1;
				goto fail;
			}
			usleep(2000);
		}
		t_ready = now_ms();
		res->attach_ms = t_ready - t_start;
		/* Peers print their line before their last attach: a moment. */
		if (c->kind == K_PEER)
			usleep(500000);
		tcpu0 = proc_cpu_ms(tr);
	}

	if (b->wl == WL_REDIS)
		scpu0 = proc_cpu_ms(redis_pid);
	cpu_times(&b0, &t0);
	if (b->wl == WL_GATED) {
		if (write(gate[1], "g", 1) != 1) {
			file_has(wout, "\n", last, sizeof(last));
			snprintf(cr->why, sizeof(cr->why), "the workload did not wait: %s", last);
			goto fail;
		}
		close(gate[1]);
		gate[1] = -1;
		while (wait4(wl, &st, 0, &ru) < 0 && errno == EINTR)
			;
		live[0] = 0;
		wl = -1;
		w.cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
		last[0] = 0;
		if (WIFEXITED(st) && !WEXITSTATUS(st) && file_has(wout, "ns_per_op", last, sizeof(last))) {
			w.ns_per_op = field(last, "ns_per_op");
			w.ops = field(last, "ops") + field(last, "warmup_ops");
			w.ok = w.ns_per_op > 0;
		}
		if (!w.ok)
			snprintf(w.err, sizeof(w.err), "workload failed: %s", last);
	} else {
		run_redis_client(&w);
		scpu1 = proc_cpu_ms(redis_pid);
		w.cpu_ms += scpu1 - scpu0;
	}
	cpu_times(&b1, &t1);

	if (tr > 0) {
		double t_int;

		tcpu1 = proc_cpu_ms(tr);
		res->maps_kib = proc_bpf(tr, profile ? cr->prog : NULL, profile ? &cr->nprog : NULL);
		t_int = now_ms();
		kill_wait(tr, SIGINT, &ru, &st);
		res->detach_ms = now_ms() - t_int;
		live[1] = 0;
		res->cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
		res->rss_kib = ru.ru_maxrss;
		w.cpu_ms += tcpu1 - tcpu0;
		if (stats_fd >= 0)
			close(stats_fd);
	}
	if (!w.ok) {
		snprintf(cr->why, sizeof(cr->why), "%s", w.err);
		return -1;
	}
	res->ns_per_op = w.ns_per_op;
	res->ops = w.ops;
	/* Jiffies are 1/100 s or so: the busy share over a run of seconds. */
	elapsed = (double)(t1 - t0) / (double)sysconf(_SC_NPROCESSORS_ONLN) /
		  (double)sysconf(_SC_CLK_TCK);
	if (elapsed > 0)
		res->busy = (double)(b1 - b0) / (double)sysconf(_SC_CLK_TCK) / elapsed -
			    w.cpu_ms / 1e3 / elapsed;
	return 0;
fail:
	if (gate[1] >= 0)
		close(gate[1]);
	if (wl > 0)
		kill_wait(wl, SIGKILL, NULL, NULL);
	live[0] = live[1] = 0;
	if (stats_fd >= 0)
		close(stats_fd);
	return -1;
}

/* ---- set-up of files, cgroup, server ------------------------------------------------ */

static int start_redis(char *why, size_t len)
{
	char port[16], out[PATH_MAX];
	int st;

	if (!on_path("redis-server") || !on_path("redis-benchmark")) {
		snprintf(why, len, "redis-server or redis-benchmark not installed "
				   "(scripts/deps.sh --bench)");
		return -1;
	}
	redis_port = 20000 + (int)(getpid() % 20000);
	snprintf(port, sizeof(port), "%d", redis_port);
	snprintf(out, sizeof(out), "%s/redis.out", tmpdir);
	char *argv[] = { "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
			 "--appendonly", "no", "--daemonize", "no", "--dir", tmpdir, NULL };
	redis_pid = spawn(argv, NULL, out, -1, -1, NULL);
	live[2] = redis_pid;
	for (int i = 0; i < 500; i++) {
		if (file_has(out, "Ready to accept connections", NULL, 0))
			return 0;
		if (waitpid(redis_pid, &st, WNOHANG) == redis_pid)
			break;
		usleep(10000);
	}
	if (snprintf(why, len, "redis-server did not start (see %s)", out) < 0)
		why[0] = 0;
	return -1;
}

/* ---- main -------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: memscope-bench [-r ROUNDS] [-d SECONDS] [-b CPUS] [-o JSON] [-m MEMSCOPE] "
		   "[BENCH ...]\n"
		   "  -r ROUNDS   rounds after the warm-up one (default 5)\n"
		   "  -d SECONDS  each run's measured time (default 2)\n"
		   "  -b CPUS     redo a run (up to 3 times) when more CPUs than this were busy\n"
		   "              outside it (default 0.3)\n"
		   "  -o JSON     write the figures there too\n"
		   "  -m PATH     the memscope binary (default: ../memscope beside this program)\n"
		   "  benchmarks:");
	for (size_t i = 0; i < NBENCH; i++)
		fprintf(f, " %s", benches[i].name);
	fprintf(f, "\n  a prefix selects every benchmark it starts (leak-kernel: all four)\n");
}

static void cleanup(void)
{
	for (int i = 0; i < 4; i++)
		if (live[i] > 0)
			kill_wait(live[i], i == 2 ? SIGTERM : SIGKILL, NULL, NULL);
	if (memcg[0])
		rmdir(memcg);
	if (file_cached[0])
		unlink(file_cached);
	if (file_reclaim[0])
		unlink(file_reclaim);
	if (tmpdir[0]) {
		char path[PATH_MAX];
		static const char *const names[] = { "tracer.out", "wl.out", "client.out",
						     "redis.out" };

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
			unlink(path);
		}
		rmdir(tmpdir);
	}
}

static struct cfg_res results[NBENCH][MAX_CONFIGS];

int main(int argc, char **argv)
{
	static const struct option lopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	bool sel[NBENCH] = { false }, any = false;
	char dir[PATH_MAX], ms[PATH_MAX], peer[PATH_MAX];
	int opt;

	while ((opt = getopt_long(argc, argv, "r:d:o:m:b:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			o.rounds = atoi(optarg);
			if (o.rounds < 1 || o.rounds > MAX_ROUNDS) {
				fprintf(stderr, "memscope-bench: -r: 1 to %d rounds\n", MAX_ROUNDS);
				return 2;
			}
			break;
		case 'd':
			o.seconds = strtod(optarg, NULL);
			if (!(o.seconds >= 0.05 && o.seconds <= 600)) {
				fprintf(stderr, "memscope-bench: -d: 0.05 to 600 seconds\n");
				return 2;
			}
			break;
		case 'b':
			o.busy_max = strtod(optarg, NULL);
			if (!(o.busy_max > 0)) {
				fprintf(stderr, "memscope-bench: -b: a number of CPUs above 0\n");
				return 2;
			}
			break;
		case 'o': o.json = optarg; break;
		case 'm': o.ms = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	for (int i = optind; i < argc; i++) {
		bool hit = false;

		for (size_t k = 0; k < NBENCH; k++)
			if (!strncmp(benches[k].name, argv[i], strlen(argv[i])))
				sel[k] = hit = true;
		if (!hit) {
			fprintf(stderr, "memscope-bench: unknown benchmark '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
		any = true;
	}
	for (size_t k = 0; !any && k < NBENCH; k++)
		sel[k] = true;
	if (geteuid()) {
		fprintf(stderr, "memscope-bench: needs root (it loads BPF programs)\n");
		return 1;
	}

	/* build/bench/memscope-bench: build/memscope, build/bench/benchwl,
	 * and the peers' scripts in the source tree's bench/peers. */
	if (exe_dir(dir, sizeof(dir)))
		return 1;
	o.bench_dir = dir;
	if (!o.ms) {
		if (snprintf(ms, sizeof(ms), "%s/../memscope", dir) >= (int)sizeof(ms))
			return 1;
		o.ms = ms;
	}
#ifndef BENCH_PEERS
#define BENCH_PEERS "bench/peers"
#endif
	snprintf(peer, sizeof(peer), "%s",
		 getenv("MEMSCOPE_BENCH_PEERS") ? getenv("MEMSCOPE_BENCH_PEERS") : BENCH_PEERS);
	o.peer_dir = peer;
	if (access(o.ms, X_OK)) {
		fprintf(stderr, "memscope-bench: %s: %s\n", o.ms, strerror(errno));
		return 1;
	}
	find_lib("libc.so.6", libc_path, sizeof(libc_path));
	find_lib("libjemalloc.so.2", je_path, sizeof(je_path));

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/memscope-bench.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		fprintf(stderr, "memscope-bench: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	for (size_t i = 0; i < NBENCH && !stop; i++) {
		const struct bench *b = &benches[i];
		struct cfg_res *cr = results[i];
		char why[160] = "";
		int ncfg = 0;

		if (!sel[i])
			continue;
		while (ncfg < MAX_CONFIGS && b->cfg[ncfg].name)
			ncfg++;
		if (b->needs_file && !file_cached[0]) {
			snprintf(file_cached, sizeof(file_cached), "%s/cached.dat", tmpdir);
			if (write_file(file_cached, 64, false))
				snprintf(why, sizeof(why), "cannot write %s", file_cached);
		}
		if (b->reclaim_file && !file_reclaim[0]) {
			/* On a disk, not /tmp (tmpfs in many places). */
			snprintf(file_reclaim, sizeof(file_reclaim), "/var/tmp/memscope-bench-%d.dat",
				 (int)getpid());
			if (write_file(file_reclaim, 128, true))
				snprintf(why, sizeof(why), "cannot write %s", file_reclaim);
		}
		if (b->needs_memcg && !memcg[0] && make_memcg(memcg, sizeof(memcg), "bench", 32))
			snprintf(why, sizeof(why), "no memory cgroup of our own here");
		if (b->wl == WL_REDIS && !why[0])
			start_redis(why, sizeof(why));
		for (int k = 0; k < ncfg; k++) {
			const struct config *c = &b->cfg[k];

			if (why[0]) {
				cr[k].absent = true;
				snprintf(cr[k].why, sizeof(cr[k].why), "%s", why);
			} else if (c->needs && !on_path(c->needs)) {
				cr[k].absent = true;
				snprintf(cr[k].why, sizeof(cr[k].why),
					 "%s not installed (scripts/deps.sh --bench)", c->needs);
			}
		}
		if (!o.quiet)
			msg("bench: %s: %d configurations, a warm-up round and %d rounds of %.1f s\n",
			    b->name, ncfg, o.rounds, o.seconds);
		for (int r = -1; r < o.rounds && !stop; r++) {
			double base = NAN;

			for (int k = 0; k < ncfg && !stop; k++) {
				struct cfg_res *x = &cr[k];
				struct run_res rr;
				int tries = 0;

				if (x->absent)
					continue;
				for (;;) {
					if (run_once(b, &b->cfg[k], &rr, x, false)) {
						x->absent = true;
						break;
					}
					if (rr.busy <= o.busy_max || ++tries > REDO_MAX)
						break;
					msg("bench: %s / %s: %.2f CPUs busy outside the run: again\n",
					    b->name, b->cfg[k].name, rr.busy);
				}
				if (x->absent) {
					msg("bench: %s / %s: not measured: %s\n", b->name,
					    b->cfg[k].name, x->why);
					continue;
				}
				rr.redone = tries > REDO_MAX ? REDO_MAX : tries;
				rr.loaded = rr.busy > o.busy_max;
				if (b->cfg[k].kind == K_BASE)
					base = rr.ns_per_op;
				if (r < 0)
					continue;	/* warm-up */
				x->ratio[x->n] = rr.ns_per_op / base;
				x->r[x->n++] = rr;
			}
		}
		/* The programs' own cost: one run each with BPF statistics. */
		for (int k = 0; k < ncfg && !stop; k++) {
			struct run_res rr;

			if (b->cfg[k].kind != K_MEMSCOPE || cr[k].absent)
				continue;
			if (!run_once(b, &b->cfg[k], &rr, &cr[k], true))
				cr[k].prof_ops = (uint64_t)rr.ops;
		}
		if (b->wl == WL_REDIS && redis_pid > 0) {
			kill_wait(redis_pid, SIGTERM, NULL, NULL);
			redis_pid = live[2] = 0;
		}
		print_table(b, cr, ncfg);
	}
	if (stop) {
		fprintf(stderr, "memscope-bench: interrupted\n");
		return 1;
	}
	if (o.json) {
		/* Not through a symlink planted at the name (it runs as root). */
		int fd = open(o.json, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

		if (!f) {
			fprintf(stderr, "memscope-bench: %s: %s\n", o.json, strerror(errno));
			return 1;
		}
		write_json(f, results, sel);
		if (fclose(f)) {
			fprintf(stderr, "memscope-bench: %s: write failed\n", o.json);
			return 1;
		}
		printf("\nJSON: %s\n", o.json);
	}
	return 0;
}
