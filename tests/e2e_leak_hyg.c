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
	if (r.status || access(expect, R_OK))
		test_log("stdout: %.2000s\nstderr: %s", r.out, r.err);
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

/* A C++ program built -O2: the leaking functions' names demangled in the
 * text report, the JSON (with the mangled name under "mangled", and no
 * such key for a C name), the collapsed stacks and the SVG; bytes and
 * counts exact against the program's ledger. */
TEST_FULL(e2e_leak_cxx_demangled, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char dir[] = "/tmp/memscope-test.XXXXXX", expect[64], folded[64], svg[64], cmd[4200];
	struct run_opts o = { .timeout_ms = 120000 };
	struct jlines exp, out;
	struct run_result r;
	char *text;
	int checked = 0, c_frames = 0;

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	snprintf(folded, sizeof(folded), "%s/leak.folded", dir);
	snprintf(svg, sizeof(svg), "%s/leak.svg", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s", bin_path("tests/workloads/cxxleak"), expect);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-T", "0", "-o", "0", "--folded", folded,
			       "--svg", svg, "-c", cmd, NULL), "leak -j -c cxxleak");
	ASSERT_EQ(r.status, 0, "exit status");
	if (r.status || access(expect, R_OK))
		test_log("stdout: %.2000s\nstderr: %s", r.out, r.err);
	if (!parse_jlines_file(expect, &exp))
		goto out;
	if (!parse_jlines(&r, &out)) {
		jlines_free(&exp);
		goto out;
	}
	for (int i = 0; i < exp.n; i++) {
		const struct jv *e = exp.recs[i];
		const char *sym = jv_req_s(e, "sym"), *mangled = jv_req_s(e, "mangled");
		long long bytes = 0, count = 0;
		char what[256], svg_name[256], *p;
		int frames_seen = 0;

		if (!sym || !mangled)
			continue;
		for (int k = 0; k < out.n; k++) {
			const struct jv *s = out.recs[k], *f;
			const char *fs;

			if (!jv_type_is(s, "stack") || !jv_req_b(s, "final") ||
			    !(f = jv_at(jv_req_a(s, "frames"), 0)))
				continue;
			fs = jv_req_sn(f, "sym");
			if (!fs || strcmp(fs, sym))
				continue;
			snprintf(what, sizeof(what), "%s: its mangled name", sym);
			ASSERT_STREQ(jv_req_s(f, "mangled"), mangled, what);
			bytes += jv_req_i(s, "bytes");
			count += jv_req_i(s, "count");
			frames_seen++;
		}
		snprintf(what, sizeof(what), "%s: outstanding bytes", sym);
		ASSERT_EQ(bytes, jv_req_i(e, "bytes"), what);
		snprintf(what, sizeof(what), "%s: outstanding count", sym);
		ASSERT_EQ(count, jv_req_i(e, "count"), what);
		ASSERT_GT(frames_seen, 0, "stacks with that innermost frame");
		text = read_text_file(folded, NULL);
		snprintf(what, sizeof(what), "%s in the collapsed stacks", sym);
		ASSERT_CONTAINS(text, sym, what);
		free(text);
		/* The SVG escapes what XML must: < and >. */
		svg_name[0] = 0;
		for (const char *s = sym; *s && strlen(svg_name) < sizeof(svg_name) - 8; s++) {
			p = svg_name + strlen(svg_name);
			if (*s == '<')
				strcpy(p, "&lt;");
			else if (*s == '>')
				strcpy(p, "&gt;");
			else
				p[0] = *s, p[1] = 0;
		}
		text = read_text_file(svg, NULL);
		snprintf(what, sizeof(what), "%s in the SVG", sym);
		ASSERT_CONTAINS(text, svg_name, what);
		free(text);
		checked++;
	}
	ASSERT_EQ(checked, 2, "both leaking functions checked");
	/* A C name has nothing to demangle: no "mangled" key. */
	for (int k = 0; k < out.n; k++) {
		const struct jv *s = out.recs[k], *fr;

		if (!jv_type_is(s, "stack") || !(fr = jv_req_a(s, "frames")))
			continue;
		for (size_t i = 0; i < fr->len; i++) {
			const struct jv *f = jv_at(fr, i);
			const char *fs = jv_req_sn(f, "sym");
			bool mangled = false;

			if (!fs || strcmp(fs, "main"))
				continue;
			/* The key must be absent: look at the keys themselves. */
			for (size_t key = 0; key < f->len; key++)
				mangled |= !strcmp(f->keys[key], "mangled");
			ASSERT_FALSE(mangled, "main: no mangled name");
			c_frames++;
		}
	}
	ASSERT_GT(c_frames, 0, "frames of main seen");
	jlines_free(&out);
	jlines_free(&exp);
	run_result_free(&r);

	/* Text: the demangled name on its frame line. */
	ASSERT_OK(run_memscope(&o, &r, "leak", "-T", "0", "-o", "0", "-c", cmd, NULL),
		  "leak -c cxxleak (text)");
	ASSERT_EQ(r.status, 0, "exit status (text)");
	ASSERT_CONTAINS(r.out, "memscope_test::Pool<long>::leak(unsigned long)+0x",
			"the demangled name in the text report");
	ASSERT_FALSE(r.out && strstr(r.out, "_ZN13memscope_test"), "no mangled name in the text");
out:
	run_result_free(&r);
	unlink(expect);
	unlink(folded);
	unlink(svg);
	rmdir(dir);
	assert_no_progs_left(before, "after leak -c cxxleak");
}

/* The link-time address of symbol sym in ELF file path, from nm; 0 if it
 * is not there exactly once. */
static unsigned long long nm_symbol(const char *path, const char *sym)
{
	char *argv[] = { "/usr/bin/nm", "--defined-only", (char *)path, NULL };
	struct run_opts o = { .timeout_ms = 60000 };
	unsigned long long addr = 0;
	struct run_result r;
	int found = 0;

	if (run_argv(argv, &o, &r) || r.status) {
		run_result_free(&r);
		return 0;
	}
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long long v;
		char type, name[512];

		if (sscanf(line, "%llx %c %511s", &v, &type, name) == 3 &&
		    (type == 'T' || type == 't') && !strcmp(name, sym)) {
			addr = v;
			found++;
		}
	}
	run_result_free(&r);
	return found == 1 ? addr : 0;
}

/* libc's frames have file:line from libc6-dbg (10 MiB of DWARF once
 * inflated, over the old budget), the same as llvm-symbolizer (another
 * DWARF reader than memscope's libdw) gives for that address. */
TEST_FULL(e2e_leak_libc_lines, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char dir[] = "/tmp/memscope-test.XXXXXX", expect[64], cmd[4200], dbg[256] = "";
	struct run_opts o = { .timeout_ms = 120000 };
	struct run_result r;
	struct jlines out;
	int checked = 0;

	if (getenv("MEMSCOPE_GUEST"))
		test_skip("the guests have no libc6-dbg (only the workloads' libraries are copied "
			  "in): tested on the host");
	if (access("/usr/bin/llvm-symbolizer", X_OK) || access("/usr/bin/nm", X_OK))
		test_skip("no llvm-symbolizer or nm to check against (llvm, binutils)");
	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s", bin_path("tests/workloads/mapper"), expect);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-j", "-T", "0", "-o", "0", "-c", cmd, NULL),
		  "leak -c mapper");
	ASSERT_EQ(r.status, 0, "exit status");
	if (!parse_jlines(&r, &out))
		goto out;
	for (int k = 0; k < out.n; k++) {
		const struct jv *s = out.recs[k], *fr;

		if (!(jv_type_is(s, "stack") || jv_type_is(s, "file_map")) ||
		    !(fr = jv_req_a(s, "frames")))
			continue;
		for (size_t i = 0; i < fr->len; i++) {
			const struct jv *f = jv_at(fr, i);
			const char *mod = jv_req_sn(f, "module"), *sym = jv_req_sn(f, "sym");
			const char *id = jv_req_sn(f, "build_id"), *file, *base, *tbase;
			char *argv[4], addr[32], what[300], tfile[512];
			unsigned long long v;
			struct run_result t;
			int tline = 0;

			if (!mod || !sym || !id || strlen(id) < 3 || strlen(mod) < 10 ||
			    strcmp(mod + strlen(mod) - 10, "/libc.so.6"))
				continue;
			snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
			if (access(dbg, R_OK)) {
				jlines_free(&out);
				run_result_free(&r);
				rmdir(dir);
				test_skip("libc6-dbg is not installed (no %s): libc has no file:line here",
					  dbg);
			}
			v = nm_symbol(dbg, sym);
			if (!v)
				continue;
			/* A return address: the call is the byte before it. */
			snprintf(addr, sizeof(addr), "0x%llx", v + jv_req_i(f, "offset") - (i ? 1 : 0));
			argv[0] = "/usr/bin/llvm-symbolizer";
			snprintf(tfile, sizeof(tfile), "--obj=%s", dbg);
			argv[1] = tfile;
			argv[2] = addr;
			argv[3] = NULL;
			if (run_argv(argv, &o, &t) || t.status) {
				run_result_free(&t);
				continue;
			}
			/* "function\nfile:line:column\n": the innermost (inlined) one first. */
			{
				char *nl = strchr(t.out, '\n'), *colon;

				snprintf(tfile, sizeof(tfile), "%s", nl ? nl + 1 : "");
				nl = strchr(tfile, '\n');
				if (nl)
					*nl = 0;
				colon = strchr(tfile, ':');
				if (colon) {
					tline = atoi(colon + 1);
					*colon = 0;
				}
			}
			run_result_free(&t);
			file = jv_req_sn(f, "file");
			snprintf(what, sizeof(what), "%s+%lld (libc): a source file", sym,
				 jv_req_i(f, "offset"));
			if (!ASSERT_TRUE(file != NULL, what))
				continue;
			base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
			tbase = strrchr(tfile, '/') ? strrchr(tfile, '/') + 1 : tfile;
			snprintf(what, sizeof(what), "%s: the file llvm-symbolizer names", sym);
			ASSERT_STREQ(base, tbase, what);
			snprintf(what, sizeof(what), "%s: the line llvm-symbolizer names", sym);
			ASSERT_EQ(jv_req_in(f, "line", -1), tline, what);
			checked++;
		}
	}
	ASSERT_GT(checked, 0, "libc frames checked");
	jlines_free(&out);
out:
	run_result_free(&r);
	unlink(expect);
	rmdir(dir);
	assert_no_progs_left(before, "after leak -c mapper");
}


/* SIGINT or SIGTERM to memscope reaches a -c command before it is ended:
 * its own handler runs (a marker file) once, it exits by itself (its exit
 * code), and the frees it makes on the way out are seen (what the final
 * report holds). Also when the command got the signal itself as well, as
 * from a kill of the whole process group (or a terminal's Ctrl-C): its
 * handler still runs once. */
TEST_FULL(e2e_leak_cmd_signal_forwarded, T_ROOT | T_E2E, 300)
{
	static const struct {
		int sig;
		bool to_command;	/* the command gets it too, first */
		const char *mark;
	} cases[] = {
		{ SIGINT, false, "2\n" },
		{ SIGTERM, false, "15\n" },
		{ SIGINT, true, "2\n" },
	};
	unsigned before = bpf_prog_max_id();
	char dir[] = "/tmp/memscope-test.XXXXXX";

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char marker[64], ready[64], cmd[4300], what[128], *mark;
		struct jlines out;
		size_t at = 0;
		struct bg ms;
		pid_t pid;

		snprintf(marker, sizeof(marker), "%s/marker%zu", dir, k);
		snprintf(ready, sizeof(ready), "%s/ready%zu", dir, k);
		snprintf(cmd, sizeof(cmd), "%s %s %s", bin_path("tests/workloads/sigmark"), marker,
			 ready);
		{
			char *argv[] = { (char *)bin_path("memscope"), "leak", "-j", "-T", "0",
					 "-o", "0", "-c", cmd, "60", NULL };

			if (!ASSERT_OK(bg_start(&ms, argv, NULL), "start memscope"))
				break;
		}
		if (!ASSERT_TRUE(bg_wait_out(&ms, "\"type\":\"attached\"", &at, 30000), "attached")) {
			test_log("stderr: %s", ms.err);
			bg_free(&ms);
			break;
		}
		pid = bg_wait_pid_file(&ms, ready);
		if (!ASSERT_GT(pid, 0, "the command published its pid")) {
			bg_free(&ms);
			break;
		}
		if (cases[k].to_command)
			kill(pid, cases[k].sig);
		snprintf(what, sizeof(what), "case %zu: memscope exits 0", k);
		ASSERT_EQ(bg_stop(&ms, cases[k].sig, 30000), 0, what);
		mark = read_text_file(marker, NULL);
		snprintf(what, sizeof(what), "case %zu: the command's handler ran, once", k);
		ASSERT_STREQ(mark, cases[k].mark, what);
		free(mark);
		if (parse_jlines_str(ms.out, &out)) {
			const struct jv *iv = jl_req_last(&out, "interval");

			snprintf(what, sizeof(what), "case %zu: the command exited by itself", k);
			ASSERT_EQ(jv_req_i(jl_req(&out, "summary"), "target_exit_code"), 3, what);
			/* KEEP blocks: 3 x 1000; the 2 x 5000 freed after the
			 * signal are not outstanding. */
			snprintf(what, sizeof(what), "case %zu: what it held at exit", k);
			ASSERT_EQ(jv_req_i(iv, "outstanding_bytes"), 3 * 1000, what);
			jlines_free(&out);
		}
		if (ms.status)
			test_log("stderr: %s", ms.err);
		bg_free(&ms);
		unlink(marker);
		unlink(ready);
	}
	rmdir(dir);
	assert_no_progs_left(before, "after leak -c with signals");
}
