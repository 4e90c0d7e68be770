// SPDX-License-Identifier: GPL-2.0
/* Linked into memscope and the test programs by `make SANITIZE=1` only
 * (scripts/sanitize.sh): UBSAN_OPTIONS=log_path=... obeyed with gcc.
 *
 * gcc links ASan and UBSan as two shared runtimes, each with its own report
 * file. libubsan applies log_path through __sanitizer_set_report_path, a
 * call that binds to libasan's definition (loaded first), so UBSan's own
 * reports stay on stderr, where a program whose stderr nobody reads (a
 * memscope started by a shell, by tmux) would hide them. Set it on
 * libubsan's copy, found through its own handle. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

__attribute__((constructor)) static void ubsan_log_path(void)
{
	static char path[4096];
	const char *opts = getenv("UBSAN_OPTIONS"), *p;
	void (*set_path)(const char *);
	size_t n;
	void *h;

	if (!opts || !(p = strstr(opts, "log_path=")))
		return;
	p += strlen("log_path=");
	n = strcspn(p, ": ,");
	if (!n || n >= sizeof(path))
		return;
	memcpy(path, p, n);
	path[n] = 0;
	h = dlopen("libubsan.so.1", RTLD_NOLOAD | RTLD_LAZY);
	if (!h)
		return;
	*(void **)&set_path = dlsym(h, "__sanitizer_set_report_path");
	if (set_path)
		set_path(path);
	dlclose(h);
}
