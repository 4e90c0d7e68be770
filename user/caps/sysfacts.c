// SPDX-License-Identifier: GPL-2.0
/* System facts from /proc and /sys (see sysfacts.h). */
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "caps/sysfacts.h"
#include "caps/tracepoints.h"
#include "core/procfs.h"

static bool cap_has(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

void sys_privileges_read(struct sys_privileges *p)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(p, 0, sizeof(*p));
	memset(data, 0, sizeof(data));
	p->euid = geteuid();
	if (syscall(SYS_capget, &hdr, data))
		return;
	p->cap_sys_ptrace = cap_has(data, 19);	/* CAP_SYS_PTRACE */
	p->cap_sys_admin = cap_has(data, 21);	/* CAP_SYS_ADMIN */
	p->cap_sys_resource = cap_has(data, 24);	/* CAP_SYS_RESOURCE */
	p->cap_syslog = cap_has(data, 34);	/* CAP_SYSLOG */
	p->cap_perfmon = cap_has(data, 38);	/* CAP_PERFMON, 5.8+ */
	p->cap_bpf = cap_has(data, 39);		/* CAP_BPF, 5.8+ */
}

static void read_lockdown(struct sys_facts *s)
{
	char mnt[256], path[300], buf[128], *l, *r;

	snprintf(s->lockdown, sizeof(s->lockdown), "unknown");
	if (proc_mount_find("securityfs", NULL, mnt, sizeof(mnt)))
		return;
	snprintf(path, sizeof(path), "%s/lockdown", mnt);
	if (read_file_str(path, buf, sizeof(buf)) < 0)
		return;
	/* "none [integrity] confidentiality": the bracketed one is active. */
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r) {
		*r = 0;
		snprintf(s->lockdown, sizeof(s->lockdown), "%s", l + 1);
	}
}

int memcg_hierarchy(char *mount, size_t len)
{
	char path[600], ctrl[512];

	/* A v1 memory hierarchy, if mounted, owns the controller. */
	if (!proc_mount_find("cgroup", "memory", mount, len))
		return 1;
	if (!proc_mount_find("cgroup2", NULL, mount, len)) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", mount);
		if (read_file_str(path, ctrl, sizeof(ctrl)) >= 0 && word_in_list(ctrl, "memory"))
			return 2;
	}
	mount[0] = 0;
	return 0;
}

static void read_memcg(struct sys_facts *s)
{
	char cg[512];

	s->memcg_version = memcg_hierarchy(s->memcg_mount, sizeof(s->memcg_mount));
	if (s->memcg_version &&
	    !proc_self_cgroup(s->memcg_version == 1 ? "memory" : "", cg, sizeof(cg)))
		snprintf(s->memcg_self, sizeof(s->memcg_self), "%s%s", s->memcg_mount,
			 strcmp(cg, "/") ? cg : "");
}

int swaps_count(FILE *f)
{
	int c, n = 0;
	bool partial = false;

	/* Lines of any length (a swap file's path can be PATH_MAX long); the
	 * first is the header. */
	while ((c = getc(f)) != EOF) {
		n += c == '\n';
		partial = c != '\n';
	}
	n += partial;
	return n ? n - 1 : 0;
}

static void read_swap(struct sys_facts *s)
{
	FILE *f;

	s->swap_devices = 0;
	f = fopen("/proc/swaps", "re");
	if (f) {
		s->swap_devices = swaps_count(f);
		fclose(f);
	}
	s->swap_total_kb = meminfo_kb("SwapTotal");
}

void sys_facts_read(struct sys_facts *s, const char *btf_path)
{
	struct utsname u;
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (!uname(&u)) {
		snprintf(s->release, sizeof(s->release), "%s", u.release);
		snprintf(s->machine, sizeof(s->machine), "%s", u.machine);
	}
	snprintf(s->btf_path, sizeof(s->btf_path), "%s", btf_path ? btf_path : KERNEL_BTF);
	if (!stat(s->btf_path, &st)) {
		s->btf = true;
		s->btf_size = st.st_size;
	}
	read_lockdown(s);
	tracefs_find(s->tracefs, sizeof(s->tracefs), false, NULL);
	sys_privileges_read(&s->priv);
	read_memcg(s);
	s->psi_memory = access("/proc/pressure/memory", R_OK) == 0;
	read_swap(s);
}
