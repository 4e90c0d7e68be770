// SPDX-License-Identifier: GPL-2.0
/* Folded stacks (see flamegraph.h): canonical names interned in a string
 * pool, so comparing frames is mostly a pointer test; stacks sorted frame
 * by frame and equal ones merged. The SVG writer builds on the same list. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "out/flamegraph.h"

#define UNKNOWN_FRAME "[unknown]"
#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

/* Characters we pass through: what XML 1.0 allows, minus the C0/C1 control
 * characters (legal in XML but shown as garbage, and a newline would end a
 * folded line) and the noncharacters U+FFFE/U+FFFF that XML forbids. */
static bool char_ok(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return false;
	if (c >= 0xd800 && c <= 0xdfff)
		return false;
	return c != 0xfffe && c != 0xffff;
}

static bool ascii_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

const char *fg_canon(const char *name, char *buf, bool frame)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n, i = 0, o = 0, len;
	uint32_t cp;

	if (!name) {
		buf[0] = 0;
		return frame ? UNKNOWN_FRAME : buf;
	}
	n = strlen(name);
	/* A trailing space would run into the " VALUE" of a folded line. */
	while (frame && n && ascii_space(s[n - 1]))
		n--;
	while (frame && i < n && ascii_space(s[i]))
		i++;
	while (i < n) {
		unsigned char c = s[i];

		if (c == ';' && frame) {
			buf[o++] = ':';
			i++;
		} else if (ascii_space(c)) {
			buf[o++] = ' ';
			i++;
		} else if (!(len = utf8_decode(s + i, n - i, &cp)) || !char_ok(cp)) {
			/* One replacement per bad byte (as the JSON writer
			 * does) or per unwanted character. */
			memcpy(buf + o, REPLACEMENT, 3);
			o += 3;
			i += len ? len : 1;
		} else {
			memcpy(buf + o, s + i, len);
			o += len;
			i += len;
		}
	}
	buf[o] = 0;
	return o || !frame ? buf : UNKNOWN_FRAME;
}

/* Frame by frame, a stack before the stacks it is a prefix of: the order of
 * a depth-first walk of the tree, which the SVG writer relies on. */
static int ent_cmp(const void *pa, const void *pb)
{
	const struct fg_ent *a = pa, *b = pb;
	int i, r;

	for (i = 0; i < a->n && i < b->n; i++) {
		if (a->fr[i] == b->fr[i])
			continue;
		r = strcmp(a->fr[i], b->fr[i]);
		if (r)
			return r;
	}
	return (a->n > b->n) - (a->n < b->n);
}

void fg_prep_free(struct fg_prep *p)
{
	strpool_free(&p->names);
	free(p->frames);
	free(p->ents);
	memset(p, 0, sizeof(*p));
}

int fg_prep_build(struct fg_prep *p, const struct fg_stack *s, size_t n)
{
	static const char *const unknown[] = { UNKNOWN_FRAME };
	size_t bufsz = 0, i, o, total_frames = 0;
	char *buf = NULL;
	int err = -ENOMEM;

	memset(p, 0, sizeof(*p));
	strpool_init(&p->names);
	if (n && !s)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i].nframes < 0 || (s[i].nframes && !s[i].frames))
			return -EINVAL;
		total_frames += s[i].nframes ? s[i].nframes : 1;
	}
	if (n && (!(p->ents = calloc(n, sizeof(*p->ents))) ||
		  !(p->frames = calloc(total_frames, sizeof(*p->frames)))))
		goto out;

	for (i = 0; i < n; i++) {
		const char *const *frames = s[i].nframes ? s[i].frames : unknown;
		int nfr = s[i].nframes ? s[i].nframes : 1, k;
		struct fg_ent *e = &p->ents[p->nents];

		if (!s[i].value)
			continue;
		e->fr = p->frames + p->nframes;
		for (k = 0; k < nfr; k++) {
			size_t need = frames[k] ? 3 * strlen(frames[k]) + 1 : 1;

			if (need > bufsz) {
				char *nb = realloc(buf, need);

				if (!nb)
					goto out;
				buf = nb;
				bufsz = need;
			}
			e->fr[k] = strpool_str(&p->names, fg_canon(frames[k], buf, true));
			if (!e->fr[k])
				goto out;
		}
		e->n = nfr;
		e->v = s[i].value;
		p->nframes += nfr;
		p->nents++;
	}

	if (p->nents > 1)
		qsort(p->ents, p->nents, sizeof(*p->ents), ent_cmp);
	for (i = 0, o = 0; i < p->nents; i++) {
		if (o && !ent_cmp(&p->ents[o - 1], &p->ents[i])) {
			p->ents[o - 1].v = fg_sat_add(p->ents[o - 1].v, p->ents[i].v);
			continue;
		}
		p->ents[o++] = p->ents[i];
	}
	p->nents = o;
	for (i = 0; i < p->nents; i++) {
		p->total = fg_sat_add(p->total, p->ents[i].v);
		if (p->ents[i].n > p->max_frames)
			p->max_frames = p->ents[i].n;
	}
	err = 0;
out:
	free(buf);
	if (err)
		fg_prep_free(p);
	return err;
}

int fg_write_folded(FILE *f, const struct fg_stack *s, size_t n)
{
	struct fg_prep p;
	size_t i;
	int err, k;

	if (!f)
		return -EINVAL;
	err = fg_prep_build(&p, s, n);
	if (err)
		return err;
	for (i = 0; i < p.nents; i++) {
		for (k = 0; k < p.ents[i].n; k++) {
			if (k)
				fputc(';', f);
			fputs(p.ents[i].fr[k], f);
		}
		fprintf(f, " %" PRIu64 "\n", p.ents[i].v);
	}
	fg_prep_free(&p);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
