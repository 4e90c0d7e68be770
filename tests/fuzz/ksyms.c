// SPDX-License-Identifier: GPL-2.0
/* Kernel symbolization from a kallsyms file (syms/ksyms.c): the input is
 * the file; addresses near those it names (and some that are not) are
 * resolved, twice (the second time from the cache). */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "syms/ksyms.h"

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t addrs[16];
	struct sym_frame out[16];
	char name[64];
	const char *path = fuzz_file(data, size);
	struct ksyms *k;
	size_t n = 0;

	k = ksyms_new_from(path);
	if (!k)
		return 0;
	/* Addresses from the input's first hex words, a byte on. */
	for (const char *p = (const char *)data, *e = p + size; p < e && n < 12; p++) {
		char word[17];
		size_t w = 0;

		while (p < e && w < 16 && strchr("0123456789abcdefABCDEF", *p) && *p)
			word[w++] = *p++;
		if (w >= 8) {
			word[w] = 0;
			addrs[n] = strtoull(word, NULL, 16) + (n & 3);
			n++;
		}
		while (p < e && *p != '\n')
			p++;
	}
	addrs[n++] = 0;
	addrs[n++] = ~0ULL;
	addrs[n++] = 0xffffffff81000000ULL;
	addrs[n++] = 1;
	for (int round = 0; round < 2; round++) {
		ksyms_resolve(k, addrs, n, out);
		for (size_t i = 0; i < n; i++) {
			sink += out[i].sym ? strlen(out[i].sym) : 0;
			sink += out[i].module ? strlen(out[i].module) : 0;
			sink += strlen(sym_frame_name(&out[i], name, sizeof(name)));
		}
	}
	ksyms_free(k);
	return 0;
}
