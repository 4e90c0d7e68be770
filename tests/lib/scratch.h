/* SPDX-License-Identifier: GPL-2.0 */
/* A directory of the test's own on a block-backed file system, for tests of
 * the page cache: files there are read from a disk through filemap_read,
 * and their clean pages can be evicted (posix_fadvise POSIX_FADV_DONTNEED)
 * and read back. tmpfs (the QEMU guests' /tmp, /tmp on many hosts) is
 * shmem, where none of that holds.
 *
 * Where: in the QEMU guest (MEMSCOPE_GUEST set) under /scratch, the ext4
 * on a virtio disk that scripts/vmtest.sh attaches and tests/vm/init
 * mounts (made anew for each guest run); on a host under /var/tmp, else
 * /tmp, the first that is block-backed. Directories are named
 * "memscope-scratch-<runner pid>-<test pid>"; the runner removes the ones
 * of a test once it ended (a test may remove its own, it need not), and at
 * start those of runners that are gone. */
#ifndef MEMSCOPE_TEST_SCRATCH_H
#define MEMSCOPE_TEST_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The test's scratch directory (mode 0755, the caller's), made on the
 * first call; the same path for the test's later calls and for the
 * processes it forks. NULL, with the reason logged, where there is no
 * block-backed file system to put it on or it cannot be made: the caller
 * skips (test_skip). */
const char *test_scratch_dir(void);

/* A new directory "<prefix>.XXXXXX" in the scratch directory, NULL when
 * there is none here. The path stays valid until the next call. */
char *scratch_mkdtemp(const char *prefix);

/* Make path a file of mib MiB of varied bytes with the cachewl workload
 * (written, synced, evicted from the page cache); false (a failed
 * assertion) if that fails. */
bool scratch_make_file(const char *path, int mib);

/* For the runner: remove the scratch directories of runner pid `mine` (its
 * tests are done with them), or, with mine 0, of runners that no longer
 * exist. Names each one in removed (comma-separated); returns how many
 * were found. */
int scratch_sweep(pid_t mine, char *removed, size_t len);

#endif
