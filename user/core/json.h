/* SPDX-License-Identifier: GPL-2.0 */
/* Streaming JSON writer for JSON Lines output (-j).
 *
 * Strings are always valid JSON: every byte below 0x20 is escaped, and bytes
 * that are not valid UTF-8 (a process may name itself anything) become
 * U+FFFD (one "\ufffd" per byte) instead of producing a document parsers
 * reject. DEL and the C1 controls (U+0080..U+009F) are escaped too
 * ("\u007f", "\u009b"): the output is safe to show on a terminal, and the
 * decoded strings are unchanged. */
#ifndef MEMSCOPE_JSON_H
#define MEMSCOPE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, FILE *f);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);	/* NULL writes null */
void json_strn(struct json *j, const char *s, size_t n);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);	/* NaN/inf write null */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Terminate one JSON Lines record: newline and flush. */
void json_end_record(struct json *j);

/* key + value shorthands */
void json_kstr(struct json *j, const char *key, const char *v);
void json_ku64(struct json *j, const char *key, uint64_t v);
void json_ki64(struct json *j, const char *key, int64_t v);
void json_kdouble(struct json *j, const char *key, double v);
void json_kbool(struct json *j, const char *key, bool v);

/* Write s[0..n) as a quoted JSON string. */
void json_write_string(FILE *f, const char *s, size_t n);

#endif
