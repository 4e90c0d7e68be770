/* SPDX-License-Identifier: GPL-2.0 */
/* uprobe_multi links (kernel 6.6+): many offsets of one file under one
 * link, attached and detached at once. libbpf 1.1 (Debian 12) has no API
 * for them, so this is a raw BPF_LINK_CREATE; the program must be loaded
 * with expected_attach_type UPROBE_MULTI_ATTACH_TYPE. */
#ifndef MEMSCOPE_RUN_UPROBE_MULTI_H
#define MEMSCOPE_RUN_UPROBE_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* BPF_TRACE_UPROBE_MULTI (not in libbpf 1.1's headers). */
#define UPROBE_MULTI_ATTACH_TYPE 48

/* A link of prog_fd at the cnt file offsets of path (return probes with
 * ret), for process pid (0: all); cookies (NULL: none) gives each offset
 * the value bpf_get_attach_cookie() returns there. The link's fd, or
 * -errno: -EINVAL where the kernel has no uprobe_multi links (before 6.6). */
int uprobe_multi_link(int prog_fd, const char *path, const unsigned long *offsets,
		      const unsigned long long *cookies, size_t cnt, bool ret, pid_t pid);

#endif
