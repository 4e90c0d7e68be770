/* SPDX-License-Identifier: GPL-2.0 */
/* The BPF attach types memscope knows (the enum is shared with
 * bpf/probe.bpf.c), their names, and the test-only override that forces a
 * tool onto one of them. */
#ifndef MEMSCOPE_CAPS_KINDS_H
#define MEMSCOPE_CAPS_KINDS_H

#include "probe.h"

/* "tp_btf", ...; "?" when out of range. */
const char *probe_kind_name(enum probe_kind kind);
/* The kind named name, -1 if none. */
int probe_kind_by_name(const char *name);

/* MEMSCOPE_ATTACH=<attach type name> forces the attach mode tools pick
 * (test-only: it lets the test suite run each alternative path where the
 * kernel offers it). Returns the probe_kind it names, -1 when unset, -2
 * when it names none. */
int attach_override(void);

#endif
