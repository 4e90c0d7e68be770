// SPDX-License-Identifier: GPL-2.0
/* Targets: -p, -c, --cgroup (see target.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/log.h"
#include "core/procfs.h"
#include "run/memcg.h"
#include "run/target.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif

/* The inode of the initial pid namespace (include/linux/proc_ns.h). */
#define PROC_PID_INIT_INO 0xEFFFFFFCU

#define PF_KTHREAD 0x00200000	/* include/linux/sched.h */

void target_init(struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
}

void target_close(struct target *t)
{
	if (t->spawned)
		spawn_kill(&t->child);
	t->spawned = false;
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
	cmdline_free(t->argv);
	t->argv = NULL;
}

static int pidfd_of(pid_t pid)
{
	return syscall(__NR_pidfd_open, pid, 0);
}

/* The Tgid: line of /proc/PID/status (a thread id's status has its
 * process's). */
static pid_t proc_tgid(pid_t pid)
{
	char path[64], line[256];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

int target_open_pid(struct target *t, pid_t pid)
{
	char path[64], exe[PATH_MAX];
	struct proc_pid_stat st;
	pid_t tgid;

	/* Pin the process first: whatever /proc says below is then about
	 * it, or the pidfd tells us it died. */
	t->pidfd = pidfd_of(pid);
	if (t->pidfd < 0 && errno == ESRCH) {
		log_error("no process with PID %d", pid);
		return EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_file_str(path, t->name, sizeof(t->name)) < 0) {
		log_error("no process with PID %d", pid);
		return EXIT_FAIL;
	}
	tgid = proc_tgid(pid);
	if (tgid > 0 && tgid != pid) {
		/* pidfd_open refuses thread ids before 6.9; /proc has them. */
		log_error("%d is a thread of process %d, not a process: trace the process "
			  "with -p %d", pid, tgid, tgid);
		return EXIT_FAIL;
	}
	if (!proc_pid_stat_read(pid, &st)) {
		if (st.flags & PF_KTHREAD) {
			log_error("PID %d is a kernel thread: it has no user-space memory to trace",
				  pid);
			return EXIT_FAIL;
		}
		if (st.state == 'Z' || st.state == 'X') {
			log_error("PID %d has exited (a zombie waiting for its parent): nothing "
				  "left to trace", pid);
			return EXIT_FAIL;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (readlink(path, exe, sizeof(exe)) < 0) {
		if (errno == EACCES || errno == EPERM)
			log_error("cannot read %s: %s (another user's process needs "
				  "CAP_SYS_PTRACE)", path, strerror(errno));
		else
			log_error("cannot read %s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	if (t->pidfd < 0)
		log_debug("no pidfd for %d (%s): following it by polling", pid, strerror(errno));
	t->pid = pid;
	return 0;
}

/* t->program for t->exe: itself (ELF); for "#!interpreter [arg]" the
 * interpreter, or env's argument for "#!/usr/bin/env prog"; for a text
 * file without "#!" /bin/sh, which runs it then. 0 or -errno. */
static int script_program(struct target *t)
{
	char head[256], interp[PATH_MAX], arg[PATH_MAX];
	ssize_t n;
	int fd = open(t->exe, O_RDONLY | O_CLOEXEC);

	snprintf(t->program, sizeof(t->program), "%s", t->exe);
	if (fd < 0)
		return 0;	/* exec will say why */
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n < 4 || !memcmp(head, "\177ELF", 4))
		return 0;
	head[n] = 0;
	if (head[0] == '#' && head[1] == '!') {
		arg[0] = 0;
		if (sscanf(head + 2, " %4095s %4095[^\n]", interp, arg) < 1)
			return -ENOEXEC;
		if (!strcmp(interp, "/usr/bin/env") && arg[0]) {
			char *sp = strpbrk(arg, " \t");

			if (sp)
				*sp = 0;
			return path_resolve(arg, t->program, sizeof(t->program));
		}
		snprintf(t->program, sizeof(t->program), "%s", interp);
		return 0;
	}
	/* No "#!": the child runs it with /bin/sh, as a shell does on
	 * ENOEXEC (spawn.c). */
	snprintf(t->program, sizeof(t->program), "/bin/sh");
	return 0;
}

int target_parse_command(struct target *t, const char *cmdline)
{
	int n, err;

	n = cmdline_split(cmdline, &t->argv);
	if (n == -ENOMEM) {
		log_error("out of memory");
		return EXIT_FAIL;
	}
	if (n < 0) {
		if (!cmdline[strspn(cmdline, " \t\n")])
			log_error("-c needs a command to run");
		else
			log_error("cannot parse the command '%s': a quote is not closed or "
				  "a backslash ends it", cmdline);
		return EXIT_USAGE;
	}
	err = path_resolve(t->argv[0], t->exe, sizeof(t->exe));
	if (!err)
		err = script_program(t);
	if (err) {
		log_error("cannot run '%s': %s", t->argv[0], strerror(-err));
		return EXIT_FAIL;
	}
	snprintf(t->name, sizeof(t->name), "%s", t->argv[0]);
	return 0;
}

int target_spawn(struct target *t, bool stop_at_exit)
{
	int err = spawn_prepare(&t->child, t->exe, t->argv, stop_at_exit, t->stdout_apart);

	if (err) {
		log_error("cannot start '%s': %s", t->argv[0], strerror(-err));
		return EXIT_FAIL;
	}
	t->spawned = true;
	t->pid = t->child.pid;
	t->pidfd = pidfd_of(t->pid);
	return 0;
}

int target_release(struct target *t)
{
	int err = spawn_release(&t->child);

	if (err) {
		log_error("cannot run '%s': %s", t->argv[0], strerror(-err));
		return EXIT_FAIL;
	}
	return 0;
}

int target_forward_signal(struct target *t, int sig, bool from_tty)
{
	int ret;

	if (!t->spawned || t->child.exited)
		return 0;
	ret = spawn_forward(&t->child, sig, from_tty);
	if (ret < 0)
		log_warn("cannot pass %s on to '%s': %s", strsignal(sig), t->argv[0],
			 strerror(-ret));
	else
		log_info("%s passed on to '%s'%s; it has %u s to exit", strsignal(sig),
			 t->argv[0], ret ? "" : " (it had it already)", TARGET_STOP_GRACE_MS / 1000);
	return ret;
}

int target_set_cgroup(struct target *t, const char *path)
{
	int err = memcg_resolve(path, &t->memcg_id, t->memcg_dir, sizeof(t->memcg_dir));

	switch (-err) {
	case 0:
		return 0;
	case EOPNOTSUPP:
		log_error("--cgroup: no memory cgroup controller is mounted here");
		break;
	case EXDEV:
		log_error("--cgroup: %s is not a cgroup of the memory controller's hierarchy",
			  path);
		break;
	case ENOENT:
		log_error("--cgroup: no memory cgroup %s", path);
		break;
	default:
		log_error("--cgroup: %s: %s", path, strerror(-err));
		break;
	}
	return EXIT_FAIL;
}

void target_filter(const struct target *t, bool with_pid, struct target_filter *f)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->target_tgid = with_pid ? t->pid : 0;
	f->self_tgid = getpid();
	f->memcg = t->memcg_id;
	/* Pids are compared as this process sees them: outside the initial
	 * namespace the BPF side must translate. */
	if (!stat("/proc/self/ns/pid", &st) && st.st_ino != PROC_PID_INIT_INO) {
		f->pidns_dev = st.st_dev;
		f->pidns_ino = st.st_ino;
	}
}
