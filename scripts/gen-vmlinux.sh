#!/bin/sh
# Regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF.
#
# The committed header only has to declare the types our BPF programs name;
# every field access goes through CO-RE relocations, so a header generated on
# one kernel serves all kernels with BTF. Regenerate it when a program needs a
# type the committed header lacks.
#
# usage: scripts/gen-vmlinux.sh [BTF_FILE] [ARCH]
#   BTF_FILE  default /sys/kernel/btf/vmlinux
#   ARCH      default from uname -m (x86, arm64, ...)
set -eu

btf=${1:-/sys/kernel/btf/vmlinux}
arch=${2:-$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')}
bpftool=${BPFTOOL:-bpftool}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/vmlinux/$arch/vmlinux.h"

if [ ! -r "$btf" ]; then
	echo "gen-vmlinux: cannot read BTF file '$btf'" >&2
	echo "gen-vmlinux: pass a kernel's BTF (e.g. extracted with 'pahole --btf_encode_detached') as the first argument" >&2
	exit 2
fi
if ! command -v "$bpftool" >/dev/null 2>&1; then
	echo "gen-vmlinux: bpftool not found; run scripts/deps.sh or set BPFTOOL=" >&2
	exit 1
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
"$bpftool" btf dump file "$btf" format c >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "gen-vmlinux: wrote $out from $btf ($(wc -l <"$out") lines)"
