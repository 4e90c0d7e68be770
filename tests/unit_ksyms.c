// SPDX-License-Identifier: GPL-2.0
/* Kernel symbolization: against /proc/kallsyms parsed here (as root), and
 * against files of our own in kallsyms' format: normal, every address
 * zero, unreadable, empty, and cut or mangled lines. Whatever fails,
 * every frame asked for must come back filled in. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "harness.h"
#include "run.h"
#include "syms/ksyms.h"

/* ---- files of our own ------------------------------------------------------ */

#define KALLSYMS_OK                                                             \
	"0000000000000000 A fixed_percpu_data\n"                               \
	"ffffffff81000000 T _stext\n"                                          \
	"ffffffff81000100 t helper\n"                                          \
	"ffffffff81000200 T do_thing\n"                                        \
	"ffffffff81000200 t do_thing_alias\n"                                  \
	"ffffffff81000400 D some_data\n"                                       \
	"ffffffff81001000 T _etext\n"                                          \
	"ffffffffc0001000 t mod_fn\t[mymod]\n"                                 \
	"ffffffffc0001100 t mod_last\t[mymod]\n"

/* A file with text in it, in a directory of its own; its path in path. */
static bool kfile(char *path, size_t len, const char *text)
{
	char dir[] = "/tmp/memscope-ksyms-XXXXXX";

	if (!mkdtemp(dir) || chmod(dir, 0755))
		return false;
	snprintf(path, len, "%s/kallsyms", dir);
	return write_text(path, text);
}

static void kfile_remove(const char *path)
{
	char dir[256], *slash;

	unlink(path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		rmdir(dir);
	}
}

/* Every frame holds its address and nothing else. */
static bool address_only(const struct sym_frame *f, const uint64_t *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].addr != (addrs ? addrs[i] : 0) || f[i].sym || f[i].module || f[i].file ||
		    f[i].build_id || f[i].offset || f[i].line)
			return false;
	return true;
}

static const uint64_t probe_addrs[] = {
	0xffffffff81000105, 0xffffffff81000000, 0xffffffff81000250, 0xffffffff81002000,
	0xffffffffc0001050, 0xffffffffc0001200, 0xffffffffc0031100, 0x1234,
	0xffffffff81000450,
};
#define NPROBE (sizeof(probe_addrs) / sizeof(probe_addrs[0]))

/* What KALLSYMS_OK answers for probe_addrs. */
static void check_answers(const struct sym_frame *f)
{
	ASSERT_STREQ(f[0].sym, "helper", "a local text symbol");
	ASSERT_EQ(f[0].offset, 5, "its offset");
	ASSERT_STREQ(f[0].module, "vmlinux", "the core kernel");
	ASSERT_STREQ(f[1].sym, "_stext", "a symbol's own address");
	ASSERT_EQ(f[1].offset, 0, "offset 0");
	ASSERT_STREQ(f[2].sym, "do_thing", "of two names, the global one");
	ASSERT_EQ(f[2].offset, 0x50, "its offset");
	ASSERT_TRUE(!f[3].sym && !f[3].module, "past _etext: unknown");
	ASSERT_STREQ(f[4].sym, "mod_fn", "a module's function");
	ASSERT_STREQ(f[4].module, "mymod", "the module");
	ASSERT_STREQ(f[5].sym, "mod_last", "the last symbol of a module covers its tail");
	ASSERT_EQ(f[5].offset, 0x100, "its offset");
	ASSERT_TRUE(!f[6].sym, "far past the last symbol: unknown");
	ASSERT_TRUE(!f[7].sym && !f[7].module, "below every symbol: unknown");
	ASSERT_TRUE(!f[8].sym, "data is not text");
	for (size_t i = 0; i < NPROBE; i++)
		ASSERT_EQ(f[i].addr, probe_addrs[i], "address kept");
}

TEST(unit_ksyms_file_normal, 0)
{
	struct sym_frame out[NPROBE];
	char path[128];
	struct ksyms *k;

	if (!ASSERT_TRUE(kfile(path, sizeof(path), KALLSYMS_OK), "kallsyms file"))
		return;
	k = ksyms_new_from(path);
	if (ASSERT_TRUE(k, "ksyms_new_from")) {
		ASSERT_OK(ksyms_resolve(k, probe_addrs, NPROBE, out), "resolve");
		check_answers(out);
	}
	ksyms_free(k);
	kfile_remove(path);
}

TEST(unit_ksyms_null_object, 0)
{
	struct sym_frame out[NPROBE];

	/* What a caller whose ksyms_new() failed does: gets frames anyway. */
	memset(out, 0xaa, sizeof(out));
	ASSERT_EQ(ksyms_resolve(NULL, probe_addrs, NPROBE, out), -EINVAL, "no ksyms object");
	ASSERT_TRUE(address_only(out, probe_addrs, NPROBE), "frames filled with the addresses");
	memset(out, 0xaa, sizeof(out));
	ASSERT_EQ(ksyms_resolve(NULL, NULL, 3, out), -EINVAL, "no addresses");
	ASSERT_TRUE(address_only(out, NULL, 3), "frames zeroed");
	ASSERT_OK(ksyms_resolve(NULL, NULL, 0, NULL), "nothing asked");
	ksyms_free(NULL);
}

TEST(unit_ksyms_file_all_zero, 0)
{
	const char *zero =
		"0000000000000000 A fixed_percpu_data\n"
		"0000000000000000 T _stext\n"
		"0000000000000000 t helper\n"
		"0000000000000000 T do_thing\n"
		"0000000000000000 t mod_fn\t[mymod]\n";
	struct sym_frame out[NPROBE];
	char path[128];
	struct ksyms *k;

	if (!ASSERT_TRUE(kfile(path, sizeof(path), zero), "kallsyms file"))
		return;
	errno = 0;
	k = ksyms_new_from(path);
	ASSERT_TRUE(!k && errno == EPERM, "hidden addresses: EPERM");
	ksyms_free(k);

	/* Hidden after ksyms_new(): sysctl kernel.kptr_restrict changed. */
	ASSERT_TRUE(write_text(path, KALLSYMS_OK), "addresses visible");
	k = ksyms_new_from(path);
	if (ASSERT_TRUE(k, "visible at first")) {
		ASSERT_OK(ksyms_resolve(k, probe_addrs, 2, out), "a first batch");
		ASSERT_TRUE(write_text(path, zero), "addresses hidden");
		memset(out, 0xaa, sizeof(out));
		ASSERT_EQ(ksyms_resolve(k, probe_addrs, NPROBE, out), -EPERM, "then hidden");
		ASSERT_STREQ(out[0].sym, "helper", "answers from before are still given");
		ASSERT_TRUE(address_only(out + 2, probe_addrs + 2, NPROBE - 2),
			    "the rest: addresses only");
	}
	ksyms_free(k);
	kfile_remove(path);
}

TEST(unit_ksyms_file_unreadable, 0)
{
	struct sym_frame out[NPROBE];
	char path[128];
	struct ksyms *k;
	int status;
	pid_t pid;

	errno = 0;
	k = ksyms_new_from("/nonexistent/kallsyms");
	ASSERT_TRUE(!k && errno == ENOENT, "missing file: ENOENT");
	if (!ASSERT_TRUE(kfile(path, sizeof(path), ""), "empty file"))
		return;
	errno = 0;
	k = ksyms_new_from(path);
	ASSERT_TRUE(!k && errno == ENODATA, "empty (masked) file: ENODATA");

	/* Readable at first, then not: the pass fails, frames still come. */
	ASSERT_TRUE(write_text(path, KALLSYMS_OK), "symbols");
	k = ksyms_new_from(path);
	if (ASSERT_TRUE(k, "readable at first")) {
		unlink(path);
		memset(out, 0xaa, sizeof(out));
		ASSERT_EQ(ksyms_resolve(k, probe_addrs, NPROBE, out), -ENOENT, "then gone");
		ASSERT_TRUE(address_only(out, probe_addrs, NPROBE), "frames filled with the addresses");
	}
	ksyms_free(k);
	kfile_remove(path);

	/* Not readable by us: as nobody, a file of mode 0. */
	if (!ASSERT_TRUE(kfile(path, sizeof(path), KALLSYMS_OK), "kallsyms file") ||
	    !ASSERT_OK(chmod(path, 0), "chmod 0"))
		return;
	pid = fork();
	if (pid == 0) {
		if (getuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(3);
		errno = 0;
		k = ksyms_new_from(path);
		_exit(!k && errno == EACCES ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		test_log("cannot become nobody: EACCES not checked");
	else
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unreadable: EACCES");
	kfile_remove(path);
}

/* Lines cut short or mangled are passed over; the good ones still count. */
TEST(unit_ksyms_file_truncated_lines, 0)
{
	static char long_name[8192];
	struct sym_frame out[NPROBE];
	char path[128], *text;
	struct ksyms *k;
	size_t len;

	memset(long_name, 'x', sizeof(long_name) - 1);
	len = strlen(KALLSYMS_OK) + sizeof(long_name) + 512;
	text = malloc(len);
	if (!ASSERT_TRUE(text, "memory"))
		return;
	snprintf(text, len,
		 "ffffffff81000000\n"			/* address only */
		 "ffffffff81000080 t\n"			/* no name */
		 "ffffffff81000090 T \n"			/* empty name */
		 "ffffffff810000a0 TT bad_type\n"
		 "zzzzzzzzzzzzzzzz T not_hex\n"
		 "\n"
		 " T leading_space\n"
		 "ffffffff81000300 t %s\n"		/* a name longer than any buffer */
		 "%s"
		 "ffffffffd0000000 t mod_unterminated\t[mymod\n"
		 "ffffffffe0000000 t cut_at_eof", long_name, KALLSYMS_OK);
	if (!ASSERT_TRUE(kfile(path, sizeof(path), text), "kallsyms file"))
		goto out;
	k = ksyms_new_from(path);
	if (ASSERT_TRUE(k, "ksyms_new_from")) {
		uint64_t more[3] = { 0xffffffff81000305, 0xffffffffe0000004, 0xffffffffd0000010 };
		struct sym_frame m[3];

		ASSERT_OK(ksyms_resolve(k, probe_addrs, NPROBE, out), "resolve");
		check_answers(out);
		ASSERT_OK(ksyms_resolve(k, more, 3, m), "resolve more");
		ASSERT_TRUE(m[0].sym && strlen(m[0].sym) == sizeof(long_name) - 1 && m[0].offset == 5,
			    "a very long name whole");
		ASSERT_STREQ(m[1].sym, "cut_at_eof", "a last line without newline");
		ASSERT_STREQ(m[2].sym, "mod_unterminated", "an unclosed module bracket");
		ASSERT_STREQ(m[2].module, "vmlinux", "is no module");
	}
	ksyms_free(k);
	kfile_remove(path);
out:
	free(text);
}

/* ---- the real /proc/kallsyms ------------------------------------------------ */

struct ktruth {
	uint64_t addr;
	char name[256];
	char module[128];
	char type;
};

/* /proc/kallsyms, read here: the text symbols named want (NULL: all). */
static size_t read_kallsyms(const char *want, struct ktruth *out, size_t max)
{
	char line[512], name[256], mod[128];
	size_t n = 0;
	uint64_t a;
	char type;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		mod[0] = 0;
		if (sscanf(line, "%" SCNx64 " %c %255s [%127[^]]]", &a, &type, name, mod) < 3)
			continue;
		if (want && strcmp(name, want))
			continue;
		out[n].addr = a;
		out[n].type = type;
		snprintf(out[n].name, sizeof(out[n].name), "%s", name);
		snprintf(out[n].module, sizeof(out[n].module), "%s", mod);
		n++;
	}
	fclose(f);
	return n;
}

static long long rchar(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/self/io", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "rchar:", 6))
			v = strtoll(line + 6, NULL, 10);
	fclose(f);
	return v;
}

TEST(e2e_ksyms_vfs_read, T_ROOT | T_E2E)
{
	struct ktruth t;
	struct sym_frame f;
	struct ksyms *k;
	uint64_t addr;
	char name[128];

	if (!ASSERT_EQ(read_kallsyms("vfs_read", &t, 1), 1, "vfs_read in /proc/kallsyms"))
		return;
	k = ksyms_new();
	if (!ASSERT_TRUE(k != NULL, "ksyms_new"))
		return;
	addr = t.addr + 5;
	ASSERT_OK(ksyms_resolve(k, &addr, 1, &f), "resolve vfs_read+5");
	ASSERT_EQ(f.addr, addr, "addr kept");
	ASSERT_STREQ(f.sym, "vfs_read", "symbol");
	ASSERT_EQ(f.offset, 5, "offset");
	ASSERT_STREQ(f.module, "vmlinux", "module");
	ASSERT_TRUE(f.file == NULL && f.line == 0, "no lines for the kernel");
	test_log("%s in %s (build-id %s)", sym_frame_name(&f, name, sizeof(name)), f.module,
		 f.build_id ? f.build_id : "none");
	ksyms_free(k);
}

static int ktruth_cmp(const void *a, const void *b)
{
	const struct ktruth *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

TEST(e2e_ksyms_batch, T_ROOT | T_E2E)
{
	enum { MAX_SYMS = 400000, PICK = 12 };
	struct ktruth *all = calloc(MAX_SYMS, sizeof(*all));
	uint64_t addrs[PICK + 4], want_start[PICK];
	struct sym_frame out[PICK + 4], again[PICK + 4];
	size_t n, i, j, got = 0, text = 0;
	long long r0, r1;
	struct ksyms *k;

	if (!ASSERT_TRUE(all != NULL, "memory"))
		return;
	n = read_kallsyms(NULL, all, MAX_SYMS);
	qsort(all, n, sizeof(*all), ktruth_cmp);
	for (i = 0; i < n; i++)
		text += all[i].type == 't' || all[i].type == 'T';
	if (!ASSERT_GT(text, 1000, "text symbols in /proc/kallsyms"))
		return;
	/* Every (text/PICK)-th text symbol that is followed by another of
	 * the same module at least 16 bytes on: the middle lies in it. BPF
	 * programs and trampolines come and go (other tests, other tools):
	 * not those. */
	for (i = 0, j = 0; i + 1 < n && got < PICK; i++) {
		if (all[i].type != 't' && all[i].type != 'T')
			continue;
		if (!strcmp(all[i].module, "bpf") || !strncmp(all[i].module, "__builtin", 9))
			continue;
		if (j++ % (text / PICK) || all[i + 1].addr < all[i].addr + 16 ||
		    strcmp(all[i].module, all[i + 1].module) || !strncmp(all[i].name, "_e", 2))
			continue;
		addrs[got] = all[i].addr + (all[i + 1].addr - all[i].addr) / 2;
		want_start[got++] = all[i].addr;
	}
	if (!ASSERT_GE(got, PICK / 2, "symbols picked"))
		return;
	addrs[got] = addrs[0];			/* a duplicate */
	addrs[got + 1] = 0;			/* garbage */
	addrs[got + 2] = 0xffff888000000000ull;	/* direct map, not text */
	addrs[got + 3] = all[0].addr ? all[0].addr - 1 : 1;	/* below every symbol */

	k = ksyms_new();
	if (!ASSERT_TRUE(k != NULL, "ksyms_new"))
		return;
	r0 = rchar();
	ASSERT_OK(ksyms_resolve(k, addrs, got + 4, out), "resolve a batch");
	r1 = rchar();
	test_log("one pass read %lld bytes of /proc/kallsyms", r1 - r0);
	for (i = 0; i < got; i++) {
		bool alias = false;

		/* Several names can share an address: any of them will do. */
		for (j = 0; j < n; j++)
			if (all[j].addr == want_start[i] && out[i].sym && !strcmp(all[j].name, out[i].sym))
				alias = true;
		if (!ASSERT_TRUE(alias, "a name of the symbol covering the address"))
			test_log("  0x%" PRIx64 ": got %s", addrs[i], out[i].sym ? out[i].sym : "(null)");
		ASSERT_EQ(out[i].offset, addrs[i] - want_start[i], "offset");
		ASSERT_TRUE(out[i].module != NULL, "module");
	}
	ASSERT_TRUE(out[got].sym == out[0].sym && out[got].offset == out[0].offset, "duplicate");
	for (i = got + 1; i < got + 4; i++)
		ASSERT_TRUE(out[i].sym == NULL && out[i].module == NULL, "unknown address");

	/* All cached now: no second pass. */
	r0 = rchar();
	ASSERT_OK(ksyms_resolve(k, addrs, got + 4, again), "resolve again");
	r1 = rchar();
	ASSERT_LT(r1 - r0, 4096, "answered from the cache");
	for (i = 0; i < got + 4; i++)
		ASSERT_TRUE(again[i].sym == out[i].sym && again[i].offset == out[i].offset,
			    "same answers");
	ksyms_free(k);
	free(all);
}

TEST(e2e_ksyms_hidden_addresses, T_ROOT | T_E2E)
{
	int status;
	pid_t pid;

	/* What an unprivileged user gets depends on kptr_restrict and
	 * perf_event_paranoid: find out as that user, then check ksyms
	 * agrees. */
	pid = fork();
	if (pid == 0) {
		char line[256];
		bool hidden = true;
		struct ksyms *k;
		FILE *f;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		f = fopen("/proc/kallsyms", "re");
		while (f && fgets(line, sizeof(line), f)) {
			char type = 0;

			if (sscanf(line, "%*s %c", &type) == 1 && (type == 't' || type == 'T')) {
				hidden = strspn(line, "0") == 16;
				break;
			}
		}
		if (f)
			fclose(f);
		errno = 0;
		k = ksyms_new();
		if (hidden)
			_exit(!k && errno == EPERM ? 10 : 1);
		_exit(k ? 11 : 2);
	}
	waitpid(pid, &status, 0);
	if (!ASSERT_TRUE(WIFEXITED(status), "child exited"))
		return;
	if (WEXITSTATUS(status) == 3)
		test_skip("cannot become nobody");
	ASSERT_TRUE(WEXITSTATUS(status) >= 10, "ksyms_new agrees with what kallsyms shows");
	test_log("as nobody: addresses %s", WEXITSTATUS(status) == 10 ? "hidden, EPERM" : "visible");
}
