// SPDX-License-Identifier: GPL-2.0
/* Tiny programs, one per attach type, that `memscope probe` loads and
 * attaches one at a time to learn what this kernel really allows (see
 * user/probe/attach_kinds.h). Each counts its hits so a probe can also
 * show it fires. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "probe.h"

__u64 hits[PROBE_NR_KINDS];

static __always_inline int hit(int kind)
{
	__sync_fetch_and_add(&hits[kind], 1);
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int probe_tracepoint(void *ctx) { return hit(PROBE_TRACEPOINT); }

SEC("raw_tp/sched_switch")
int probe_raw_tp(void *ctx) { return hit(PROBE_RAW_TP); }

SEC("tp_btf/sched_switch")
int probe_tp_btf(void *ctx) { return hit(PROBE_TP_BTF); }

/* kprobe-family and uprobe-family targets are chosen at run time. */
SEC("kprobe")
int probe_kprobe(void *ctx) { return hit(PROBE_KPROBE); }

SEC("kretprobe")
int probe_kretprobe(void *ctx) { return hit(PROBE_KRETPROBE); }

SEC("kprobe.multi")
int probe_kprobe_multi(void *ctx) { return hit(PROBE_KPROBE_MULTI); }

SEC("fentry/vfs_read")
int probe_fentry(void *ctx) { return hit(PROBE_FENTRY); }

SEC("fexit/vfs_read")
int probe_fexit(void *ctx) { return hit(PROBE_FEXIT); }

SEC("uprobe")
int probe_uprobe(void *ctx) { return hit(PROBE_UPROBE); }

SEC("uretprobe")
int probe_uretprobe(void *ctx) { return hit(PROBE_URETPROBE); }

/* Loaded with expected_attach_type BPF_TRACE_UPROBE_MULTI set from user
 * space: libbpf 1.1 knows no "uprobe.multi" section. */
SEC("uprobe")
int probe_uprobe_multi(void *ctx) { return hit(PROBE_UPROBE_MULTI); }

char LICENSE[] SEC("license") = "GPL";
