/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel BTF with a deliberate difference, for tests of what memscope does
 * on a kernel whose tracepoints changed shape: a copy of the running
 * kernel's BTF (which memscope is then given with --btf) in which one
 * tracepoint's prototype is (void *__data, int). */
#ifndef MEMSCOPE_TEST_BTFCRAFT_H
#define MEMSCOPE_TEST_BTFCRAFT_H

/* Write that copy to path with tracepoint tp changed. 0 or -errno. */
int btf_craft_changed_tp(const char *tp, const char *path);

#endif
