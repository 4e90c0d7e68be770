// SPDX-License-Identifier: GPL-2.0
/* memscope-bench: a benchmark's table, and the JSON of them all (see
 * bench.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define COLLECT(cr, member, out)                                           \
	do {                                                               \
		for (int i_ = 0; i_ < (cr)->n; i_++)                       \
			(out)[i_] = (double)(cr)->r[i_].member;            \
	} while (0)

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, const char *key, double v, bool comma)
{
	fprintf(f, "\"%s\":", key);
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
	if (comma)
		fputc(',', f);
}

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
	struct utsname u;
	char model[128], commit[128];
	time_t t = time(NULL);
	char date[32];

	uname(&u);
	cpu_model(model, sizeof(model));
	commit_of(o.ms, commit, sizeof(commit));
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	fprintf(f, "{\"memscope\":");
	json_str(f, commit);
	fprintf(f, ",\"date\":\"%s\",\"kernel\":{\"release\":", date);
	json_str(f, u.release);
	fprintf(f, ",\"version\":");
	json_str(f, u.version);
	fprintf(f, "},\"cpu\":{\"model\":");
	json_str(f, model);
	fprintf(f, ",\"count\":%ld},\"rounds\":%d,\"seconds\":%g,\"benchmarks\":[",
		sysconf(_SC_NPROCESSORS_ONLN), o.rounds, o.seconds);
	bool first_b = true;

	for (size_t i = 0; i < nbench; i++) {
		const struct bench *b = &benches[i];

		if (!sel[i])
			continue;
		fprintf(f, "%s{\"name\":", first_b ? "" : ",");
		first_b = false;
		json_str(f, b->name);
		fprintf(f, ",\"what\":");
		json_str(f, b->title);
		fprintf(f, ",\"unit\":\"ns per %s\",\"configurations\":[", b->unit);
		for (int k = 0; k < MAX_CONFIGS && b->cfg[k].name; k++) {
			struct cfg_res *x = &all[i][k];
			double v[MAX_ROUNDS];

			fprintf(f, "%s{\"name\":", k ? "," : "");
			json_str(f, b->cfg[k].name);
			fprintf(f, ",\"kind\":\"%s\"", kind_names[b->cfg[k].kind]);
			if (b->cfg[k].cmd) {
				fprintf(f, ",\"command\":");
				json_str(f, b->cfg[k].cmd);
			}
			if (x->absent || !x->n) {
				fprintf(f, ",\"measured\":false,\"why\":");
				json_str(f, x->why);
				fprintf(f, "}");
				continue;
			}
			COLLECT(x, ns_per_op, v);
			fprintf(f, ",\"measured\":true,");
			json_num(f, "median", median(v, x->n), true);
			json_num(f, "min", vmin(v, x->n), true);
			json_num(f, "max", vmax(v, x->n), true);
			json_num(f, "ratio_median", median(x->ratio, x->n), true);
			fprintf(f, "\"rounds\":[");
			for (int r = 0; r < x->n; r++) {
				struct run_res *rr = &x->r[r];

				fprintf(f, "%s{", r ? "," : "");
				json_num(f, "ns_per_op", rr->ns_per_op, true);
				json_num(f, "ratio", x->ratio[r], true);
				if (b->cfg[k].cmd) {
					json_num(f, "attach_ms", rr->attach_ms, true);
					json_num(f, "detach_ms", rr->detach_ms, true);
					json_num(f, "peak_rss_kib", (double)rr->rss_kib, true);
					json_num(f, "cpu_ms", rr->cpu_ms, true);
					json_num(f, "bpf_maps_kib", (double)rr->maps_kib, true);
				}
				json_num(f, "outside_busy_cpus", rr->busy, true);
				fprintf(f, "\"redone\":%d,\"loaded\":%s}", rr->redone,
					rr->loaded ? "true" : "false");
			}
			fprintf(f, "]");
			if (x->nprog) {
				fprintf(f, ",\"bpf_programs\":[");
				for (int p = 0; p < x->nprog; p++) {
					fprintf(f, "%s{\"name\":", p ? "," : "");
					json_str(f, x->prog[p].name);
					fprintf(f, ",\"run_cnt\":%llu,\"run_ns\":%llu,",
						(unsigned long long)x->prog[p].cnt,
						(unsigned long long)x->prog[p].ns);
					json_num(f, "runs_per_op",
						 x->prof_ops ? (double)x->prog[p].cnt /
								       (double)x->prof_ops : NAN,
						 false);
					fprintf(f, "}");
				}
				fprintf(f, "]");
			}
			fprintf(f, "}");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}
