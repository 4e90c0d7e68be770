// SPDX-License-Identifier: GPL-2.0
/* memscope oom against real OOM kills in a memory cgroup of the test's own,
 * checked against what the kernel printed for the same kills (the
 * "invoked oom-killer" line, the task table of vm.oom_dump_tasks, the
 * "oom-kill:" line and the "Killed process" line). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include "fsutil.h"
#include "harness.h"
#include "kmsg.h"
#include "memcg.h"
#include "progs.h"
#include "run.h"
#include "scratch.h"

/* A row of the kernel's task table. */
struct ktask {
	long pid, rss, pgtables_bytes, swapents, adj;
};

/* One kill as the kernel logged it. */
struct kkill {
	char trigger[32], constraint[48], memcg[512], comm[32];
	long victim, total_vm, anon, file, shmem, pgtables_kb, adj;
	struct ktask t[256];
	int nt;
};

/* Fill columns from the table's header ("[  pid  ]   uid  tgid total_vm
 * rss [rss_anon rss_file rss_shmem] pgtables_bytes swapents oom_score_adj
 * name": 6.1 has no per-kind rss columns). */
static void table_row(const char *line, const char *header, struct ktask *t)
{
	char h[1024], *save, *tok;
	const char *p = strchr(line, ']');
	long v[16];
	int n = 0, col = 0;

	memset(t, 0, sizeof(*t));
	t->pid = atol(strchr(line, '[') + 1);
	for (p = p ? p + 1 : line; n < 16; n++) {
		char *e;

		v[n] = strtol(p, &e, 10);
		if (e == p)
			break;
		p = e;
	}
	snprintf(h, sizeof(h), "%s", strchr(header, ']') ? strchr(header, ']') + 1 : header);
	for (tok = strtok_r(h, " ", &save); tok && col < n; tok = strtok_r(NULL, " ", &save), col++) {
		if (!strcmp(tok, "rss"))
			t->rss = v[col];
		else if (!strcmp(tok, "pgtables_bytes"))
			t->pgtables_bytes = v[col];
		else if (!strcmp(tok, "swapents"))
			t->swapents = v[col];
		else if (!strcmp(tok, "oom_score_adj"))
			t->adj = v[col];
	}
}

/* The kills in a stretch of the kernel log, up to max; their number. */
static int parse_kills(const char *log, struct kkill *k, int max)
{
	char header[1024] = "";
	struct kkill cur = { 0 };
	int n = 0;

	for (const char *l = log; l && *l && n < max; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char line[1024], *p;

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
		if ((p = strstr(line, " invoked oom-killer:"))) {
			memset(&cur, 0, sizeof(cur));
			snprintf(cur.trigger, sizeof(cur.trigger), "%.*s", (int)(p - line), line);
		} else if (strstr(line, "[  pid  ]")) {
			snprintf(header, sizeof(header), "%s", line);
		} else if (line[0] == '[' && header[0] && cur.nt < 256) {
			table_row(line, header, &cur.t[cur.nt++]);
		} else if ((p = strstr(line, "oom-kill:constraint="))) {
			sscanf(p, "oom-kill:constraint=%47[^,]", cur.constraint);
			if ((p = strstr(line, "oom_memcg=")))
				sscanf(p, "oom_memcg=%511[^,]", cur.memcg);
		} else if ((p = strstr(line, "Killed process "))) {
			if (sscanf(p, "Killed process %ld (%31[^)]) total-vm:%ldkB, anon-rss:%ldkB, "
				   "file-rss:%ldkB, shmem-rss:%ldkB", &cur.victim, cur.comm,
				   &cur.total_vm, &cur.anon, &cur.file, &cur.shmem) == 6) {
				if ((p = strstr(line, "pgtables:")))
					cur.pgtables_kb = atol(p + 9);
				if ((p = strstr(line, "oom_score_adj:")))
					cur.adj = atol(p + 14);
				k[n++] = cur;
			}
		}
	}
	return n;
}

static const struct ktask *ktask_of(const struct kkill *k, long pid)
{
	for (int i = 0; i < k->nt; i++)
		if (k->t[i].pid == pid)
			return &k->t[i];
	return NULL;
}

static long long meminfo_kb(const char *key)
{
	char *t = read_text_file("/proc/meminfo", NULL), *p = t ? strstr(t, key) : NULL;
	long long kb = p ? atoll(p + strlen(key)) : -1;

	free(t);
	return kb;
}

static bool hog_as(struct bg *b, const struct memcg *cg, char **argv, int adj);

/* memhog of mib MiB in cg with oom_score_adj adj (0: leave), started and
 * told to go. */
static bool hog(struct bg *b, const struct memcg *cg, const char *mib, int adj)
{
	char *argv[] = { (char *)bin_path("tests/workloads/memhog"), (char *)mib, NULL };

	return hog_as(b, cg, argv, adj);
}

/* The same from argv (argv[0]: the program, maybe a link of another name:
 * the task's comm is the name it was executed by). */
static bool hog_as(struct bg *b, const struct memcg *cg, char **argv, int adj)
{
	struct run_opts o = { .memcg = cg->path };
	char path[64], v[16];

	if (!ASSERT_OK(bg_start(b, argv, &o), "start memhog"))
		return false;
	if (!ASSERT_TRUE(bg_wait_out(b, "ready", NULL, 60000), "memhog ready"))
		return false;
	if (adj) {
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", b->pid);
		snprintf(v, sizeof(v), "%d", adj);
		if (!write_text(path, v))
			return false;
	}
	kill(b->pid, SIGUSR1);
	return true;
}

/* A kernel before 6.2, whose per-thread rss caches reach the mm's counters
 * late (f1a7941243c1 replaced them with percpu counters)? */
static bool split_rss(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 2);
}

/* One kill record against the kernel's log of it; cg: the memcg of a
 * memcg OOM, NULL for a global one. */
static void check_kill(const struct jv *r, const struct kkill *k, const struct memcg *cg)
{
	const struct jv *v = jv_req_o(r, "victim");
	const struct jv *c = jv_req_b(r, "candidates_read") ? jv_req_a(r, "candidates") : NULL;
	long long points = jv_req_i(r, "chosen_points"), total = jv_req_i(r, "totalpages");

	test_log("kill of %ld (%s), adj %ld, triggered by %s: memscope says points %lld of "
		 "totalpages %lld", k->victim, k->comm, k->adj, k->trigger, points, total);
	ASSERT_STREQ(jv_req_s(v, "comm"), k->comm, "victim comm");
	ASSERT_EQ(jv_req_i(v, "total_vm_kb"), k->total_vm, "victim total-vm");
	if (split_rss()) {
		/* Before 6.2 each thread kept up to 64 counter events of its
		 * own (SPLIT_RSS_COUNTING), added to the mm's counters as it
		 * exits: the kernel decided on the counters memscope read,
		 * but its log line, printed after the SIGKILL, may already
		 * include what the dying victim added. */
		const char *keys[] = { "anon_rss_kb", "file_rss_kb", "shmem_rss_kb" };
		const long logged[] = { k->anon, k->file, k->shmem };

		for (int i = 0; i < 3; i++) {
			ASSERT_LE(jv_req_i(v, keys[i]), logged[i], keys[i]);
			ASSERT_GE(jv_req_i(v, keys[i]), logged[i] - 64 * 4, keys[i]);
		}
	} else {
		ASSERT_EQ(jv_req_i(v, "anon_rss_kb"), k->anon, "victim anon-rss");
		ASSERT_EQ(jv_req_i(v, "file_rss_kb"), k->file, "victim file-rss");
		ASSERT_EQ(jv_req_i(v, "shmem_rss_kb"), k->shmem, "victim shmem-rss");
	}
	ASSERT_EQ(jv_req_i(v, "pgtables_kb"), k->pgtables_kb, "victim pgtables");
	ASSERT_EQ(jv_req_i(v, "oom_score_adj"), k->adj, "victim oom_score_adj");
	ASSERT_STREQ(jv_req_s(jv_req_o(r, "trigger"), "comm"), k->trigger, "trigger comm");
	if (cg) {
		ASSERT_STREQ(jv_req_s(r, "constraint"), "memcg", "constraint");
		ASSERT_STREQ(k->constraint, "CONSTRAINT_MEMCG", "the kernel's constraint");
		ASSERT_CONTAINS(jv_req_s(jv_req_o(r, "memcg"), "path"), k->memcg,
				"the memcg, as logged");
		ASSERT_EQ(total, (long long)(cg->limit / 4096), "totalpages: the group's limit");
	} else {
		ASSERT_STREQ(jv_req_s(r, "constraint"), "global", "constraint");
		ASSERT_STREQ(k->constraint, "CONSTRAINT_NONE", "the kernel's constraint");
		/* totalram_pages() + total_swap_pages: MemTotal and SwapTotal. */
		ASSERT_EQ(total, (meminfo_kb("MemTotal:") + meminfo_kb("SwapTotal:")) / 4,
			  "totalpages: RAM and swap");
	}
	if (split_rss()) {
		/* Read after the SIGKILL (mark_victim), the victim's counters
		 * may include the caches it flushed as it began to exit. */
		ASSERT_GE(jv_req_i(v, "badness"), points, "our badness of the victim vs the kernel's");
		ASSERT_LE(jv_req_i(v, "badness"), points + 3 * 64,
			  "our badness of the victim vs the kernel's");
	} else {
		ASSERT_EQ(jv_req_i(v, "badness"), points, "our badness of the victim = the kernel's");
	}
	/* The candidates: the kernel's task table, row by row. */
	for (size_t i = 0; c && i < c->len; i++) {
		const struct jv *e = c->items[i];
		const struct ktask *t = ktask_of(k, jv_req_i(e, "pid"));
		char what[64];

		snprintf(what, sizeof(what), "candidate %lld", jv_req_i(e, "pid"));
		if (!ASSERT_TRUE(t != NULL, what))
			continue;
		/* In a global OOM the candidates include tasks that run on
		 * (memscope itself, the test runner): their rss may move
		 * between memscope's reading and the kernel's table. The
		 * memcg's candidates are idle workloads, and the victim is
		 * stopped by then: exact. */
		if (!cg && !jv_req_b(e, "victim")) {
			ASSERT_EQ(jv_req_i(e, "oom_score_adj"), t->adj, what);
			continue;
		}
		ASSERT_EQ(jv_req_i(e, "rss_kb"), t->rss * 4, what);
		ASSERT_EQ(jv_req_i(e, "pgtables_kb") * 1024, t->pgtables_bytes, what);
		ASSERT_EQ(jv_req_i(e, "swap_kb"), t->swapents * 4, what);
		ASSERT_EQ(jv_req_i(e, "oom_score_adj"), t->adj, what);
		if (i == 0) {
			ASSERT_TRUE(jv_req_b(e, "victim"), "the victim has the most points");
			ASSERT_EQ(jv_req_i(e, "points"), points, "its points = the kernel's");
		} else if (!jv_req_b(e, "unkillable")) {
			ASSERT_LE(jv_req_i(e, "points"), points, "no candidate above the victim");
		}
	}
	if (c)
		ASSERT_EQ((long long)c->len, (long long)(k->nt < 8 ? k->nt : 8),
			  "one candidate per task the kernel listed (8 at most)");
}

/* Three memhogs in a 64 MiB group: 20 MiB (adj 0), 10 MiB (adj 500), and
 * one that asks for 128 MiB. The 10 MiB one has the most points once the
 * third has grown past it: it is killed, the third being the trigger;
 * then the third itself. Every figure against the kernel's log. */
static void global_kill(const char *mode);

static void memcg_kills(const char *mode)
{
	unsigned before = bpf_prog_max_id();
	char env[64];
	const char *envv[] = { env, NULL };
	struct run_opts mo = { .env = mode ? envv : NULL };
	char *log = NULL;
	struct bg a, b, c, d, m, m2, m3;
	struct memcg cg2;
	int filtered = 0;
	char link[64] = "";
	bool unkillable = false;
	long a_score = -1;
	struct kkill k[4];
	struct memcg cg;
	struct jlines l;
	size_t at = 0;
	int kfd, nk, started = 0;

	if (!memcg_create_or_skip(&cg, 64ULL << 20, 0))
		return;
	if (!memcg_create_or_skip(&cg2, 64ULL << 20, 0)) {
		memcg_destroy(&cg);
		return;
	}
	kfd = kmsg_open();
	if (kfd < 0) {
		memcg_destroy(&cg);
		memcg_destroy(&cg2);
		test_skip("no /dev/kmsg to read the kernel's account from");
	}
	{
		char *argv[] = { (char *)bin_path("memscope"), "oom", "-j", "--count", "2", "--stacks",
				 "--candidates", "8", NULL };

		/* --cgroup: this group's kills; an empty sibling's: none. */
		char *in[] = { (char *)bin_path("memscope"), "oom", "-j", "--count", "2", "--cgroup",
			       cg.path, NULL };
		char *other[] = { (char *)bin_path("memscope"), "oom", "-j", "--cgroup", cg2.path,
				  NULL };
		size_t at2 = 0, at3 = 0;

		snprintf(env, sizeof(env), "MEMSCOPE_ATTACH=%s", mode ? mode : "");
		if (!ASSERT_OK(bg_start(&m, argv, &mo), "start memscope oom"))
			goto out;
		if (!ASSERT_TRUE(bg_wait_out(&m, "\"type\":\"attached\"", &at, 60000), "attached"))
			goto out1;
		if (mode)
			ASSERT_CONTAINS(m.out, mode, "in the forced mode");
		if (!ASSERT_OK(bg_start(&m2, in, &mo), "start memscope oom --cgroup"))
			goto out1;
		filtered = 1;
		if (!ASSERT_OK(bg_start(&m3, other, &mo), "start memscope oom --cgroup (sibling)"))
			goto out1;
		filtered = 2;
		if (!ASSERT_TRUE(bg_wait_out(&m2, "\"type\":\"attached\"", &at2, 60000), "attached") ||
		    !ASSERT_TRUE(bg_wait_out(&m3, "\"type\":\"attached\"", &at3, 60000), "attached"))
			goto out1;
	}
	memset(&d, 0, sizeof(d));
	if (!hog(&a, &cg, "20", 0))
		goto out2;
	started++;
	if (!hog(&b, &cg, "10", 500))
		goto out2;
	started++;
	/* Let both touch their memory first. */
	ASSERT_TRUE(bg_wait_out(&a, "truth", NULL, 60000), "20 MiB touched");
	ASSERT_TRUE(bg_wait_out(&b, "truth", NULL, 60000), "10 MiB touched");
	/* An unkillable one (oom_score_adj -1000: root lacks
	 * CAP_SYS_RESOURCE on our hosts, so in the guests only). */
	{
		char *argv[] = { (char *)bin_path("tests/workloads/memhog"), "4", NULL };
		struct run_opts o = { .memcg = cg.path };
		char path[64];

		if (ASSERT_OK(bg_start(&d, argv, &o), "start the unkillable one") &&
		    ASSERT_TRUE(bg_wait_out(&d, "ready", NULL, 60000), "ready")) {
			snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", d.pid);
			unkillable = write_text(path, "-1000");
			test_log("oom_score_adj -1000: %s", unkillable ? "set" : "refused here");
			kill(d.pid, SIGUSR1);
			ASSERT_TRUE(bg_wait_out(&d, "truth", NULL, 60000), "4 MiB touched");
		}
	}
	/* The one that asks for more runs as "memtrigger" (a link to
	 * memhog): the kernel's log names the trigger by its comm. */
	snprintf(link, sizeof(link), "/tmp/memtrigger-%d", (int)getpid());
	unlink(link);
	if (!ASSERT_OK(symlink(bin_path("tests/workloads/memhog"), link), "link memtrigger"))
		goto out2;
	{
		char *argv[] = { link, "128", NULL };

		if (!hog_as(&c, &cg, argv, 0))
			goto out2;
	}
	started++;
	ASSERT_EQ(bg_stop(&m, 0, 60000), 0, "memscope ends after --count 2 kills");
	ASSERT_EQ(bg_stop(&m2, 0, 60000), 0, "--cgroup: ends after the group's 2 kills");
	ASSERT_EQ(bg_stop(&m3, SIGINT, 30000), 0, "--cgroup of the sibling: exit status");
	ASSERT_EQ(m2.out ? (int)(strstr(m2.out, "\"type\":\"oom_kill\"") != NULL) : 0, 1,
		  "--cgroup: the group's kills");
	ASSERT_TRUE(!m3.out || !strstr(m3.out, "\"type\":\"oom_kill\""),
		    "--cgroup of an empty sibling: no kill");
	{
		char path[64], *t;

		/* The 20 MiB one lives on, idle: what /proc says of it now. */
		snprintf(path, sizeof(path), "/proc/%d/oom_score", a.pid);
		t = read_text_file(path, NULL);
		a_score = t ? atol(t) : -1;
		free(t);
	}
	log = kmsg_read(kfd);
	nk = parse_kills(log, k, 4);
	test_log("the kernel logged %d kills", nk);
	if (ASSERT_GE(nk, 2, "kills in the kernel's log") && parse_jlines_str(m.out, &l)) {
		int from = 0;

		for (int i = 0; i < 2; i++) {
			const struct jv *r = jlines_find(&l, &from, "oom_kill", NULL, NULL);

			if (!ASSERT_TRUE(r != NULL, "an oom_kill record"))
				break;
			ASSERT_EQ(jv_req_i(jv_req_o(r, "victim"), "pid"), k[i].victim,
				  "the same victim as the kernel, in order");
			check_kill(r, &k[i], &cg);
			if (jv_req_b(r, "candidates_read")) {
				const struct jv *cs = jv_req_a(r, "candidates");

				for (size_t e = 0; cs && e < cs->len; e++)
					if (jv_req_i(cs->items[e], "pid") == a.pid)
						ASSERT_EQ(jv_req_i(cs->items[e], "oom_score"), a_score,
							  "oom_score as /proc/PID/oom_score says");
			}
			if (unkillable && jv_req_b(r, "candidates_read")) {
				const struct jv *cs = jv_req_a(r, "candidates");
				bool listed = false;

				for (size_t e = 0; cs && e < cs->len; e++)
					if (jv_req_i(cs->items[e], "pid") == d.pid) {
						listed = true;
						ASSERT_TRUE(jv_req_b(cs->items[e], "unkillable"),
							    "adj -1000 listed as unkillable");
						ASSERT_FALSE(jv_req_b(cs->items[e], "victim"),
							     "and never chosen");
					}
				ASSERT_TRUE(listed, "the unkillable task among the candidates");
			}
			/* --stacks: the trigger's kernel stack runs through the
			 * memcg's OOM; its user stack is captured (symbolized only
			 * while the trigger lives: here it is killed within
			 * milliseconds, before its maps can be read). */
			{
				const struct jv *ks = jv_req_a(r, "trigger_kernel_stack");
				const struct jv *us = jv_req_a(r, "trigger_user_stack");
				bool kin = false, uin = false;

				for (size_t f = 0; ks && f < ks->len; f++)
					kin |= !strcmp(jv_req_sn(ks->items[f], "sym") ?: "",
						       "mem_cgroup_out_of_memory");
				uin = us && us->len >= 1;
				ASSERT_TRUE(kin, "mem_cgroup_out_of_memory in the trigger's kernel stack");
				ASSERT_TRUE(uin, "the trigger's user stack captured");
			}
			/* Any of them may trigger a kill (an idle one faulting its
			 * evicted text back in, too): the kernel names it. */
			if (!strncmp(k[i].trigger, "memtrigger", 10)) {
				ASSERT_EQ(jv_req_i(jv_req_o(r, "trigger"), "pid"), c.pid,
					  "the trigger: memtrigger, as the kernel says");
				ASSERT_EQ(jv_req_b(r, "trigger_is_victim"), k[i].victim == c.pid,
					  "trigger_is_victim");
			}
			if (i == 0)
				ASSERT_EQ(k[0].victim, b.pid, "the kernel chose the adj 500 one");
		}
		jlines_free(&l);
	}
out2:
	if (d.pid > 0) {
		bg_stop(&d, SIGKILL, 10000);
		bg_free(&d);
	}
	if (started > 2) {
		bg_stop(&c, SIGKILL, 10000);
		bg_free(&c);
	}
	if (started > 1) {
		bg_stop(&b, SIGKILL, 10000);
		bg_free(&b);
	}
	if (started > 0) {
		bg_stop(&a, SIGKILL, 10000);
		bg_free(&a);
	}
out1:
	bg_stop(&m, SIGINT, 30000);
	bg_free(&m);
	if (filtered > 0) {
		bg_stop(&m2, SIGINT, 30000);
		bg_free(&m2);
	}
	if (filtered > 1) {
		bg_stop(&m3, SIGINT, 30000);
		bg_free(&m3);
	}
out:
	if (link[0])
		unlink(link);
	free(log);
	close(kfd);
	memcg_destroy(&cg);
	memcg_destroy(&cg2);
	assert_no_progs_left(before, "after the OOM kills");
}

TEST_FULL(e2e_oom_memcg_kills, T_ROOT | T_E2E, 300)
{
	memcg_kills(NULL);
}

/* The other ways in (fentry, kprobe on oom_kill_process: the decision read
 * from its argument), forced where probe says they load (the guests). */
TEST_FULL(e2e_oom_modes, T_ROOT | T_E2E, 600)
{
	static const char *const modes[] = { "fentry", "kprobe" };
	struct run_result r;
	struct jlines l;
	int ran = 0;

	ASSERT_OK(run_memscope(NULL, &r, "probe", "-j", NULL), "probe");
	if (!parse_jlines(&r, &l)) {
		run_result_free(&r);
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		bool loads = false;

		/* Either job: the tool takes oom-basic where oom cannot load. */
		for (int jb = 0; jb < 2; jb++) {
			const struct jv *job = jlines_find(&l, NULL, "tool", "job",
							   jb ? "oom-basic" : "oom");
			const struct jv *ms = jv_req_a(job, "modes");

			for (size_t k = 0; ms && k < ms->len; k++)
				if (!strcmp(jv_req_s(ms->items[k], "mode"), modes[i]))
					loads |= jv_req_b(ms->items[k], "loads");
		}
		test_log("mode %s: %s here", modes[i], loads ? "loads" : "does not load");
		if (!loads)
			continue;
		memcg_kills(modes[i]);
		if (getenv("MEMSCOPE_GUEST"))
			global_kill(modes[i]);
		ran++;
	}
	jlines_free(&l);
	run_result_free(&r);
	if (!ran)
		test_skip("neither fentry nor kprobes load here (the guests run them)");
}

TEST(e2e_oom_bad_input, T_ROOT | T_E2E)
{
	static const struct bad_input cases[] = {
		{ { "oom", "--cgroup", "/memscope-no-such-cgroup" }, 1, "no memory cgroup" },
		{ { "oom", "--count", "0" }, 2, "invalid --count" },
		{ { "oom", "-d", "x" }, 2, "invalid duration" },
		{ { "oom", "5" }, 2, "unexpected argument" },
		{ { "oom", "--candidates", "9" }, 2, "--candidates takes" },
	};
	unsigned before = bpf_prog_max_id();

	assert_bad_inputs(cases);
	assert_no_progs_left(before, "after bad input");
}

/* A global OOM, in a QEMU guest (a machine of its own): a memhog asking
 * for more than the guest has, with oom_score_adj 1000, is the victim;
 * constraint global, totalpages the machine's RAM and swap. */
TEST_FULL(e2e_oom_global_guest, T_ROOT | T_E2E, 300)
{
	if (!getenv("MEMSCOPE_GUEST"))
		test_skip("a global OOM is driven in the QEMU guests only (a machine of their own)");
	global_kill(NULL);
}

static void global_kill(const char *mode)
{
	unsigned before = bpf_prog_max_id();
	char env[64];
	const char *envv[] = { env, NULL };
	struct run_opts mo = { .env = mode ? envv : NULL };
	char mib[24], path[64], *log = NULL;
	struct kkill *k = calloc(2, sizeof(*k));
	struct bg w, m;
	struct jlines l;
	size_t at = 0;
	int kfd;

	kfd = kmsg_open();
	snprintf(env, sizeof(env), "MEMSCOPE_ATTACH=%s", mode ? mode : "");
	snprintf(mib, sizeof(mib), "%lld", meminfo_kb("MemTotal:") / 1024 + 64);
	{
		char *argv[] = { (char *)bin_path("memscope"), "oom", "-j", "--count", "1",
				 "--candidates", "8", NULL };

		if (!ASSERT_OK(bg_start(&m, argv, &mo), "start memscope oom") ||
		    !ASSERT_TRUE(bg_wait_out(&m, "\"type\":\"attached\"", &at, 60000), "attached"))
			goto out;
	}
	{
		char *argv[] = { (char *)bin_path("tests/workloads/memhog"), mib, NULL };

		if (!ASSERT_OK(bg_start(&w, argv, NULL), "start memhog") ||
		    !ASSERT_TRUE(bg_wait_out(&w, "ready", NULL, 60000), "memhog ready"))
			goto out1;
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", w.pid);
		ASSERT_TRUE(write_text(path, "1000"), "oom_score_adj 1000");
		kill(w.pid, SIGUSR1);
	}
	ASSERT_EQ(bg_stop(&m, 0, 120000), 0, "memscope ends after the kill");
	log = kmsg_read(kfd);
	if (ASSERT_EQ(parse_kills(log, k, 2) >= 1, 1, "a kill in the kernel's log") &&
	    parse_jlines_str(m.out, &l)) {
		const struct jv *r = jl_req(&l, "oom_kill");

		ASSERT_EQ(k[0].victim, w.pid, "the kernel killed memhog");
		if (r) {
			ASSERT_EQ(jv_req_i(jv_req_o(r, "victim"), "pid"), k[0].victim, "the victim");
			check_kill(r, &k[0], NULL);
		}
		jlines_free(&l);
	}
	bg_stop(&w, SIGKILL, 10000);
out1:
	bg_free(&w);
out:
	bg_stop(&m, SIGINT, 30000);
	bg_free(&m);
	free(log);
	free(k);
	if (kfd >= 0)
		close(kfd);
	assert_no_progs_left(before, "after the global OOM");
}

/* As a user holding only CAP_BPF and CAP_PERFMON (the README's claim). */
TEST_FULL(e2e_oom_bpf_perfmon, T_ROOT | T_E2E, 180)
{
	unsigned before = bpf_prog_max_id();
	struct run_opts o = { .timeout_ms = 60000, .uid = 65534, .caps = CAP_BPF_PERFMON };
	struct run_result r;
	struct jlines l;

	ASSERT_OK(run_memscope(&o, &r, "oom", "-j", "-d", "1", NULL), "run oom -d 1");
	test_log("stderr: %.300s", r.err);
	ASSERT_EQ(r.status, 0, "exit status");
	if (parse_jlines(&r, &l)) {
		ASSERT_TRUE(jl_req(&l, "attached") != NULL, "attached");
		ASSERT_TRUE(jl_req(&l, "summary") != NULL, "through to the summary");
		test_log("job: %s", jv_req_s(jl_req(&l, "attached"), "attach"));
		jlines_free(&l);
	}
	run_result_free(&r);
	assert_no_progs_left(before, "after oom with CAP_BPF+CAP_PERFMON");
}

/* Milliseconds after the kill of a reaper step; -1 when not seen (null). */
static double step_ms(const struct jv *reaper, const char *key)
{
	const struct jv *v = jv_req(reaper, key);

	return v && v->t == J_NUM ? v->num : -1;
}

/* The OOM reaper, in a guest: the victim is stuck writing to a frozen file
 * system (uninterruptibly), so the kill cannot end it; 2 s later the
 * reaper takes its memory. wake <= start <= finish, and the kernel logs
 * "oom_reaper: reaped process". */
TEST_FULL(e2e_oom_reaper_guest, T_ROOT | T_E2E, 300)
{
	unsigned before = bpf_prog_max_id();
	char *dir, file[4200], link[64] = "", *log = NULL;
	struct bg v, t, m;
	struct memcg cg;
	struct jlines l;
	size_t at = 0;
	int kfd = -1, ffd = -1;
	bool frozen = false;

	if (!getenv("MEMSCOPE_GUEST"))
		test_skip("freezing a file system is done in the QEMU guests only (their own "
			  "scratch disk)");
	dir = scratch_mkdtemp("reaper");
	if (!dir)
		test_skip("no scratch disk");
	snprintf(file, sizeof(file), "%s/stuck", dir);
	if (!memcg_create_or_skip(&cg, 64ULL << 20, 0))
		return;
	kfd = kmsg_open();
	memset(&v, 0, sizeof(v));
	memset(&t, 0, sizeof(t));
	{
		char *argv[] = { (char *)bin_path("tests/workloads/memhog"), "40", "write", file, NULL };

		if (!hog_as(&v, &cg, argv, 0) ||
		    !ASSERT_TRUE(bg_wait_out(&v, "truth", NULL, 60000), "40 MiB touched"))
			goto out;
	}
	{
		char *argv[] = { (char *)bin_path("memscope"), "oom", "-j", "--count", "1", NULL };

		if (!ASSERT_OK(bg_start(&m, argv, NULL), "start memscope oom") ||
		    !ASSERT_TRUE(bg_wait_out(&m, "\"type\":\"attached\"", &at, 60000), "attached"))
			goto out;
	}
	ffd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	frozen = ffd >= 0 && !ioctl(ffd, FIFREEZE, 0);
	if (!ASSERT_TRUE(frozen, "freeze the scratch file system"))
		goto out1;
	kill(v.pid, SIGUSR2);
	ASSERT_TRUE(bg_wait_out(&v, "writing", NULL, 10000), "the victim writes");
	usleep(300 * 1000);
	snprintf(link, sizeof(link), "/tmp/memtrigger-%d", (int)getpid());
	unlink(link);
	if (!ASSERT_OK(symlink(bin_path("tests/workloads/memhog"), link), "link memtrigger"))
		goto out1;
	{
		char *argv[] = { link, "128", NULL };

		if (!hog_as(&t, &cg, argv, 0))
			goto out1;
	}
	ASSERT_EQ(bg_stop(&m, 0, 60000), 0, "memscope ends after the kill");
	log = kmsg_read(kfd);
	if (parse_jlines_str(m.out, &l)) {
		const struct jv *r = jl_req(&l, "oom_kill"), *rp = r ? jv_req_o(r, "reaper") : NULL;
		double wake = step_ms(rp, "wake_ms"), start = step_ms(rp, "start_ms");
		double finish = step_ms(rp, "finish_ms");
		char reaped[64];

		test_log("victim %lld: reaper woken %.1f ms after the kill, reaped %.1f to %.1f ms",
			 r ? jv_req_i(jv_req_o(r, "victim"), "pid") : -1, wake, start, finish);
		ASSERT_EQ(r ? jv_req_i(jv_req_o(r, "victim"), "pid") : -1, v.pid,
			  "the stuck one is the victim");
		ASSERT_TRUE(wake >= 0 && start >= wake && finish >= start,
			    "reaper: woken, started, finished, in that order");
		snprintf(reaped, sizeof(reaped), "oom_reaper: reaped process %d ", v.pid);
		ASSERT_CONTAINS(log, reaped, "the kernel's log: reaped");
		jlines_free(&l);
	}
out1:
	bg_stop(&m, SIGINT, 30000);
	bg_free(&m);
out:
	if (frozen)
		ioctl(ffd, FITHAW, 0);
	if (ffd >= 0)
		close(ffd);
	if (t.pid > 0) {
		bg_stop(&t, SIGKILL, 10000);
		bg_free(&t);
	}
	if (v.pid > 0) {
		bg_stop(&v, SIGKILL, 30000);
		bg_free(&v);
	}
	if (link[0])
		unlink(link);
	free(log);
	if (kfd >= 0)
		close(kfd);
	memcg_destroy(&cg);
	assert_no_progs_left(before, "after the reaper test");
}
