// SPDX-License-Identifier: GPL-2.0
/* /proc and /sys parsers on fixed inputs. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "caps/kfuncs.h"
#include "caps/sysfacts.h"
#include "core/procfs.h"

static FILE *text(const char *s)
{
	return fmemopen((void *)s, strlen(s), "r");
}

TEST(unit_procfs_maps_line, 0)
{
	struct proc_map m;

	ASSERT_OK(proc_map_parse("55d0c0a5e000-55d0c0a60000 r-xp 00002000 fe:00 1234    "
				 "/usr/bin/with space\n", &m), "file mapping");
	ASSERT_EQ(m.start, 0x55d0c0a5e000UL, "start");
	ASSERT_EQ(m.end, 0x55d0c0a60000UL, "end");
	ASSERT_EQ(m.pgoff, 0x2000, "pgoff");
	ASSERT_EQ(m.inode, 1234, "inode");
	ASSERT_EQ(m.dev_major, 0xfe, "device major");
	ASSERT_EQ(m.dev_minor, 0, "device minor");
	ASSERT_STREQ(m.perms, "r-xp", "perms");
	ASSERT_STREQ(m.path, "/usr/bin/with space", "path keeps spaces");

	ASSERT_OK(proc_map_parse("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 \n", &m), "anon");
	ASSERT_STREQ(m.path, "", "anonymous has no path");

	/* The kernel's only escape in maps: a newline as \012. Other bytes
	 * (ESC, invalid UTF-8) and a trailing space come as they are. */
	ASSERT_OK(proc_map_parse("7f0000000000-7f0000001000 r-xp 00000000 fe:00 42 "
				 "/t/a\\012b\x1b]0;\xff\\012 \n", &m), "newline in a path");
	ASSERT_STREQ(m.path, "/t/a\nb\x1b]0;\xff\n ", "the file's own bytes");
	/* A path of PATH_MAX - 1 bytes whose newlines make its maps line
	 * longer than PATH_MAX comes whole. */
	{
		static char line[2 * PATH_MAX], want[PATH_MAX];
		size_t at = (size_t)snprintf(line, sizeof(line), "7f0000000000-7f0000001000 r-xp "
					     "00000000 fe:00 42 ");

		for (size_t i = 0; i < PATH_MAX - 1; i++) {
			want[i] = i % 100 ? 'x' : '\n';
			at += (size_t)snprintf(line + at, sizeof(line) - at, "%s",
					       i % 100 ? "x" : "\\012");
		}
		want[PATH_MAX - 1] = 0;
		strcpy(line + at, "\n");
		ASSERT_OK(proc_map_parse(line, &m), "a long path with newlines");
		ASSERT_TRUE(!strcmp(m.path, want), "whole, newlines undone");
	}

	ASSERT_EQ(proc_map_parse("garbage", &m), -EINVAL, "garbage");
	ASSERT_EQ(proc_map_parse("2000-1000 r-xp 0 0:0 0", &m), -EINVAL, "end before start");
}

TEST(unit_procfs_mounts, 0)
{
	const char *mounts =
		"sysfs /sys sysfs rw,nosuid 0 0\n"
		"cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n"
		"cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
		"cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
	char buf[256];
	FILE *f;

	f = text(mounts);
	ASSERT_OK(mounts_find(f, "cgroup", "memory", buf, sizeof(buf)), "v1 memory");
	ASSERT_STREQ(buf, "/sys/fs/cgroup/memory", "mount point");
	fclose(f);

	f = text(mounts);
	ASSERT_OK(mounts_find(f, "cgroup2", NULL, buf, sizeof(buf)), "cgroup2");
	ASSERT_STREQ(buf, "/sys/fs/cgroup/unified", "v2 mount point");
	fclose(f);

	/* "memory" must be a whole option, not a substring. */
	f = text("cgroup /x cgroup rw,nomemory 0 0\n");
	ASSERT_EQ(mounts_find(f, "cgroup", "memory", buf, sizeof(buf)), -ENOENT, "substring");
	fclose(f);
}

/* Paths past the old 512-byte limit come through whole. */
TEST(unit_procfs_maps_long_path, 0)
{
	static char line[PATH_MAX + 128], path[PATH_MAX];
	static const size_t lens[] = { 600, 4000, PATH_MAX - 1 };
	struct proc_map m;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(path, 'p', lens[i]);
		path[0] = '/';
		path[lens[i]] = 0;
		snprintf(line, sizeof(line), "7f0000000000-7f0000001000 r-xp 00000000 fe:00 42 %s\n",
			 path);
		ASSERT_OK(proc_map_parse(line, &m), "long path line");
		ASSERT_EQ(strlen(m.path), lens[i], "path length");
		ASSERT_TRUE(!strcmp(m.path, path), "path whole");
	}
}

/* A file mapped from a path of more than 600 bytes, found by address in
 * our own maps. */
TEST(unit_procfs_maps_long_path_mapped, 0)
{
	char dir[] = "/tmp/memscope-procfs-XXXXXX", path[PATH_MAX], comp[200];
	struct proc_map m;
	size_t depth = 0;
	void *p = MAP_FAILED;
	int fd = -1;

	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	memset(comp, 'd', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = 0;
	snprintf(path, sizeof(path), "%s", dir);
	while (strlen(path) < 700) {
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", comp);
		if (!ASSERT_OK(mkdir(path, 0700), "mkdir"))
			goto out;
		depth++;
	}
	strcat(path, "/mapped file");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (!ASSERT_TRUE(fd >= 0 && !ftruncate(fd, 4096), "file"))
		goto out;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (!ASSERT_TRUE(p != MAP_FAILED, "mmap"))
		goto out;
	ASSERT_OK(proc_map_find(0, (unsigned long)p + 100, &m), "found by address");
	ASSERT_STREQ(m.path, path, "the whole path");
	test_log("a %zu-byte path", strlen(path));
out:
	if (p != MAP_FAILED)
		munmap(p, 4096);
	if (fd >= 0)
		close(fd);
	unlink(path);
	for (; depth; depth--) {
		*strrchr(path, '/') = 0;
		rmdir(path);
	}
	rmdir(dir);
}

TEST(unit_procfs_mounts_escapes, 0)
{
	const char *mounts =
		"tmpfs /run tmpfs rw,size=1k 0 0\n"
		"tmpfs /mnt/with\\040space tmpfs rw,size=2k 0 0\n"
		"tmpfs /mnt/t\\011ab\\012nl\\134bs tmpfs rw,size=3k 0 0\n"
		"tmpfs /mnt/not\\04an\\999escape tmpfs rw,size=4k 0 0\n";
	static const struct {
		const char *opt, *want;
	} cases[] = {
		{ "size=1k", "/run" },
		{ "size=2k", "/mnt/with space" },
		{ "size=3k", "/mnt/t\tab\nnl\\bs" },		/* tab, newline, backslash */
		{ "size=4k", "/mnt/not\\04an\\999escape" },	/* not escapes: kept */
	};
	char buf[256], tiny[8];
	FILE *f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = text(mounts);
		ASSERT_OK(mounts_find(f, "tmpfs", cases[i].opt, buf, sizeof(buf)), cases[i].opt);
		ASSERT_STREQ(buf, cases[i].want, "mount point unescaped");
		fclose(f);
	}
	f = text(mounts);
	ASSERT_EQ(mounts_find(f, "tmpfs", "size=2k", tiny, sizeof(tiny)), -ENAMETOOLONG,
		  "a mount point longer than the buffer");
	fclose(f);
}

/* The real thing: a tmpfs of our own (private mount namespace) at a path
 * with a space and a tab, found through /proc/self/mounts. */
TEST(unit_procfs_mounts_real_space, T_ROOT)
{
	char dir[] = "/tmp/memscope-procfs-XXXXXX", mnt[128], buf[256];
	bool mounted = false;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		test_skip("no private mount namespace: %s", strerror(errno));
	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(mnt, sizeof(mnt), "%s/a mount\tpoint", dir);
	if (!ASSERT_OK(mkdir(mnt, 0755), "mkdir"))
		goto out;
	if (!ASSERT_OK(mount("tmpfs", mnt, "tmpfs", 0, "size=12k"), "mount"))
		goto out;
	mounted = true;
	ASSERT_OK(proc_mount_find("tmpfs", "size=12k", buf, sizeof(buf)), "found");
	ASSERT_STREQ(buf, mnt, "mount point with a space and a tab");
out:
	if (mounted)
		umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	rmdir(dir);
}

TEST(unit_procfs_cgroup, 0)
{
	const char *v1 = "5:devices:/\n4:memory:/process_api/abc\n0::/\n";
	const char *v2 = "0::/user.slice/user-0.slice/session-1.scope\n";
	char buf[256];
	FILE *f;

	f = text(v1);
	ASSERT_OK(cgroup_find(f, "memory", buf, sizeof(buf)), "v1 memory");
	ASSERT_STREQ(buf, "/process_api/abc", "v1 path");
	fclose(f);

	f = text(v2);
	ASSERT_OK(cgroup_find(f, "", buf, sizeof(buf)), "v2");
	ASSERT_STREQ(buf, "/user.slice/user-0.slice/session-1.scope", "v2 path");
	fclose(f);

	f = text("3:cpu,cpuacct:/a\n");
	ASSERT_OK(cgroup_find(f, "cpuacct", buf, sizeof(buf)), "comma list");
	fclose(f);

	f = text("broken line\n");
	ASSERT_EQ(cgroup_find(f, "memory", buf, sizeof(buf)), -ENOENT, "broken");
	fclose(f);
}

TEST(unit_procfs_word_in_list, 0)
{
	ASSERT_TRUE(word_in_list("cpu memory io", "memory"), "space list");
	ASSERT_TRUE(word_in_list("rw,memory", "memory"), "comma list");
	ASSERT_FALSE(word_in_list("rw,nomemory", "memory"), "prefix");
	ASSERT_FALSE(word_in_list("memoryx", "memory"), "suffix");
	ASSERT_FALSE(word_in_list("", "memory"), "empty");
}

/* Input we do not control: random and mutated lines must neither crash the
 * parsers nor produce an impossible mapping. */
TEST(unit_procfs_random_input, 0)
{
	static const char *const seeds[] = {
		"55d0c0a5e000-55d0c0a60000 r-xp 00002000 fe:00 1234 /usr/bin/x\n",
		"cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n",
		"4:memory:/process_api/abc\n",
	};
	unsigned seed = 777;
	char line[300], buf[256];

	for (int round = 0; round < 20000; round++) {
		const char *s = seeds[round % 3];
		size_t n = strlen(s);
		struct proc_map m;
		FILE *f;

		memcpy(line, s, n + 1);
		for (int k = rand_r(&seed) % 6; k >= 0; k--) {
			size_t at = rand_r(&seed) % (n + 1);

			line[at] = (char)(rand_r(&seed) % 3 ? rand_r(&seed) : 0);
		}
		if (round % 7 == 0)
			for (size_t i = 0; i + 1 < sizeof(line); i++)
				line[i] = (char)(rand_r(&seed) % 255 + 1);
		line[sizeof(line) - 1] = 0;
		if (!proc_map_parse(line, &m) && !ASSERT_TRUE(m.start <= m.end, "start <= end"))
			break;
		f = fmemopen(line, strlen(line) + 1, "r");
		if (f) {
			mounts_find(f, "cgroup", "memory", buf, sizeof(buf));
			rewind(f);
			cgroup_find(f, "memory", buf, sizeof(buf));
			fclose(f);
		}
		word_in_list(line, "memory");
	}
}

/* /proc/PID/stat: a name holding spaces and parentheses does not shift the
 * fields after it; our own stat read for real. */
TEST(unit_procfs_pid_stat, 0)
{
	struct proc_pid_stat st;

	ASSERT_OK(proc_pid_stat_parse("42 (a) b (c)) Z 1 42 42 0 -1 4194560 7 0 0 0 1 2 0 0 20 0 1 "
				      "0 123456 0 0", &st), "a hostile name");
	ASSERT_EQ(st.state, 'Z', "state");
	ASSERT_EQ(st.flags, 4194560, "flags");
	ASSERT_EQ(st.start_time, 123456, "start time");
	ASSERT_EQ(proc_pid_stat_parse("42 (cut", &st), -EINVAL, "no end of the name");
	ASSERT_EQ(proc_pid_stat_parse("42 (x) R 1 2", &st), -EINVAL, "too few fields");
	ASSERT_OK(proc_pid_stat_read(getpid(), &st), "our own stat");
	ASSERT_EQ(st.state, 'R', "we are running");
	ASSERT_EQ(proc_pid_stat_read(-5, &st), -ESRCH, "no such process");
}

/* /proc/swaps: a device per line after the header, a long path one line
 * (it counted once per 511 bytes; found by the procfs fuzz harness). */
TEST(unit_procfs_swaps, 0)
{
	char doc[2048];
	FILE *f;
	int n;

	n = snprintf(doc, sizeof(doc), "Filename\tType\tSize\tUsed\tPriority\n/");
	memset(doc + n, 'x', 1200);
	snprintf(doc + n + 1200, sizeof(doc) - n - 1200, " file 1048572 0 -2\n"
		 "/dev/dm-1 partition 8388604 0 -3\n");
	f = text(doc);
	ASSERT_EQ(swaps_count(f), 2, "two devices, one with a long path");
	fclose(f);
	f = text("Filename\tType\tSize\tUsed\tPriority\n");
	ASSERT_EQ(swaps_count(f), 0, "header only");
	fclose(f);
	f = text("");
	ASSERT_EQ(swaps_count(f), 0, "empty");
	fclose(f);
	f = text("Filename\n/swap file 1 0 -2");
	ASSERT_EQ(swaps_count(f), 1, "last line without a newline");
	fclose(f);
}

/* The kprobe readers of caps/kfuncs.c over their files' formats. */
TEST(unit_procfs_kprobe_lists, 0)
{
	static const char aff[] = "do_page_fault\next4_readahead [ext4]\n";
	static const char bl[] = "0xffffffff81a00000-0xffffffff81a00100\tdo_page_fault\n";
	static const char ks[] = "ffffffff81000000 T _stext\nffffffff81a00000 t do_page_fault\n"
				 "ffffffff82000000 D some_data\n";
	FILE *f;

	f = text(aff);
	ASSERT_TRUE(kfunc_listed(f, "ext4_readahead", 0), "module function");
	fclose(f);
	f = text(aff);
	ASSERT_FALSE(kfunc_listed(f, "do_page", 0), "a prefix is not the name");
	fclose(f);
	f = text(bl);
	ASSERT_TRUE(kfunc_listed(f, "do_page_fault", 1), "blacklisted");
	fclose(f);
	f = text(bl);
	ASSERT_FALSE(kfunc_listed(f, "do_page_fault", 0), "not as the first word");
	fclose(f);
	/* The end of a line past 511 bytes is not a line of its own (found
	 * by the procfs fuzz harness). */
	char longl[700];

	memset(longl, 'a', 511);
	snprintf(longl + 511, sizeof(longl) - 511, "do_page_fault [mod]\n");
	f = text(longl);
	ASSERT_FALSE(kfunc_listed(f, "do_page_fault", 0), "the tail of a long line");
	fclose(f);
	f = text(ks);
	ASSERT_TRUE(kallsyms_has_text(f, "do_page_fault"), "text symbol");
	fclose(f);
	f = text(ks);
	ASSERT_FALSE(kallsyms_has_text(f, "some_data"), "data symbol");
	fclose(f);
}
