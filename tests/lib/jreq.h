/* SPDX-License-Identifier: GPL-2.0 */
/* Strict reads of parsed JSON records, for tests: what a test reads from a
 * tool's output (or a workload's expectation file) must be there with the
 * type the test expects. A missing record, a missing key or a value of
 * another type records a test failure that names the key, the record's
 * "type" and the caller's file:line, and returns a neutral value (0, NULL,
 * false), so `ASSERT_EQ(jv_req_i(rec, "k"), 0, ...)` can no longer pass
 * because "k" is absent. A successful read counts as an assertion (the
 * key's presence and type were checked). The lenient accessors of jsonp.h
 * are for the parser itself and for code that looks whether a key exists. */
#ifndef MEMSCOPE_TEST_JREQ_H
#define MEMSCOPE_TEST_JREQ_H

#include <stdbool.h>

#include "jsonp.h"

/* The member key of obj, of type want (-1: any type). NULL after a failure. */
const struct jv *jv_req_at(const char *file, int line, const struct jv *obj, const char *key,
			   int want);
/* An integer (a number without a fractional part). */
long long jv_req_i_at(const char *file, int line, const struct jv *obj, const char *key);
double jv_req_n_at(const char *file, int line, const struct jv *obj, const char *key);
bool jv_req_b_at(const char *file, int line, const struct jv *obj, const char *key);
const char *jv_req_s_at(const char *file, int line, const struct jv *obj, const char *key);
/* An integer or null (if_null for null, without a failure). */
long long jv_req_in_at(const char *file, int line, const struct jv *obj, const char *key,
		       long long if_null);
/* A string or null (NULL for null, without a failure). */
const char *jv_req_sn_at(const char *file, int line, const struct jv *obj, const char *key);
/* The first (or last) record of that "type"; a failure if there is none. */
const struct jv *jl_req_at(const char *file, int line, const struct jlines *l, const char *type,
			   bool last);

#define jv_req(obj, key)	jv_req_at(__FILE__, __LINE__, obj, key, -1)
#define jv_req_a(obj, key)	jv_req_at(__FILE__, __LINE__, obj, key, J_ARR)
#define jv_req_o(obj, key)	jv_req_at(__FILE__, __LINE__, obj, key, J_OBJ)
#define jv_req_i(obj, key)	jv_req_i_at(__FILE__, __LINE__, obj, key)
#define jv_req_in(obj, key, if_null) jv_req_in_at(__FILE__, __LINE__, obj, key, if_null)
#define jv_req_n(obj, key)	jv_req_n_at(__FILE__, __LINE__, obj, key)
#define jv_req_b(obj, key)	jv_req_b_at(__FILE__, __LINE__, obj, key)
#define jv_req_s(obj, key)	jv_req_s_at(__FILE__, __LINE__, obj, key)
#define jv_req_sn(obj, key)	jv_req_sn_at(__FILE__, __LINE__, obj, key)
#define jl_req(l, type)		jl_req_at(__FILE__, __LINE__, l, type, false)
#define jl_req_last(l, type)	jl_req_at(__FILE__, __LINE__, l, type, true)

/* Whether a record's "type" is type (lenient: for filtering loops). */
bool jv_type_is(const struct jv *rec, const char *type);

#endif
