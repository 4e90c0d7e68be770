// SPDX-License-Identifier: GPL-2.0
/* The memory-cgroup fixture (tests/lib/memcg.h) against the kernel: a
 * child that allocates past a 64 MiB limit is held to it and OOM-killed
 * (no swap), the counters say so, the id is the kernel's, and nothing is
 * left behind: not the group, not its processes. On this project's hosts
 * that is cgroup v1; in the QEMU guests cgroup v2. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "memcg.h"
#include "run.h"

#define MiB (1ULL << 20)
#define LIMIT (64 * MiB)

/* Where touched memory escapes to: without it the compiler drops the
 * memset of memory nobody reads, and nothing is charged. */
static void *volatile sink;

struct hold {
	size_t bytes;
	int ready_fd;		/* written once the bytes are touched */
};

/* In the child: touch bytes of anonymous memory, say so, wait to die. */
static void hold_memory(void *arg)
{
	const struct hold *h = arg;
	char *p = malloc(h->bytes);

	if (!p)
		_exit(1);
	memset(p, 1, h->bytes);
	sink = p;
	if (write(h->ready_fd, "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* In the child: touch 256 MiB in 1 MiB steps (a 64 MiB group OOM-kills
 * it on the way); exit 0 if it ever gets there. */
static void allocate_past_limit(void *arg)
{
	(void)arg;
	for (int i = 0; i < 256; i++) {
		char *p = malloc(MiB);

		if (!p)
			_exit(2);
		memset(p, 1, MiB);
		sink = p;
	}
	_exit(0);
}

/* Whether /proc/PID/cgroup puts pid in the group (its name on the line). */
static bool in_group(pid_t pid, const struct memcg *cg)
{
	char path[64], *text, *name = strrchr(cg->path, '/');
	bool in;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	text = read_text_file(path, NULL);
	in = text && name && strstr(text, name);
	free(text);
	return in;
}

/* The kernel's id of a cgroup directory from a file handle (kernfs
 * encodes kn->id in it): independent of the inode number. */
static long long handle_id(const char *path)
{
	struct {
		struct file_handle fh;
		unsigned char buf[64];
	} h = { .fh.handle_bytes = 64 };
	unsigned long long id;
	int mnt;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0) || h.fh.handle_bytes != 8)
		return -1;
	memcpy(&id, h.fh.f_handle, 8);
	return id;
}

#define INSN(c, d, sr, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (sr), \
						  .off = (o), .imm = (i) })
#define CALL(fn) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_##fn)

/* What bpf_get_current_cgroup_id() returns in pid, from a raw_tp on
 * sys_enter written out by hand; -1 if it cannot tell. */
static long long bpf_cgroup_id(pid_t pid)
{
	int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL), prog = -1, link = -1;
	__u32 key = 0;
	__u64 id = 0;

	if (map < 0)
		return -1;
	{
		const struct bpf_insn insns[] = {
			CALL(get_current_pid_tgid),
			INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32),
			INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 11, pid),
			CALL(get_current_cgroup_id),
			INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -8, 0),
			INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -12, 0),
			INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map),
			INSN(0, 0, 0, 0, 0),
			INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
			INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -12),
			INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0),
			INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -8),
			INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_ANY),
			CALL(map_update_elem),
			INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		};

		prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", insns,
				     sizeof(insns) / sizeof(insns[0]), NULL);
	}
	if (prog >= 0)
		link = bpf_raw_tracepoint_open("sys_enter", prog);
	/* The child makes a syscall every millisecond. */
	for (int i = 0; link >= 0 && i < 200 && !id; i++) {
		usleep(10 * 1000);
		bpf_map_lookup_elem(map, &key, &id);
	}
	if (link >= 0)
		close(link);
	if (prog >= 0)
		close(prog);
	close(map);
	return id ? (long long)id : -1;
}

static void syscalls_forever(void *arg)
{
	(void)arg;
	for (;;)
		usleep(1000);
}

TEST_FULL(e2e_memcg_limit_oom_and_destroy, T_ROOT | T_E2E, 120)
{
	struct memcg cg;
	int p[2], status = 0;
	long long v, hid;
	struct hold h = { .bytes = 16 * MiB };
	struct stat st;
	char c, what[128], dir[sizeof(cg.path)];
	pid_t pid;

	if (!memcg_create_or_skip(&cg, LIMIT, 0))
		return;
	test_log("cgroup v%d: %s (id %llu)", cg.version, cg.path, cg.id);
	ASSERT_TRUE(!strncmp(cg.path, cg.parent, strlen(cg.parent)) &&
		    cg.path[strlen(cg.parent)] == '/', "made under the test's own memcg");
	hid = handle_id(cg.path);
	if (hid < 0)
		test_log("no file handle for %s (%s): id not cross-checked", cg.path,
			 strerror(errno));
	else
		ASSERT_EQ(hid, cg.id, "id is the kernfs id of its file handle");
	pid = memcg_spawn(&cg, syscalls_forever, NULL);
	if (ASSERT_GT(pid, 0, "a process in it")) {
		long long bid = bpf_cgroup_id(pid);

		test_log("bpf_get_current_cgroup_id() in it: %lld", bid);
		/* On v1 the helper reports the v2 hierarchy's cgroup. */
		if (cg.version == 2)
			ASSERT_EQ(bid, cg.id, "bpf_get_current_cgroup_id() is its id");
		else
			ASSERT_TRUE(bid > 0 && bid != (long long)cg.id,
				    "the helper answers with the v2 hierarchy's cgroup, not the memcg");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}

	/* A process holding 16 MiB: charged to the group. */
	if (!ASSERT_OK(pipe(p), "pipe"))
		goto out;
	h.ready_fd = p[1];
	pid = memcg_spawn(&cg, hold_memory, &h);
	close(p[1]);
	if (ASSERT_GT(pid, 0, "spawn a holder in it")) {
		pid_t pids[8];

		ASSERT_EQ(read(p[0], &c, 1), 1, "16 MiB touched");
		ASSERT_TRUE(in_group(pid, &cg), "/proc/PID/cgroup names the group");
		ASSERT_EQ(memcg_pids(&cg, pids, 8), 1, "one process in it");
		ASSERT_EQ(pids[0], pid, "the holder");
		v = memcg_usage(&cg);
		test_log("holding 16 MiB: usage %lld, anon %lld/rss %lld", v,
			 memcg_stat(&cg, "anon"), memcg_stat(&cg, "rss"));
		ASSERT_GE(v, (long long)h.bytes, "usage counts the 16 MiB");
		ASSERT_LE(v, (long long)LIMIT, "usage within the limit");
		/* v1 names anonymous memory "rss", v2 "anon". */
		ASSERT_GE(memcg_stat(&cg, cg.version == 1 ? "rss" : "anon"), (long long)h.bytes,
			  "memory.stat counts it as anonymous memory");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(p[0]);

	/* 256 MiB into 64 MiB without swap: held to the limit, OOM-killed. */
	pid = memcg_spawn(&cg, allocate_past_limit, NULL);
	if (ASSERT_GT(pid, 0, "spawn the allocator in it"))
		waitpid(pid, &status, 0);
	snprintf(what, sizeof(what), "the allocator was OOM-killed (status 0x%x)", status);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, what);
	ASSERT_EQ(memcg_oom_kills(&cg), 1, "the group counts one OOM kill");
	ASSERT_GT(memcg_limit_hits(&cg), 0, "allocations hit the limit");
	v = memcg_peak(&cg);
	test_log("after the OOM kill: usage %lld, peak %lld, limit hits %lld, oom kills %lld",
		 memcg_usage(&cg), v, memcg_limit_hits(&cg), memcg_oom_kills(&cg));
	if (v >= 0)
		ASSERT_LE(v, (long long)LIMIT, "peak usage within the limit");
	ASSERT_LE(memcg_usage(&cg), (long long)LIMIT, "usage within the limit");
out:
	snprintf(dir, sizeof(dir), "%s", cg.path);
	ASSERT_OK(memcg_destroy(&cg), "destroy");
	ASSERT_TRUE(stat(dir, &st) && errno == ENOENT, "its directory is gone");
}

static void sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
}

/* Whether a child of ours ended by SIGKILL (destroy leaves the reaping
 * to us). */
static bool killed(pid_t pid)
{
	int status = 0;

	return waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGKILL;
}

/* Destroy empties a group of whatever is in it (a spawned child, a
 * program started by bg_start inside it, a sub-group with a process of
 * its own) and removes it; the calling process, if inside, is moved
 * back instead of killed. */
TEST_FULL(e2e_memcg_destroy_empties_and_removes, T_ROOT | T_E2E, 120)
{
	char file[64], dir[sizeof(((struct memcg *)0)->path)];
	char *argv[] = { (char *)bin_path("tests/workloads/waiter"), "0", file, NULL };
	struct run_opts o = { 0 };
	struct memcg cg, sc;
	struct stat st;
	struct bg wl;
	pid_t a, b;

	if (!memcg_create_or_skip(&cg, LIMIT, -1))
		return;
	snprintf(file, sizeof(file), "/tmp/memscope-test-waiter.%d", getpid());
	snprintf(dir, sizeof(dir), "%s", cg.path);
	a = memcg_spawn(&cg, sleep_forever, NULL);
	ASSERT_GT(a, 0, "a sleeper in it");
	o.memcg = cg.path;
	if (ASSERT_OK(bg_start(&wl, argv, &o), "bg_start a workload in it"))
		ASSERT_TRUE(in_group(wl.pid, &cg), "bg_start put it there before exec");
	sc = cg;
	if (snprintf(sc.path, sizeof(sc.path), "%s/sub", dir) >= (int)sizeof(sc.path))
		sc.path[0] = 0;
	ASSERT_OK(mkdir(sc.path, 0755), "a sub-group");
	b = memcg_spawn(&sc, sleep_forever, NULL);
	ASSERT_GT(b, 0, "a sleeper in the sub-group");
	ASSERT_OK(memcg_move(&cg, getpid()), "move the test itself in");
	ASSERT_TRUE(in_group(getpid(), &cg), "the test is inside");

	ASSERT_OK(memcg_destroy(&cg), "destroy");
	ASSERT_TRUE(stat(dir, &st) && errno == ENOENT, "the group is gone, sub-group and all");
	ASSERT_FALSE(in_group(getpid(), &(struct memcg){ .path = "/memscope-test-" }),
		     "the test was moved back out");
	ASSERT_TRUE(a > 0 && killed(a), "the sleeper was killed");
	ASSERT_TRUE(b > 0 && killed(b), "the sub-group's sleeper was killed");
	ASSERT_EQ(bg_stop(&wl, 0, 5000), 128 + SIGKILL, "the workload was killed");
	bg_free(&wl);
	unlink(file);
}

/* What the runner does between tests and at start: groups of this runner,
 * and of runners that are gone, are removed with their processes; groups
 * of a live runner are not touched. */
TEST_FULL(e2e_memcg_sweep, T_ROOT | T_E2E, 120)
{
	char stale[PATH_MAX + 64], removed[1024], name[64];
	struct memcg cg, other;
	struct stat st;
	pid_t dead, a;
	int n;

	if (!memcg_create_or_skip(&cg, LIMIT, -1))
		return;
	/* A pid that is gone: a child of ours, reaped. */
	dead = fork();
	if (!dead)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(name, sizeof(name), "memscope-test-%d-0", dead);
	snprintf(stale, sizeof(stale), "%s/%s", cg.parent, name);
	ASSERT_OK(mkdir(stale, 0755), "a group of a runner that is gone");
	other = cg;
	snprintf(other.path, sizeof(other.path), "%s", stale);
	a = memcg_spawn(&other, sleep_forever, NULL);
	ASSERT_GT(a, 0, "with a process in it");

	n = memcg_sweep(0, removed, sizeof(removed));
	test_log("sweep of stale groups: %d removed: %s", n, removed);
	ASSERT_GE(n, 1, "stale groups found");
	ASSERT_CONTAINS(removed, name, "the gone runner's group is named");
	ASSERT_TRUE(stat(stale, &st) && errno == ENOENT, "and removed");
	ASSERT_TRUE(a > 0 && killed(a), "its process was killed");
	ASSERT_OK(stat(cg.path, &st), "the live runner's group stays");

	/* Between tests: this runner's groups. */
	n = memcg_sweep(test_runner_pid(), removed, sizeof(removed));
	ASSERT_EQ(n, 1, "this runner's group found");
	ASSERT_TRUE(stat(cg.path, &st) && errno == ENOENT, "and removed");
	ASSERT_EQ(memcg_sweep(test_runner_pid(), removed, sizeof(removed)), 0, "nothing left");
}
