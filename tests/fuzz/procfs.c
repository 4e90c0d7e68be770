// SPDX-License-Identifier: GPL-2.0
/* The /proc and /sys parsers: data[0] chooses the parser, data[1] its
 * parameter (key, controller, buffer length, device), the rest is the
 * file's text. Every output is read back, so a parser that leaves it
 * unterminated or uninitialised is caught by ASan/UBSan, not just one that
 * writes out of bounds. /proc/swaps and the kprobe readers of
 * caps/kfuncs.c (a function name, the text's first line, looked up in the
 * rest as available_filter_functions, the kprobe blacklist or kallsyms)
 * are checked against readers of the harness's own; the loader's library
 * list of leak/alloc_object.c (ldd mode) against what its paths must be. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "caps/kfuncs.h"
#include "caps/sysfacts.h"
#include "core/procfs.h"
#include "leak/alloc_object.h"
#include "leak/slabinfo.h"
#include "reclaim/common.h"

enum { P_MAP, P_STAT, P_MOUNTS, P_CGROUP, P_KEYED, P_MOUNTINFO, P_SLABINFO, P_VMSTAT,
       P_PSI, P_WORDS, P_SWAPS, P_LISTED, P_KALLSYMS,
       P_LDLIST, P_NR };

static volatile size_t sink;

static void use_str(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();	/* not terminated within its buffer */
	sink += n;
}

/* Lines in t[0..n): '\n'-ended ones and a last one without. */
static int count_lines(const char *t, size_t n)
{
	int lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += t[i] == '\n';
	return lines + (n && t[n - 1] != '\n');
}

/* Is name the word-th word (separated by spaces and tabs) of a line of
 * t[0..n), each line read up to its first NUL? */
static bool word_listed(const char *t, size_t n, const char *name, int word)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < n;) {
		size_t end = i, j;
		int w = 0;

		while (end < n && t[end] != '\n')
			end++;
		for (j = i; j < end && t[j];) {
			size_t k = j;

			if (t[j] == ' ' || t[j] == '\t') {
				j++;
				continue;
			}
			while (k < end && t[k] && t[k] != ' ' && t[k] != '\t')
				k++;
			if (w++ == word) {
				if (k - j == nl && !memcmp(t + j, name, nl))
					return true;
				break;
			}
			j = k;
		}
		i = end + 1;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proc_map m;
	static int only = -2;
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
	/* FUZZ_PROCFS_SEL=N: parser N only, whatever data[0] says (a run
	 * focused on one parser). */
	if (only == -2) {
		const char *e = getenv("FUZZ_PROCFS_SEL");

		only = e && *e ? atoi(e) % P_NR : -1;
	}
	sel = only >= 0 ? (unsigned)only : data[0] % P_NR;
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
	case P_SWAPS: {
		int want = count_lines(s, size);

		f = fuzz_stream(s, size);
		if (swaps_count(f) != (want ? want - 1 : 0))
			abort();	/* a device more or less than lines */
		fclose(f);
		break;
	}
	case P_LISTED:
	case P_KALLSYMS: {
		/* The name is the first line, the file the rest. */
		char *nl = memchr(s, '\n', size);
		size_t off = nl ? (size_t)(nl - s) + 1 : size;

		if (nl)
			*nl = 0;
		f = fuzz_stream(s + off, size - off);
		if (sel == P_KALLSYMS)
			sink += kallsyms_has_text(f, s);
		else if (kfunc_listed(f, s, par & 1) !=
			 word_listed(s + off, size - off, s, par & 1))
			abort();	/* the reader and the harness disagree */
		fclose(f);
		break;
	}
	case P_LDLIST: {
		struct alloc_objs objs = { 0 };
		int lines = count_lines(s, size);

		if (size > 8192)
			break;	/* each path is compared with those before it */
		if (alloc_objs_from_list(s, &objs))
			abort();
		if (objs.n > lines)
			abort();
		for (int i = 0; i < objs.n; i++) {
			const char *o = objs.v[i].path;

			/* Absolute, one line, without the " (0x...)" address,
			 * each once. */
			if (o[0] != '/' || strchr(o, '\n') || strstr(o, " (0x") || objs.v[i].symtab)
				abort();
			for (int k = 0; k < i; k++)
				if (!strcmp(objs.v[k].path, o))
					abort();
		}
		alloc_objs_free(&objs);
		break;
	}
	case P_WORDS:
		sink += word_in_list(s, ctrls[par % 4]);
		sink += word_in_list(s, s + strnlen(s, par));
		break;
	}
	free(s);
	return 0;
}
