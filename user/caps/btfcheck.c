// SPDX-License-Identifier: GPL-2.0
/* The type graph of a BTF file checked (see btfcheck.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <bpf/btf.h>

#include "caps/btfcheck.h"

/* The k-th type id t refers to, in *to; false past the last. */
static bool type_ref(const struct btf_type *t, unsigned k, uint32_t *to)
{
	unsigned vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_DECL_TAG:
		*to = t->type;
		return k == 0;
	case BTF_KIND_ARRAY:
		if (k > 1)
			return false;
		*to = k ? btf_array(t)->index_type : btf_array(t)->type;
		return true;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (k >= vlen)
			return false;
		*to = btf_members(t)[k].type;
		return true;
	case BTF_KIND_FUNC_PROTO:
		if (k > vlen)
			return false;
		*to = k ? btf_params(t)[k - 1].type : t->type;
		return true;
	case BTF_KIND_DATASEC:
		if (k >= vlen)
			return false;
		*to = btf_var_secinfos(t)[k].type;
		return true;
	default:	/* INT, ENUM, ENUM64, FWD, FLOAT: no references */
		return false;
	}
}

/* Do all the names of t (its own, its members', parameters', values')
 * lie in the string section? */
static bool names_ok(const struct btf *btf, const struct btf_type *t)
{
	unsigned vlen = btf_vlen(t);

	if (!btf__name_by_offset(btf, t->name_off))
		return false;
	for (unsigned i = 0; i < vlen; i++) {
		uint32_t off;

		switch (btf_kind(t)) {
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			off = btf_members(t)[i].name_off;
			break;
		case BTF_KIND_FUNC_PROTO:
			off = btf_params(t)[i].name_off;
			break;
		case BTF_KIND_ENUM:
			off = btf_enum(t)[i].name_off;
			break;
		case BTF_KIND_ENUM64:
			off = btf_enum64(t)[i].name_off;
			break;
		default:
			return true;
		}
		if (!btf__name_by_offset(btf, off))
			return false;
	}
	return true;
}

/* A loop may pass through a struct or union only. */
static bool loop_ok(const struct btf_type *t)
{
	return btf_is_composite(t);
}

int btf_check_graph(const struct btf *btf)
{
	struct frame { uint32_t id; unsigned k; } *stack;
	uint32_t n = btf__type_cnt(btf), to;
	unsigned char *state;	/* 0 unseen, 1 on the path, 2 done */
	size_t depth;
	int err = 0;

	/* Every name is in the string section, every reference names a type
	 * (0 is void). A split BTF's ids start
	 * in its base: those are the base's, already checked. */
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t || !names_ok(btf, t))
			return -EINVAL;
		for (unsigned k = 0; type_ref(t, k, &to); k++)
			if (to >= n)
				return -EINVAL;
	}
	state = calloc(n, 1);
	stack = calloc(n, sizeof(*stack));
	if (!state || !stack) {
		free(state);
		free(stack);
		return -ENOMEM;
	}
	/* Depth-first, without recursion: n may be large. */
	for (uint32_t root = 1; root < n && !err; root++) {
		if (state[root])
			continue;
		depth = 0;
		stack[depth++] = (struct frame){ root, 0 };
		state[root] = 1;
		while (depth && !err) {
			struct frame *f = &stack[depth - 1];
			const struct btf_type *t = btf__type_by_id(btf, f->id);

			if (loop_ok(t) || !type_ref(t, f->k, &to)) {
				state[f->id] = 2;
				depth--;
				continue;
			}
			f->k++;
			if (!to || state[to] == 2)
				continue;
			if (state[to] == 1) {
				err = -EINVAL;	/* back to a type on the path */
				break;
			}
			state[to] = 1;
			stack[depth++] = (struct frame){ to, 0 };
		}
	}
	free(state);
	free(stack);
	return err;
}
