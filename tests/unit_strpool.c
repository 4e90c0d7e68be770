// SPDX-License-Identifier: GPL-2.0
/* The string pool against a plain model: random strings from a small
 * alphabet (so many repeat), some with NUL bytes or empty; every answer
 * must be the first pointer given for those bytes, hold exactly those
 * bytes, and stay intact while the pool grows. */
#include <stdlib.h>

#include "harness.h"
#include "core/strpool.h"

#define NSTR 4000
#define MAXLEN 40

struct model {
	char s[MAXLEN];
	size_t len;
	const char *got;	/* first answer */
};

static bool same_bytes(const struct model *a, const char *s, size_t len)
{
	return a->len == len && !memcmp(a->s, s, len);
}

TEST(unit_strpool_random_against_model, 0)
{
	static struct model m[NSTR];
	unsigned seed = 4242;
	struct strpool p;
	size_t nm = 0, distinct = 0;

	strpool_init(&p);
	for (int step = 0; step < 30000; step++) {
		char s[MAXLEN + 1];
		/* Short strings over 3 letters repeat often; long ones rarely. */
		size_t len = rand_r(&seed) % 15 ? rand_r(&seed) % 5 : rand_r(&seed) % MAXLEN;
		const char *got;
		size_t i;

		for (i = 0; i < len; i++)
			s[i] = rand_r(&seed) % 50 ? "abc"[rand_r(&seed) % 3] : 0;
		s[len] = 'X';	/* intern must not read past len */
		got = strpool_intern(&p, s, len);
		if (!ASSERT_TRUE(got != NULL, "intern"))
			break;
		if (!ASSERT_TRUE(!memcmp(got, s, len) && got[len] == 0, "copy holds the bytes, NUL-terminated"))
			break;
		for (i = 0; i < nm && !same_bytes(&m[i], s, len); i++)
			;
		if (i < nm) {
			if (!ASSERT_TRUE(got == m[i].got, "same bytes, same pointer"))
				break;
		} else if (nm < NSTR) {
			for (size_t j = 0; j < nm; j++)
				if (!ASSERT_TRUE(got != m[j].got, "new bytes, new pointer"))
					goto out;
			memcpy(m[nm].s, s, len);
			m[nm].len = len;
			m[nm].got = got;
			nm++;
			distinct++;
		}
		if (step % 4999 == 0)
			for (size_t j = 0; j < nm; j++)
				if (!ASSERT_TRUE(!memcmp(m[j].got, m[j].s, m[j].len) &&
						 !m[j].got[m[j].len], "earlier copies intact"))
					goto out;
	}
	ASSERT_GT(distinct, 1500, "the model saw many distinct strings");
	ASSERT_EQ(p.count, distinct, "pool count = distinct strings");
	ASSERT_STREQ(strpool_str(&p, "abc"), strpool_intern(&p, "abcdef", 3), "strpool_str");
	ASSERT_TRUE(strpool_str(&p, NULL) == NULL, "NULL in, NULL out");
out:
	strpool_free(&p);
	ASSERT_EQ(p.count, 0, "freed pool is empty");
}

TEST(unit_strpool_long_strings, 0)
{
	struct strpool p;
	char *big = malloc(300000);
	const char *a, *b;

	if (!ASSERT_TRUE(big != NULL, "malloc"))
		return;
	memset(big, 'z', 299999);
	big[299999] = 0;
	strpool_init(&p);
	/* Longer than any chunk: gets a chunk of its own. */
	a = strpool_str(&p, big);
	b = strpool_str(&p, "short");
	ASSERT_TRUE(a && strlen(a) == 299999, "a long string is kept whole");
	ASSERT_TRUE(a == strpool_str(&p, big), "and found again");
	ASSERT_STREQ(b, "short", "a short one after it");
	strpool_free(&p);
	free(big);
}
