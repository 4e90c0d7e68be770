// SPDX-License-Identifier: GPL-2.0
/* alloc_calls linked statically in every build (the Makefile links
 * workloads named *_static with -static): an executable that serves its
 * own malloc. */
#include "alloc_calls.c"
