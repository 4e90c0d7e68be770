// SPDX-License-Identifier: GPL-2.0
/* memscope-bench: a benchmark's table, and the JSON of them all (see
 * bench.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "core/json.h"

#define COLLECT(cr, member, out)                                           \
	do {                                                               \
		for (int i_ = 0; i_ < (cr)->n; i_++)                       \
			(out)[i_] = (double)(cr)->r[i_].member;            \
	} while (0)

void print_table(const struct bench *b, struct cfg_res *cr, int ncfg)
{
	double v[MAX_ROUNDS], base = NAN, floor_med = NAN;
	const char *floor_name = "";

	printf("\n%s: %s (ns per %s; %d rounds of %.1f s)\n", b->name, b->title, b->unit,
	       o.rounds, o.seconds);
	printf("  %-42s %10s %10s %10s %7s %9s %8s %8s %7s %8s %7s %5s %6s\n", "configuration",
	       "median", "min", "max", "ratio", "+ns/op", "attach", "detach", "RSS", "CPU",
	       "maps", "busy", "redone");
	for (int k = 0; k < ncfg; k++) {
		const struct config *c = &b->cfg[k];
		struct cfg_res *x = &cr[k];
		double med, ratio;
		int redone = 0;

		if (x->absent || !x->n) {
			printf("  %-42s not measured: %s\n", c->name, x->why[0] ? x->why : "?");
			continue;
		}
		COLLECT(x, ns_per_op, v);
		med = median(v, x->n);
		if (c->kind == K_BASE)
			base = med;
		if (c->kind == K_FLOOR && isnan(floor_med)) {
			floor_med = med;
			floor_name = c->name;
		}
		ratio = median(x->ratio, x->n);
		for (int i = 0; i < x->n; i++)
			redone += x->r[i].redone;
		printf("  %-42s %10.1f %10.1f %10.1f %6.2fx %+9.1f", c->name, med, vmin(v, x->n),
		       vmax(v, x->n), ratio, med - base);
		if (c->cmd) {
			double a[MAX_ROUNDS], d[MAX_ROUNDS], rss[MAX_ROUNDS], cpu[MAX_ROUNDS],
				maps[MAX_ROUNDS];

			COLLECT(x, attach_ms, a);
			COLLECT(x, detach_ms, d);
			COLLECT(x, rss_kib, rss);
			COLLECT(x, cpu_ms, cpu);
			COLLECT(x, maps_kib, maps);
			printf(" %6.0fms %6.0fms %5.1fMB %6.0fms %5.0fK", median(a, x->n),
			       median(d, x->n), vmax(rss, x->n) / 1024, median(cpu, x->n),
			       vmax(maps, x->n));
		} else {
			printf(" %8s %8s %7s %8s %7s", "", "", "", "", "");
		}
		COLLECT(x, busy, v);
		printf(" %5.2f %6d\n", vmax(v, x->n), redone);
	}
	for (int k = 0; k < ncfg; k++) {
		struct cfg_res *x = &cr[k];
		double v2[MAX_ROUNDS];

		if (b->cfg[k].kind == K_MEMSCOPE && x->n && isfinite(floor_med)) {
			COLLECT(x, ns_per_op, v2);
			printf("  %s: %.2fx the %s (%+.0f ns per %s above it)\n", b->cfg[k].name,
			       median(v2, x->n) / floor_med, floor_name, median(v2, x->n) - floor_med,
			       b->unit);
		}
		if (x->nprog && x->prof_ops) {
			double per_op = 0;

			printf("  %s, BPF programs (one more run, with BPF statistics):\n",
			       b->cfg[k].name);
			for (int p = 0; p < x->nprog; p++) {
				double runs = (double)x->prog[p].cnt / (double)x->prof_ops;
				double ns = (double)x->prog[p].ns / (double)x->prog[p].cnt;

				per_op += runs * ns;
				printf("    %-16s %8.0f ns per run, %8.3f runs per %s\n",
				       x->prog[p].name, ns, runs, b->unit);
			}
			printf("    all: %.0f ns in programs per %s (%.1f%% of the untraced %s)\n",
			       per_op, b->unit, 100 * per_op / base, b->unit);
		}
	}
	fflush(stdout);
}

void write_json(FILE *f, struct cfg_res (*all)[MAX_CONFIGS], const bool *sel)
{
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	json_machine(&j, o.ms);
	json_ki64(&j, "rounds", o.rounds);
	json_kdouble(&j, "seconds", o.seconds);
	json_key(&j, "benchmarks");
	json_arr_begin(&j);
	for (size_t i = 0; i < nbench; i++) {
		const struct bench *b = &benches[i];
		char unit[64];

		if (!sel[i])
			continue;
		json_obj_begin(&j);
		json_kstr(&j, "name", b->name);
		json_kstr(&j, "what", b->title);
		snprintf(unit, sizeof(unit), "ns per %s", b->unit);
		json_kstr(&j, "unit", unit);
		json_key(&j, "configurations");
		json_arr_begin(&j);
		for (int k = 0; k < MAX_CONFIGS && b->cfg[k].name; k++) {
			const struct config *c = &b->cfg[k];
			struct cfg_res *x = &all[i][k];
			double v[MAX_ROUNDS];

			json_obj_begin(&j);
			json_kstr(&j, "name", c->name);
			json_kstr(&j, "kind", kind_names[c->kind]);
			if (c->cmd)
				json_kstr(&j, "command", c->cmd);
			json_kbool(&j, "measured", !x->absent && x->n);
			if (x->absent || !x->n) {
				json_kstr(&j, "why", x->why);
				json_obj_end(&j);
				continue;
			}
			COLLECT(x, ns_per_op, v);
			json_kdouble(&j, "median", median(v, x->n));
			json_kdouble(&j, "min", vmin(v, x->n));
			json_kdouble(&j, "max", vmax(v, x->n));
			json_kdouble(&j, "ratio_median", median(x->ratio, x->n));
			json_key(&j, "rounds");
			json_arr_begin(&j);
			for (int r = 0; r < x->n; r++) {
				const struct run_res *rr = &x->r[r];

				json_obj_begin(&j);
				json_kdouble(&j, "ns_per_op", rr->ns_per_op);
				json_kdouble(&j, "ratio", x->ratio[r]);
				if (c->cmd) {
					json_kdouble(&j, "attach_ms", rr->attach_ms);
					json_kdouble(&j, "detach_ms", rr->detach_ms);
					json_ki64(&j, "peak_rss_kib", rr->rss_kib);
					json_kdouble(&j, "cpu_ms", rr->cpu_ms);
					json_ki64(&j, "bpf_maps_kib", rr->maps_kib);
				}
				json_kdouble(&j, "outside_busy_cpus", rr->busy);
				json_ki64(&j, "redone", rr->redone);
				json_kbool(&j, "loaded", rr->loaded);
				json_obj_end(&j);
			}
			json_arr_end(&j);
			if (x->nprog) {
				json_key(&j, "bpf_programs");
				json_arr_begin(&j);
				for (int p = 0; p < x->nprog; p++) {
					json_obj_begin(&j);
					json_kstr(&j, "name", x->prog[p].name);
					json_ku64(&j, "run_cnt", x->prog[p].cnt);
					json_ku64(&j, "run_ns", x->prog[p].ns);
					json_kdouble(&j, "runs_per_op",
						     x->prof_ops ? (double)x->prog[p].cnt /
									   (double)x->prof_ops : NAN);
					json_obj_end(&j);
				}
				json_arr_end(&j);
			}
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end_record(&j);
}
