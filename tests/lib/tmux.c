// SPDX-License-Identifier: GPL-2.0
/* tmux as the tests' terminal (see tmux.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "harness.h"
#include "progs.h"
#include "run.h"
#include "tmux.h"

#define SESSION "memscope"

const char *tmux_path(void)
{
	static char found[PATH_MAX];
	const char *path = getenv("PATH");
	char *dirs, *save = NULL;

	if (found[0])
		return found;
	dirs = strdup(path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(found, sizeof(found), "%s/tmux", d);
		if (!access(found, X_OK))
			break;
		found[0] = 0;
	}
	free(dirs);
	return found[0] ? found : NULL;
}

/* tmux -S SOCKET ARGS...; its stdout (malloc'd) in *out if out. 0 or -1. */
static int tmux_run(struct tmux *t, char **out, const char *const args[])
{
	char sock[96], *argv[32] = { t->tmux, "-f", "/dev/null", "-S", sock };
	struct run_opts o = { .timeout_ms = 10000 };
	struct run_result r;
	int n = 5;

	snprintf(sock, sizeof(sock), "%s/sock", t->dir);
	for (int i = 0; args[i]; i++) {
		if (n == 31) {
			test_log("tmux %s: too many arguments", args[0]);
			return -1;
		}
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	if (run_argv(argv, &o, &r))
		return -1;
	if (r.status)
		test_log("tmux %s: exit %d: %s", args[0], r.status, r.err);
	if (out) {
		*out = r.out;
		r.out = NULL;
	}
	n = r.status ? -1 : 0;
	run_result_free(&r);
	return n;
}

int tmux_start(struct tmux *t, int cols, int rows, const char *cmd)
{
	char x[16], y[16], *script, *pid = NULL;
	int err;

	memset(t, 0, sizeof(*t));
	snprintf(t->tmux, sizeof(t->tmux), "%s", tmux_path() ? tmux_path() : "tmux");
	snprintf(t->dir, sizeof(t->dir), "/tmp/memscope-tmux.XXXXXX");
	if (!mkdtemp(t->dir)) {
		test_log("mkdtemp: %m");
		t->dir[0] = 0;
		return -1;
	}
	snprintf(x, sizeof(x), "%d", cols);
	snprintf(y, sizeof(y), "%d", rows);
	/* As an interactive shell would, the shell survives Ctrl-C (a trap
	 * with a command is reset in what it runs): a non-interactive one
	 * dies of it, the pane closes and the program's end is never seen. */
	if (asprintf(&script, "D='%s'; trap : INT; %s", t->dir, cmd) < 0)
		return -1;
	{
		const char *args[] = { "new-session", "-d", "-s", SESSION, "-x", x, "-y", y,
				       "/bin/sh", "-c", script, NULL };

		err = tmux_run(t, NULL, args);
	}
	free(script);
	if (err)
		return -1;
	{
		const char *args[] = { "display-message", "-p", "-t", SESSION, "#{pane_pid}", NULL };

		if (tmux_run(t, &pid, args) || (t->pane_pid = atoi(pid)) <= 0) {
			free(pid);
			return -1;
		}
	}
	free(pid);
	return 0;
}

int tmux_keys(struct tmux *t, const char *key)
{
	const char *args[] = { "send-keys", "-t", SESSION, key, NULL };

	return tmux_run(t, NULL, args);
}

int tmux_resize(struct tmux *t, int cols, int rows)
{
	char x[16], y[16];
	const char *args[] = { "resize-window", "-t", SESSION, "-x", x, "-y", y, NULL };

	snprintf(x, sizeof(x), "%d", cols);
	snprintf(y, sizeof(y), "%d", rows);
	return tmux_run(t, NULL, args);
}

char *tmux_screen(struct tmux *t)
{
	const char *args[] = { "capture-pane", "-p", "-t", SESSION, NULL };
	char *out = NULL;

	/* The programs the pane's processes hold, for assert_no_progs_left. */
	if (t->pane_pid > 0)
		bpf_progs_sample(t->pane_pid);
	if (tmux_run(t, &out, args)) {
		free(out);
		return NULL;
	}
	return out;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

bool tmux_wait_screen(struct tmux *t, const char *needle, unsigned timeout_ms, char **screen)
{
	char *s = NULL;
	bool found = false;

	for (unsigned waited = 0;; waited += 50) {
		free(s);
		s = tmux_screen(t);
		found = s && strstr(s, needle);
		if (found || waited >= timeout_ms)
			break;
		nap_ms(50);
	}
	if (screen)
		*screen = s;
	else
		free(s);
	return found;
}

long tmux_var(struct tmux *t, const char *name)
{
	char fmt[64], *out = NULL;
	const char *args[] = { "display-message", "-p", "-t", SESSION, fmt, NULL };
	long v = -1;

	snprintf(fmt, sizeof(fmt), "#{%s}", name);
	if (!tmux_run(t, &out, args) && out && *out >= '0' && *out <= '9')
		v = strtol(out, NULL, 10);
	free(out);
	return v;
}

bool tmux_wait_file(struct tmux *t, const char *name, char *buf, size_t len, unsigned timeout_ms)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	for (unsigned waited = 0;; waited += 50) {
		char *text = read_text_file(path, NULL);
		bool done = text && strchr(text, '\n');

		if (done)
			snprintf(buf, len, "%s", text);
		free(text);
		if (done)
			return true;
		if (waited >= timeout_ms)
			return false;
		if (t->pane_pid > 0)
			bpf_progs_sample(t->pane_pid);
		nap_ms(50);
	}
}

void tmux_stop(struct tmux *t)
{
	const char *args[] = { "kill-server", NULL };

	if (!t->dir[0])
		return;
	tmux_run(t, NULL, args);
	rm_tree(t->dir);
	t->dir[0] = 0;
}
