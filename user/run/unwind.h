/* SPDX-License-Identifier: GPL-2.0 */
/* The user-space side of lib/unwind.bpf.h: the traced process's
 * executable mappings and their objects' unwind tables (syms/cfi.h),
 * written into the loaded BPF object's maps and kept current. */
#ifndef MEMSCOPE_RUN_UNWIND_H
#define MEMSCOPE_RUN_UNWIND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct bpf_object;
struct unwinder;

/* Before load: tables of what pid maps now (pid > 0), or of the files
 * named (a command not started yet: its program and the libraries it
 * needs), to size the row table. cfi false: frame pointers only, no
 * tables. NULL and errno on failure. */
struct unwinder *unwinder_new(pid_t pid, const char *const *files, int nfiles, bool cfi);
/* Rows the BPF table needs (set its max_entries before load). */
uint32_t unwinder_rows_wanted(const struct unwinder *u);
/* After load: take the object's maps (unw_rows, unw_objs, unw_maps) and
 * its .bss variables unw_cur and unw_nmaps (the skeleton's); 0 or -errno. */
int unwinder_bind(struct unwinder *u, struct bpf_object *obj, pid_t pid, volatile uint32_t *cur,
		  volatile uint32_t *nmaps);
/* Re-read /proc/PID/maps; tables for new objects; publish. 0 or -errno. */
int unwinder_refresh(struct unwinder *u);

struct unwinder_stats {
	uint64_t cfi_frames, fp_frames, unknown;	/* from BPF */
	uint64_t reused;	/* walks a memo spared (their frames are counted above too) */
	uint32_t objects, tables, rows, rows_cap;
	uint32_t full;		/* objects left without a table: rows full */
	uint32_t maps;
};
void unwinder_stats(struct unwinder *u, struct unwinder_stats *st);
void unwinder_free(struct unwinder *u);

struct json;
/* The stats as a JSON object value / as summary lines. */
void unwind_json(struct json *j, const struct unwinder_stats *st);
void unwind_text(FILE *f, const struct unwinder_stats *st);


/* Where to refresh the tables of a process running exe: its entry point
 * and its ld.so's _dl_debug_state. Number of points. */
struct unwind_sync_point {
	char path[4096];
	uint64_t offset;	/* file offset, as uprobes take it */
};
int unwind_sync_points(const char *exe, struct unwind_sync_point *pts, int max);

/* The files a program not started yet will map: itself, its ld.so, extra
 * (may be NULL) and the libraries it needs (DT_NEEDED, two levels deep,
 * looked up in its RUNPATH and the usual directories). Each a malloc'ed
 * path in out; their number. For sizing the row table. */
#define UNWIND_PREBUILD_MAX 64
int unwind_needed_files(const char *exe, const char *extra, char **out, int max);

#endif
