// SPDX-License-Identifier: GPL-2.0
/* The bundled demo (make demo): a toy request handler with three kinds of
 * memory behaviour, so one leak report shows the difference the trend
 * column makes:
 *   - a session cache that fills up to 256 entries, then evicts: grows for
 *     a while, then steady (not a leak);
 *   - an error path that forgets to free its message: grows for ever (the
 *     leak);
 *   - per-request scratch buffers, freed at once: never outstanding.
 *
 * usage: leaky [SECONDS]   (default 12; about 500 requests a second)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CACHE_SLOTS 256

struct session {
	int id;
	char user[120];
};

static struct session *cache[CACHE_SLOTS];
static int cache_next;

__attribute__((noinline)) static struct session *session_open(int id)
{
	struct session *s = malloc(sizeof(*s));

	s->id = id;
	snprintf(s->user, sizeof(s->user), "user%d", id % 1000);
	return s;
}

/* Keeps the newest CACHE_SLOTS sessions: bounded, so steady once full. */
__attribute__((noinline)) static void cache_insert(struct session *s)
{
	free(cache[cache_next]);
	cache[cache_next] = s;
	cache_next = (cache_next + 1) % CACHE_SLOTS;
}

/* The bug: the message is built, logged, and never freed. */
__attribute__((noinline)) static void report_error(int id)
{
	char *msg = malloc(200);

	snprintf(msg, 200, "request %d: upstream timed out", id);
	if (id % 1000 == 0)
		fprintf(stderr, "leaky: %s\n", msg);
}

__attribute__((noinline)) static void handle_request(int id)
{
	char *scratch = malloc(4096);

	memset(scratch, 0, 4096);
	if (id % 4 == 0)
		cache_insert(session_open(id));
	if (id % 10 == 7)
		report_error(id);
	free(scratch);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 12;
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	time_t end = time(NULL) + seconds;
	int id = 0;

	while (time(NULL) < end) {
		handle_request(id++);
		nanosleep(&nap, NULL);
	}
	return 0;
}
