// SPDX-License-Identifier: GPL-2.0
/* `memscope leak`: what its output says beyond the allocator ledger (see
 * e2e_leak.c) — file mappings apart from allocations, the allocator's own
 * mappings not counted, counts that agree with each other, C++ names
 * demangled, file:line in large libraries, and a -c command that gets
 * Ctrl-C before it is ended. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"

static bool is_final(const struct jv *r, const char *type)
{
	return jv_type_is(r, type) && jv_req_b(r, "final");
}

/* Bytes and count of the final records of type whose innermost frame is
 * site at line. */
static void sum_at(const struct jlines *out, const char *type, const char *site, long long line,
		   long long *bytes, long long *count)
{
	*bytes = *count = 0;
	for (int i = 0; i < out->n; i++) {
		const struct jv *r = out->recs[i], *f;
		const char *sym;

		if (!is_final(r, type) || !(f = jv_at(jv_req_a(r, "frames"), 0)))
			continue;
		sym = jv_req_sn(f, "sym");
		if (!sym || strcmp(sym, site) || jv_req_in(f, "line", -1) != line)
			continue;
		*bytes += jv_req_i(r, "bytes");
		*count += jv_req_i(r, "count");
	}
}

/* Anonymous memory counted exactly, file mappings reported apart (not in
 * the totals), and the 64 MiB arena glibc maps inside a thread's first
 * free() not counted (it is the allocator's), while an mmap right after
 * that free, from a deeper frame, is. */
TEST_FULL(e2e_leak_mappings, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char dir[] = "/tmp/memscope-test.XXXXXX", expect[64], cmd[4200];
	struct run_opts o = { .timeout_ms = 120000 };
	long long file_bytes = 0, file_count = 0, mmap_bytes = 0, b, c;
	const struct jv *done, *iv, *sum;
	struct jlines exp, out;
	struct run_result r;
	int checked = 0;

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s", bin_path("tests/workloads/mapper"), expect);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-T", "0", "-o", "0", "-c", cmd, NULL),
		  "leak -c mapper");
	ASSERT_EQ(r.status, 0, "exit status");
	if (r.status)
		test_log("stderr: %s", r.err);
	if (!parse_jlines_file(expect, &exp))
		goto out;
	if (!parse_jlines(&r, &out)) {
		jlines_free(&exp);
		goto out;
	}
	for (int i = 0; i < exp.n; i++) {
		const struct jv *e = exp.recs[i];
		bool file = jv_type_is(e, "file_expect");
		const char *site;
		long long line;
		char what[160];

		if (!file && !jv_type_is(e, "expect"))
			continue;
		site = jv_req_s(e, "site");
		line = jv_req_i(e, "line");
		if (!site)
			continue;
		sum_at(&out, file ? "file_map" : "stack", site, line, &b, &c);
		snprintf(what, sizeof(what), "%s:%lld: %s bytes", site, line,
			 file ? "file mapping" : "outstanding");
		ASSERT_EQ(b, jv_req_i(e, "bytes"), what);
		snprintf(what, sizeof(what), "%s:%lld: %s count", site, line,
			 file ? "file mapping" : "outstanding");
		ASSERT_EQ(c, jv_req_i(e, "count"), what);
		if (file) {
			/* Not an allocation as well. */
			sum_at(&out, "stack", site, line, &b, &c);
			snprintf(what, sizeof(what), "%s:%lld: not among the allocations", site, line);
			ASSERT_EQ(b, 0, what);
			file_bytes += jv_req_i(e, "bytes");
			file_count += jv_req_i(e, "count");
		}
		checked++;
	}
	ASSERT_EQ(checked, 5, "every site of the ledger checked");
	for (int i = 0; i < out.n; i++) {
		const struct jv *s = out.recs[i];
		const char *kind;

		if (!is_final(s, "stack"))
			continue;
		kind = jv_req_sn(s, "kind");
		if (kind && !strcmp(kind, "mmap"))
			mmap_bytes += jv_req_i(s, "bytes");
	}
	done = jl_req(&exp, "done");
	iv = jl_req_last(&out, "interval");
	sum = jl_req(&out, "summary");
	if (done && iv && sum) {
		/* Every anonymous mapping is the workload's own: no arena. */
		ASSERT_EQ(mmap_bytes, jv_req_i(done, "anon_bytes"),
			  "outstanding anonymous mappings: the workload's, exactly (no arena)");
		ASSERT_EQ(jv_req_i(iv, "outstanding_mmap_count"), jv_req_i(done, "anon_count"),
			  "anonymous mappings outstanding");
		ASSERT_EQ(jv_req_i(iv, "file_map_bytes"), file_bytes, "file mappings: bytes");
		ASSERT_EQ(jv_req_i(iv, "file_map_count"), file_count, "file mappings: count");
		/* The summary counts what the reports count. */
		ASSERT_EQ(jv_req_i(sum, "allocs"),
			  jv_req_i(sum, "heap_allocs") + jv_req_i(sum, "mmap_allocs"),
			  "allocs = heap blocks + anonymous mmaps");
		ASSERT_EQ(jv_req_i(sum, "mmap_allocs"), jv_req_i(done, "anon_count"),
			  "anonymous mmap calls: the workload's");
		ASSERT_EQ(jv_req_i(sum, "file_mmaps"), file_count, "file mmap calls");
		ASSERT_EQ(jv_req_i(sum, "outstanding_count"), jv_req_i(iv, "outstanding_count"),
			  "the summary's outstanding count is the final report's");
		ASSERT_GT(jv_req_i(sum, "nested_calls"), 0, "the arena's calls seen, as nested");
	}
	jlines_free(&out);
	jlines_free(&exp);
out:
	run_result_free(&r);
	unlink(expect);
	rmdir(dir);
	assert_no_progs_left(before, "after leak -c mapper");
}
