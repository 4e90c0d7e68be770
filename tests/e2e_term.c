// SPDX-License-Identifier: GPL-2.0
/* Terminal safety: a target whose comm, executable path (about 4 KiB),
 * library, the file it reads and its memory cgroup are named with ESC/BEL
 * title sequences, CR/LF, DEL, invalid UTF-8, a C1 CSI, ';' and spaces
 * (tests/lib/term.h), traced by every tool that names it, in each of its
 * outputs. Text, JSON Lines, folded stacks and the SVG must hold no raw
 * control byte or invalid UTF-8, each shows the names as it documents
 * (checked against term.h's own rendering of the original bytes), and the
 * target is really seen: its pid, its allocations, reads or stalls. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "harness.h"
#include "memcg.h"
#include "progs.h"
#include "run.h"
#include "term.h"
#include "xmlp.h"

/* The memory cgroup the target runs in, under one of the test's own. No
 * newline: the kernel refuses one in a cgroup's name. */
#define CG_NAME "c\x1b]0;g\a\r\x7f\xff\xc0\xaf\x80\xc2\x9b; v"

/* A memscope run (argv after "memscope"), waited for until it traces;
 * false (a failed assertion, nothing left running) if it does not. */
static bool start_ms(struct bg *m, char **args, bool json);

/* Wait until a memscope run says it is tracing: the "attached" record of
 * -j on stdout, or the "Ctrl-C to stop" line of text mode on stderr. */
static bool wait_attached(struct bg *m, bool json)
{
	size_t at = 0;

	if (json)
		return ASSERT_TRUE(bg_wait_out(m, "\"type\":\"attached\"", &at, 60000), "attached");
	for (int i = 0; i < 600 && !m->ended; i++) {
		if (m->err && strstr(m->err, "Ctrl-C to stop"))
			break;
		bg_read_for(m, 100);
	}
	return ASSERT_TRUE(m->err && strstr(m->err, "Ctrl-C to stop"), "attached (text)");
}

static bool start_ms(struct bg *m, char **args, bool json)
{
	char *argv[24] = { (char *)bin_path("memscope") };
	int n = 1;

	while (*args && n < 23)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (!ASSERT_OK(bg_start(m, argv, NULL), "start memscope"))
		return false;
	if (wait_attached(m, json))
		return true;
	test_log("memscope's stderr: %.500s", m->err ? m->err : "");
	bg_free(m);
	return false;
}

/* What every run printed is safe for a terminal, stdout and stderr. */
static void assert_clean(const struct bg *m, const char *what)
{
	char w[160];

	snprintf(w, sizeof(w), "%s: stdout safe for a terminal", what);
	ASSERT_TERM_CLEAN(m->out, m->out_len, w);
	snprintf(w, sizeof(w), "%s: stderr safe for a terminal", what);
	ASSERT_TERM_CLEAN(m->err, m->err_len, w);
}

/* The JSON string value of key in rec equals want (a term_json_form). */
static bool json_name_is(const struct jv *rec, const char *key, const char *want)
{
	const char *got = jv_req_sn(rec, key);

	return got && !strcmp(got, want);
}

/* ---- leak: text, JSON, folded, SVG ------------------------------------------ */

/* Frames of the text report's stack in which line `at` lies. */
static int text_stack_frames(const char *out, const char *at)
{
	const char *start = at, *p;
	int n = 0;

	/* Back to the stack's header line, then count its "    #" lines. */
	while (start > out && !(start[-1] == '\n' && start[0] != ' '))
		start--;
	for (p = strchr(start, '\n'); p && !strncmp(p + 1, "    #", 5); p = strchr(p + 1, '\n'))
		n++;
	return n;
}

TEST_FULL(e2e_term_leak, T_ROOT | T_E2E, 240)
{
	unsigned before = bpf_prog_max_id();
	struct term_names nm = { 0 };
	char folded[PATH_MAX + 32], svg[PATH_MAX + 32], pid[16], want[256];
	char *comm_t = term_keep(&nm, term_text_form(TERM_COMM)), *comm_j = term_keep(&nm, term_json_form(TERM_COMM));
	char *lib_t = NULL, *lib_j = NULL, *exe_j = NULL, *lib_f = NULL, *libpath_t = NULL;
	struct hostile_tree t;
	struct bg w, mt, mj;
	int started = 0;

	if (!hostile_tree_make(&t, 1))
		goto out;
	lib_t = term_keep(&nm, term_text_form(t.lib_name));
	libpath_t = term_keep(&nm, term_text_form(t.lib));
	lib_j = term_keep(&nm, term_json_form(t.lib));
	exe_j = term_keep(&nm, term_json_form(t.exe));
	lib_f = term_keep(&nm, term_frame_form(t.lib_name));
	snprintf(folded, sizeof(folded), "%s/out.folded", t.root);
	snprintf(svg, sizeof(svg), "%s/out.svg", t.root);
	if (!hostile_start(&w, &t, NULL, 0))
		goto out;
	snprintf(pid, sizeof(pid), "%d", w.pid);
	{
		char *a0[] = { "leak", "-p", pid, "-o", "0", "-T", "0", "--folded", folded, "--svg",
			       svg, "3600", NULL };
		char *a1[] = { "leak", "-j", "-p", pid, "-o", "0", "-T", "0", "3600", NULL };

		if (!start_ms(&mt, a0, false))
			goto stop;
		started++;
		if (!start_ms(&mj, a1, true))
			goto stop;
		started++;
	}
	kill(w.pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(&w, "done", NULL, 60000), "the workload leaked");
	usleep(300 * 1000);
	ASSERT_EQ(bg_stop(&mt, SIGINT, 30000), 0, "leak (text) exit status");
	ASSERT_EQ(bg_stop(&mj, SIGINT, 30000), 0, "leak -j exit status");

	/* Text: nothing raw; the comm, the library's name in its frame and
	 * its path escaped as text_safe documents. */
	assert_clean(&mt, "leak");
	snprintf(want, sizeof(want), "(pid %s %s)", pid, comm_t);
	ASSERT_CONTAINS(mt.out, want, "the target's pid and escaped comm");
	ASSERT_CONTAINS(mt.err, comm_t, "the escaped comm on stderr");
	ASSERT_CONTAINS(mt.out, lib_t, "the library's escaped name in its frame");
	ASSERT_CONTAINS(mt.out, libpath_t, "the library's whole path, escaped");
	{
		const char *at = mt.out ? strstr(mt.out, lib_t) : NULL;
		char *f = read_text_file(folded, NULL);
		int lines = 0, stacks = 0, frames = -1, want_frames = at ? text_stack_frames(mt.out, at) : -1;

		for (const char *p = mt.out; p && (p = strstr(p, " allocations, oldest ")); p++)
			stacks++;
		test_log("text: %d stacks; the library's has %d frames", stacks, want_frames);
		/* Folded: one line per stack (no name's newline splits one),
		 * no name's ';' adds a frame, the library's frame as the
		 * flame graph canonicalizes it. */
		if (ASSERT_TRUE(f, "the folded file")) {
			ASSERT_TERM_CLEAN(f, strlen(f), "folded safe for a terminal");
			for (char *l = f, *e; l && *l; l = e ? e + 1 : NULL) {
				if ((e = strchr(l, '\n')))
					*e = 0;
				lines++;
				if (strstr(l, lib_f)) {
					frames = 1;
					for (char *c = l; *c; c++)
						frames += *c == ';';
				}
			}
			ASSERT_EQ(lines, stacks, "folded: one line per stack of the report");
			ASSERT_EQ(frames, want_frames, "folded: the library's stack, frame by frame");
			free(f);
		}
	}
	{
		size_t n = 0;
		char *s = read_text_file(svg, &n), err[160] = "";
		struct xel *root = s ? xml_parse(s, n, err, sizeof(err)) : NULL, **titles = NULL;
		int nt = 0, found = 0;

		if (ASSERT_TRUE(s, "the SVG file")) {
			ASSERT_TERM_CLEAN(s, n, "SVG free of control bytes");
			if (!ASSERT_TRUE(root, "the SVG is well-formed XML"))
				test_log("xml: %s", err);
		}
		if (root)
			xml_find_all(root, "title", &titles, &nt);
		for (int i = 0; i < nt; i++)
			found += titles[i]->text && strstr(titles[i]->text, lib_f) != NULL;
		ASSERT_GE(found, 1, "SVG: a frame titled with the library's canonical name");
		free(titles);
		xel_free(root);
		free(s);
	}

	/* JSON: parses strictly; the names decode to their own bytes (each
	 * invalid byte U+FFFD); the target's allocations through the
	 * library are all there. */
	assert_clean(&mj, "leak -j");
	{
		struct jlines l;
		long long through_lib = 0;
		bool exe_seen = false;

		if (parse_jlines_str(mj.out, &l)) {
			const struct jv *a = jl_req(&l, "attached");

			ASSERT_EQ(jv_req_i(a, "pid"), w.pid, "attached: the target's pid");
			ASSERT_TRUE(json_name_is(a, "target", comm_j), "attached: the comm, decoded");
			for (int i = 0; i < l.n; i++) {
				const struct jv *r = l.recs[i], *fr;
				bool lib = false;

				if (!jv_type_is(r, "stack") || !jv_req_b(r, "final"))
					continue;
				ASSERT_EQ(jv_req_i(r, "pid"), w.pid, "a stack of the target");
				fr = jv_req_a(r, "frames");
				for (size_t k = 0; fr && k < fr->len; k++) {
					lib |= json_name_is(fr->items[k], "module", lib_j);
					exe_seen |= json_name_is(fr->items[k], "module", exe_j);
				}
				if (lib)
					through_lib += jv_req_i(r, "bytes");
			}
			test_log("JSON: %lld bytes outstanding through the library", through_lib);
			ASSERT_GE(through_lib, 64 * 1000, "its leaks through the hostile library");
			ASSERT_TRUE(exe_seen, "frames in the hostile executable, its path decoded");
			jlines_free(&l);
		}
	}
stop:
	if (started > 0)
		bg_free(&mt);
	if (started > 1)
		bg_free(&mj);
	bg_stop(&w, SIGTERM, 10000);
	bg_free(&w);
out:
	hostile_tree_remove(&t);
	term_names_free(&nm);
	assert_no_progs_left(before, "after the hostile names");
}

/* ---- a memory cgroup with a hostile name -------------------------------------- */

/* A memcg of the test's own (limit, swap as memcg_create takes them) and,
 * inside it, one named CG_NAME (its path into child) for the target; the
 * limit is the outer one's. false after a failed assertion (cg made or
 * not: memcg_destroy it either way). */
static bool hostile_memcg(struct memcg *cg, unsigned long long limit, long long swap, char *child,
			  size_t len)
{
	char path[PATH_MAX + 128];

	if (!memcg_create_or_skip(cg, limit, swap))
		return false;
	if (cg->version == 2) {
		/* The child is a memcg of its own (v1: always). */
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg->path);
		if (!ASSERT_TRUE(write_text(path, "+memory"), "delegate memory to a child"))
			return false;
	}
	/* The kernel refuses a newline in a cgroup's name (it would break
	 * /proc/PID/cgroup): the name holds everything else. */
	snprintf(path, sizeof(path), "%s/cg\nnl", cg->path);
	if (!mkdir(path, 0755)) {
		test_log("this kernel made a cgroup with a newline in its name");
		rmdir(path);
	}
	snprintf(child, len, "%s/%s", cg->path, CG_NAME);
	return ASSERT_OK(mkdir(child, 0755) ? -errno : 0, "make a cgroup with a hostile name");
}

static bool contains(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

/* A cgroup's id: its directory's inode number (memcg.h). */
static unsigned long long memcg_id_of(const char *dir)
{
	struct stat st;

	return stat(dir, &st) ? 0 : st.st_ino;
}

/* Whether s ends with suffix. */
static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, k = strlen(suffix);

	return s && n >= k && !strcmp(s + n - k, suffix);
}

/* ---- cachestat: cachetop by process, file and cgroup ------------------------- */

TEST_FULL(e2e_term_cachestat, T_ROOT | T_E2E, 300)
{
	static const char *const by[3] = { "process", "file", "cgroup" };
	unsigned before = bpf_prog_max_id();
	struct term_names nm = { 0 };
	char child[PATH_MAX + 256], want[256];
	char *comm_t = term_keep(&nm, term_text_form(TERM_COMM)), *comm_j = term_keep(&nm, term_json_form(TERM_COMM));
	char *cg_t = term_keep(&nm, term_text_form(CG_NAME)), *cg_j = term_keep(&nm, term_json_form(CG_NAME));
	char *file_t = NULL, *file_j = NULL;
	long long file_ino = 0;
	struct hostile_tree t;
	struct memcg cg = { 0 };
	struct bg w, m[8];
	int started = 0;
	bool wl = false;

	if (!hostile_tree_make(&t, 8))
		goto out;
	/* The kernel side keeps 512 bytes of a path (bpf/cache.h): this
	 * one is shown as ".../<its last components> (dev M:N ino I)". */
	snprintf(want, sizeof(want), "/%s", t.file_name);
	file_t = term_keep(&nm, term_text_form(want));
	file_j = term_keep(&nm, term_json_form(want));
	{
		struct stat st;

		file_ino = stat(t.file, &st) ? 0 : (long long)st.st_ino;
	}
	if (!hostile_memcg(&cg, 1ULL << 30, -1, child, sizeof(child)))
		goto out;
	if (!(wl = hostile_start(&w, &t, child, 0)))
		goto out;
	for (; started < 6; started++) {
		char *a[] = { "cachetop", "-b", "--by", (char *)by[started / 2], "-n", "0", "1",
			      started % 2 ? "-j" : NULL, NULL };

		if (!start_ms(&m[started], a, started % 2))
			goto stop;
	}
	/* leak's kernel mode for the same cgroup names it too. */
	for (; started < 8; started++) {
		char *a[] = { "leak", "--cgroup", child, "-o", "0", "3600",
			      started % 2 ? "-j" : NULL, NULL };

		if (!start_ms(&m[started], a, started % 2))
			goto stop;
	}
	kill(w.pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(&w, "done", NULL, 120000), "the workload read its file");
	usleep(300 * 1000);
	for (int i = 0; i < 8; i++) {
		char what[64];

		if (i < 6)
			snprintf(what, sizeof(what), "cachetop --by %s%s", by[i / 2], i % 2 ? " -j" : "");
		else
			snprintf(what, sizeof(what), "leak --cgroup%s", i % 2 ? " -j" : "");
		ASSERT_EQ(bg_stop(&m[i], SIGINT, 30000), 0, what);
		assert_clean(&m[i], what);
	}
	{
		char *child_t = term_keep(&nm, term_text_form(child)), *child_j = term_keep(&nm, term_json_form(child));
		struct jlines l;

		ASSERT_CONTAINS(m[6].out, child_t, "leak --cgroup: the cgroup's path, escaped");
		ASSERT_CONTAINS(m[6].err, child_t, "leak --cgroup: the path on stderr, escaped");
		if (parse_jlines_str(m[7].out, &l)) {
			ASSERT_TRUE(json_name_is(jl_req(&l, "attached"), "cgroup", child_j),
				    "leak --cgroup -j: the cgroup's path");
			jlines_free(&l);
		}
	}

	/* Text: the names escaped as text_safe documents. */
	snprintf(want, sizeof(want), "%-8d ", w.pid);
	ASSERT_CONTAINS(m[0].out, want, "by process: the target's row");
	ASSERT_CONTAINS(m[0].out, comm_t, "by process: its comm, escaped");
	ASSERT_CONTAINS(m[2].out, file_t, "by file: the file's name, escaped");
	ASSERT_CONTAINS(m[4].out, cg_t, "by cgroup: the cgroup's name, escaped");

	/* JSON: the names decoded; the target's reads counted. */
	for (int k = 0; k < 3; k++) {
		struct jlines l;
		long long pages = -1;

		if (!parse_jlines_str(m[2 * k + 1].out, &l))
			continue;
		for (int i = 0; i < l.n; i++) {
			const struct jv *r = l.recs[i];

			if (!jv_type_is(r, by[k]) || !jv_req_b(r, "final") || jv_req_b(r, "other"))
				continue;
			if ((k == 0 && jv_req_i(r, "pid") == w.pid &&
			     ASSERT_TRUE(json_name_is(r, "comm", comm_j), "by process: the comm")) ||
			    (k == 1 && jv_req_i(r, "ino") == file_ino &&
			     ASSERT_TRUE(contains(jv_req_s(r, "file"), file_j), "by file: the name")) ||
			    (k == 2 && jv_req_i(r, "cgroup_id") == (long long)memcg_id_of(child) &&
			     ASSERT_TRUE(ends_with(jv_req_s(r, "cgroup"), cg_j), "by cgroup: the name")))
				pages = jv_req_i(r, "requested_pages");
		}
		test_log("by %s: the target's row requested %lld pages", by[k], pages);
		/* Read twice whole: 8 MiB, 2048 pages, each time. */
		snprintf(want, sizeof(want), "by %s: the target's reads counted", by[k]);
		ASSERT_GE(pages, 2 * 2048, want);
		jlines_free(&l);
	}
stop:
	for (int i = 0; i < started; i++)
		bg_free(&m[i]);
	if (wl) {
		bg_stop(&w, SIGTERM, 10000);
		bg_free(&w);
	}
out:
	memcg_destroy(&cg);
	hostile_tree_remove(&t);
	term_names_free(&nm);
	assert_no_progs_left(before, "after cachestat with hostile names");
}

/* Whether a JSON array of frames has one in the module named want. */
static bool frames_have_module(const struct jv *frames, const char *want)
{
	for (size_t k = 0; frames && k < frames->len; k++)
		if (json_name_is(frames->items[k], "module", want))
			return true;
	return false;
}

/* ---- reclaim: stalls, -s, --stacks ---------------------------------------------- */

/* The target reads a 48 MiB file twice through a 16 MiB memcg: it stalls
 * in memcg reclaim, with the library on its user stack. */
TEST_FULL(e2e_term_reclaim, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	struct term_names nm = { 0 };
	char child[PATH_MAX + 256], pid[16], want[256];
	char *comm_t = term_keep(&nm, term_text_form(TERM_COMM)), *comm_j = term_keep(&nm, term_json_form(TERM_COMM));
	char *cg_t = term_keep(&nm, term_text_form(CG_NAME)), *cg_j = term_keep(&nm, term_json_form(CG_NAME));
	char *lib_t = NULL, *lib_j = NULL;
	unsigned long long cg_id;
	struct hostile_tree t;
	struct memcg cg = { 0 };
	struct bg w, m[6];
	int started = 0;
	bool wl = false;

	if (!hostile_tree_make(&t, 48))
		goto out;
	lib_t = term_keep(&nm, term_text_form(t.lib_name));
	lib_j = term_keep(&nm, term_json_form(t.lib));
	if (!hostile_memcg(&cg, 16ULL << 20, -1, child, sizeof(child)))
		goto out;
	cg_id = memcg_id_of(child);
	if (!(wl = hostile_start(&w, &t, child, 0)))
		goto out;
	snprintf(pid, sizeof(pid), "%d", w.pid);
	{
		char *a0[] = { "reclaim", "-p", pid, NULL };
		char *a1[] = { "reclaim", "-j", "-p", pid, NULL };
		char *a2[] = { "reclaim", "-s", "--cgroup", cg.path, "1", NULL };
		char *a3[] = { "reclaim", "-j", "-s", "--cgroup", cg.path, "1", NULL };
		char *a4[] = { "reclaim", "--stacks", "-p", pid, NULL };
		char *a5[] = { "reclaim", "-j", "--stacks", "-p", pid, NULL };
		char **args[] = { a0, a1, a2, a3, a4, a5 };

		for (; started < 6; started++)
			if (!start_ms(&m[started], args[started], started % 2))
				goto stop;
	}
	kill(w.pid, SIGUSR1);
	ASSERT_TRUE(bg_wait_out(&w, "done", NULL, 180000), "the workload read its file");
	usleep(300 * 1000);
	for (int i = 0; i < 6; i++) {
		char what[64];

		snprintf(what, sizeof(what), "reclaim run %d", i);
		ASSERT_EQ(bg_stop(&m[i], SIGINT, 30000), 0, what);
		assert_clean(&m[i], what);
	}

	/* Text: stall lines, -s rows and --stacks with the names escaped. */
	snprintf(want, sizeof(want), " %s ", pid);
	ASSERT_CONTAINS(m[0].out, want, "stalls: the target's pid");
	ASSERT_CONTAINS(m[0].out, comm_t, "stalls: its comm, escaped");
	ASSERT_CONTAINS(m[0].out, cg_t, "stalls: its cgroup's name, escaped");
	ASSERT_CONTAINS(m[2].out, comm_t, "-s: the process row's comm, escaped");
	ASSERT_CONTAINS(m[2].out, cg_t, "-s: the cgroup row's name, escaped");
	snprintf(want, sizeof(want), "%s (pid %s)", comm_t, pid);
	ASSERT_CONTAINS(m[4].out, want, "--stacks: the target, escaped");
	ASSERT_CONTAINS(m[4].out, lib_t, "--stacks: the library's frame, escaped");

	/* JSON: the names decoded, the target's stalls there. */
	{
		struct jlines l;
		int stalls = 0, procs = 0, cgs = 0, stacks = 0;

		if (parse_jlines_str(m[1].out, &l)) {
			for (int i = 0; i < l.n; i++) {
				const struct jv *r = l.recs[i];

				if (!jv_type_is(r, "stall"))
					continue;
				ASSERT_EQ(jv_req_i(r, "pid"), w.pid, "-p: the target's stalls only");
				stalls++;
				ASSERT_TRUE(json_name_is(r, "comm", comm_j), "a stall's comm");
				ASSERT_TRUE(ends_with(jv_req_s(r, "cgroup"), cg_j), "a stall's cgroup");
				ASSERT_EQ(jv_req_i(r, "cgroup_id"), cg_id, "a stall's cgroup id");
			}
			jlines_free(&l);
		}
		if (parse_jlines_str(m[3].out, &l)) {
			for (int i = 0; i < l.n; i++) {
				const struct jv *r = l.recs[i];

				if (!(jv_type_is(r, "process") || jv_type_is(r, "cgroup")) ||
				    !jv_req_b(r, "final"))
					continue;
				if (jv_type_is(r, "process") && jv_req_i(r, "pid") == w.pid)
					procs += ASSERT_TRUE(json_name_is(r, "comm", comm_j), "-s: the comm");
				if (jv_type_is(r, "cgroup") && jv_req_i(r, "cgroup_id") == (long long)cg_id)
					cgs += ASSERT_TRUE(ends_with(jv_req_s(r, "cgroup"), cg_j),
							   "-s: the cgroup's name");
			}
			jlines_free(&l);
		}
		if (parse_jlines_str(m[5].out, &l)) {
			for (int i = 0; i < l.n; i++) {
				const struct jv *r = l.recs[i];

				if (!jv_type_is(r, "stack") || jv_req_i(r, "pid") != w.pid)
					continue;
				ASSERT_TRUE(json_name_is(r, "comm", comm_j), "--stacks: the comm");
				stacks += frames_have_module(jv_req_a(r, "user_stack"), lib_j);
			}
			jlines_free(&l);
		}
		test_log("%d stalls; -s: %d process rows, %d cgroup rows; %d stacks through the library",
			 stalls, procs, cgs, stacks);
		ASSERT_GE(stalls, 1, "the target stalled");
		ASSERT_EQ(procs, 1, "-s: the target's final row");
		ASSERT_EQ(cgs, 1, "-s: its cgroup's final row");
		ASSERT_GE(stacks, 1, "--stacks: a user stack through the hostile library");
	}
stop:
	for (int i = 0; i < started; i++)
		bg_free(&m[i]);
	if (wl) {
		bg_stop(&w, SIGTERM, 10000);
		bg_free(&w);
	}
out:
	memcg_destroy(&cg);
	hostile_tree_remove(&t);
	term_names_free(&nm);
	assert_no_progs_left(before, "after reclaim with hostile names");
}

/* ---- oom: the target as the victim --------------------------------------------- */

/* Two copies of the target in a 32 MiB memcg without swap: one holds
 * 24 MiB (oom_score_adj 1000), the other then touches 12 MiB: the OOM
 * killer ends the first, the second is the trigger, alive when its stack
 * (in the library: it touches the pages there) is symbolized. */
TEST_FULL(e2e_term_oom, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	struct term_names nm = { 0 };
	char child[PATH_MAX + 256], want[256], path[64];
	char *comm_t = term_keep(&nm, term_text_form(TERM_COMM)), *comm_j = term_keep(&nm, term_json_form(TERM_COMM));
	char *cg_t = term_keep(&nm, term_text_form(CG_NAME)), *cg_j = term_keep(&nm, term_json_form(CG_NAME));
	char *lib_t = NULL, *lib_j = NULL;
	struct hostile_tree t;
	struct memcg cg = { 0 };
	struct bg w[2], m[2];
	int started = 0, wl = 0;

	if (!hostile_tree_make(&t, 1))
		goto out;
	lib_t = term_keep(&nm, term_text_form(t.lib_name));
	lib_j = term_keep(&nm, term_json_form(t.lib));
	if (!hostile_memcg(&cg, 32ULL << 20, 0, child, sizeof(child)))
		goto out;
	for (; wl < 2; wl++)
		if (!hostile_start(&w[wl], &t, child, wl ? 12 : 24))
			goto out;
	/* Raised, not lowered (that takes CAP_SYS_RESOURCE): the victim. */
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", w[0].pid);
	if (!ASSERT_TRUE(write_text(path, "1000"), "the first one the OOM killer's choice"))
		goto out;
	/* And the trigger out of its reach where that is allowed (root in the
	 * guests; lowering takes CAP_SYS_RESOURCE): exit_mmap() marks the
	 * victim done (MMF_OOM_SKIP) before tlb_finish_mmu() frees the pages
	 * it gathered, and a charge in between (seen in a loaded 6.1 guest)
	 * killed the trigger too. */
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", w[1].pid);
	if (!write_text(path, "-1000"))
		test_log("the trigger left killable (%s: %s)", path, strerror(errno));
	kill(w[0].pid, SIGUSR1);
	if (!ASSERT_TRUE(bg_wait_out(&w[0], "done", NULL, 60000), "the victim holds its memory"))
		goto out;
	{
		char *a0[] = { "oom", "--count", "1", "--stacks", "--cgroup", cg.path, NULL };
		char *a1[] = { "oom", "-j", "--count", "1", "--stacks", "--cgroup", cg.path, NULL };
		char **args[] = { a0, a1 };

		for (; started < 2; started++)
			if (!start_ms(&m[started], args[started], started % 2))
				goto stop;
	}
	kill(w[1].pid, SIGUSR1);
	ASSERT_EQ(bg_stop(&w[0], 0, 120000), 128 + SIGKILL, "the victim was OOM-killed");
	ASSERT_TRUE(bg_wait_out(&w[1], "done", NULL, 60000), "the trigger got its memory");
	for (int i = 0; i < 2; i++) {
		char what[64];

		snprintf(what, sizeof(what), "oom%s", i ? " -j" : "");
		ASSERT_EQ(bg_stop(&m[i], 0, 60000), 0, what);
		assert_clean(&m[i], what);
	}
	snprintf(want, sizeof(want), "victim   %s (pid %d,", comm_t, w[0].pid);
	ASSERT_CONTAINS(m[0].out, want, "the victim, escaped");
	snprintf(want, sizeof(want), "trigger  %s (pid %d,", comm_t, w[1].pid);
	ASSERT_CONTAINS(m[0].out, want, "the trigger, escaped");
	ASSERT_CONTAINS(m[0].out, cg_t, "their cgroup's name, escaped");
	ASSERT_CONTAINS(m[0].out, lib_t, "the trigger's stack: the library's frame, escaped");
	{
		struct jlines l;

		if (parse_jlines_str(m[1].out, &l)) {
			const struct jv *k = jl_req(&l, "oom_kill"), *v = jv_req_o(k, "victim");
			const struct jv *tr = jv_req_o(k, "trigger");

			ASSERT_EQ(jv_req_i(v, "pid"), w[0].pid, "the victim's pid");
			ASSERT_TRUE(json_name_is(v, "comm", comm_j), "the victim's comm");
			ASSERT_TRUE(ends_with(jv_req_s(v, "cgroup"), cg_j), "the victim's cgroup");
			ASSERT_EQ(jv_req_i(tr, "pid"), w[1].pid, "the trigger's pid");
			ASSERT_TRUE(json_name_is(tr, "comm", comm_j), "the trigger's comm");
			if (!ASSERT_TRUE(frames_have_module(jv_req_a(k, "trigger_user_stack"), lib_j),
					 "the trigger's stack through the hostile library"))
				test_log("%.3000s", strstr(m[1].out, "trigger_user_stack"));
			jlines_free(&l);
		}
	}
stop:
	for (int i = 0; i < started; i++)
		bg_free(&m[i]);
out:
	for (int i = 0; i < wl; i++) {
		bg_stop(&w[i], SIGTERM, 10000);
		bg_free(&w[i]);
	}
	memcg_destroy(&cg);
	hostile_tree_remove(&t);
	term_names_free(&nm);
	assert_no_progs_left(before, "after oom with hostile names");
}
