// SPDX-License-Identifier: GPL-2.0
/* mmap region arithmetic against a page bitmap computed independently. */
#include <stdlib.h>

#include "harness.h"
#include "leak/regions.h"

#define P REGION_PAGE
#define NPAGES 256

/* The truth: which page is mapped, and by which stack. */
struct model {
	int32_t owner[NPAGES];	/* -2: unmapped */
};

static void model_init(struct model *m)
{
	for (int i = 0; i < NPAGES; i++)
		m->owner[i] = -2;
}

static bool same(const struct regions *rs, const struct model *m, const char *what)
{
	struct model got;

	model_init(&got);
	for (size_t i = 0; i < rs->n; i++) {
		if (i && rs->r[i - 1].end > rs->r[i].start) {
			test_fail_at(__FILE__, __LINE__, "%s: regions overlap or unsorted", what);
			return false;
		}
		for (uint64_t a = rs->r[i].start; a < rs->r[i].end; a += P)
			got.owner[a / P] = rs->r[i].stack_id;
	}
	for (int i = 0; i < NPAGES; i++) {
		if (got.owner[i] != m->owner[i]) {
			test_fail_at(__FILE__, __LINE__, "%s: page %d owned by %d, expected %d",
				     what, i, got.owner[i], m->owner[i]);
			return false;
		}
	}
	return true;
}

TEST(unit_regions_munmap_shapes, 0)
{
	struct regions rs;

	regions_init(&rs);
	ASSERT_OK(regions_map(&rs, 16 * P, 16 * P, 1, 0), "map");
	ASSERT_EQ(regions_bytes(&rs), 16 * P, "16 pages");
	ASSERT_OK(regions_unmap(&rs, 20 * P, 4 * P), "middle");
	ASSERT_EQ(rs.n, 2, "split in two");
	ASSERT_EQ(regions_bytes(&rs), 12 * P, "12 pages");
	ASSERT_OK(regions_unmap(&rs, 16 * P, 1 * P), "head");
	ASSERT_OK(regions_unmap(&rs, 31 * P, 100), "tail, length rounded up");
	ASSERT_EQ(regions_bytes(&rs), 10 * P, "10 pages");
	ASSERT_OK(regions_unmap(&rs, 0, 64 * P), "everything at once");
	ASSERT_EQ(rs.n, 0, "nothing left");
	ASSERT_OK(regions_unmap(&rs, 0, 64 * P), "unmapping nothing is fine");
	regions_free(&rs);
}

TEST(unit_regions_mremap, 0)
{
	struct regions rs;

	regions_init(&rs);
	/* Grow in place: the new pages belong to the same stack. */
	regions_map(&rs, 10 * P, 4 * P, 7, 0);
	ASSERT_OK(regions_remap(&rs, 10 * P, 4 * P, 10 * P, 8 * P), "grow");
	ASSERT_EQ(regions_bytes(&rs), 8 * P, "grown");
	ASSERT_EQ(rs.n, 1, "still one mapping");
	/* Move. */
	ASSERT_OK(regions_remap(&rs, 10 * P, 8 * P, 100 * P, 8 * P), "move");
	ASSERT_EQ(rs.n >= 1 && rs.r[0].start == 100 * P, 1, "moved");
	ASSERT_EQ(regions_bytes(&rs), 8 * P, "same size");
	/* Shrink. */
	ASSERT_OK(regions_remap(&rs, 100 * P, 8 * P, 100 * P, 2 * P), "shrink");
	ASSERT_EQ(regions_bytes(&rs), 2 * P, "shrunk");
	ASSERT_EQ(rs.r[0].stack_id, 7, "origin kept");
	/* A mapping we never saw is not invented by mremap. */
	ASSERT_OK(regions_remap(&rs, 50 * P, P, 60 * P, 4 * P), "unknown");
	ASSERT_EQ(regions_bytes(&rs), 2 * P, "unchanged");
	regions_free(&rs);
}

/* Random operations against the page model. */
TEST(unit_regions_random_against_model, 0)
{
	unsigned seed = 4242;
	struct regions rs;
	struct model m;
	int step;

	regions_init(&rs);
	model_init(&m);
	for (step = 0; step < 20000; step++) {
		int op = rand_r(&seed) % 3;
		uint64_t a = rand_r(&seed) % (NPAGES / 2), n = 1 + rand_r(&seed) % 16;
		char what[64];

		snprintf(what, sizeof(what), "step %d op %d", step, op);
		if (op == 0) {
			int32_t id = rand_r(&seed) % 50;

			regions_map(&rs, a * P, n * P, id, 0);
			for (uint64_t i = a; i < a + n; i++)
				m.owner[i] = id;
		} else if (op == 1) {
			regions_unmap(&rs, a * P, n * P);
			for (uint64_t i = a; i < a + n; i++)
				m.owner[i] = -2;
		} else {
			uint64_t to = NPAGES / 2 + rand_r(&seed) % (NPAGES / 2 - 32);
			uint64_t nn = 1 + rand_r(&seed) % 16;
			struct model before = m;
			int32_t first = -2;

			/* Only move well-formed whole ranges, as the kernel does:
			 * mremap needs the old range fully mapped. */
			for (uint64_t i = a; i < a + n; i++)
				if (m.owner[i] == -2)
					goto skip;
			first = m.owner[a];
			regions_remap(&rs, a * P, n * P, to * P, nn * P);
			for (uint64_t i = a; i < a + n; i++)
				m.owner[i] = -2;
			for (uint64_t i = 0; i < nn; i++)
				m.owner[to + i] = i < n ? before.owner[a + i] : first;
skip:
			;
		}
		if (!same(&rs, &m, what))
			break;
	}
	ASSERT_EQ(step, 20000, "every step matched the model");
	regions_free(&rs);
}
