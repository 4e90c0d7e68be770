/* SPDX-License-Identifier: GPL-2.0 */
/* cachetop's full-screen view (ncurses): taken when stdout is a terminal and
 * neither -b nor -j is given. top.c reads and sorts the rows; this file
 * draws them and turns keys into a new sort, a pause or a refresh. */
#ifndef MEMSCOPE_CACHE_TOP_UI_H
#define MEMSCOPE_CACHE_TOP_UI_H

#include <stdbool.h>

struct cache_state;
struct cache_counts;

/* Take the screen if the view is wanted and the terminal can be driven
 * (else plain reports, with a warning when a terminal could not be):
 * sets s->ui, and s->run.input_fd to the keys when stdin is a terminal.
 * Call it last in start: from then on top_ui_end must run. */
void top_ui_start(struct cache_state *s);
/* Whether the next interval's report reads and shows (not while paused,
 * unless a refresh was asked for). */
bool top_ui_wants_report(struct cache_state *s);
/* Show a report: the interval's totals d and the sorted s->rows. */
void top_ui_show(struct cache_state *s, const struct cache_counts *d);
/* Keys (the run's on_input hook): 0, or LOOP_TICK_NOW for a report now. */
int top_ui_input(struct cache_state *s);
/* Give the terminal back as it was (endwin), then show what was written
 * to stderr meanwhile. Safe to call again, and without a view. */
void top_ui_end(struct cache_state *s);

#endif
