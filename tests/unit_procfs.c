// SPDX-License-Identifier: GPL-2.0
/* /proc and /sys parsers on fixed inputs. */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
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
