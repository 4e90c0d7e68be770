// SPDX-License-Identifier: GPL-2.0
/* /proc/slabinfo parsing and the per-cache caps of kernel-mode reports,
 * against texts and totals worked out by hand. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "leak/slabinfo.h"

static const char text[] =
	"slabinfo - version: 2.1\n"
	"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "
	"tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> "
	"<sharedavail>\n"
	"maple_node           781   1056    256   16    1 : tunables    0    0    0 : slabdata     66     66      0\n"
	"kmalloc-cg-64        284    512     64   64    1 : tunables    0    0    0 : slabdata      8      8      0\n"
	"kmalloc-64          1000   1024     64   64    1 : tunables    0    0    0 : slabdata     16     16      0\n"
	"kmalloc-rnd-03-64     16     64     64   64    1 : tunables    0    0    0 : slabdata      1      1      0\n"
	"dma-kmalloc-64         0      0     64   64    1 : tunables    0    0    0 : slabdata      0      0      0\n"
	"kmalloc-8k            12     16   8192    4    8 : tunables    0    0    0 : slabdata      4      4      0\n"
	"kmalloc-rcl-8k         3      4   8192    4    8 : tunables    0    0    0 : slabdata      1      1      0\n"
	"kmalloc-640            7     25    640   25    4 : tunables    0    0    0 : slabdata      1      1      0\n";

TEST(unit_slabinfo_parse, 0)
{
	struct slabinfo si = {};

	ASSERT_EQ(slabinfo_parse(text, &si), 0, "parsed");
	ASSERT_EQ(si.n, 8, "caches");
	ASSERT_EQ(slabinfo_active(&si, "maple_node"), 781, "maple_node active");
	ASSERT_EQ(slabinfo_active(&si, "maple"), -1, "no partial names");
	ASSERT_EQ(slabinfo_kmalloc_active(&si, 64), 1300, "every kmalloc cache of 64 bytes");
	ASSERT_EQ(slabinfo_kmalloc_active(&si, 8192), 15, "8k is 8192");
	ASSERT_EQ(slabinfo_kmalloc_active(&si, 640), 7, "not 64");
	ASSERT_EQ(slabinfo_kmalloc_active(&si, 128), -1, "none of 128");
	ASSERT_EQ(slabinfo_parse("slabinfo - version: 1.1\n", &si), -EINVAL, "old format");
	ASSERT_EQ(slabinfo_parse("slabinfo - version: 2.1\nx 5 4 1\n", &si), -EINVAL,
		  "active above total");
	ASSERT_EQ(slabinfo_parse("slabinfo - version: 2.1\nx five\n", &si), -EINVAL, "garbage");
	ASSERT_EQ(slabinfo_parse("", &si), -EINVAL, "empty");
	slabinfo_free(&si);
}

TEST(unit_slabinfo_caps, 0)
{
	struct slab_caps sc = {};
	int m1, m2, k, p;
	uint64_t a, b;

	sc.err = slabinfo_parse(text, &sc.si);
	ASSERT_EQ(sc.err, 0, "parsed");
	m1 = slab_caps_add(&sc, "maple_node", 0, 15000);
	m2 = slab_caps_add(&sc, "maple_node", 0, 4818);
	k = slab_caps_add(&sc, "kmalloc-64", 64, 1200);
	p = slab_caps_add(&sc, "page allocator", 0, 1u << 20);
	slab_caps_end(&sc);
	ASSERT_EQ(m1, m2, "one cache, one entry");
	ASSERT_EQ(sc.n, 3, "three caches");
	ASSERT_TRUE(sc.c[m1].capped, "maple_node above its active objects");
	ASSERT_FALSE(sc.c[k].capped, "1200 of 1300: not capped");
	ASSERT_FALSE(sc.c[p].capped, "no slabinfo entry: never capped");
	a = slab_caps_scale(&sc, m1, 15000);
	b = slab_caps_scale(&sc, m2, 4818);
	ASSERT_LE(a + b, 781, "the rows sum to at most the active objects");
	ASSERT_GE(a + b, 780, "and lose at most one to rounding per row");
	ASSERT_EQ(slab_caps_scale(&sc, k, 1200), 1200, "uncapped rows unchanged");
	ASSERT_EQ(slab_caps_scale(&sc, -1, 5), 5, "no cache: unchanged");
	slab_caps_free(&sc);
}
