// SPDX-License-Identifier: GPL-2.0
/* Test runner: registration, per-test fork with a time limit, summary. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/procfs.h"
#include "harness.h"
#include "memcg.h"
#include "scratch.h"

#define SKIP_STATUS 77
/* A test that returned without failing and without checking anything. */
#define NO_ASSERT_STATUS 78
#define DEFAULT_TIMEOUT_S 120

static struct test *tests;
static int failures;
static unsigned long assertions;
static char bin_dir[PATH_MAX];
static char src_dir[PATH_MAX];
static pid_t runner;

void test_register(struct test *t)
{
	struct test **p = &tests;

	/* Keep them sorted by name: stable numbering across builds. */
	while (*p && strcmp((*p)->name, t->name) < 0)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stdout, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

bool test_checked(bool ok)
{
	assertions++;
	return ok;
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "  skip: ");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	exit(SKIP_STATUS);
}

void test_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "  ");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

int test_failures(void)
{
	return failures;
}

unsigned long test_assertions(void)
{
	return assertions;
}

const char *test_bin_dir(void)
{
	return bin_dir;
}

const char *test_src_dir(void)
{
	return src_dir[0] ? src_dir : NULL;
}

pid_t test_runner_pid(void)
{
	return runner;
}

bool test_runner_alive(pid_t pid)
{
	char path[64], comm[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	return read_file_str(path, comm, sizeof(comm)) > 0 && !strcmp(comm, "memscope-test");
}

/* After a test: memory cgroups it left (it failed, timed out or forgot)
 * are removed, and a failure of that test; its scratch directories are
 * removed too, as the runner's job (scratch.h). */
static bool swept_clean(void)
{
	char removed[1024];
	bool clean = !memcg_sweep(runner, removed, sizeof(removed));

	if (!clean)
		printf("  left memory cgroup(s), removed: %s\n", removed);
	/* Now that no process of the test's memcgs can write there. */
	scratch_sweep(runner, NULL, 0);
	return clean;
}

/* The sanitized suite (scripts/sanitize.sh) has every ASan/UBSan/LSan
 * report written to a file in $MEMSCOPE_SANITIZER_LOGS, whichever process
 * made it (a memscope a shell or tmux started, whose stderr no test
 * reads). A report that appears during a test fails that test, and is
 * shown. Files already seen are remembered by name. */
static char **san_seen;
static size_t san_nseen;

static bool san_known(const char *name)
{
	for (size_t i = 0; i < san_nseen; i++)
		if (!strcmp(san_seen[i], name))
			return true;
	return false;
}

/* Number of new report files (each shown). */
static int sanitizer_reports(void)
{
	const char *dir = getenv("MEMSCOPE_SANITIZER_LOGS");
	struct dirent *de;
	char path[PATH_MAX], line[1024];
	int n = 0;
	DIR *d;

	if (!dir || !*dir || !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		char **grown, *name;
		int lines = 0;
		FILE *f;

		if (de->d_name[0] == '.' || san_known(de->d_name))
			continue;
		grown = realloc(san_seen, (san_nseen + 1) * sizeof(*san_seen));
		name = strdup(de->d_name);
		if (!grown || !name) {
			free(name);
			san_seen = grown ?: san_seen;
			continue;
		}
		san_seen = grown;
		san_seen[san_nseen++] = name;
		n++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		printf("  sanitizer report %s:\n", path);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f) && lines++ < 60)
			printf("    %s%s", line, strchr(line, '\n') ? "" : "\n");
		if (f)
			fclose(f);
	}
	closedir(d);
	return n;
}

static bool selected(const char *name, char **filters, int nfilters)
{
	if (!nfilters)
		return true;
	for (int i = 0; i < nfilters; i++)
		if (strstr(name, filters[i]))
			return true;
	return false;
}

/* Run one test in a child; returns 0 ok, 1 fail, 2 skip, 3 no assertion
 * ran (a failure). */
static int run_one(const struct test *t)
{
	unsigned timeout = t->timeout_s ? t->timeout_s : DEFAULT_TIMEOUT_S;
	struct timespec slice = { 0, 20 * 1000 * 1000 };
	time_t deadline;
	int status;
	pid_t pid, w;
	bool clean;

	if ((t->flags & T_ROOT) && geteuid() != 0) {
		printf("  skip: needs root\n");
		return 2;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("  fork failed: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		/* Own process group so a timeout kills what the test started. */
		setpgid(0, 0);
		t->fn();
		fflush(stdout);
		/* A test whose checks were all skipped by accident (a missing
		 * file, an empty list) would otherwise pass. */
		_exit(failures ? 1 : !assertions ? NO_ASSERT_STATUS : 0);
	}
	setpgid(pid, pid);
	deadline = time(NULL) + timeout;
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (time(NULL) >= deadline) {
			printf("  timed out after %us\n", timeout);
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			swept_clean();
			sanitizer_reports();
			return 1;
		}
		nanosleep(&slice, NULL);
	}
	/* Reap anything the test left in its process group. */
	kill(-pid, SIGKILL);
	clean = swept_clean();
	if (sanitizer_reports() || !clean)
		return 1;
	if (WIFSIGNALED(status)) {
		printf("  killed by signal %d\n", WTERMSIG(status));
		return 1;
	}
	if (WEXITSTATUS(status) == SKIP_STATUS)
		return 2;
	if (WEXITSTATUS(status) == NO_ASSERT_STATUS)
		return 3;
	return WEXITSTATUS(status) ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memscope-test [-t FILTER]... [-l] [--unit|--e2e] [--bin DIR] [--top DIR]\n"
		"  -t FILTER  run tests whose name contains FILTER (repeatable)\n"
		"  -l         list tests\n"
		"  --unit     only tests that need no kernel features\n"
		"  --e2e      only end-to-end tests\n"
		"  --bin DIR  where memscope and tests/ were built (default: next to this binary)\n"
		"  --top DIR  the source tree (for static checks; default: none)\n"
		"  --guest    running inside the QEMU test guest: also run guest-only tests\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bin", required_argument, NULL, 'b' },
		{ "top", required_argument, NULL, 'T' },
		{ "unit", no_argument, NULL, 'u' },
		{ "e2e", no_argument, NULL, 'e' },
		{ "guest", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char *filters[64], exe[PATH_MAX];
	int nfilters = 0, n = 0, passed = 0, failed = 0, skipped = 0, c;
	bool list = false, only_unit = false, only_e2e = false, guest = false;
	struct test *t;
	ssize_t len;

	/* A line at a time even into a pipe or a serial console (the QEMU
	 * guests): a test that hangs shows where. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "t:lh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (nfilters < 64)
				filters[nfilters++] = optarg;
			break;
		case 'l':
			list = true;
			break;
		case 'b':
			snprintf(bin_dir, sizeof(bin_dir), "%s", optarg);
			break;
		case 'T':
			snprintf(src_dir, sizeof(src_dir), "%s", optarg);
			break;
		case 'u':
			only_unit = true;
			break;
		case 'e':
			only_e2e = true;
			break;
		case 'g':
			guest = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!bin_dir[0]) {
		/* <bin>/tests/memscope-test -> <bin> */
		len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len > 0) {
			exe[len] = 0;
			snprintf(bin_dir, sizeof(bin_dir), "%s", dirname(dirname(exe)));
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Tests that stop a child with a signal must not stop us. */
	signal(SIGPIPE, SIG_IGN);
	runner = getpid();
	if (!list) {
		char removed[1024];

		/* Of runs that were killed before they could clean up. */
		if (memcg_sweep(0, removed, sizeof(removed)))
			printf("removed memory cgroups of earlier runs: %s\n", removed);
		if (scratch_sweep(0, removed, sizeof(removed)))
			printf("removed scratch directories of earlier runs: %s\n", removed);
		/* Reports from before this run are not its tests'. */
		if (sanitizer_reports())
			printf("(sanitizer reports from before the first test)\n");
	}

	for (t = tests; t; t = t->next) {
		int r;

		if (!selected(t->name, filters, nfilters))
			continue;
		if ((only_unit && (t->flags & T_E2E)) || (only_e2e && !(t->flags & T_E2E)))
			continue;
		if ((t->flags & T_GUEST) && !guest)
			continue;
		n++;
		if (list) {
			printf("%s\n", t->name);
			continue;
		}
		r = run_one(t);
		printf("#%d %s:%s\n", n, t->name, r == 0 ? "OK" : r == 1 ? "FAIL" :
		       r == 2 ? "SKIP" : "FAIL (no assertion ran)");
		passed += r == 0;
		failed += r == 1 || r == 3;
		skipped += r == 2;
	}
	if (list)
		return 0;
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
