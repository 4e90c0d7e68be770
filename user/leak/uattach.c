// SPDX-License-Identifier: GPL-2.0
/* Attaching leak's uprobe programs to the entry points a plan found (see
 * uattach.h): single uprobes, or uprobe_multi links. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "caps/sysfacts.h"
#include "leak.h"
#include "leak.skel.h"
#include "leak/uattach.h"
#include "run/uprobe_multi.h"

static struct bpf_program *entry_prog(struct leak_bpf *s, enum alloc_class cls)
{
	switch (cls) {
	case CLS_MALLOC: return s->progs.malloc_enter;
	case CLS_CALLOC: return s->progs.calloc_enter;
	case CLS_REALLOC: return s->progs.realloc_enter;
	case CLS_REALLOCARRAY: return s->progs.reallocarray_enter;
	case CLS_POSIX_MEMALIGN: return s->progs.posix_memalign_enter;
	case CLS_ALIGNED_ALLOC: return s->progs.aligned_alloc_enter;
	case CLS_MEMALIGN: return s->progs.memalign_enter;
	case CLS_VALLOC: return s->progs.valloc_enter;
	case CLS_PVALLOC: return s->progs.pvalloc_enter;
	case CLS_FREE: return s->progs.free_enter;
	case CLS_MMAP: return s->progs.mmap_enter;
	case CLS_MUNMAP: return s->progs.munmap_enter;
	case CLS_MREMAP: return s->progs.mremap_enter;
	case CLS_NEW: return s->progs.new_enter;
	case CLS_NEW_ARRAY: return s->progs.new_array_enter;
	case CLS_DELETE: return s->progs.delete_enter;
	case CLS_MALLOCX: return s->progs.mallocx_enter;
	case CLS_RALLOCX: return s->progs.rallocx_enter;
	case CLS_XALLOCX: return s->progs.xallocx_enter;
	default: return NULL;
	}
}

static const char *uprobe_hint(int err)
{
	struct sys_privileges p;

	switch (-err) {
	case EINVAL:
		return "another tracer may hold a uprobe at this address with a different "
		       "ref_ctr_offset (see dmesg: \"ref_ctr_offset mismatch\")";
	case 524: /* ENOTSUPP */
		return "the kernel cannot probe the instruction there";
	case ENOENT:
		return "the object file is gone";
	case EPERM:
	case EACCES:
		/* Kernels with the 2025 fix that reverted CAP_PERFMON's access
		 * to probes (c9e0924e5c2b) create uprobe perf events for
		 * CAP_SYS_ADMIN only. */
		sys_privileges_read(&p);
		if (!p.cap_sys_admin)
			return "uprobe perf events need CAP_SYS_ADMIN on this kernel";
		return "refused: lockdown or a security policy";
	default:
		return NULL;
	}
}

static int attach_one(struct uattach *a, struct bpf_program *prog, const char *path,
		      uint64_t off, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret);
	struct bpf_link *l;

	l = bpf_program__attach_uprobe_opts(prog, a->pid, path, off, &uo);
	return l ? link_set_add(a->links, l) : -errno;
}

static void attach_failed(struct uattach *a, int fn, int err, const char *hint)
{
	struct attach_failure *f = &a->fails[a->nfails++];

	f->function = alloc_fn_name(fn);
	f->err = err;
	f->hint = hint;
	log_warn("cannot trace %s: %s%s%s", f->function, strerror(-err), hint ? ": " : "",
		 hint ? hint : "");
}

/* -v: one line per entry point found, probed or not, and why. */
static void log_site(const struct uprobe_plan *plan, int fn, const char *what)
{
	const struct probe_site *ps = &plan->sites[fn];
	const char *cxx = alloc_fn_cxx(fn);

	if (ps->alias_of >= 0) {
		log_info("%-15s %s+0x%" PRIx64 "%s%s%s: the same function as %s", alloc_fn_name(fn),
			 plan->obj[ps->obj], ps->entry, cxx ? " (" : "", cxx ? cxx : "",
			 cxx ? ")" : "", alloc_fn_name(ps->alias_of));
		return;
	}
	log_info("%-15s %s+0x%" PRIx64 " +%d%s%s%s: %s (%s%s): %s", alloc_fn_name(fn),
		 plan->obj[ps->obj], ps->entry, ps->offset, cxx ? " (" : "", cxx ? cxx : "",
		 cxx ? ")" : "", what, ps->emulated ? "emulated: " : "single-stepped: ", ps->insn,
		 ps->why);
}

int uattach_single(struct uattach *a, const struct uprobe_plan *plan)
{
	int attached = 0;

	log_quiet_push();
	for (int fn = 0; fn < AF_ALL_NR; fn++) {
		const struct probe_site *ps = &plan->sites[fn];
		enum alloc_class cls = alloc_fn_class(fn);
		uint64_t off = ps->entry + ps->offset;
		const char *path;
		int err = 0;

		if (!ps->found)
			continue;
		path = plan->obj[ps->obj];
		if (ps->alias_of >= 0) {
			log_site(plan, fn, "");
			continue;
		}
		if (ps->offset < 0) {
			attach_failed(a, fn, -EINVAL, ps->why);
			continue;
		}
		/* The return probe first: an entry seen without its return
		 * would only be replaced later, but why leave one. Frees
		 * have none; operator delete has one: it ends the pending
		 * state that keeps the free inside it from counting. */
		if (cls != CLS_FREE)
			err = attach_one(a, a->skel->progs.alloc_return, path,
					 ps->ret_ok ? off : ps->entry, true);
		if (!err)
			err = attach_one(a, entry_prog(a->skel, cls), path,
					 ps->ret_ok || cls == CLS_FREE ? off : ps->entry, false);
		if (err == -EACCES || err == -EPERM) {
			/* Refused for every function alike: say it once. */
			log_quiet_pop();
			log_error("cannot create uprobes: %s (%s)", strerror(-err), uprobe_hint(err));
			return err;
		}
		if (err) {
			attach_failed(a, fn, err, uprobe_hint(err));
			continue;
		}
		attached++;
		log_site(plan, fn, "probed");
	}
	log_quiet_pop();
	return attached;
}

/* What entry_multi (bpf/leak.bpf.c) does at an offset: its cookie. */
static const unsigned long long class_kind[CLS_NR] = {
	[CLS_MALLOC] = LK_MALLOC,
	[CLS_CALLOC] = LK_CALLOC,
	[CLS_REALLOC] = LK_REALLOC,
	[CLS_REALLOCARRAY] = LK_REALLOCARRAY,
	[CLS_POSIX_MEMALIGN] = LK_POSIX_MEMALIGN,
	[CLS_MEMALIGN] = LK_MEMALIGN,
	[CLS_ALIGNED_ALLOC] = LK_ALIGNED_ALLOC,
	[CLS_VALLOC] = LK_VALLOC,
	[CLS_PVALLOC] = LK_PVALLOC,
	[CLS_FREE] = LK_FREE,
	[CLS_MMAP] = LK_MMAP,
	[CLS_MUNMAP] = LK_MUNMAP,
	[CLS_MREMAP] = LK_MREMAP,
	[CLS_NEW] = LK_NEW,
	[CLS_NEW_ARRAY] = LK_NEW_ARRAY,
	[CLS_DELETE] = LK_DELETE,
	[CLS_MALLOCX] = LK_MALLOCX,
	[CLS_RALLOCX] = LK_RALLOCX,
	[CLS_XALLOCX] = LK_XALLOCX,
};

/* The same through uprobe_multi links: per object one link for the
 * return probes and one for every entry (entry_multi, the function's kind
 * as each offset's cookie), created and closed at once. Single uprobes are
 * unregistered one by one (~0.1 s each on 6.18), and so are links. -EINVAL
 * from the first link: the kernel has none (6.1). */
int uattach_multi(struct uattach *a, const struct uprobe_plan *plan)
{
	unsigned long long cookies[AF_ALL_NR];
	unsigned long offs[AF_ALL_NR];
	int attached = 0;

	a->mfds = calloc((size_t)plan->nobj * 2, sizeof(*a->mfds));
	if (!a->mfds)
		return -ENOMEM;
	for (int obj = 0; obj < plan->nobj; obj++) {
		for (int ret = 1; ret >= 0; ret--) {
			struct bpf_program *prog = ret ? a->skel->progs.alloc_return :
							 a->skel->progs.entry_multi;
			size_t n = 0;
			int fd;

			for (int fn = 0; fn < AF_ALL_NR; fn++) {
				const struct probe_site *ps = &plan->sites[fn];
				enum alloc_class c = alloc_fn_class(fn);

				if (!ps->found || ps->obj != obj || ps->alias_of >= 0 || ps->offset < 0)
					continue;
				if (ret && c == CLS_FREE)
					continue;
				cookies[n] = class_kind[c];
				offs[n++] = ps->entry + (ps->ret_ok || c == CLS_FREE ? ps->offset : 0);
			}
			if (!n)
				continue;
			fd = uprobe_multi_link(bpf_program__fd(prog), plan->obj[obj], offs,
					       ret ? NULL : cookies, n, ret, a->pid);
			if (fd < 0)
				return fd;
			a->mfds[a->nmfds++] = fd;
			a->nprobes += n;
		}
	}
	for (int fn = 0; fn < AF_ALL_NR; fn++) {
		const struct probe_site *ps = &plan->sites[fn];

		if (!ps->found)
			continue;
		if (ps->alias_of >= 0) {
			log_site(plan, fn, "");
		} else if (ps->offset < 0) {
			attach_failed(a, fn, -EINVAL, ps->why);
		} else {
			attached++;
			log_site(plan, fn, "probed");
		}
	}
	return attached;
}

void uattach_detach_multi(struct uattach *a)
{
	detach_all(NULL, 0, a->mfds, a->mfds ? (size_t)a->nmfds : 0);
	free(a->mfds);
	a->mfds = NULL;
	a->nmfds = 0;
	a->nprobes = 0;
}

int uattach_extra(struct uattach *a, struct bpf_program *prog, const char *path, uint64_t off)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct bpf_link *l;

	if (a->mfds) {
		unsigned long o = off;
		int *n = realloc(a->mfds, (a->nmfds + 1) * sizeof(*n)), fd;

		if (!n)
			return -ENOMEM;
		a->mfds = n;
		fd = uprobe_multi_link(bpf_program__fd(prog), path, &o, NULL, 1, false, a->pid);
		if (fd < 0)
			return fd;
		a->mfds[a->nmfds++] = fd;
		a->nprobes++;
		return 0;
	}
	l = bpf_program__attach_uprobe_opts(prog, a->pid, path, off, &uo);
	return l ? link_set_add(a->links, l) : -errno;
}
