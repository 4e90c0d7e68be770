// SPDX-License-Identifier: GPL-2.0
/* `memscope leak` on C++ programs: the C++ ledger (tests/workloads/
 * cxx_ledger.cpp, built -O2 without frame pointers) under glibc and
 * libstdc++, jemalloc, tcmalloc and as a static executable. Every form of
 * operator new, and jemalloc's and tcmalloc's own entry points, from its
 * own site: exact outstanding bytes and counts per site at exit against the
 * program's own ledger, nothing counted twice (no address recorded twice,
 * no free of an unknown block), each entry point traced in the object
 * that defines it. And the same while another tracer holds uprobes on
 * malloc and free. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "ledger.h"
#include "run.h"
#include "syms/elfsym.h"

static char *tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/memscope-cxx.XXXXXX");
	return mkdtemp(dir);
}

/* Every site of the ledger against the report, then the counters that
 * show double counting: a block recorded twice (an outer and an inner
 * entry point both counted) is a "missed_free", one released twice a
 * "free_unknown". */
static void check_cxx_ledger(const struct jlines *out, const char *expect_path, int want_sites)
{
	const struct jv *sum, *done, *af;
	struct jlines exp;
	int checked = 0;

	if (!parse_jlines_file(expect_path, &exp))
		return;
	checked = ledger_check_sites(out, &exp, "stack", -1, true);
	ASSERT_EQ(checked, want_sites, "every site of the ledger checked");
	done = jl_req(&exp, "done");
	sum = jl_req(out, "summary");
	if (done && sum) {
		const struct jv *drops = jv_req_o(sum, "drops");

		ASSERT_GE(jv_req_i(sum, "allocs"), jv_req_i(done, "calls"),
			  "every allocation call recorded");
		ASSERT_EQ(jv_req_i(sum, "missed_free"), 0, "no block recorded twice");
		ASSERT_EQ(jv_req_i(sum, "free_unknown"), 0, "no block released twice");
		for (size_t k = 0; drops && k < drops->len; k++)
			ASSERT_EQ(jv_req_i(drops, drops->keys[k]), 0, drops->keys[k]);
		af = jv_req_a(sum, "attach_failures");
		ASSERT_EQ(af ? (long long)af->len : -1, 0, "every function attached");
		ASSERT_EQ(jv_req_i(sum, "target_exit_code"), 0, "the ledger's exit code");
	}
	jlines_free(&exp);
}

/* Does memscope -v say it probed sym in an object whose path contains
 * obj? Its lines: "memscope: SYM  PATH+0xENTRY +OFF ...: probed (...)"
 * (or "...: the same function as X" for an alias). */
static bool probed_in(const char *err, const char *sym, const char *obj)
{
	char needle[128];
	const char *p = err;

	snprintf(needle, sizeof(needle), "memscope: %s ", sym);
	while ((p = strstr(p, needle))) {
		const char *eol = strchr(p, '\n'), *o = strstr(p, obj);

		if (o && (!eol || o < eol) &&
		    ((strstr(p, ": probed (") && strstr(p, ": probed (") < eol) ||
		     (strstr(p, ": the same function as") && strstr(p, ": the same function as") < eol)))
			return true;
		p += strlen(needle);
	}
	return false;
}

/* Run a variant of the ledger under leak -v -c and check it. obj: what
 * the path of the object serving operator new must contain. */
static void cxx_run(const char *variant, const char *obj, int want_sites,
		    const char *const *env, const char *malloc_in)
{
	unsigned before = bpf_prog_max_id();
	char cmd[4608], expect[128], exe[64], *dir = tmpdir();
	struct run_opts o = { .timeout_ms = 180000, .env = env };
	static const char *const syms[] = {
		"_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t",
		"_ZnwmSt11align_val_t", "_ZnamSt11align_val_t",
		"_ZnwmSt11align_val_tRKSt9nothrow_t", "_ZnamSt11align_val_tRKSt9nothrow_t",
		"_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm", "_ZdlPvSt11align_val_t",
		"_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t", "_ZdaPvmSt11align_val_t",
		"_ZdlPvRKSt9nothrow_t", "_ZdaPvRKSt9nothrow_t",
		"_ZdlPvSt11align_val_tRKSt9nothrow_t", "_ZdaPvSt11align_val_tRKSt9nothrow_t",
	};
	struct run_result r;
	struct jlines out;

	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	snprintf(exe, sizeof(exe), "tests/workloads/cxx_ledger%s", variant);
	snprintf(expect, sizeof(expect), "%s/expect.json", dir);
	snprintf(cmd, sizeof(cmd), "%s --out %s", bin_path(exe), expect);
	ASSERT_OK(run_memscope(&o, &r, "leak", "-v", "-j", "-T", "0", "-o", "0", "-c", cmd, "60",
			       NULL), "run");
	ASSERT_EQ(r.status, 0, "exit status");
	if (r.status || access(expect, F_OK))
		test_log("stderr: %s", r.err);
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		char what[128];

		snprintf(what, sizeof(what), "%s probed in %s", syms[i], obj);
		ASSERT_TRUE(probed_in(r.err, syms[i], obj), what);
	}
	if (malloc_in)
		ASSERT_TRUE(probed_in(r.err, "malloc", malloc_in), "malloc probed in the copy of libc");
	if (parse_jlines(&r, &out)) {
		const struct jv *att = jl_req(&out, "attached");
		const char *mode = att ? jv_req_s(att, "attach") : NULL;

		/* uprobe_multi links where the kernel has them (6.6+), else
		 * single uprobes: both count the same. */
		test_log("attach: %s", mode ? mode : "?");
		if (mode && !strcmp(mode, "uprobe_multi"))
			ASSERT_GT(jv_req_i(att, "uprobe_multi_links"), 0, "its links");
		else
			ASSERT_STREQ(mode, "uprobe", "single uprobes otherwise");
		check_cxx_ledger(&out, expect, want_sites);
		jlines_free(&out);
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after leak -c");
	unlink(expect);
	rmdir(dir);
}

/* The ledger's sites: 14 in every variant, 4 more with jemalloc, 1 more
 * with tcmalloc. */
#define CXX_SITES 14

TEST_FULL(e2e_leak_cxx_glibc, T_ROOT | T_E2E, 300)
{
	cxx_run("", "libstdc++.so", CXX_SITES, NULL, NULL);
}

TEST_FULL(e2e_leak_cxx_jemalloc, T_ROOT | T_E2E, 300)
{
	cxx_run("_je", "libjemalloc.so", CXX_SITES + 4, NULL, NULL);
}

TEST_FULL(e2e_leak_cxx_tcmalloc, T_ROOT | T_E2E, 300)
{
	cxx_run("_tc", "libtcmalloc_minimal.so", CXX_SITES + 1, NULL, NULL);
}

TEST_FULL(e2e_leak_cxx_static, T_ROOT | T_E2E, 300)
{
	cxx_run("_static", "cxx_ledger_static", CXX_SITES, NULL, NULL);
}

/* Single uprobes, as on kernels without uprobe_multi links (6.1). */
TEST_FULL(e2e_leak_cxx_single_uprobes, T_ROOT | T_E2E, 300)
{
	static const char *const env[] = { "MEMSCOPE_ATTACH=uprobe", NULL };

	cxx_run("_je", "libjemalloc.so", CXX_SITES + 4, env, NULL);
}

/* ---- another tracer's uprobes on the allocator ------------------------------ */

#define OTHER_GROUP "memscope_test_other"
#define LIBC_PATHS { "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6" }

static bool copy_file(const char *from, const char *to)
{
	char buf[65536];
	bool ok = true;
	int in, out;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return false;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return false;
	}
	while (ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, n) == n;
	close(in);
	return !close(out) && ok && n == 0;
}

/* Append one line to a tracefs file: never O_TRUNC, which would remove
 * every other tracer's uprobe events. */
static int tracefs_append(const char *tracefs, const char *file, const char *line)
{
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", tracefs, file);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		err = -errno;
	close(fd);
	return err;
}

/* The instance and the events of OTHER_GROUP, gone; each step may fail
 * when an earlier run of this test left less behind. */
static void other_remove(const char *tracefs)
{
	char path[256];

	snprintf(path, sizeof(path), "instances/" OTHER_GROUP "/events/" OTHER_GROUP "/enable");
	tracefs_append(tracefs, path, "0\n");
	snprintf(path, sizeof(path), "%s/instances/" OTHER_GROUP, tracefs);
	rmdir(path);
	tracefs_append(tracefs, "uprobe_events", "-:" OTHER_GROUP "/malloc\n");
	tracefs_append(tracefs, "uprobe_events", "-:" OTHER_GROUP "/free\n");
}

/* Hits of the uprobe event name on the file path in uprobe_profile
 * ("path name hits" a line; the group is not shown), -1 if none. */
static long long other_hits(const char *tracefs, const char *file, const char *name)
{
	char path[256], *text, *line, *save = NULL;
	long long hits = -1;

	snprintf(path, sizeof(path), "%s/uprobe_profile", tracefs);
	text = read_text_file(path, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char f[256], n[128];
		long long h;

		if (sscanf(line, "%255s %127s %lld", f, n, &h) == 3 && !strcmp(f, file) &&
		    !strcmp(n, name))
			hits = h;
	}
	free(text);
	return hits;
}

/* The first byte of the function at file offset off as a private
 * read-only mapping of the file shows it (what reading code through
 * libelf's mapping saw). */
static int mapped_byte(const char *path, uint64_t off)
{
	struct stat st;
	uint8_t *m;
	int fd, b = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		goto out;
	m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m != MAP_FAILED) {
		b = m[off];
		munmap(m, st.st_size);
	}
out:
	if (fd >= 0)
		close(fd);
	return b;
}

/* Another tracer holds uprobes at the entries of malloc and free (tracefs
 * uprobe events, enabled in a tracefs instance of their own so no other
 * trace buffer sees them) on a copy of libc only the ledger loads: leak
 * reads the code from the file, not from a mapping that shows the other
 * tracer's int3, starts and counts exactly. */
TEST_FULL(e2e_leak_cxx_other_uprobe, T_ROOT | T_E2E, 300)
{
	static const char *const libcs[] = LIBC_PATHS;
	const char *tracefs = test_tracefs(), *libc = NULL;
	char copy[128], line[512], path[256], env_line[160], *dir;
	const char *env[] = { env_line, NULL };
	const char *names[] = { "malloc", "free" };
	struct elf_func fn[2];
	struct elf_file *ef;
	int n;

	for (size_t i = 0; i < sizeof(libcs) / sizeof(libcs[0]) && !libc; i++)
		if (!access(libcs[i], R_OK))
			libc = libcs[i];
	if (!libc)
		test_skip("no dynamic glibc here");
	if (!tracefs)
		test_skip("no tracefs");
	snprintf(path, sizeof(path), "%s/uprobe_events", tracefs);
	if (access(path, W_OK))
		test_skip("no uprobe_events (kernel without CONFIG_UPROBE_EVENTS?)");
	dir = tmpdir();
	if (!ASSERT_TRUE(dir, "temp dir"))
		return;
	snprintf(copy, sizeof(copy), "%s/libc.so.6", dir);
	if (!ASSERT_TRUE(copy_file(libc, copy), "a copy of libc"))
		goto out_dir;
	ef = elf_file_open(copy);
	if (!ASSERT_TRUE(ef, "open the copy"))
		goto out_dir;
	n = elf_file_find_funcs(ef, NULL, names, 2, ELF_FIND_DYNSYM_ONLY, fn);
	elf_file_close(ef);
	if (!ASSERT_EQ(n, 2, "malloc and free in libc"))
		goto out_dir;

	other_remove(tracefs);
	snprintf(line, sizeof(line), "p:" OTHER_GROUP "/malloc %s:0x%llx\n", copy,
		 (unsigned long long)fn[0].offset);
	if (!ASSERT_OK(tracefs_append(tracefs, "uprobe_events", line), "the other uprobe on malloc"))
		goto out;
	snprintf(line, sizeof(line), "p:" OTHER_GROUP "/free %s:0x%llx\n", copy,
		 (unsigned long long)fn[1].offset);
	if (!ASSERT_OK(tracefs_append(tracefs, "uprobe_events", line), "the other uprobe on free"))
		goto out;
	snprintf(path, sizeof(path), "%s/instances/" OTHER_GROUP, tracefs);
	if (!ASSERT_OK(mkdir(path, 0755), "a tracefs instance of its own"))
		goto out;
	if (!ASSERT_OK(tracefs_append(tracefs, "instances/" OTHER_GROUP "/events/" OTHER_GROUP
				      "/enable", "1\n"), "enable the other uprobes"))
		goto out;
	/* What the old code read: the other tracer's int3 in a mapping. */
	ASSERT_EQ(mapped_byte(copy, fn[0].offset), 0xcc, "a mapping of the copy shows the int3");

	snprintf(env_line, sizeof(env_line), "LD_LIBRARY_PATH=%s", dir);
	cxx_run("", "libstdc++.so", CXX_SITES, env, copy);
	ASSERT_GT(other_hits(tracefs, copy, "malloc"), 0, "the other tracer's malloc probe fired");
out:
	other_remove(tracefs);
	ASSERT_EQ(other_hits(tracefs, copy, "malloc"), -1, "the other uprobes removed");
out_dir:
	unlink(copy);
	rmdir(dir);
}
