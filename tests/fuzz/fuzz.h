/* SPDX-License-Identifier: GPL-2.0 */
/* What the libFuzzer harnesses of tests/fuzz/ share: the input as a
 * NUL-terminated string, as a stream, or as a file (for parsers that take
 * a path). Each harness is one file defining LLVMFuzzerTestOneInput(). */
#ifndef MEMSCOPE_FUZZ_H
#define MEMSCOPE_FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* data[0..size) + NUL, malloc'd (the input may hold NULs of its own: the
 * parser sees the text up to the first one, as with a C string). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* A read stream over data[0..size); fclose() it. s must outlive it. */
static inline FILE *fuzz_stream(char *s, size_t size)
{
	/* fmemopen() wants a buffer of at least one byte. */
	FILE *f = fmemopen(s, size ? size : 1, "r");

	if (!f)
		abort();
	if (!size)
		fgetc(f);
	return f;
}

static inline const char *fuzz_path(void)
{
	static char path[128];

	if (!path[0]) {
		const char *dir = getenv("TMPDIR");

		snprintf(path, sizeof(path), "%s/memscope-fuzz.%d", dir && *dir ? dir : "/tmp",
			 (int)getpid());
	}
	return path;
}

static inline void fuzz_file_cleanup(void)
{
	unlink(fuzz_path());
}

/* The input as a file: one path per process, rewritten per input, removed
 * at exit. */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int registered;
	const char *path = fuzz_path();
	FILE *f;

	if (!registered++)
		atexit(fuzz_file_cleanup);
	f = fopen(path, "we");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
		perror(path);
		abort();
	}
	return path;
}

#endif
