// SPDX-License-Identifier: GPL-2.0
/* Strict reads of parsed JSON records (see jreq.h). */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "jreq.h"

static const char *const type_names[] = {
	[J_NULL] = "null", [J_BOOL] = "a boolean", [J_NUM] = "a number",
	[J_STR] = "a string", [J_ARR] = "an array", [J_OBJ] = "an object",
};

/* "the \"summary\" record" or "an object without \"type\"". */
static const char *rec_name(const struct jv *obj, char *buf, size_t len)
{
	const char *t = jv_str(jv_get(obj, "type"));

	if (t)
		snprintf(buf, len, "the \"%s\" record", t);
	else
		snprintf(buf, len, "an object without \"type\"");
	return buf;
}

static const struct jv *req(const char *file, int line, const struct jv *obj, const char *key,
			    int want, int also)
{
	const struct jv *v;
	char name[96];

	if (!jv_is(obj, J_OBJ)) {
		test_checked(false);
		test_fail_at(file, line, "key \"%s\": no record to read it from (%s)", key,
			     obj ? type_names[obj->t] : "missing");
		return NULL;
	}
	v = jv_get(obj, key);
	if (!v) {
		test_checked(false);
		test_fail_at(file, line, "key \"%s\" missing in %s", key,
			     rec_name(obj, name, sizeof(name)));
		return NULL;
	}
	if (want >= 0 && (int)v->t != want && (int)v->t != also) {
		test_checked(false);
		test_fail_at(file, line, "key \"%s\" in %s is %s, expected %s", key,
			     rec_name(obj, name, sizeof(name)), type_names[v->t], type_names[want]);
		return NULL;
	}
	test_checked(true);
	return v;
}

const struct jv *jv_req_at(const char *file, int line, const struct jv *obj, const char *key,
			   int want)
{
	return req(file, line, obj, key, want, want);
}

static long long req_int(const char *file, int line, const struct jv *obj, const char *key,
			 int also, long long if_null)
{
	const struct jv *v = req(file, line, obj, key, J_NUM, also);
	char name[96];

	if (!v)
		return 0;
	if (v->t == J_NULL)
		return if_null;
	if (v->num != floor(v->num) || fabs(v->num) > 9.007199254740992e15) {
		test_fail_at(file, line, "key \"%s\" in %s is %g, expected an integer", key,
			     rec_name(obj, name, sizeof(name)), v->num);
		return 0;
	}
	return (long long)v->num;
}

long long jv_req_i_at(const char *file, int line, const struct jv *obj, const char *key)
{
	return req_int(file, line, obj, key, J_NUM, 0);
}

long long jv_req_in_at(const char *file, int line, const struct jv *obj, const char *key,
		       long long if_null)
{
	return req_int(file, line, obj, key, J_NULL, if_null);
}

double jv_req_n_at(const char *file, int line, const struct jv *obj, const char *key)
{
	const struct jv *v = req(file, line, obj, key, J_NUM, J_NUM);

	return v ? v->num : NAN;
}

bool jv_req_b_at(const char *file, int line, const struct jv *obj, const char *key)
{
	const struct jv *v = req(file, line, obj, key, J_BOOL, J_BOOL);

	return v && v->b;
}

const char *jv_req_s_at(const char *file, int line, const struct jv *obj, const char *key)
{
	const struct jv *v = req(file, line, obj, key, J_STR, J_STR);

	return v ? v->s : NULL;
}

const char *jv_req_sn_at(const char *file, int line, const struct jv *obj, const char *key)
{
	const struct jv *v = req(file, line, obj, key, J_STR, J_NULL);

	return v ? jv_str(v) : NULL;
}

const struct jv *jl_req_at(const char *file, int line, const struct jlines *l, const char *type,
			   bool last)
{
	const struct jv *found = NULL;

	for (int i = 0; i < l->n && !(found && !last); i++)
		if (jv_type_is(l->recs[i], type))
			found = l->recs[i];
	test_checked(found != NULL);
	if (!found)
		test_fail_at(file, line, "no \"%s\" record among %d", type, l->n);
	return found;
}

bool jv_type_is(const struct jv *rec, const char *type)
{
	const char *t = jv_str(jv_get(rec, "type"));

	return t && !strcmp(t, type);
}
