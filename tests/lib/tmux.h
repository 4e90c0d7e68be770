/* SPDX-License-Identifier: GPL-2.0 */
/* A real terminal for the tests of full-screen views: a private tmux server
 * (its own socket, no configuration file) with one detached session of a
 * fixed size running a shell command; keys are sent and the screen read
 * back as text. Absent tmux (the busybox QEMU guests) the tests skip. */
#ifndef MEMSCOPE_TEST_TMUX_H
#define MEMSCOPE_TEST_TMUX_H

#include <stdbool.h>
#include <sys/types.h>

struct tmux {
	char tmux[4096];	/* the tmux program */
	char dir[64];		/* private directory: the socket, the shell's files */
	pid_t pane_pid;		/* the shell running the command */
};

/* The path of tmux on PATH, NULL when there is none. */
const char *tmux_path(void);

/* Start a cols x rows session running sh -c cmd, where cmd may use $D (the
 * private directory t->dir). 0 or -1 (logged). */
int tmux_start(struct tmux *t, int cols, int rows, const char *cmd);
/* Send keys as tmux names them ("q", ">", "C-c", "Enter", "Space"). */
int tmux_keys(struct tmux *t, const char *key);
/* Resize the window. */
int tmux_resize(struct tmux *t, int cols, int rows);
/* The screen as text, a line per row (malloc'd), NULL on failure. Each
 * call also records the BPF programs the pane's processes hold (progs.h). */
char *tmux_screen(struct tmux *t);
/* Poll the screen until it contains needle (true) or timeout_ms passes;
 * the last screen read goes to *screen (malloc'd) when screen is not NULL. */
bool tmux_wait_screen(struct tmux *t, const char *needle, unsigned timeout_ms, char **screen);
/* A pane variable ("alternate_on", "cursor_flag"): its value, -1 when it
 * cannot be read. */
long tmux_var(struct tmux *t, const char *name);
/* Wait for the file name in t->dir to exist and hold a line (true); its
 * text goes to buf. */
bool tmux_wait_file(struct tmux *t, const char *name, char *buf, size_t len, unsigned timeout_ms);
/* Stop the server, remove the directory. */
void tmux_stop(struct tmux *t);

#endif
