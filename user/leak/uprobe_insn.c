// SPDX-License-Identifier: GPL-2.0
/* Uprobe placement, one instruction at a time: where in a function's first
 * bytes a probe is cheap and right (uprobe_choose_offset(), and
 * uprobe_branch_into(); see uprobe_place.h).
 *
 * The instruction rules restate what arch/x86/kernel/uprobes.c does:
 * uprobe_init_insn() refuses ES/CS/SS/DS/LOCK prefixes and a list of
 * opcodes; branch_setup_xol_ops() emulates rel jmp/jcc/call and 0x90 (and
 * refuses them with a 0x66 prefix, 250bbd12c2fe); push_setup_xol_ops()
 * emulates push reg (4.15, e7ed9d9bd0375); everything else is single-
 * stepped. Capstone only tells us instruction lengths, names, operands and
 * what they write; the bytes that decide emulation are re-read here the way
 * the kernel's decoder sees them. */
#include <capstone/capstone.h>
#ifdef MEMSCOPE_CAPSTONE_DLOPEN
#include <dlfcn.h>
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

/* ---- one instruction ----------------------------------------------------- */

/* Prefixes, REX and opcode of an instruction, as the kernel's decoder
 * splits them (capstone keeps one prefix per group and hides repeats). */
struct raw_insn {
	int nprefix;		/* legacy prefixes */
	bool bad_prefix;	/* ES CS SS DS LOCK: is_prefix_bad() */
	bool lock;
	bool rep;		/* 0xf2, 0xf3 */
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
		} else if (c == 0xf2 || c == 0xf3) {
			r->rep = true;
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

/* The general register reg is, or is part of, as an enum uprobe_reg bit;
 * 0 for any other register (segment, rip, vector, control, ...). */
static unsigned gpr_bit(x86_reg reg)
{
	switch (reg) {
	case X86_REG_RAX: case X86_REG_EAX: case X86_REG_AX: case X86_REG_AL: case X86_REG_AH:
		return UREG_RAX;
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH:
		return UREG_RCX;
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH:
		return UREG_RDX;
	case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX: case X86_REG_BL: case X86_REG_BH:
		return UREG_RBX;
	case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL:
		return UREG_RSP;
	case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP: case X86_REG_BPL:
		return UREG_RBP;
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
		return UREG_RSI;
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
		return UREG_RDI;
	case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
		return UREG_R8;
	case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
		return UREG_R9;
	case X86_REG_R10: case X86_REG_R10D: case X86_REG_R10W: case X86_REG_R10B:
		return UREG_R10;
	case X86_REG_R11: case X86_REG_R11D: case X86_REG_R11W: case X86_REG_R11B:
		return UREG_R11;
	case X86_REG_R12: case X86_REG_R12D: case X86_REG_R12W: case X86_REG_R12B:
		return UREG_R12;
	case X86_REG_R13: case X86_REG_R13D: case X86_REG_R13W: case X86_REG_R13B:
		return UREG_R13;
	case X86_REG_R14: case X86_REG_R14D: case X86_REG_R14W: case X86_REG_R14B:
		return UREG_R14;
	case X86_REG_R15: case X86_REG_R15D: case X86_REG_R15W: case X86_REG_R15B:
		return UREG_R15;
	default:
		return 0;
	}
}

/* Can the probe move past this instruction although it writes a register?
 * Only if that register is none the probe reads (reads, rsp always among
 * them), and nothing else changes but flags: a short list of integer
 * instructions whose first operand is their only destination, that
 * destination a general register, no memory written, no segment register
 * read or written (a load through fs/gs is an ordinary load), no prefix
 * but operand/address size and fs/gs. What capstone says they write
 * implicitly is checked as well. Loads may read any memory: they run
 * before the probe as they would after it. */
static bool writes_unread_regs(const cs_insn *in, const struct raw_insn *r, unsigned reads)
{
	const cs_detail *d = in->detail;
	const cs_x86 *x = &d->x86;
	int i;

	switch (in->id) {
	case X86_INS_MOV:
	case X86_INS_MOVABS:
	case X86_INS_MOVZX:
	case X86_INS_MOVSX:
	case X86_INS_MOVSXD:
	case X86_INS_LEA:
	case X86_INS_ADD:
	case X86_INS_ADC:
	case X86_INS_SUB:
	case X86_INS_SBB:
	case X86_INS_AND:
	case X86_INS_OR:
	case X86_INS_XOR:
	case X86_INS_NOT:
	case X86_INS_NEG:
	case X86_INS_INC:
	case X86_INS_DEC:
	case X86_INS_SHL:
	case X86_INS_SAL:
	case X86_INS_SHR:
	case X86_INS_SAR:
	case X86_INS_ROL:
	case X86_INS_ROR:
	case X86_INS_BSWAP:
		break;
	case X86_INS_IMUL:	/* one operand: rdx:rax, caught below anyway */
		if (x->op_count < 2)
			return false;
		break;
	default:
		return false;
	}
	reads |= UREG_RSP;
	if (r->bad_prefix || r->rep || x->op_count < 1)
		return false;
	/* The destination, whatever capstone says of its access. */
	if (x->operands[0].type != X86_OP_REG || !gpr_bit(x->operands[0].reg) ||
	    (gpr_bit(x->operands[0].reg) & reads))
		return false;
	for (i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];

		switch (op->type) {
		case X86_OP_REG:
			if (!gpr_bit(op->reg) || (i && (op->access & CS_AC_WRITE)))
				return false;
			break;
		case X86_OP_MEM:
			if (op->access & CS_AC_WRITE)
				return false;
			if (op->mem.segment != X86_REG_INVALID && op->mem.segment != X86_REG_FS &&
			    op->mem.segment != X86_REG_GS)
				return false;
			break;
		case X86_OP_IMM:
			break;
		default:
			return false;
		}
	}
	for (i = 0; i < d->regs_write_count; i++) {
		unsigned bit = gpr_bit(d->regs_write[i]);

		if (d->regs_write[i] != X86_REG_EFLAGS && (!bit || (bit & reads)))
			return false;
	}
	return true;
}

static void insn_text(const cs_insn *in, char *buf, size_t len)
{
	snprintf(buf, len, in->op_str[0] ? "%s %s" : "%s", in->mnemonic, in->op_str);
}

/* How far the probe may move: jemalloc's free() has its first emulated
 * instruction 11 instructions (48 bytes) in; more than this many is
 * another function's code path, not its entry. */
#define MAX_SKIPPED_INSNS 32

int uprobe_choose_offset(const uint8_t *code, size_t len, unsigned reads,
			 struct probe_site *out)
{
	const char *refusal = NULL;
	bool wrote = false;
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
			out->why = !n ? "the entry instruction is emulated" :
				   wrote ? "first emulated instruction, after instructions that "
					   "write only registers the probe does not read" :
					   "first emulated instruction, after side-effect-free ones";
			goto done;
		}
		/* Everything before here left what the probe reads (its
		 * registers, the stack, memory) as it was at entry: a
		 * single-stepped probe anywhere up to here sees the same,
		 * so take the first one accepted. */
		if (cls == IC_STEPPED && fallback < 0) {
			fallback = (int)in->address;
			insn_text(in, fb_text, sizeof(fb_text));
		} else if (cls == IC_REFUSED && !refusal) {
			refusal = why;
		}
		if (side_effect_free(in, &r))
			continue;
		if (!writes_unread_regs(in, &r, reads))
			break;
		wrote = true;
	}
	if (fallback >= 0) {
		out->offset = fallback;
		snprintf(out->insn, sizeof(out->insn), "%s", fb_text);
		out->why = fallback ? "no emulated instruction before the first one that must run "
				      "after the probe, entry refused: first accepted one "
				      "(single-stepped)" :
				      "no emulated instruction before the first one that must run "
				      "after the probe: entry (single-stepped)";
	} else {
		out->why = refusal ? refusal : "not probed: no instruction at the entry";
	}
done:
	ret = out->offset >= 0 ? out->offset : -EINVAL;
	/* No instruction passed wrote rsp or memory, so rsp still points at
	 * the return address. */
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
