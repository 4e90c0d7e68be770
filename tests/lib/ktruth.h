/* SPDX-License-Identifier: GPL-2.0 */
/* Independent answers to "does this attach type work here?", found with raw
 * bpf() and perf_event_open() calls and hand-written two-instruction
 * programs: no libbpf loader, no skeleton, nothing memscope's probe uses. */
#ifndef MEMSCOPE_TEST_KTRUTH_H
#define MEMSCOPE_TEST_KTRUTH_H

#include <stdbool.h>

#include "probe.h"

/* True if a program of this kind loads and attaches here. *why says what
 * failed otherwise. Everything is closed before returning. */
bool ktruth_attach(enum probe_kind kind, const char **why);

#endif
