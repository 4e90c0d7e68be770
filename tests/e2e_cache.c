// SPDX-License-Identifier: GPL-2.0
/* `memscope cachestat` and `cachetop` against the page cache's own truth:
 * a workload (tests/workloads/cachewl.c) prepares a file (cold, warm, half
 * or every other 16 pages evicted), measures with mincore() which pages
 * are resident, reads it (or writes, or maps it), and reports what a
 * correct tracer must count: pages requested, those not resident before
 * (misses), pages added. memscope watches only that process (-p). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "memcg.h"
#include "scratch.h"
#include "run.h"

#define FILE_MIB 64

static double fabs_(double x)
{
	return x < 0 ? -x : x;
}

/* mkdir -p */
static int mkdir_p(const char *path)
{
	char p[4600];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(p, 0755) && errno != EEXIST ? -errno : 0;
}

/* A count of a read's pages (requested, misses) against its truth: exact,
 * except in the tp_btf mode, where the kernel skips mm_filemap_get_pages
 * for a batch of pages that ends on a folio it then waits for (under
 * I/O, readahead's), and uses the batch without it: a read that begins
 * with such a batch is seen from its second batch on. There a count may
 * fall short of the truth, by 2% at most here, never exceed it. */
static void read_pages(const struct jlines *trace, long long got, long long truth,
		       const char *what)
{
	const char *mode = jv_req_s(jl_req(trace, "attached"), "attach");

	if (!mode || strcmp(mode, "tp_btf")) {
		ASSERT_EQ(got, truth, what);
		return;
	}
	if (got != truth)
		test_log("%s: %lld of %lld (tp_btf: reads seen from their second batch)", what,
			 got, truth);
	ASSERT_LE(got, truth, what);
	ASSERT_GE(got, truth - truth / 50, what);
}

struct outcome {
	struct jlines truth, trace;
	const struct jv *t;		/* the workload's truth record */
	const struct jv *sum;		/* memscope's summary */
	bool ok;
};

/* MEMSCOPE_ATTACH=... for the runs of memscope, NULL: none. */
static const char *forced_mode;

/* Run cachewl with args under `memscope TOOL -j -p PID ARGS...`: start it,
 * attach, let it do its one thing, collect both sides. */
static void traced(struct outcome *out, const char *const *wl_args, const char *const *ms_args)
{
	char env[64];
	const char *envv[] = { env, NULL };
	struct run_opts mo = { .env = forced_mode ? envv : NULL };

	char *wl[16] = { (char *)bin_path("tests/workloads/cachewl") }, *ms[24], pid[16];
	struct bg w, m;
	size_t at = 0;
	int n = 1;

	memset(out, 0, sizeof(*out));
	for (; *wl_args && n < 15; wl_args++)
		wl[n++] = (char *)*wl_args;
	wl[n] = NULL;
	if (!ASSERT_OK(bg_start(&w, wl, NULL), "start the workload"))
		return;
	if (!ASSERT_TRUE(bg_wait_out(&w, "ready", NULL, 120000), "the workload is ready")) {
		test_log("stderr: %s", w.err);
		bg_free(&w);
		return;
	}
	snprintf(pid, sizeof(pid), "%d", w.pid);
	n = 0;
	ms[n++] = (char *)bin_path("memscope");
	for (; *ms_args && n < 18; ms_args++)
		ms[n++] = (char *)*ms_args;
	ms[n++] = "-j";
	ms[n++] = "-p";
	ms[n++] = pid;
	ms[n++] = "1";
	ms[n] = NULL;
	snprintf(env, sizeof(env), "MEMSCOPE_ATTACH=%s", forced_mode ? forced_mode : "");
	if (!ASSERT_OK(bg_start(&m, ms, &mo), "start memscope"))
		goto out;
	if (!ASSERT_TRUE(bg_wait_out(&m, "\"type\":\"attached\"", &at, 30000), "attached")) {
		test_log("stderr: %s", m.err);
		goto out2;
	}
	if (forced_mode)
		ASSERT_CONTAINS(m.out, forced_mode, "in the forced mode");
	kill(w.pid, SIGUSR1);
	if (!ASSERT_TRUE(bg_wait_out(&w, "{\"type\":\"truth\"", NULL, 300000), "the workload is done"))
		goto out2;
	/* Let the last events reach the counters. */
	usleep(200 * 1000);
	ASSERT_EQ(bg_stop(&m, SIGINT, 30000), 0, "memscope exit status");
	out->ok = parse_jlines_str(strstr(w.out, "{\"type\":\"truth\""), &out->truth) &&
		  parse_jlines_str(m.out, &out->trace);
	if (out->ok) {
		out->t = out->truth.recs[0];
		out->sum = jl_req(&out->trace, "summary");
		out->ok = out->sum != NULL;
	}
out2:
	bg_free(&m);
out:
	bg_stop(&w, SIGTERM, 10000);
	bg_free(&w);
}

static void outcome_free(struct outcome *o)
{
	if (o->ok) {
		jlines_free(&o->truth);
		jlines_free(&o->trace);
	}
}

/* A read of the whole file in blocks of bs, from state, by op (read,
 * sendfile, splice: cachewl's): requested and misses exact, the ratio
 * what mincore said was resident. */
static void read_case_by(const char *file, const char *op, const char *state, const char *bs)
{
	const char *wl[] = { file, op, state, bs, NULL };
	const char *ms[] = { "cachestat", NULL };
	struct outcome o;
	long long req, miss;
	char what[96];

	traced(&o, wl, ms);
	if (!o.ok)
		return;
	req = jv_req_i(o.t, "requested");
	miss = jv_req_i(o.t, "misses");
	test_log("%s%s%-4s bs %-8s: requested %lld/%lld, misses %lld/%lld, ratio %.4f",
		 strcmp(op, "read") ? op : "", strcmp(op, "read") ? " " : "", state, bs,
		 jv_req_i(o.sum, "requested_pages"), req, jv_req_i(o.sum, "miss_pages"), miss,
		 jv_req_n(o.sum, "hit_ratio"));
	snprintf(what, sizeof(what), "%s %s, bs %s: requested pages", op, state, bs);
	read_pages(&o.trace, jv_req_i(o.sum, "requested_pages"), req, what);
	snprintf(what, sizeof(what), "%s %s, bs %s: misses", op, state, bs);
	read_pages(&o.trace, jv_req_i(o.sum, "miss_pages"), miss, what);
	snprintf(what, sizeof(what), "%s %s, bs %s: hit ratio within 1%% of mincore's", op, state,
		 bs);
	ASSERT_TRUE(req && fabs_(jv_req_n(o.sum, "hit_ratio") - (double)(req - miss) / req) <= 0.01,
		    what);
	ASSERT_EQ(jv_req_i(o.sum, "dirtied_pages"), 0, "a read dirties nothing");
	outcome_free(&o);
}

static void read_case(const char *file, const char *state, const char *bs)
{
	read_case_by(file, "read", state, bs);
}

/* The file of a test, made anew. */
static bool test_file(char *path, size_t len, char **dir)
{
	*dir = scratch_mkdtemp("cache");
	if (!*dir)
		test_skip("no block-backed file system for page-cache tests");
	snprintf(path, len, "%s/data", *dir);
	return scratch_make_file(path, FILE_MIB);
}

static void test_file_done(const char *path, const char *dir)
{
	unlink(path);
	rmdir(dir);
}

TEST_FULL(e2e_cache_read_states, T_ROOT | T_E2E, 600)
{
	static const char *const states[] = { "cold", "warm", "half", "alt" };
	unsigned before = bpf_prog_max_id();
	char path[128], *dir;

	if (!test_file(path, sizeof(path), &dir))
		return;
	for (size_t i = 0; i < 4; i++)
		read_case(path, states[i], "1048576");
	test_file_done(path, dir);
	assert_no_progs_left(before, "after the read states");
}

TEST_FULL(e2e_cache_block_sizes, T_ROOT | T_E2E, 900)
{
	static const char *const sizes[] = { "4096", "131072", "1048576", "16777216" };
	unsigned before = bpf_prog_max_id();
	char path[128], *dir;

	if (!test_file(path, sizeof(path), &dir))
		return;
	for (size_t i = 0; i < 4; i++) {
		read_case(path, "cold", sizes[i]);
		read_case(path, "half", sizes[i]);
	}
	test_file_done(path, dir);
	assert_no_progs_left(before, "after the block sizes");
}

/* Only the first MiB of a cold file: readahead brings more than was asked
 * for; that is waste, not misses, and the ratio stays in [0, 1]. A read
 * from the last page on asks for that page only, however long it is. */
/* splice() and sendfile() from a file read it too (through
 * filemap_splice_read() on 6.5+, filemap_read() before; busybox cat
 * reads by sendfile). */
TEST_FULL(e2e_cache_splice_sendfile, T_ROOT | T_E2E, 600)
{
	unsigned before = bpf_prog_max_id();
	char path[128], *dir;

	if (!test_file(path, sizeof(path), &dir))
		return;
	read_case_by(path, "sendfile", "cold", "1048576");
	read_case_by(path, "sendfile", "half", "1048576");
	read_case_by(path, "splice", "half", "65536");
	test_file_done(path, dir);
	assert_no_progs_left(before, "after splice and sendfile");
}

TEST_FULL(e2e_cache_partial_and_past_eof, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char path[128], *dir, off[32];
	const char *ms[] = { "cachestat", NULL };
	struct outcome o;

	if (!test_file(path, sizeof(path), &dir))
		return;
	{
		const char *wl[] = { path, "read", "cold", "65536", "0", "1048576", NULL };

		traced(&o, wl, ms);
	}
	if (o.ok) {
		long long added = jv_req_i(o.t, "added"), waste = jv_req_i(o.sum,
								     "readahead_waste_pages");

		test_log("first MiB, cold: requested %lld, misses %lld, added %lld, waste %lld",
			 jv_req_i(o.sum, "requested_pages"), jv_req_i(o.sum, "miss_pages"), added,
			 waste);
		ASSERT_EQ(jv_req_i(o.sum, "requested_pages"), 256, "256 pages requested");
		ASSERT_EQ(jv_req_i(o.sum, "miss_pages"), 256, "all of them misses");
		ASSERT_EQ(waste, added - 256, "what readahead added beyond them is waste");
		ASSERT_GT(waste, 0, "readahead did add more");
		ASSERT_TRUE(jv_req_n(o.sum, "hit_ratio") >= 0 && jv_req_n(o.sum, "hit_ratio") <= 1,
			    "the ratio is a ratio");
		outcome_free(&o);
	}
	snprintf(off, sizeof(off), "%ld", (long)FILE_MIB * 1048576 - 4096);
	{
		const char *wl[] = { path, "read", "warm", "1048576", off, "1048576", NULL };

		traced(&o, wl, ms);
	}
	if (o.ok) {
		ASSERT_EQ(jv_req_i(o.sum, "requested_pages"), 1, "past the end: one page asked for");
		ASSERT_EQ(jv_req_i(o.sum, "miss_pages"), 0, "and it was cached");
		outcome_free(&o);
	}
	{
		const char *wl[] = { path, "overlap", NULL };

		traced(&o, wl, ms);
	}
	if (o.ok) {
		test_log("pages 0-9, then 5-9: requested %lld in %lld reads",
			 jv_req_i(o.sum, "requested_pages"), jv_req_i(o.sum, "reads"));
		ASSERT_EQ(jv_req_i(o.sum, "requested_pages"), jv_req_i(o.t, "requested"),
			  "two reads ending on the same page: both counted");
		ASSERT_EQ(jv_req_i(o.sum, "reads"), 2, "two reads");
		outcome_free(&o);
	}
	test_file_done(path, dir);
	assert_no_progs_left(before, "after partial reads");
}

/* Writing a new file: no read hits or misses; every page dirtied once and
 * added by the write. */
TEST_FULL(e2e_cache_write_only, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	const char *ms[] = { "cachestat", NULL };
	char path[128], *dir = scratch_mkdtemp("cache");
	struct outcome o;

	if (!dir)
		test_skip("no block-backed file system for page-cache tests");
	snprintf(path, sizeof(path), "%s/written", dir);
	{
		const char *wl[] = { path, "write", "16", NULL };

		traced(&o, wl, ms);
	}
	if (o.ok) {
		test_log("wrote %lld pages: dirtied %lld, write adds %lld", jv_req_i(o.t, "pages"),
			 jv_req_i(o.sum, "dirtied_pages"), jv_req_i(o.sum, "write_add_pages"));
		/* Its own pages, each once; and, on a file system without a
		 * journal (our host's ext4), the block of the inode table its
		 * size and times live in, dirtied by the writer itself when the
		 * flusher had cleaned it meanwhile (the journal's thread
		 * dirties it elsewhere). */
		ASSERT_GE(jv_req_i(o.sum, "dirtied_pages"), jv_req_i(o.t, "dirtied"),
			  "every page written dirtied");
		ASSERT_LE(jv_req_i(o.sum, "dirtied_pages"), jv_req_i(o.t, "dirtied") + 2,
			  "and at most the file's metadata besides");
		ASSERT_EQ(jv_req_i(o.sum, "write_add_pages"), jv_req_i(o.t, "pages"),
			  "added by the write");
		ASSERT_EQ(jv_req_i(o.sum, "requested_pages"), 0, "no reads");
		ASSERT_EQ(jv_req_i(o.sum, "miss_pages"), 0, "no misses");
		ASSERT_EQ(jv_req_i(o.sum, "readahead_waste_pages"), 0, "no readahead waste");
		ASSERT_TRUE(jv_is(jv_req(o.sum, "hit_ratio"), J_NULL), "no ratio without reads");
		outcome_free(&o);
	}
	unlink(path);
	rmdir(dir);
	assert_no_progs_left(before, "after writes");
}

/* Mapping a cold file and touching every page: the pages added by faults
 * are exactly the non-resident ones; no read ratio is claimed. */
TEST_FULL(e2e_cache_mmap_read, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	const char *ms[] = { "cachestat", NULL };
	char path[128], *dir;
	struct outcome o;

	if (!test_file(path, sizeof(path), &dir))
		return;
	{
		const char *wl[] = { path, "mmap", "half", NULL };

		traced(&o, wl, ms);
	}
	if (o.ok) {
		test_log("mmap, half cached: %lld pages added by faults (truth %lld), %lld faults",
			 jv_req_i(o.sum, "mmap_add_pages"), jv_req_i(o.t, "misses"),
			 jv_req_i(o.sum, "faults"));
		ASSERT_EQ(jv_req_i(o.sum, "mmap_add_pages"), jv_req_i(o.t, "misses"),
			  "pages added by faults: the non-resident ones");
		ASSERT_GT(jv_req_i(o.sum, "faults"), 0, "faults counted");
		ASSERT_EQ(jv_req_i(o.sum, "requested_pages"), 0, "no read requests");
		ASSERT_TRUE(jv_is(jv_req(o.sum, "hit_ratio"), J_NULL), "no ratio claimed for mmap");
		outcome_free(&o);
	}
	test_file_done(path, dir);
	assert_no_progs_left(before, "after mmap");
}

/* Two workloads at once, in memory cgroups of their own, reading two
 * files: cachetop keeps them apart by process, by cgroup and by file,
 * each row exactly its own reads. The second file lies 8 directories
 * deeper, under one with a 200-byte name: its path is still whole. */
static void two_readers(const char *by)
{
	unsigned before = bpf_prog_max_id();
	char p1[4300], p2[4600], *dir, pid[2][16], longname[201];
	struct memcg cg[2];
	struct bg w[2], m;
	struct jlines tr[2], l;
	size_t at = 0;
	int made = 0;

	if (!(dir = scratch_mkdtemp("cache")))
		test_skip("no block-backed file system for page-cache tests");
	snprintf(p1, sizeof(p1), "%s/one", dir);
	memset(longname, 'n', 200);
	longname[200] = 0;
	snprintf(p2, sizeof(p2), "%s/d1/d2/d3/d4/d5/d6/d7/%s", dir, longname);
	if (!ASSERT_OK(mkdir_p(p2), "make the deep directory"))
		goto out;
	strcat(p2, "/two");
	if (!scratch_make_file(p1, 32) || !scratch_make_file(p2, 32))
		goto out;
	for (; made < 2; made++)
		if (!memcg_create_or_skip(&cg[made], 1ULL << 30, -1))
			goto out;
	for (int i = 0; i < 2; i++) {
		char *argv[] = { (char *)bin_path("tests/workloads/cachewl"), i ? p2 : p1, "read",
				 i ? "half" : "cold", "131072", NULL };
		struct run_opts o = { .memcg = cg[i].path };

		ASSERT_OK(bg_start(&w[i], argv, &o), "start a reader");
		ASSERT_TRUE(bg_wait_out(&w[i], "ready", NULL, 120000), "ready");
		snprintf(pid[i], sizeof(pid[i]), "%d", w[i].pid);
	}
	{
		char *argv[] = { (char *)bin_path("memscope"), "cachetop", "-j", "-b", "--by",
				 (char *)by, "-n", "0", "1", NULL };

		if (!ASSERT_OK(bg_start(&m, argv, NULL), "start cachetop"))
			goto stop;
	}
	if (!ASSERT_TRUE(bg_wait_out(&m, "\"type\":\"attached\"", &at, 30000), "attached"))
		goto stop2;
	kill(w[0].pid, SIGUSR1);
	kill(w[1].pid, SIGUSR1);
	for (int i = 0; i < 2; i++)
		ASSERT_TRUE(bg_wait_out(&w[i], "{\"type\":\"truth\"", NULL, 300000), "reader done");
	usleep(200 * 1000);
	ASSERT_EQ(bg_stop(&m, SIGINT, 30000), 0, "cachetop exit status");
	if (parse_jlines_str(m.out, &l)) {
		for (int i = 0; i < 2; i++) {
			const struct jv *row = NULL;
			char want[160], what[160];

			if (!parse_jlines_str(strstr(w[i].out, "{\"type\":\"truth\""), &tr[i]))
				continue;
			for (int k = 0; k < l.n && !row; k++) {
				const struct jv *r = l.recs[k];

				if (!jv_type_is(r, by) || !jv_req_b(r, "final") || jv_req_b(r, "other"))
					continue;
				if (!strcmp(by, "process") && jv_req_i(r, "pid") == w[i].pid)
					row = r;
				else if (!strcmp(by, "cgroup") &&
					 jv_req_i(r, "cgroup_id") == (long long)cg[i].id)
					row = r;
				else if (!strcmp(by, "file") && strstr(jv_req_s(r, "file"), i ? "/two" : "/one"))
					row = r;
			}
			snprintf(want, sizeof(want), "a final %s row for reader %d", by, i);
			if (!ASSERT_TRUE(row, want))
				continue;
			snprintf(what, sizeof(what), "%s %d: requested", by, i);
			read_pages(&l, jv_req_i(row, "requested_pages"),
				   jv_req_i(tr[i].recs[0], "requested"), what);
			snprintf(what, sizeof(what), "%s %d: misses", by, i);
			read_pages(&l, jv_req_i(row, "miss_pages"), jv_req_i(tr[i].recs[0], "misses"),
				   what);
			if (!strcmp(by, "file"))
				ASSERT_CONTAINS(jv_req_s(row, "file"), i ? p2 : p1, "the file's full path");
			test_log("%s %d: requested %lld, misses %lld (truth %lld, %lld)", by, i,
				 jv_req_i(row, "requested_pages"), jv_req_i(row, "miss_pages"),
				 jv_req_i(tr[i].recs[0], "requested"), jv_req_i(tr[i].recs[0], "misses"));
			jlines_free(&tr[i]);
		}
		jlines_free(&l);
	}
stop2:
	bg_free(&m);
stop:
	for (int i = 0; i < 2; i++) {
		bg_stop(&w[i], SIGTERM, 10000);
		bg_free(&w[i]);
	}
out:
	for (int i = 0; i < made; i++)
		memcg_destroy(&cg[i]);
	unlink(p1);
	unlink(p2);
	rmdir(dir);
	assert_no_progs_left(before, "after two readers");
}

TEST_FULL(e2e_cache_top_by_process, T_ROOT | T_E2E, 300)
{
	two_readers("process");
}

/* A process's row is made at its first event, often before its exec
 * (the kernel reads the new program through the page cache): its name is
 * the one after the exec. */
TEST_FULL(e2e_cache_top_comm_after_exec, T_ROOT | T_E2E, 120)
{
	unsigned before = bpf_prog_max_id();
	char path[128], cmd[200], *dir = scratch_mkdtemp("cache");
	char *sh[] = { "/bin/sh", "-c", cmd, NULL };
	struct bg m, w;
	struct jlines l;
	size_t at = 0;

	if (!dir)
		test_skip("no block-backed file system for page-cache tests");
	snprintf(path, sizeof(path), "%s/small", dir);
	if (!scratch_make_file(path, 1))
		return;
	snprintf(cmd, sizeof(cmd), "exec cat %s", path);
	{
		char *argv[] = { (char *)bin_path("memscope"), "cachetop", "-j", "-b", "-n", "0",
				 "1", NULL };

		if (!ASSERT_OK(bg_start(&m, argv, NULL), "start cachetop"))
			return;
	}
	if (!ASSERT_TRUE(bg_wait_out(&m, "\"type\":\"attached\"", &at, 30000), "attached"))
		goto out;
	if (!ASSERT_OK(bg_start(&w, sh, NULL), "start sh -c 'exec cat'"))
		goto out;
	bg_stop(&w, 0, 30000);
	usleep(300 * 1000);
	ASSERT_EQ(bg_stop(&m, SIGINT, 30000), 0, "cachetop exit status");
	if (parse_jlines_str(m.out, &l)) {
		const struct jv *row = NULL;

		for (int k = 0; k < l.n && !row; k++)
			if (jv_type_is(l.recs[k], "process") && jv_req_b(l.recs[k], "final") &&
			    jv_req_i(l.recs[k], "pid") == w.pid)
				row = l.recs[k];
		if (ASSERT_TRUE(row, "a final row for the process")) {
			ASSERT_STREQ(jv_req_s(row, "comm"), "cat", "its name after exec");
			ASSERT_GE(jv_req_i(row, "requested_pages"), 256, "its reads of the file");
		}
		jlines_free(&l);
	}
	bg_free(&w);
out:
	bg_free(&m);
	assert_no_progs_left(before, "after cachetop");
}

TEST_FULL(e2e_cache_top_by_cgroup, T_ROOT | T_E2E, 300)
{
	two_readers("cgroup");
}

TEST_FULL(e2e_cache_top_by_file, T_ROOT | T_E2E, 300)
{
	two_readers("file");
}

TEST(e2e_cache_bad_input, T_ROOT | T_E2E)
{
	static const struct bad_input cases[] = {
		{ { "cachestat", "-p", "4000000" }, 1, "no process with PID" },
		{ { "cachestat", "--cgroup", "/memscope-no-such-cgroup" }, 1, "no memory cgroup" },
		{ { "cachetop", "--by", "inode" }, 2, "--by takes" },
		{ { "cachetop", "--sort", "age" }, 2, "--sort takes" },
		{ { "cachestat", "--by", "file" }, 2, "cachetop's" },
		{ { "cachestat", "0" }, 2, "invalid interval" },
		{ { "cachestat", "1", "2", "3" }, 2, "unexpected argument" },
	};
	unsigned before = bpf_prog_max_id();

	assert_bad_inputs(cases);
	assert_no_progs_left(before, "after bad input");
}

/* More files than rows kept: what does not fit is counted under "other",
 * never dropped, and the summary says how often. */
TEST_FULL(e2e_cache_full_table, T_ROOT | T_E2E, 300)
{
	enum { FILES = 40 };
	unsigned before = bpf_prog_max_id();
	long long sum = 0, other = -1, truth = 0;
	char *dir = scratch_mkdtemp("cache"), path[128];
	struct bg m;
	struct jlines l;
	size_t at = 0;

	if (!dir)
		test_skip("no block-backed file system for page-cache tests");
	for (int i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		if (!scratch_make_file(path, 1))
			goto out;
	}
	{
		char *argv[] = { (char *)bin_path("memscope"), "cachetop", "-j", "-b", "--by", "file",
				 "--max-entities", "16", "-n", "0", "1", NULL };

		if (!ASSERT_OK(bg_start(&m, argv, NULL), "start cachetop"))
			goto out;
	}
	if (!ASSERT_TRUE(bg_wait_out(&m, "\"type\":\"attached\"", &at, 30000), "attached"))
		goto stop;
	for (int i = 0; i < FILES; i++) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cat %s/f%d >/dev/null", dir, i);
		if (system(cmd))
			test_log("cat failed");
		truth += 256;
	}
	usleep(300 * 1000);
	ASSERT_EQ(bg_stop(&m, SIGINT, 30000), 0, "exit status");
	if (parse_jlines_str(m.out, &l)) {
		for (int k = 0; k < l.n; k++) {
			const struct jv *r = l.recs[k];
			const char *f;

			if (!jv_type_is(r, "file") || !jv_req_b(r, "final"))
				continue;
			f = jv_req_s(r, "file");
			if (jv_req_b(r, "other"))
				other = jv_req_i(r, "requested_pages");
			else if (f && strstr(f, dir))
				sum += jv_req_i(r, "requested_pages");
		}
		test_log("%d files of 256 pages: %lld pages in rows of their own, %lld under other",
			 FILES, sum, other);
		ASSERT_GE(other, 1, "an \"other\" row");
		ASSERT_GE(sum + other, truth, "every page of the files counted somewhere");
		ASSERT_GT(jv_req_i(jv_req_o(jl_req(&l, "summary"), "drops"), "entities_map_full"), 0,
			  "the summary counts what went to other");
		jlines_free(&l);
	}
stop:
	bg_free(&m);
out:
	for (int i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		unlink(path);
	}
	rmdir(dir);
	assert_no_progs_left(before, "after a full table");
}

/* cachestat --cgroup: only the reads of the tasks of that memory cgroup,
 * while another process outside it reads another file; the refaults of
 * that cgroup where the kernel counts them per cgroup (v2). */
TEST_FULL(e2e_cache_cgroup_filter, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char p1[128], p2[128], *dir;
	struct bg w[2], m;
	struct jlines l, tr;
	struct memcg cg;
	size_t at = 0;

	if (!(dir = scratch_mkdtemp("cache")))
		test_skip("no block-backed file system for page-cache tests");
	snprintf(p1, sizeof(p1), "%s/inside", dir);
	snprintf(p2, sizeof(p2), "%s/outside", dir);
	if (!scratch_make_file(p1, 32) || !scratch_make_file(p2, 32) || !memcg_create_or_skip(&cg, 1ULL << 30, -1))
		goto out;
	for (int i = 0; i < 2; i++) {
		char *argv[] = { (char *)bin_path("tests/workloads/cachewl"), i ? p2 : p1, "read",
				 "cold", "131072", NULL };
		struct run_opts o = { .memcg = i ? NULL : cg.path };

		ASSERT_OK(bg_start(&w[i], argv, &o), "start a reader");
		ASSERT_TRUE(bg_wait_out(&w[i], "ready", NULL, 120000), "ready");
	}
	{
		char *argv[] = { (char *)bin_path("memscope"), "cachestat", "-j", "--cgroup", cg.path,
				 "1", NULL };

		if (!ASSERT_OK(bg_start(&m, argv, NULL), "start cachestat"))
			goto stop;
	}
	if (!ASSERT_TRUE(bg_wait_out(&m, "\"type\":\"attached\"", &at, 30000), "attached"))
		goto stop2;
	kill(w[0].pid, SIGUSR1);
	kill(w[1].pid, SIGUSR1);
	for (int i = 0; i < 2; i++)
		ASSERT_TRUE(bg_wait_out(&w[i], "{\"type\":\"truth\"", NULL, 300000), "reader done");
	usleep(200 * 1000);
	ASSERT_EQ(bg_stop(&m, SIGINT, 30000), 0, "exit status");
	if (parse_jlines_str(m.out, &l) &&
	    parse_jlines_str(strstr(w[0].out, "{\"type\":\"truth\""), &tr)) {
		const struct jv *sum = jl_req(&l, "summary"), *iv = jl_req_last(&l, "interval");

		read_pages(&l, jv_req_i(sum, "requested_pages"), jv_req_i(tr.recs[0], "requested"),
			   "the cgroup's reads only");
		read_pages(&l, jv_req_i(sum, "miss_pages"), jv_req_i(tr.recs[0], "misses"),
			   "the cgroup's misses only");
		/* v2 counts refaults per cgroup; v1 does not say. */
		if (cg.version == 2)
			ASSERT_GE(jv_req_in(iv, "refault_pages", -1), 0, "refaults of the cgroup");
		jlines_free(&tr);
		jlines_free(&l);
	}
stop2:
	bg_free(&m);
stop:
	for (int i = 0; i < 2; i++) {
		bg_stop(&w[i], SIGTERM, 10000);
		bg_free(&w[i]);
	}
	memcg_destroy(&cg);
out:
	unlink(p1);
	unlink(p2);
	rmdir(dir);
	assert_no_progs_left(before, "after --cgroup");
}

/* As a user with CAP_BPF and CAP_PERFMON only, as the README promises:
 * cachestat and cachetop --by cgroup load, attach, report and detach. */
TEST_FULL(e2e_cache_bpf_perfmon, T_ROOT | T_E2E, 180)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000, .uid = 65534, .caps = CAP_BPF_PERFMON,
			      .signal_after_ms = 2500 };

	for (int i = 0; i < 2; i++) {
		struct run_result r;
		struct jlines l;

		if (i)
			ASSERT_OK(run_memscope(&o, &r, "cachetop", "-j", "--by", "cgroup", "1", NULL),
				  "run cachetop");
		else
			ASSERT_OK(run_memscope(&o, &r, "cachestat", "-j", "1", NULL), "run cachestat");
		test_log("%s: stderr: %.300s", i ? "cachetop" : "cachestat", r.err);
		ASSERT_EQ(r.status, 0, "exit status");
		if (parse_jlines(&r, &l)) {
			ASSERT_TRUE(jl_req(&l, "attached") != NULL, "attached");
			ASSERT_TRUE(jl_req(&l, "interval") != NULL, "an interval reported");
			ASSERT_TRUE(jl_req(&l, "summary") != NULL, "through to the summary");
			jlines_free(&l);
		}
		run_result_free(&r);
	}
	assert_no_progs_left(before, "after cachestat with CAP_BPF+CAP_PERFMON");
}

/* Every mode the kernel offers counts the same: each one probe says loads
 * here (fentry and kprobe on the 6.1 and 6.12 guests; 6.1 has no
 * mm_filemap_get_pages), forced, against the same truth. */
TEST_FULL(e2e_cache_modes, T_ROOT | T_E2E, 900)
{
	static const char *const modes[] = { "tp_btf", "fentry", "kprobe" };
	unsigned before = bpf_prog_max_id();
	char path[128], *dir;
	struct run_result r;
	struct jlines l;
	int ran = 0;

	ASSERT_OK(run_memscope(NULL, &r, "probe", "-j", NULL), "probe");
	if (!parse_jlines(&r, &l)) {
		run_result_free(&r);
		return;
	}
	if (!test_file(path, sizeof(path), &dir))
		goto out;
	for (size_t i = 0; i < 3; i++) {
		const struct jv *job = jlines_find(&l, NULL, "tool", "job", "cache");
		const struct jv *ms = jv_req_a(job, "modes");
		bool loads = false;

		for (size_t k = 0; ms && k < ms->len; k++)
			if (!strcmp(jv_req_s(ms->items[k], "mode"), modes[i]))
				loads = jv_req_b(ms->items[k], "loads");
		test_log("mode %s: %s here", modes[i], loads ? "loads" : "does not load");
		if (!loads)
			continue;
		forced_mode = modes[i];
		read_case(path, "cold", "131072");
		read_case(path, "half", "4096");
		read_case_by(path, "sendfile", "half", "1048576");
		{
			const char *wl[] = { path, "mmap", "half", NULL };
			const char *mst[] = { "cachestat", NULL };
			struct outcome o;

			traced(&o, wl, mst);
			if (o.ok) {
				ASSERT_EQ(jv_req_i(o.sum, "mmap_add_pages"), jv_req_i(o.t, "misses"),
					  "pages added by faults");
				outcome_free(&o);
			}
		}
		forced_mode = NULL;
		ran++;
	}
	ASSERT_GE(ran, 1, "at least one mode runs here");
	test_file_done(path, dir);
out:
	jlines_free(&l);
	run_result_free(&r);
	assert_no_progs_left(before, "after the modes");
}
