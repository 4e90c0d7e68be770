// SPDX-License-Identifier: GPL-2.0
/* Demangling (see demangle.h). */
#include <stddef.h>
#include <libiberty/demangle.h>

#include "syms/demangle.h"

char *sym_demangle(const char *name)
{
	/* Only what can be mangled: cplus_demangle's auto style would also
	 * try other schemes on plain C names. */
	if (!name || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	/* DMGL_PARAMS: the parameter types tell overloads apart. */
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
}
