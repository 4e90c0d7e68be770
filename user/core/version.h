/* SPDX-License-Identifier: GPL-2.0 */
/* memscope's version, "0.1.0-<git rev>", from a file the build generates
 * (build/version.c) so that a new commit relinks instead of rebuilding. */
#ifndef MEMSCOPE_VERSION_H
#define MEMSCOPE_VERSION_H

extern const char memscope_version[];

#endif
