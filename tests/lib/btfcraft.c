// SPDX-License-Identifier: GPL-2.0
/* Kernel BTF with one tracepoint changed (see btfcraft.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "btfcraft.h"

int btf_craft_changed_tp(const char *tp, const char *path)
{
	struct btf *src = btf__load_vmlinux_btf(), *dst = NULL;
	int err = -ENOENT, tid, int_id, voidp, proto, ptr, fd;
	struct btf_type *t;
	const void *raw;
	char name[128];
	__u32 size;

	if (!src)
		return -errno;
	dst = btf__new_empty();
	if (!dst || btf__add_btf(dst, src) < 0)
		goto out;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	tid = btf__find_by_name_kind(dst, name, BTF_KIND_TYPEDEF);
	int_id = btf__find_by_name_kind(dst, "int", BTF_KIND_INT);
	if (tid <= 0 || int_id <= 0)
		goto out;
	/* A new prototype at the end; the typedef made to point at it. */
	voidp = btf__add_ptr(dst, 0);
	proto = btf__add_func_proto(dst, 0);
	if (voidp < 0 || proto < 0 || btf__add_func_param(dst, "__data", voidp) ||
	    btf__add_func_param(dst, "x", int_id))
		goto out;
	ptr = btf__add_ptr(dst, proto);
	if (ptr < 0)
		goto out;
	t = (struct btf_type *)btf__type_by_id(dst, tid);
	t->type = ptr;
	raw = btf__raw_data(dst, &size);
	if (!raw)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write(fd, raw, size) == (ssize_t)size ? 0 : -EIO;
	close(fd);
out:
	btf__free(dst);
	btf__free(src);
	return err;
}
