/* SPDX-License-Identifier: GPL-2.0 */
/* Diagnostics: everything goes to stderr, filtered by a verbosity level.
 * libbpf's own messages are routed through here so -v controls them too. */
#ifndef MEMSCOPE_LOG_H
#define MEMSCOPE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_ERROR = 0,	/* always shown */
	LOG_WARN = 1,	/* shown by default */
	LOG_INFO = 2,	/* -v */
	LOG_DEBUG = 3,	/* -vv */
	LOG_TRACE = 4,	/* -vvv: also libbpf's debug output */
};

/* Default verbosity is LOG_WARN; each -v adds one. */
void log_set_level(int level);
int log_get_level(void);

/* Install the libbpf print callback. */
void log_setup_libbpf(void);

/* While quiet, libbpf warnings are demoted to LOG_DEBUG: used around probes
 * that are expected to fail on some kernels. Nestable. */
void log_quiet_push(void);
void log_quiet_pop(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
