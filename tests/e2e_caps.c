// SPDX-License-Identifier: GPL-2.0
/* The per-function and per-tracepoint checks tools base their fallbacks on
 * (caps/kfuncs, caps/tracepoints), against raw attach attempts that do not
 * use them (tests/lib/ktruth.c) and against the kernel's own BTF. */
#include <errno.h>
#include <string.h>
#include <bpf/btf.h>

#include "caps/kfuncs.h"
#include "caps/tracepoints.h"
#include "harness.h"
#include "ktruth.h"

/* vfs_read: every kernel has it, traceable; the raw truth attaches there. */
TEST(e2e_caps_fentry_can_attach, T_ROOT | T_E2E)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const char *why = NULL;
	bool truth = ktruth_attach(PROBE_FENTRY, &why);
	int err;

	if (!btf)
		test_skip("no kernel BTF");
	err = fentry_can_attach(btf, "vfs_read");
	test_log("fentry on vfs_read: %s (raw attempt: %s%s%s)", err ? strerror(-err) : "ok",
		 truth ? "attaches" : "fails", why ? " at " : "", why ? why : "");
	ASSERT_EQ(err == 0, truth, "fentry_can_attach(vfs_read) agrees with a raw attach");
	ASSERT_EQ(fentry_can_attach(btf, "memscope_no_such_function"), -ENOENT,
		  "an unknown function is not in BTF");
	btf__free(btf);
}

TEST(e2e_caps_kprobe_available, T_ROOT | T_E2E)
{
	const char *why = NULL;
	bool truth = ktruth_attach(PROBE_KPROBE, &why);
	int err = kprobe_available("vfs_read"), unknown;

	test_log("kprobe on vfs_read: %s (raw attempt: %s%s%s)", err ? strerror(-err) : "ok",
		 truth ? "attaches" : "fails", why ? " at " : "", why ? why : "");
	ASSERT_EQ(err == 0, truth, "kprobe_available(vfs_read) agrees with a raw attach");
	unknown = kprobe_available("memscope_no_such_function");
	ASSERT_TRUE(unknown == -ENOENT || (!truth && unknown == -EOPNOTSUPP),
		    "an unknown function cannot be probed");
	if (!truth)
		ASSERT_EQ(err, -EOPNOTSUPP, "no kprobes at all: said so");
}

/* Contracts against the kernel's BTF: the prototype of kmem:kfree read
 * here with libbpf's own type lookups, not with tp_btf_args(). */
TEST(e2e_caps_tracepoint_contracts, T_ROOT | T_E2E)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct tp_contract good = { "kmem", "kfree", "long unsigned int, const void *" };
	const struct tp_contract bad = { "kmem", "kfree", "int, int" };
	const struct tp_contract gone = { "kmem", "memscope_no_such_event", NULL };
	const struct btf_type *t;
	char why[320];
	int id;

	if (!btf)
		test_skip("no kernel BTF");
	id = btf__find_by_name_kind(btf, "btf_trace_kfree", BTF_KIND_TYPEDEF);
	if (!ASSERT_GT(id, 0, "btf_trace_kfree in BTF"))
		goto out;
	/* typedef -> pointer -> func proto (void *, unsigned long, const void *) */
	t = btf__type_by_id(btf, btf__type_by_id(btf, btf__type_by_id(btf, id)->type)->type);
	ASSERT_EQ(btf_vlen(t), 3, "kfree passes __data and two arguments");
	ASSERT_OK(tp_contract_check(&good, PROBE_TP_BTF, btf, NULL, why, sizeof(why)),
		  "the real prototype satisfies its contract");
	ASSERT_EQ(tp_contract_check(&bad, PROBE_RAW_TP, btf, NULL, why, sizeof(why)), -EPROTO,
		  "a different prototype is refused");
	ASSERT_CONTAINS(why, "kmem:kfree has the prototype (long unsigned int, const void *",
			"the refusal names the tracepoint and the prototype found");
	ASSERT_EQ(tp_contract_check(&gone, PROBE_TP_BTF, btf, NULL, why, sizeof(why)), -ENOENT,
		  "a missing tracepoint is refused");
	ASSERT_TRUE(tp_args_match("int, long", "int"), "a leading argument matches");
	ASSERT_FALSE(tp_args_match("int *, long", "int"), "a longer type does not");
	ASSERT_TRUE(tp_args_match("int", "int"), "the whole prototype matches");
out:
	btf__free(btf);
}
