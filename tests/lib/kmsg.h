/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel log as a truth: what the kernel printed (/dev/kmsg) from the
 * moment a test starts looking. */
#ifndef MEMSCOPE_TEST_KMSG_H
#define MEMSCOPE_TEST_KMSG_H

/* Start looking: a descriptor past the log's current end, or -1. */
int kmsg_open(void);
/* Everything logged since kmsg_open(), one message per line (without
 * the "prio,seq,time,flags;" prefix); malloc'ed, "" when none. */
char *kmsg_read(int fd);

#endif
