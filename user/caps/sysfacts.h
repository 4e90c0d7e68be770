/* SPDX-License-Identifier: GPL-2.0 */
/* System facts the tools depend on, read from /proc and /sys: kernel
 * release, BTF, lockdown, tracefs, privileges, the memory cgroup
 * hierarchy, PSI and swap. `memscope probe` shows all of them; tools read
 * the parts they need. */
#ifndef MEMSCOPE_CAPS_SYSFACTS_H
#define MEMSCOPE_CAPS_SYSFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

struct sys_privileges {
	uid_t euid;
	bool cap_sys_admin, cap_bpf, cap_perfmon, cap_sys_resource, cap_syslog, cap_sys_ptrace;
};

struct sys_facts {
	char release[65];
	char machine[65];
	char btf_path[256];
	bool btf;
	long long btf_size;
	/* "none", "integrity", "confidentiality", or "unknown" */
	char lockdown[32];
	char tracefs[256];	/* mount point, "" if none */
	bool tracefs_mounted_by_us;
	struct sys_privileges priv;
	int memcg_version;	/* 0: no memory controller, 1 or 2 */
	char memcg_mount[256];
	char memcg_self[800];	/* the caller's memcg directory */
	bool psi_memory;
	int swap_devices;
	uint64_t swap_total_kb;
};

void sys_facts_read(struct sys_facts *s, const char *btf_path);
/* Only euid and the capabilities (what every tool checks first). */
void sys_privileges_read(struct sys_privileges *p);

/* Where the memory controller's hierarchy is mounted: 1 (cgroup v1, its own
 * hierarchy) or 2 (the unified hierarchy with memory enabled), 0 and "" if
 * neither. */
int memcg_hierarchy(char *mount, size_t len);

/* The swap devices /proc/swaps f lists: its lines after the header. */
int swaps_count(FILE *f);

#endif
