// SPDX-License-Identifier: GPL-2.0
/* Symbol demangling: C++ and Rust names, C names left alone, and names a
 * traced process could make up to hurt us (deep nesting, garbage). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "syms/demangle.h"

static void check(const char *mangled, const char *want)
{
	char *got = sym_demangle(mangled);

	if (want)
		ASSERT_STREQ(got, want, mangled);
	else
		ASSERT_TRUE(got == NULL, mangled ? mangled : "(null)");
	free(got);
}

TEST(unit_demangle_names, 0)
{
	check("_ZN13memscope_test4PoolIlE4leakEm", "memscope_test::Pool<long>::leak(unsigned long)");
	check("_Znwm", "operator new(unsigned long)");
	check("_ZNKSt6vectorIiSaIiEE4sizeEv", "std::vector<int, std::allocator<int> >::size() const");
	/* Rust, v0 and legacy. */
	check("_RNvCs1234_7mycrate3foo", "mycrate::foo");
	check("_ZN7mycrate3foo17h0123456789abcdefE", "mycrate::foo");
	/* C names and things that only look mangled. */
	check("malloc", NULL);
	check("_start", NULL);
	check("_Z", NULL);
	check("_Zgarbage!", NULL);
	check("", NULL);
	check(NULL, NULL);
}

/* A name nested deeper than the demangler's recursion limit is refused,
 * not a crash. */
TEST(unit_demangle_hostile, 0)
{
	size_t depth = 100000, n = 0;
	char *name = malloc(depth * 3 + 16), *got;

	if (!ASSERT_TRUE(name != NULL, "memory"))
		return;
	n += sprintf(name, "_Z1f");
	for (size_t i = 0; i < depth; i++)
		name[n++] = 'P';
	strcpy(name + n, "v");
	got = sym_demangle(name);
	ASSERT_TRUE(got == NULL, "deep nesting: refused");
	free(got);
	free(name);
}
