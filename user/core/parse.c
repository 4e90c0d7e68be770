// SPDX-License-Identifier: GPL-2.0
/* Strict command-line value parsers (see parse.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "core/parse.h"

/* Parse a leading decimal number; *end points past its digits. */
static int parse_digits(const char *s, uint64_t *v, const char **end)
{
	char *e;

	/* strtoull accepts leading space and a sign: we don't. */
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &e, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*end = e;
	return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int err;

	err = parse_digits(s, &v, &end);
	if (err)
		return err;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{ "", 0 }, { "b", 0 },
		{ "k", 10 }, { "kb", 10 }, { "kib", 10 },
		{ "m", 20 }, { "mb", 20 }, { "mib", 20 },
		{ "g", 30 }, { "gb", 30 }, { "gib", 30 },
		{ "t", 40 }, { "tb", 40 }, { "tib", 40 },
	};
	const char *end;
	uint64_t v;
	size_t i;
	int err;

	err = parse_digits(s, &v, &end);
	if (err)
		return err;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix))
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return -ERANGE;
		*out = v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

int parse_pid(const char *s, pid_t *out)
{
	uint64_t v;
	int err;

	/* PID_MAX_LIMIT is 4M on 64-bit kernels. */
	err = parse_u64(s, 1, 4 * 1024 * 1024, &v);
	if (err)
		return err;
	*out = (pid_t)v;
	return 0;
}
