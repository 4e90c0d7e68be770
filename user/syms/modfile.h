/* SPDX-License-Identifier: GPL-2.0 */
/* The files a symbolizer opens, from a traced process that may be in
 * another mount namespace, may have replaced or deleted its files, and
 * may name a FIFO or a device where a library should be: opened so that
 * opening cannot block or have side effects, and so that the file is the
 * one mapped, not whatever has its name now. */
#ifndef MEMSCOPE_SYMS_MODFILE_H
#define MEMSCOPE_SYMS_MODFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <libelf.h>

struct proc_map;

/* Open a regular file read-only, never a device or FIFO. With root_fd >=
 * 0, path is looked up inside that root (absolute symlinks included, where
 * openat2 exists). -1 + errno. */
int open_regular(int root_fd, const char *path);

/* Does fd start with the ELF magic? */
bool modfile_is_elf(int fd);

/* The ELF file behind process pid's mapping [start, end) of path: through
 * /proc/PID/map_files (the mapped inode itself, whatever the path; needs
 * CAP_SYS_ADMIN), else by path in its root (root_fd, -1: ours) if that is
 * still the same inode. -1 when neither gives an ELF file. */
int modfile_open_mapped(pid_t pid, int root_fd, uint64_t start, uint64_t end,
			const char *path, unsigned long inode);

/* Process pid's vdso (mapping pm) as a memfd libdwfl can read. -1 if it
 * cannot be had. */
int modfile_vdso(pid_t pid, const struct proc_map *pm);

/* Tell the kernel that elf's mapped file is read at random (see why in
 * modfile.c). */
void modfile_advise_random(Elf *elf);

#endif
