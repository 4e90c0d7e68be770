// SPDX-License-Identifier: GPL-2.0
/* Reports against a workload's ledger (see ledger.h). */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "jreq.h"
#include "ledger.h"

struct site_sum ledger_sum_site(const struct jlines *out, const char *type, long long image,
				const char *site, long long line)
{
	struct site_sum s = { .line_ok = true };

	for (int i = 0; i < out->n; i++) {
		const struct jv *r = out->recs[i], *f;
		const char *sym;

		if (!jv_type_is(r, type))
			continue;
		if (!strcmp(type, "stack") && !jv_req_b(r, "final"))
			continue;
		if (image >= 0 && jv_req_i(r, "image_no") != image)
			continue;
		f = jv_at(jv_req_a(r, "frames"), 0);
		if (!f || !(sym = jv_req_sn(f, "sym")) || strcmp(sym, site))
			continue;
		s.bytes += jv_req_i(r, "bytes");
		s.count += jv_req_i(r, "count");
		s.stacks++;
		if (line >= 0) {
			s.line_seen = jv_req_in(f, "line", -1);
			if (s.line_seen != line)
				s.line_ok = false;
		}
	}
	return s;
}

int ledger_check_sites(const struct jlines *out, const struct jlines *exp, const char *type,
		       long long image, bool lines)
{
	int checked = 0;

	for (int i = 0; i < exp->n; i++) {
		const struct jv *e = exp->recs[i];
		const char *site;
		struct site_sum s;
		long long bytes;
		char what[160];

		if (!jv_type_is(e, "expect") || !(site = jv_req_s(e, "site")))
			continue;
		bytes = jv_req_i(e, "bytes");
		s = ledger_sum_site(out, type, image, site, lines ? jv_req_i(e, "line") : -1);
		snprintf(what, sizeof(what), "%s %s: outstanding bytes", type, site);
		ASSERT_EQ(s.bytes, bytes, what);
		snprintf(what, sizeof(what), "%s %s: outstanding allocations", type, site);
		ASSERT_EQ(s.count, jv_req_i(e, "count"), what);
		if (lines && bytes) {
			snprintf(what, sizeof(what), "%s: source line (saw %lld)", site, s.line_seen);
			ASSERT_TRUE(s.line_ok && s.stacks > 0, what);
		}
		checked++;
	}
	return checked;
}
