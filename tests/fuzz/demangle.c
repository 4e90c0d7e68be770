// SPDX-License-Identifier: GPL-2.0
/* Symbol names from a traced process's objects through the demangler
 * (syms/demangle.c, libiberty): the input is the name, "_Z" or "_R" put
 * in front when data[0] says so, so that most inputs reach libiberty. */
#include <string.h>

#include "fuzz.h"
#include "syms/demangle.h"

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const heads[] = { "", "_Z", "_R", "_ZN" };
	char *name, *s, *d;

	if (size < 1)
		return 0;
	s = fuzz_str(data + 1, size - 1);
	name = malloc(strlen(s) + 4);
	if (!name)
		abort();
	strcpy(name, heads[data[0] & 3]);
	strcat(name, s);
	d = sym_demangle(name);
	if (d)
		sink += strlen(d);
	free(d);
	free(name);
	free(s);
	return 0;
}
