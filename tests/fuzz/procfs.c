// SPDX-License-Identifier: GPL-2.0
/* The /proc and /sys parsers: data[0] chooses the parser, data[1] its
 * parameter (key, controller, buffer length, device), the rest is the
 * file's text. Every output is read back, so a parser that leaves it
 * unterminated or uninitialised is caught by ASan/UBSan, not just one that
 * writes out of bounds. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "core/procfs.h"
#include "leak/slabinfo.h"
#include "reclaim/common.h"

enum { P_MAP, P_STAT, P_MOUNTS, P_CGROUP, P_KEYED, P_MOUNTINFO, P_SLABINFO, P_VMSTAT,
       P_PSI, P_WORDS, P_NR };

static volatile size_t sink;

static void use_str(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();	/* not terminated within its buffer */
	sink += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proc_map m;
	static const char *const keys[] = { "workingset_refault_file", "pgscan_kswapd",
					    "MemTotal", "file", "" };
	static const char *const ctrls[] = { "", "memory", "cpu,cpuacct", "name=systemd" };
	static const char *const fstypes[] = { "cgroup2", "tracefs", "debugfs", "cgroup" };
	char buf[PATH_MAX];
	unsigned sel, par;
	size_t len;
	uint64_t v, some, full, vm[16];
	char *s;
	FILE *f;

	if (size < 2)
		return 0;
	sel = data[0] % P_NR;
	par = data[1];
	data += 2;
	size -= 2;
	s = fuzz_str(data, size);
	/* Output buffers from 1 byte to all of buf. */
	len = par & 0x80 ? sizeof(buf) : (par & 0x7f) + 1;

	switch (sel) {
	case P_MAP:
		if (!proc_map_parse(s, &m)) {
			use_str(m.perms, sizeof(m.perms));
			use_str(m.path, sizeof(m.path));
			sink += m.end - m.start + m.pgoff + m.inode + m.dev_major + m.dev_minor;
			if (path_is_deleted(m.path) != path_strip_deleted(m.path))
				abort();
		}
		break;
	case P_STAT: {
		struct proc_pid_stat st;

		if (!proc_pid_stat_parse(s, &st))
			sink += st.state + st.flags + st.start_time;
		break;
	}
	case P_MOUNTS:
		f = fuzz_stream(s, size);
		if (!mounts_find(f, fstypes[par % 4], par & 4 ? NULL : "rw", buf, len))
			use_str(buf, len);
		fclose(f);
		break;
	case P_CGROUP:
		f = fuzz_stream(s, size);
		if (!cgroup_find(f, ctrls[par % 4], buf, len))
			use_str(buf, len);
		fclose(f);
		break;
	case P_KEYED:
		f = fuzz_stream(s, size);
		if (!keyed_find(f, keys[par % 5], &v))
			sink += v;
		fclose(f);
		break;
	case P_MOUNTINFO:
		f = fuzz_stream(s, size);
		if (!mountinfo_find_dev(f, par >> 4, par & 15, buf, len))
			use_str(buf, len);
		fclose(f);
		break;
	case P_SLABINFO: {
		struct slabinfo si = { 0 };

		if (!slabinfo_parse(s, &si)) {
			for (size_t i = 0; i < si.n; i++) {
				use_str(si.c[i].name, sizeof(si.c[i].name));
				sink += si.c[i].active + si.c[i].objsize;
			}
			sink += slabinfo_active(&si, "kmalloc-64");
			sink += slabinfo_kmalloc_active(&si, (uint64_t)8 << (par % 12));
		}
		slabinfo_free(&si);
		break;
	}
	case P_VMSTAT:
		f = fuzz_stream(s, size);
		vmstat_parse(f, vm);
		for (int i = 0; i < 16; i++)
			sink += vm[i];
		fclose(f);
		break;
	case P_PSI:
		f = fuzz_stream(s, size);
		if (!psi_parse(f, &some, &full))
			sink += some + full;
		fclose(f);
		break;
	case P_WORDS:
		sink += word_in_list(s, ctrls[par % 4]);
		sink += word_in_list(s, s + strnlen(s, par));
		break;
	}
	free(s);
	return 0;
}
