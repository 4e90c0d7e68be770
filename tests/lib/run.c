// SPDX-License-Identifier: GPL-2.0
/* Command runner with capture and time limit. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/procfs.h"
#include "harness.h"
#include "jreq.h"
#include "memcg.h"
#include "run.h"

/* How long one pump waits for output, and how often memscope's BPF
 * programs are sampled: every pump for its first seconds (when it loads
 * them), every SAMPLE_LATER_MS after that (a sample costs ~0.6 ms with
 * 80 fds). A program memscope holds for less than that may be missed;
 * one it keeps until it exits is not. */
#define PUMP_MS 10
#define SAMPLE_EARLY_MS 3000
#define SAMPLE_LATER_MS 50

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static int bg_append(char **buf, size_t *len, size_t *cap, int fd)
{
	ssize_t n;

	if (*cap - *len < 4097) {
		size_t nc = *cap ? *cap * 2 : 65536;
		char *p = realloc(*buf, nc);

		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = nc;
	}
	n = read(fd, *buf + *len, *cap - *len - 1);
	if (n > 0) {
		*len += n;
		(*buf)[*len] = 0;
	}
	return n;
}

int run_become(uid_t uid, unsigned long long caps)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -1;
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	if (!caps)
		return 0;
	memset(data, 0, sizeof(data));
	for (int i = 0; i < 2; i++)
		data[i].effective = data[i].permitted = data[i].inheritable = caps >> (32 * i);
	if (syscall(SYS_capset, &hdr, data))
		return -1;
	for (int cap = 0; cap < 64; cap++)
		if ((caps >> cap) & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0))
			return -1;
	return 0;
}

int bg_start(struct bg *b, char *const argv[], const struct run_opts *o)
{
	int outp[2], errp[2], inp[2], execp[2], err;
	const char *slash;

	memset(b, 0, sizeof(*b));
	b->out_fd = b->err_fd = -1;
	if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(inp, O_CLOEXEC) ||
	    pipe2(execp, O_CLOEXEC))
		return -errno;
	b->pid = fork();
	if (b->pid < 0)
		return -errno;
	if (b->pid == 0) {
		dup2(inp[0], 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		if (o && o->memcg && (err = memcg_join(o->memcg))) {
			fprintf(stderr, "joining %s: %s\n", o->memcg, strerror(-err));
			_exit(125);
		}
		if (o && o->uid && run_become(o->uid, o->caps))
			_exit(126);
		for (const char *const *e = o ? o->env : NULL; e && *e; e++)
			putenv((char *)*e);
		execv(argv[0], argv);
		err = errno;
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(err));
		if (write(execp[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	close(inp[0]);
	close(execp[1]);
	/* Until the exec (EOF on the close-on-exec pipe): before it, the
	 * child still holds the test's own fds, BPF programs included, and
	 * sampling it would record them as memscope's. A failed exec shows
	 * as exit status 127 with the reason on stderr. */
	while (read(execp[0], &err, sizeof(err)) < 0 && errno == EINTR)
		;
	close(execp[0]);
	if (o && o->stdin_text && write(inp[1], o->stdin_text, strlen(o->stdin_text)) < 0)
		test_log("writing stdin: %s", strerror(errno));
	close(inp[1]);
	b->out_fd = outp[0];
	b->err_fd = errp[0];
	fcntl(b->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(b->err_fd, F_SETFL, O_NONBLOCK);
	b->out = calloc(1, 1);
	b->err = calloc(1, 1);
	/* Only memscope's programs are accounted; sampling every process
	 * would also disturb what kernel-mode tests count (a workload with a
	 * thousand open files has a thousand /proc fd inodes to make). */
	slash = strrchr(argv[0], '/');
	b->memscope = !strcmp(slash ? slash + 1 : argv[0], "memscope");
	b->started_ms = mono_ms();
	return 0;
}

/* Read what is there (waiting up to ms); false once both pipes are shut.
 * Each call also records the BPF programs memscope holds (progs.h). */
static bool bg_pump(struct bg *b, int ms)
{
	struct pollfd pfd[2] = { { b->out_fd, POLLIN, 0 }, { b->err_fd, POLLIN, 0 } };

	if (b->memscope && !b->ended) {
		long long now = mono_ms();

		if (now >= b->next_sample_ms) {
			bpf_progs_sample(b->pid);
			b->next_sample_ms = now - b->started_ms < SAMPLE_EARLY_MS ? 0 :
					    now + SAMPLE_LATER_MS;
		}
	}
	if (b->out_fd < 0 && b->err_fd < 0)
		return false;
	if (poll(pfd, 2, ms) <= 0)
		return true;
	if (b->out_fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP)) &&
	    bg_append(&b->out, &b->out_len, &b->out_cap, b->out_fd) == 0) {
		close(b->out_fd);
		b->out_fd = -1;
	}
	if (b->err_fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP)) &&
	    bg_append(&b->err, &b->err_len, &b->err_cap, b->err_fd) == 0) {
		close(b->err_fd);
		b->err_fd = -1;
	}
	return true;
}

bool bg_wait_out(struct bg *b, const char *needle, size_t *from, unsigned timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;
	size_t off = from ? *from : 0;

	for (;;) {
		char *hit = off <= b->out_len ? strstr(b->out + off, needle) : NULL;

		if (hit) {
			if (from)
				*from = hit - b->out + strlen(needle);
			return true;
		}
		if (mono_ms() >= deadline || !bg_pump(b, PUMP_MS)) {
			/* Say why in the test's log: ended or still waiting,
			 * and what it printed on stderr. */
			test_log("waited %lld ms for \"%s\": %s; stderr: %.2000s",
				 mono_ms() - deadline + timeout_ms, needle,
				 mono_ms() >= deadline ? "timed out" : "its output ended",
				 b->err ? b->err : "");
			return false;
		}
	}
}

void bg_read_for(struct bg *b, unsigned ms)
{
	long long deadline = mono_ms() + ms;

	while (mono_ms() < deadline && bg_pump(b, PUMP_MS))
		;
}

int bg_stop(struct bg *b, int sig, unsigned timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;
	int status = 0;

	if (b->ended)
		return b->status;
	if (sig)
		kill(b->pid, sig);
	for (;;) {
		pid_t w = waitpid(b->pid, &status, WNOHANG);

		/* Reaped: its pid may be anyone's now. */
		if (w == b->pid)
			b->memscope = false;
		bg_pump(b, PUMP_MS);
		if (w == b->pid)
			break;
		if (mono_ms() >= deadline) {
			kill(b->pid, SIGKILL);
			waitpid(b->pid, &status, 0);
			b->memscope = false;
			break;
		}
	}
	while (bg_pump(b, PUMP_MS))
		;
	b->ended = true;
	b->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return b->status;
}

void bg_free(struct bg *b)
{
	if (!b->ended && b->pid > 0)
		bg_stop(b, SIGKILL, 1000);
	if (b->out_fd >= 0)
		close(b->out_fd);
	if (b->err_fd >= 0)
		close(b->err_fd);
	free(b->out);
	free(b->err);
	memset(b, 0, sizeof(*b));
}

/* Run in the foreground: the background machinery, waited for. */
int run_argv(char *const argv[], const struct run_opts *o, struct run_result *r)
{
	static const struct run_opts defaults;
	long long start = mono_ms(), deadline, sig_at;
	bool sig_sent = false;
	struct bg b;
	int err;

	if (!o)
		o = &defaults;
	memset(r, 0, sizeof(*r));
	err = bg_start(&b, argv, o);
	if (err)
		return err;
	deadline = start + (o->timeout_ms ? o->timeout_ms : 60000);
	sig_at = o->signal_after_ms ? start + o->signal_after_ms : 0;
	/* Until it closes its output (exits) or runs out of time. */
	for (;;) {
		long long now = mono_ms();

		if (sig_at && !sig_sent && now >= sig_at) {
			kill(b.pid, o->signal_sig ? o->signal_sig : SIGINT);
			sig_sent = true;
		}
		if (now >= deadline) {
			r->timed_out = true;
			break;
		}
		if (!bg_pump(&b, PUMP_MS))
			break;
	}
	r->status = bg_stop(&b, r->timed_out ? SIGTERM : 0, 5000);
	r->elapsed_ms = mono_ms() - start;
	r->out = b.out;
	r->err = b.err;
	r->out_len = b.out_len;
	r->err_len = b.err_len;
	b.out = b.err = NULL;
	bg_free(&b);
	return 0;
}

const char *bin_path(const char *rel)
{
	static char paths[8][4096];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, 4096, "%s/%s", test_bin_dir(), rel);
	return p;
}

int run_memscope(const struct run_opts *o, struct run_result *r, ...)
{
	char *argv[64];
	va_list ap;
	int n = 0;

	argv[n++] = (char *)bin_path("memscope");
	va_start(ap, r);
	while (n < 63 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return run_argv(argv, o, r);
}

bool parse_jlines_at(const char *file, int line, const char *text, struct jlines *out)
{
	const char *err = NULL, *at;
	int bad = 0;

	if (!jlines_parse(text, out, &bad, &err)) {
		/* Every record says what it is (STYLE.md), so tests can select
		 * records by type without wondering about untyped ones. */
		for (int i = 0; i < out->n; i++) {
			if (jv_is(jv_get(out->recs[i], "type"), J_STR))
				continue;
			test_checked(false);
			test_fail_at(file, line, "record %d has no string \"type\"", i + 1);
			jlines_free(out);
			return false;
		}
		return test_checked(true);
	}
	at = text;
	for (int i = 1; i < bad && at; i++) {
		at = strchr(at, '\n');
		if (at)
			at++;
	}
	test_checked(false);
	test_fail_at(file, line, "line %d is not valid JSON (%s): %.300s", bad, err ? err : "?",
		     at ? at : "");
	return false;
}

bool parse_jlines_file_at(const char *file, int line, const char *path, struct jlines *out)
{
	char *text = read_text_file(path, NULL);
	bool ok;

	memset(out, 0, sizeof(*out));
	if (!text || !*text) {
		test_checked(false);
		test_fail_at(file, line, "%s: %s", path, text ? "empty" : strerror(errno));
		free(text);
		return false;
	}
	ok = parse_jlines_at(file, line, text, out);
	free(text);
	return ok;
}

char *read_text_file(const char *path, size_t *len)
{
	size_t n = 0, cap = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t got;

		if (cap - n < 4097) {
			char *p = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!p)
				goto fail;
			buf = p;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto fail;
		if (!got)
			break;
		n += got;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

char proc_state(pid_t pid)
{
	char path[64], buf[512], *paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file_str(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* "pid (comm) S ...": comm may hold anything, even ") ". */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

bool wait_proc_state(pid_t pid, const char *states, unsigned timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;

	for (;;) {
		char st = proc_state(pid);

		if (st && strchr(states, st))
			return true;
		if (mono_ms() >= deadline)
			return false;
		usleep(5 * 1000);
	}
}

const char *test_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[256];

	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events", dirs[i]);
		if (!access(p, F_OK))
			return dirs[i];
	}
	if (!mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return dirs[0];
	return NULL;
}

void bad_inputs_check(const struct bad_input *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *argv[12] = { (char *)bin_path("memscope") }, what[256];
		struct run_result r;
		size_t at = 0;
		int k = 1;

		for (int a = 0; a < 8 && cases[i].args[a]; a++) {
			const char *arg = cases[i].args[a];

			argv[k++] = (char *)(strncmp(arg, "tests/", 6) ? arg : bin_path(arg));
			at += snprintf(what + at, at < sizeof(what) ? sizeof(what) - at : 0, "%s%s",
				       a ? " " : "memscope ", arg);
		}
		if (!ASSERT_OK(run_argv(argv, NULL, &r), what))
			continue;
		ASSERT_EQ(r.status, cases[i].status, what);
		ASSERT_CONTAINS(r.err, cases[i].msg, what);
		run_result_free(&r);
	}
}

bool wait_file_has(const char *path, const char *needle, int timeout_ms)
{
	for (int waited = 0;; waited += 10) {
		char *text = read_text_file(path, NULL);
		bool has = text && strstr(text, needle);

		free(text);
		if (has)
			return true;
		if (waited >= timeout_ms)
			return false;
		usleep(10 * 1000);
	}
}

pid_t bg_wait_pid_file(struct bg *ms, const char *file)
{
	for (int i = 0; i < 3000; i++) {
		char *text = read_text_file(file, NULL);
		pid_t pid = text ? atoi(text) : 0;

		free(text);
		if (pid > 0)
			return pid;
		/* Keep reading memscope's output meanwhile. */
		bg_read_for(ms, 10);
	}
	return 0;
}

struct jv *read_machine_json_at(const char *file, int line, const char *path)
{
	const char *err = NULL;
	struct utsname u;
	struct jv *root;
	size_t len;
	char *text = read_text_file(path, &len);

	if (!text) {
		test_fail_at(file, line, "%s: not written (%s)", path, strerror(errno));
		return NULL;
	}
	root = jv_parse(text, len, &err);
	free(text);
	if (!root) {
		test_fail_at(file, line, "%s does not parse: %s", path, err ?: "?");
		return NULL;
	}
	uname(&u);
	ASSERT_STREQ(jv_req_s_at(file, line, jv_req_at(file, line, root, "kernel", J_OBJ), "release"),
		     u.release, "the kernel release is this machine's");
	ASSERT_EQ(jv_req_i_at(file, line, jv_req_at(file, line, root, "cpu", J_OBJ), "count"),
		  sysconf(_SC_NPROCESSORS_ONLN), "the CPU count is this machine's");
	return root;
}
