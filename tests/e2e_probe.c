// SPDX-License-Identifier: GPL-2.0
/* `memscope probe` against facts the test establishes on its own: uname,
 * stat of the BTF file, tracefs event directories and format files, raw
 * bpf()/perf_event_open() attach attempts, /proc/mounts, /proc/swaps. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "harness.h"
#include "ktruth.h"
#include "run.h"

static const char *const kinds[PROBE_NR_KINDS] = {
	"tracepoint", "raw_tp", "tp_btf", "kprobe", "kretprobe", "kprobe_multi",
	"fentry", "fexit", "uprobe", "uretprobe", "uprobe_multi",
};

/* Run probe -j once per test and parse it. */
static bool probe_json(struct jlines *l, unsigned *before)
{
	struct run_result r;
	bool ok;

	*before = bpf_prog_max_id();
	if (!ASSERT_OK(run_memscope(NULL, &r, "probe", "-j", NULL), "run probe -j"))
		return false;
	ok = ASSERT_EQ(r.status, 0, "probe -j exit status");
	if (!ok)
		test_log("stderr: %s", r.err);
	ok = ok && parse_jlines(&r, l);
	run_result_free(&r);
	assert_no_progs_left(*before, "after probe -j");
	return ok;
}

TEST(e2e_probe_kernel_facts, T_ROOT | T_E2E)
{
	struct jlines l;
	struct utsname u;
	struct stat st;
	const struct jv *k, *memcg, *swap, *btf;
	unsigned before;
	char line[512];
	int swaps = -1, v1 = 0, v2mem = 0;
	FILE *f;

	if (!probe_json(&l, &before))
		return;
	k = jl_req(&l, "kernel");
	if (!k)
		goto out;
	uname(&u);
	ASSERT_STREQ(jv_req_s(k, "release"), u.release, "release is uname -r");
	btf = jv_req_o(k, "btf");
	ASSERT_EQ(jv_req_b(btf, "present"), stat("/sys/kernel/btf/vmlinux", &st) == 0,
		  "btf presence");
	ASSERT_EQ(jv_req_i(btf, "size_bytes"), st.st_size, "btf size");
	ASSERT_EQ(jv_req_b(k, "psi_memory"), access("/proc/pressure/memory", R_OK) == 0, "psi");
	ASSERT_EQ(jv_req_i(jv_req_o(k, "privileges"), "euid"), geteuid(), "euid");

	/* Swap devices: lines of /proc/swaps after its header. */
	f = fopen("/proc/swaps", "r");
	while (f && fgets(line, sizeof(line), f))
		swaps++;
	if (f)
		fclose(f);
	swap = jv_req_o(k, "swap");
	ASSERT_EQ(jv_req_i(swap, "devices"), swaps < 0 ? 0 : swaps, "swap devices");

	/* Memory cgroup version from /proc/mounts, read here independently. */
	f = fopen("/proc/mounts", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char dev[64], dir[256], type[32], opts[256], ctrl[512], p[300];

		if (sscanf(line, "%63s %255s %31s %255s", dev, dir, type, opts) != 4)
			continue;
		if (!strcmp(type, "cgroup") && (strstr(opts, ",memory") == opts + strlen(opts) - 7 ||
						strstr(opts, ",memory,")))
			v1 = 1;
		snprintf(p, sizeof(p), "%s/cgroup.controllers", dir);
		if (!strcmp(type, "cgroup2")) {
			FILE *c = fopen(p, "r");

			if (c && fgets(ctrl, sizeof(ctrl), c) && strstr(ctrl, "memory"))
				v2mem = 1;
			if (c)
				fclose(c);
		}
	}
	if (f)
		fclose(f);
	memcg = jv_req_o(k, "memcg");
	ASSERT_EQ(jv_req_i(memcg, "version"), v1 ? 1 : v2mem ? 2 : 0, "memcg version");
	test_log("kernel %s, memcg v%d, swap devices %d", u.release, v1 ? 1 : v2mem ? 2 : 0,
		 swaps < 0 ? 0 : swaps);
out:
	jlines_free(&l);
}

TEST(e2e_probe_attach_types_match_raw_syscalls, T_ROOT | T_E2E)
{
	struct jlines l;
	unsigned before;

	if (!probe_json(&l, &before))
		return;
	for (int k = 0; k < PROBE_NR_KINDS; k++) {
		struct jv *a = jlines_find(&l, NULL, "attach", "name", kinds[k]);
		const char *why = NULL;
		bool truth, got;
		char what[128];

		snprintf(what, sizeof(what), "attach record for %s", kinds[k]);
		if (!ASSERT_TRUE(a, what))
			continue;
		truth = ktruth_attach(k, &why);
		got = jv_req_b(a, "attaches");
		snprintf(what, sizeof(what), "%s attaches (raw syscalls say %s%s%s)", kinds[k],
			 truth ? "yes" : "no", why ? ": fails at " : "", why ? why : "");
		ASSERT_EQ(got, truth, what);
		/* Whatever attaches must also be seen to run. */
		if (got) {
			snprintf(what, sizeof(what), "%s fires", kinds[k]);
			ASSERT_TRUE(jv_req_b(a, "fires"), what);
		}
		test_log("%-13s probe=%s raw=%s", kinds[k], got ? "yes" : "no", truth ? "yes" : "no");
	}
	assert_no_progs_left(before, "after the raw checks");
	jlines_free(&l);
}

TEST(e2e_probe_tracepoints_match_tracefs_and_btf, T_ROOT | T_E2E)
{
	const char *tracefs = test_tracefs();
	struct btf *btf = btf__load_vmlinux_btf();
	struct jlines l;
	unsigned before;
	int from = 0, n = 0;
	struct jv *t;

	if (!tracefs)
		test_skip("tracefs cannot be mounted");
	if (!probe_json(&l, &before))
		goto out;
	while ((t = jlines_find(&l, &from, "tracepoint", NULL, NULL))) {
		const char *cat = jv_req_s(t, "category"), *name = jv_req_s(t, "name");
		char path[512], what[160], tn[160];

		if (!cat || !name)
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs, cat, name);
		snprintf(what, sizeof(what), "%s:%s in tracefs", cat, name);
		ASSERT_EQ(jv_req_b(t, "tracefs"), access(path, F_OK) == 0, what);
		snprintf(tn, sizeof(tn), "btf_trace_%s", name);
		snprintf(what, sizeof(what), "%s in BTF", name);
		ASSERT_EQ(jv_req_b(t, "btf"),
			  btf && btf__find_by_name_kind(btf, tn, BTF_KIND_TYPEDEF) > 0, what);

		/* The prototype against BTF, read here with libbpf's type
		 * lookups: as many arguments as the func proto has after
		 * void *__data, and "matches" is the contract's prefix test. */
		if (btf && jv_req_b(t, "btf")) {
			int id = btf__find_by_name_kind(btf, tn, BTF_KIND_TYPEDEF);
			const struct btf_type *fp = btf__type_by_id(btf, btf__type_by_id(btf,
						btf__type_by_id(btf, id)->type)->type);
			const char *args = jv_req_s(t, "args"), *exp = jv_req_s(t, "expects");
			int commas = 0;

			for (const char *c = args; c && *c; c++)
				commas += *c == ',';
			snprintf(what, sizeof(what), "%s: arguments listed", name);
			ASSERT_EQ(commas + 1, btf_vlen(fp) - 1, what);
			if (exp) {
				size_t len = strlen(exp);
				bool m = !strncmp(args, exp, len) && (!args[len] || args[len] == ',');

				snprintf(what, sizeof(what), "%s: contract (%s) %s", name, exp,
					 m ? "holds" : "does not hold");
				ASSERT_EQ(jv_req_b(t, "matches"), m, what);
			}
		}
	}
	ASSERT_GE(n, 9, "every tracepoint leak reads is reported");
out:
	btf__free(btf);
	jlines_free(&l);
}

TEST(e2e_probe_text_report, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id();
	struct run_result r;
	struct utsname u;

	ASSERT_OK(run_memscope(NULL, &r, "probe", NULL), "run probe");
	ASSERT_EQ(r.status, 0, "exit status");
	uname(&u);
	ASSERT_CONTAINS(r.out, u.release, "names the kernel");
	for (int k = 0; k < PROBE_NR_KINDS; k++) {
		char row[32];

		snprintf(row, sizeof(row), "\n%s ", kinds[k]);
		ASSERT_CONTAINS(r.out, row, "one row per attach type");
	}
	ASSERT_CONTAINS(r.out, "kmem:kmalloc", "tracepoint table");
	ASSERT_CONTAINS(r.out, "\nleak-user ", "tool modes");
	ASSERT_CONTAINS(r.out, "\nleak-kernel ", "tool modes");
	ASSERT_CONTAINS(r.out, "\ncache ", "tool modes");
	ASSERT_CONTAINS(r.out, "\nreclaim ", "tool modes");
	ASSERT_CONTAINS(r.out, "\noom ", "tool modes");
	ASSERT_CONTAINS(r.out, "\noom-basic ", "tool modes");
	ASSERT_EQ(r.err_len, 0, "no diagnostics by default");
	run_result_free(&r);
	assert_no_progs_left(before, "after probe");
}

TEST(e2e_probe_not_root, T_ROOT | T_E2E)
{
	struct run_opts o = { .uid = 65534 };
	unsigned before = bpf_prog_max_id();
	struct run_result r;

	ASSERT_OK(run_memscope(&o, &r, "probe", NULL), "run as nobody");
	ASSERT_EQ(r.status, 1, "runtime failure exit code");
	ASSERT_CONTAINS(r.err, "needs root", "says what is missing");
	ASSERT_CONTAINS(r.err, "CAP_BPF", "names the capabilities");
	run_result_free(&r);
	assert_no_progs_left(before, "after a refused run");
}

TEST(e2e_probe_bad_btf_file, T_ROOT | T_E2E)
{
	unsigned before = bpf_prog_max_id();
	struct run_result r;

	ASSERT_OK(run_memscope(NULL, &r, "probe", "--btf", "/nonexistent/vmlinux.btf", NULL), "run");
	ASSERT_EQ(r.status, 1, "runtime failure exit code");
	ASSERT_CONTAINS(r.err, "/nonexistent/vmlinux.btf", "names the file");
	run_result_free(&r);
	assert_no_progs_left(before, "after a bad --btf");
}

/* MEMSCOPE_ATTACH forces the mode of every tool job that has that attach
 * type among its modes (each job lists its modes' attach types) and of no
 * other job. Five whole probe runs: under TCG on a loaded host they took
 * up to 140 s (each trial fentry attach waits for an RCU-tasks grace
 * period). */
TEST_FULL(e2e_probe_attach_override, T_ROOT | T_E2E, 360)
{
	static const char *const forced[] = { "tracepoint", "raw_tp", "tp_btf", "kprobe", "fentry" };
	unsigned before = bpf_prog_max_id();

	for (size_t i = 0; i < sizeof(forced) / sizeof(forced[0]); i++) {
		char env[64], what[160];
		const char *envv[] = { env, NULL };
		struct run_opts o = { .env = envv };
		struct run_result r;
		struct jlines l;
		struct jv *a, *t;
		int from = 0, n_forced = 0;
		bool attaches;

		snprintf(env, sizeof(env), "MEMSCOPE_ATTACH=%s", forced[i]);
		ASSERT_OK(run_memscope(&o, &r, "probe", "-j", NULL), "run");
		if (!ASSERT_EQ(r.status, 0, env) || !parse_jlines(&r, &l)) {
			run_result_free(&r);
			continue;
		}
		a = jlines_find(&l, NULL, "attach", "name", forced[i]);
		ASSERT_TRUE(a, "an attach record for the forced kind");
		attaches = jv_req_b(a, "attaches");
		while ((t = jlines_find(&l, &from, "tool", NULL, NULL))) {
			const char *job = jv_req_s(t, "job"), *mode = jv_req_sn(t, "mode");
			const struct jv *modes = jv_req_a(t, "modes");
			bool has = false;

			for (size_t k = 0; modes && k < modes->len; k++) {
				const char *at = jv_req_s(modes->items[k], "attach_type");

				has |= at && !strcmp(at, forced[i]);
			}
			n_forced += jv_req_b(t, "forced");
			snprintf(what, sizeof(what), "%s: %s forced", env, job ? job : "?");
			ASSERT_EQ(jv_req_b(t, "forced"), has, what);
			if (has) {
				/* Forced: that mode or nothing; never where the type
				 * does not attach. Where it does, the job's own
				 * programs may still be refused (6.1's verifier and
				 * tp_btf `void *` arguments): then the refusal is
				 * listed. */
				const struct jv *ref = jv_at(jv_req_a(t, "refused"), 0);

				snprintf(what, sizeof(what), "%s: %s runs in it or says why", env, job);
				ASSERT_TRUE(mode ? !strcmp(mode, forced[i]) :
					    ref && !strcmp(jv_req_s(ref, "mode"), forced[i]), what);
				if (!attaches)
					ASSERT_FALSE(mode, "not where the type does not attach");
			}
		}
		test_log("%-26s forced %d job(s); the type %s here", env, n_forced,
			 attaches ? "attaches" : "does not attach");
		jlines_free(&l);
		run_result_free(&r);
	}

	{
		const char *envv[] = { "MEMSCOPE_ATTACH=nonsense", NULL };
		struct run_opts o = { .env = envv };
		struct run_result r;

		ASSERT_OK(run_memscope(&o, &r, "probe", NULL), "run");
		ASSERT_EQ(r.status, 2, "an unknown MEMSCOPE_ATTACH is a usage error");
		ASSERT_CONTAINS(r.err, "MEMSCOPE_ATTACH=nonsense", "names the value");
		run_result_free(&r);
	}
	assert_no_progs_left(before, "after forced runs");
}

/* A one-second run of the tool a job belongs to, by job name. */
static const char *const *job_run(const char *job)
{
	static const char *const kernel[] = { "leak", "-j", "1", "1", NULL };
	static const char *const cache[] = { "cachestat", "-j", "1", "1", NULL };
	static const char *const reclaim[] = { "reclaim", "-j", "-d", "1", NULL };

	if (!strcmp(job, "leak-kernel"))
		return kernel;
	if (!strcmp(job, "cache"))
		return cache;
	if (!strcmp(job, "reclaim"))
		return reclaim;
	/* oom: two jobs (with and without the candidates), the second where
	 * the first cannot load: e2e_oom_modes forces its modes. */
	return NULL;
}

/* Only registered tools appear (those `memscope --help` lists), each job
 * with the mode its own programs load in; and forced onto each mode
 * probe says loads, the tool runs in exactly that mode, onto each it says
 * does not, it refuses. */
TEST_FULL(e2e_probe_tools_are_what_runs, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	struct run_result r;
	struct jlines l;
	struct jv *t;
	int from = 0, jobs = 0;

	ASSERT_OK(run_memscope(NULL, &r, "--help", NULL), "memscope --help");
	if (!probe_json(&l, &before)) {
		run_result_free(&r);
		return;
	}
	while ((t = jlines_find(&l, &from, "tool", NULL, NULL))) {
		const char *tool = jv_req_s(t, "tool"), *job = jv_req_s(t, "job");
		const struct jv *modes = jv_req_a(t, "modes");
		const char *const *args = job ? job_run(job) : NULL;
		char row[64];

		jobs++;
		snprintf(row, sizeof(row), "\n  %s ", tool ? tool : "?");
		ASSERT_CONTAINS(r.out, row, "a registered tool");
		/* oom runs without its candidates (oom-basic) where the task
		 * iterator is missing (6.1): one of the two must run. */
		if (!job || strcmp(job, "oom"))
			ASSERT_TRUE(jv_req_b(t, "can_run"), job ? job : "?");
		for (size_t k = 0; args && modes && k < modes->len; k++) {
			const char *m = jv_req_s(modes->items[k], "mode");
			bool loads = jv_req_b(modes->items[k], "loads");
			char env[64], what[160];
			const char *envv[] = { env, NULL };
			struct run_opts fo = { .timeout_ms = 60000, .env = envv };
			char *argv[8] = { (char *)bin_path("memscope") };
			struct run_result fr;
			struct jlines fl;
			int n = 1;

			for (const char *const *a = args; *a; a++)
				argv[n++] = (char *)*a;
			snprintf(env, sizeof(env), "MEMSCOPE_ATTACH=%s", m);
			ASSERT_OK(run_argv(argv, &fo, &fr), env);
			snprintf(what, sizeof(what), "%s %s: %s", job, env,
				 loads ? "runs (probe says it loads)" : "refuses (probe says so)");
			ASSERT_EQ(fr.status, loads ? 0 : 1, what);
			if (loads && parse_jlines(&fr, &fl)) {
				ASSERT_STREQ(jv_req_s(jl_req(&fl, "attached"), "attach"), m,
					     "in that mode");
				jlines_free(&fl);
			}
			run_result_free(&fr);
		}
	}
	ASSERT_EQ(jobs, 6, "leak-user, leak-kernel, cache, reclaim, oom, oom-basic");
	run_result_free(&r);
	jlines_free(&l);
	assert_no_progs_left(before, "after probe and the tools");
}
