// SPDX-License-Identifier: GPL-2.0
/* The kernel log since a point (see kmsg.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

char *kmsg_read(int fd)
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap), rec[8192];

	if (!out)
		return NULL;
	out[0] = 0;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg;
		size_t m;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		m = strcspn(msg, "\n");
		if (len + m + 2 > cap) {
			char *g;

			cap = 2 * (len + m + 2);
			g = realloc(out, cap);
			if (!g)
				break;
			out = g;
		}
		memcpy(out + len, msg, m);
		len += m;
		out[len++] = '\n';
		out[len] = 0;
	}
	return out;
}
