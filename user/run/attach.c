// SPDX-License-Identifier: GPL-2.0
/* Mode selection, loading, attachments and program statistics (see
 * attach.h). */
#include <errno.h>
#include <pthread.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "caps/kfuncs.h"
#include "caps/sysfacts.h"
#include "core/json.h"
#include "core/log.h"
#include "core/procfs.h"
#include "core/json.h"
#include "run/attach.h"

/* ---- job_load ----------------------------------------------------------------- */

struct facts {
	const char *btf_path;
	struct btf *btf;
	bool btf_tried;
	char tracefs[256];
	bool tracefs_tried;
};

static const struct btf *facts_btf(struct facts *f)
{
	if (!f->btf_tried) {
		f->btf_tried = true;
		f->btf = f->btf_path ? btf__parse(f->btf_path, NULL) : btf__load_vmlinux_btf();
		if (!f->btf)
			log_debug("no BTF to check tracepoints against: %s", strerror(errno));
	}
	return f->btf;
}

static const char *facts_tracefs(struct facts *f)
{
	if (!f->tracefs_tried) {
		f->tracefs_tried = true;
		tracefs_find(f->tracefs, sizeof(f->tracefs), true, NULL);
	}
	return f->tracefs;
}

/* Is p one of mode m's own programs (by section prefix)? */
static bool of_mode(const struct tool_mode *m, const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	for (const char *const *s = m->sections; s && *s; s++)
		if (!strncmp(sec, *s, strlen(*s)))
			return true;
	return false;
}

/* The entry of m->optional naming p's section, or NULL. */
static const char *const *optional(const struct tool_mode *m, const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	for (const char *const *s = m->optional; s && *s; s++)
		if (!strcmp(sec, *s))
			return s;
	return NULL;
}

/* Does p attach to a tracepoint (its refusals are contract mismatches)? */
static bool tracepoint_sec(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	return !strncmp(sec, "tp_btf/", 7) || !strncmp(sec, "raw_tp/", 7) ||
	       !strncmp(sec, "tracepoint/", 11);
}

/* A program user space runs itself (the clock of lib/common.bpf.h): it
 * serves every mode and attaches nowhere. */
static bool runs_itself(const struct bpf_program *p)
{
	return !strcmp(bpf_program__section_name(p), "syscall");
}

/* Is p loaded in mode m? */
static bool in_mode(const struct tool_mode *m, const struct bpf_program *p)
{
	return of_mode(m, p) || runs_itself(p);
}

/* Can program p of mode m rely on what it attaches to and reads? Its
 * section says what it is, whatever the mode's own attach type (a mode
 * may mix them: fentry on a function, tp_btf on tracepoints):
 * "tp_btf/kmalloc", "raw_tp/kmalloc" (the contract in m is checked
 * against BTF; a program without one is refused: it would read arguments
 * nobody checked), "tracepoint/kmem/kmalloc" (the event must exist),
 * "fentry/vfs_read", "fexit/...", "kprobe/vfs_read", "kretprobe/..." (the
 * function must be traceable that way). */
static int check_prog(const struct tool_mode *m, const struct bpf_program *p, struct facts *f,
		      char *why, size_t len)
{
	static const struct {
		const char *prefix;
		enum probe_kind kind;
	} kinds[] = {
		{ "tp_btf/", PROBE_TP_BTF }, { "raw_tp/", PROBE_RAW_TP },
		{ "tracepoint/", PROBE_TRACEPOINT }, { "fentry/", PROBE_FENTRY },
		{ "fexit/", PROBE_FEXIT }, { "kprobe/", PROBE_KPROBE },
		{ "kretprobe/", PROBE_KRETPROBE },
	};
	const char *sec = bpf_program__section_name(p), *name = NULL, *slash;
	enum probe_kind kind = PROBE_NR_KINDS;
	char cat[64];
	int err;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !name; i++)
		if (!strncmp(sec, kinds[i].prefix, strlen(kinds[i].prefix))) {
			kind = kinds[i].kind;
			name = sec + strlen(kinds[i].prefix);
		}
	switch (kind) {
	case PROBE_TP_BTF:
	case PROBE_RAW_TP:
		for (const struct tp_contract *c = m->tracepoints; c && c->name; c++)
			if (!strcmp(c->name, name))
				return tp_contract_check(c, kind, facts_btf(f), NULL, why, len);
		snprintf(why, len, "program %s reads tracepoint %s with no contract",
			 bpf_program__name(p), name);
		return -EPROTO;
	case PROBE_TRACEPOINT:
		slash = strchr(name, '/');
		if (!slash)
			return 0;
		snprintf(cat, sizeof(cat), "%.*s", (int)(slash - name), name);
		if (tp_in_tracefs(facts_tracefs(f), cat, slash + 1))
			return 0;
		snprintf(why, len, "%s:%s is not in tracefs%s", cat, slash + 1,
			 facts_tracefs(f)[0] ? "" : " (not mounted)");
		return -ENOENT;
	case PROBE_FENTRY:
	case PROBE_FEXIT:
		err = fentry_can_attach(facts_btf(f), name);
		break;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		err = kprobe_available(name);
		break;
	default:
		return 0;
	}
	if (err)
		snprintf(why, len, "%s cannot be traced by %s: %s", name, probe_kind_name(kind),
			 strerror(-err));
	return err;
}

/* The BTF to relocate against: the user's, or where libbpf 1.1 would fail
 * without CAP_SYS_ADMIN, the kernel's own named explicitly. (libbpf also
 * looks for CO-RE candidates in kernel modules' BTF, and listing those
 * needs CAP_SYS_ADMIN: "failed to iterate BTF objects". Named explicitly,
 * vmlinux alone is searched, which holds every type memscope reads.) */
static const char *relocation_btf(const char *btf_path)
{
	struct sys_privileges p;

	if (btf_path)
		return btf_path;
	sys_privileges_read(&p);
	return p.cap_sys_admin ? NULL : KERNEL_BTF;
}

/* Whether mode m's programs (those this run wants) can run here, as far
 * as can be told without loading them; why not in t. */
static int check_mode(const struct tool_job *job, const struct tool_mode *m, void *skel,
		      const void *cfg, struct facts *f, struct mode_trial *t)
{
	struct bpf_program *p;
	int err;

	bpf_object__for_each_program(p, job->skel->object(skel)) {
		const char *const *opt;

		if (!of_mode(m, p) || (job->wanted && !job->wanted(p, cfg)))
			continue;
		err = check_prog(m, p, f, t->why, sizeof(t->why));
		/* Optional: a tracepoint or function this kernel lacks, or
		 * a function it refuses to trace that way (fentry refused
		 * with EPERM by a vendor gate). */
		opt = err == -ENOENT || (err && !tracepoint_sec(p)) ? optional(m, p) : NULL;
		if (opt && t->nleft_out < MODE_MAX_LEFT_OUT) {
			log_debug("%s: %s left out: %s", job->name, *opt, t->why);
			t->left_out[t->nleft_out++] = *opt;
			t->why[0] = 0;
			continue;
		}
		if (err)
			return err;
	}
	return 0;
}

/* Is p loaded in the mode of trial t (one of its programs, wanted, not
 * left out)? */
static bool loaded_in(const struct tool_job *job, const struct mode_trial *t,
		      const struct bpf_program *p, const void *cfg)
{
	const char *sec = bpf_program__section_name(p);

	if (!in_mode(t->mode, p) || (job->wanted && !job->wanted(p, cfg)))
		return false;
	for (int i = 0; i < t->nleft_out; i++)
		if (!strcmp(t->left_out[i], sec))
			return false;
	return true;
}

int job_load(const struct tool_job *job, const struct job_load_opts *o, struct job_result *res)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = relocation_btf(o->btf_path));
	struct facts f = { .btf_path = o->btf_path };
	int forced = o->only ? -1 : attach_override(), err = -ENOENT;
	void *skel;

	memset(res, 0, sizeof(*res));
	for (int i = 0; forced >= 0 && i <= job->nmodes; i++)
		if (i == job->nmodes)
			forced = -1;	/* not a mode of this job: nothing forced */
		else if ((int)job->modes[i].kind == forced)
			break;
	res->forced = forced >= 0;

	/* Every candidate mode checked first, with one look at the object and
	 * one parse of the kernel's BTF, freed before anything loads: libbpf
	 * parses its own copy then, and both at once would double our peak
	 * memory. */
	skel = job->skel->open(&oo);
	if (!skel) {
		err = -errno;
		log_error("opening the BPF object of %s failed: %s", job->name, strerror(errno));
		return err;
	}
	for (int i = 0; i < job->nmodes && res->ntrials < JOB_MAX_MODES; i++) {
		const struct tool_mode *m = &job->modes[i];
		struct mode_trial *t;

		if ((forced >= 0 && (int)m->kind != forced) || (o->only && m != o->only))
			continue;
		t = &res->trials[res->ntrials++];
		t->mode = m;
		t->err = check_mode(job, m, skel, o->cfg, &f, t);
	}
	job->skel->destroy(skel);
	btf__free(f.btf);
	f.btf = NULL;

	for (int i = 0; i < res->ntrials; i++) {
		struct mode_trial *t = &res->trials[i];
		const struct tool_mode *m = t->mode;
		struct bpf_program *p;

		if ((err = t->err))
			continue;
		skel = job->skel->open(&oo);
		if (!skel) {
			err = -errno;
			log_error("opening the BPF object of %s failed: %s", job->name, strerror(errno));
			break;
		}
		if (job->configure && (err = job->configure(skel, m, o->cfg))) {
			job->skel->destroy(skel);
			snprintf(t->why, sizeof(t->why), "cannot configure it: %s", strerror(-err));
			t->err = err;
			break;
		}
		bpf_object__for_each_program(p, job->skel->object(skel))
			bpf_program__set_autoload(p, loaded_in(job, t, p, o->cfg));
		log_quiet_push();
		err = job->skel->load(skel);
		log_quiet_pop();
		if (!err) {
			res->skel = skel;
			res->mode = m;
			/* Later modes were not tried. */
			res->ntrials = i + 1;
			break;
		}
		t->err = err;
		snprintf(t->why, sizeof(t->why), "the kernel refused to load it: %s (-vv shows the "
			 "verifier's log)", strerror(-err));
		log_info("%s: %s refused (%s)", job->name, m->name, strerror(-err));
		job->skel->destroy(skel);
	}
	if (!res->ntrials)
		return -ENOENT;
	return res->skel ? 0 : err;
}

const char *job_explain(const struct job_result *res, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = 0;
	for (int i = 0; i < res->ntrials && pos < len; i++) {
		const struct mode_trial *t = &res->trials[i];

		if (!t->err)
			continue;
		pos += snprintf(buf + pos, len - pos, "%s%s: %s", pos ? "; " : "", t->mode->name,
				t->why);
	}
	return buf;
}

void job_result_free(const struct tool_job *job, struct job_result *res)
{
	if (res->skel)
		job->skel->destroy(res->skel);
	res->skel = NULL;
}

/* ---- links ----------------------------------------------------------------------- */

int link_set_add(struct link_set *s, struct bpf_link *l)
{
	if (!l)
		return -EINVAL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct bpf_link **v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = l;
	return 0;
}

int link_set_attach_all(struct link_set *s, struct bpf_object *obj, const char **failed)
{
	struct bpf_program *p;
	int err;

	bpf_object__for_each_program(p, obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(p) || bpf_program__fd(p) < 0 || runs_itself(p))
			continue;
		l = bpf_program__attach(p);
		err = l ? link_set_add(s, l) : -errno;
		if (err) {
			if (failed)
				*failed = bpf_program__name(p);
			return err;
		}
	}
	return 0;
}

struct detach_job {
	struct bpf_link *link;
	int fd;
};

static void *detach_one(void *p)
{
	struct detach_job *j = p;

	if (j->link)
		bpf_link__destroy(j->link);
	else
		close(j->fd);
	return NULL;
}

void detach_all(struct bpf_link *const *links, size_t nlinks, const int *fds, size_t nfds)
{
	size_t n = nlinks + nfds, started = 0;
	struct detach_job *jobs = n > 1 ? calloc(n, sizeof(*jobs)) : NULL;
	pthread_t *th = jobs ? calloc(n, sizeof(*th)) : NULL;
	bool *running = th ? calloc(n, sizeof(*running)) : NULL;

	for (size_t i = 0; i < n; i++) {
		struct detach_job one = { i < nlinks ? links[i] : NULL,
					  i < nlinks ? -1 : fds[i - nlinks] };

		if (!one.link && one.fd < 0)
			continue;
		if (running) {
			jobs[i] = one;
			running[i] = !pthread_create(&th[i], NULL, detach_one, &jobs[i]);
			started += running[i];
			if (running[i])
				continue;
		}
		detach_one(&one);
	}
	for (size_t i = 0; started && i < n; i++)
		if (running[i])
			pthread_join(th[i], NULL);
	free(running);
	free(th);
	free(jobs);
}

void link_set_destroy(struct link_set *s)
{
	detach_all(s->v, s->n, NULL, 0);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- statistics ------------------------------------------------------------------- */

bool prog_stat_of(const struct bpf_program *p, struct prog_stat *out)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(p);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	*out = (struct prog_stat){
		.name = bpf_program__name(p),
		.recursion_misses = info.recursion_misses,
		.run_cnt = info.run_cnt,
		.run_time_ns = info.run_time_ns,
	};
	return true;
}

void prog_stats_sum(struct bpf_object *obj, struct prog_stat *sum)
{
	struct bpf_program *p;
	struct prog_stat st;

	memset(sum, 0, sizeof(*sum));
	if (!obj)
		return;
	bpf_object__for_each_program(p, obj)
		if (prog_stat_of(p, &st)) {
			sum->recursion_misses += st.recursion_misses;
			sum->run_cnt += st.run_cnt;
			sum->run_time_ns += st.run_time_ns;
		}
}

void prog_stats_json(struct json *j, struct bpf_object *obj)
{
	struct bpf_program *p;
	struct prog_stat st;

	json_arr_begin(j);
	bpf_object__for_each_program(p, obj)
		if (prog_stat_of(p, &st) && st.run_cnt) {
			json_obj_begin(j);
			json_kstr(j, "name", st.name);
			json_ku64(j, "run_cnt", st.run_cnt);
			json_ku64(j, "run_ns", st.run_time_ns);
			json_obj_end(j);
		}
	json_arr_end(j);
}

uint64_t object_map_bytes(struct bpf_object *obj)
{
	struct bpf_map *m;
	uint64_t sum = 0;

	if (!obj)
		return 0;
	bpf_object__for_each_map(m, obj)
		if (bpf_map__fd(m) >= 0)
			sum += fd_memlock(bpf_map__fd(m));
	return sum;
}
