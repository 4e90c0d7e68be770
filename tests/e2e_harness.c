// SPDX-License-Identifier: GPL-2.0
/* The harness's own kernel-facing checks, tested against the kernel: the
 * leftover-program check sees memscope's programs and only those. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "ktruth.h"
#include "run.h"

/* A program of the test's own, loaded with a raw bpf() call: another
 * tool on the host, as far as the check is concerned. Its id via *id. */
static int unrelated_prog(unsigned *id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = ktruth_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0);

	if (!ASSERT_GE(fd, 0, "load a socket filter with bpf()"))
		return -1;
	if (!ASSERT_OK(bpf_obj_get_info_by_fd(fd, &info, &len), "its info")) {
		close(fd);
		return -1;
	}
	*id = info.id;
	return fd;
}

static bool loaded(unsigned id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* A program someone else keeps loaded while memscope runs and exits does
 * not fail the check; memscope's own programs were seen while it ran. */
TEST(e2e_harness_progs_scoped_to_memscope, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id(), other = 0;
	struct run_result r;
	int fd = unrelated_prog(&other);

	if (fd < 0)
		return;
	ASSERT_OK(run_memscope(NULL, &r, "probe", "-j", NULL), "run probe -j");
	ASSERT_EQ(r.status, 0, "probe exit status");
	run_result_free(&r);
	test_log("programs of memscope probe seen while it ran: %d; ours: id %u",
		 bpf_progs_recorded(before), other);
	ASSERT_GT(bpf_progs_recorded(before), 0, "memscope's programs recorded from its fdinfo");
	ASSERT_TRUE(loaded(other), "the unrelated program is still loaded");
	ASSERT_GT(other, before, "and it is newer than the mark");
	assert_no_progs_left(before, "an unrelated program does not count");
	close(fd);
}

/* The mechanism itself: a recorded program that is still loaded is
 * reported by id and name; once it is gone the check passes. */
TEST(e2e_harness_progs_left_reported, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id(), id = 0;
	char names[256], want[32];
	int fd = unrelated_prog(&id);

	if (fd < 0)
		return;
	ASSERT_EQ(bpf_progs_since(before, names, sizeof(names)), 0, "nothing recorded yet");
	ASSERT_OK(bpf_progs_record_fd(fd), "record it as if memscope held it");
	ASSERT_EQ(bpf_progs_recorded(before), 1, "recorded once");
	bpf_progs_record_id(id);
	ASSERT_EQ(bpf_progs_recorded(before), 1, "recorded once only");
	ASSERT_EQ(bpf_progs_since(before, names, sizeof(names)), 1, "reported while loaded");
	snprintf(want, sizeof(want), "(id %u)", id);
	ASSERT_CONTAINS(names, want, "names its id");
	ASSERT_EQ(bpf_progs_since(id, names, sizeof(names)), 0, "not newer than itself");
	close(fd);
	/* The kernel frees it after an RCU grace period. */
	assert_no_progs_left(before, "gone once closed");
	ASSERT_FALSE(loaded(id), "really unloaded");
}
