/* SPDX-License-Identifier: GPL-2.0 */
/* Small file-system chores tests share: writing a file, listing and
 * removing a directory, counting our own descriptors. */
#ifndef MEMSCOPE_TEST_FSUTIL_H
#define MEMSCOPE_TEST_FSUTIL_H

#include <stdbool.h>

/* Create or truncate path (mode 0644) and write s; true if all of it went. */
bool write_text(const char *path, const char *s);
/* The names in dir but . and .., sorted, each followed by a space;
 * malloc'd ("" for an empty or missing directory). */
char *dir_listing(const char *dir);
/* rm -rf dir; logs when that fails. */
void rm_tree(const char *dir);
/* Open descriptors of this process. */
int count_fds(void);

#endif
