/* SPDX-License-Identifier: GPL-2.0 */
/* Where a module's debug information is: in the file itself, or in a
 * separate debug file found by build-id under /usr/lib/debug/.build-id, or
 * by .gnu_debuglink next to the file, in .debug/ and under /usr/lib/debug;
 * first in the target's root, then in ours; plus the dwz alternate file
 * (.gnu_debugaltlink). Candidates must carry the module's build-id when it
 * has one.
 *
 * Not libdwfl's dwfl_standard_find_debuginfo(): that one (0.188) dlopen()s
 * libdebuginfod (and libcurl, gnutls... about 8 MB of RSS) whenever a
 * lookup fails, and asks the network when DEBUGINFOD_URLS is set. */
#ifndef MEMSCOPE_DEBUGINFO_H
#define MEMSCOPE_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <gelf.h>

struct debuginfo {
	bool has_dwarf;		/* in the file itself or in path */
	char *path;		/* separate debug file, NULL if none */
	bool in_root;		/* path is in the target's root */
	char *alt_name;		/* .gnu_debugaltlink name as libdwfl will ask */
	char *alt_path;		/* where that file is, NULL if not found */
	bool alt_in_root;
	size_t inflate_cost;	/* bytes libdw would inflate for the DWARF */
};

/* Fill d (zeroed by the caller) for the module mapped from module_path (as
 * the target names it) whose ELF is main_elf, with build-id id (id_len <= 0:
 * none). root_fd: the target's root directory, -1 if it is ours. main_st:
 * the module's file (st_dev, st_ino), so that it is not taken for its own
 * debug file; may be NULL. */
void debuginfo_find(int root_fd, const char *module_path, Elf *main_elf,
		    const unsigned char *id, int id_len, const struct stat *main_st,
		    struct debuginfo *d);
void debuginfo_free(struct debuginfo *d);

#endif
