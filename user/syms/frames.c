// SPDX-License-Identifier: GPL-2.0
/* Frames: resolve, trim, render (see frames.h). */
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <bpf/bpf.h>

#include "core/fmt.h"
#include "core/json.h"
#include "syms/frames.h"

void frames_user(struct usyms *us, const uint64_t *ips, int n, struct frames *out)
{
	out->n = 0;
	for (int i = 0; i < n && i < FRAMES_MAX; i++) {
		struct sym_frame *f = &out->f[out->n];

		memset(f, 0, sizeof(*f));
		f->addr = ips[i];
		if (us)
			usyms_resolve(us, ips[i], true, f);
		if (i && !f->module)
			break;
		out->n++;
	}
}

/* Where the kernel's stack walk starts: not the caller's business. */
static bool tracing_frame(const char *sym)
{
	static const char *const prefixes[] = {
		"bpf_", "__bpf_", "___bpf_", "trace_call_bpf", "perf_", "__traceiter_",
		"trace_event_raw_event_", "__probestub_",
	};

	if (!sym)
		return false;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(sym, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

void frames_kernel(struct ksyms *ks, const uint64_t *ips, int n, uint64_t site,
		   struct frames *out)
{
	int skip = 0, at = -1;

	if (n > FRAMES_MAX - 1)
		n = FRAMES_MAX - 1;
	if (n > 0)
		ksyms_resolve(ks, ips, n, out->f);
	while (skip < n && tracing_frame(out->f[skip].sym))
		skip++;
	n -= skip;
	memmove(out->f, out->f + skip, n * sizeof(out->f[0]));
	if (site) {
		for (int i = 0; i < n && at < 0; i++)
			if (out->f[i].addr == site)
				at = i;
		if (at >= 0) {
			/* Start at the call site: frames before it are inside
			 * the allocator. */
			n -= at;
			memmove(out->f, out->f + at, n * sizeof(out->f[0]));
		} else {
			memmove(out->f + 1, out->f, n * sizeof(out->f[0]));
			ksyms_resolve(ks, &site, 1, &out->f[0]);
			n++;
		}
	}
	out->n = n;
}

void frame_print(FILE *f, int i, const struct sym_frame *fr)
{
	/* A path may be PATH_MAX bytes, each shown as up to 4 ("\xff"):
	 * whole, its file's name (the end) included. */
	static char safe[4 * PATH_MAX + 1];
	char name[512];

	fprintf(f, "    #%-2d 0x%016" PRIx64 " %s", i, fr->addr,
		text_safe(sym_frame_name(fr, name, sizeof(name)), safe, sizeof(safe)));
	if (fr->file)
		fprintf(f, "  %s:%d", text_safe(fr->file, safe, sizeof(safe)), fr->line);
	else if (fr->sym && fr->module && strcmp(fr->module, "vmlinux"))
		fprintf(f, "  (%s)", text_safe(fr->module, safe, sizeof(safe)));
	fputc('\n', f);
}

void frame_json(struct json *j, const struct sym_frame *f)
{
	char addr[32];

	json_obj_begin(j);
	snprintf(addr, sizeof(addr), "0x%" PRIx64, f->addr);
	json_kstr(j, "addr", addr);
	json_key(j, "sym");
	json_str(j, f->sym);
	/* Only where it differs: a C name has no mangled form. */
	if (f->mangled)
		json_kstr(j, "mangled", f->mangled);
	json_ku64(j, "offset", f->sym ? f->offset : f->module_offset);
	json_key(j, "module");
	json_str(j, f->module);
	json_key(j, "build_id");
	json_str(j, f->build_id);
	json_key(j, "file");
	json_str(j, f->file);
	json_key(j, "line");
	if (f->line > 0)
		json_i64(j, f->line);
	else
		json_null(j);
	json_obj_end(j);
}

bool frames_of_stack(int stacks_fd, int32_t id, bool user, struct usyms *us, struct ksyms *ks,
		     uint64_t site, struct frames *out)
{
	struct stack_rec rec;
	__u32 key = id;
	int n = 0;

	if (id >= 0 && stacks_fd >= 0 && !bpf_map_lookup_elem(stacks_fd, &key, &rec))
		n = rec.nr < STACK_DEPTH ? rec.nr : STACK_DEPTH;
	if (user)
		frames_user(us, (const uint64_t *)rec.ips, n, out);
	else
		frames_kernel(ks, (const uint64_t *)rec.ips, n, site, out);
	return n > 0;
}
