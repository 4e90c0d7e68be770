/* SPDX-License-Identifier: GPL-2.0 */
/* Names made to attack a terminal, and what the tools' outputs must make
 * of them: a tree of the test's own whose directories, executable (a copy
 * of the hostile workload), library (a copy of libhostile.so) and file
 * hold ESC/BEL title sequences, CR/LF, DEL, invalid UTF-8 (0xff 0xfe, the
 * overlong 0xc0 0xaf, lone continuation bytes), a C1 control in UTF-8
 * (0xc2 0x9b = CSI), ';' and spaces, with paths of about 4 KiB; and the
 * checks: raw bytes that must not be in a text output, and each format's
 * documented rendering of a name, written here independently of the
 * tools' own code. */
#ifndef MEMSCOPE_TEST_TERM_H
#define MEMSCOPE_TEST_TERM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "run.h"

/* The comm the workload gives itself (15 bytes: all the kernel keeps). */
#define TERM_COMM "\x1b]0;p\a\n\r\x7f\xff\xc0\xaf\x80\xc2\x9b"

struct hostile_tree {
	char root[PATH_MAX];	/* the scratch directory holding it all */
	char deep[PATH_MAX];	/* the nested directories */
	char exe[PATH_MAX], lib[PATH_MAX], file[PATH_MAX];
	const char *exe_name, *lib_name, *file_name;	/* their last components */
};

/* Make the tree in a new scratch directory (a block-backed file system:
 * the file's reads go through the page cache) with a file of file_mib MiB
 * (0: none). test_skip() where there is no scratch file system; false
 * after a failed assertion. */
bool hostile_tree_make(struct hostile_tree *t, int file_mib);
void hostile_tree_remove(struct hostile_tree *t);

/* Start the copy of the workload as TERM_COMM with the library and the
 * file, in the cgroup directory memcg (NULL: the test's own), touching
 * anon_mib MiB on SIGUSR1; wait until it is ready. false (a failed
 * assertion, nothing left running) if it is not. */
bool hostile_start(struct bg *b, const struct hostile_tree *t, const char *memcg, long anon_mib);

/* Text safe for a terminal: valid UTF-8 without C0 controls (but newline,
 * and tab if tab_ok), DEL or C1 controls. false with the offset and byte
 * of the first offence in why. */
bool term_clean(const char *s, size_t n, bool tab_ok, char *why, size_t len);
#define ASSERT_TERM_CLEAN(s, n, what) ({                                      \
	char ___tcwhy[96];                                                      \
	bool ___tcok = term_clean(s, n, false, ___tcwhy, sizeof(___tcwhy));         \
	if (!ASSERT_TRUE(___tcok, what))                                        \
		test_log("%s: %s", what, ___tcwhy);                             \
	___tcok;                                                             \
})

/* A name as each output documents it (malloc'd, NUL-terminated):
 * text (core/fmt.h text_safe): bytes below 0x20, DEL, a backslash, C1
 *   characters and bytes that are not valid UTF-8 as "\xNN" ("\\" for a
 *   backslash), valid UTF-8 as it is;
 * JSON (core/json.h), decoded: each byte that is not valid UTF-8 becomes
 *   U+FFFD, the rest is the name's own bytes;
 * folded and SVG (out/flamegraph.h), a frame: ';' becomes ':', tab, CR
 *   and LF a space, each invalid byte and each C0/C1 control or DEL U+FFFD,
 *   leading and trailing white space dropped. */
char *term_text_form(const char *name);
char *term_json_form(const char *name);
char *term_frame_form(const char *name);

/* The names a test renders, freed together at its end. */
struct term_names {
	char *s[16];
	int n;
};
/* s, kept in b to be freed by term_names_free (s as it is past 16). */
char *term_keep(struct term_names *b, char *s);
void term_names_free(struct term_names *b);

#endif
