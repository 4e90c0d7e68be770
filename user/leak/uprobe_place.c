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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

struct fn_info {
	const char *name;
	const char *cxx;	/* C++ meaning, for -v */
	unsigned char cls;	/* enum alloc_class */
	unsigned char group;	/* enum alloc_group */
};

#define JE(fn, name, cls) [AF_##fn] = { name, NULL, CLS_##cls, AG_JEMALLOC }
#define TC(fn, name, cls) [AF_##fn] = { name, NULL, CLS_##cls, AG_TCMALLOC }
#define CX(fn, name, what, cls) [AF_##fn] = { name, what, CLS_##cls, AG_CXX }

static const struct fn_info fns[AF_ALL_NR] = {
	[AF_MALLOC] = { "malloc", NULL, CLS_MALLOC, AG_C },
	[AF_CALLOC] = { "calloc", NULL, CLS_CALLOC, AG_C },
	[AF_REALLOC] = { "realloc", NULL, CLS_REALLOC, AG_C },
	[AF_REALLOCARRAY] = { "reallocarray", NULL, CLS_REALLOCARRAY, AG_C },
	[AF_POSIX_MEMALIGN] = { "posix_memalign", NULL, CLS_POSIX_MEMALIGN, AG_C },
	[AF_MEMALIGN] = { "memalign", NULL, CLS_MEMALIGN, AG_C },
	[AF_ALIGNED_ALLOC] = { "aligned_alloc", NULL, CLS_ALIGNED_ALLOC, AG_C },
	[AF_VALLOC] = { "valloc", NULL, CLS_VALLOC, AG_C },
	[AF_PVALLOC] = { "pvalloc", NULL, CLS_PVALLOC, AG_C },
	[AF_FREE] = { "free", NULL, CLS_FREE, AG_C },
	[AF_MMAP] = { "mmap", NULL, CLS_MMAP, AG_C },
	[AF_MUNMAP] = { "munmap", NULL, CLS_MUNMAP, AG_C },
	[AF_MREMAP] = { "mremap", NULL, CLS_MREMAP, AG_C },

	JE(MALLOCX, "mallocx", MALLOCX),
	JE(RALLOCX, "rallocx", RALLOCX),
	JE(XALLOCX, "xallocx", XALLOCX),
	JE(SDALLOCX, "sdallocx", FREE),
	JE(DALLOCX, "dallocx", FREE),

	TC(TC_MALLOC, "tc_malloc", MALLOC),
	TC(TC_MALLOC_SKIP_NEW_HANDLER, "tc_malloc_skip_new_handler", MALLOC),
	TC(TC_CALLOC, "tc_calloc", CALLOC),
	TC(TC_REALLOC, "tc_realloc", REALLOC),
	TC(TC_MEMALIGN, "tc_memalign", MEMALIGN),
	TC(TC_POSIX_MEMALIGN, "tc_posix_memalign", POSIX_MEMALIGN),
	TC(TC_VALLOC, "tc_valloc", VALLOC),
	TC(TC_PVALLOC, "tc_pvalloc", PVALLOC),
	TC(TC_FREE, "tc_free", FREE),
	TC(TC_CFREE, "tc_cfree", FREE),
	TC(TC_FREE_SIZED, "tc_free_sized", FREE),
	TC(TC_NEW, "tc_new", NEW),
	TC(TC_NEWARRAY, "tc_newarray", NEW_ARRAY),
	TC(TC_NEW_NOTHROW, "tc_new_nothrow", NEW),
	TC(TC_NEWARRAY_NOTHROW, "tc_newarray_nothrow", NEW_ARRAY),
	TC(TC_NEW_ALIGNED, "tc_new_aligned", NEW),
	TC(TC_NEWARRAY_ALIGNED, "tc_newarray_aligned", NEW_ARRAY),
	TC(TC_NEW_ALIGNED_NOTHROW, "tc_new_aligned_nothrow", NEW),
	TC(TC_NEWARRAY_ALIGNED_NOTHROW, "tc_newarray_aligned_nothrow", NEW_ARRAY),
	TC(TC_DELETE, "tc_delete", DELETE),
	TC(TC_DELETEARRAY, "tc_deletearray", DELETE),
	TC(TC_DELETE_SIZED, "tc_delete_sized", DELETE),
	TC(TC_DELETEARRAY_SIZED, "tc_deletearray_sized", DELETE),
	TC(TC_DELETE_NOTHROW, "tc_delete_nothrow", DELETE),
	TC(TC_DELETEARRAY_NOTHROW, "tc_deletearray_nothrow", DELETE),
	TC(TC_DELETE_ALIGNED, "tc_delete_aligned", DELETE),
	TC(TC_DELETEARRAY_ALIGNED, "tc_deletearray_aligned", DELETE),
	TC(TC_DELETE_SIZED_ALIGNED, "tc_delete_sized_aligned", DELETE),
	TC(TC_DELETEARRAY_SIZED_ALIGNED, "tc_deletearray_sized_aligned", DELETE),
	TC(TC_DELETE_ALIGNED_NOTHROW, "tc_delete_aligned_nothrow", DELETE),
	TC(TC_DELETEARRAY_ALIGNED_NOTHROW, "tc_deletearray_aligned_nothrow", DELETE),

	CX(NEW, "_Znwm", "operator new(size_t)", NEW),
	CX(NEW_ARRAY, "_Znam", "operator new[](size_t)", NEW_ARRAY),
	CX(NEW_NOTHROW, "_ZnwmRKSt9nothrow_t", "operator new(size_t, nothrow_t const&)", NEW),
	CX(NEW_ARRAY_NOTHROW, "_ZnamRKSt9nothrow_t", "operator new[](size_t, nothrow_t const&)",
	   NEW_ARRAY),
	CX(NEW_ALIGNED, "_ZnwmSt11align_val_t", "operator new(size_t, align_val_t)", NEW),
	CX(NEW_ARRAY_ALIGNED, "_ZnamSt11align_val_t", "operator new[](size_t, align_val_t)",
	   NEW_ARRAY),
	CX(NEW_ALIGNED_NOTHROW, "_ZnwmSt11align_val_tRKSt9nothrow_t",
	   "operator new(size_t, align_val_t, nothrow_t const&)", NEW),
	CX(NEW_ARRAY_ALIGNED_NOTHROW, "_ZnamSt11align_val_tRKSt9nothrow_t",
	   "operator new[](size_t, align_val_t, nothrow_t const&)", NEW_ARRAY),
	CX(DELETE, "_ZdlPv", "operator delete(void*)", DELETE),
	CX(DELETE_ARRAY, "_ZdaPv", "operator delete[](void*)", DELETE),
	CX(DELETE_SIZED, "_ZdlPvm", "operator delete(void*, size_t)", DELETE),
	CX(DELETE_ARRAY_SIZED, "_ZdaPvm", "operator delete[](void*, size_t)", DELETE),
	CX(DELETE_ALIGNED, "_ZdlPvSt11align_val_t", "operator delete(void*, align_val_t)", DELETE),
	CX(DELETE_ARRAY_ALIGNED, "_ZdaPvSt11align_val_t", "operator delete[](void*, align_val_t)",
	   DELETE),
	CX(DELETE_SIZED_ALIGNED, "_ZdlPvmSt11align_val_t",
	   "operator delete(void*, size_t, align_val_t)", DELETE),
	CX(DELETE_ARRAY_SIZED_ALIGNED, "_ZdaPvmSt11align_val_t",
	   "operator delete[](void*, size_t, align_val_t)", DELETE),
	CX(DELETE_NOTHROW, "_ZdlPvRKSt9nothrow_t", "operator delete(void*, nothrow_t const&)",
	   DELETE),
	CX(DELETE_ARRAY_NOTHROW, "_ZdaPvRKSt9nothrow_t",
	   "operator delete[](void*, nothrow_t const&)", DELETE),
	CX(DELETE_ALIGNED_NOTHROW, "_ZdlPvSt11align_val_tRKSt9nothrow_t",
	   "operator delete(void*, align_val_t, nothrow_t const&)", DELETE),
	CX(DELETE_ARRAY_ALIGNED_NOTHROW, "_ZdaPvSt11align_val_tRKSt9nothrow_t",
	   "operator delete[](void*, align_val_t, nothrow_t const&)", DELETE),
};

const char *alloc_fn_name(enum alloc_fn fn)
{
	return (unsigned int)fn < AF_ALL_NR ? fns[fn].name : "?";
}

const char *alloc_fn_cxx(enum alloc_fn fn)
{
	return (unsigned int)fn < AF_ALL_NR ? fns[fn].cxx : NULL;
}

enum alloc_class alloc_fn_class(enum alloc_fn fn)
{
	return (unsigned int)fn < AF_ALL_NR ? (enum alloc_class)fns[fn].cls : CLS_NR;
}

enum alloc_group alloc_fn_group(enum alloc_fn fn)
{
	return (unsigned int)fn < AF_ALL_NR ? (enum alloc_group)fns[fn].group : 0;
}

/* What each entry program in bpf/leak.bpf.c reads from pt_regs at its
 * probe: the arguments its BPF_KPROBE declares (a superset of those it
 * uses: posix_memalign's alignment, mmap's prot, ...), and the stack
 * pointer (enter(), free_entry() and delete_entry() key the call by it and
 * first_free() reads the return address at it). entry_multi declares a0-a4
 * for all of them, but its cookie picks one case per probe, and each case
 * passes on only arguments listed here: a register it loads and never uses
 * cannot change what it records. Nothing reads ip, rbp or any other
 * register at entry; the stack walk happens at the return. */
#define A0 UREG_RDI
#define A1 UREG_RSI
#define A2 UREG_RDX
#define A3 UREG_RCX
#define A4 UREG_R8

static const uint16_t class_reads[CLS_NR] = {
	[CLS_MALLOC] = A0,
	[CLS_CALLOC] = A0 | A1,
	[CLS_REALLOC] = A0 | A1,
	[CLS_REALLOCARRAY] = A0 | A1 | A2,
	[CLS_POSIX_MEMALIGN] = A0 | A1 | A2,
	[CLS_MEMALIGN] = A0 | A1,
	[CLS_ALIGNED_ALLOC] = A0 | A1,
	[CLS_VALLOC] = A0,
	[CLS_PVALLOC] = A0,
	[CLS_FREE] = A0,
	[CLS_MMAP] = A0 | A1 | A2 | A3 | A4,
	[CLS_MUNMAP] = A0 | A1,
	[CLS_MREMAP] = A0 | A1 | A2,
	[CLS_NEW] = A0,
	[CLS_NEW_ARRAY] = A0,
	[CLS_DELETE] = A0,
	[CLS_MALLOCX] = A0,
	[CLS_RALLOCX] = A0 | A1,
	[CLS_XALLOCX] = A0 | A1,
};

unsigned alloc_class_reads(enum alloc_class cls)
{
	return (unsigned int)cls < CLS_NR ? class_reads[cls] | UREG_RSP : 0;
}

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

/* ---- one object ------------------------------------------------------------ */

/* Bytes given to the chooser when a symbol has no size. */
#define ENTRY_BYTES 64
/* The branch scan reads at most this much of a function. */
#define MAX_BODY_BYTES (256 << 10)

/* The function's bytes, read from the file with pread(): a mapping of the
 * file (libelf's, or the process's) shows the int3 of any uprobe another
 * tracer holds there, which would read as "trap instruction". */
static uint8_t *read_code(int fd, uint64_t off, size_t *len)
{
	uint8_t *buf = malloc(*len ? *len : 1);
	size_t got = 0;

	while (buf && got < *len) {
		ssize_t n = pread(fd, buf + got, *len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	if (buf && !got) {
		free(buf);
		return NULL;
	}
	*len = got;
	return buf;
}

static void plan_one(int fd, bool x86, const struct elf_func *fn, unsigned reads,
		     struct probe_site *s)
{
	uint8_t *code;
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
	code = read_code(fd, fn->offset, &size);
	if (!code) {
		s->why = "not probed: the function's bytes are not in the file";
		return;
	}
	off = uprobe_choose_offset(code, size, reads, s);
	/* Without a size the body is unknown: nothing to scan. */
	if (off > 0 && fn->size) {
		target = uprobe_branch_into(code, size, 0, off);
		/* Choose again among the instructions before the target. */
		if (target > 0 && uprobe_choose_offset(code, target, reads, s) >= 0)
			s->why = "a branch inside the function lands in the skipped bytes: "
				 "probe kept before it";
	}
	free(code);
}

static void site_reset(struct probe_site *s)
{
	*s = (struct probe_site){
		.obj = -1,
		.offset = -1,
		.alias_of = -1,
		.why = "not defined",
	};
}

/* Plan the functions want[] (want[i] set) of the object at path whose
 * sites are not found yet. names[i] is each one's full symbol. Returns
 * how many it found, or -errno. */
static int plan_names(const char *path, const char *const *names, const bool *want, int n,
		      unsigned flags, int obj, struct probe_site *sites)
{
	struct elf_func *fn;
	struct elf_file *ef;
	int i, j, found = 0, fd, err;
	bool x86;

	fn = calloc(n, sizeof(*fn));
	if (!fn)
		return -ENOMEM;
	ef = elf_file_open(path);
	fd = ef ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1;
	if (!ef || fd < 0) {
		err = -errno;
		elf_file_close(ef);
		free(fn);
		return err;
	}
	err = elf_file_find_funcs(ef, NULL, names, n, flags, fn);
	if (err < 0)
		goto out;
	x86 = elf_file_machine(ef) == EM_X86_64 && elf_file_class(ef) == ELFCLASS64;
	for (i = 0; i < n; i++) {
		if (!want[i] || !fn[i].found || sites[i].found)
			continue;
		plan_one(fd, x86, &fn[i], alloc_class_reads(fns[i].cls), &sites[i]);
		sites[i].obj = obj;
		found++;
	}
	/* An alias: the same entry in the same object, attached once. */
	for (i = 0; i < n; i++) {
		if (!sites[i].found || sites[i].obj != obj || !want[i])
			continue;
		for (j = 0; j < i; j++) {
			if (sites[j].found && sites[j].obj == obj && sites[j].entry == sites[i].entry) {
				sites[i].alias_of = sites[j].alias_of >= 0 ? sites[j].alias_of : j;
				break;
			}
		}
	}
	err = found;
out:
	close(fd);
	elf_file_close(ef);
	free(fn);
	return err;
}

int uprobe_plan(const char *path, const char *prefix, struct probe_site sites[AF_NR])
{
	char full[AF_NR][128];
	const char *names[AF_NR];
	bool want[AF_NR];
	int i;

	for (i = 0; i < AF_NR; i++) {
		site_reset(&sites[i]);
		snprintf(full[i], sizeof(full[i]), "%s%s", prefix ? prefix : "", fns[i].name);
		names[i] = full[i];
		want[i] = true;
	}
	return plan_names(path, names, want, AF_NR, 0, 0, sites);
}

void uprobe_plan_init(struct uprobe_plan *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < AF_ALL_NR; i++)
		site_reset(&p->sites[i]);
}

void uprobe_plan_free(struct uprobe_plan *p)
{
	for (int i = 0; i < p->nobj; i++)
		free(p->obj[i]);
	p->nobj = 0;
}

int uprobe_plan_add(struct uprobe_plan *p, const char *path, const char *prefix,
		    unsigned groups, bool dynsym_only)
{
	static char full[AF_ALL_NR][160];
	const char *names[AF_ALL_NR];
	bool want[AF_ALL_NR], any = false;
	int i, n;

	for (i = 0; i < AF_ALL_NR; i++) {
		bool prefixed = fns[i].group & (AG_C | AG_JEMALLOC);

		want[i] = (fns[i].group & groups) && !p->sites[i].found;
		any |= want[i];
		snprintf(full[i], sizeof(full[i]), "%s%s", prefixed && prefix ? prefix : "",
			 fns[i].name);
		names[i] = full[i];
	}
	if (!any)
		return 0;
	for (i = 0; i < p->nobj; i++)
		if (!strcmp(p->obj[i], path))
			break;
	if (i == UPROBE_PLAN_MAX_OBJS)
		return -E2BIG;
	n = plan_names(path, names, want, AF_ALL_NR, dynsym_only ? ELF_FIND_DYNSYM_ONLY : 0, i,
		       p->sites);
	if (n <= 0 || i < p->nobj)
		return n;
	p->obj[i] = strdup(path);
	if (!p->obj[i]) {
		for (int k = 0; k < AF_ALL_NR; k++)
			if (p->sites[k].obj == i)
				site_reset(&p->sites[k]);
		return -ENOMEM;
	}
	p->nobj++;
	return n;
}
