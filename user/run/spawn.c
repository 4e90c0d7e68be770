// SPDX-License-Identifier: GPL-2.0
/* Command start-up for -c (see spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cli.h"
#include "run/spawn.h"

int cmdline_split(const char *s, char ***argvp)
{
	size_t len = strlen(s), argc = 0;
	char **argv, *buf, *o;
	bool in_word = false;
	char quote = 0;

	/* At most len/2+1 words; the words never outgrow the input. */
	argv = calloc(len / 2 + 2, sizeof(*argv));
	buf = malloc(len + 1);
	if (!argv || !buf) {
		free(argv);
		free(buf);
		return -ENOMEM;
	}
	o = buf;
	for (const char *p = s;; p++) {
		char c = *p;

		if (quote) {
			if (!c)
				goto bad;
			if (c == quote) {
				quote = 0;
			} else if (quote == '"' && c == '\\' && (p[1] == '"' || p[1] == '\\' ||
								   p[1] == '$' || p[1] == '`')) {
				*o++ = *++p;
			} else {
				*o++ = c;
			}
			continue;
		}
		if (!c || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				*o++ = 0;
				in_word = false;
			}
			if (!c)
				break;
			continue;
		}
		if (!in_word) {
			argv[argc++] = o;
			in_word = true;
		}
		if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '\\') {
			if (!p[1])
				goto bad;
			*o++ = *++p;
		} else {
			*o++ = c;
		}
	}
	if (!argc)
		goto bad;
	/* The first word starts at buf: cmdline_free() frees it via argv[0]. */
	argv[argc] = NULL;
	*argvp = argv;
	return (int)argc;
bad:
	free(argv);
	free(buf);
	return -EINVAL;
}

void cmdline_free(char **argv)
{
	if (argv)
		free(argv[0]);
	free(argv);
}

int path_resolve(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;
	int err = -ENOENT;
	struct stat st;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if (access(name, X_OK))
			return -errno;
		snprintf(out, len, "%s", name);
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		snprintf(out, len, "%.*s%s%s", (int)(end - p), p, end > p ? "/" : "", name);
		if (!stat(out, &st) && S_ISREG(st.st_mode)) {
			if (!access(out, X_OK))
				return 0;
			err = -EACCES;
		}
		if (!*end)
			break;
	}
	return err;
}

int spawn_prepare(struct spawned *s, const char *path, char *const argv[], bool stop_at_exit,
		  bool stdout_to_stderr)
{
	int gate[2], errp[2], err;
	sigset_t chld;

	memset(s, 0, sizeof(*s));
	s->gate_fd = s->err_fd = s->sig_fd = -1;
	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	if (pipe2(errp, O_CLOEXEC)) {
		err = -errno;
		close(gate[0]);
		close(gate[1]);
		return err;
	}
	/* SIGCHLD through a signalfd: the main loop polls it. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	s->sig_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

	s->pid = fork();
	if (s->pid < 0) {
		err = -errno;
		goto fail;
	}
	if (s->pid == 0) {
		char c;
		int e;

		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		close(gate[1]);
		close(errp[0]);
		/* Wait until the parent has attached everything (EOF). */
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		/* Its stdout is never memscope's output: the terminal it
		 * was started on when --output took memscope's, else stderr
		 * when memscope writes JSON to stdout. */
		if (cli_original_stdout() >= 0) {
			if (dup2(cli_original_stdout(), STDOUT_FILENO) < 0)
				_exit(127);
		} else if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			_exit(127);
		}
		execv(path, argv);
		e = errno;
		if (e == ENOEXEC) {
			/* A script without "#!": /bin/sh runs it, as shells and
			 * execvp() do. */
			int n = 0;

			while (argv[n])
				n++;
			{
				char *sh[n + 2];

				sh[0] = "/bin/sh";
				sh[1] = (char *)path;
				for (int i = 1; i <= n; i++)
					sh[i + 1] = argv[i];
				execv("/bin/sh", sh);
			}
		}
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(gate[0]);
	close(errp[1]);
	s->gate_fd = gate[1];
	s->err_fd = errp[0];
	/* Seized in any case: its signals are then seen (spawn_forward()),
	 * and it dies with memscope (EXITKILL). With stop_at_exit it also
	 * stops at its exit and at each exec. */
	if (ptrace(PTRACE_SEIZE, s->pid, NULL,
		   (void *)(long)((stop_at_exit ? PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC : 0) |
				  PTRACE_O_EXITKILL)) == 0)
		s->traced = true;
	return 0;
fail:
	close(gate[0]);
	close(gate[1]);
	close(errp[0]);
	close(errp[1]);
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	return err;
}

int spawn_release(struct spawned *s)
{
	int e = 0;
	ssize_t n;

	close(s->gate_fd);
	s->gate_fd = -1;
	/* EOF: exec succeeded (the pipe was close-on-exec). */
	while ((n = read(s->err_fd, &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(s->err_fd);
	s->err_fd = -1;
	return n == sizeof(e) ? -e : 0;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The signal to deliver for sig, which the child is about to get: SIGINT
 * and SIGTERM from outside the child (not its own raise() or kill()) are
 * noted, and while memscope passes one on (spawn_forward()) the child
 * gets it once: a second copy of the same request (the terminal's and
 * ours, or ours and a kill(2) of the whole group) is dropped. */
static int deliver(struct spawned *s, int sig)
{
	siginfo_t si;

	if (sig != SIGINT && sig != SIGTERM)
		return sig;
	if (!ptrace(PTRACE_GETSIGINFO, s->pid, NULL, &si) && si.si_code != SI_KERNEL &&
	    si.si_pid == s->pid)
		return sig;
	s->last_sig = sig;
	s->last_sig_ms = mono_ms();
	if (s->stop_sig != sig)
		return sig;
	if (s->stop_got)
		return 0;
	s->stop_got = true;
	return sig;
}

int spawn_forward(struct spawned *s, int sig, bool from_tty)
{
	if (s->pid <= 0 || s->exited)
		return 0;
	s->stop_sig = sig;
	if (s->traced) {
		/* Its copy may have been delivered just before memscope's
		 * own handler ran. */
		if (s->last_sig == sig && mono_ms() - s->last_sig_ms < 1000)
			s->stop_got = true;
		if (s->stop_got)
			return 0;
	} else if (from_tty && getpgid(s->pid) == getpgrp()) {
		/* The terminal sent it to the whole foreground group. */
		return 0;
	}
	/* Still pending in the child, a second kill() merges with it. */
	return kill(s->pid, sig) ? -errno : 1;
}

int spawn_handle(struct spawned *s, void (*at_exit)(void *ctx), void *ctx)
{
	struct signalfd_siginfo si;
	int status;
	pid_t w;

	if (s->sig_fd >= 0)
		while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si))
			;
	while (!s->exited && (w = waitpid(s->pid, &status, WNOHANG | __WALL)) == s->pid) {
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			s->exited = true;
			s->status = status;
			break;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			/* Exiting, address space still there. */
			if (at_exit)
				at_exit(ctx);
			ptrace(PTRACE_CONT, s->pid, NULL, NULL);
		} else if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
			/* A new program, not run yet (the first is the command). */
			if (s->execs++ && s->at_exec)
				s->at_exec(ctx);
			ptrace(PTRACE_CONT, s->pid, NULL, NULL);
		} else if (status >> 16 == PTRACE_EVENT_STOP) {
			/* A seized tracee reports a group stop (SIGSTOP and
			 * friends) as PTRACE_EVENT_STOP with the stop signal:
			 * stay stopped but keep listening, so SIGCONT and
			 * SIGKILL are still reported. SIGCONT then ends the
			 * listening with another PTRACE_EVENT_STOP, this time
			 * with SIGTRAP: that one must be resumed, or the child
			 * stays in ptrace_stop forever (ptrace(2), "Group-stop"
			 * and PTRACE_LISTEN; strace does the same). */
			if (is_stop_signal(WSTOPSIG(status)))
				ptrace(PTRACE_LISTEN, s->pid, NULL, NULL);
			else
				ptrace(PTRACE_CONT, s->pid, NULL, NULL);
			} else {
			/* A signal for the child: deliver it. */
			ptrace(PTRACE_CONT, s->pid, NULL, (void *)(long)deliver(s, WSTOPSIG(status)));
		}
	}
	return s->exited;
}

void spawn_kill(struct spawned *s)
{
	if (s->pid > 0 && !s->exited) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &s->status, __WALL);
		s->exited = true;
	}
	if (s->gate_fd >= 0)
		close(s->gate_fd);
	if (s->err_fd >= 0)
		close(s->err_fd);
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	s->gate_fd = s->err_fd = s->sig_fd = -1;
}

int spawn_exit_code(const struct spawned *s)
{
	if (WIFEXITED(s->status))
		return WEXITSTATUS(s->status);
	if (WIFSIGNALED(s->status))
		return 128 + WTERMSIG(s->status);
	return -1;
}
