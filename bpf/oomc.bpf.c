// SPDX-License-Identifier: GPL-2.0
/* memscope oom with the candidates each kill was chosen over, weighed in
 * the kernel at the kill: bpf/oom.bpf.c with the open-coded task iterator
 * (6.7+). A separate object: where the kernel has no such kfuncs, libbpf
 * 1.1 refuses any object that names them, and oom.bpf.c runs alone. */
#define OOM_CANDIDATES 1
#include "oom.bpf.c"
