// SPDX-License-Identifier: GPL-2.0
/* The flame-graph writers (out/flamegraph.c, out/flamegraph_svg.c) on
 * hostile frame names: every frame name comes from a process's symbols or
 * its own mappings, the title and subtitle from its command line.
 *
 * Input: data[0] options (bits 0-1 the width, 2-3 the unit, 4 a title, 5 a
 * subtitle), then NUL-separated tokens: the title, subtitle and unit where
 * the options ask for them, then stacks, each a value token (its first
 * byte, 0xfe and 0xff the largest values) and its frames, ended by an
 * empty token.
 *
 * Checked with code of the harness's own: the folded output is valid
 * UTF-8 without control bytes, one "f1;f2;... VALUE" line per distinct
 * stack, no frame empty or with white space at its ends, as many frames on
 * a line as in an input stack (a ';' or newline in a name adds none), no
 * more lines of a frame count than input stacks of that count, and the
 * values add up to the inputs' total; the SVG is well-formed XML
 * (tests/lib/xmlp.c, which checks UTF-8, characters, nesting and escapes)
 * with no control byte but newline. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "out/flamegraph.h"
#include "out/flamegraph_svg.h"
#include "../lib/xmlp.c"

#define MAX_STACKS 128
#define MAX_FRAMES 64

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF) with no C0 control byte or DEL but newline. */
static bool text_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, len, k;
	uint32_t c;

	while (i < n) {
		unsigned char b = s[i];

		if (b < 0x80) {
			if ((b < 0x20 && b != '\n') || b == 0x7f)
				return false;
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			len = 2, c = b & 0x1f;
		else if (b >= 0xe0 && b <= 0xef)
			len = 3, c = b & 0x0f;
		else if (b >= 0xf0 && b <= 0xf4)
			len = 4, c = b & 0x07;
		else
			return false;
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static void check_folded(const char *out, size_t len, const struct fg_stack *st, size_t n)
{
	unsigned have[MAX_FRAMES + 1] = { 0 }, got[MAX_FRAMES + 1] = { 0 };
	uint64_t want_total = 0, total = 0;
	size_t i;

	if (!text_ok((const unsigned char *)out, len))
		abort();	/* not UTF-8, or a control byte */
	for (i = 0; i < n; i++) {
		if (!st[i].value)
			continue;
		have[st[i].nframes ? st[i].nframes : 1]++;
		want_total = sat_add(want_total, st[i].value);
	}
	if (len && out[len - 1] != '\n')
		abort();	/* the last line unterminated */
	for (const char *l = out; l < out + len;) {
		const char *nl = memchr(l, '\n', out + len - l), *sp, *f;
		unsigned frames = 1;
		uint64_t v = 0;

		/* "frames VALUE": the value after the last space. */
		for (sp = nl; sp > l && sp[-1] != ' '; sp--)
			;
		if (sp == l || sp == nl || sp - 1 == l)
			abort();	/* no value, or no frames */
		for (const char *d = sp; d < nl; d++) {
			if (*d < '0' || *d > '9')
				abort();
			v = v * 10 + (uint64_t)(*d - '0');
		}
		if (!v)
			abort();	/* stacks of value 0 are left out */
		total = sat_add(total, v);
		for (f = l; ; f++) {
			const char *e = f;

			while (e < sp - 1 && *e != ';')
				e++;
			if (e == f || *f == ' ' || e[-1] == ' ')
				abort();	/* an empty frame, or space at its ends */
			if (e == sp - 1)
				break;
			frames++;
			f = e;
		}
		if (frames > MAX_FRAMES || ++got[frames] > have[frames])
			abort();	/* frames added (or lines): no input had as many */
		l = nl + 1;
	}
	for (i = 1; i <= MAX_FRAMES; i++)
		if (have[i] && !got[i])
			abort();	/* a stack lost, or frames lost from it */
	if (total != want_total)
		abort();
}

static void check_svg(const char *out, size_t len)
{
	char err[256];
	struct xel *root;

	if (!text_ok((const unsigned char *)out, len))
		abort();	/* not UTF-8, or a control byte */
	root = xml_parse(out, len, err, sizeof(err));
	if (!root) {
		fprintf(stderr, "SVG not well-formed: %s\n", err);
		abort();
	}
	if (strcmp(root->name, "svg"))
		abort();
	xel_free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int widths[] = { 0, 400, 1200, 100000 };
	static const char *const units[] = { NULL, "B", "pages", NULL };
	static const char *frames[MAX_STACKS * MAX_FRAMES];
	struct fg_stack st[MAX_STACKS];
	struct fg_svg_opts o = { 0 };
	char *s, *p, *end, *buf = NULL;
	size_t n = 0, nfr = 0, len = 0;
	unsigned opt;
	FILE *f;
	int err;

	if (size < 1)
		return 0;
	opt = data[0];
	s = fuzz_str(data + 1, size - 1);
	p = s;
	end = s + size - 1;
	o.width = widths[opt & 3];
	o.unit = units[opt >> 2 & 3];
	/* The header tokens, where asked for. */
	if (opt & 0x10 && p < end) {
		o.title = p;
		p += strlen(p) + 1;
	}
	if (opt & 0x20 && p < end) {
		o.subtitle = p;
		p += strlen(p) + 1;
	}
	if ((opt >> 2 & 3) == 3 && p < end) {
		o.unit = p;
		p += strlen(p) + 1;
	}
	while (p < end && n < MAX_STACKS) {
		unsigned char b = *p;
		struct fg_stack *x = &st[n++];

		x->value = b == 0xff ? UINT64_MAX : b == 0xfe ? (uint64_t)1 << 63 : b;
		x->frames = frames + nfr;
		x->nframes = 0;
		p += strlen(p) + 1;
		while (p < end && *p) {
			if (x->nframes < MAX_FRAMES)
				frames[nfr + x->nframes++] = p;
			p += strlen(p) + 1;
		}
		nfr += x->nframes;
		p++;	/* the empty token */
	}

	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	err = fg_write_folded(f, st, n);
	fclose(f);
	if (err)
		abort();
	check_folded(buf, len, st, n);
	free(buf);

	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	err = fg_write_svg(f, st, n, &o);
	fclose(f);
	if (err)
		abort();
	check_svg(buf, len);
	free(buf);
	free(s);
	return 0;
}
