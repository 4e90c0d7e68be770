// SPDX-License-Identifier: GPL-2.0
/* Hostile names and the checks of their rendering (see term.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "harness.h"
#include "scratch.h"
#include "term.h"

/* Each directory level: this, padded with 'p' to 250 bytes. */
#define DIR_NAME "d\x1b]0;x\a\n\r\x7f\xff\xfe\xc0\xaf\x80\xc2\x9b; y"
#define EXE_NAME "h\x1b[31m\a\n\r\xff;x y"
#define LIB_NAME "lib\\\x1b]2;t\a\n\r\x7f\xff\xc0\xaf\x80\xc2\x9b; z.so"
#define FILE_NAME "f\x1b[2J\a\n\r\x7f\xff\xc0\xaf\xc2\x9b; w"
/* Room left after the directories for the longest last component. */
#define NAME_ROOM 64

static bool copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
	ssize_t n = -1;

	if (in >= 0)
		out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			n = -1;
			break;
		}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		n = -1;
	return out >= 0 && n == 0;
}

bool hostile_tree_make(struct hostile_tree *t, int file_mib)
{
	char *dir = scratch_mkdtemp("term");
	size_t prefix = strlen(DIR_NAME);

	memset(t, 0, sizeof(*t));
	if (!dir)
		test_skip("no block-backed file system for the page-cache views");
	snprintf(t->root, sizeof(t->root), "%s", dir);
	snprintf(t->deep, sizeof(t->deep), "%s", dir);
	/* Levels of up to 250 bytes (NAME_MAX is 255) until the longest
	 * path comes close to PATH_MAX, the most the kernel can name. */
	for (;;) {
		size_t have = strlen(t->deep), room = PATH_MAX - 1 - NAME_ROOM - have - 1, n;

		if (have + 1 + prefix + NAME_ROOM >= PATH_MAX - 1)
			break;
		n = room < 250 ? room : 250;
		t->deep[have++] = '/';
		memcpy(t->deep + have, DIR_NAME, prefix);
		memset(t->deep + have + prefix, 'p', n - prefix);
		t->deep[have + n] = 0;
		if (!ASSERT_OK(mkdir(t->deep, 0755) ? -errno : 0, "make a hostile directory"))
			return false;
	}
	snprintf(t->exe, sizeof(t->exe), "%s/%s", t->deep, EXE_NAME);
	snprintf(t->lib, sizeof(t->lib), "%s/%s", t->deep, LIB_NAME);
	snprintf(t->file, sizeof(t->file), "%s/%s", t->deep, FILE_NAME);
	t->exe_name = EXE_NAME;
	t->lib_name = LIB_NAME;
	t->file_name = FILE_NAME;
	test_log("hostile paths of %zu to %zu bytes", strlen(t->exe), strlen(t->lib));
	if (!ASSERT_TRUE(copy_file(bin_path("tests/workloads/hostile"), t->exe),
			 "copy the workload under a hostile name") ||
	    !ASSERT_TRUE(copy_file(bin_path("tests/workloads/libhostile.so"), t->lib),
			 "copy its library under a hostile name"))
		return false;
	return !file_mib || scratch_make_file(t->file, file_mib);
}

void hostile_tree_remove(struct hostile_tree *t)
{
	if (t->root[0])
		rm_tree(t->root);
	t->root[0] = 0;
}

bool hostile_start(struct bg *b, const struct hostile_tree *t, const char *memcg, long anon_mib)
{
	char mib[24], *argv[] = { (char *)t->exe, "-n", TERM_COMM, "-l", (char *)t->lib, "-f",
				  (char *)t->file, "-a", mib, NULL };
	struct run_opts o = { .memcg = memcg };

	snprintf(mib, sizeof(mib), "%ld", anon_mib);
	if (!ASSERT_OK(bg_start(b, argv, &o), "start the hostile workload"))
		return false;
	if (ASSERT_TRUE(bg_wait_out(b, "ready", NULL, 60000), "the hostile workload is ready"))
		return true;
	test_log("its stderr: %.300s", b->err ? b->err : "");
	bg_free(b);
	return false;
}

/* Length of the valid UTF-8 sequence at s (n bytes), its code point in
 * *cp; 0 if not valid (overlong forms, surrogates, past U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
		     (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	uint32_t c;

	if (!len || len > n)
		return 0;
	c = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[len] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

bool term_clean(const char *str, size_t n, bool tab_ok, char *why, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		if (!(l = utf8_len(s + i, n - i, &cp))) {
			snprintf(why, len, "invalid UTF-8 at byte %zu (0x%02x)", i, s[i]);
			return false;
		}
		if ((cp < 0x20 && cp != '\n' && !(tab_ok && cp == '\t')) || (cp >= 0x7f && cp <= 0x9f)) {
			snprintf(why, len, "control U+%04X at byte %zu: \"%.40s\"", cp, i,
				 str + (i > 20 ? i - 20 : 0));
			return false;
		}
		i += l;
	}
	return true;
}

/* Room for the worst case of each form: 4 bytes out per byte in. */
static char *form_buf(const char *name)
{
	char *b = malloc(4 * strlen(name) + 1);

	if (!b)
		abort();
	return b;
}

char *term_text_form(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i = 0, o = 0, l;
	char *b = form_buf(name);
	uint32_t cp;

	while (i < n) {
		l = utf8_len(s + i, n - i, &cp);
		if (s[i] == '\\') {
			o += sprintf(b + o, "\\\\");
			i++;
		} else if (!l || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			o += sprintf(b + o, "\\x%02x", s[i]);
			i++;
		} else {
			memcpy(b + o, s + i, l);
			o += l;
			i += l;
		}
	}
	b[o] = 0;
	return b;
}

char *term_json_form(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i = 0, o = 0, l;
	char *b = form_buf(name);
	uint32_t cp;

	while (i < n) {
		if (!(l = utf8_len(s + i, n - i, &cp))) {
			o += sprintf(b + o, "\xef\xbf\xbd");
			i++;
		} else {
			memcpy(b + o, s + i, l);
			o += l;
			i += l;
		}
	}
	b[o] = 0;
	return b;
}

char *term_frame_form(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i = 0, o = 0, l;
	char *b = form_buf(name);
	uint32_t cp;

	while (n && strchr(" \t\n\r\v\f", s[n - 1]))
		n--;
	while (i < n && strchr(" \t\n\r\v\f", s[i]))
		i++;
	while (i < n) {
		l = utf8_len(s + i, n - i, &cp);
		if (s[i] == ';') {
			b[o++] = ':';
			i++;
		} else if (strchr(" \t\n\r\v\f", s[i])) {
			b[o++] = ' ';
			i++;
		} else if (!l || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			o += sprintf(b + o, "\xef\xbf\xbd");
			i += l ? l : 1;
		} else {
			memcpy(b + o, s + i, l);
			o += l;
			i += l;
		}
	}
	b[o] = 0;
	return b;
}

char *term_keep(struct term_names *b, char *s)
{
	if (s && b->n < (int)(sizeof(b->s) / sizeof(b->s[0])))
		b->s[b->n++] = s;
	return s;
}

void term_names_free(struct term_names *b)
{
	while (b->n > 0)
		free(b->s[--b->n]);
}
