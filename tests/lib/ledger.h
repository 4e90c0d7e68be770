/* SPDX-License-Identifier: GPL-2.0 */
/* Checking `memscope leak -j` reports against a workload's ledger: JSON
 * Lines of {"type":"expect","site":F,"line":L,"bytes":B,"count":C}, where
 * F is the function that makes the allocating call (the innermost frame
 * of a stack taken at the allocator's return). Shared by the leak tests. */
#ifndef MEMSCOPE_TEST_LEDGER_H
#define MEMSCOPE_TEST_LEDGER_H

#include <stdbool.h>

#include "jsonp.h"

struct site_sum {
	long long bytes, count;
	long long line_seen;	/* the line of the last row's innermost frame */
	int stacks;		/* rows */
	bool line_ok;		/* every row's innermost frame on the line asked */
};

/* Rows of type ("stack": final ones only; "exec_stack": an image's report,
 * image its image_no, -1 any) whose innermost frame is in function site;
 * line: the line to hold them to (-1: none). */
struct site_sum ledger_sum_site(const struct jlines *out, const char *type, long long image,
				const char *site, long long line);

/* Every expectation of exp against the rows of out (as above): bytes and
 * count exact, and with lines, the source line of sites that hold bytes.
 * The number checked. */
int ledger_check_sites(const struct jlines *out, const struct jlines *exp, const char *type,
		       long long image, bool lines);

#endif
