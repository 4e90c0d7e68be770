// SPDX-License-Identifier: GPL-2.0
/* The probe placement's instruction rules on raw code (leak/uprobe_insn.c
 * through uprobe_choose_offset() and uprobe_branch_into()): data[0] the
 * registers the probe reads, the rest a function's first bytes. */
#include <string.h>

#include "fuzz.h"
#include "leak/uprobe_place.h"

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_site site;
	unsigned reads;
	int off, into;

	if (size < 1)
		return 0;
	reads = alloc_class_reads(data[0] % (CLS_NR + 1));
	if (data[0] >= 0xf0)
		reads = UREG_ALL;
	memset(&site, 0, sizeof(site));
	off = uprobe_choose_offset(data + 1, size - 1, reads, &site);
	if (off >= 0) {
		if ((size_t)off >= size - 1 || off != site.offset)
			abort();	/* a probe outside the bytes given */
		if (strnlen(site.insn, sizeof(site.insn)) == sizeof(site.insn) || !site.why)
			abort();
		sink += strlen(site.why);
	}
	into = uprobe_branch_into(data + 1, size - 1, 0, off > 0 ? off : 16);
	if (into != -1 && (into <= 0 || into > (off > 0 ? off : 16)))
		abort();
	return 0;
}
