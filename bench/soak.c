// SPDX-License-Identifier: GPL-2.0
/* memscope-soak (`make soak SOAK_SECONDS=N`): every tool left running for
 * N seconds against a steady workload of its own, all at once, each with
 * 1-second reports (-j) that are read and counted here; every 10 s each
 * tool's resident set (VmRSS), CPU time and the kernel memory its BPF maps
 * pin (memlock in the fdinfo of its map descriptors) are sampled, and the
 * ids of its BPF programs (program and link descriptors) recorded. At the
 * end each tool gets SIGINT; it must exit 0 and leave none of its
 * programs loaded.
 *
 * The workloads are bench/wl.c's (benchwl), paced (-r) so that all of them
 * together stay light on a 2-CPU machine: malloc+free pairs with a
 * constant live set (leak -p), socketpair round trips (leak --kernel -p),
 * cached random and sequential reads (cachestat system-wide; cachetop
 * --by file, of the workload's reads: the files the whole machine reads
 * are no steady load, and cachetop keeps each one seen up to
 * --max-entities),
 * reads of a 128 MiB file through a 32 MiB memory cgroup (reclaim -s), and
 * an OOM kill every 10 s in a 16 MiB memory cgroup without swap (oom).
 *
 * The bounds (a broken one makes the exit status 1): see BOUNDS below and
 * the README's "Soak". Output: a table on stdout and DIR/soak.json (the
 * figures, every sample, and the machine: commit, kernel release and
 * build, CPU model and count); each tool's stderr in DIR/NAME.err.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "core/json.h"
#include "core/procfs.h"
#include "out/files.h"

/* ---- BOUNDS ----------------------------------------------------------------------- */

#define SAMPLE_S 10		/* a sample every 10 s */
#define WARMUP_S 30		/* the baseline: the sample at 30 s (at half the run
				 * in a run shorter than a minute) */
#define RSS_SLACK_KIB 1024	/* RSS at the end <= baseline + max(1 MiB, 5 %) */
#define RSS_SLACK_PCT 5.0
/* BPF map memory: within 64 KiB of the baseline in every later sample.
 * Not 0: leak keeps each new distinct stack as it comes (1 KiB each, up
 * to --max-stacks), and a kernel workload meets a rare path now and then
 * (2 KiB in a minute of leak --kernel -p on socketpairs); a leak of an
 * element per event or per report would pass 64 KiB within seconds. */
#define MAPS_SLACK_KIB 64
#define REPORT_SLACK 5		/* interval tools: >= N - 5 reports in N s */
#define GAP_MAX_S 5.0		/* and never 5 s without one */
#define CPU_MAX_PCT 25.0	/* mean CPU over the run, % of one CPU */
#define EXIT_MAX_S 10.0		/* SIGINT to exit 0 */
/* oom: one oom_kill record per kill the memory cgroup counted meanwhile. */

/* ---- the tools and their workloads -------------------------------------------------- */

enum report { R_INTERVAL, R_OOM_KILL };
enum cg { CG_NONE, CG_RECLAIM, CG_OOM };
enum file { F_NONE, F_CACHED, F_RECLAIM };

struct soak_tool {
	const char *name;
	const char *cmd;	/* {ms} memscope, {pid} the workload's, {cg} its memcg */
	const char *wl;		/* {bench} benchwl's directory, {file} */
	enum report report;
	enum cg cg;
	enum file file;
};

static const struct soak_tool tools[] = {
	{ "leak-user", "{ms} leak -j -p {pid} 1", "{bench}/benchwl malloc -r 10000", R_INTERVAL,
	  CG_NONE, F_NONE },
	{ "leak-kernel", "{ms} leak -j --kernel -p {pid} 1", "{bench}/benchwl socketpair -r 2000",
	  R_INTERVAL, CG_NONE, F_NONE },
	{ "cachestat", "{ms} cachestat -j 1", "{bench}/benchwl readrand -f {file} -r 10000",
	  R_INTERVAL, CG_NONE, F_CACHED },
	{ "cachetop", "{ms} cachetop -b -j --by file -p {pid} 1",
	  "{bench}/benchwl readseq -f {file} -r 1000", R_INTERVAL, CG_NONE, F_CACHED },
	{ "reclaim", "{ms} reclaim -s -j 1", "{bench}/benchwl reclaim -f {file} -r 200", R_INTERVAL,
	  CG_RECLAIM, F_RECLAIM },
	/* Its own group's kills only: other tests may kill elsewhere. */
	{ "oom", "{ms} oom -j --cgroup {cg}", "{bench}/benchwl oom -r 0.1", R_OOM_KILL, CG_OOM,
	  F_NONE },
};
#define NTOOLS (sizeof(tools) / sizeof(tools[0]))

/* ---- a tool's run ---------------------------------------------------------------------- */

#define MAX_IDS 256
#define MAX_FAILS 8
#define LINE_MAX_ 65536

struct sample {
	double t;		/* s since the start */
	long rss_kib, maps_kib;
	double cpu_ms;
};

struct run {
	const struct soak_tool *t;
	bool sel;
	char cmd[1024], wl_cmd[1024], err_path[PATH_MAX], wl_path[PATH_MAX];
	pid_t wl, tool;
	int out, gate;
	bool attached, eof, exited, wl_gone;
	int status;
	char buf[LINE_MAX_];
	size_t blen;
	bool skip;		/* the rest of an overlong line */
	long reports;		/* during the N seconds */
	double last_report, max_gap;
	long long kills0, kills_end, kills_after;
	struct sample *s;
	int ns;
	unsigned ids[MAX_IDS];
	int nids, left;
	char left_names[512];
	long peak_rss_kib;
	double cpu_total_ms, exit_s;
	char fail[MAX_FAILS][200];
	int nfail;
};

static struct run runs[NTOOLS];
static int seconds = 600;
static const char *ms, *bench_dir, *outdir = "build/soak";
static char tmpdir[64], file_cached[128], file_reclaim[128];
static char cg_reclaim[PATH_MAX - 64], cg_oom[PATH_MAX - 64];
static volatile sig_atomic_t stop;
static double t0;
static double busy_cpus;	/* the machine's, over the run: others' work too */

static void on_signal(int sig)
{
	stop = sig;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

__attribute__((format(printf, 2, 3))) static void fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nfail >= MAX_FAILS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->fail[r->nfail++], sizeof(r->fail[0]), fmt, ap);
	va_end(ap);
	fprintf(stderr, "soak: %s: %s\n", r->t->name, r->fail[r->nfail - 1]);
}

/* The group's OOM kills: "oom_kill N" in v1 memory.oom_control or v2
 * memory.events (-1 if absent). */
static long long oom_kills(const char *cg)
{
	char path[PATH_MAX];
	uint64_t v;

	snprintf(path, sizeof(path), "%s/memory.oom_control", cg);
	if (!file_keyed_u64(path, "oom_kill", &v))
		return (long long)v;
	snprintf(path, sizeof(path), "%s/memory.events", cg);
	return file_keyed_u64(path, "oom_kill", &v) ? -1 : (long long)v;
}

/* No swap for the OOM group: its child must be killed, not swapped out. */
static void no_swap(const char *cg)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", cg);
	f = fopen(path, "we");
	if (!f) {
		snprintf(path, sizeof(path), "%s/memory.swap.max", cg);
		f = fopen(path, "we");
	}
	if (f) {
		fprintf(f, "%s\n", strstr(path, "memsw") ? "16777216" : "0");
		fclose(f);
	}
}

/* One line of the tool's stdout. */
static void on_line(struct run *r, const char *line, double t)
{
	if (strstr(line, "\"type\":\"attached\""))
		r->attached = true;
	if (!t0)
		return;
	if (r->t->report == R_OOM_KILL) {
		/* A kill is printed once its story is over (about 2.5 s on),
		 * and at SIGINT whatever its story: records after the end are
		 * of kills before it, which the bound counts. */
		if (!strstr(line, "\"type\":\"oom_kill\""))
			return;
		r->reports++;
		if (t > t0 + seconds)
			return;
	} else {
		if (t > t0 + seconds || !strstr(line, "\"type\":\"interval\"") ||
		    !strstr(line, "\"final\":false"))
			return;
		r->reports++;
	}
	if (t - r->last_report > r->max_gap)
		r->max_gap = t - r->last_report;
	r->last_report = t;
}

/* Read what the tool wrote; false at EOF. */
static bool drain(struct run *r)
{
	for (;;) {
		ssize_t n = read(r->out, r->buf + r->blen, sizeof(r->buf) - 1 - r->blen);
		double t = now_s();
		char *p, *nl;

		if (n == 0) {
			r->eof = true;
			return false;
		}
		if (n < 0)
			return errno != EAGAIN && errno != EINTR ? (r->eof = true, false) : true;
		r->blen += (size_t)n;
		r->buf[r->blen] = 0;
		for (p = r->buf; (nl = strchr(p, '\n')); p = nl + 1) {
			*nl = 0;
			if (!r->skip)
				on_line(r, p, t);
			r->skip = false;
		}
		r->blen -= (size_t)(p - r->buf);
		memmove(r->buf, p, r->blen);
		if (r->blen == sizeof(r->buf) - 1) {
			/* A line longer than the buffer: judged by its start. */
			r->buf[r->blen] = 0;
			if (!r->skip)
				on_line(r, r->buf, t);
			r->skip = true;
			r->blen = 0;
		}
	}
}

static void sample(struct run *r, double t)
{
	struct sample *s;

	if (r->tool <= 0 || r->exited)
		return;
	s = &r->s[r->ns++];
	s->t = t;
	s->rss_kib = proc_rss_kib(r->tool);
	s->maps_kib = proc_bpf(r->tool, NULL, NULL);
	s->cpu_ms = proc_cpu_ms(r->tool);
	r->nids = proc_prog_ids(r->tool, r->ids, r->nids, MAX_IDS);
}

static int start(struct run *r)
{
	char split_cmd[1024], *argv[32], last[160] = "";
	int gate[2], out[2], st;
	const char *cg = r->t->cg == CG_RECLAIM ? cg_reclaim : r->t->cg == CG_OOM ? cg_oom : NULL;
	const char *file = r->t->file == F_CACHED ? file_cached : file_reclaim;
	char dur[32], spid[16];
	double t;

	if (cg && !*cg) {
		fail(r, "no memory cgroup of our own here");
		return -1;
	}
	/* The workload: outlives the run, waits at its gate meanwhile. */
	snprintf(dur, sizeof(dur), "%d", (seconds + 120) * 1000);
	{
		const struct var v[] = { { "bench", bench_dir }, { "file", file } };

		expand(r->t->wl, v, 2, r->wl_cmd, sizeof(r->wl_cmd));
	}
	snprintf(split_cmd, sizeof(split_cmd), "%s -w 0 -g 3 -d %s", r->wl_cmd, dur);
	split(split_cmd, argv, 32);
	snprintf(r->wl_path, sizeof(r->wl_path), "%s/%s.wl", outdir, r->t->name);
	if (pipe2(gate, O_CLOEXEC))
		return -1;
	r->wl = spawn(argv, NULL, r->wl_path, -1, gate[0], cg);
	close(gate[0]);
	r->gate = gate[1];
	for (t = now_s(); !file_has(r->wl_path, "\"ready\"", NULL, 0);) {
		if (waitpid(r->wl, &st, WNOHANG) == r->wl || now_s() - t > 10 || stop) {
			r->wl_gone = true;
			file_has(r->wl_path, "\n", last, sizeof(last));
			fail(r, "the workload did not start: %s", last);
			return -1;
		}
		usleep(2000);
	}

	/* The tool, its stdout a pipe read here. */
	snprintf(spid, sizeof(spid), "%d", (int)r->wl);
	{
		const struct var v[] = { { "ms", ms }, { "pid", spid }, { "cg", cg ? cg : "" } };

		expand(r->t->cmd, v, 3, r->cmd, sizeof(r->cmd));
	}
	snprintf(split_cmd, sizeof(split_cmd), "%s", r->cmd);
	split(split_cmd, argv, 32);
	snprintf(r->err_path, sizeof(r->err_path), "%s/%s.err", outdir, r->t->name);
	if (pipe2(out, O_CLOEXEC))
		return -1;
	r->tool = spawn(argv, NULL, r->err_path, out[1], -1, NULL);
	close(out[1]);
	r->out = out[0];
	fcntl(r->out, F_SETFL, O_NONBLOCK);
	for (t = now_s(); !r->attached;) {
		struct pollfd p = { r->out, POLLIN, 0 };

		poll(&p, 1, 100);
		if (!drain(r) || now_s() - t > 60 || stop) {
			file_has(r->err_path, "\n", last, sizeof(last));
			fail(r, "did not attach: %s", last[0] ? last : "no output");
			kill_wait(r->tool, SIGKILL, NULL, &r->status);
			r->exited = true;
			return -1;
		}
	}
	if (r->t->cg == CG_OOM)
		r->kills0 = oom_kills(cg);
	/* Attached: the workload goes. */
	if (write(r->gate, "g", 1) != 1) {
		fail(r, "the workload did not wait at its gate");
		return -1;
	}
	close(r->gate);
	r->gate = -1;
	return 0;
}

/* Whether a tool or its workload ended before its time. */
static void check_gone(struct run *r)
{
	int st;

	if (r->tool > 0 && !r->exited && waitpid(r->tool, &st, WNOHANG) == r->tool) {
		r->exited = true;
		r->status = st;
		fail(r, "exited after %.0f s, before SIGINT (status 0x%x; see %s)", now_s() - t0, st,
		     r->err_path);
	}
	if (r->wl > 0 && !r->wl_gone && waitpid(r->wl, &st, WNOHANG) == r->wl) {
		r->wl_gone = true;
		fail(r, "its workload ended after %.0f s (status 0x%x; see %s)", now_s() - t0, st,
		     r->wl_path);
	}
}

/* SIGINT to every tool still running; read them until they exit. */
static void stop_tools(void)
{
	double t = now_s();
	bool busy = true;

	for (size_t i = 0; i < NTOOLS; i++) {
		struct run *r = &runs[i];

		if (r->tool > 0 && !r->exited) {
			if (r->t->cg == CG_OOM)
				r->kills_end = oom_kills(cg_oom);
			kill(r->tool, SIGINT);
		}
	}
	while (busy && now_s() - t < EXIT_MAX_S) {
		struct pollfd p[NTOOLS];
		nfds_t n = 0;

		busy = false;
		for (size_t i = 0; i < NTOOLS; i++) {
			struct run *r = &runs[i];
			struct rusage ru;
			int st;

			if (r->tool <= 0 || r->exited)
				continue;
			if (!r->eof)
				p[n++] = (struct pollfd){ r->out, POLLIN, 0 };
			if (r->eof && wait4(r->tool, &st, WNOHANG, &ru) == r->tool) {
				r->exited = true;
				r->status = st;
				r->exit_s = now_s() - t;
				r->peak_rss_kib = ru.ru_maxrss;
				r->cpu_total_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
						  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
				if (!WIFEXITED(st) || WEXITSTATUS(st))
					fail(r, "SIGINT: exit status 0x%x, not 0 (see %s)", st, r->err_path);
				continue;
			}
			busy = true;
		}
		if (n)
			poll(p, n, 50);
		else if (busy)
			usleep(10000);
		for (size_t i = 0; i < NTOOLS; i++)
			if (runs[i].tool > 0 && !runs[i].exited && !runs[i].eof)
				drain(&runs[i]);
	}
	for (size_t i = 0; i < NTOOLS; i++) {
		struct run *r = &runs[i];

		if (r->tool > 0 && !r->exited) {
			fail(r, "still running %.0f s after SIGINT: killed", EXIT_MAX_S);
			kill_wait(r->tool, SIGKILL, NULL, &r->status);
			r->exited = true;
		}
		if (r->t->cg == CG_OOM && r->tool > 0)
			r->kills_after = oom_kills(cg_oom);
	}
}

static void cleanup(void)
{
	for (size_t i = 0; i < NTOOLS; i++) {
		struct run *r = &runs[i];

		if (r->tool > 0 && !r->exited)
			kill_wait(r->tool, SIGKILL, NULL, NULL);
		r->exited = true;
		if (r->wl > 0)
			kill_wait(r->wl, SIGKILL, NULL, NULL);
		r->wl = 0;
	}
	/* The OOM group's child, if any, dies with its parent (SIGKILL as
	 * the driver's child's child: it is in the group, empty once reaped). */
	for (int i = 0; i < 50; i++) {
		bool left = false;

		if (cg_reclaim[0] && rmdir(cg_reclaim) && errno == EBUSY)
			left = true;
		if (cg_oom[0] && rmdir(cg_oom) && errno == EBUSY)
			left = true;
		if (!left)
			break;
		usleep(100000);
	}
	if (file_cached[0])
		unlink(file_cached);
	if (file_reclaim[0])
		unlink(file_reclaim);
	if (tmpdir[0])
		rmdir(tmpdir);
}

/* ---- the verdict ------------------------------------------------------------------------- */

struct figures {
	int base;		/* the baseline sample */
	long rss_first, rss_base, rss_last, rss_max;
	long maps_first, maps_base, maps_min, maps_max;
	double cpu_pct, cpu_pct_max;
	long rss_bound;
};

static void judge(struct run *r, struct figures *f)
{
	double warm = seconds >= 2 * WARMUP_S ? WARMUP_S : seconds / 2.0;

	memset(f, 0, sizeof(*f));
	f->base = -1;
	if (r->ns < 2) {
		if (!r->nfail)
			fail(r, "fewer than 2 samples");
		return;
	}
	for (int i = 0; i < r->ns && f->base < 0; i++)
		if (r->s[i].t >= warm - 0.5)
			f->base = i;
	if (f->base < 0)
		f->base = r->ns - 1;
	f->rss_first = r->s[0].rss_kib;
	f->rss_base = r->s[f->base].rss_kib;
	f->rss_last = r->s[r->ns - 1].rss_kib;
	f->maps_first = r->s[0].maps_kib;
	f->maps_base = f->maps_min = f->maps_max = r->s[f->base].maps_kib;
	for (int i = 0; i < r->ns; i++) {
		const struct sample *s = &r->s[i];

		f->rss_max = s->rss_kib > f->rss_max ? s->rss_kib : f->rss_max;
		if (i >= f->base) {
			f->maps_min = s->maps_kib < f->maps_min ? s->maps_kib : f->maps_min;
			f->maps_max = s->maps_kib > f->maps_max ? s->maps_kib : f->maps_max;
		}
		if (i) {
			double pct = (s->cpu_ms - r->s[i - 1].cpu_ms) / 10 / (s->t - r->s[i - 1].t);

			f->cpu_pct_max = pct > f->cpu_pct_max ? pct : f->cpu_pct_max;
		}
	}
	f->cpu_pct = (r->s[r->ns - 1].cpu_ms - r->s[0].cpu_ms) / 10 /
		     (r->s[r->ns - 1].t - r->s[0].t);
	f->rss_bound = (long)fmax(RSS_SLACK_KIB, f->rss_base * RSS_SLACK_PCT / 100);

	if (f->rss_last - f->rss_base > f->rss_bound)
		fail(r, "RSS grew %ld KiB after the baseline at %.0f s (bound %ld KiB)",
		     f->rss_last - f->rss_base, r->s[f->base].t, f->rss_bound);
	if (f->maps_max - f->maps_base > MAPS_SLACK_KIB || f->maps_base - f->maps_min > MAPS_SLACK_KIB)
		fail(r, "BPF map memory went from %ld KiB at the baseline to %ld..%ld KiB (bound: "
		     "%d KiB either way)", f->maps_base, f->maps_min, f->maps_max, MAPS_SLACK_KIB);
	if (f->cpu_pct > CPU_MAX_PCT)
		fail(r, "%.1f%% CPU on average (bound %.0f%%)", f->cpu_pct, CPU_MAX_PCT);
	if (r->t->report == R_INTERVAL) {
		if (r->reports < seconds - REPORT_SLACK)
			fail(r, "%ld interval reports in %d s (bound: at least %d)", r->reports,
			     seconds, seconds - REPORT_SLACK);
		if (r->max_gap > GAP_MAX_S)
			fail(r, "%.1f s without a report (bound %.0f s)", r->max_gap, GAP_MAX_S);
	} else {
		long long lo = r->kills_end - r->kills0, hi = r->kills_after - r->kills0;

		if (r->kills0 < 0 || lo < (seconds >= 20 ? 1 : 0))
			fail(r, "the memory cgroup counted no OOM kill");
		else if (r->reports < lo || r->reports > hi)
			fail(r, "%ld oom_kill records for %lld to %lld kills", r->reports, lo, hi);
	}
	if (!r->nids)
		fail(r, "no BPF program seen");
	if (r->left)
		fail(r, "%d of its %d BPF programs still loaded after it exited: %s", r->left,
		     r->nids, r->left_names);
}

static void soak_table(struct figures *fig)
{
	printf("\nmemscope soak: %d s, a sample every %d s, baseline at %.0f s; %.2f of %ld CPUs "
	       "busy meanwhile (all of the machine's work)\n",
	       seconds, SAMPLE_S, seconds >= 2 * WARMUP_S ? (double)WARMUP_S : seconds / 2.0,
	       busy_cpus, sysconf(_SC_NPROCESSORS_ONLN));
	printf("  %-12s %8s %8s %8s %8s %8s %9s %9s %6s %6s %8s %7s %6s %5s  %s\n", "tool",
	       "RSS 0s", "base", "end", "max", "peak", "maps 0s", "maps end", "CPU%", "max%",
	       "reports", "gap", "exit", "progs", "result");
	for (size_t i = 0; i < NTOOLS; i++) {
		const struct run *r = &runs[i];
		const struct figures *f = &fig[i];

		if (!r->sel)
			continue;
		if (f->base < 0) {
			printf("  %-12s not measured: %s\n", r->t->name, r->nfail ? r->fail[0] : "?");
			continue;
		}
		char gap[16] = "-";

		if (r->t->report == R_INTERVAL)
			snprintf(gap, sizeof(gap), "%.1fs", r->max_gap);
		printf("  %-12s %6.1fMB %6.1fMB %6.1fMB %6.1fMB %6.1fMB %8ldK %8ldK %6.2f %6.2f %8ld "
		       "%7s %6s %2d/%-2d  %s\n",
		       r->t->name, f->rss_first / 1024.0, f->rss_base / 1024.0, f->rss_last / 1024.0,
		       f->rss_max / 1024.0, r->peak_rss_kib / 1024.0, f->maps_first, r->s[r->ns - 1].maps_kib,
		       f->cpu_pct, f->cpu_pct_max, r->reports, gap,
		       WIFEXITED(r->status) ? (WEXITSTATUS(r->status) ? "fail" : "0") : "sig",
		       r->left, r->nids, r->nfail ? "FAIL" : "ok");
	}
	for (size_t i = 0; i < NTOOLS; i++)
		for (int k = 0; k < runs[i].nfail; k++)
			printf("  %s: %s\n", runs[i].t->name, runs[i].fail[k]);
	printf("  (RSS: VmRSS at 0 s, at the baseline, at the end, the largest sample; peak: wait4's;\n"
	       "   maps: memlock of its BPF maps; CPU%%: of one CPU, mean and the largest 10-s\n"
	       "   window; reports: interval reports (oom: oom_kill records) in the run; gap: the\n"
	       "   longest without one; progs: still loaded after exit / seen)\n");
	fflush(stdout);
}

/* The JSON file's content (written whole or not at all, never through a
 * name planted in the directory: out/files.c). */
static int soak_json(FILE *f, void *ctx)
{
	const struct figures *fig = ctx;
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	json_machine(&j, ms);
	json_ki64(&j, "seconds", seconds);
	json_ki64(&j, "sample_every_s", SAMPLE_S);
	json_kdouble(&j, "machine_busy_cpus", busy_cpus);
	json_key(&j, "bounds");
	json_obj_begin(&j);
	json_ki64(&j, "warmup_s", WARMUP_S);
	json_ki64(&j, "rss_growth_kib_min", RSS_SLACK_KIB);
	json_kdouble(&j, "rss_growth_pct", RSS_SLACK_PCT);
	json_ki64(&j, "bpf_maps_change_kib_max", MAPS_SLACK_KIB);
	json_ki64(&j, "reports_min", seconds - REPORT_SLACK);
	json_kdouble(&j, "report_gap_max_s", GAP_MAX_S);
	json_kdouble(&j, "cpu_pct_max", CPU_MAX_PCT);
	json_kdouble(&j, "exit_max_s", EXIT_MAX_S);
	json_obj_end(&j);
	json_key(&j, "tools");
	json_arr_begin(&j);
	for (size_t i = 0; i < NTOOLS; i++) {
		const struct run *r = &runs[i];
		const struct figures *x = &fig[i];

		if (!r->sel)
			continue;
		json_obj_begin(&j);
		json_kstr(&j, "name", r->t->name);
		json_kstr(&j, "command", r->cmd);
		json_kstr(&j, "workload", r->wl_cmd);
		json_kbool(&j, "ok", !r->nfail);
		json_key(&j, "failures");
		json_arr_begin(&j);
		for (int k = 0; k < r->nfail; k++)
			json_str(&j, r->fail[k]);
		json_arr_end(&j);
		if (x->base >= 0) {
			json_kdouble(&j, "baseline_s", r->s[x->base].t);
			json_ki64(&j, "rss_first_kib", x->rss_first);
			json_ki64(&j, "rss_baseline_kib", x->rss_base);
			json_ki64(&j, "rss_last_kib", x->rss_last);
			json_ki64(&j, "rss_max_kib", x->rss_max);
			json_ki64(&j, "rss_bound_kib", x->rss_bound);
			json_ki64(&j, "bpf_maps_first_kib", x->maps_first);
			json_ki64(&j, "bpf_maps_baseline_kib", x->maps_base);
			json_ki64(&j, "bpf_maps_last_kib", r->s[r->ns - 1].maps_kib);
			json_kdouble(&j, "cpu_pct", x->cpu_pct);
			json_kdouble(&j, "cpu_pct_max_window", x->cpu_pct_max);
		}
		json_ki64(&j, "peak_rss_kib", r->peak_rss_kib);
		json_kdouble(&j, "cpu_total_ms", r->cpu_total_ms);
		json_kstr(&j, "reports_counted", r->t->report == R_OOM_KILL ? "oom_kill" : "interval");
		json_ki64(&j, "reports", r->reports);
		json_kdouble(&j, "max_report_gap_s", r->max_gap);
		if (r->t->report == R_OOM_KILL) {
			json_ki64(&j, "memcg_oom_kills_before_sigint", r->kills_end - r->kills0);
			json_ki64(&j, "memcg_oom_kills_after_exit", r->kills_after - r->kills0);
		}
		json_kbool(&j, "exited_0", WIFEXITED(r->status) && !WEXITSTATUS(r->status));
		json_kdouble(&j, "sigint_to_exit_s", r->exit_s);
		json_ki64(&j, "bpf_programs_seen", r->nids);
		json_ki64(&j, "bpf_programs_left", r->left);
		json_key(&j, "samples");
		json_arr_begin(&j);
		for (int k = 0; k < r->ns; k++) {
			json_obj_begin(&j);
			json_kdouble(&j, "t", r->s[k].t);
			json_ki64(&j, "rss_kib", r->s[k].rss_kib);
			json_ki64(&j, "bpf_maps_kib", r->s[k].maps_kib);
			json_kdouble(&j, "cpu_ms", r->s[k].cpu_ms);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end_record(&j);
	return ferror(f) ? -EIO : 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: memscope-soak [-d SECONDS] [-o DIR] [-m MEMSCOPE] [TOOL ...]\n"
		   "  -d SECONDS  how long each tool runs (default 600, at least 10)\n"
		   "  -o DIR      DIR/soak.json, and each tool's stderr in DIR/TOOL.err\n"
		   "              (default build/soak)\n"
		   "  -m PATH     the memscope binary (default: ../memscope beside this program)\n"
		   "  tools (default: all, at the same time):");
	for (size_t i = 0; i < NTOOLS; i++)
		fprintf(f, " %s", tools[i].name);
	fprintf(f, "\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	static struct figures fig[NTOOLS];
	char dir[PATH_MAX], msbuf[PATH_MAX], json[PATH_MAX];
	unsigned long long busy0, total0, busy1, total1;
	double next;
	bool any = false, bad = false;
	int opt, err, nsel = 0;
	char *end;

	while ((opt = getopt_long(argc, argv, "d:o:m:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			errno = 0;
			seconds = (int)strtol(optarg, &end, 10);
			if (errno || *end || seconds < 10 || seconds > 7 * 86400) {
				fprintf(stderr, "memscope-soak: -d: 10 seconds to a week\n");
				return 2;
			}
			break;
		case 'o': outdir = optarg; break;
		case 'm': ms = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	for (size_t i = 0; i < NTOOLS; i++)
		runs[i].t = &tools[i];
	for (int i = optind; i < argc; i++) {
		bool hit = false;

		for (size_t k = 0; k < NTOOLS; k++)
			if (!strcmp(tools[k].name, argv[i]))
				runs[k].sel = hit = true;
		if (!hit) {
			fprintf(stderr, "memscope-soak: unknown tool '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
		any = true;
	}
	for (size_t k = 0; k < NTOOLS; k++) {
		runs[k].sel |= !any;
		nsel += runs[k].sel;
	}
	if (geteuid()) {
		fprintf(stderr, "memscope-soak: needs root (the tools load BPF programs)\n");
		return 1;
	}
	if (exe_dir(dir, sizeof(dir)))
		return 1;
	bench_dir = dir;
	if (!ms) {
		if (snprintf(msbuf, sizeof(msbuf), "%s/../memscope", dir) >= (int)sizeof(msbuf))
			return 1;
		ms = msbuf;
	}
	if (access(ms, X_OK)) {
		fprintf(stderr, "memscope-soak: %s: %s\n", ms, strerror(errno));
		return 1;
	}
	if (mkdir(outdir, 0755) && errno != EEXIST) {
		fprintf(stderr, "memscope-soak: %s: %s\n", outdir, strerror(errno));
		return 1;
	}
	snprintf(json, sizeof(json), "%s/soak.json", outdir);
	for (size_t i = 0; i < NTOOLS; i++) {
		runs[i].s = calloc((size_t)seconds / SAMPLE_S + 8, sizeof(struct sample));
		runs[i].out = runs[i].gate = -1;
		if (!runs[i].s)
			return 1;
	}

	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	/* Their files and memory cgroups. */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/memscope-soak.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		fprintf(stderr, "memscope-soak: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(file_cached, sizeof(file_cached), "%s/cached.dat", tmpdir);
	if (write_file(file_cached, 64, false)) {
		fprintf(stderr, "memscope-soak: cannot write %s\n", file_cached);
		return 1;
	}
	/* On a disk, not /tmp (tmpfs in many places). */
	snprintf(file_reclaim, sizeof(file_reclaim), "/var/tmp/memscope-soak-%d.dat", (int)getpid());
	if (write_file(file_reclaim, 128, true)) {
		fprintf(stderr, "memscope-soak: cannot write %s\n", file_reclaim);
		return 1;
	}
	if (make_memcg(cg_reclaim, sizeof(cg_reclaim), "soak-reclaim", 32))
		cg_reclaim[0] = 0;
	if (make_memcg(cg_oom, sizeof(cg_oom), "soak-oom", 16))
		cg_oom[0] = 0;
	else
		no_swap(cg_oom);

	fprintf(stderr, "soak: %d tools for %d s each, at the same time\n", nsel, seconds);
	for (size_t i = 0; i < NTOOLS && !stop; i++)
		if (runs[i].sel && start(&runs[i]) && runs[i].tool > 0 && !runs[i].exited) {
			kill_wait(runs[i].tool, SIGKILL, NULL, &runs[i].status);
			runs[i].exited = true;
		}

	/* The run: read every report, sample every 10 s. */
	cpu_times(&busy0, &total0);
	t0 = now_s();
	for (size_t i = 0; i < NTOOLS; i++)
		runs[i].last_report = t0;
	for (size_t i = 0; i < NTOOLS; i++)
		if (runs[i].sel)
			sample(&runs[i], 0);
	next = t0 + SAMPLE_S;
	while (!stop) {
		struct pollfd p[NTOOLS];
		double t = now_s(), until = fmin(next, t0 + seconds);
		nfds_t n = 0;

		for (size_t i = 0; i < NTOOLS; i++)
			if (runs[i].sel && runs[i].tool > 0 && !runs[i].exited && !runs[i].eof)
				p[n++] = (struct pollfd){ runs[i].out, POLLIN, 0 };
		poll(p, n, (int)fmax(0, fmin(1000, (until - t) * 1000)));
		for (size_t i = 0; i < NTOOLS; i++) {
			if (!runs[i].sel)
				continue;
			if (runs[i].tool > 0 && !runs[i].exited && !runs[i].eof)
				drain(&runs[i]);
			check_gone(&runs[i]);
		}
		t = now_s();
		if (t >= next || t >= t0 + seconds) {
			for (size_t i = 0; i < NTOOLS; i++)
				if (runs[i].sel)
					sample(&runs[i], fmin(t, t0 + seconds) - t0);
			next += SAMPLE_S;
			if (t >= t0 + seconds)
				break;
			fprintf(stderr, "soak: %.0f s\n", t - t0);
		}
	}
	cpu_times(&busy1, &total1);
	if (total1 > total0)
		busy_cpus = (double)(busy1 - busy0) / (double)(total1 - total0) *
			    (double)sysconf(_SC_NPROCESSORS_ONLN);
	if (stop) {
		fprintf(stderr, "memscope-soak: interrupted\n");
		stop_tools();
		return 1;
	}
	for (size_t i = 0; i < NTOOLS; i++) {
		struct run *r = &runs[i];
		double gap = t0 + seconds - r->last_report;

		if (r->sel && r->t->report == R_INTERVAL && gap > r->max_gap)
			r->max_gap = gap;
	}
	stop_tools();
	/* Their programs: gone once they exited (a grace period of 2 s: the
	 * kernel frees some through RCU after the last descriptor closes). */
	for (int k = 0; k < 40; k++) {
		bool left = false;

		for (size_t i = 0; i < NTOOLS; i++) {
			struct run *r = &runs[i];

			r->left = progs_loaded(r->ids, r->nids, r->left_names, sizeof(r->left_names));
			left |= r->left > 0;
		}
		if (!left)
			break;
		usleep(50000);
	}
	for (size_t i = 0; i < NTOOLS; i++) {
		if (!runs[i].sel)
			continue;
		judge(&runs[i], &fig[i]);
		bad |= runs[i].nfail > 0;
	}
	soak_table(fig);
	err = file_write_atomic(json, soak_json, fig);
	if (err) {
		fprintf(stderr, "memscope-soak: %s: %s\n", json, strerror(-err));
		return 1;
	}
	printf("\nJSON: %s\n%s\n", json, bad ? "soak: FAILED (a bound was broken)" : "soak: ok");
	return bad ? 1 : 0;
}
