// SPDX-License-Identifier: GPL-2.0
/* A C++ program with a known allocation ledger, built -O2 as a distro
 * builds (no frame pointers) against each allocator the leak tool must
 * follow: glibc through libstdc++ (cxx_ledger), jemalloc (cxx_ledger_je,
 * -ljemalloc, also its mallocx family), tcmalloc (cxx_ledger_tc,
 * -ltcmalloc_minimal, also its tc_* names) and a static executable
 * (cxx_ledger_static). Every form of operator new is called from its own
 * site function; some blocks are freed through every form of operator
 * delete, the rest stay. The expected outstanding bytes and counts per
 * site, with the source line of the allocating call, go to --out FILE as
 * JSON Lines (the format of ledger.c), and a "done" record counts the
 * allocation calls made.
 *
 * usage: cxx_ledger --out FILE
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <new>
#ifdef LEDGER_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif
#ifdef LEDGER_TCMALLOC
#include <gperftools/tcmalloc.h>
#endif

#define NOINLINE __attribute__((noinline))

static int out_fd = -1;
static unsigned long long calls;	/* allocation calls made by the sites */

/* Written with write(2): stdio would allocate and add noise of its own. */
static void expect(const char *site, int line, unsigned long long bytes,
		   unsigned long long count)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf),
			 "{\"type\":\"expect\",\"site\":\"%s\",\"line\":%d,\"bytes\":%llu,\"count\":%llu}\n",
			 site, line, bytes, count);

	if (write(out_fd, buf, n) != n)
		_exit(3);
}

/* Keep pointers reachable so nothing is optimized away. */
static void *volatile sink[256];
static unsigned sink_at;
static void keep(void *p)
{
	sink[sink_at++ % 256] = p;
}

/* Sizes the compiler cannot see through: it may not elide the calls. */
static volatile size_t vsize = 333;

struct Obj {
	long a[5];		/* 40 bytes */
};

struct alignas(64) Big {
	char c[192];		/* 192 bytes, 64-byte aligned: aligned new */
};

extern "C" {

NOINLINE void site_new(void)
{
	int line = 0;

	for (int i = 0; i < 7; i++) {
		keep(new Obj()); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 7 * sizeof(Obj), 7);
}

/* delete of a complete type: sized delete (_ZdlPvm) since C++14. */
NOINLINE void site_new_freed(void)
{
	int line = 0;

	for (int i = 0; i < 10; i++) {
		Obj *p = new Obj(); line = __LINE__;

		calls++;
		keep(p);
		delete p;
	}
	expect(__func__, line, 0, 0);
}

NOINLINE void site_new_array(void)
{
	int line = 0;

	for (int i = 0; i < 5; i++) {
		keep(new char[vsize]); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 5 * vsize, 5);
}

NOINLINE void site_new_array_freed(void)
{
	int line = 0;

	for (int i = 0; i < 6; i++) {
		char *p = new char[vsize + i]; line = __LINE__;

		calls++;
		keep(p);
		delete[] p;
	}
	expect(__func__, line, 0, 0);
}

NOINLINE void site_new_aligned(void)
{
	int line = 0;

	for (int i = 0; i < 4; i++) {
		keep(new Big()); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 4 * sizeof(Big), 4);
}

NOINLINE void site_new_aligned_array(void)
{
	int line = 0;

	for (int i = 0; i < 2; i++) {
		keep(new Big[3]); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 2 * 3 * sizeof(Big), 2);
}

/* Sized aligned delete and aligned delete[]. */
NOINLINE void site_new_aligned_freed(void)
{
	int line = 0;

	for (int i = 0; i < 3; i++) {
		Big *p = new Big(); line = __LINE__;
		Big *q = new Big[2];

		calls += 2;
		keep(p);
		keep(q);
		delete p;
		delete[] q;
	}
	expect(__func__, line, 0, 0);
}

NOINLINE void site_new_nothrow(void)
{
	int line = 0;

	for (int i = 0; i < 3; i++) {
		keep(new (std::nothrow) Obj()); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 3 * sizeof(Obj), 3);
}

NOINLINE void site_new_nothrow_array(void)
{
	int line = 0;

	for (int i = 0; i < 3; i++) {
		keep(new (std::nothrow) char[vsize * 2]); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 3 * vsize * 2, 3);
}

NOINLINE void site_new_aligned_nothrow(void)
{
	int line = 0;

	for (int i = 0; i < 2; i++) {
		keep(new (std::nothrow) Big()); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 2 * sizeof(Big), 2);
}

NOINLINE void site_new_aligned_nothrow_array(void)
{
	int line = 0;

	for (int i = 0; i < 2; i++) {
		keep(new (std::nothrow) Big[2]); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 2 * 2 * sizeof(Big), 2);
}

/* The operators called by name, freed through the forms no expression
 * above reaches: unsized, nothrow and aligned deletes. */
NOINLINE void site_operator_calls(void)
{
	std::align_val_t al = std::align_val_t(128);
	int line = 0;

	for (int i = 0; i < 4; i++) {
		void *p = ::operator new(vsize + 1000); line = __LINE__;
		void *a = ::operator new[](vsize);
		void *b = ::operator new(256, al);
		void *c = ::operator new[](512, al);
		void *d = ::operator new(vsize, std::nothrow);
		void *e = ::operator new(384, al, std::nothrow);
		void *f = ::operator new(100);

		calls += 7;
		keep(p);
		keep(a); keep(b); keep(c); keep(d); keep(e); keep(f);
		::operator delete[](a);
		::operator delete(b, al);
		::operator delete[](c, 512, al);
		::operator delete(d, std::nothrow);
		::operator delete(e, al, std::nothrow);
		::operator delete(f);
	}
	expect(__func__, line, 4 * (vsize + 1000), 4);
}

NOINLINE void site_operator_calls_freed(void)
{
	std::align_val_t al = std::align_val_t(64);
	int line = 0;

	for (int i = 0; i < 3; i++) {
		void *p = ::operator new[](vsize + 7); line = __LINE__;
		void *q = ::operator new[](vsize, std::nothrow);
		void *r = ::operator new[](640, al, std::nothrow);
		void *s = ::operator new(vsize);

		calls += 4;
		keep(p); keep(q); keep(r); keep(s);
		::operator delete[](p, vsize + 7);
		::operator delete[](q, std::nothrow);
		::operator delete[](r, al, std::nothrow);
		::operator delete(s, vsize);
	}
	expect(__func__, line, 0, 0);
}

/* Plain C allocations in the same program. */
NOINLINE void site_malloc(void)
{
	int line = 0;

	for (int i = 0; i < 3; i++) {
		keep(malloc(1000)); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 3000, 3);
}

#ifdef LEDGER_JEMALLOC
NOINLINE void site_mallocx(void)
{
	int line = 0;

	for (int i = 0; i < 4; i++) {
		keep(mallocx(500, MALLOCX_ZERO)); line = __LINE__;
		calls++;
	}
	expect(__func__, line, 2000, 4);
}

NOINLINE void site_mallocx_freed(void)
{
	int line = 0;

	for (int i = 0; i < 5; i++) {
		void *p = mallocx(vsize, 0); line = __LINE__;
		void *q = mallocx(64, MALLOCX_ALIGN(64));

		calls += 2;
		keep(p); keep(q);
		sdallocx(p, vsize, 0);
		dallocx(q, 0);
	}
	expect(__func__, line, 0, 0);
}

/* rallocx moves the block: the site that resized it holds it now. */
NOINLINE void site_rallocx(void)
{
	int line = 0;

	for (int i = 0; i < 3; i++) {
		void *p = mallocx(100, 0);
		void *q = rallocx(p, 5000, 0); line = __LINE__;

		calls += 2;
		keep(q);
	}
	expect(__func__, line, 3 * 5000, 3);
}

/* xallocx resizes in place (or not) and returns the real size. */
NOINLINE void site_xallocx(void)
{
	unsigned long long bytes = 0;
	int line = 0;

	for (int i = 0; i < 2; i++) {
		void *p = mallocx(4096, 0);
		size_t got = xallocx(p, 6000, 0, 0); line = __LINE__;

		calls += 2;
		bytes += got;
		keep(p);
	}
	expect(__func__, line, bytes, 2);
}
#endif

#ifdef LEDGER_TCMALLOC
NOINLINE void site_tc_calls(void)
{
	int line = 0;

	for (int i = 0; i < 3; i++) {
		void *p = tc_new(vsize); line = __LINE__;
		void *q = tc_malloc(99);
		void *r = tc_newarray_nothrow(77, std::nothrow);

		calls += 3;
		keep(p); keep(q); keep(r);
		tc_free(q);
		tc_deletearray_nothrow(r, std::nothrow);
	}
	expect(__func__, line, 3 * vsize, 3);
}
#endif

}	/* extern "C" */

int main(int argc, char **argv)
{
	char buf[128];
	int n;

	if (argc != 3 || strcmp(argv[1], "--out")) {
		fprintf(stderr, "usage: %s --out FILE\n", argv[0]);
		return 2;
	}
	out_fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		perror(argv[2]);
		return 1;
	}
	site_new();
	site_new_freed();
	site_new_array();
	site_new_array_freed();
	site_new_aligned();
	site_new_aligned_array();
	site_new_aligned_freed();
	site_new_nothrow();
	site_new_nothrow_array();
	site_new_aligned_nothrow();
	site_new_aligned_nothrow_array();
	site_operator_calls();
	site_operator_calls_freed();
	site_malloc();
#ifdef LEDGER_JEMALLOC
	site_mallocx();
	site_mallocx_freed();
	site_rallocx();
	site_xallocx();
#endif
#ifdef LEDGER_TCMALLOC
	site_tc_calls();
#endif
	n = snprintf(buf, sizeof(buf), "{\"type\":\"done\",\"calls\":%llu}\n", calls);
	if (write(out_fd, buf, n) != n)
		return 3;
	close(out_fd);
	return 0;
}
