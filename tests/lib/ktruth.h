/* SPDX-License-Identifier: GPL-2.0 */
/* Independent answers to "does this attach type work here?", found with raw
 * bpf() and perf_event_open() calls and hand-written two-instruction
 * programs: no libbpf loader, no skeleton, nothing memscope's probe uses. */
#ifndef MEMSCOPE_TEST_KTRUTH_H
#define MEMSCOPE_TEST_KTRUTH_H

#include <stdbool.h>

#include "probe.h"

/* True if a program of this kind loads and attaches here. *why says what
 * failed otherwise. Everything is closed before returning; the programs
 * it loaded are recorded for assert_no_progs_left (progs.h). */
bool ktruth_attach(enum probe_kind kind, const char **why);

/* Load a two-instruction "return 0" program of a type (bpf_prog_type),
 * expected attach type and BTF id with a raw bpf() call, unrecorded;
 * its fd or -1 with errno. */
int ktruth_prog_load(int type, int eat, unsigned btf_id);

#endif
