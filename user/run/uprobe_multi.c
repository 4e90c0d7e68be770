// SPDX-License-Identifier: GPL-2.0
/* uprobe_multi links through a raw BPF_LINK_CREATE (see uprobe_multi.h). */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "run/uprobe_multi.h"

/* BPF_F_UPROBE_MULTI_RETURN */
#define UPROBE_MULTI_RETURN 1U

/* union bpf_attr's link_create.uprobe_multi (6.6+). */
struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 um_flags;
	__u32 pid;
	__u32 pad;
};

int uprobe_multi_link(int prog_fd, const char *path, const unsigned long *offsets,
		      const unsigned long long *cookies, size_t cnt, bool ret, pid_t pid)
{
	struct link_create_uprobe_multi a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.attach_type = UPROBE_MULTI_ATTACH_TYPE;
	a.path = (unsigned long)path;
	a.offsets = (unsigned long)offsets;
	a.cookies = (unsigned long)cookies;
	a.cnt = cnt;
	a.um_flags = ret ? UPROBE_MULTI_RETURN : 0;
	a.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}
