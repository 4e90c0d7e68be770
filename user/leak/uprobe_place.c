// SPDX-License-Identifier: GPL-2.0
/* Uprobe placement for the allocator functions (see uprobe_place.h).
 *
 * The instruction rules restate what arch/x86/kernel/uprobes.c does:
 * uprobe_init_insn() refuses ES/CS/SS/DS/LOCK prefixes and a list of
 * opcodes; branch_setup_xol_ops() emulates rel jmp/jcc/call and 0x90 (and
 * refuses them with a 0x66 prefix, 250bbd12c2fe); push_setup_xol_ops()
 * emulates push reg (4.15, e7ed9d9bd0375); everything else is single-
 * stepped. Capstone only tells us instruction lengths, names and what they
 * write; the bytes that decide emulation are re-read here the way the
 * kernel's decoder sees them. */
#include <capstone/capstone.h>
#ifdef MEMSCOPE_CAPSTONE_DLOPEN
#include <dlfcn.h>
#endif
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "syms/elfsym.h"
#include "leak/uprobe_place.h"

/* Capstone's tables hold thousands of pointers: in a dynamic build the
 * loader relocates them at start-up and ~3 MiB of them stay resident for
 * the process's life, though only leak's set-up disassembles anything. So
 * dynamic builds open the library when it is first needed and close it
 * again in uprobe_place_release(); static builds (no relocation at run
 * time) call it directly. */
#ifdef MEMSCOPE_CAPSTONE_DLOPEN
static struct {
	void *lib;
	cs_err (*open)(cs_arch, cs_mode, csh *);
	cs_err (*option)(csh, cs_opt_type, size_t);
	cs_insn *(*malloc)(csh);
	bool (*disasm_iter)(csh, const uint8_t **, size_t *, uint64_t *, cs_insn *);
	void (*free)(cs_insn *, size_t);
	cs_err (*close)(csh *);
} cs_dl;

static cs_err dl_cs_open(cs_arch arch, cs_mode mode, csh *h)
{
	static const char *const names[] = { "libcapstone.so.4", "libcapstone.so.5",
					     "libcapstone.so" };

	for (size_t i = 0; !cs_dl.lib && i < sizeof(names) / sizeof(names[0]); i++)
		cs_dl.lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!cs_dl.lib)
		return CS_ERR_MEM;
	if (!cs_dl.open) {
		*(void **)&cs_dl.open = dlsym(cs_dl.lib, "cs_open");
		*(void **)&cs_dl.option = dlsym(cs_dl.lib, "cs_option");
		*(void **)&cs_dl.malloc = dlsym(cs_dl.lib, "cs_malloc");
		*(void **)&cs_dl.disasm_iter = dlsym(cs_dl.lib, "cs_disasm_iter");
		*(void **)&cs_dl.free = dlsym(cs_dl.lib, "cs_free");
		*(void **)&cs_dl.close = dlsym(cs_dl.lib, "cs_close");
		if (!cs_dl.open || !cs_dl.option || !cs_dl.malloc || !cs_dl.disasm_iter ||
		    !cs_dl.free || !cs_dl.close) {
			dlclose(cs_dl.lib);
			memset(&cs_dl, 0, sizeof(cs_dl));
			return CS_ERR_MEM;
		}
	}
	return cs_dl.open(arch, mode, h);
}

#define cs_open dl_cs_open
#define cs_option cs_dl.option
#define cs_malloc cs_dl.malloc
#define cs_disasm_iter cs_dl.disasm_iter
#define cs_free cs_dl.free
#define cs_close cs_dl.close

void uprobe_place_release(void)
{
	if (cs_dl.lib)
		dlclose(cs_dl.lib);
	memset(&cs_dl, 0, sizeof(cs_dl));
}
#else
void uprobe_place_release(void)
{
}
#endif

static const char *const fn_names[AF_NR] = {
	[AF_MALLOC] = "malloc",
	[AF_CALLOC] = "calloc",
	[AF_REALLOC] = "realloc",
	[AF_REALLOCARRAY] = "reallocarray",
	[AF_POSIX_MEMALIGN] = "posix_memalign",
	[AF_MEMALIGN] = "memalign",
	[AF_ALIGNED_ALLOC] = "aligned_alloc",
	[AF_VALLOC] = "valloc",
	[AF_PVALLOC] = "pvalloc",
	[AF_FREE] = "free",
	[AF_MMAP] = "mmap",
	[AF_MUNMAP] = "munmap",
	[AF_MREMAP] = "mremap",
};

const char *alloc_fn_name(enum alloc_fn fn)
{
	return (unsigned int)fn < AF_NR ? fn_names[fn] : "?";
}

/* ---- one instruction ----------------------------------------------------- */

/* Prefixes, REX and opcode of an instruction, as the kernel's decoder
 * splits them (capstone keeps one prefix per group and hides repeats). */
struct raw_insn {
	int nprefix;		/* legacy prefixes */
	bool bad_prefix;	/* ES CS SS DS LOCK: is_prefix_bad() */
	bool lock;
	bool opsize;		/* 0x66 */
	uint8_t rex;		/* 0: none */
	int op, op2;		/* opcode byte(s) after the prefixes; -1: none */
};

static void raw_decode(const uint8_t *b, size_t len, struct raw_insn *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->op = r->op2 = -1;
	for (i = 0; i < len; i++, r->nprefix++) {
		uint8_t c = b[i];

		if (c == 0xf0 || c == 0x26 || c == 0x2e || c == 0x36 || c == 0x3e) {
			r->bad_prefix = true;
			r->lock |= c == 0xf0;
		} else if (c == 0x66) {
			r->opsize = true;
		} else if (c != 0x64 && c != 0x65 && c != 0x67 && c != 0xf2 && c != 0xf3) {
			break;
		}
	}
	if (i < len && (b[i] & 0xf0) == 0x40)
		r->rex = b[i++];
	if (i < len)
		r->op = b[i];
	if (r->op == 0x0f && i + 1 < len)
		r->op2 = b[i + 1];
}

static bool is_rel_branch(const struct raw_insn *r)
{
	return r->op == 0xeb || r->op == 0xe9 || r->op == 0xe8 ||
	       (r->op >= 0x70 && r->op <= 0x7f) ||
	       (r->op == 0x0f && r->op2 >= 0x80 && r->op2 <= 0x8f);
}

/* Opcodes uprobe_init_insn() refuses that capstone decodes in 64-bit mode:
 * EVEX, ins/outs, in/out, int3/int/into/iret, int1, hlt, cli/sti; and of the
 * two-byte ones system instructions, syscall/sysenter, ud2, the group-15
 * fences and xsave family (0f ae) and vmread/vmwrite. Opcodes invalid in
 * 64-bit mode never decode and are refused as undecodable. */
static bool kernel_refuses(const struct raw_insn *r)
{
	switch (r->op) {
	case 0x62:
	case 0x6c ... 0x6f:
	case 0xcc ... 0xcf:
	case 0xe4 ... 0xe7:
	case 0xec ... 0xef:
	case 0xf1:
	case 0xf4:
	case 0xfa:
	case 0xfb:
		return true;
	case 0x0f:
		switch (r->op2) {
		case 0x00 ... 0x01:
		case 0x05 ... 0x09:
		case 0x0b:
		case 0x30:
		case 0x34 ... 0x35:
		case 0x37:
		case 0x78 ... 0x79:
		case 0xae:
			return true;
		}
		return false;
	}
	return false;
}

enum insn_class {
	IC_EMULATED,	/* emulated by every kernel since 4.15: cheap */
	IC_STEPPED,	/* accepted, single-stepped at least on some kernels */
	IC_REFUSED,	/* attach fails, or the kernel runs it wrongly */
};

static enum insn_class classify(const struct raw_insn *r, size_t size, const char **why)
{
	if (r->bad_prefix) {
		*why = "refused by the kernel: ES/CS/SS/DS segment or LOCK prefix";
		return IC_REFUSED;
	}
	if (kernel_refuses(r)) {
		*why = "refused by the kernel: trap, system or I/O instruction";
		return IC_REFUSED;
	}
	if (r->op == 0x90) {
		/* With REX.B this is xchg %eax,%r8d; kernels through 6.18
		 * take any prefixed 0x90 for a nop and skip it (fixed in
		 * 6.19 by insn_is_nop()). */
		if (r->rex & 1) {
			*why = "not probed: 41 90 is xchg, which kernels up to 6.18 emulate as a nop";
			return IC_REFUSED;
		}
		/* A prefixed nop (66 90) is refused by 6.1 before
		 * cefa72129e45 and emulated after it: not counted on. */
		return r->nprefix || r->rex ? IC_STEPPED : IC_EMULATED;
	}
	if (is_rel_branch(r)) {
		if (r->opsize) {
			*why = "refused by the kernel: word-sized (0x66) branch";
			return IC_REFUSED;
		}
		return IC_EMULATED;
	}
	/* push_setup_xol_ops(): one byte, or exactly REX.B for r8-r15. */
	if (r->op >= 0x50 && r->op <= 0x57 && !r->nprefix &&
	    ((size == 1 && !r->rex) || (size == 2 && r->rex == 0x41)))
		return IC_EMULATED;
	return IC_STEPPED;
}

/* Can the probe move past this instruction? Only if running it first
 * changes nothing a probe reads: flags may change, nothing else. Checked
 * twice: a short list of instructions, and capstone's write sets. */
static bool side_effect_free(const cs_insn *in, const struct raw_insn *r)
{
	const cs_detail *d = in->detail;
	int i;

	switch (in->id) {
	case X86_INS_TEST:
	case X86_INS_CMP:
	case X86_INS_NOP:
	case X86_INS_PAUSE:
	case X86_INS_ENDBR64:
	case X86_INS_ENDBR32:
		break;
	default:
		return false;
	}
	if (r->lock)	/* lock on test/cmp/nop raises #UD */
		return false;
	for (i = 0; i < d->regs_write_count; i++)
		if (d->regs_write[i] != X86_REG_EFLAGS)
			return false;
	for (i = 0; i < d->x86.op_count; i++)
		if (d->x86.operands[i].access & CS_AC_WRITE)
			return false;
	return true;
}

static void insn_text(const cs_insn *in, char *buf, size_t len)
{
	snprintf(buf, len, in->op_str[0] ? "%s %s" : "%s", in->mnemonic, in->op_str);
}

/* An entry block longer than this of tests and nops does not happen. */
#define MAX_SKIPPED_INSNS 32

int uprobe_choose_offset(const uint8_t *code, size_t len, struct probe_site *out)
{
	const char *refusal = NULL;
	const uint8_t *p = code;
	char fb_text[sizeof(out->insn)] = "";
	size_t left = len;
	uint64_t addr = 0;
	int fallback = -1, n, ret;
	cs_insn *in;
	csh h;

	out->offset = -1;
	out->emulated = false;
	out->ret_ok = false;
	out->insn[0] = 0;
	out->why = "no code to probe";
	if (!code || !len)
		return -EINVAL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in) {
		cs_close(&h);
		return -ENOMEM;
	}

	for (n = 0; n < MAX_SKIPPED_INSNS && left; n++) {
		const char *why = NULL;
		struct raw_insn r;
		enum insn_class cls;

		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			if (!n)
				refusal = "not probed: undecodable bytes at the entry";
			break;
		}
		raw_decode(in->bytes, in->size, &r);
		cls = classify(&r, in->size, &why);
		if (cls == IC_EMULATED) {
			out->offset = (int)in->address;
			out->emulated = true;
			insn_text(in, out->insn, sizeof(out->insn));
			out->why = n ? "first emulated instruction, after side-effect-free ones" :
				       "the entry instruction is emulated";
			goto done;
		}
		/* Everything before here left registers, stack and memory
		 * as they were at entry: a single-stepped probe anywhere up
		 * to here sees the same, so take the first one accepted. */
		if (cls == IC_STEPPED && fallback < 0) {
			fallback = (int)in->address;
			insn_text(in, fb_text, sizeof(fb_text));
		} else if (cls == IC_REFUSED && !refusal) {
			refusal = why;
		}
		if (!side_effect_free(in, &r))
			break;
	}
	if (fallback >= 0) {
		out->offset = fallback;
		snprintf(out->insn, sizeof(out->insn), "%s", fb_text);
		out->why = fallback ? "no emulated instruction before the first side effect, "
				      "entry refused: first accepted one (single-stepped)" :
				      "no emulated instruction before the first side effect: "
				      "entry (single-stepped)";
	} else {
		out->why = refusal ? refusal : "not probed: no instruction at the entry";
	}
done:
	ret = out->offset >= 0 ? out->offset : -EINVAL;
	/* Only instructions that write no register but flags were passed,
	 * so rsp still points at the return address. */
	out->ret_ok = ret >= 0;
	cs_free(in, 1);
	cs_close(&h);
	return ret;
}

int uprobe_branch_into(const uint8_t *code, size_t len, int lo, int hi)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t addr = 0;
	int64_t best = -1;
	cs_insn *in;
	csh h;

	if (!code || hi <= lo || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -1;
	in = cs_malloc(h);
	while (in && left) {
		struct raw_insn r;
		int64_t rel, target;
		const uint8_t *b;

		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			/* Data or padding in the middle: resynchronize. */
			p++;
			left--;
			addr++;
			continue;
		}
		b = in->bytes;
		raw_decode(b, in->size, &r);
		if (r.opsize)
			continue;
		if (r.op == 0xeb || (r.op >= 0x70 && r.op <= 0x7f) || (r.op >= 0xe0 && r.op <= 0xe3))
			rel = (int8_t)b[in->size - 1];
		else if (is_rel_branch(&r) && in->size >= 5)
			rel = (int32_t)((uint32_t)b[in->size - 4] | (uint32_t)b[in->size - 3] << 8 |
					(uint32_t)b[in->size - 2] << 16 | (uint32_t)b[in->size - 1] << 24);
		else
			continue;
		target = (int64_t)in->address + in->size + rel;
		if (target > lo && target <= hi && (best < 0 || target < best))
			best = target;
	}
	cs_free(in, 1);
	cs_close(&h);
	return (int)best;
}

/* ---- one object ------------------------------------------------------------ */

/* Bytes given to the chooser when a symbol has no size. */
#define ENTRY_BYTES 64
/* The branch scan reads at most this much of a function. */
#define MAX_BODY_BYTES (256 << 10)

static void plan_one(struct elf_file *ef, bool x86, const struct elf_func *fn,
		     struct probe_site *s)
{
	const uint8_t *code;
	size_t size;
	int off, target;

	s->found = true;
	s->entry = fn->offset;
	if (fn->ifunc) {
		s->why = "not probed: an IFUNC symbol is its resolver, not the function";
		return;
	}
	if (!x86) {
		s->offset = 0;
		s->ret_ok = true;
		s->why = "entry: placement rules exist for x86-64 only";
		return;
	}
	size = fn->size ? (fn->size < MAX_BODY_BYTES ? fn->size : MAX_BODY_BYTES) : ENTRY_BYTES;
	code = elf_file_bytes(ef, fn->offset, &size);
	if (!code) {
		s->why = "not probed: the function's bytes are not in the file";
		return;
	}
	off = uprobe_choose_offset(code, size, s);
	/* Without a size the body is unknown: nothing to scan. */
	if (off <= 0 || !fn->size)
		return;
	target = uprobe_branch_into(code, size, 0, off);
	/* Choose again among the instructions before the target. */
	if (target > 0 && uprobe_choose_offset(code, target, s) >= 0)
		s->why = "a branch inside the function lands in the skipped bytes: probe kept before it";
}

int uprobe_plan(const char *path, const char *prefix, struct probe_site sites[AF_NR])
{
	struct elf_func fn[AF_NR];
	struct elf_file *ef;
	bool x86;
	int i, j, n;

	for (i = 0; i < AF_NR; i++)
		sites[i] = (struct probe_site){
			.offset = -1,
			.alias_of = -1,
			.why = "not defined",
		};
	ef = elf_file_open(path);
	if (!ef)
		return -errno;
	n = elf_file_find_funcs(ef, prefix, fn_names, AF_NR, 0, fn);
	if (n < 0)
		goto out;
	x86 = elf_file_machine(ef) == EM_X86_64 && elf_file_class(ef) == ELFCLASS64;
	for (i = 0; i < AF_NR; i++)
		if (fn[i].found)
			plan_one(ef, x86, &fn[i], &sites[i]);
	for (i = 0; i < AF_NR; i++) {
		for (j = 0; j < i && sites[i].found; j++) {
			if (sites[j].found && sites[j].entry == sites[i].entry) {
				sites[i].alias_of = j;
				break;
			}
		}
	}
out:
	elf_file_close(ef);
	return n;
}
