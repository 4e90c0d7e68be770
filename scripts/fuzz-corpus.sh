#!/bin/sh
# Write the seed corpora of the fuzz harnesses (tests/fuzz/) from this
# machine's files: /proc and /sys as they are here, small ELF files from
# the test workloads and /bin, a BTF file compiled from
# tests/fuzz/seeds/btf_seed.c, command lines, JSON strings. Nothing of it is
# committed; make writes it at build time.
#
# usage: scripts/fuzz-corpus.sh CORPUS_DIR [OUTPUT]
#   CORPUS_DIR  gets one directory per harness (CORPUS_DIR/<harness>/)
#   OUTPUT      the build directory (its tests/workloads); default build
set -eu

[ $# -ge 1 ] || { echo "usage: $0 CORPUS_DIR [OUTPUT]" >&2; exit 2; }
dir=$1
out=${2:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
CLANG=${CLANG:-clang}
# Seeds are kept small: libFuzzer mutates up to the largest one's size.
max=65536

rm -rf "$dir"
for h in procfs args json ksyms elf insn usyms demangle btf out; do
	mkdir -p "$dir/$h"
done

# seed HARNESS NAME SELECTOR PARAM FILE: the selector and parameter bytes
# (octal) that choose the parser, then the file's first $max bytes. A file
# that cannot be read here (not root, no such kernel feature) is left out.
seed() {
	if [ -r "$5" ] && head -c 1 "$5" >/dev/null 2>&1; then
		{ printf '%b%b' "\\0$3" "\\0$4"; head -c "$max" "$5"; } >"$dir/$1/$2"
	fi
}

# seedstr HARNESS NAME SELECTOR PARAM STRING
seedstr() {
	{ printf '%b%b' "\\0$3" "\\0$4"; printf '%s' "$5"; } >"$dir/$1/$2"
}

# --- procfs: selector = the parser (tests/fuzz/procfs.c) ---
seed procfs maps 000 200 /proc/self/maps
seedstr procfs map_deleted 000 200 "7f0000000000-7f0000001000 r-xp 00001000 fe:01 42   /tmp/x (deleted)
"
seed procfs stat 001 200 /proc/self/stat
seedstr procfs stat_paren 001 200 "42 (a) b) (c) S 1 42 42 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 12345 1 2"
seed procfs mounts 002 200 /proc/self/mounts
seedstr procfs mounts_esc 002 200 "none /sys/fs/cgroup\\040x cgroup2 rw,nosuid 0 0
tracefs /sys/kernel/tracing tracefs rw 0 0
"
seed procfs cgroup 003 200 /proc/self/cgroup
seedstr procfs cgroup_v1 003 001 "12:memory:/user.slice
1:name=systemd:/init.scope
0::/user.slice/user-0.slice
"
seed procfs vmstat_keyed 004 200 /proc/vmstat
seed procfs meminfo 004 202 /proc/meminfo
# This process's memory cgroup: its memory.stat (v2, or v1's memory
# hierarchy) and memory.pressure.
cg=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
seed procfs memstat 004 203 "$cg/memory.stat"
seed procfs memstat_v1 004 203 "/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)/memory.stat"
seed procfs mountinfo 005 010 /proc/self/mountinfo
seed procfs slabinfo 006 200 /proc/slabinfo
seedstr procfs slabinfo_hand 006 011 "slabinfo - version: 2.1
# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>
kmalloc-8k           256    256   8192    4    8 : tunables    0    0    0 : slabdata     64     64      0
kmalloc-cg-64       1024   1024     64   64    1 : tunables    0    0    0 : slabdata     16     16      0
kmalloc-rnd-01-64     10     64     64   64    1 : tunables    0    0    0 : slabdata      1      1      0
dma-kmalloc-64         0      0     64   64    1 : tunables    0    0    0 : slabdata      0      0      0
"
seed procfs vmstat 007 200 /proc/vmstat
seed procfs zoneinfo 004 200 /proc/zoneinfo
seed procfs psi 010 200 /proc/pressure/memory
seed procfs psi_cg 010 200 "$cg/memory.pressure"
seedstr procfs psi_hand 010 200 "some avg10=0.00 avg60=0.00 avg300=0.00 total=123
full avg10=0.00 avg60=0.00 avg300=0.00 total=45
"
seedstr procfs words 011 001 "cpu,memory pids"
seed procfs swaps 012 000 /proc/swaps
seedstr procfs swaps_hand 012 000 "Filename				Type		Size		Used		Priority
/dev/dm-1                               partition	8388604		0		-2
/swap\\040file                            file		1048572		512		-3
"
# The kprobe readers (caps/kfuncs.c): a function name, then the file it is
# looked up in; a name from the file itself, so the seed finds it.
# slice FILE LINES: the first LINES lines of FILE, if it can be read.
slice() {
	if [ -r "$1" ] && head -n 1 "$1" >/dev/null 2>&1; then
		head -n "$2" "$1"
	fi
}
for t in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	aff=$(slice "$t/available_filter_functions" 400)
	if [ -n "$aff" ]; then
		{ printf '\013\000'; printf '%s\n' "$aff" | sed -n '200s/ .*//p'
		  printf '%s\n' "$aff"; } >"$dir/procfs/filter_functions"
		break
	fi
done
bl=$(slice /sys/kernel/debug/kprobes/blacklist 400)
if [ -n "$bl" ]; then
	{ printf '\013\001'; printf '%s\n' "$bl" | sed -n '100s/^[^\t ]*[\t ]*//p'
	  printf '%s\n' "$bl"; } >"$dir/procfs/blacklist"
fi
seedstr procfs filter_functions_hand 013 000 "handle_mm_fault
do_page_fault
handle_mm_fault
ext4_readahead [ext4]
"
seedstr procfs blacklist_hand 013 001 "do_page_fault
0xffffffff81001000-0xffffffff81001040	native_load_gs_index
0xffffffff81a00000-0xffffffff81a00100	do_page_fault
"
ks=$(slice /proc/kallsyms 2000)
if [ -n "$ks" ]; then
	{ printf '\014\000'; printf '%s\n' "$ks" | awk '$2 ~ /^[tT]$/ { print $3; exit }'
	  printf '%s\n' "$ks"; } >"$dir/procfs/kallsyms"
fi
seedstr procfs kallsyms_hand 014 000 "do_page_fault
ffffffff81000000 T _stext
ffffffff81a00000 t do_page_fault
ffffffffc0201000 t mod_fn	[xfs]
"
# The loader's list in ldd mode (leak/alloc_object.c), of /bin/true here
# and by hand.
for ld in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1; do
	if [ -x "$ld" ] && [ -x /bin/true ]; then
		{ printf '\015\000'; LD_TRACE_LOADED_OBJECTS=1 "$ld" /bin/true 2>/dev/null; } \
			>"$dir/procfs/ldlist" || rm -f "$dir/procfs/ldlist"
		break
	fi
done
seedstr procfs ldlist_hand 015 000 "	linux-vdso.so.1 (0x00007ffc9a1f2000)
	/usr/lib/libjemalloc.so.2 (0x00007f1a2c000000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1a2be00000)
	libfoo.so => not found
	/lib64/ld-linux-x86-64.so.2 (0x00007f1a2c400000)
"

# --- args: -c command lines, numbers, sizes, flag tables ---
seedstr args u64 000 001 "18446744073709551615"
seedstr args size 001 000 "64KiB"
seedstr args size_g 001 000 "2g"
seedstr args pid 002 000 "4194304"
seedstr args cmd 003 000 "./leaky 12"
seedstr args cmd_quotes 003 000 "sh -c 'echo \"a b\" \\\$x' \"q\\\\\" x\" y\\ z"
seedstr args expr 004 100 "(( gfp_t)((((1UL))) << (___GFP_DIRECT_RECLAIM_BIT))|(( gfp_t)0x40u))|~(unsigned long)0 >> 3"
for ev in kmem/kmalloc kmem/mm_page_alloc oom/mark_victim vmscan/mm_vmscan_direct_reclaim_begin; do
	for t in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		if [ -r "$t/events/$ev/format" ]; then
			seed args "flags_$(basename "$ev")" 005 000 "$t/events/$ev/format"
			break
		fi
	done
done
seedstr args flags_hand 005 000 'print fmt: "%s", __print_flags(REC->gfp_flags, "|", {(unsigned long)(0x400u|0x800u), "GFP_KERNEL"}, {(unsigned long)0x2000u, "__GFP_NOWARN"}), __print_symbolic(REC->reason, {0, "A"}, {1 << 2, "B"})'

seedstr args cgroup_root 006 001 "/"
seedstr args cgroup_self 006 001 "$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)"
seedstr args cgroup_up 006 000 "/user.slice/../../../etc"
printf '\007\000#!/bin/sh -e\necho hi\n' >"$dir/args/script_sh"
printf '\007\000#!/usr/bin/env python3 -u\nprint(1)\n' >"$dir/args/script_env"
printf '\007\000echo no interpreter line\n' >"$dir/args/script_plain"

# --- json: strings as processes name themselves ---
printf 'plain ascii' >"$dir/json/ascii"
printf 'h\303\251llo \342\234\223 \360\237\230\200 "q" \\ /' >"$dir/json/utf8"
printf 'bad \377\376 \300\200 \355\240\200 \364\220\200\200 trunc \342\234' >"$dir/json/invalid"
printf 'ctl \001\t\n\r\b\f\037\177 key\000value \000' >"$dir/json/control"

# --- out: flame-graph stacks (tests/fuzz/out.c: an options byte, then
# NUL-separated tokens: title, subtitle, unit where asked for, then per
# stack a value byte, its frames and an empty token) ---
printf '\000\010main\000alloc\000malloc\000\000\020main\000free\000\000' >"$dir/out/plain"
printf '\062./app \033[31mred\000sub\007title\000\001a;b\000c\nd\000\000\002<x>&amp;\000"q"\000\000' \
	>"$dir/out/hostile"
printf '\001\377bad \377\376\000\300\200\000\355\240\200 \000\000\376 \t \000;\000\000\003\000' \
	>"$dir/out/invalid"
printf '\017unit\342\234\223\000\100std::vector<int>::push_back(int const&)\000\344\270\255\346\226\207\000\000' \
	>"$dir/out/unit_utf8"

# --- ksyms: kallsyms, as root shows it (and a module section) ---
if [ -r /proc/kallsyms ]; then
	head -c "$max" /proc/kallsyms >"$dir/ksyms/kallsyms"
	# Modules come last.
	tail -c 16384 /proc/kallsyms | tail -n +2 >"$dir/ksyms/modules"
fi
printf '%s\n' "ffffffff81000000 T _stext" "ffffffff81000100 t helper" \
	"ffffffff81000200 W weak_fn" "0000000000000000 A fixed_percpu_data" \
	"ffffffffc0201000 t mod_fn	[xfs]" "ffffffffc0202000 T other	[nf_tables]" \
	>"$dir/ksyms/hand"

# --- elf, usyms: small ELF files (workloads, /bin) ---
n=0
for f in "$out"/tests/workloads/*_stripped "$out"/tests/workloads/leaky \
	"$out"/tests/workloads/ledger "$out"/tests/workloads/callpaths \
	/bin/true /bin/false /bin/sleep /usr/bin/env; do
	if [ ! -f "$f" ] || [ ! -r "$f" ]; then
		continue
	fi
	# Small ones only (up to 256 KiB).
	[ "$(wc -c <"$f")" -le 262144 ] || continue
	n=$((n + 1))
	cp "$f" "$dir/elf/$n-$(basename "$f")"
	cp "$f" "$dir/usyms/$n-$(basename "$f")"
done

# --- insn: function entries as compilers and allocators write them ---
# data[0] the class whose registers the probe reads, then code.
printf '\000\110\205\377\164\010\125\110\211\345\303' >"$dir/insn/test_je"	# test rdi; je; push rbp
printf '\011\363\017\036\372\125\110\211\345' >"$dir/insn/endbr_push"		# endbr64; push rbp
printf '\011\110\211\370\110\205\300\017\204\020\000\000\000\303' >"$dir/insn/mov_jcc"
printf '\000\146\017\037\204\000\000\000\000\000\351\000\001\000\000' >"$dir/insn/nop_jmp"
printf '\377\101\220\360\377\007\144\110\213\004\045\050\000\000\000\350\000\000\000\000' \
	>"$dir/insn/prefixes"

# --- demangle: C++ and Rust names ---
printf '\000_ZNSt6vectorIiSaIiEE9push_backERKi' >"$dir/demangle/vector"
printf '\000_ZnwmSt11align_val_t' >"$dir/demangle/new"
printf '\000_RNvCs1234_7mycrate3foo' >"$dir/demangle/rust"
printf '\001N3foo3barIJiEEEvT_DpOT0_' >"$dir/demangle/pack"
printf '\000_ZZN1A1fEvE1x_0' >"$dir/demangle/local"

# --- btf: raw BTF and ELF with .BTF ---
if "$CLANG" -g -target bpf -c "$src/tests/fuzz/seeds/btf_seed.c" -o "$dir/btf/seed.o" 2>/dev/null; then
	llvm-objcopy --dump-section .BTF="$dir/btf/seed.btf" "$dir/btf/seed.o" 2>/dev/null ||
		rm -f "$dir/btf/seed.btf"
fi
