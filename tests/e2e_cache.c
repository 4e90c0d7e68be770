// SPDX-License-Identifier: GPL-2.0
/* `memscope cachestat` and `cachetop` against the page cache's own truth:
 * a workload (tests/workloads/cachewl.c) prepares a file (cold, warm, half
 * or every other 16 pages evicted), measures with mincore() which pages
 * are resident, reads it (or writes, or maps it), and reports what a
 * correct tracer must count: pages requested, those not resident before
 * (misses), pages added. memscope watches only that process (-p). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"

#define FILE_MIB 64

static double fabs_(double x)
{
	return x < 0 ? -x : x;
}

/* A directory on a block-backed file system (page cache that posix_fadvise
 * can evict), NULL if there is none here. */
static char *scratch(void)
{
	static char dir[64];
	static const char *const bases[] = { "/scratch", "/var/tmp", "/tmp" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(dir, sizeof(dir), "%s/memscope-cache.XXXXXX", bases[i]);
		if (mkdtemp(dir))
			return dir;
	}
	return NULL;
}

static bool make_file(const char *path, int mib)
{
	char n[16], *argv[] = { (char *)bin_path("tests/workloads/cachewl"), (char *)path, "make",
				n, NULL };
	struct run_result r;
	bool ok;

	snprintf(n, sizeof(n), "%d", mib);
	ok = ASSERT_OK(run_argv(argv, NULL, &r), "make the file") &&
	     ASSERT_EQ(r.status, 0, "cachewl make");
	run_result_free(&r);
	return ok;
}

struct outcome {
	struct jlines truth, trace;
	const struct jv *t;		/* the workload's truth record */
	const struct jv *sum;		/* memscope's summary */
	bool ok;
};

/* Run cachewl with args under `memscope TOOL -j -p PID ARGS...`: start it,
 * attach, let it do its one thing, collect both sides. */
static void traced(struct outcome *out, const char *const *wl_args, const char *const *ms_args)
{
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
	if (!ASSERT_OK(bg_start(&m, ms, NULL), "start memscope"))
		goto out;
	if (!ASSERT_TRUE(bg_wait_out(&m, "\"type\":\"attached\"", &at, 30000), "attached")) {
		test_log("stderr: %s", m.err);
		goto out2;
	}
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

/* A read of the whole file in blocks of bs, from state: requested and
 * misses exact, the ratio what mincore said was resident. */
static void read_case(const char *file, const char *state, const char *bs)
{
	const char *wl[] = { file, "read", state, bs, NULL };
	const char *ms[] = { "cachestat", NULL };
	struct outcome o;
	long long req, miss;
	char what[96];

	traced(&o, wl, ms);
	if (!o.ok)
		return;
	req = jv_req_i(o.t, "requested");
	miss = jv_req_i(o.t, "misses");
	test_log("%-4s bs %-8s: requested %lld/%lld, misses %lld/%lld, ratio %.4f", state, bs,
		 jv_req_i(o.sum, "requested_pages"), req, jv_req_i(o.sum, "miss_pages"), miss,
		 jv_req_n(o.sum, "hit_ratio"));
	snprintf(what, sizeof(what), "%s, bs %s: requested pages", state, bs);
	ASSERT_EQ(jv_req_i(o.sum, "requested_pages"), req, what);
	snprintf(what, sizeof(what), "%s, bs %s: misses", state, bs);
	ASSERT_EQ(jv_req_i(o.sum, "miss_pages"), miss, what);
	snprintf(what, sizeof(what), "%s, bs %s: hit ratio within 1%% of mincore's", state, bs);
	ASSERT_TRUE(req && fabs_(jv_req_n(o.sum, "hit_ratio") - (double)(req - miss) / req) <= 0.01,
		    what);
	ASSERT_EQ(jv_req_i(o.sum, "dirtied_pages"), 0, "a read dirties nothing");
	outcome_free(&o);
}

/* The file of a test, made anew. */
static bool test_file(char *path, size_t len, char **dir)
{
	*dir = scratch();
	if (!*dir)
		test_skip("no block-backed file system for page-cache tests");
	snprintf(path, len, "%s/data", *dir);
	return make_file(path, FILE_MIB);
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
	test_file_done(path, dir);
	assert_no_progs_left(before, "after partial reads");
}

/* Writing a new file: no read hits or misses; every page dirtied once and
 * added by the write. */
TEST_FULL(e2e_cache_write_only, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	const char *ms[] = { "cachestat", NULL };
	char path[128], *dir = scratch();
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
		ASSERT_EQ(jv_req_i(o.sum, "dirtied_pages"), jv_req_i(o.t, "dirtied"), "dirtied exactly");
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
