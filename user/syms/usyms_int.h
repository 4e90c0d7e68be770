/* SPDX-License-Identifier: GPL-2.0 */
/* The symbolizer's state, shared by its files: usyms.c (modules, libdwfl,
 * resolving) and usyms_fds.c (the descriptor budget). Not for other users:
 * they see usyms.h. */
#ifndef MEMSCOPE_SYMS_USYMS_INT_H
#define MEMSCOPE_SYMS_USYMS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <elfutils/libdwfl.h>

#include "core/hmap.h"
#include "core/strpool.h"
#include "syms/debuginfo.h"
#include "syms/usyms.h"

/* Cached addresses; the table is emptied when it would grow past this. */
#define CACHE_MAX (1u << 16)

/* A PT_LOAD segment: maps file offsets to link-time addresses. */
struct useg {
	uint64_t off, filesz, vaddr;
};

enum lines_state { LINES_UNKNOWN, LINES_OK, LINES_NONE };

/* One file of the target (or the vdso, or anonymous code). */
struct umod {
	struct usyms *owner;
	char *path;		/* as the target's maps show it */
	unsigned int dev_major, dev_minor;
	unsigned long inode;
	dev_t st_dev;		/* the opened file, as we see it */
	ino_t st_ino;
	bool special;		/* [vdso], [anon]: no file identity */
	unsigned int serial;
	int fd;			/* ours; libdwfl gets a dup; -1: not an ELF file we can read */
	bool evicted;		/* fd closed for the budget; reopen when needed */
	uint64_t last_use;	/* u->clock when last resolved in */
	bool resolved;		/* has named an address */
	bool dead;		/* libdwfl refused it: no symbols */
	Dwfl_Module *mod;	/* in the current Dwfl, NULL until used */
	bool segs_read;
	struct useg *segs;
	int nsegs;
	char *build_id;
	bool debug_searched;
	struct debuginfo dbg;	/* looked up when first needed */
	enum lines_state lines;
	bool dwarf_loaded;	/* in the current Dwfl */
};

/* An executable mapping. */
struct umap {
	uint64_t start, end, pgoff;	/* start, end first: core/ranges.h */
	struct umod *mod;
};

struct usyms {
	pid_t pid;
	unsigned long long start_time;	/* tells the target from a reuse of its pid */
	int root_fd;		/* the target's root directory; -1: same as ours */
	Dwfl *dwfl;		/* created when needed, dropped over budget */
	Dwfl_Callbacks cb;
	size_t dwarf_mem_max;
	size_t dw_mem;		/* our RSS growth in libdw calls since dwfl_begin */
	struct strpool strs;	/* strings handed out: they outlive libdw's state */
	struct umod **mods;
	size_t nmods, capmods;
	struct umap *maps;	/* sorted, disjoint */
	size_t nmaps;
	struct hmap cache;	/* (addr, return_addr) -> struct sym_frame */
	bool no_lines;
	unsigned fd_max;	/* descriptors we and libdwfl may hold */
	unsigned nfds;		/* held now (libdwfl's counted as handed over) */
	uint64_t clock;		/* resolutions so far, for LRU */
};

/* The descriptor budget (usyms_fds.c). */

/* The target, not another process that got its pid, and not a zombie. */
bool usyms_target_alive(const struct usyms *u);
/* Close one of our descriptors to make room: never keep's, nor one of a
 * module in the current Dwfl (it is re-reported from ours after a drop),
 * nor the vdso's (a copy that cannot be reopened); of the rest, first
 * those that never named an address, then the least recently used. With
 * may_drop, drop the Dwfl (all of libdwfl's) when nothing else can go;
 * not from inside a libdwfl callback. */
void usyms_fd_make_room(struct usyms *u, const struct umod *keep, bool may_drop);
/* Open a module's file again, if the target still lives and it is still
 * the same file; false (the module stays without symbols) if not. */
bool usyms_umod_reopen(struct usyms *u, struct umod *um, const struct umap *m);
/* Once per process: what the hard limit allows, the soft one may have. */
void usyms_raise_nofile(void);

/* Drop the current Dwfl (usyms.c): the modules keep their descriptors. */
void usyms_dwfl_drop(struct usyms *u);

#endif
