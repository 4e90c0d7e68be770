// SPDX-License-Identifier: GPL-2.0
/* `memscope leak`, user mode: the allocator's probes planned and attached,
 * the unwinder's tables, and the target's execs followed (see user.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "core/fmt.h"
#include "leak.h"
#include "leak.skel.h"
#include "leak/alloc_object.h"
#include "leak/report.h"
#include "leak/uprobe_place.h"
#include "leak/user.h"
#include "run/unwind.h"
#include "run/uprobe_multi.h"
#include "syms/usyms.h"

/* ---- user mode: planning and attaching ------------------------------------ */

/* The C++ and allocator-specific entry points of the objects program (a
 * command, as_command, not started yet; else what process pid maps), each
 * in the object the dynamic linker binds it to. */
static void plan_extensions(struct leak_run *lr, const char *program, pid_t pid, bool as_command,
			    struct uprobe_plan *plan, const char *name)
{
	const unsigned ext = AG_JEMALLOC | AG_TCMALLOC | AG_CXX;
	const char *prefix = lr->o->prefix;
	struct alloc_objs objs;
	int err, n;

	err = as_command ? alloc_objects_for_command(program, &objs) :
			   alloc_objects_for_pid(pid, &objs);
	if (err) {
		log_warn("cannot list the libraries of %s (%s): operator new/delete and "
			 "allocator-specific functions are traced only in %s", name,
			 strerror(-err), lr->obj);
		objs.n = 0;
		objs.v = NULL;
	}
	for (int i = 0; i < objs.n; i++) {
		n = uprobe_plan_add(plan, objs.v[i].path, prefix, ext, !objs.v[i].symtab);
		if (n > 0)
			log_info("entry points: %s (%d functions)", objs.v[i].path, n);
		else if (n < 0)
			log_debug("%s: %s", objs.v[i].path, strerror(-n));
	}
	alloc_objs_free(&objs);
	/* -O names an object the search order may not reach. */
	n = uprobe_plan_add(plan, lr->obj, prefix, ext, false);
	if (n > 0)
		log_info("entry points: %s (%d functions)", lr->obj, n);
}

/* The object that serves the target's malloc, and where to probe it; then
 * the C++ and allocator-specific entry points. For -c whose program has
 * no malloc (a stripped static shell that will exec the real program),
 * -ENOENT without a message: the caller goes on. */
static int plan_user(struct leak_run *lr, struct uprobe_plan *plan)
{
	struct leak_opts *o = lr->o;
	struct target *t = &lr->run.target;
	struct probe_site *sites = plan->sites;
	char name[128];
	int err, n;

	text_safe(t->name, name, sizeof(name));
	if (o->obj) {
		snprintf(lr->obj, sizeof(lr->obj), "%s", o->obj);
		err = access(o->obj, R_OK) ? -errno : 0;
		if (!err && o->pid && alloc_object_mapped(o->pid, o->obj) == 0) {
			log_error("PID %d (%s) has not mapped %s: -O names the object whose "
				  "allocator to trace (see /proc/%d/maps)", o->pid, name, o->obj,
				  o->pid);
			return EXIT_FAIL;
		}
	} else if (o->command) {
		err = alloc_object_for_command(t->program, o->prefix, lr->obj, sizeof(lr->obj));
	} else {
		err = alloc_object_for_pid(o->pid, o->prefix, lr->obj, sizeof(lr->obj), NULL, 0);
	}
	if (err == -ENOENT && !o->obj && o->command)
		return -ENOENT;
	if (err == -ENOENT && !o->obj) {
		log_error("found no malloc/free in %s or the libraries it loads (a stripped static "
			  "binary?); name the allocator's object with -O", name);
		return EXIT_FAIL;
	}
	if (err) {
		log_error("cannot find the allocator of %s: %s; name it with -O", name,
			  strerror(-err));
		return EXIT_FAIL;
	}
	n = uprobe_plan_add(plan, lr->obj, o->prefix, AG_C, false);
	if (n < 0 || !sites[AF_MALLOC].found || !sites[AF_FREE].found) {
		uprobe_place_release();
		log_error("%s has no %smalloc/%sfree to trace%s%s", lr->obj,
			  o->prefix ? o->prefix : "", o->prefix ? o->prefix : "", n < 0 ? ": " : "",
			  n < 0 ? strerror(-n) : "");
		if (!o->prefix)
			log_error("for an allocator with prefixed symbols use -S (e.g. -S je_)");
		return EXIT_FAIL;
	}
	if (stat(lr->obj, &lr->obj_st))
		memset(&lr->obj_st, 0, sizeof(lr->obj_st));
	log_info("allocator: %s (%d functions)", lr->obj, n);
	plan_extensions(lr, t->program, t->pid, o->command != NULL, plan, name);
	uprobe_place_release();
	return 0;
}

/* Were malloc and free both attached? */
static bool essentials_attached(const struct leak_run *lr)
{
	for (int k = 0; k < lr->ua.nfails; k++)
		if (!strcmp(lr->ua.fails[k].function, "malloc") ||
		    !strcmp(lr->ua.fails[k].function, "free"))
			return false;
	return true;
}

/* The plan's probes: uprobe_multi links where the kernel has them (6.6+;
 * MEMSCOPE_ATTACH=uprobe asks for single ones), else one uprobe each. The
 * number of functions attached, or -1 after a message. When the links fail the
 * first time, the object is loaded again for single uprobes (allowed only
 * before anything else is attached: reload). */
static int attach_plan(struct leak_run *lr, struct uprobe_plan *plan, bool reload)
{
	const char *floor = getenv("MEMSCOPE_BENCH_FLOOR");
	int err;

	/* make bench's floor at +0: every function probed at its entry. */
	for (int i = 0; floor && !strcmp(floor, "entry") && i < AF_ALL_NR; i++)
		if (plan->sites[i].offset > 0) {
			plan->sites[i].offset = 0;
			plan->sites[i].ret_ok = true;
			plan->sites[i].why = "MEMSCOPE_BENCH_FLOOR=entry: the entry";
		}

	lr->ua.nfails = 0;
	if (lr->cfg.multi) {
		lr->ua.skel = lr->skel;
		err = uattach_multi(&lr->ua, plan);
		if (err > 0) {
			lr->run.mode = "uprobe_multi";
			return err;
		}
		log_debug("uprobe_multi links: %s; single uprobes instead", strerror(-err));
		uattach_detach_multi(&lr->ua);
		lr->ua.nfails = 0;
		if (!reload)
			return -1;
		/* Attach again, one uprobe each, with precise errors. */
		leak_bpf__destroy(lr->skel);
		lr->skel = NULL;
		lr->cfg.multi = false;
		if (load(lr, &user_job))
			return -1;
	}
	lr->ua.skel = lr->skel;
	err = uattach_single(&lr->ua, plan);
	if (err <= 0) {
		if (!err)
			log_error("no allocator function of %s could be traced", lr->obj);
		return -1;
	}
	return err;
}

/* The unwinder, before load: the tables of what the target maps (a -p
 * process), or of its program and the libraries it needs (a command not
 * started yet), which size the row table. */
static int unwinder_prepare(struct leak_run *lr)
{
	struct target *t = &lr->run.target;
	const char *files[UNWIND_PREBUILD_MAX];
	char *owned[UNWIND_PREBUILD_MAX];
	int n = 0;

	if (lr->o->command)
		n = unwind_needed_files(t->program, lr->obj, owned, UNWIND_PREBUILD_MAX);
	for (int i = 0; i < n; i++)
		files[i] = owned[i];
	lr->unw = unwinder_new(lr->o->command ? 0 : t->pid, files, n, !lr->o->unwind_fp);
	for (int i = 0; i < n; i++)
		free(owned[i]);
	if (!lr->unw) {
		log_error("out of memory");
		return EXIT_FAIL;
	}
	lr->cfg.unw_rows = unwinder_rows_wanted(lr->unw);
	lr->cfg.maps_stop = lr->o->command != NULL;
	return 0;
}

/* Where the unwind tables must be refreshed: ld.so's _dl_debug_state
 * (after it maps or unmaps objects), and the program's entry (a static
 * program has no ld.so). */
static void attach_maps_changed(struct leak_run *lr, const char *exe)
{
	struct unwind_sync_point pts[2];
	int n = unwind_sync_points(exe, pts, 2);

	for (int i = 0; i < n; i++) {
		int err = uattach_extra(&lr->ua, lr->skel->progs.maps_changed, pts[i].path,
					pts[i].offset);

		if (err)
			log_warn("cannot follow the mappings of %s at %s+0x%" PRIx64 ": %s; stacks "
				 "through libraries it loads later may stop short", exe, pts[i].path,
				 pts[i].offset, strerror(-err));
	}
}

/* ---- user mode: execs ---------------------------------------------------------- */

static uint32_t image_now(const struct leak_run *lr)
{
	return (uint32_t)lr->skel->bss->image_gen;
}

/* Detach the uprobes of the image before (they are dead with it, or, on
 * an object the new image maps too, would count its calls twice): single
 * uprobes from probes_from on, and the uprobe_multi links. */
static void drop_probes(struct leak_run *lr)
{
	struct link_set *ls = &lr->run.links;

	for (size_t i = lr->probes_from; i < ls->n; i++)
		bpf_link__destroy(ls->v[i]);
	ls->n = lr->probes_from;
	uattach_detach_multi(&lr->ua);
	lr->ua.nfails = 0;
	memset(&lr->obj_st, 0, sizeof(lr->obj_st));
}

/* The target's name as the kernel has it now (its comm). */
static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "?");
	else
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

/* The target execed into a new image: put the probes on its allocator.
 * At a -c command's exec stop its program has not run yet, so its plan is
 * a command's (the loader's list of its libraries); for -p it runs
 * already, and what it has mapped says, where its loader is done. */
static void probe_new_image(struct leak_run *lr)
{
	struct target *t = &lr->run.target;
	struct leak_opts *o = lr->o;
	struct uprobe_plan plan;
	char exe[PATH_MAX], obj[PATH_MAX], name[128];
	uint32_t image = image_now(lr);
	struct stat st;
	ssize_t len;
	int err, n;

	if (image == lr->image_probed)
		return;
	lr->image_probed = image;
	/* -O: the object is the user's choice, and its probes follow the
	 * process (uprobes are per file and pid), whatever runs. */
	if (o->obj)
		return;
	read_comm(t->pid, name, sizeof(name));
	snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
	len = readlink(exe, obj, sizeof(obj) - 1);
	if (len > 0 && t->spawned) {
		obj[len] = 0;
		snprintf(exe, sizeof(exe), "%s", obj);
	}
	if (t->spawned)
		err = alloc_object_for_command(exe, o->prefix, obj, sizeof(obj));
	else if ((err = alloc_object_for_pid(t->pid, o->prefix, obj, sizeof(obj), NULL, 0)) == -ENOENT)
		err = alloc_object_for_command(exe, o->prefix, obj, sizeof(obj));
	if (err) {
		drop_probes(lr);
		log_warn("pid %d execed %s: %s; its allocations are not traced", t->pid, name,
			 err == -ENOENT ? "found no malloc/free in it or its libraries" :
			 strerror(-err));
		return;
	}
	if (lr->obj_st.st_ino && !stat(obj, &st) && st.st_dev == lr->obj_st.st_dev &&
	    st.st_ino == lr->obj_st.st_ino) {
		/* The same allocator (dynamic to dynamic): its probes, bound to
		 * the file and the pid, serve the new image as they are. */
		log_info("pid %d execed %s: same allocator %s", t->pid, name, lr->obj);
		return;
	}
	drop_probes(lr);
	uprobe_plan_init(&plan);
	n = uprobe_plan_add(&plan, obj, o->prefix, AG_C, false);
	if (n < 0 || !plan.sites[AF_MALLOC].found || !plan.sites[AF_FREE].found) {
		uprobe_place_release();
		uprobe_plan_free(&plan);
		log_warn("pid %d execed %s: %s has no malloc/free to trace; its allocations are "
			 "not traced", t->pid, name, obj);
		return;
	}
	snprintf(lr->obj, sizeof(lr->obj), "%s", obj);
	if (stat(lr->obj, &lr->obj_st))
		memset(&lr->obj_st, 0, sizeof(lr->obj_st));
	plan_extensions(lr, exe, t->pid, t->spawned, &plan, name);
	uprobe_place_release();
	n = attach_plan(lr, &plan, false);
	uprobe_plan_free(&plan);
	if (n > 0 && essentials_attached(lr))
		lr->traced_any = true;
	else
		log_warn("pid %d execed %s: malloc and free of %s could not both be traced",
			 t->pid, name, lr->obj);
	/* The new program's entry and its ld.so: its tables follow. */
	attach_maps_changed(lr, exe);
	log_info("pid %d execed %s: tracing %s", t->pid, name, lr->obj);
}

/* The image numbered no, seen at its exec stop, or NULL. */
static struct image *next_image(struct leak_run *lr, uint32_t no)
{
	for (int i = 0; i < lr->nnext; i++)
		if (lr->next[i].no == no)
			return &lr->next[i];
	return NULL;
}

/* A -c command's exec stop: the new program is loaded, nothing of it has
 * run. Probes go on its allocator now, and its symbols are read while its
 * mappings are those of this image. */
static void exec_stop(void *ctx)
{
	struct leak_run *lr = ctx;
	uint32_t image = image_now(lr);
	struct image *im;

	probe_new_image(lr);
	if (lr->unw)
		unwinder_refresh(lr->unw);
	if (next_image(lr, image) || lr->nnext == (int)(sizeof(lr->next) / sizeof(lr->next[0])))
		return;
	im = &lr->next[lr->nnext++];
	im->no = image;
	im->us = usyms_new(lr->run.target.pid);
	read_comm(lr->run.target.pid, im->name, sizeof(im->name));
}

/* EV_EXEC, in order with the mmap changes: the image before `image` is
 * dead. Its blocks are reported once and dropped; the reports go on with
 * the new one. */
void exec_seen(struct leak_run *lr, uint32_t image)
{
	struct target *t = &lr->run.target;
	struct image *im, cur = { .no = lr->image, .us = lr->us };
	int err;

	if (image <= lr->image_base || image <= lr->image)
		return;
	/* -p: nothing stopped the process; probe what runs now. */
	probe_new_image(lr);
	if (lr->unw)
		unwinder_refresh(lr->unw);
	snprintf(cur.name, sizeof(cur.name), "%s", t->name);
	err = leak_report_image(lr->rep, image - 1, cur.name, cur.us);
	if (err)
		run_output_error(&lr->run, err);
	regions_free(&lr->regions);
	regions_init(&lr->regions);

	im = next_image(lr, image);
	if (im) {
		lr->us = im->us;
		snprintf(t->name, sizeof(t->name), "%s", im->name);
		*im = lr->next[--lr->nnext];
	} else {
		lr->us = usyms_new(t->pid);
		read_comm(t->pid, t->name, sizeof(t->name));
	}
	usyms_free(cur.us);
	lr->image = image;
	leak_report_set_image(lr->rep, image, lr->us);
}

int start_user(struct leak_run *lr)
{
	struct target *t = &lr->run.target;
	struct uprobe_plan plan;
	struct bpf_link *l;
	char name[128];
	int err;

	uprobe_plan_init(&plan);
	err = plan_user(lr, &plan);
	if (err == -ENOENT) {
		/* -c only: nothing of this program can be traced, what it
		 * execs may be (sh -c 'exec prog' with a static shell). */
		log_warn("found no malloc/free in %s or the libraries it loads (a stripped static "
			 "binary?): its own allocations are not traced, those of programs it "
			 "execs are", text_safe(t->name, name, sizeof(name)));
		lr->obj[0] = 0;
		err = 0;
	}
	if (!err)
		err = unwinder_prepare(lr);
	/* Held before exec until every probe is attached. */
	/* JSON Lines on stdout: the command's stdout goes to stderr. */
	t->stdout_apart = lr->o->common.json;
	if (!err && lr->o->command)
		err = target_spawn(t, true);
	/* uprobe_multi links where the kernel has them (6.6+; MEMSCOPE_ATTACH
	 * =uprobe asks for single ones). Whether it does is learnt from the
	 * first links, with the object loaded again for single uprobes if not:
	 * a command with nothing to probe until it execs has no first links,
	 * and takes single uprobes, which every kernel has. */
	lr->cfg.multi = attach_override() != PROBE_UPROBE && lr->obj[0];
	lr->ua.pid = t->pid;
	lr->ua.links = &lr->run.links;
	if (!err)
		err = load(lr, &user_job);
	/* The probes first: attach_plan may load the object again. */
	lr->probes_from = 0;
	if (!err && lr->obj[0]) {
		if (attach_plan(lr, &plan, true) < 0) {
			err = EXIT_FAIL;
		} else if (!essentials_attached(lr)) {
			log_error("tracing malloc and free is essential; giving up");
			err = EXIT_FAIL;
		}
		lr->traced_any = !err;
	}
	uprobe_plan_free(&plan);
	if (err)
		return err;
	/* The exec tracepoint's link is kept apart: drop_probes() clears
	 * run.links from probes_from on when the target execs. */
	if (bpf_program__fd(lr->skel->progs.tp_sched_process_exec) >= 0) {
		l = bpf_program__attach(lr->skel->progs.tp_sched_process_exec);
		lr->exec_link = l;
		if (!l)
			log_warn("execs of the target cannot be followed: %s", strerror(errno));
	} else {
		log_warn("execs of the target cannot be followed: no sched:sched_process_exec "
			 "tracepoint here");
	}
	err = unwinder_bind(lr->unw, lr->skel->obj, t->pid, &lr->skel->bss->unw_cur,
			    lr->skel->bss->unw_nmaps);
	if (err) {
		log_error("cannot set up the stack unwinder: %s", strerror(-err));
		return EXIT_FAIL;
	}
	/* A running process: its tables now. A command: once ld.so has
	 * mapped its libraries (it waits for them). */
	if (!lr->o->command)
		unwinder_refresh(lr->unw);
	{
		char exe[64];

		snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
		attach_maps_changed(lr, lr->o->command ? t->program : exe);
	}
	if (t->spawned) {
		t->child.at_exec = exec_stop;
		if ((err = target_release(t)))
			return err;
	}
	/* Tracing begins with the command's image: one exec started it (its
	 * tracepoint may not have run yet: the exec has not returned). */
	lr->image_base = t->spawned ? 1 : image_now(lr);
	lr->image_probed = lr->image = lr->image_base;
	lr->us = usyms_new(t->pid);
	if (!lr->us)
		log_warn("symbols for PID %d unavailable: %s", t->pid, strerror(errno));
	return 0;
}

