// SPDX-License-Identifier: GPL-2.0
/* The symbolizer's descriptor budget (see usyms.c's comment, and
 * usyms_int.h for what each function does): each module's file stays
 * open, and past fd_max the least useful are closed and later reopened
 * through the target's map_files. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/procfs.h"
#include "syms/modfile.h"
#include "syms/usyms_int.h"

bool usyms_target_alive(const struct usyms *u)
{
	struct proc_pid_stat st;

	return !proc_pid_stat_read(u->pid, &st) && st.start_time == u->start_time &&
	       st.state != 'Z' && st.state != 'X';
}

void usyms_fd_make_room(struct usyms *u, const struct umod *keep, bool may_drop)
{
	while (u->nfds + 1 > u->fd_max) {
		struct umod *victim = NULL;

		for (size_t i = 0; i < u->nmods; i++) {
			struct umod *um = u->mods[i];

			if (um == keep || um->fd < 0 || um->special || um->mod)
				continue;
			if (!victim || um->resolved < victim->resolved ||
			    (um->resolved == victim->resolved && um->last_use < victim->last_use))
				victim = um;
		}
		if (victim) {
			close(victim->fd);
			victim->fd = -1;
			victim->evicted = true;
			u->nfds--;
		} else if (may_drop && u->dwfl) {
			usyms_dwfl_drop(u);
		} else {
			return;	/* over budget rather than fail */
		}
	}
}

bool usyms_umod_reopen(struct usyms *u, struct umod *um, const struct umap *m)
{
	struct stat st;
	int fd;

	um->evicted = false;
	if (!usyms_target_alive(u))
		return false;
	usyms_fd_make_room(u, um, true);
	fd = modfile_open_mapped(u->pid, u->root_fd, m->start, m->end, um->path, um->inode);
	if (fd >= 0 && (fstat(fd, &st) || st.st_dev != um->st_dev || st.st_ino != um->st_ino)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return false;
	um->fd = fd;
	u->nfds++;
	return true;
}

void usyms_raise_nofile(void)
{
	static bool done;
	struct rlimit rl;

	if (done)
		return;
	done = true;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			log_debug("usyms: cannot raise RLIMIT_NOFILE: %s", strerror(errno));
	}
}
