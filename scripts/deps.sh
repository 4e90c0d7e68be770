#!/bin/sh
# Install every Debian package memscope's build, tests and QEMU guest runs
# need. Idempotent and quiet when everything is present. Run as root on
# Debian 12+.
#
# usage: scripts/deps.sh [--check] [--bench]
#   --check  only report what is missing; exit 1 if anything is
#   --bench  also make bench's peers and server: bpftrace (the memleak
#            equivalents in bench/peers), libbpf-tools (cachestat, drsnoop,
#            oomkill), redis-server and redis-tools (redis-benchmark)
set -eu

check=0
bench=0
for a in "$@"; do
	case $a in
	--check) check=1 ;;
	--bench) bench=1 ;;
	*) echo "usage: $0 [--check] [--bench]" >&2; exit 2 ;;
	esac
done

pkgs="
make gcc g++ clang llvm pkg-config
libbpf-dev libelf-dev zlib1g-dev libzstd-dev liblzma-dev libbz2-dev
libdw-dev libcapstone-dev libncurses-dev libiberty-dev
libjemalloc-dev libgoogle-perftools-dev
libclang-rt-14-dev
bpftool
shellcheck
qemu-system-x86 busybox-static cpio xz-utils zstd e2fsprogs tmux
libbpf-tools
"
[ $bench = 0 ] || pkgs="$pkgs bpftrace redis-server redis-tools"

missing=
for p in $pkgs; do
	# "install ok installed" is the only state that means usable.
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ $check = 1 ]; then
	echo "deps: missing:$missing" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: these packages are missing:$missing" >&2
	echo "deps: run this script as root (or install them with apt-get)" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# An apt index older than the archive gives 404s on install: refresh first.
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
