/* SPDX-License-Identifier: GPL-2.0 */
/* The attach types memscope knows, one index each: shared by
 * bpf/probe.bpf.c (its hit counters) and user space (caps/kinds.h). */
#ifndef MEMSCOPE_PROBE_H
#define MEMSCOPE_PROBE_H

enum probe_kind {
	PROBE_TRACEPOINT,
	PROBE_RAW_TP,
	PROBE_TP_BTF,
	PROBE_KPROBE,
	PROBE_KRETPROBE,
	PROBE_KPROBE_MULTI,
	PROBE_FENTRY,
	PROBE_FEXIT,
	PROBE_UPROBE,
	PROBE_URETPROBE,
	PROBE_UPROBE_MULTI,
	PROBE_NR_KINDS,
};

#endif
