// SPDX-License-Identifier: GPL-2.0
/* The hash map against a plain array model under random inserts/deletes. */
#include <stdlib.h>

#include "harness.h"
#include "core/hmap.h"

#define N 2000

TEST(unit_hmap_random_against_model, 0)
{
	static long model[N];	/* 0: absent, else value */
	unsigned seed = 99;
	struct hmap m;

	hmap_init(&m, sizeof(long));
	for (int step = 0; step < 200000; step++) {
		int k = rand_r(&seed) % N;
		struct hkey key = { (uint64_t)k * 7919, (uint64_t)k };
		long *v;

		if (rand_r(&seed) % 3) {
			v = hmap_put(&m, key, NULL);
			if (!ASSERT_TRUE(v, "put"))
				break;
			*v = model[k] = step + 1;
		} else {
			ASSERT_EQ(hmap_del(&m, key), model[k] != 0, "del result");
			model[k] = 0;
		}
		if (step % 997 == 0) {
			size_t n = 0, i = 0;
			struct hkey kk;
			void *vv;

			for (int j = 0; j < N; j++) {
				struct hkey q = { (uint64_t)j * 7919, (uint64_t)j };
				long *got = hmap_get(&m, q);

				if (!ASSERT_EQ(got ? *got : 0, model[j], "lookup matches model"))
					goto out;
				n += model[j] != 0;
			}
			ASSERT_EQ(m.len, n, "length");
			n = 0;
			while (hmap_next(&m, &i, &kk, &vv))
				n++;
			ASSERT_EQ(n, m.len, "iteration sees every member once");
		}
	}
out:
	hmap_free(&m);
}
