// SPDX-License-Identifier: GPL-2.0
/* The files a symbolizer opens (see modfile.h). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <libelf.h>

#include "core/procfs.h"
#include "syms/modfile.h"

int open_regular(int root_fd, const char *path)
{
	char self[64];
	struct stat st;
	int pfd, fd;

	if (root_fd < 0) {
		pfd = open(path, O_PATH | O_CLOEXEC);
	} else {
		struct open_how how = {
			.flags = O_PATH | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};

		pfd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		if (pfd < 0 && errno == ENOSYS) {
			/* Before 5.6: absolute symlinks escape to our root. */
			while (*path == '/')
				path++;
			pfd = openat(root_fd, path, O_PATH | O_CLOEXEC);
		}
	}
	if (pfd < 0)
		return -1;
	if (fstat(pfd, &st) || !S_ISREG(st.st_mode)) {
		close(pfd);
		errno = EINVAL;
		return -1;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_CLOEXEC);
	close(pfd);
	return fd;
}

bool modfile_is_elf(int fd)
{
	unsigned char ident[SELFMAG];

	return pread(fd, ident, SELFMAG, 0) == SELFMAG && !memcmp(ident, ELFMAG, SELFMAG);
}

/* The file behind a mapping: through map_files (the mapped inode itself,
 * whatever the path; needs CAP_SYS_ADMIN), else by path in the target's
 * root if that still is the same inode. */
int modfile_open_mapped(pid_t pid, int root_fd, uint64_t start, uint64_t end,
			const char *path, unsigned long inode)
{
	char p[96];
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, start, end);
	fd = open_regular(-1, p);
	if (fd < 0 && path[0] == '/' && !path_is_deleted(path)) {
		fd = open_regular(root_fd, path);
		if (fd >= 0 && (fstat(fd, &st) || st.st_ino != inode)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0 && !modfile_is_elf(fd)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The target's vdso as a file libdwfl can read: copied from its memory
 * (reading /proc/PID/mem does not stop it), else our own, which is the
 * same image when it has the same size (same kernel, same ABI). */
int modfile_vdso(pid_t pid, const struct proc_map *pm)
{
	size_t size = pm->end - pm->start;
	unsigned long ours = getauxval(AT_SYSINFO_EHDR);
	char path[64], *buf;
	struct proc_map m;
	int fd, mem;
	bool ok = false;

	if (!size || size > (1u << 20))
		return -1;
	buf = malloc(size);
	if (!buf)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (mem >= 0) {
		ok = pread(mem, buf, size, pm->start) == (ssize_t)size;
		close(mem);
	}
	if (!ok && ours && !proc_map_find(0, ours, &m) && m.end - m.start == size) {
		memcpy(buf, (const void *)m.start, size);
		ok = true;
	}
	fd = ok ? memfd_create("memscope-vdso", MFD_CLOEXEC) : -1;
	if (fd >= 0 && write(fd, buf, size) != (ssize_t)size) {
		close(fd);
		fd = -1;
	}
	free(buf);
	return fd;
}

/* libelf maps whole files, and DWARF is read a few bytes per compile unit
 * (dwarf_getaranges() visits every CU header): with the default readahead
 * each of those reads maps tens of pages. Measured on CPython's
 * libpython3.11 (9 MB of .debug_info): 5.6 MB resident for the aranges,
 * 0.6 MB with MADV_RANDOM. */
void modfile_advise_random(Elf *elf)
{
	uintptr_t page = sysconf(_SC_PAGESIZE), start, end;
	size_t n = 0;
	char *p = elf ? elf_rawfile(elf, &n) : NULL;

	if (!p || !n)
		return;
	start = (uintptr_t)p & ~(page - 1);
	end = ((uintptr_t)p + n + page - 1) & ~(page - 1);
	madvise((void *)start, end - start, MADV_RANDOM);
}

