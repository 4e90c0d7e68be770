// SPDX-License-Identifier: GPL-2.0
/* Privilege, BTF, BPF-syscall and rlimit checks shared by every tool. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "core/cli.h"
#include "caps/btfcheck.h"
#include "caps/kinds.h"
#include "caps/sysfacts.h"
#include "core/log.h"
#include "run/preflight.h"

static int check_privileges(void)
{
	struct sys_privileges s;

	sys_privileges_read(&s);
	if (s.euid == 0 || s.cap_sys_admin || (s.cap_bpf && s.cap_perfmon))
		return 0;
	log_error("memscope needs root, or the capabilities CAP_BPF and CAP_PERFMON "
		  "(kernel 5.8+); run it with sudo");
	return EXIT_FAIL;
}

int preflight_btf(const char *path)
{
	struct btf *btf;

	if (path) {
		log_quiet_push();
		btf = btf__parse(path, NULL);
		log_quiet_pop();
		if (!btf) {
			int err = errno;

			/* libbpf's own codes (4000+) say "ELF" or "format": the
			 * file is neither raw BTF nor ELF; ENOENT for a file that
			 * is there: an ELF file without a .BTF section. */
			if (err == ENOENT && !access(path, R_OK))
				log_error("cannot use '%s' as kernel BTF: an ELF file without a "
					  ".BTF section", path);
			else
				log_error("cannot use '%s' as kernel BTF: %s", path,
					  err >= 4000 ? "not a BTF file (neither raw BTF nor an "
					  "ELF file with a .BTF section)" : strerror(err));
			return EXIT_FAIL;
		}
		/* libbpf 1.1 takes type ids past the end, names outside the
		 * strings and loops of types; what reads the file after us
		 * (btf_dump, CO-RE) would not survive them. */
		if (btf_check_graph(btf)) {
			log_error("cannot use '%s' as kernel BTF: its types are malformed (a type "
				  "id past the last type, a name outside its strings, or a loop of types)",
				  path);
			btf__free(btf);
			return EXIT_FAIL;
		}
		btf__free(btf);
		return 0;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	log_error("this kernel exposes no BTF at /sys/kernel/btf/vmlinux "
		  "(it needs CONFIG_DEBUG_INFO_BTF=y); supply this kernel's BTF with "
		  "--btf FILE (e.g. a BTFHub file, or 'pahole --btf_encode_detached' "
		  "on its vmlinux)");
	return EXIT_FAIL;
}

/* Load the smallest tracing program there is: r0 = 0; exit. */
static int check_bpf_syscall(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "memscope_check", "GPL", insns,
			   2, NULL);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	switch (-fd) {
	case ENOSYS:
		log_error("this kernel has no bpf() system call (CONFIG_BPF_SYSCALL is off)");
		break;
	case EPERM:
	case EACCES:
		log_error("the kernel refused to load a BPF program (%s): check "
			  "kernel.unprivileged_bpf_disabled, lockdown, or the seccomp/"
			  "capability policy of this container", strerror(-fd));
		break;
	default:
		log_error("loading a minimal BPF program failed: %s", strerror(-fd));
		break;
	}
	return EXIT_FAIL;
}

static void raise_memlock(void)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };

	/* Kernels since 5.11 charge BPF memory to the memcg and ignore the
	 * limit; without CAP_SYS_RESOURCE this fails, which is fine there. */
	if (setrlimit(RLIMIT_MEMLOCK, &r))
		log_debug("setrlimit(RLIMIT_MEMLOCK) failed: %s (harmless on kernels "
			  "that account BPF memory to the memory cgroup)", strerror(errno));
}

int preflight(const struct preflight_opts *o)
{
	int err;

	if (attach_override() == -2) {
		log_error("MEMSCOPE_ATTACH=%s names no attach type (tracepoint, raw_tp, tp_btf, "
			  "kprobe, fentry, ...)", getenv("MEMSCOPE_ATTACH"));
		return EXIT_USAGE;
	}
	if ((err = check_privileges()))
		return err;
	/* A --btf FILE the user named is checked even where BTF is optional. */
	if ((o->need_btf || o->btf_path) && (err = preflight_btf(o->btf_path)))
		return err;
	if ((err = check_bpf_syscall()))
		return err;
	raise_memlock();
	return 0;
}
