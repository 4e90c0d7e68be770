// SPDX-License-Identifier: GPL-2.0
/* Tracepoints in tracefs and BTF, and their contracts (see tracepoints.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "caps/tracepoints.h"
#include "core/log.h"

int tracefs_find(char *buf, size_t len, bool mount_if_missing, bool *mounted)
{
	static const char *const candidates[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char probe[512];

	if (mounted)
		*mounted = false;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/events", candidates[i]);
		if (access(probe, F_OK) == 0) {
			snprintf(buf, len, "%s", candidates[i]);
			return 0;
		}
	}
	buf[0] = 0;
	if (!mount_if_missing)
		return -ENOENT;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		int err = -errno;

		log_debug("mounting tracefs at /sys/kernel/tracing failed: %s", strerror(errno));
		return err;
	}
	log_info("mounted tracefs at /sys/kernel/tracing");
	if (mounted)
		*mounted = true;
	snprintf(buf, len, "/sys/kernel/tracing");
	return 0;
}

bool tp_in_tracefs(const char *tracefs, const char *category, const char *name)
{
	char path[512];

	if (!tracefs || !tracefs[0])
		return false;
	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs, category, name);
	return access(path, F_OK) == 0;
}

struct strbuf {
	char *buf;
	size_t len, pos;
};

static void strbuf_vprintf(void *ctx, const char *fmt, va_list ap)
{
	struct strbuf *sb = ctx;
	int n;

	if (sb->pos >= sb->len)
		return;
	n = vsnprintf(sb->buf + sb->pos, sb->len - sb->pos, fmt, ap);
	if (n > 0)
		sb->pos += n;
}

/* btf_trace_<name> is a typedef of a pointer to void (void *__data, args...). */
bool tp_btf_args(const struct btf *btf, const char *name, char *buf, size_t len)
{
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, dopts);
	struct strbuf sb = { buf, len, 0 };
	const struct btf_param *params;
	const struct btf_type *t;
	struct btf_dump *d;
	char tname[128];
	int id, n;

	buf[0] = 0;
	if (!btf)
		return false;
	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_ptr(t))
		return true;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return true;
	d = btf_dump__new(btf, strbuf_vprintf, &sb, NULL);
	if (!d)
		return true;
	params = btf_params(t);
	n = btf_vlen(t);
	for (int i = 1; i < n; i++) {
		if (i > 1 && sb.pos < len)
			sb.pos += snprintf(buf + sb.pos, len - sb.pos, ", ");
		dopts.field_name = "";
		btf_dump__emit_type_decl(d, params[i].type, &dopts);
	}
	btf_dump__free(d);
	return true;
}

bool tp_args_match(const char *args, const char *expected)
{
	size_t n = strlen(expected);

	return !strncmp(args, expected, n) && (!args[n] || !strncmp(args + n, ", ", 2));
}

int tp_contract_check(const struct tp_contract *c, enum probe_kind kind, const struct btf *btf,
		      const char *tracefs, char *why, size_t len)
{
	char args[256];

	why[0] = 0;
	if (kind == PROBE_TRACEPOINT) {
		if (tp_in_tracefs(tracefs, c->category, c->name))
			return 0;
		snprintf(why, len, "%s:%s is not in %s", c->category, c->name,
			 tracefs && tracefs[0] ? "tracefs" : "tracefs (not mounted)");
		return -ENOENT;
	}
	if (!tp_btf_args(btf, c->name, args, sizeof(args))) {
		snprintf(why, len, "%s:%s is not in the kernel's BTF (no btf_trace_%s)",
			 c->category, c->name, c->name);
		return -ENOENT;
	}
	if (c->args && !tp_args_match(args, c->args)) {
		snprintf(why, len, "%s:%s has the prototype (%s), not the (%s, ...) its %s "
			 "program reads", c->category, c->name, args, c->args,
			 probe_kind_name(kind));
		return -EPROTO;
	}
	return 0;
}
