// SPDX-License-Identifier: GPL-2.0
/* Uprobe placement against running programs: which object serves malloc
 * for a process (dynamic, static, with a preloaded allocator, deleted from
 * disk, in its own mount namespace) and for a command; and, with real
 * uprobes attached through perf_event_open() at the planned sites, that
 * the kernel accepts every site and each fires exactly once per call,
 * entry and return, counted against a workload that makes known calls. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syms/elfsym.h"
#include "harness.h"
#include "run.h"
#include "leak/uprobe_place.h"
#include "workloads/alloc_calls.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define MALLOC_DEBUG "/lib/x86_64-linux-gnu/libc_malloc_debug.so.0"

extern char **environ;

/* ---- a workload on pipes ---------------------------------------------------- */

struct child {
	pid_t pid;
	int in, out;		/* its stdin (we write), its stdout (we read) */
};

/* Runs in the child before exec; returns the program to exec. */
typedef const char *(*pre_exec_fn)(void *arg);

/* Read from the child until its output ends with want (10 s at most). */
static bool wait_for(struct child *c, const char *want)
{
	char buf[256];
	size_t len = 0;
	int spent = 0;

	while (spent < 10000) {
		struct pollfd p = { .fd = c->out, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0) {
			spent += 100;
			continue;
		}
		n = read(c->out, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += n;
		buf[len] = 0;
		if (strstr(buf, want))
			return true;
		if (len == sizeof(buf) - 1)
			len = 0;
	}
	return false;
}

/* Start a workload with extra environment entries and wait for "ready". */
static bool start(const char *prog, const char *env1, pre_exec_fn pre, void *arg, struct child *c)
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return false;
	c->pid = fork();
	if (c->pid < 0)
		return false;
	if (c->pid == 0) {
		char *envp[512];
		int n = 0;

		dup2(in[0], 0);
		dup2(out[1], 1);
		while (environ[n] && n < 510) {
			envp[n] = environ[n];
			n++;
		}
		if (env1)
			envp[n++] = (char *)env1;
		envp[n] = NULL;
		if (pre)
			prog = pre(arg);
		if (prog)
			execve(prog, (char *[]){ (char *)prog, NULL }, envp);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in = in[1];
	c->out = out[0];
	if (wait_for(c, "ready\n"))
		return true;
	test_log("%s did not get ready", prog);
	return false;
}

/* Close its stdin (it exits) and return its exit status. */
static int stop(struct child *c)
{
	int status = -1;

	close(c->in);
	close(c->out);
	if (waitpid(c->pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool same_file(const char *a, const char *b)
{
	struct stat x, y;

	return !stat(a, &x) && !stat(b, &y) && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static bool is_dynamic(const char *path)
{
	struct elf_file *ef = elf_file_open(path);
	bool dyn = ef && elf_file_interp(ef);

	elf_file_close(ef);
	return dyn;
}

static void skip_unless_dynamic_libc(const char *prog)
{
	if (access(LIBC, R_OK))
		test_skip("no %s (static guest?)", LIBC);
	if (!is_dynamic(prog))
		test_skip("%s is not dynamically linked (static build)", prog);
}

static bool copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out;
	ssize_t n;
	bool ok = true;

	in = open(from, O_RDONLY | O_CLOEXEC);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0)
		ok = false;
	while (ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, n) == n;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ok;
}

/* ---- counting uprobes with perf_event_open() -------------------------------- */

static int uprobe_pmu(void)
{
	char buf[32];
	int fd, n;

	fd = open("/sys/bus/event_source/devices/uprobe/type", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoi(buf);
}

/* A counting uprobe (ret: uretprobe) on path+off in pid; the kernel checks
 * the instruction there when it is created. fd or -errno. */
static int perf_uprobe(int pmu, const char *path, uint64_t off, pid_t pid, bool ret)
{
	struct perf_event_attr a = {
		.size = sizeof(a),
		.type = pmu,
		/* format/retprobe: config:0 */
		.config = ret ? 1 : 0,
		.config1 = (uint64_t)(uintptr_t)path,	/* uprobe_path */
		.config2 = off,				/* probe_offset */
	};
	int fd = syscall(__NR_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static long long count(int fd)
{
	uint64_t v = 0;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? (long long)v : -1;
}

/* What the workload's calls should hit, per planned site. */
static void expected_hits(long long want[AF_NR])
{
	want[AF_MALLOC] = AC_MALLOC;
	want[AF_CALLOC] = AC_CALLOC;
	/* reallocarray ends in a tail call of realloc. */
	want[AF_REALLOC] = AC_REALLOC + AC_REALLOCARRAY;
	want[AF_REALLOCARRAY] = AC_REALLOCARRAY;
	want[AF_POSIX_MEMALIGN] = AC_POSIX_MEMALIGN;
	want[AF_MEMALIGN] = AC_MEMALIGN;
	want[AF_ALIGNED_ALLOC] = AC_ALIGNED_ALLOC;
	want[AF_VALLOC] = AC_VALLOC;
	want[AF_PVALLOC] = AC_PVALLOC;
	want[AF_FREE] = AC_FREE;
	want[AF_MMAP] = AC_MMAP;
	want[AF_MUNMAP] = AC_MUNMAP;
	want[AF_MREMAP] = AC_MREMAP;
}

/* Attach an entry and (where ret_ok) a return probe at every planned site
 * of path in the running workload c, let it make its calls, and compare
 * the hits. The workload exits cleanly only if no probe broke it: a
 * uretprobe placed after rsp moved would return it to garbage. */
static void check_hits(const char *path, struct child *c)
{
	int entry_fd[AF_NR], ret_fd[AF_NR], pmu, i;
	struct probe_site s[AF_NR];
	long long want[AF_NR];
	char what[96];

	pmu = uprobe_pmu();
	if (pmu < 0)
		test_skip("no uprobe PMU (kernel without CONFIG_UPROBE_EVENTS?)");
	if (!ASSERT_EQ(uprobe_plan(path, NULL, s), AF_NR, "all 13 planned"))
		return;
	expected_hits(want);
	for (i = 0; i < AF_NR; i++) {
		entry_fd[i] = ret_fd[i] = -1;
		if (s[i].alias_of >= 0) {
			want[s[i].alias_of] += want[i];
			continue;
		}
		if (!ASSERT_GE(s[i].offset, 0, alloc_fn_name(i)))
			continue;
		entry_fd[i] = perf_uprobe(pmu, path, s[i].entry + s[i].offset, c->pid, false);
		snprintf(what, sizeof(what), "%s+%d (%s): uprobe accepted", alloc_fn_name(i),
			 s[i].offset, s[i].insn);
		ASSERT_GE(entry_fd[i], 0, what);
		if (!s[i].ret_ok)
			continue;
		ret_fd[i] = perf_uprobe(pmu, path, s[i].entry + s[i].offset, c->pid, true);
		snprintf(what, sizeof(what), "%s+%d: uretprobe accepted", alloc_fn_name(i),
			 s[i].offset);
		ASSERT_GE(ret_fd[i], 0, what);
	}
	if (ASSERT_EQ(write(c->in, "g", 1), 1, "tell it to go"))
		ASSERT_TRUE(wait_for(c, "done\n"), "the workload made its calls");
	for (i = 0; i < AF_NR; i++) {
		if (entry_fd[i] >= 0) {
			snprintf(what, sizeof(what), "%s+%d entry hits", alloc_fn_name(i), s[i].offset);
			ASSERT_EQ(count(entry_fd[i]), want[i], what);
			close(entry_fd[i]);
		}
		if (ret_fd[i] >= 0) {
			snprintf(what, sizeof(what), "%s+%d return hits", alloc_fn_name(i), s[i].offset);
			ASSERT_EQ(count(ret_fd[i]), want[i], what);
			close(ret_fd[i]);
		}
	}
	ASSERT_EQ(stop(c), 0, "the workload exits cleanly under the probes");
}

/* ---- a running process ------------------------------------------------------ */

TEST(e2e_uprobe_place_pid_dynamic, T_E2E)
{
	const char *prog = bin_path("tests/workloads/alloc_calls");
	char path[PATH_MAX], target[PATH_MAX];
	struct probe_site s[AF_NR], ref[AF_NR];
	struct child c;

	skip_unless_dynamic_libc(prog);
	if (!ASSERT_TRUE(start(prog, NULL, NULL, NULL, &c), "start the workload"))
		return;
	if (ASSERT_OK(alloc_object_for_pid(c.pid, NULL, path, sizeof(path), target, sizeof(target)),
		      "alloc_object_for_pid")) {
		test_log("malloc of pid %d: %s (%s)", c.pid, path, target);
		ASSERT_TRUE(same_file(path, LIBC), "it is libc");
		ASSERT_STREQ(strrchr(target, '/'), "/libc.so.6", "target path names libc");
		ASSERT_STREQ(path, target, "same mount namespace: the plain path");
		ASSERT_EQ(uprobe_plan(path, NULL, s), AF_NR, "plan it");
		ASSERT_EQ(uprobe_plan(LIBC, NULL, ref), AF_NR, "plan libc");
		ASSERT_EQ(s[AF_FREE].entry + s[AF_FREE].offset, ref[AF_FREE].entry + ref[AF_FREE].offset,
			  "same free site");
	}
	setenv("MEMSCOPE_ALLOC_ORDER", "maps", 1);
	if (ASSERT_OK(alloc_object_for_pid(c.pid, NULL, path, sizeof(path), NULL, 0),
		      "in maps order"))
		ASSERT_TRUE(same_file(path, LIBC), "maps order: libc");
	unsetenv("MEMSCOPE_ALLOC_ORDER");
	ASSERT_EQ(stop(&c), 0, "workload exit");
}

TEST(e2e_uprobe_place_pid_static, T_E2E)
{
	const char *prog = bin_path("tests/workloads/alloc_calls_static");
	char path[PATH_MAX], target[PATH_MAX];
	struct child c;

	if (!ASSERT_TRUE(start(prog, NULL, NULL, NULL, &c), "start the workload"))
		return;
	if (ASSERT_OK(alloc_object_for_pid(c.pid, NULL, path, sizeof(path), target, sizeof(target)),
		      "alloc_object_for_pid")) {
		ASSERT_TRUE(same_file(path, prog), "the executable itself");
		ASSERT_TRUE(same_file(target, prog), "target path is the executable");
	}
	ASSERT_EQ(alloc_object_for_pid(c.pid, "je_", path, sizeof(path), NULL, 0), -ENOENT,
		  "no je_malloc anywhere");
	ASSERT_EQ(stop(&c), 0, "workload exit");
}

/* glibc's malloc debugging library defines malloc & co.: preloaded, it
 * serves them, as jemalloc or tcmalloc would. */
TEST(e2e_uprobe_place_pid_preload, T_E2E)
{
	const char *prog = bin_path("tests/workloads/alloc_calls");
	char path[PATH_MAX], target[PATH_MAX];
	struct child c;

	skip_unless_dynamic_libc(prog);
	if (access(MALLOC_DEBUG, R_OK))
		test_skip("no %s", MALLOC_DEBUG);
	if (!ASSERT_TRUE(start(prog, "LD_PRELOAD=" MALLOC_DEBUG, NULL, NULL, &c), "start"))
		return;
	if (ASSERT_OK(alloc_object_for_pid(c.pid, NULL, path, sizeof(path), target, sizeof(target)),
		      "alloc_object_for_pid")) {
		test_log("malloc of pid %d: %s", c.pid, path);
		ASSERT_TRUE(same_file(path, MALLOC_DEBUG), "the preloaded allocator");
	}
	/* Without the link map: the allocator library still beats libc,
	 * which comes first in /proc/PID/maps. */
	setenv("MEMSCOPE_ALLOC_ORDER", "maps", 1);
	if (ASSERT_OK(alloc_object_for_pid(c.pid, NULL, path, sizeof(path), NULL, 0),
		      "in maps order"))
		ASSERT_TRUE(same_file(path, MALLOC_DEBUG), "maps order: the preloaded allocator");
	unsetenv("MEMSCOPE_ALLOC_ORDER");
	ASSERT_EQ(stop(&c), 0, "workload exit");
}

TEST(e2e_uprobe_place_pid_gone, T_E2E)
{
	char path[PATH_MAX];
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	ASSERT_EQ(alloc_object_for_pid(pid, NULL, path, sizeof(path), NULL, 0), -ESRCH,
		  "reaped child");
}

/* Deleted since it started (an upgrade replaced the file): the name is
 * gone, the mapping is still the way to the file. */
TEST(e2e_uprobe_place_pid_deleted, T_E2E | T_ROOT)
{
	const char *prog = bin_path("tests/workloads/alloc_calls_static");
	char copy[] = "/tmp/memscope-deleted-XXXXXX", path[PATH_MAX], target[PATH_MAX];
	char want[64];
	struct child c;
	int fd;

	fd = mkstemp(copy);
	if (!ASSERT_GE(fd, 0, "temp file"))
		return;
	close(fd);
	if (!ASSERT_TRUE(copy_file(prog, copy) && !chmod(copy, 0755), "copy the workload"))
		goto out;
	if (!ASSERT_TRUE(start(copy, NULL, NULL, NULL, &c), "start the copy"))
		goto out;
	unlink(copy);
	if (ASSERT_OK(alloc_object_for_pid(c.pid, NULL, path, sizeof(path), target, sizeof(target)),
		      "alloc_object_for_pid")) {
		test_log("deleted executable: %s (%s)", path, target);
		snprintf(want, sizeof(want), "/proc/%d/map_files/", c.pid);
		ASSERT_TRUE(!strncmp(path, want, strlen(want)), "through map_files");
		ASSERT_STREQ(target, copy, "target path without \" (deleted)\"");
		/* Attachable through that path, and right. */
		check_hits(path, &c);
	} else {
		stop(&c);
	}
out:
	unlink(copy);
}

struct ns_arg {
	const char *prog;
	const char *dir;
	char path[PATH_MAX];
};

/* In the child: a private mount namespace with a tmpfs over dir, the
 * workload copied there: a file only that process can see. */
static const char *into_own_mount_ns(void *p)
{
	struct ns_arg *a = p;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("memscope-test", a->dir, "tmpfs", 0, "mode=0755"))
		return NULL;
	return copy_file(a->prog, a->path) ? a->path : NULL;
}

TEST(e2e_uprobe_place_pid_mount_ns, T_E2E | T_ROOT)
{
	char dir[] = "/tmp/memscope-ns-XXXXXX", path[PATH_MAX], target[PATH_MAX], want[PATH_MAX + 32];
	struct ns_arg a = { .prog = bin_path("tests/workloads/alloc_calls_static") };
	struct child c;

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	a.dir = dir;
	snprintf(a.path, sizeof(a.path), "%s/alloc_calls_static", dir);
	if (!ASSERT_TRUE(start(a.path, NULL, into_own_mount_ns, &a, &c),
			 "start the workload in its own mount namespace"))
		goto out;
	ASSERT_TRUE(access(a.path, F_OK), "the file is not visible here");
	if (ASSERT_OK(alloc_object_for_pid(c.pid, NULL, path, sizeof(path), target, sizeof(target)),
		      "alloc_object_for_pid")) {
		test_log("other mount namespace: %s (%s)", path, target);
		snprintf(want, sizeof(want), "/proc/%d/root%s", c.pid, a.path);
		ASSERT_STREQ(path, want, "through /proc/PID/root");
		ASSERT_STREQ(target, a.path, "target path as the process sees it");
		check_hits(path, &c);
	} else {
		stop(&c);
	}
out:
	rmdir(dir);
}

/* ---- real probes at the planned sites ------------------------------------- */

TEST(e2e_uprobe_place_hits_static, T_E2E | T_ROOT)
{
	const char *prog = bin_path("tests/workloads/alloc_calls_static");
	struct child c;

	if (!ASSERT_TRUE(start(prog, NULL, NULL, NULL, &c), "start the workload"))
		return;
	check_hits(prog, &c);
}

TEST(e2e_uprobe_place_hits_libc, T_E2E | T_ROOT)
{
	const char *prog = bin_path("tests/workloads/alloc_calls");
	char path[PATH_MAX];
	struct child c;

	skip_unless_dynamic_libc(prog);
	if (!ASSERT_TRUE(start(prog, NULL, NULL, NULL, &c), "start the workload"))
		return;
	if (ASSERT_OK(alloc_object_for_pid(c.pid, NULL, path, sizeof(path), NULL, 0),
		      "alloc_object_for_pid"))
		check_hits(path, &c);
	else
		stop(&c);
}

/* ---- a command about to start --------------------------------------------- */

TEST(e2e_uprobe_place_command, T_E2E)
{
	const char *stat_prog = bin_path("tests/workloads/alloc_calls_static");
	char path[PATH_MAX], script[] = "/tmp/memscope-script-XXXXXX";
	int fd;

	ASSERT_OK(alloc_object_for_command(stat_prog, NULL, path, sizeof(path)), "static workload");
	ASSERT_STREQ(path, stat_prog, "a static executable serves itself");
	ASSERT_EQ(alloc_object_for_command(stat_prog, "je_", path, sizeof(path)), -ENOENT,
		  "no je_malloc");
	ASSERT_EQ(alloc_object_for_command("/nonexistent/prog", NULL, path, sizeof(path)), -ENOENT,
		  "missing");
	fd = mkstemp(script);
	if (ASSERT_GE(fd, 0, "temp file")) {
		ASSERT_EQ(write(fd, "#!/bin/sh\n", 10), 10, "write script");
		close(fd);
		ASSERT_EQ(alloc_object_for_command(script, NULL, path, sizeof(path)), -ENOEXEC,
			  "a script is not ELF");
		unlink(script);
	}
	ASSERT_EQ(alloc_object_for_command(stat_prog, NULL, path, 4), -ENAMETOOLONG,
		  "buffer too small");
}

/* Dynamic programs: our workload (not in a static build) and /bin/sleep
 * (not in the busybox guest). */
TEST(e2e_uprobe_place_command_dynamic, T_E2E)
{
	const char *progs[2];
	char path[PATH_MAX];
	int n = 0, i;

	if (access(LIBC, R_OK))
		test_skip("no %s (static guest?)", LIBC);
	if (is_dynamic(bin_path("tests/workloads/alloc_calls")))
		progs[n++] = bin_path("tests/workloads/alloc_calls");
	if (is_dynamic("/bin/sleep"))
		progs[n++] = "/bin/sleep";
	if (!n)
		test_skip("no dynamically linked program here");
	for (i = 0; i < n; i++) {
		if (ASSERT_OK(alloc_object_for_command(progs[i], NULL, path, sizeof(path)), progs[i]))
			ASSERT_TRUE(same_file(path, LIBC), "libc serves it");
	}
	if (access(MALLOC_DEBUG, R_OK))
		return;
	/* The command inherits our environment: so does the listing. */
	setenv("LD_PRELOAD", MALLOC_DEBUG, 1);
	for (i = 0; i < n; i++) {
		if (ASSERT_OK(alloc_object_for_command(progs[i], NULL, path, sizeof(path)), progs[i]))
			ASSERT_TRUE(same_file(path, MALLOC_DEBUG), "the preloaded allocator first");
	}
	unsetenv("LD_PRELOAD");
}
