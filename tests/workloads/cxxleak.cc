// SPDX-License-Identifier: GPL-2.0
/* A C++ program (built -O2) whose leaks come from functions with mangled
 * names: a member function of a class template in a namespace that calls
 * malloc (innermost frame: that function), and `new` of a class (innermost
 * frame: libstdc++'s operator new(unsigned long)). Writes its ledger to
 * FILE as JSON Lines: the demangled and mangled name of each leaking
 * function, and its bytes and count.
 *
 * usage: cxxleak --out FILE
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace memscope_test {

template <typename T> struct Pool {
	/* noipa: neither inlined nor cloned (a clone's name would carry
	 * a ".isra.0" suffix). */
	__attribute__((noipa)) T *leak(unsigned long n)
	{
		T *p = static_cast<T *>(malloc(n * sizeof(T)));

		/* Not a tail call: this function stays the innermost frame. */
		asm volatile("" : : "r"(p) : "memory");
		return p;
	}
};

struct Session {
	char buf[8192];
};

__attribute__((noipa)) Session *open_session(int id)
{
	Session *s = new Session();

	s->buf[0] = (char)id;
	return s;
}

} // namespace memscope_test

static void *volatile sink[16];
static int out_fd = -1;

static void expect(const char *sym, const char *mangled, unsigned long long bytes,
		   unsigned long long count)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
			 "{\"type\":\"expect\",\"sym\":\"%s\",\"mangled\":\"%s\",\"bytes\":%llu,"
			 "\"count\":%llu}\n", sym, mangled, bytes, count);

	if (write(out_fd, buf, n) != n)
		_exit(3);
}

int main(int argc, char **argv)
{
	memscope_test::Pool<long> pool;

	if (argc != 3 || strcmp(argv[1], "--out")) {
		fprintf(stderr, "usage: cxxleak --out FILE\n");
		return 2;
	}
	out_fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0)
		return 1;
	for (int i = 0; i < 5; i++)
		sink[i] = pool.leak(16);
	for (int i = 0; i < 3; i++)
		sink[8 + i] = memscope_test::open_session(i);
	expect("memscope_test::Pool<long>::leak(unsigned long)", "_ZN13memscope_test4PoolIlE4leakEm",
	       5 * 16 * sizeof(long), 5);
	expect("operator new(unsigned long)", "_Znwm", 3 * sizeof(memscope_test::Session), 3);
	close(out_fd);
	return 0;
}
