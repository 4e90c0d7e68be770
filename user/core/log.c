// SPDX-License-Identifier: GPL-2.0
/* Diagnostics to stderr, one verbosity knob for ours and libbpf's messages. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "core/log.h"

static int cur_level = LOG_WARN;
static int quiet_depth;

void log_set_level(int level)
{
	cur_level = level;
}

int log_get_level(void)
{
	return cur_level;
}

void log_quiet_push(void)
{
	quiet_depth++;
}

void log_quiet_pop(void)
{
	if (quiet_depth > 0)
		quiet_depth--;
}

static const char *prefix[] = {
	[LOG_ERROR] = "memscope: error: ",
	[LOG_WARN] = "memscope: warning: ",
	[LOG_INFO] = "memscope: ",
	[LOG_DEBUG] = "memscope: debug: ",
	[LOG_TRACE] = "memscope: trace: ",
};

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if ((int)level > cur_level)
		return;
	fputs(prefix[level], stderr);
	vfprintf(stderr, fmt, ap);
	/* Messages are single lines; add the newline when the caller didn't. */
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	enum log_level level;

	switch (lvl) {
	case LIBBPF_WARN:
		level = quiet_depth ? LOG_DEBUG : LOG_WARN;
		break;
	case LIBBPF_INFO:
		level = LOG_DEBUG;
		break;
	default:
		level = LOG_TRACE;
		break;
	}
	if ((int)level > cur_level)
		return 0;
	/* libbpf's messages carry their own "libbpf: " prefix. */
	return vfprintf(stderr, fmt, ap);
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
