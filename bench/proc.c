// SPDX-License-Identifier: GPL-2.0
/* memscope-bench: the processes and /proc files a run starts and reads
 * (see bench.h). */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "core/json.h"
#include "core/procfs.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	if (n <= 0)
		return NAN;
	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double vmin(const double *v, int n)
{
	double m = INFINITY;

	for (int i = 0; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

double vmax(const double *v, int n)
{
	double m = -INFINITY;

	for (int i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* Split a command line at spaces (no quoting needed for ours). */
int split(char *s, char **argv, int max)
{
	int n = 0;

	for (char *p = strtok(s, " "); p && n < max - 1; p = strtok(NULL, " "))
		argv[n++] = p;
	argv[n] = NULL;
	return n;
}

bool file_has(const char *path, const char *needle, char *last, size_t lastlen)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	if (last) {
		/* The last non-empty line: why a tracer gave up. */
		char *e = buf + n;

		while (e > buf && (e[-1] == '\n' || e[-1] == ' '))
			*--e = 0;
		char *s = strrchr(buf, '\n');
		if (snprintf(last, lastlen, "%s", s ? s + 1 : buf) < 0)
			last[0] = 0;
	}
	return strstr(buf, needle) != NULL;
}

/* Busy and total jiffies of all CPUs. */
void cpu_times(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "re");

	*busy = *total = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++)
			*total += v[i];
		*busy = *total - v[3] - v[4];
	}
	fclose(f);
}

/* A process's user+system time in ms (0 if gone). */
double proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* Call fn for each BPF map, program or link descriptor of a process
 * with its fdinfo open; -1 if there is no such process. */
static int each_bpf_fd(pid_t pid, void (*fn)(enum bpf_fd kind, FILE *info, void *arg), void *arg)
{
	char dir[64], path[PATH_MAX], link[64];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		enum bpf_fd kind;
		ssize_t n;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strcmp(link, "anon_inode:bpf-map"))
			kind = BPF_FD_MAP;
		else if (!strcmp(link, "anon_inode:bpf-prog"))
			kind = BPF_FD_PROG;
		else if (!strcmp(link, "anon_inode:bpf_link"))
			kind = BPF_FD_LINK;
		else
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		fn(kind, f, arg);
		fclose(f);
	}
	closedir(d);
	return 0;
}

struct bpf_sum {
	long kib;
	struct prog_stat *progs;
	int *nprog;
};

static void add_fd(enum bpf_fd kind, FILE *f, void *arg)
{
	struct bpf_sum *s = arg;
	char line[256];

	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (kind == BPF_FD_MAP && sscanf(line, "memlock: %llu", &v) == 1)
			s->kib += (long)(v / 1024);
		if (kind == BPF_FD_PROG && s->progs && sscanf(line, "prog_id: %llu", &v) == 1 &&
		    *s->nprog < MAX_PROGS) {
			struct bpf_prog_info info = { 0 };
			__u32 len = sizeof(info);
			int fd = bpf_prog_get_fd_by_id((__u32)v);

			if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.run_cnt) {
				struct prog_stat *p = &s->progs[(*s->nprog)++];

				snprintf(p->name, sizeof(p->name), "%s", info.name);
				p->cnt = info.run_cnt;
				p->ns = info.run_time_ns;
			}
			if (fd >= 0)
				close(fd);
		}
	}
}

/* The kernel memory the BPF maps of a process pin, and (stats) its
 * programs' run counts and times. */
long proc_bpf(pid_t pid, struct prog_stat *progs, int *nprog)
{
	struct bpf_sum s = { 0, progs, nprog };

	if (nprog)
		*nprog = 0;
	return each_bpf_fd(pid, add_fd, &s) ? -1 : s.kib;
}

struct id_set {
	unsigned *ids;
	int n, max;
};

static void add_id(enum bpf_fd kind, FILE *f, void *arg)
{
	struct id_set *s = arg;
	char line[256];
	unsigned id;

	while (kind != BPF_FD_MAP && fgets(line, sizeof(line), f)) {
		bool seen = false;

		if (sscanf(line, "prog_id: %u", &id) != 1)
			continue;
		for (int i = 0; i < s->n; i++)
			seen |= s->ids[i] == id;
		if (!seen && s->n < s->max)
			s->ids[s->n++] = id;
	}
}

int proc_prog_ids(pid_t pid, unsigned *ids, int n, int max)
{
	struct id_set s = { ids, n, max };

	each_bpf_fd(pid, add_id, &s);
	return s.n;
}

int progs_loaded(const unsigned *ids, int n, char *names, size_t len)
{
	size_t pos = 0;
	int left = 0;

	if (len)
		names[0] = 0;
	for (int i = 0; i < n; i++) {
		struct bpf_prog_info info = { 0 };
		__u32 ilen = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd >= 0) {
			bpf_obj_get_info_by_fd(fd, &info, &ilen);
			close(fd);
		} else {
			snprintf(info.name, sizeof(info.name), "?(%s)", strerror(errno));
		}
		left++;
		if (pos < len)
			pos += (size_t)snprintf(names + pos, len - pos, "%s%s(id %u)", pos ? ", " : "",
						info.name, ids[i]);
	}
	return left;
}

long proc_rss_kib(pid_t pid)
{
	char path[64];
	uint64_t kib;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return file_keyed_u64(path, "VmRSS", &kib) ? -1 : (long)kib;
}

void expand(const char *t, const struct var *vars, size_t nvars, char *out, size_t len)
{
	size_t k = 0;

	while (*t && k + 1 < len) {
		if (*t == '{') {
			const char *e = strchr(t, '}');
			const char *val = NULL;

			for (size_t i = 0; e && !val && i < nvars; i++)
				if (strlen(vars[i].name) == (size_t)(e - t - 1) &&
				    !strncmp(t + 1, vars[i].name, (size_t)(e - t - 1)))
					val = vars[i].val;
			if (val) {
				int n = snprintf(out + k, len - k, "%s", val);

				k = n < 0 ? k : k + (size_t)n < len ? k + (size_t)n : len - 1;
				t = e + 1;
				continue;
			}
		}
		out[k++] = *t++;
	}
	out[k < len ? k : len - 1] = 0;
}

double field(const char *s, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(s, pat);
	return p ? strtod(p + strlen(pat), NULL) : NAN;
}

pid_t spawn(char *const argv[], const char *env, const char *out, int out_fd, int gate_fd,
	    const char *cgroup)
{
	pid_t p = fork();

	if (p)
		return p;
	setpgid(0, 0);
	/* Never outlive the driver, however it ends. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cgroup && *cgroup) {
		char path[PATH_MAX];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
		f = fopen(path, "we");
		if (!f || fprintf(f, "0\n") < 0 || fclose(f)) {
			fprintf(stderr, "bench: cannot join %s: %s\n", cgroup, strerror(errno));
			_exit(126);
		}
	}
	if (env && *env)
		putenv((char *)env);
	if (out) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0 || (out_fd < 0 && dup2(fd, 1) < 0) || dup2(fd, 2) < 0)
			_exit(126);
	}
	if (out_fd >= 0 && dup2(out_fd, 1) < 0)
		_exit(126);
	if (gate_fd >= 0) {
		/* benchwl -g 3; dup2 onto itself would keep O_CLOEXEC. */
		if (gate_fd == 3 ? fcntl(3, F_SETFD, 0) : dup2(gate_fd, 3) < 0)
			_exit(126);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "bench: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

void kill_wait(pid_t p, int sig, struct rusage *ru, int *status)
{
	int st;

	if (p <= 0)
		return;
	kill(p, sig);
	while (wait4(p, &st, 0, ru) < 0 && errno == EINTR)
		;
	if (status)
		*status = st;
}

int write_file(const char *path, size_t mib, bool random)
{
	static char buf[1 << 20];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	/* New, never an existing file: /var/tmp is everyone's. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < mib; i++) {
		for (size_t k = 0; random && k < sizeof(buf); k += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(buf + k, &x, 8);
		}
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			close(fd);
			return -1;
		}
	}
	fsync(fd);
	return close(fd);
}

/* A memory cgroup of our own under our own (v1 or v2), limited to mib MiB. */
int make_memcg(char *memcg, size_t memcg_len, const char *tag, int mib)
{
	char line[512], *rel = NULL, base[PATH_MAX], path[PATH_MAX];
	bool v1 = access("/sys/fs/cgroup/memory", F_OK) == 0;
	FILE *f = fopen("/proc/self/cgroup", "re");

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (v1 && strstr(line, ":memory:"))
			rel = strdup(strstr(line, ":memory:") + 8);
		else if (!v1 && !strncmp(line, "0::", 3))
			rel = strdup(line + 3);
	}
	if (f)
		fclose(f);
	if (!rel)
		return -1;
	snprintf(base, sizeof(base), "/sys/fs/cgroup%s%s", v1 ? "/memory" : "",
		 strcmp(rel, "/") ? rel : "");
	free(rel);
	if (snprintf(memcg, memcg_len, "%s/memscope-%s-%d", base, tag, (int)getpid()) >=
	    (int)memcg_len)
		return -1;
	if (mkdir(memcg, 0755))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", memcg, v1 ? "memory.limit_in_bytes" : "memory.max");
	f = fopen(path, "we");
	if (!f || fprintf(f, "%d\n", mib << 20) < 0 || fclose(f)) {
		rmdir(memcg);
		memcg[0] = 0;
		return -1;
	}
	return 0;
}

int find_lib(const char *name, char *out, size_t len)
{
	static const char *const dirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
					    "/lib64", "/usr/lib64", "/lib", "/usr/lib" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(out, len, "%s/%s", dirs[i], name);
		if (!access(out, R_OK))
			return 0;
	}
	out[0] = 0;
	return -1;
}

bool on_path(const char *prog)
{
	char buf[PATH_MAX];
	const char *path = getenv("PATH");

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (!access(buf, X_OK))
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

void cpu_model(char *out, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(out, len, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			char *s = strchr(line, ':') + 2;

			s[strcspn(s, "\n")] = 0;
			snprintf(out, len, "%s", s);
			break;
		}
	}
	if (f)
		fclose(f);
}

int exe_dir(char *dir, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", dir, len - 1);
	char *slash;

	if (n <= 0)
		return -1;
	dir[n] = 0;
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = 0;
	return 0;
}

void json_machine(struct json *j, const char *ms)
{
	char model[128], commit[128], date[32];
	time_t t = time(NULL);
	struct utsname u;

	uname(&u);
	cpu_model(model, sizeof(model));
	commit_of(ms, commit, sizeof(commit));
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_kstr(j, "memscope", commit);
	json_kstr(j, "date", date);
	json_key(j, "kernel");
	json_obj_begin(j);
	json_kstr(j, "release", u.release);
	json_kstr(j, "version", u.version);
	json_obj_end(j);
	json_key(j, "cpu");
	json_obj_begin(j);
	json_kstr(j, "model", model);
	json_ki64(j, "count", sysconf(_SC_NPROCESSORS_ONLN));
	json_obj_end(j);
}

void commit_of(const char *ms, char *out, size_t len)
{
	char cmd[PATH_MAX + 32];
	FILE *p;

	snprintf(out, len, "unknown");
	snprintf(cmd, sizeof(cmd), "%s --version 2>/dev/null", ms);
	p = popen(cmd, "r");
	if (p) {
		if (fgets(out, (int)len, p))
			out[strcspn(out, "\n")] = 0;
		pclose(p);
	}
}
