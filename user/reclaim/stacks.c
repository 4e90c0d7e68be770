// SPDX-License-Identifier: GPL-2.0
/* `memscope reclaim --stacks`: the kernel and user stacks of the
 * allocations that stalled, taken as each stall began, added up per
 * (process, kernel stack, user stack), and printed at the end by time
 * stalled, symbolized as leak symbolizes (syms/frames). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "reclaim.skel.h"
#include "reclaim/common.h"
#include "core/fmt.h"
#include "syms/frames.h"

struct stack_row {
	uint64_t stalls, total_ns, reclaimed;
	uint32_t pid;
	int32_t kstack, ustack;
	char comm[16];
};

void stacks_init(struct reclaim_state *s)
{
	hmap_init(&s->stack_rows, sizeof(struct stack_row));
	hmap_init(&s->stack_syms, sizeof(struct usyms *));
}

/* A process's symbols, made at its first stall (it may be gone by the
 * end). */
static struct usyms *process_syms(struct reclaim_state *s, uint32_t pid)
{
	bool created;
	struct usyms **u = hmap_put(&s->stack_syms, (struct hkey){ pid, 0 }, &created);

	if (!u)
		return NULL;
	if (created)
		*u = usyms_new(pid);
	return *u;
}

void stacks_add(struct reclaim_state *s, const struct reclaim_event *e)
{
	struct hkey k = { (uint64_t)(uint32_t)e->kstack | (uint64_t)(uint32_t)e->ustack << 32,
			  e->pid };
	struct stack_row *r;
	bool created;

	if (!s->o->stacks)
		return;
	r = hmap_put(&s->stack_rows, k, &created);
	if (!r)
		return;
	if (created) {
		r->pid = e->pid;
		r->kstack = e->kstack;
		r->ustack = e->ustack;
		memcpy(r->comm, e->comm, sizeof(r->comm));
		process_syms(s, e->pid);
	}
	r->stalls++;
	r->total_ns += e->latency_ns;
	r->reclaimed += e->nr_reclaimed;
}

/* Stack id's frames into fr (none when it was not kept). */
static void stack_frames(struct reclaim_state *s, int32_t id, bool user, uint32_t pid,
			 struct frames *fr)
{
	frames_of_stack(bpf_map__fd(((struct reclaim_bpf *)s->skel)->maps.stacks), id, user,
			user ? process_syms(s, pid) : NULL, s->ksyms, 0, fr);
}

static int by_time(const void *a, const void *b)
{
	const struct stack_row *x = *(const struct stack_row *const *)a;
	const struct stack_row *y = *(const struct stack_row *const *)b;

	return x->total_ns < y->total_ns ? 1 : x->total_ns > y->total_ns ? -1 : 0;
}

int stacks_report(struct reclaim_state *s)
{
	struct stack_row **v;
	struct frames *fr;
	size_t n = 0, i = 0;
	struct hkey key;
	void *val;

	if (!s->o->stacks)
		return 0;
	v = calloc(s->stack_rows.len ? s->stack_rows.len : 1, sizeof(*v));
	fr = malloc(sizeof(*fr));
	if (!v || !fr) {
		free(v);
		free(fr);
		return -ENOMEM;
	}
	while (hmap_next(&s->stack_rows, &i, &key, &val) && n < s->stack_rows.len)
		v[n++] = val;
	qsort(v, n, sizeof(*v), by_time);
	if (!s->o->common.json)
		printf("\nstacks of the stalls, by time stalled (%zu):\n", n);
	for (size_t k = 0; k < n; k++) {
		const struct stack_row *r = v[k];
		char comm[68];

		text_safe_n(r->comm, sizeof(r->comm), comm, sizeof(comm));
		if (s->o->common.json) {
			struct json *j = &s->j;

			json_obj_begin(j);
			json_kstr(j, "type", "stack");
			json_ku64(j, "pid", r->pid);
			json_key(j, "comm");
			json_strn(j, r->comm, strnlen(r->comm, sizeof(r->comm)));
			json_ku64(j, "stalls", r->stalls);
			json_kdouble(j, "total_ms", r->total_ns / 1e6);
			json_ku64(j, "nr_reclaimed", r->reclaimed);
			for (int u = 0; u < 2; u++) {
				stack_frames(s, u ? r->ustack : r->kstack, u, r->pid, fr);
				json_key(j, u ? "user_stack" : "kernel_stack");
				json_arr_begin(j);
				for (int f = 0; f < fr->n; f++)
					frame_json(j, &fr->f[f]);
				json_arr_end(j);
			}
			json_obj_end(j);
			json_end_record(j);
			continue;
		}
		printf("%s (pid %u): %llu stalls, %.3f ms, %llu pages reclaimed\n", comm, r->pid,
		       (unsigned long long)r->stalls, r->total_ns / 1e6,
		       (unsigned long long)r->reclaimed);
		for (int u = 0; u < 2; u++) {
			stack_frames(s, u ? r->ustack : r->kstack, u, r->pid, fr);
			if (u && fr->n)
				printf("    -- user --\n");
			for (int f = 0; f < fr->n; f++)
				frame_print(stdout, f, &fr->f[f]);
		}
	}
	free(v);
	free(fr);
	return 0;
}

void stacks_free(struct reclaim_state *s)
{
	size_t i = 0;
	struct hkey key;
	void *val;

	while (hmap_next(&s->stack_syms, &i, &key, &val))
		usyms_free(*(struct usyms **)val);
	hmap_free(&s->stack_syms);
	hmap_free(&s->stack_rows);
	ksyms_free(s->ksyms);
}
