// SPDX-License-Identifier: GPL-2.0
/* Attach type names and MEMSCOPE_ATTACH (see kinds.h). */
#include <stdlib.h>
#include <string.h>

#include "caps/kinds.h"

static const char *const kind_names[PROBE_NR_KINDS] = {
	[PROBE_TRACEPOINT] = "tracepoint",
	[PROBE_RAW_TP] = "raw_tp",
	[PROBE_TP_BTF] = "tp_btf",
	[PROBE_KPROBE] = "kprobe",
	[PROBE_KRETPROBE] = "kretprobe",
	[PROBE_KPROBE_MULTI] = "kprobe_multi",
	[PROBE_FENTRY] = "fentry",
	[PROBE_FEXIT] = "fexit",
	[PROBE_UPROBE] = "uprobe",
	[PROBE_URETPROBE] = "uretprobe",
	[PROBE_UPROBE_MULTI] = "uprobe_multi",
};

const char *probe_kind_name(enum probe_kind kind)
{
	return (int)kind >= 0 && kind < PROBE_NR_KINDS ? kind_names[kind] : "?";
}

int probe_kind_by_name(const char *name)
{
	for (int k = 0; k < PROBE_NR_KINDS; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -1;
}

int attach_override(void)
{
	const char *v = getenv("MEMSCOPE_ATTACH");
	int k;

	if (!v || !*v)
		return -1;
	k = probe_kind_by_name(v);
	return k < 0 ? -2 : k;
}
