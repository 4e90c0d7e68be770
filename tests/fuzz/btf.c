// SPDX-License-Identifier: GPL-2.0
/* BTF given with --btf: the input is the file. memscope's check of it
 * (run/preflight.c, libbpf's btf__parse of raw BTF or an ELF .BTF), then
 * what the tools read from it: tracepoint prototypes (caps/tracepoints.c,
 * btf_trace_<name> typedefs printed through btf_dump), for the names the
 * tools use and for every btf_trace_ typedef in the file. */
#include <string.h>
#include <bpf/btf.h>

#include "fuzz.h"
#include "caps/tracepoints.h"
#include "core/log.h"
#include "run/preflight.h"

static volatile size_t sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Rejections are the normal case here: say nothing of them. */
	log_set_level(-1);
	log_setup_libbpf();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tp_contract contracts[] = {
		{ "kmem", "kmalloc", "long unsigned int, const void *, size_t, size_t" },
		{ "kmem", "kfree", "long unsigned int, const void *" },
		{ "vmscan", "mm_vmscan_direct_reclaim_begin", "int, gfp_t" },
		{ "oom", "mark_victim", NULL },
	};
	const char *path = fuzz_file(data, size);
	char args[256], why[512];
	struct btf *btf;
	int n, kept = 0;

	if (preflight_btf(path))
		return 0;
	btf = btf__parse(path, NULL);
	if (!btf)
		abort();	/* the check passed it */
	for (size_t i = 0; i < sizeof(contracts) / sizeof(contracts[0]); i++) {
		tp_contract_check(&contracts[i], PROBE_TP_BTF, btf, "", why, sizeof(why));
		if (strnlen(why, sizeof(why)) == sizeof(why))
			abort();
	}
	n = btf__type_cnt(btf);
	for (int id = 1; id < n && kept < 64; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;

		if (!name || strncmp(name, "btf_trace_", 10))
			continue;
		kept++;
		/* A short buffer too: the prototype is cut, never overrun. */
		if (tp_btf_args(btf, name + 10, args, (id & 7) * 8 + 1))
			sink += strnlen(args, sizeof(args));
		if (tp_btf_args(btf, name + 10, args, sizeof(args)))
			sink += strlen(args);
	}
	btf__free(btf);
	return 0;
}
