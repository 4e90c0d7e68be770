// SPDX-License-Identifier: GPL-2.0
/* The registry array, built from user/tools.def. */
#include <string.h>

#include "run/registry.h"

#define TOOL(x) extern const struct tool x##_tool;
#include "tools.def"
#undef TOOL

const struct tool *const registry[] = {
#define TOOL(x) &x##_tool,
#include "tools.def"
#undef TOOL
};

const size_t registry_len = sizeof(registry) / sizeof(registry[0]);

const struct tool *registry_find(const char *name)
{
	for (size_t i = 0; i < registry_len; i++) {
		const struct tool *t = registry[i];

		if (!strcmp(t->name, name))
			return t;
		for (const char *const *a = t->aliases; a && *a; a++)
			if (!strcmp(*a, name))
				return t;
	}
	return NULL;
}
