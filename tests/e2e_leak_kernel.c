// SPDX-License-Identifier: GPL-2.0
/* `memscope leak` in kernel mode, scoped to the test's own workload with
 * the kernel-mode filters (--kernel -p, --cgroup), so other activity on a
 * shared host does not change the answer: a process that opens and closes
 * NFILES files (a struct file, a dentry and an inode each), per-CPU
 * allocations of BPF maps this test creates, and the losses the kernel
 * hides (recursion misses). */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "memcg.h"
#include "run.h"

#define NFILES 1000
#define INTERVAL_REC "{\"type\":\"interval\""
/* What a process allocates around NFILES opens besides the files (the
 * fd table growing, the directory's own): a small allowance. */
#define SLACK 16

static char *tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/memscope-test.XXXXXX");
	return mkdtemp(dir);
}

/* One complete report gathered entirely after everything memscope printed
 * so far: skip the report in progress, take the next one whole. Returns
 * its JSON Lines text (malloc'd) or NULL. */
static char *fresh_report(struct bg *ms)
{
	size_t from, a, b;

	/* Drain what is already there. */
	bg_read_for(ms, 200);
	from = ms->out_len;
	if (!bg_wait_out(ms, INTERVAL_REC, &from, 15000))
		return NULL;
	a = from;
	if (!bg_wait_out(ms, INTERVAL_REC, &a, 15000))
		return NULL;
	b = a;
	if (!bg_wait_out(ms, INTERVAL_REC, &b, 15000))
		return NULL;
	a -= strlen(INTERVAL_REC);
	b -= strlen(INTERVAL_REC);
	return strndup(ms->out + a, b - a);
}

/* Allocations outstanding in one report for caches matching name (exact,
 * or containing it when partial). */
static long long cache_count(const char *report, const char *name, bool partial)
{
	struct jlines l;
	long long n = 0, best = 0;

	if (!report || !parse_jlines_str(report, &l))
		return -1;
	for (int i = 0; i < l.n; i++) {
		const char *c;

		if (!jv_type_is(l.recs[i], "stack"))
			continue;
		c = jv_req_sn(l.recs[i], "cache");
		if (!c || (partial ? !strstr(c, name) : strcmp(c, name)))
			continue;
		n = jv_req_i(l.recs[i], "count");
		/* partial: the largest matching cache (the file system's). */
		best = partial ? (n > best ? n : best) : best + n;
	}
	jlines_free(&l);
	return best;
}

/* openfiles DIR N --wait, in the memcg at cg (NULL: ours), once ready. */
static bool start_openfiles(struct bg *wl, const char *dir, int n, const char *cg)
{
	char num[16];
	char *argv[] = { (char *)bin_path("tests/workloads/openfiles"), (char *)dir, num,
			 "--wait", NULL };
	struct run_opts o = { .memcg = cg };

	snprintf(num, sizeof(num), "%d", n);
	if (!ASSERT_OK(bg_start(wl, argv, &o), "start openfiles"))
		return false;
	return ASSERT_TRUE(bg_wait_out(wl, "ready", NULL, 30000), "openfiles is ready");
}

/* memscope leak ARGS... -j -T 0 -o 0 1, once attached. */
static bool start_leak(struct bg *ms, const char *const *args)
{
	char *argv[32];
	size_t at = 0;
	int n = 0;

	argv[n++] = (char *)bin_path("memscope");
	argv[n++] = "leak";
	for (; *args && n < 24; args++)
		argv[n++] = (char *)*args;
	argv[n++] = "-j";
	argv[n++] = "-T";
	argv[n++] = "0";
	argv[n++] = "-o";
	argv[n++] = "0";
	argv[n++] = "1";
	argv[n] = NULL;
	if (!ASSERT_OK(bg_start(ms, argv, NULL), "start memscope"))
		return false;
	if (!ASSERT_TRUE(bg_wait_out(ms, "\"type\":\"attached\"", &at, 30000), "attached")) {
		test_log("stderr: %s", ms->err);
		return false;
	}
	return true;
}

struct files_seen {
	long long filp, dentry, inode;
	long long misses;	/* recursion misses reported so far */
};

static struct files_seen files_in(const char *rep)
{
	struct files_seen s = { cache_count(rep, "filp", false), cache_count(rep, "dentry", false),
				cache_count(rep, "inode_cache", true), -1 };
	struct jlines l;

	if (rep && parse_jlines_str(rep, &l)) {
		s.misses = jv_req_i(jv_req_o(jl_req(&l, "interval"), "drops"), "recursion_misses");
		jlines_free(&l);
	}
	return s;
}

/* Open NFILES files, then close and unlink them, traced by cache: exactly
 * the workload's files, dentries and inodes are outstanding (give or take
 * SLACK); after the close the files and inodes are freed, the dentries
 * stay (negative: the kernel keeps them). ms traces the workload wl. */
static void check_open_close(struct bg *ms, struct bg *wl)
{
	struct files_seen s;
	char *rep;

	kill(wl->pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(wl, "opened", NULL, 60000), "files opened");
	rep = fresh_report(ms);
	s = files_in(rep);
	free(rep);
	test_log("with %d files open: filp %lld, dentry %lld, inodes %lld outstanding", NFILES,
		 s.filp, s.dentry, s.inode);
	ASSERT_GE(s.filp, NFILES, "struct files outstanding");
	ASSERT_LE(s.filp, NFILES + SLACK, "only the workload's struct files");
	ASSERT_GE(s.dentry, NFILES, "dentries outstanding");
	ASSERT_LE(s.dentry, NFILES + SLACK, "only the workload's dentries");
	ASSERT_GE(s.inode, NFILES, "inodes outstanding");
	ASSERT_LE(s.inode, NFILES + SLACK, "only the workload's inodes");

	kill(wl->pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(wl, "closed", NULL, 60000), "files closed");
	/* RCU delays the frees: a little, or more on a busy host. The frees
	 * run in softirq context: one that lands on a CPU where the same
	 * program is running is skipped by the kernel, and reported as a
	 * recursion miss, so what stays outstanding is within them. */
	for (int i = 0; i < 8; i++) {
		usleep(1000 * 1000);
		rep = fresh_report(ms);
		s = files_in(rep);
		free(rep);
		if (s.filp <= SLACK && s.inode <= SLACK)
			break;
	}
	test_log("after close+unlink: filp %lld, dentry %lld, inodes %lld; %lld recursion misses",
		 s.filp, s.dentry, s.inode, s.misses);
	ASSERT_LE(s.filp, SLACK + s.misses, "struct files freed, but for the frees lost and counted");
	ASSERT_LE(s.inode, SLACK + s.misses, "inodes freed, but for the frees lost and counted");
	/* Whether the dentries stay (negative) is the file system's choice:
	 * ext4 keeps them, tmpfs frees them. */
}

TEST_FULL(e2e_leak_kernel_by_cache, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char *dir = tmpdir(), pid[16];
	struct bg ms = {}, wl = {};

	if (!start_openfiles(&wl, dir, NFILES, NULL))
		goto out;
	snprintf(pid, sizeof(pid), "%d", wl.pid);
	{
		const char *args[] = { "--kernel", "-p", pid, "--by-cache", NULL };

		if (!start_leak(&ms, args))
			goto out;
	}
	check_open_close(&ms, &wl);
	bg_stop(&wl, SIGTERM, 10000);
	ASSERT_EQ(bg_stop(&ms, SIGINT, 30000), 0, "exit status");
	ASSERT_CONTAINS(ms.out, "\"type\":\"summary\"", "summary");
out:
	bg_free(&wl);
	bg_free(&ms);
	rmdir(dir);
	assert_no_progs_left(before, "after kernel mode");
}

/* --cgroup: the workload in a memory cgroup of the test's own is traced;
 * a second one outside it, opening files at the same time, is not. */
TEST_FULL(e2e_leak_kernel_cgroup, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char *dir = tmpdir(), dir2[80];
	struct bg ms = {}, wl = {}, other = {};
	struct memcg cg;

	if (!memcg_create_or_skip(&cg, 1ULL << 30, -1))
		return;
	snprintf(dir2, sizeof(dir2), "%s/other", dir);
	mkdir(dir2, 0700);
	if (!start_openfiles(&wl, dir, NFILES, cg.path) ||
	    !start_openfiles(&other, dir2, NFILES / 2, NULL))
		goto out;
	{
		const char *args[] = { "--cgroup", cg.path, "--by-cache", NULL };
		struct jlines l;
		size_t end;

		if (!start_leak(&ms, args))
			goto out;
		/* The attached record names the cgroup by its id: the inode of
		 * its directory, read here by the fixture. */
		end = strchr(ms.out, '\n') ? (size_t)(strchr(ms.out, '\n') - ms.out) : ms.out_len;
		{
			char *first = strndup(ms.out, end);

			if (parse_jlines_str(first, &l)) {
				const struct jv *a = jl_req(&l, "attached");

				ASSERT_EQ(jv_req_i(a, "cgroup_id"), (long long)cg.id, "the cgroup's id");
				jlines_free(&l);
			}
			free(first);
		}
	}
	kill(other.pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(&other, "opened", NULL, 60000), "the other one opened its files");
	check_open_close(&ms, &wl);
	bg_stop(&wl, SIGTERM, 10000);
	bg_stop(&other, SIGTERM, 10000);
	ASSERT_EQ(bg_stop(&ms, SIGINT, 30000), 0, "exit status");
out:
	bg_free(&wl);
	bg_free(&other);
	bg_free(&ms);
	memcg_destroy(&cg);
	rmdir(dir2);
	rmdir(dir);
	assert_no_progs_left(before, "after --cgroup");
}

/* By stack: the struct files come from the open path. */
TEST_FULL(e2e_leak_kernel_stacks, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char *dir = tmpdir(), *rep = NULL, pid[16];
	struct bg ms = {}, wl = {};
	long long through_open = 0, filp = 0;
	struct jlines l;

	if (!start_openfiles(&wl, dir, NFILES, NULL))
		goto out;
	snprintf(pid, sizeof(pid), "%d", wl.pid);
	{
		const char *args[] = { "--kernel", "-p", pid, NULL };

		if (!start_leak(&ms, args))
			goto out;
	}
	kill(wl.pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(&wl, "opened", NULL, 60000), "files opened");
	rep = fresh_report(&ms);
	kill(wl.pid, SIGUSR1);
	bg_wait_out(&wl, "closed", NULL, 60000);
	bg_stop(&wl, SIGTERM, 10000);
	bg_stop(&ms, SIGINT, 30000);
	/* The call site in alloc_empty_file is reached by open and exec:
	 * stacks there come from the path cache. Sum the open path's. */
	if (rep && parse_jlines_str(rep, &l)) {
		for (int i = 0; i < l.n; i++) {
			const struct jv *fr;
			const char *cache;
			bool open_path = false;

			if (!jv_type_is(l.recs[i], "stack"))
				continue;
			fr = jv_req_a(l.recs[i], "frames");
			cache = jv_req_sn(l.recs[i], "cache");
			if (!cache || strcmp(cache, "filp"))
				continue;
			filp += jv_req_i(l.recs[i], "count");
			for (size_t k = 0; fr && k < fr->len; k++) {
				const char *sym = jv_req_sn(fr->items[k], "sym");

				if (sym && strstr(sym, "openat"))
					open_path = true;
			}
			if (open_path)
				through_open += jv_req_i(l.recs[i], "count");
		}
		jlines_free(&l);
	}
	free(rep);
	test_log("struct files: %lld outstanding, %lld through openat", filp, through_open);
	ASSERT_GE(through_open, NFILES, "NFILES struct files on stacks through the open path");
	ASSERT_LE(filp, NFILES + SLACK, "and no others");
out:
	bg_free(&wl);
	bg_free(&ms);
	rmdir(dir);
	assert_no_progs_left(before, "after kernel stacks");
}

/* -P: percpu allocations. Each per-CPU array map this test creates holds
 * one percpu allocation; closing the maps frees them (in a work queue:
 * frees are seen whoever makes them). */
TEST_FULL(e2e_leak_kernel_percpu, T_ROOT | T_E2E, 300)
{
	enum { MAPS = 200 };
	unsigned before = bpf_prog_max_id();
	int fds[MAPS], made = 0;
	long long held, after = -1;
	struct bg ms = {};
	char pid[16], *rep;

	snprintf(pid, sizeof(pid), "%d", getpid());
	{
		const char *args[] = { "--kernel", "-p", pid, "-P", "--by-cache", NULL };

		if (!start_leak(&ms, args))
			goto out;
	}
	for (int i = 0; i < MAPS; i++) {
		fds[i] = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, NULL, 4, 64, 1, NULL);
		made += fds[i] >= 0;
	}
	ASSERT_EQ(made, MAPS, "maps created");
	rep = fresh_report(&ms);
	held = cache_count(rep, "percpu allocator", false);
	free(rep);
	for (int i = 0; i < MAPS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* Maps are freed from a work queue after an RCU grace period. */
	for (int i = 0; i < 8 && after != 0; i++) {
		usleep(1000 * 1000);
		rep = fresh_report(&ms);
		after = cache_count(rep, "percpu allocator", false);
		free(rep);
	}
	test_log("percpu allocations outstanding: %lld with %d maps, %lld after closing them",
		 held, MAPS, after);
	ASSERT_EQ(held, MAPS, "one percpu allocation per map, none of anyone else's");
	ASSERT_EQ(after, 0, "all freed with the maps");
	ASSERT_EQ(bg_stop(&ms, SIGINT, 30000), 0, "exit status");
out:
	bg_free(&ms);
	assert_no_progs_left(before, "after percpu");
}

/* The recursion misses of memscope's programs as the kernel counts them:
 * the ids from /proc/PID/fdinfo (a program shows up in its own fd and in
 * its link's: each counted once), their bpf_prog_info read here. */
static long long kernel_recursion_misses(pid_t pid)
{
	unsigned ids[512];
	char path[64], line[128];
	long long sum = 0;
	struct dirent *e;
	int nids = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char file[384];
		FILE *f;

		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		f = fopen(file, "r");
		while (f && fgets(line, sizeof(line), f)) {
			bool dup = false;
			unsigned id;
			int fd;

			if (sscanf(line, "prog_id: %u", &id) != 1)
				continue;
			for (int i = 0; i < nids && !dup; i++)
				dup = ids[i] == id;
			if (dup || nids == 512)
				continue;
			ids[nids++] = id;
			fd = bpf_prog_get_fd_by_id(id);
			if (fd >= 0) {
				struct bpf_prog_info info = {};
				__u32 len = sizeof(info);

				if (!bpf_obj_get_info_by_fd(fd, &info, &len))
					sum += info.recursion_misses;
				close(fd);
			}
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

/* Events the kernel skipped because a program was already running on that
 * CPU are reported, in each interval and in the summary, never fewer than
 * the kernel had counted before that report. (Whether any happen depends
 * on interrupts landing inside a traced event: the load below, files and
 * loopback traffic, makes that likely but not certain.) */
TEST_FULL(e2e_leak_kernel_recursion_misses, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	struct bg ms = {};
	long long seen = -1, reported = -1;
	char *rep;

	{
		const char *args[] = { NULL };

		if (!start_leak(&ms, args))
			goto out;
	}
	for (int round = 0; round < 3; round++) {
		struct jlines l;

		if (system("for i in 1 2 3 4 5 6 7 8; do cat /proc/self/maps /proc/kallsyms "
			   ">/dev/null; done 2>/dev/null"))
			test_log("load command failed");
		seen = kernel_recursion_misses(ms.pid);
		rep = fresh_report(&ms);
		if (rep && parse_jlines_str(rep, &l)) {
			const struct jv *iv = jl_req(&l, "interval");

			reported = jv_req_i(jv_req_o(iv, "drops"), "recursion_misses");
			jlines_free(&l);
		}
		free(rep);
		test_log("round %d: the kernel had counted %lld, the next report says %lld", round,
			 seen, reported);
		ASSERT_GE(seen, 0, "memscope's programs found");
		ASSERT_GE(reported, seen, "the report counts what the kernel counted before it");
	}
	if (!ASSERT_EQ(bg_stop(&ms, SIGINT, 30000), 0, "exit status"))
		test_log("stderr: %s", ms.err);
	{
		struct jlines l;

		if (parse_jlines_str(ms.out, &l)) {
			const struct jv *sum = jl_req(&l, "summary");

			ASSERT_GE(jv_req_i(jv_req_o(sum, "drops"), "recursion_misses"), reported,
				  "the summary counts them too");
			jlines_free(&l);
		}
	}
out:
	bg_free(&ms);
	assert_no_progs_left(before, "after recursion misses");
}

/* kmemwl MODE ARGS... , once ready. */
static bool start_kmemwl(struct bg *wl, char *const *args)
{
	char *argv[8];
	int n = 0;

	argv[n++] = (char *)bin_path("tests/workloads/kmemwl");
	for (; *args && n < 7; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (!ASSERT_OK(bg_start(wl, argv, NULL), "start kmemwl"))
		return false;
	return ASSERT_TRUE(bg_wait_out(wl, "ready", NULL, 30000), "kmemwl is ready");
}

/* A summary field of memscope's output, -1 when missing. */
static long long summary_field(const char *out, const char *key)
{
	struct jlines l;
	long long v = -1;

	if (parse_jlines_str(out, &l)) {
		v = jv_req_i(jl_req(&l, "summary"), key);
		jlines_free(&l);
	}
	return v;
}

/* Pages a munmap frees go through the batched path (6.1's
 * free_unref_page_list, 6.12+'s free_unref_folios), where the kernel
 * reports each page twice: mm_page_free, then mm_page_free_batched. The
 * workload's own ledger: NPAGES pages touched, then unmapped at once. */
TEST_FULL(e2e_leak_kernel_pages_batched, T_ROOT | T_E2E, 300)
{
	enum { NPAGES = 8192, PAGE_SLACK = 64 };
	unsigned before = bpf_prog_max_id();
	char num[16], pid[16], *rep;
	char *wargs[] = { "pages", num, NULL };
	struct bg ms = {}, wl = {};
	long long held = -1, after = -1, frees;

	snprintf(num, sizeof(num), "%d", NPAGES);
	if (!start_kmemwl(&wl, wargs))
		goto out;
	snprintf(pid, sizeof(pid), "%d", wl.pid);
	{
		const char *args[] = { "--kernel", "-p", pid, "--by-cache", NULL };

		if (!start_leak(&ms, args))
			goto out;
	}
	kill(wl.pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(&wl, "touched", NULL, 60000), "pages touched");
	rep = fresh_report(&ms);
	held = cache_count(rep, "page allocator", false);
	free(rep);
	kill(wl.pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(&wl, "unmapped", NULL, 60000), "pages unmapped");
	for (int i = 0; i < 8; i++) {
		rep = fresh_report(&ms);
		after = cache_count(rep, "page allocator", false);
		free(rep);
		if (after >= 0 && after <= PAGE_SLACK)
			break;
		usleep(500 * 1000);
	}
	bg_stop(&wl, SIGTERM, 10000);
	ASSERT_EQ(bg_stop(&ms, SIGINT, 30000), 0, "exit status");
	frees = summary_field(ms.out, "frees");
	test_log("pages outstanding: %lld with %d touched, %lld after munmap; %lld tracked frees",
		 held, NPAGES, after, frees);
	/* Page tables and the workload's own stack and buffers: a few more. */
	ASSERT_GE(held, NPAGES, "every touched page outstanding");
	ASSERT_LE(held, NPAGES + PAGE_SLACK, "and only the workload's");
	ASSERT_LE(after, PAGE_SLACK, "the batched frees seen (through mm_page_free)");
	ASSERT_GE(frees, NPAGES, "each page's free counted");
out:
	bg_free(&wl);
	bg_free(&ms);
	assert_no_progs_left(before, "after batched page frees");
}

/* /proc/slabinfo's active objects per cache, as the test reads it. */
struct slab_snap {
	int n;
	char name[1024][64];
	long long active[1024];
};

static void slab_snap(struct slab_snap *s)
{
	char line[512];
	unsigned long long active;
	FILE *f = fopen("/proc/slabinfo", "re");

	s->n = 0;
	while (f && s->n < 1024 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu", s->name[s->n], &active) == 2 && line[0] != '#')
			s->active[s->n++] = active;
	if (f)
		fclose(f);
}

static long long snap_active(const struct slab_snap *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->active[i];
	return -1;
}

/* The largest active count of each cache, read every 2 ms until stop:
 * while the report is made, other processes (and memscope itself, whose
 * own mappings take maple nodes) move the counts, and memscope's reading
 * falls somewhere in between. */
struct slab_poll {
	struct slab_snap max, now;
	volatile bool stop;
	pthread_t t;
};

static void *slab_poller(void *arg)
{
	struct slab_poll *p = arg;

	while (!p->stop) {
		slab_snap(&p->now);
		for (int i = 0; i < p->now.n; i++) {
			int k = 0;

			while (k < p->max.n && strcmp(p->max.name[k], p->now.name[i]))
				k++;
			if (k == p->max.n) {
				if (k == 1024)
					continue;
				memcpy(p->max.name[k], p->now.name[i], sizeof(p->max.name[k]));
				p->max.active[k] = 0;
				p->max.n++;
			}
			if (p->now.active[i] > p->max.active[k])
				p->max.active[k] = p->now.active[i];
		}
		usleep(2000);
	}
	return NULL;
}

/* The maple tree frees its nodes in bulk (kmem_cache_free_bulk, and
 * kfree_rcu batches through kfree_bulk), past the kmem tracepoints. A
 * workload churning vmas makes many (and keeps its last 512 vmas: some
 * caches are outstanding whatever is traced); whether or not this kernel lets
 * memscope trace bulk frees (fentry), no cache is ever reported with more
 * outstanding objects than /proc/slabinfo counts as active for it (read
 * here before and after the report, and every 2 ms while it is made: it
 * moves in between). */
TEST_FULL(e2e_leak_kernel_bulk_slabinfo, T_ROOT | T_E2E, 600)
{
	static struct slab_snap s1, s2;
	static struct slab_poll sp;
	unsigned before = bpf_prog_max_id();
	char pid[16], *rep = NULL;
	char *wargs[] = { "maple", "512", "40", NULL };
	struct bg ms = {}, wl = {};
	struct jlines l;
	int caches = 0;

	if (!start_kmemwl(&wl, wargs))
		goto out;
	snprintf(pid, sizeof(pid), "%d", wl.pid);
	{
		const char *args[] = { "--kernel", "-p", pid, "--by-cache", "-T", "0", NULL };

		if (!start_leak(&ms, args))
			goto out;
	}
	kill(wl.pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(&wl, "churned", NULL, 240000), "vmas churned");
	/* After an RCU grace period or two the deferred frees are done. */
	usleep(1000 * 1000);
	slab_snap(&s1);
	sp.stop = false;
	if (!ASSERT_OK(pthread_create(&sp.t, NULL, slab_poller, &sp), "a slabinfo poller"))
		goto stop;
	rep = fresh_report(&ms);
	sp.stop = true;
	pthread_join(sp.t, NULL);
	slab_snap(&s2);
	if (!ASSERT_TRUE(rep && parse_jlines_str(rep, &l), "a report"))
		goto stop;
	for (int i = 0; i < l.n; i++) {
		long long seen, a1, a2, hi;
		const char *c;

		if (!jv_type_is(l.recs[i], "stack"))
			continue;
		c = jv_req_sn(l.recs[i], "cache");
		jv_req_b(l.recs[i], "capped");
		if (!c || (a1 = snap_active(&s1, c)) < 0 || (a2 = snap_active(&s2, c)) < 0)
			continue;
		caches++;
		seen = jv_req_i(l.recs[i], "count");
		hi = snap_active(&sp.max, c);
		hi = a1 > hi ? a1 : hi;
		hi = a2 > hi ? a2 : hi;
		if (!strcmp(c, "maple_node") || seen > a1 || seen > a2)
			test_log("%s: %lld outstanding reported, %lld / %lld active in slabinfo "
				 "before / after, at most %lld meanwhile", c, seen, a1, a2, hi);
		ASSERT_LE(seen, hi, "never more outstanding than the cache holds");
	}
	{
		const struct jv *iv = jl_req(&l, "interval"), *capped = jv_req_a(iv, "capped_caches");

		jv_req_b(iv, "bulk_frees_traced");
		for (size_t k = 0; capped && k < capped->len; k++)
			test_log("capped: %s, %lld tracked, %lld active",
				 jv_req_s(capped->items[k], "cache") ?: "?",
				 jv_req_i(capped->items[k], "tracked"),
				 jv_req_i(capped->items[k], "slab_active"));
	}
	jlines_free(&l);
stop:
	bg_stop(&wl, SIGTERM, 10000);
	ASSERT_EQ(bg_stop(&ms, SIGINT, 30000), 0, "exit status");
	if (parse_jlines_str(ms.out, &l)) {
		const struct jv *sum = jl_req(&l, "summary");
		bool traced = jv_req_b(sum, "bulk_frees_traced");

		test_log("%d caches with a slabinfo entry reported; bulk frees traced: %s, %lld "
			 "objects", caches, traced ? "yes" : "no", jv_req_i(sum, "bulk_freed"));
		/* Where fentry is allowed the workload's vma churn frees
		 * maple nodes in bulk: seen. */
		if (traced)
			ASSERT_GT(jv_req_i(sum, "bulk_freed"), 0, "bulk frees seen");
		jlines_free(&l);
	}
	ASSERT_GT(caches, 0, "caches reported");
out:
	free(rep);
	bg_free(&wl);
	bg_free(&ms);
	assert_no_progs_left(before, "after bulk frees");
}

/* The path cache must not give a softirq's allocation the stack the
 * interrupted task last took at the same call site. The workload's ledger:
 * 1 listener and N client sockets made by socket(), N child sockets made
 * when the handshake's last ACK reaches the listener, in the softirq
 * connect() raises on loopback (or in ksoftirqd, which -p does not
 * follow); all from one call site (sk_prot_alloc) of the TCP cache. */
static bool frames_have(const struct jv *fr, const char *const *subs)
{
	for (size_t k = 0; fr && k < fr->len; k++) {
		const char *sym = jv_req_sn(fr->items[k], "sym");

		for (const char *const *s = subs; sym && *s; s++)
			if (strstr(sym, *s))
				return true;
	}
	return false;
}

TEST_FULL(e2e_leak_kernel_softirq_stacks, T_ROOT | T_E2E, 300)
{
	enum { NCONN = 200 };
	static const char *const softirq[] = { "softirq", "net_rx_action", NULL };
	static const char *const sock[] = { "sys_socket", NULL };
	unsigned before = bpf_prog_max_id();
	char num[16], pid[16], *rep = NULL;
	char *wargs[] = { "tcp", num, NULL };
	long long in_softirq = 0, in_socket = 0, other = 0;
	struct bg ms = {}, wl = {};
	struct jlines l;

	snprintf(num, sizeof(num), "%d", NCONN);
	if (!start_kmemwl(&wl, wargs))
		goto out;
	snprintf(pid, sizeof(pid), "%d", wl.pid);
	{
		const char *args[] = { "--kernel", "-p", pid, "-T", "0", NULL };

		if (!start_leak(&ms, args))
			goto out;
	}
	kill(wl.pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(&wl, "connected", NULL, 60000), "connections made");
	rep = fresh_report(&ms);
	bg_stop(&wl, SIGTERM, 10000);
	ASSERT_EQ(bg_stop(&ms, SIGINT, 30000), 0, "exit status");
	if (!ASSERT_TRUE(rep && parse_jlines_str(rep, &l), "a report"))
		goto out;
	for (int i = 0; i < l.n; i++) {
		const struct jv *fr;
		const char *c;
		long long n;

		if (!jv_type_is(l.recs[i], "stack"))
			continue;
		c = jv_req_sn(l.recs[i], "cache");
		if (!c || strcmp(c, "TCP"))
			continue;
		fr = jv_req_a(l.recs[i], "frames");
		n = jv_req_i(l.recs[i], "count");
		if (frames_have(fr, softirq))
			in_softirq += n;
		else if (frames_have(fr, sock))
			in_socket += n;
		else
			other += n;
	}
	jlines_free(&l);
	test_log("TCP sockets outstanding: %lld on socket()'s path, %lld in softirq, %lld other "
		 "(%d connections)", in_socket, in_softirq, other, NCONN);
	ASSERT_EQ(in_socket, NCONN + 1, "the listener and the clients: socket()'s path, no more");
	ASSERT_LE(in_softirq, NCONN, "the children: in softirq");
	ASSERT_GT(in_softirq, NCONN / 2, "most children in connect()'s softirq");
	ASSERT_EQ(other, 0, "no TCP socket on another path");
out:
	free(rep);
	bg_free(&wl);
	bg_free(&ms);
	assert_no_progs_left(before, "after softirq stacks");
}
