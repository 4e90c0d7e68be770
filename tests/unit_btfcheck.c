// SPDX-License-Identifier: GPL-2.0
/* The check of --btf files' types (caps/btfcheck.c), found needed by the
 * btf fuzz harness: libbpf 1.1 parses BTF with type ids past the end, names
 * outside the strings and loops of typedefs, and btf_dump then crashes on
 * them. The kernel's own BTF must pass. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "harness.h"
#include "run.h"
#include "caps/btfcheck.h"

TEST(unit_btfcheck_good, 0)
{
	struct btf *btf = btf__new_empty();
	int i, s;

	ASSERT_TRUE(btf != NULL, "an empty BTF");
	i = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	s = btf__add_struct(btf, "node", 16);
	/* struct node { struct node *next; int v; }: a loop through a struct */
	ASSERT_OK(btf__add_field(btf, "next", s + 1, 0, 0), "member next");
	ASSERT_OK(btf__add_field(btf, "v", i, 64, 0), "member v");
	ASSERT_EQ(btf__add_ptr(btf, s), s + 1, "the pointer is the next type");
	btf__add_typedef(btf, "node_t", s);
	ASSERT_EQ(btf_check_graph(btf), 0, "a struct pointing to itself is fine");
	btf__free(btf);
}

TEST(unit_btfcheck_bad_ids, 0)
{
	struct btf *btf = btf__new_empty();

	ASSERT_TRUE(btf != NULL, "an empty BTF");
	btf__add_int(btf, "int", 4, 0);
	/* libbpf checks only against the largest id BTF allows. */
	ASSERT_GT(btf__add_ptr(btf, 99), 0, "a pointer to type 99 is taken");
	ASSERT_EQ(btf_check_graph(btf), -EINVAL, "an id past the last type");
	btf__free(btf);

	btf = btf__new_empty();
	ASSERT_TRUE(btf != NULL, "an empty BTF");
	btf__add_typedef(btf, "a", 2);
	btf__add_const(btf, 3);
	btf__add_ptr(btf, 1);
	ASSERT_EQ(btf_check_graph(btf), -EINVAL, "typedef -> const -> pointer -> typedef");
	btf__free(btf);

	btf = btf__new_empty();
	ASSERT_TRUE(btf != NULL, "an empty BTF");
	btf__add_func_proto(btf, 0);
	btf__add_func_param(btf, "p", 2);
	btf__add_ptr(btf, 1);
	ASSERT_EQ(btf_check_graph(btf), -EINVAL, "a prototype taking a pointer to itself");
	btf__free(btf);
}

TEST(unit_btfcheck_bad_name, 0)
{
	/* Raw BTF: one 32-bit INT named at offset 1000 of a 1-byte string
	 * section. */
	static const uint32_t raw[] = {
		0x0001eb9f,		/* magic, version 1, flags 0 */
		24,			/* hdr_len */
		0, 16,			/* type_off, type_len */
		16, 1,			/* str_off, str_len */
		1000,			/* name_off */
		BTF_KIND_INT << 24,	/* info */
		4,			/* size */
		32,			/* int: 32 bits, offset 0 */
		0,			/* the strings: "" */
	};
	struct btf *btf = btf__new(raw, 24 + 16 + 1);

	/* A later libbpf may reject it itself. */
	if (btf)
		ASSERT_EQ(btf_check_graph(btf), -EINVAL, "a name outside the strings");
	btf__free(btf);
}

TEST(unit_btfcheck_vmlinux, 0)
{
	struct btf *btf;

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		test_skip("no /sys/kernel/btf/vmlinux");
	btf = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	ASSERT_TRUE(btf != NULL, "the kernel's BTF parses");
	ASSERT_EQ(btf_check_graph(btf), 0, "the kernel's BTF passes");
	btf__free(btf);
}

/* What the fuzzer found, end to end: memscope refuses such a file with a
 * message instead of crashing in btf_dump when it reads tracepoint
 * prototypes from it. */
TEST(e2e_btfcheck_refused, T_ROOT | T_E2E)
{
	char path[64];
	struct btf *btf = btf__new_empty();
	struct run_result r;
	const void *raw;
	uint32_t size;
	FILE *f;

	ASSERT_TRUE(btf != NULL, "an empty BTF");
	/* btf_trace_kmalloc's prototype with a parameter of type 10000000:
	 * memscope 0.1.0 died of SIGSEGV in btf_dump__new() on it. */
	btf__add_int(btf, "int", 4, 0);
	btf__add_func_proto(btf, 0);
	btf__add_func_param(btf, "", 1);
	btf__add_func_param(btf, "", 10000000);
	btf__add_ptr(btf, 2);
	btf__add_typedef(btf, "btf_trace_kmalloc", 3);
	raw = btf__raw_data(btf, &size);
	ASSERT_TRUE(raw != NULL, "raw BTF");
	snprintf(path, sizeof(path), "/tmp/memscope-test-badbtf.%d", getpid());
	f = fopen(path, "we");
	ASSERT_TRUE(f && fwrite(raw, 1, size, f) == size && !fclose(f), "the file written");
	btf__free(btf);
	ASSERT_OK(run_memscope(NULL, &r, "probe", "--btf", path, NULL), "run");
	ASSERT_EQ(r.status, 1, "runtime failure exit code");
	ASSERT_CONTAINS(r.err, "its types are malformed", "says why");
	run_result_free(&r);
	unlink(path);
}
