// SPDX-License-Identifier: GPL-2.0
/* Symbolization against independent truth: our own functions (their
 * addresses and __LINE__), /proc/PID/maps read here, a copied-then-deleted
 * ELF file, a child that exits, a process in its own mount namespace and
 * root. Works in the dynamic and the static
 * (QEMU guest) build; what needs a shared libc skips without one. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gelf.h>

#include "fsutil.h"
#include "harness.h"
#include "core/procfs.h"
#include "syms/usyms.h"

/* ---- truth from our own code -------------------------------------------- */

__attribute__((noinline, noclone)) void *usyms_test_where(void)
{
	return __builtin_return_address(0);
}

/* Returns the address its call of usyms_test_where() returns to; *line is
 * the line of that call. */
static const int usyms_test_target_first_line = __LINE__ + 1;
__attribute__((noinline, noclone)) void *usyms_test_target(int *line)
{
	void *ra = usyms_test_where(); *line = __LINE__;

	/* Keeps the call from becoming a tail call. */
	asm volatile("" : "+r"(ra));
	return ra;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return s && n >= m && !strcmp(s + n - m, suffix);
}

/* File offset of an address of ours, from /proc/self/maps. */
static uint64_t self_file_offset(const void *p)
{
	struct proc_map m;

	if (proc_map_find(0, (unsigned long)p, &m))
		return UINT64_MAX;
	return (unsigned long)p - m.start + m.pgoff;
}

static bool maps_have(pid_t pid, const char *needle)
{
	char path[64], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid ? pid : getpid());
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static long status_kb(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

static bool copy_fd(int from, int to)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (write(to, buf, n) != n)
			return false;
	return n == 0;
}

/* Copy our executable into dir and map it whole, executable, as a plain
 * file (not the way ld.so maps segments); the file is unlinked once
 * mapped. Returns the mapping or NULL; *path gets the file's name. */
static void *map_exe_copy(const char *dir, char *path, size_t len, size_t *size)
{
	struct stat st;
	void *p = NULL;
	int in, out;

	snprintf(path, len, "%s/memscope-usyms-XXXXXX", dir);
	out = mkstemp(path);
	if (out < 0)
		return NULL;
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in >= 0 && copy_fd(in, out) && !fstat(out, &st)) {
		p = mmap(NULL, st.st_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, out, 0);
		if (p == MAP_FAILED)
			p = NULL;
		*size = st.st_size;
	}
	if (in >= 0)
		close(in);
	close(out);
	unlink(path);
	return p;
}

/* /tmp first; where it is mounted noexec, the build directory. */
static void *map_exe_copy_anywhere(char *path, size_t len, size_t *size)
{
	void *p = map_exe_copy("/tmp", path, len, size);

	return p ? p : map_exe_copy(test_bin_dir(), path, len, size);
}

/* ---- user space ---------------------------------------------------------- */

/* What this build made of us: the static runner is a non-PIE ET_EXEC. */
static const char *exe_type(void)
{
	Elf64_Ehdr eh;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && pread(fd, &eh, sizeof(eh), 0) == sizeof(eh);

	if (fd >= 0)
		close(fd);
	if (!ok)
		return "?";
	return eh.e_type == ET_EXEC ? "non-PIE executable" : eh.e_type == ET_DYN ? "PIE" : "?";
}

TEST(unit_usyms_own_function, 0)
{
	char exe[4096], name[256];
	struct sym_frame f;
	struct usyms *u;
	ssize_t n;
	void *ra;
	int line = 0;

	ra = usyms_test_target(&line);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;

	u = usyms_new(getpid());
	if (!ASSERT_TRUE(u != NULL, "usyms_new(getpid())"))
		return;

	/* A return address: the line of the call. */
	ASSERT_OK(usyms_resolve(u, (uintptr_t)ra, true, &f), "resolve return address");
	ASSERT_EQ(f.addr, (uintptr_t)ra, "addr kept");
	ASSERT_STREQ(f.sym, "usyms_test_target", "function");
	ASSERT_EQ(f.offset, (uintptr_t)ra - (uintptr_t)usyms_test_target, "offset from the function");
	ASSERT_STREQ(f.module, exe, "module is our executable");
	ASSERT_EQ(f.module_offset, self_file_offset(ra), "file offset as in /proc/self/maps");
	ASSERT_TRUE(ends_with(f.file, "tests/unit_usyms.c"), "source file");
	ASSERT_EQ(f.line, line, "line of the call (__LINE__)");
	ASSERT_TRUE(f.build_id && strlen(f.build_id) >= 16 &&
		    strspn(f.build_id, "0123456789abcdef") == strlen(f.build_id),
		    "build-id in lowercase hex");
	test_log("%s at %s:%d in a %s", sym_frame_name(&f, name, sizeof(name)), f.file, f.line,
		 exe_type());

	/* The function's own address: offset 0, same file. */
	ASSERT_OK(usyms_resolve(u, (uintptr_t)usyms_test_target, false, &f), "resolve entry");
	ASSERT_STREQ(f.sym, "usyms_test_target", "function at its entry");
	ASSERT_EQ(f.offset, 0, "offset 0 at the entry");
	ASSERT_TRUE(ends_with(f.file, "tests/unit_usyms.c"), "entry's source file");
	ASSERT_GE(f.line, usyms_test_target_first_line, "entry line is in the function");
	ASSERT_LE(f.line, line, "entry line is not after the call");
	usyms_free(u);
}

TEST(unit_usyms_no_lines_option, 0)
{
	struct usyms_opts o = { .sz = sizeof(o), .no_lines = true };
	struct sym_frame f;
	struct usyms *u;
	int line;
	void *ra = usyms_test_target(&line);

	u = usyms_new_opts(0, &o);
	if (!ASSERT_TRUE(u != NULL, "usyms_new_opts(0)"))
		return;
	ASSERT_OK(usyms_resolve(u, (uintptr_t)ra, true, &f), "resolve");
	ASSERT_STREQ(f.sym, "usyms_test_target", "function without DWARF lookups");
	ASSERT_TRUE(f.file == NULL && f.line == 0, "no file:line when disabled");
	usyms_free(u);
}

TEST(unit_usyms_shared_libc, 0)
{
	void *(*volatile fn)(size_t) = malloc;
	uint64_t addr = (uintptr_t)fn + 0x10;
	struct proc_map m;
	struct sym_frame f;
	struct usyms *u;
	char name[256];

	/* The static test runner (QEMU guest) has no libc.so. */
	if (!maps_have(0, "/libc.so"))
		test_skip("no shared libc in /proc/self/maps (static build)");
	if (!ASSERT_OK(proc_map_find(0, addr, &m), "malloc's mapping"))
		return;
	u = usyms_new(0);
	if (!ASSERT_TRUE(u != NULL, "usyms_new"))
		return;
	ASSERT_OK(usyms_resolve(u, addr, false, &f), "resolve malloc+0x10");
	ASSERT_STREQ(f.module, m.path, "module is the libc of /proc/self/maps");
	ASSERT_EQ(f.module_offset, addr - m.start + m.pgoff, "file offset");
	ASSERT_CONTAINS(f.sym, "malloc", "a name of malloc");
	ASSERT_EQ(f.offset, 0x10, "offset into malloc");
	ASSERT_TRUE(f.build_id != NULL, "libc has a build-id");
	test_log("%s (%s, build-id %s, %s:%d)", sym_frame_name(&f, name, sizeof(name)),
		 f.module, f.build_id, f.file ? f.file : "-", f.line);
	usyms_free(u);
}

/* Whether some compressed .debug_* section is in the file (checked here
 * with libelf, apart from usyms' own accounting). */
static int compressed_dwarf(const char *path)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int fd, found = 0;
	Elf *elf;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && !elf_getshdrstrndx(elf, &shstrndx)) {
		while (!found && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			found = name && !strncmp(name, ".debug_", 7) && (sh.sh_flags & SHF_COMPRESSED);
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

TEST(unit_usyms_dwarf_budget, 0)
{
	struct usyms_opts tiny = { .sz = sizeof(tiny), .dwarf_mem_max = 1 };
	struct sym_frame f, self;
	struct usyms *u;
	int line;
	void *ra = usyms_test_target(&line);

	/* A budget of one byte: libdw's state is dropped after every lookup,
	 * and the answers (and their strings) stay right. */
	u = usyms_new_opts(0, &tiny);
	if (!ASSERT_TRUE(u != NULL, "usyms_new_opts(tiny budget)"))
		return;
	usyms_resolve(u, (uintptr_t)ra, true, &self);
	usyms_resolve(u, (uintptr_t)usyms_test_target, false, &f);
	usyms_resolve(u, (uintptr_t)ra + 1, true, &f);
	ASSERT_STREQ(self.sym, "usyms_test_target", "function, budget exceeded");
	ASSERT_TRUE(ends_with(self.file, "tests/unit_usyms.c"), "file, budget exceeded");
	ASSERT_EQ(self.line, line, "line, budget exceeded");
	ASSERT_STREQ(f.sym, "usyms_test_target", "next lookup after a drop");
	usyms_free(u);
}

TEST(unit_usyms_dwarf_budget_libc, 0)
{
	void *(*volatile fn)(size_t) = malloc;
	struct usyms_opts unlimited = { .sz = sizeof(unlimited), .dwarf_mem_max = SIZE_MAX };
	struct usyms_opts tiny = { .sz = sizeof(tiny), .dwarf_mem_max = 1 };
	char debug[512];
	struct sym_frame f;
	struct usyms *u;
	long before, after;
	int compressed;

	if (!maps_have(0, "/libc.so"))
		test_skip("no shared libc in /proc/self/maps (static build)");
	u = usyms_new_opts(0, &unlimited);
	if (!ASSERT_TRUE(u != NULL, "usyms_new_opts(no limit)"))
		return;
	before = status_kb("VmRSS");
	usyms_resolve(u, (uintptr_t)fn + 1, false, &f);
	after = status_kb("VmRSS");
	if (!f.build_id || !f.file) {
		usyms_free(u);
		test_skip("no debug information for libc here (libc6-dbg not installed)");
	}
	snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug", f.build_id,
		 f.build_id + 2);
	compressed = compressed_dwarf(debug);
	test_log("libc: %s:%d; debug file %s (%s DWARF); RSS %ld -> %ld kB", f.file, f.line,
		 debug, compressed > 0 ? "compressed" : compressed == 0 ? "uncompressed" : "?",
		 before, after);
	ASSERT_CONTAINS(f.file, "malloc", "malloc's source file with no budget");
	usyms_free(u);

	/* Compressed DWARF bigger than the budget is never inflated. */
	u = usyms_new_opts(0, &tiny);
	if (!ASSERT_TRUE(u != NULL, "usyms_new_opts(tiny budget)"))
		return;
	usyms_resolve(u, (uintptr_t)fn + 1, false, &f);
	ASSERT_CONTAINS(f.sym, "malloc", "libc symbol over budget");
	if (compressed > 0)
		ASSERT_TRUE(f.file == NULL, "no file:line from compressed DWARF over budget");
	else if (compressed == 0)
		ASSERT_TRUE(f.file != NULL, "file:line from uncompressed DWARF");
	usyms_free(u);
}

/* A deleted file can only be opened through map_files: CAP_SYS_ADMIN. */
TEST(e2e_usyms_deleted_file, T_ROOT | T_E2E)
{
	char path[4096], name[256], maps_path[4200];
	uint64_t fo_fn, fo_ra;
	struct sym_frame f;
	struct usyms *u;
	size_t size = 0;
	char *base;
	void *ra;
	int line;

	ra = usyms_test_target(&line);
	fo_fn = self_file_offset((void *)usyms_test_target);
	fo_ra = self_file_offset(ra);
	base = map_exe_copy_anywhere(path, sizeof(path), &size);
	if (!ASSERT_TRUE(base != NULL, "map a deleted copy of our executable"))
		return;
	snprintf(maps_path, sizeof(maps_path), "%s (deleted)", path);
	ASSERT_TRUE(maps_have(0, maps_path), "maps shows the copy as deleted");

	u = usyms_new(0);
	if (!ASSERT_TRUE(u != NULL, "usyms_new"))
		return;
	ASSERT_OK(usyms_resolve(u, (uintptr_t)base + fo_fn, false, &f), "resolve in the copy");
	ASSERT_STREQ(f.sym, "usyms_test_target", "function in the deleted copy");
	ASSERT_EQ(f.offset, 0, "at its entry");
	ASSERT_STREQ(f.module, maps_path, "module as maps shows it");
	ASSERT_EQ(f.module_offset, fo_fn, "file offset in the copy");

	ASSERT_OK(usyms_resolve(u, (uintptr_t)base + fo_ra, true, &f), "return address in the copy");
	ASSERT_STREQ(f.sym, "usyms_test_target", "function of the return address");
	ASSERT_EQ(f.offset, fo_ra - fo_fn, "offset");
	ASSERT_TRUE(ends_with(f.file, "tests/unit_usyms.c"), "source file from the copy's DWARF");
	ASSERT_EQ(f.line, line, "line of the call");
	test_log("%s at %s:%d in %s", sym_frame_name(&f, name, sizeof(name)), f.file, f.line,
		 f.module);
	usyms_free(u);
	munmap(base, size);
}

TEST(unit_usyms_unmapped_address, 0)
{
	/* Below mmap_min_addr, and in the hole above user space. */
	const uint64_t addrs[] = { 0, 0x1000, 0x00007fffffffffffull + 0x1000 };
	struct sym_frame f;
	struct usyms *u;
	char name[64];
	size_t i;

	u = usyms_new(0);
	if (!ASSERT_TRUE(u != NULL, "usyms_new"))
		return;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		ASSERT_OK(usyms_resolve(u, addrs[i], i == 1, &f), "resolve garbage");
		ASSERT_EQ(f.addr, addrs[i], "addr kept");
		ASSERT_TRUE(f.module == NULL, "no module");
		ASSERT_TRUE(f.sym == NULL, "no symbol");
		ASSERT_TRUE(f.file == NULL && f.line == 0, "no line");
		ASSERT_TRUE(f.build_id == NULL, "no build-id");
	}
	ASSERT_STREQ(sym_frame_name(&f, name, sizeof(name)), "0x800000000fff", "named by address");
	usyms_free(u);
}

/* A symbol of our vdso, found here with libelf on the image in memory. */
static uint64_t vdso_symbol(const char *want)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	struct proc_map m;
	uint64_t addr = 0, load = UINT64_MAX;
	Elf_Scn *scn = NULL;
	size_t phnum, i;
	Elf *elf;

	if (!base || proc_map_find(0, base, &m))
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)base, m.end - m.start);
	if (!elf || elf_getphdrnum(elf, &phnum))
		goto out;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD && load == UINT64_MAX)
			load = ph.p_vaddr - ph.p_offset;
	}
	while (!addr && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(d, i, &s))
				continue;
			n = elf_strptr(elf, sh.sh_link, s.st_name);
			if (n && !strcmp(n, want) && s.st_value)
				addr = base + s.st_value - load;
		}
	}
out:
	if (elf)
		elf_end(elf);
	return addr;
}

TEST(unit_usyms_vdso, 0)
{
	uint64_t fn = vdso_symbol("__vdso_clock_gettime");
	struct sym_frame f;
	struct usyms *u;
	char name[128];

	if (!fn)
		test_skip("no vdso with __vdso_clock_gettime here");
	u = usyms_new(0);
	if (!ASSERT_TRUE(u != NULL, "usyms_new"))
		return;
	ASSERT_OK(usyms_resolve(u, fn + 3, false, &f), "resolve in the vdso");
	ASSERT_STREQ(f.module, "[vdso]", "module");
	ASSERT_CONTAINS(f.sym, "clock_gettime", "function");
	ASSERT_EQ(f.offset, 3, "offset");
	test_log("%s", sym_frame_name(&f, name, sizeof(name)));
	usyms_free(u);
}

TEST(unit_usyms_cache_and_refresh, 0)
{
	struct sym_frame a, b;
	char path[4096];
	struct usyms *u;
	size_t size;
	void *ra, *copy;
	int line;

	ra = usyms_test_target(&line);
	u = usyms_new(0);
	if (!ASSERT_TRUE(u != NULL, "usyms_new"))
		return;
	usyms_resolve(u, (uintptr_t)ra, true, &a);
	usyms_resolve(u, (uintptr_t)ra, true, &b);
	ASSERT_TRUE(a.sym == b.sym && a.file == b.file && a.line == b.line,
		    "second lookup gives the same strings");
	usyms_resolve(u, (uintptr_t)ra, false, &b);
	ASSERT_STREQ(b.sym, "usyms_test_target", "not a return address: same function");
	ASSERT_EQ(usyms_refresh(u), 0, "unchanged maps: no new module");

	copy = map_exe_copy_anywhere(path, sizeof(path), &size);
	if (ASSERT_TRUE(copy != NULL, "map another file")) {
		ASSERT_EQ(usyms_refresh(u), 1, "refresh reports the new module");
		ASSERT_EQ(usyms_refresh(u), 0, "and only once");
		munmap(copy, size);
	}
	/* Known mappings stay, also once unmapped. */
	ASSERT_EQ(usyms_refresh(u), 0, "unmapping adds nothing");
	usyms_resolve(u, (uintptr_t)ra, true, &b);
	ASSERT_TRUE(a.sym == b.sym && a.line == b.line, "same answer after refreshes");
	usyms_free(u);
}

/* The child's file is deleted too (map_files: CAP_SYS_ADMIN). */
TEST(e2e_usyms_exited_child, T_ROOT | T_E2E)
{
	char path[4096], maps_path[4200];
	int to_child[2], from_child[2], status, line;
	uint64_t fo_ra, base = 0;
	siginfo_t si;
	struct sym_frame f;
	struct usyms *u;
	void *ra;
	pid_t pid;

	ra = usyms_test_target(&line);
	fo_ra = self_file_offset(ra);
	if (!ASSERT_OK(pipe(to_child), "pipe") || !ASSERT_OK(pipe(from_child), "pipe"))
		return;
	pid = fork();
	if (pid == 0) {
		/* Something only the child has mapped: its own deleted copy. */
		close(to_child[1]);
		close(from_child[0]);
		size_t size;
		char c;
		void *p = map_exe_copy_anywhere(path, sizeof(path), &size);
		uint64_t at = (uintptr_t)p;

		if (write(from_child[1], &at, sizeof(at)) != sizeof(at) ||
		    write(from_child[1], path, sizeof(path)) != sizeof(path))
			_exit(1);
		if (read(to_child[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);
	if (!ASSERT_EQ(read(from_child[0], &base, sizeof(base)), sizeof(base), "child's mapping") ||
	    !ASSERT_EQ(read(from_child[0], path, sizeof(path)), sizeof(path), "child's file") ||
	    !ASSERT_NE(base, 0, "child mapped its copy")) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return;
	}
	snprintf(maps_path, sizeof(maps_path), "%s (deleted)", path);

	u = usyms_new(pid);
	ASSERT_TRUE(u != NULL, "usyms_new(child)");
	/* Nothing resolved before the child is gone. */
	close(to_child[1]);
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	if (u)
		ASSERT_EQ(usyms_refresh(u), -ESRCH, "refresh of a zombie");
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exited");
	if (!u)
		return;
	ASSERT_EQ(usyms_refresh(u), -ESRCH, "refresh after exit");

	ASSERT_OK(usyms_resolve(u, base + fo_ra, true, &f), "resolve after exit");
	ASSERT_STREQ(f.module, maps_path, "child's deleted file");
	ASSERT_STREQ(f.sym, "usyms_test_target", "function");
	ASSERT_EQ(f.line, line, "line");
	ASSERT_OK(usyms_resolve(u, (uintptr_t)ra, true, &f), "resolve in the child's executable");
	ASSERT_STREQ(f.sym, "usyms_test_target", "function in the executable");
	ASSERT_EQ(f.line, line, "line in the executable");
	usyms_free(u);
	errno = 0;
	ASSERT_TRUE(usyms_new(pid) == NULL && errno == ESRCH, "usyms_new on a dead pid: ESRCH");
}

/* The child: a mount namespace of its own whose root is a fresh tmpfs
 * holding a copy of our executable, as in a container. Maps show the copy
 * by its path in that root, which does not exist in ours. */
static void container_child(const char *dir, int wfd, int rfd)
{
	char old[128], exe[128], c;
	uint64_t at = 0;
	int in, out;
	void *p;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=256m"))
		goto out;
	snprintf(exe, sizeof(exe), "%s/usyms-ct-exe", dir);
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	out = open(exe, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	if (in < 0 || out < 0 || !copy_fd(in, out))
		goto out;
	close(in);
	close(out);
	snprintf(old, sizeof(old), "%s/old", dir);
	if (mkdir(old, 0700))
		goto out;
	/* pivot_root is refused where / is the initramfs (QEMU guest): a
	 * chroot then, the path in maps is unreachable from our root all the
	 * same. */
	if (!syscall(SYS_pivot_root, dir, old)) {
		if (chdir("/") || umount2("/old", MNT_DETACH))
			goto out;
	} else if (chroot(dir) || chdir("/")) {
		goto out;
	}
	in = open("/usyms-ct-exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		goto out;
	p = mmap(NULL, lseek(in, 0, SEEK_END), PROT_READ | PROT_EXEC, MAP_PRIVATE, in, 0);
	if (p != MAP_FAILED)
		at = (uintptr_t)p;
out:
	if (write(wfd, &at, sizeof(at)) != sizeof(at) || read(rfd, &c, 1) < 0)
		_exit(1);
	_exit(0);
}

TEST(e2e_usyms_container, T_ROOT | T_E2E)
{
	int to_child[2], from_child[2], line;
	char maps_line[1024], maps_file[64], dir[] = "/tmp/memscope-usyms-ct-XXXXXX";
	struct proc_map pm = {};
	uint64_t base = 0, fo_ra;
	struct sym_frame f;
	struct stat st;
	struct usyms *u;
	void *ra;
	pid_t pid;
	FILE *mf;

	ra = usyms_test_target(&line);
	fo_ra = self_file_offset(ra);
	if (!ASSERT_OK(pipe(to_child), "pipe") || !ASSERT_OK(pipe(from_child), "pipe") ||
	    !ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	pid = fork();
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		container_child(dir, from_child[1], to_child[0]);
	}
	close(to_child[0]);
	close(from_child[1]);
	if (read(from_child[0], &base, sizeof(base)) != sizeof(base) || !base) {
		close(to_child[1]);
		waitpid(pid, NULL, 0);
		rmdir(dir);
		test_skip("could not set up a mount namespace and root");
	}
	/* What the child's maps say about its copy. */
	snprintf(maps_file, sizeof(maps_file), "/proc/%d/maps", pid);
	mf = fopen(maps_file, "re");
	while (mf && fgets(maps_line, sizeof(maps_line), mf))
		if (!proc_map_parse(maps_line, &pm) && pm.start == base)
			break;
	if (mf)
		fclose(mf);
	ASSERT_EQ(pm.start, base, "the copy is in the child's maps");
	ASSERT_TRUE(ends_with(pm.path, "/usyms-ct-exe"), "by its name in the child's root");
	ASSERT_TRUE(stat(pm.path, &st) != 0, "that path does not exist in our root");
	test_log("child's maps: %s", pm.path);

	u = usyms_new(pid);
	if (ASSERT_TRUE(u != NULL, "usyms_new(child)")) {
		ASSERT_OK(usyms_resolve(u, base + fo_ra, true, &f), "resolve in the child");
		ASSERT_STREQ(f.module, pm.path, "module as the child sees it");
		ASSERT_STREQ(f.sym, "usyms_test_target", "function");
		ASSERT_EQ(f.line, line, "line");
		usyms_free(u);
	}
	close(to_child[1]);
	waitpid(pid, NULL, 0);
	/* The tmpfs was mounted in the child's namespace only. */
	rmdir(dir);
}

TEST(unit_usyms_frame_name, 0)
{
	struct sym_frame f = { .addr = 0x7f0012345678 };
	char buf[64];

	ASSERT_STREQ(sym_frame_name(&f, buf, sizeof(buf)), "0x7f0012345678", "address only");
	f.module = "/usr/lib/x86_64-linux-gnu/libc.so.6";
	f.module_offset = 0x2a1b0;
	ASSERT_STREQ(sym_frame_name(&f, buf, sizeof(buf)), "libc.so.6+0x2a1b0", "module+offset");
	f.module = "[vdso]";
	f.module_offset = 0x10;
	ASSERT_STREQ(sym_frame_name(&f, buf, sizeof(buf)), "[vdso]+0x10", "vdso");
	f.sym = "malloc";
	f.offset = 0;
	ASSERT_STREQ(sym_frame_name(&f, buf, sizeof(buf)), "malloc+0x0", "symbol at offset 0");
	f.offset = 0x1f;
	ASSERT_STREQ(sym_frame_name(&f, buf, sizeof(buf)), "malloc+0x1f", "symbol+offset");
	ASSERT_STREQ(sym_frame_name(&f, buf, 5), "mall", "truncated, terminated");
}

TEST(unit_usyms_rss, 0)
{
	void *(*volatile fn)(size_t) = malloc;
	struct sym_frame f;
	struct usyms *u;
	long before, after;
	int line, i;
	void *ra = usyms_test_target(&line);

	/* Informational: what symbolizing costs with the default budget. */
	before = status_kb("VmRSS");
	u = usyms_new(0);
	if (!ASSERT_TRUE(u != NULL, "usyms_new"))
		return;
	for (i = 0; i < 3; i++) {
		usyms_resolve(u, (uintptr_t)ra, true, &f);
		usyms_resolve(u, (uintptr_t)fn + 4, true, &f);
		usyms_resolve(u, (uintptr_t)usyms_resolve + 1, true, &f);
	}
	after = status_kb("VmRSS");
	test_log("RSS %ld kB before, %ld kB after resolving (anonymous %ld kB, file %ld kB; "
		 "peak %ld kB)", before, after, status_kb("RssAnon"), status_kb("RssFile"),
		 status_kb("VmHWM"));
	usyms_free(u);
}

/* A budget so small that every module change closes descriptors and drops
 * libdwfl's state: answers stay right, and the budget holds. */
TEST(unit_usyms_small_fd_budget, 0)
{
	enum { BUDGET = 6 };
	struct usyms_opts o = { .sz = sizeof(o), .fd_max = BUDGET };
	void *(*volatile fn)(size_t) = malloc;
	int line = 0, fd0, most = 0;
	struct sym_frame f;
	struct usyms *u;
	void *ra;

	ra = usyms_test_target(&line);
	fd0 = count_fds();
	u = usyms_new_opts(0, &o);
	if (!ASSERT_TRUE(u != NULL, "usyms_new_opts"))
		return;
	for (int round = 0; round < 3; round++) {
		/* New addresses each round: no answer from the cache. */
		ASSERT_OK(usyms_resolve(u, (uintptr_t)ra + round, true, &f), "own code");
		ASSERT_STREQ(f.sym, "usyms_test_target", "our function");
		if (round == 0)
			ASSERT_EQ(f.line, line, "and its line");
		if (count_fds() - fd0 > most)
			most = count_fds() - fd0;
		if (maps_have(0, "/libc.so")) {
			ASSERT_OK(usyms_resolve(u, (uintptr_t)fn + round, false, &f), "libc");
			ASSERT_CONTAINS(f.sym, "malloc", "malloc");
		}
		if (count_fds() - fd0 > most)
			most = count_fds() - fd0;
	}
	test_log("at most %d descriptors held (budget %d)", most, BUDGET);
	ASSERT_LE(most, BUDGET, "budget held");
	usyms_free(u);
	ASSERT_EQ(count_fds(), fd0, "all closed by usyms_free");
}
