// SPDX-License-Identifier: GPL-2.0
/* cachetop's full-screen view: a table redrawn every interval, keys read
 * between intervals (the run's input fd), and the terminal given back on
 * every way out: q, Ctrl-C, SIGTERM and errors end the run normally, and
 * top_ui_end runs from the final report, the summary or the cleanup,
 * whichever comes first; a second Ctrl-C, which exits from the signal
 * handler, restores the terminal there (loop_set_exit_hook). */
#include <curses.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cache/common.h"
#include "cache/top_ui.h"
#include "core/fmt.h"
#include "core/log.h"
#include "run/loop.h"

/* Where the rows begin: title, totals, sort and keys, a blank line, the
 * column titles. */
#define HEAD_LINES 5

struct top_ui {
	SCREEN *scr;
	bool paused;
	bool refresh;			/* a refresh asked for: report even if paused */
	bool shown;			/* a report was shown (else: waiting) */
	struct cache_counts d;		/* the last report's interval totals */
	double secs;			/* its length */
	struct timespec last;		/* when it was read */
	char time[16];
	/* stderr while the screen is ours: written to the alternate screen,
	 * messages would vanish with it; kept in a memfd, shown at the end. */
	int err_fd, saved_err;
};

/* What the exit hook needs, ready before a signal can come: the terminal
 * modes as they were, and the bytes that leave the alternate screen and
 * show the cursor again. */
static struct termios term_before;
static bool term_saved;
static char term_bye[128];
static size_t term_bye_len;
static int hook_err_fd = -1, hook_saved_err = -1;

/* Async-signal-safe: the second Ctrl-C ends the process from its handler. */
static void restore_terminal_now(void)
{
	char buf[512];
	ssize_t n;
	off_t at = 0;

	if (term_saved)
		tcsetattr(STDOUT_FILENO, TCSANOW, &term_before);
	if (term_bye_len)
		(void)!write(STDOUT_FILENO, term_bye, term_bye_len);
	if (hook_err_fd < 0 || hook_saved_err < 0)
		return;
	while ((n = pread(hook_err_fd, buf, sizeof(buf), at)) > 0) {
		(void)!write(hook_saved_err, buf, n);
		at += n;
	}
}

/* The terminal's string for capability cap, NULL when it has none. */
static const char *term_str(const char *cap)
{
	const char *s = tigetstr((char *)cap);

	return s == (char *)-1 ? NULL : s;
}

static bool term_can(const char *cap)
{
	return term_str(cap) != NULL;
}

static void bye_add(const char *cap)
{
	const char *s = term_str(cap);
	size_t len;

	if (!s)
		return;
	len = strlen(s);
	if (term_bye_len + len < sizeof(term_bye)) {
		memcpy(term_bye + term_bye_len, s, len);
		term_bye_len += len;
	}
}

/* stderr into a memfd while the screen is ours (only when it is the
 * terminal: a redirected stderr is no trouble). */
static void capture_stderr(struct top_ui *ui)
{
	ui->err_fd = ui->saved_err = -1;
	if (!isatty(STDERR_FILENO))
		return;
	fflush(stderr);
	ui->err_fd = memfd_create("memscope-stderr", MFD_CLOEXEC);
	ui->saved_err = ui->err_fd >= 0 ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3) : -1;
	if (ui->saved_err < 0 || dup2(ui->err_fd, STDERR_FILENO) < 0) {
		if (ui->saved_err >= 0)
			close(ui->saved_err);
		if (ui->err_fd >= 0)
			close(ui->err_fd);
		ui->err_fd = ui->saved_err = -1;
		return;
	}
	hook_err_fd = ui->err_fd;
	hook_saved_err = ui->saved_err;
}

static void release_stderr(struct top_ui *ui)
{
	char buf[4096];
	ssize_t n;
	off_t at = 0;

	if (ui->saved_err < 0)
		return;
	hook_err_fd = hook_saved_err = -1;
	fflush(stderr);
	dup2(ui->saved_err, STDERR_FILENO);
	close(ui->saved_err);
	while ((n = pread(ui->err_fd, buf, sizeof(buf), at)) > 0 &&
	       write(STDERR_FILENO, buf, n) == n)
		at += n;
	close(ui->err_fd);
}

static void draw(struct cache_state *s);

void top_ui_start(struct cache_state *s)
{
	const char *term = getenv("TERM");
	struct top_ui *ui;

	if (s->o->batch || s->o->common.json || !isatty(STDOUT_FILENO))
		return;
	ui = calloc(1, sizeof(*ui));
	if (!ui) {
		log_warn("no memory for the full-screen view: plain reports");
		return;
	}
	/* Names are shown as UTF-8 where they are valid (text_safe); only
	 * LC_CTYPE: numbers keep their '.' everywhere else. */
	setlocale(LC_CTYPE, "");
	term_saved = !tcgetattr(STDOUT_FILENO, &term_before);
	fflush(stdout);
	fflush(stderr);
	/* newterm, not initscr: initscr exits the process when the terminal
	 * is unknown; this falls back to plain reports. */
	ui->scr = newterm(NULL, stdout, stdin);
	/* A terminal that cannot place the cursor (TERM=dumb) would get a
	 * stream of lines, not a view. */
	if (ui->scr && !term_can("cup")) {
		endwin();
		delscreen(ui->scr);
		ui->scr = NULL;
	}
	if (!ui->scr) {
		log_warn("no full-screen view on terminal type '%s': plain reports (-b)",
			 term && *term ? term : "(TERM unset)");
		free(ui);
		return;
	}
	cbreak();		/* keys at once; Ctrl-C still raises SIGINT */
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	set_escdelay(25);	/* a lone ESC must not hold the loop for 1 s */
	curs_set(0);
	term_bye_len = 0;
	bye_add("rmcup");
	bye_add("cnorm");
	capture_stderr(ui);
	loop_set_exit_hook(restore_terminal_now);
	clock_gettime(CLOCK_MONOTONIC, &ui->last);
	s->ui = ui;
	/* Keys only from a terminal: a file or /dev/null is always "ready"
	 * and would wake the loop for nothing. */
	if (isatty(STDIN_FILENO))
		s->run.input_fd = STDIN_FILENO;
	draw(s);
}

void top_ui_end(struct cache_state *s)
{
	struct top_ui *ui = s->ui;

	if (!ui)
		return;
	/* A paused view stopped reading: the run's totals (the summary)
	 * still want what happened since. */
	if (ui->paused) {
		struct cache_counts d;

		cache_read_totals(s, &d);
	}
	loop_set_exit_hook(NULL);
	endwin();
	delscreen(ui->scr);
	fflush(stdout);
	release_stderr(ui);
	s->run.input_fd = -1;
	s->ui = NULL;
	free(ui);
}

/* ---- drawing ------------------------------------------------------------------ */

/* The columns, in enum cache_col order. WRITE_ADD and MMAP_ADD are shown
 * only while they are the sort column (--sort, or < > reached them). */
static const char *const titles[COL_NR] = {
	[COL_REQUESTED] = "REQUESTED", [COL_HITS] = "HITS", [COL_MISSES] = "MISSES",
	[COL_WASTE] = "RA_WASTE", [COL_DIRTIED] = "DIRTIED", [COL_RATIO] = "HITRATIO",
	[COL_WRITE_ADD] = "WRITE_ADD", [COL_MMAP_ADD] = "MMAP_ADD",
};
#define COL_WIDTH 10

static bool col_shown(const struct cache_state *s, enum cache_col c)
{
	return c <= COL_RATIO || c == s->o->sort;
}

/* One screen line, cut at the window's edge (on a character boundary:
 * names may be UTF-8). */
static void put_line(int y, const char *text, attr_t attr)
{
	size_t len = strlen(text);

	if (y >= LINES)
		return;
	if (len > (size_t)COLS) {
		len = COLS;
		while (len && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	if (attr)
		attron(attr);
	mvaddnstr(y, 0, text, (int)len);
	if (attr) {
		/* A highlighted line runs to the edge. */
		for (int x = (int)len; x < COLS; x++)
			addch(' ');
		attroff(attr);
	}
}

/* Appends with snprintf, never past the end of buf. */
struct linebuf {
	char b[1024];
	size_t len;
};

static void lb_add(struct linebuf *lb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void lb_add(struct linebuf *lb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (lb->len >= sizeof(lb->b) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(lb->b + lb->len, sizeof(lb->b) - lb->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		lb->len += (size_t)n < sizeof(lb->b) - lb->len ? (size_t)n : sizeof(lb->b) - 1 - lb->len;
}

static const char *const by_names[] = {
	[BY_PROCESS] = "process", [BY_CGROUP] = "cgroup", [BY_FILE] = "file",
};

static void draw_head(struct cache_state *s, size_t n)
{
	struct top_ui *ui = s->ui;
	struct linebuf lb = {};
	char ratio[16];

	lb_add(&lb, "memscope cachetop  %s  attach %s  by %s, every %u s%s",
	       ui->shown ? ui->time : "--:--:--", s->run.mode ? s->run.mode : "?",
	       by_names[s->o->by], s->o->interval_s, ui->paused ? "  [PAUSED]" : "");
	put_line(0, lb.b, A_BOLD);
	lb.len = 0;
	if (ui->shown)
		lb_add(&lb, "last %.1f s: requested %llu pages, hits %llu, misses %llu, hit "
		       "ratio %s; %zu %s%s", ui->secs, ui->d.requested, cache_hits(&ui->d),
		       ui->d.misses, cache_ratio_text(&ui->d, ratio, sizeof(ratio)), n,
		       by_names[s->o->by], n == 1 ? "" : (s->o->by == BY_PROCESS ? "es" : "s"));
	else
		lb_add(&lb, "waiting for the first interval (%u s)", s->o->interval_s);
	put_line(1, lb.b, 0);
	lb.len = 0;
	lb_add(&lb, "sort: %s, %s first    keys: < > sort  r reverse  p %s  space refresh  "
	       "q quit", cache_col_names[s->o->sort], s->o->reverse ? "smallest" : "largest",
	       ui->paused ? "resume" : "pause");
	put_line(2, lb.b, 0);
}

/* The column titles; the sort column's is marked with '*'. */
static void draw_titles(struct cache_state *s)
{
	struct linebuf lb = {};
	char t[COL_WIDTH + 2];

	if (s->o->by == BY_PROCESS)
		lb_add(&lb, "%-8s %-6s %-16s", "PID", "UID", "COMM");
	for (int c = 0; c < COL_NR; c++) {
		if (!col_shown(s, c))
			continue;
		snprintf(t, sizeof(t), "%s%s", c == (int)s->o->sort ? "*" : "", titles[c]);
		lb_add(&lb, " %*s", COL_WIDTH, t);
	}
	if (s->o->by != BY_PROCESS)
		lb_add(&lb, "  %s", s->o->by == BY_CGROUP ? "CGROUP" : "FILE");
	put_line(HEAD_LINES - 1, lb.b, A_REVERSE);
}

static void draw_row(struct cache_state *s, int y, const struct cache_row *r)
{
	struct linebuf lb = {};
	char safe[600], v[24];

	text_safe(r->name, safe, sizeof(safe));
	if (s->o->by == BY_PROCESS) {
		if (r->other)
			lb_add(&lb, "%-8s %-6s ", "-", "-");
		else
			lb_add(&lb, "%-8llu %-6u ", (unsigned long long)r->key.a, r->uid);
		lb_add(&lb, "%-16s", safe);
	}
	for (int c = 0; c < COL_NR; c++) {
		if (!col_shown(s, c))
			continue;
		if (c == COL_RATIO)
			cache_ratio_text(&r->now, v, sizeof(v));
		else
			snprintf(v, sizeof(v), "%llu",
				 (unsigned long long)cache_col_value(&r->now, c));
		lb_add(&lb, " %*s", COL_WIDTH, v);
	}
	if (s->o->by != BY_PROCESS)
		lb_add(&lb, "  %s", safe);
	put_line(y, lb.b, 0);
}

static void draw(struct cache_state *s)
{
	struct top_ui *ui = s->ui;
	size_t n = ui->shown ? s->nrows : 0, fit, limit;
	int y = HEAD_LINES;

	erase();
	draw_head(s, n);
	draw_titles(s);
	/* As many rows as the window holds (or -n, if given and fewer); the
	 * last line says how many did not fit. */
	fit = LINES > HEAD_LINES ? (size_t)(LINES - HEAD_LINES) : 0;
	limit = s->o->rows_set && s->o->rows && s->o->rows < n ? s->o->rows : n;
	if (limit > fit && fit)
		fit--;
	for (size_t i = 0; i < limit && i < fit; i++)
		draw_row(s, y++, &s->rows[i]);
	if (limit > fit) {
		char more[64];

		snprintf(more, sizeof(more), "... %zu more", limit - fit);
		put_line(y, more, A_DIM);
	}
	refresh();
}

bool top_ui_wants_report(struct cache_state *s)
{
	struct top_ui *ui = s->ui;

	return !ui->paused || ui->refresh;
}

/* Seconds since t (CLOCK_MONOTONIC). */
static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

void top_ui_show(struct cache_state *s, const struct cache_counts *d)
{
	struct top_ui *ui = s->ui;

	ui->secs = since(&ui->last);
	clock_gettime(CLOCK_MONOTONIC, &ui->last);
	ui->d = *d;
	ui->refresh = false;
	ui->shown = true;
	cache_time(ui->time, sizeof(ui->time), false);
	draw(s);
}

/* ---- keys ---------------------------------------------------------------------- */

/* < and > step through the sort columns in their order and stop at the
 * ends, as bcc's cachetop does. */
static void step_sort(struct cache_state *s, int step)
{
	int c = (int)s->o->sort + step;

	if (c >= 0 && c < COL_NR)
		s->o->sort = c;
}

int top_ui_input(struct cache_state *s)
{
	struct top_ui *ui = s->ui;
	bool redraw = false;
	int ch, ret = 0;

	if (!ui)
		return 0;
	while ((ch = getch()) != ERR) {
		switch (ch) {
		case 'q':
		case 'Q':
			/* Ends as Ctrl-C does: final report, summary, detach. */
			loop_request_stop();
			return 0;
		case '<':
		case '>':
			step_sort(s, ch == '<' ? -1 : 1);
			redraw = true;
			break;
		case 'r':
		case 'R':
			s->o->reverse = !s->o->reverse;
			redraw = true;
			break;
		case 'p':
		case 'P':
			ui->paused = !ui->paused;
			/* Resuming shows what happened meanwhile at once, if
			 * that is an interval's worth (else the next tick
			 * comes soon, with more than a moment to show). */
			if (!ui->paused && since(&ui->last) >= s->o->interval_s)
				ret = LOOP_TICK_NOW;
			redraw = true;
			break;
		case ' ':
		case '\n':
		case '\r':
		case KEY_ENTER:
			ui->refresh = true;
			ret = LOOP_TICK_NOW;
			break;
		case KEY_RESIZE:
			redraw = true;
			break;
		default:
			break;
		}
	}
	if (redraw) {
		/* The rows on screen, sorted again: a paused view keeps its
		 * numbers, only their order changes. */
		if (ui->shown)
			cachetop_sort(s, false);
		draw(s);
	}
	return ret;
}
