// SPDX-License-Identifier: GPL-2.0
/* Frame names for text output (see frame.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "syms/frame.h"

const char *sym_frame_name(const struct sym_frame *f, char *buf, size_t len)
{
	const char *base;

	if (!len)
		return buf;
	if (f->sym) {
		snprintf(buf, len, "%s+0x%" PRIx64, f->sym, f->offset);
	} else if (f->module) {
		base = strrchr(f->module, '/');
		snprintf(buf, len, "%s+0x%" PRIx64, base ? base + 1 : f->module, f->module_offset);
	} else {
		snprintf(buf, len, "0x%" PRIx64, f->addr);
	}
	return buf;
}
