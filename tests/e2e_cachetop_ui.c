// SPDX-License-Identifier: GPL-2.0
/* cachetop's full-screen view, driven for real in a terminal (tmux): what
 * it shows, its keys, a resize, and the terminal given back on every way
 * out; and the plain reports it prints with -b, -j, or stdout not a
 * terminal. The traffic comes from the cachespin workload (a file read in a
 * loop, a quarter of the passes evicted first), shown alone with -p. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "harness.h"
#include "run.h"
#include "tmux.h"

struct fixture {
	char dir[64];		/* the workload's file */
	struct bg wl;
	bool wl_up;
	struct tmux t;
	char before[256];	/* stty -g in the pane before memscope */
};

static bool start_workload(struct fixture *f)
{
	char file[96], *argv[] = { (char *)bin_path("tests/workloads/cachespin"), file, "1024", "4",
				   NULL };

	snprintf(f->dir, sizeof(f->dir), "/tmp/memscope-test.XXXXXX");
	if (!ASSERT_TRUE(mkdtemp(f->dir), "temp dir")) {
		f->dir[0] = 0;
		return false;
	}
	snprintf(file, sizeof(file), "%s/data", f->dir);
	f->wl_up = ASSERT_OK(bg_start(&f->wl, argv, NULL), "start cachespin");
	return f->wl_up;
}

/* memscope cachetop FLAGS -p WORKLOAD ARGS in a 120x40 terminal; the pane's
 * shell then keeps the exit code and the terminal modes in files. */
static bool start_view(struct fixture *f, const char *flags, const char *args)
{
	char cmd[1024];

	if (!f->dir[0] && !start_workload(f))
		return false;
	snprintf(cmd, sizeof(cmd), "stty -g >$D/before; %s cachetop %s -p %d %s; echo $? >$D/rc; "
		 "stty -g >$D/after; exec sleep 600", bin_path("memscope"), flags, f->wl.pid, args);
	if (!ASSERT_OK(tmux_start(&f->t, 120, 40, cmd), "tmux session"))
		return false;
	return ASSERT_TRUE(tmux_wait_file(&f->t, "before", f->before, sizeof(f->before), 5000),
			   "the terminal's modes before");
}

/* After memscope ended: its exit code; the terminal as it was before, out
 * of the alternate screen, the cursor shown. The last screen in *screen. */
static int ended(struct fixture *f, char **screen)
{
	char rc[32] = "", after[256] = "";

	*screen = NULL;
	if (!ASSERT_TRUE(tmux_wait_file(&f->t, "rc", rc, sizeof(rc), 20000), "memscope ended"))
		return -1;
	if (ASSERT_TRUE(tmux_wait_file(&f->t, "after", after, sizeof(after), 5000), "stty after"))
		ASSERT_STREQ(after, f->before, "the terminal's modes restored");
	ASSERT_EQ(tmux_var(&f->t, "alternate_on"), 0, "out of the alternate screen");
	ASSERT_EQ(tmux_var(&f->t, "cursor_flag"), 1, "the cursor shown");
	*screen = tmux_screen(&f->t);
	return atoi(rc);
}

static void finish(struct fixture *f)
{
	tmux_stop(&f->t);
	if (f->wl_up)
		bg_stop(&f->wl, SIGTERM, 5000);
	bg_free(&f->wl);
	if (f->dir[0])
		rm_tree(f->dir);
	memset(f, 0, sizeof(*f));
}

/* Line n (0 first) of a screen, into buf. */
static const char *line_of(const char *screen, int n, char *buf, size_t len)
{
	const char *p = screen, *end;

	for (; p && n > 0; n--)
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	if (!p)
		p = "";
	end = strchrnul(p, '\n');
	snprintf(buf, len, "%.*s", (int)(end - p), p);
	return buf;
}

/* A row that starts with the workload's pid and names it. */
static bool has_row(const char *screen, pid_t pid, const char *comm)
{
	char start[24];

	snprintf(start, sizeof(start), "%d ", pid);
	for (const char *p = screen; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *end = strchrnul(p, '\n'), *c = strstr(p, comm);

		if (!strncmp(p, start, strlen(start)) && c && c < end)
			return true;
	}
	return false;
}

/* Poll until the screen contains want (NULL: anything) and not gone. */
static bool wait_redrawn(struct tmux *t, const char *want, const char *gone, unsigned timeout_ms,
			 char **screen)
{
	for (unsigned waited = 0;; waited += 100) {
		char *s = tmux_screen(t);
		bool ok = s && (!want || strstr(s, want)) && !strstr(s, gone);

		if (ok || waited >= timeout_ms) {
			*screen = s;
			return ok;
		}
		free(s);
		usleep(100 * 1000);
	}
}

static bool wait_gone(struct tmux *t, const char *gone, unsigned timeout_ms, char **screen)
{
	return wait_redrawn(t, NULL, gone, timeout_ms, screen);
}

/* What these tests look at is the view, not the accounting: where probe
 * says the page cache cannot be traced, e2e_probe_tools_are_what_runs is
 * the test that fails. */
static void skip_unless_cache_runs(void)
{
	struct run_result r;
	struct jlines l;
	const struct jv *t;
	bool can = true;

	if (!ASSERT_OK(run_memscope(NULL, &r, "probe", "-j", NULL), "memscope probe -j"))
		return;
	if (ASSERT_EQ(r.status, 0, "probe exit code") && parse_jlines(&r, &l)) {
		t = jlines_find(&l, NULL, "tool", "job", "cache");
		can = ASSERT_TRUE(t, "probe shows the cache job") && jv_req_b(t, "can_run");
		jlines_free(&l);
	}
	run_result_free(&r);
	if (!can)
		test_skip("probe: the page cache cannot be traced on this kernel");
}

static void skip_without_tmux(void)
{
	if (!tmux_path())
		test_skip("no tmux here (the busybox guests): the view is tested on the host");
	skip_unless_cache_runs();
}

TEST_FULL(e2e_cachetop_ui_screen_and_keys, T_ROOT | T_E2E, 120)
{
	unsigned before = bpf_prog_max_id();
	struct fixture f = {};
	char *s = NULL, l[256], t0[16];

	skip_without_tmux();
	if (!start_view(&f, "", "1"))
		goto out;
	if (!ASSERT_TRUE(tmux_wait_screen(&f.t, "last ", 20000, &s), "a report shown")) {
		test_log("screen:\n%s", s ? s : "(none)");
		goto out;
	}
	ASSERT_EQ(tmux_var(&f.t, "alternate_on"), 1, "full screen (the alternate screen)");
	line_of(s, 0, l, sizeof(l));
	ASSERT_CONTAINS(l, "memscope cachetop", "title");
	ASSERT_CONTAINS(l, "attach ", "the attach mode");
	line_of(s, 1, l, sizeof(l));
	for (const char *w = "requested\0hits\0misses\0hit ratio\0"; *w; w += strlen(w) + 1)
		ASSERT_CONTAINS(l, w, "the interval's totals");
	line_of(s, 4, l, sizeof(l));
	for (const char *w = "PID\0UID\0COMM\0REQUESTED\0HITS\0*MISSES\0RA_WASTE\0DIRTIED\0HITRATIO\0";
	     *w; w += strlen(w) + 1)
		ASSERT_CONTAINS(l, w, "column titles, misses marked as the sort column");
	ASSERT_TRUE(has_row(s, f.wl.pid, "cachespin"), "the workload's row (pid, comm)");
	free(s);

	tmux_keys(&f.t, ">");
	ASSERT_TRUE(tmux_wait_screen(&f.t, "*RA_WASTE", 3000, &s), "> marks the next column");
	ASSERT_FALSE(strstr(s, "*MISSES"), "and unmarks misses");
	ASSERT_CONTAINS(s, "sort: waste, largest first", "the sort line");
	free(s);
	tmux_keys(&f.t, "<");
	tmux_keys(&f.t, "<");
	ASSERT_TRUE(tmux_wait_screen(&f.t, "*HITS", 3000, NULL), "< < two columns back");
	tmux_keys(&f.t, "r");
	ASSERT_TRUE(tmux_wait_screen(&f.t, "sort: hits, smallest first", 3000, NULL), "r reverses");

	/* Paused, the view holds (its time stays) until a refresh is asked. */
	tmux_keys(&f.t, "p");
	if (ASSERT_TRUE(tmux_wait_screen(&f.t, "[PAUSED]", 3000, &s), "p pauses")) {
		snprintf(t0, sizeof(t0), "%.8s", line_of(s, 0, l, sizeof(l)) + strlen("memscope cachetop  "));
		free(s);
		usleep(2500 * 1000);
		s = tmux_screen(&f.t);
		ASSERT_CONTAINS(s, t0, "no update for 2.5 s while paused");
		ASSERT_CONTAINS(s, "[PAUSED]", "still paused");
		free(s);
		tmux_keys(&f.t, "Space");
		ASSERT_TRUE(wait_gone(&f.t, t0, 3000, &s), "space refreshes a paused view");
		ASSERT_CONTAINS(s, "[PAUSED]", "and it stays paused");
		free(s);
		tmux_keys(&f.t, "p");
		ASSERT_TRUE(wait_gone(&f.t, "[PAUSED]", 3000, &s), "p resumes");
		free(s);
	}

	/* A smaller window: drawn again, everything cut to it. (tmux alone
	 * keeps the bottom lines, blank here: the title is memscope's.) */
	tmux_resize(&f.t, 70, 12);
	if (ASSERT_TRUE(wait_redrawn(&f.t, "memscope cachetop", "HITRATIO", 3000, &s),
			"resize: drawn again, titles cut at 70 columns")) {
		int lines = 0;

		for (const char *p = s; *p; p = strchrnul(p, '\n'), p += !!*p) {
			ASSERT_LE(strchrnul(p, '\n') - p, 70, "a line within the width");
			lines++;
		}
		ASSERT_LE(lines, 12, "lines within the height");
		if (!ASSERT_TRUE(has_row(s, f.wl.pid, "cachespin"), "the row after the resize"))
			test_log("screen:\n%s", s);
	}
	free(s);

	tmux_keys(&f.t, "q");
	ASSERT_EQ(ended(&f, &s), 0, "q: memscope exits 0");
	ASSERT_CONTAINS(s, "final (whole run)", "the final report after the view");
	ASSERT_CONTAINS(s, "summary:", "the summary as a plain line");
	ASSERT_TRUE(has_row(s, f.wl.pid, "cachespin"), "the workload in the final report");
	free(s);
	ASSERT_GT(bpf_progs_recorded(before), 0, "its programs were seen");
	assert_no_progs_left(before, "after q");
out:
	finish(&f);
}

/* The pane shell's child: memscope. */
static pid_t memscope_pid(struct tmux *t)
{
	char path[96], *text;
	pid_t pid;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", t->pane_pid, t->pane_pid);
	text = read_text_file(path, NULL);
	pid = text ? atoi(text) : 0;
	free(text);
	return pid;
}

enum way_out { BY_CTRL_C, BY_SIGTERM, BY_SECOND_SIGNAL };

/* Leave the view one way; the terminal must come back every time. */
static void leave_by(enum way_out how)
{
	static const char *const names[] = { "Ctrl-C", "SIGTERM", "a second signal" };
	unsigned before = bpf_prog_max_id();
	struct fixture f = {};
	char *s = NULL, what[96];
	pid_t ms;
	int rc;

	skip_without_tmux();
	/* -v: a line to stderr while the view is up, to be shown after it. */
	if (!start_view(&f, "-v", "1"))
		goto out;
	if (!ASSERT_TRUE(tmux_wait_screen(&f.t, "last ", 20000, NULL), "a report shown"))
		goto out;
	ms = memscope_pid(&f.t);
	if (!ASSERT_GT(ms, 0, "memscope's pid"))
		goto out;
	if (how == BY_CTRL_C) {
		tmux_keys(&f.t, "C-c");
	} else if (how == BY_SIGTERM) {
		kill(ms, SIGTERM);
	} else {
		/* Both pending when it runs again: the second one finds the
		 * first's stop request and exits from the handler. */
		kill(ms, SIGSTOP);
		kill(ms, SIGINT);
		kill(ms, SIGTERM);
		kill(ms, SIGCONT);
	}
	rc = ended(&f, &s);
	snprintf(what, sizeof(what), "%s: exit code", names[how]);
	if (how == BY_SECOND_SIGNAL)
		ASSERT_GE(rc, 128, what);
	else
		ASSERT_EQ(rc, 0, what);
	ASSERT_CONTAINS(s, "memscope: attached in", "stderr written under the view, shown after it");
	if (how != BY_SECOND_SIGNAL)
		ASSERT_CONTAINS(s, "summary:", "the summary after the view");
	free(s);
	assert_no_progs_left(before, names[how]);
out:
	finish(&f);
}

TEST_FULL(e2e_cachetop_ui_ctrl_c, T_ROOT | T_E2E, 60)
{
	leave_by(BY_CTRL_C);
}

TEST_FULL(e2e_cachetop_ui_sigterm, T_ROOT | T_E2E, 60)
{
	leave_by(BY_SIGTERM);
}

TEST_FULL(e2e_cachetop_ui_second_signal, T_ROOT | T_E2E, 60)
{
	leave_by(BY_SECOND_SIGNAL);
}

/* On a terminal, -b and -j still print plain reports / JSON Lines. */
TEST_FULL(e2e_cachetop_ui_batch_on_terminal, T_ROOT | T_E2E, 60)
{
	struct fixture f = {};
	char *s = NULL;

	skip_without_tmux();
	if (start_view(&f, "-b", "1 2")) {
		ASSERT_EQ(ended(&f, &s), 0, "-b exits 0");
		ASSERT_CONTAINS(s, "process with page-cache activity this interval", "-b: plain");
		ASSERT_TRUE(has_row(s, f.wl.pid, "cachespin"), "-b: the workload's row");
		free(s);
	}
	tmux_stop(&f.t);
	if (start_view(&f, "-j", "1 1")) {
		ASSERT_EQ(ended(&f, &s), 0, "-j exits 0");
		ASSERT_CONTAINS(s, "{\"type\":\"attached\"", "-j: JSON Lines");
		free(s);
	}
	finish(&f);
}

/* stdout a pipe (this harness): the plain reports, no terminal codes. */
TEST_FULL(e2e_cachetop_plain_when_not_a_terminal, T_ROOT | T_E2E, 60)
{
	unsigned before = bpf_prog_max_id();
	struct fixture f = {};
	struct run_result r;
	char pid[16];

	skip_unless_cache_runs();
	if (!start_workload(&f))
		goto out;
	snprintf(pid, sizeof(pid), "%d", f.wl.pid);
	if (!ASSERT_OK(run_memscope(NULL, &r, "cachetop", "-p", pid, "1", "2", NULL), "run"))
		goto out;
	ASSERT_EQ(r.status, 0, "exit code");
	ASSERT_CONTAINS(r.out, "with page-cache activity this interval, by misses:", "report line");
	ASSERT_CONTAINS(r.out, "PID      UID    COMM", "column titles");
	ASSERT_CONTAINS(r.out, "summary:", "summary");
	ASSERT_FALSE(memchr(r.out, '\033', r.out_len), "no terminal escape sequences");
	ASSERT_CONTAINS(r.err, "Ctrl-C to stop", "the plain start line on stderr");
	run_result_free(&r);
	assert_no_progs_left(before, "after the plain run");
out:
	finish(&f);
}
