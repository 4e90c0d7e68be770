#!/bin/sh
# Run memscope's test suite inside a QEMU guest on a stock Debian kernel.
#
# Builds the static memscope, test runner and workloads (make STATIC=1),
# fetches a Debian kernel package with apt-get download, packs everything
# with busybox-static into an initramfs, boots it under TCG, runs the suite
# in the guest, and exits with the guest's status. The guest's output ends
# with the runner's "N passed, N failed, N skipped" line; a guest that
# crashes or times out ends the output with a failing summary line instead.
# The guest also gets a fresh 512 MiB ext4 disk (virtio) at /scratch for
# tests of the page cache; the image is $OUTPUT/vmtest/<kernel>/scratch.img.
#
# usage: scripts/vmtest.sh [options] [-- memscope-test args]
#   -k KERNEL   debian-6.1 (default): newest linux-image-6.1.0-*-cloud-amd64-unsigned
#               debian-backports: newest cloud kernel from bookworm-backports
#               a Debian package name (linux-image-...), or a path to a vmlinuz
#   -m MEM      guest memory (default 512M, no swap)
#   -t SECONDS  time limit for the whole guest run (default 900)
#   -c CMD      run this shell command in the guest instead of the test suite
#   -o DIR      where to put the console log (default $OUTPUT/vmtest/<kernel>)
#   -f          fetch/extract the kernel only, print the vmlinuz path
#
# Environment: OUTPUT (build dir, default build), MEMSCOPE_CACHE (default
# ~/.cache/memscope): downloaded kernel packages and the busybox part of the
# initramfs are cached there; a missing or broken cache is rebuilt.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
output=${OUTPUT:-build}
case $output in /*) ;; *) output=$top/$output ;; esac
cache=${MEMSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memscope}
kernel=debian-6.1
mem=512M
limit=900
cmd=
outdir=
fetch_only=0

die() {
	echo "vmtest: $*" >&2
	exit 1
}

while getopts k:m:t:c:o:fh opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	m) mem=$OPTARG ;;
	t) limit=$OPTARG ;;
	c) cmd=$OPTARG ;;
	o) outdir=$OPTARG ;;
	f) fetch_only=1 ;;
	h) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [-k KERNEL] [-m MEM] [-t SECONDS] [-c CMD] [-o DIR] [-f] [-- test args]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))

# ---- the kernel --------------------------------------------------------------

# apt-get with a private configuration that adds bookworm-backports without
# touching the system's sources.
backports_apt() {
	a=$cache/apt
	mkdir -p "$a/lists/partial" "$a/archives/partial" "$a/etc"
	cat >"$a/etc/backports.sources" <<-EOF
	Types: deb
	URIs: http://deb.debian.org/debian
	Suites: bookworm-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	cat >"$a/apt.conf" <<-EOF
	Dir::Etc::sourcelist "/dev/null";
	Dir::Etc::sourceparts "$a/etc";
	Dir::State::Lists "$a/lists";
	Dir::Cache "$a";
	Dir::Cache::archives "$a/archives";
	APT::Sandbox::User "root";
	EOF
	APT_CONFIG=$a/apt.conf
	export APT_CONFIG
	if [ -z "$(find "$a/lists" -name '*Packages' -newermt '-1 day' 2>/dev/null)" ]; then
		apt-get -qq update >&2 || return 1
	fi
}

newest_pkg() {
	apt-cache pkgnames linux-image- 2>/dev/null | grep -E "$1" | sort -V | tail -n 1
}

# Print the path of the vmlinuz for $kernel, downloading it if needed.
fetch_kernel() {
	case $kernel in
	/*|./*|../*)
		[ -f "$kernel" ] || die "no kernel image at $kernel"
		echo "$kernel"
		return 0 ;;
	debian-6.1)
		re='^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$'
		pkg=$(newest_pkg "$re")
		if [ -z "$pkg" ]; then
			apt-get -qq update >&2 || true
			pkg=$(newest_pkg "$re")
		fi ;;
	debian-backports)
		backports_apt || die "bookworm-backports is not reachable"
		pkg=$(newest_pkg '^linux-image-[0-9.]+\+(bpo|deb12)-cloud-amd64-unsigned$') ;;
	linux-image-*)
		pkg=$kernel ;;
	*)
		die "unknown kernel '$kernel' (debian-6.1, debian-backports, a package name or a path)" ;;
	esac
	[ -n "$pkg" ] || die "no Debian package found for $kernel"

	ver=$(apt-cache show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
	[ -n "$ver" ] || die "apt knows no version of $pkg"
	krel=${pkg#linux-image-}
	krel=${krel%-unsigned}
	dir=$cache/kernels/$pkg-$ver
	vmlinuz=$dir/boot/vmlinuz-$krel
	if [ ! -f "$vmlinuz" ]; then
		mkdir -p "$cache/debs"
		deb=$(find "$cache/debs" -name "${pkg}_*.deb" | head -n 1)
		if [ -z "$deb" ] || ! dpkg-deb -I "$deb" >/dev/null 2>&1; then
			rm -f "$cache/debs/${pkg}_"*.deb
			echo "vmtest: downloading $pkg $ver" >&2
			(cd "$cache/debs" && apt-get -qq download "$pkg=$ver" >&2 2>/dev/null) ||
				die "apt-get download $pkg=$ver failed"
			deb=$(find "$cache/debs" -name "${pkg}_*.deb" | head -n 1)
		fi
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp"
		dpkg-deb -x "$deb" "$dir.tmp" || die "cannot extract $deb"
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	[ -f "$vmlinuz" ] || die "no $vmlinuz in $pkg"
	echo "$vmlinuz"
}

vmlinuz=$(fetch_kernel)
if [ "$fetch_only" = 1 ]; then
	echo "$vmlinuz"
	exit 0
fi
kdir=$(dirname "$(dirname "$vmlinuz")")
krel=$(basename "$vmlinuz")
krel=${krel#vmlinuz-}

# ---- the initramfs -----------------------------------------------------------

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run scripts/deps.sh"
[ -x /bin/busybox ] || die "/bin/busybox missing: run scripts/deps.sh (busybox-static)"
# /sbin is not in every user's PATH.
mkfs_ext4=$(command -v mkfs.ext4 || echo /sbin/mkfs.ext4)
[ -x "$mkfs_ext4" ] || die "mkfs.ext4 missing: run scripts/deps.sh (e2fsprogs)"

# The busybox base changes only with busybox and the init script: cache it.
base_key=$(cat /bin/busybox "$top/tests/vm/init" | md5sum | cut -c1-16)
base=$cache/initramfs-base-$base_key.cpio
if [ ! -s "$base" ]; then
	tmp=$(mktemp -d)
	mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/dev" "$tmp/proc" "$tmp/sys" "$tmp/tmp" \
		"$tmp/run" "$tmp/root" "$tmp/etc" "$tmp/boot"
	cp /bin/busybox "$tmp/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[ -e "$tmp/bin/$applet" ] || ln -s busybox "$tmp/bin/$applet"
	done
	cp "$top/tests/vm/init" "$tmp/init"
	chmod 0755 "$tmp/init"
	mkdir -p "$cache"
	# Guests may be started at once (scripts/test.sh): each writes its own
	# copy and renames it into place.
	(cd "$tmp" && find . | cpio -o -H newc --quiet) >"$base.tmp.$$"
	mv "$base.tmp.$$" "$base"
	rm -rf "$tmp"
fi

echo "vmtest: building the static binaries" >&2
# One build at a time (scripts/test.sh starts the guests at once).
mkdir -p "$output"
flock "$output/.static-build.lock" \
	make -s -C "$top" STATIC=1 WERROR=1 OUTPUT="$output/static" all >&2 ||
	die "static build failed"

name=$(basename "$kdir")
outdir=${outdir:-$output/vmtest/$name}
mkdir -p "$outdir"
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
# The tests also run things as an unprivileged user.
chmod 0755 "$payload"
mkdir -p "$payload/memscope/tests/workloads" "$payload/boot"
cp "$output/static/memscope" "$payload/memscope/"
cp "$output/static/tests/memscope-test" "$payload/memscope/tests/"
if [ -d "$output/static/tests/workloads" ]; then
	find "$output/static/tests/workloads" -maxdepth 1 -type f -perm -u+x \
		-exec cp {} "$payload/memscope/tests/workloads/" \;
	# Most workloads are dynamically linked (the leak tool must find the
	# allocator in libc): bring their shared libraries and the loader.
	# "|| true": under set -e a static workload (ldd fails, grep finds
	# nothing) would end the loop and drop the libraries of the rest.
	for w in "$payload"/memscope/tests/workloads/*; do
		ldd "$w" 2>/dev/null | grep -o '/[^ ]*' || true
	done | sort -u | while read -r lib; do
		mkdir -p "$payload$(dirname "$lib")"
		cp -L "$lib" "$payload$lib"
	done
fi
# There is no /proc/config.gz in Debian's kernels; some tools look here.
cp "$kdir/boot/config-$krel" "$payload/boot/" 2>/dev/null || true

# ---- the scratch disk ----------------------------------------------------------

# /tmp in the guest is tmpfs (shmem): no reads from a disk, no eviction by
# fadvise. Page-cache tests get a real file system instead: ext4 on a virtio
# disk, mounted at /scratch by tests/vm/init. The image is made anew for
# every run (mkfs takes a fraction of a second), so no run sees files an
# earlier one left; it is sparse and stays in the output directory.
scratch=$outdir/scratch.img
rm -f "$scratch"
truncate -s 512M "$scratch"
# 4 KiB blocks: one block per page, as on most real file systems (mke2fs
# would pick 1 KiB below 512 MiB). Inode tables and journal are zeroed here,
# not by the guest's ext4lazyinit thread writing during the tests.
"$mkfs_ext4" -q -F -b 4096 -m 0 -L memscope-scratch \
	-E lazy_itable_init=0,lazy_journal_init=0,nodiscard "$scratch" ||
	die "mkfs.ext4 $scratch failed"

# Debian builds virtio_blk (6.1: all of virtio too) as modules: copy the
# ones the disk needs, after what they depend on, uncompressed (busybox's
# insmod reads plain .ko files), with their load order in load-order for
# the guest's init. Built-in drivers need nothing.
mroot=$kdir/lib/modules/$krel
moddir=$payload/lib/modules/$krel

# The path under $mroot listed in modules file $2 for module name $1
# ("-" and "_" are the same in module names).
mod_listed() {
	awk -v n="$1" '{ f = $0; sub(/.*\//, "", f); sub(/\.ko.*$/, "", f); gsub(/-/, "_", f)
		if (f == n) { print; exit } }' "$2" 2>/dev/null
}

# The modules a .ko needs loaded first: its .modinfo "depends=" string.
mod_depends() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | tr ',' ' '
}

# Add module $1 and, before it, what it depends on. Positional parameters
# are the only locals a POSIX shell has: they hold the name and the deps.
loaded=
add_module() {
	case " $loaded " in *" $1 "*) return 0 ;; esac
	set -- "$1" "$(mod_listed "$1" "$mroot/modules.order")"
	if [ -z "$2" ]; then
		[ -n "$(mod_listed "$1" "$mroot/modules.builtin")" ] && return 0
		echo "vmtest: $krel has no module $1 and does not build it in: no scratch disk" >&2
		return 1
	fi
	mkdir -p "$moddir"
	# Debian's 6.12 modules are xz-compressed, 6.1's are not.
	if [ -f "$mroot/$2" ]; then cp "$mroot/$2" "$moddir/$1.ko"
	elif [ -f "$mroot/$2.xz" ]; then xz -dc "$mroot/$2.xz" >"$moddir/$1.ko"
	elif [ -f "$mroot/$2.zst" ]; then zstd -qdc "$mroot/$2.zst" >"$moddir/$1.ko"
	elif [ -f "$mroot/$2.gz" ]; then gzip -dc "$mroot/$2.gz" >"$moddir/$1.ko"
	else
		echo "vmtest: $mroot/$2 is missing: no scratch disk" >&2
		return 1
	fi
	# shellcheck disable=SC2046 # one word per module name
	set -- "$1" $(mod_depends "$moddir/$1.ko")
	for dep in "$@"; do
		[ "$dep" = "$1" ] || add_module "$dep" || return 1
	done
	loaded="$loaded $1"
	echo "$1" >>"$moddir/load-order"
}

# A kernel given as a path has no module tree: its drivers must be built in.
if [ -d "$mroot" ]; then
	for m in virtio_pci virtio_blk ext4; do
		add_module "$m" || break
	done
fi
if [ -n "$cmd" ]; then
	printf '%s\n' "$cmd" >"$payload/cmd"
else
	{
		printf '/memscope/tests/memscope-test --bin /memscope --guest'
		for a in "$@"; do
			printf " '%s'" "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
		done
		printf '\n'
	} >"$payload/cmd"
fi
# Concatenated cpio archives form one initramfs.
(cd "$payload" && find . | cpio -o -H newc --quiet) >"$outdir/payload.cpio"
cat "$base" "$outdir/payload.cpio" >"$outdir/initrd.cpio"
rm -f "$outdir/payload.cpio"

# ---- boot ----------------------------------------------------------------------

log=$outdir/console.log
echo "vmtest: booting $name ($krel) with $mem under TCG" >&2
# Two things keep Debian's QEMU 7.2 TCG from crashing the guest:
# -cpu max,-cx16: cmpxchg16b is mis-emulated often enough to crash 6.12
#   kernels at boot (about 1 in 4 boots); without cx16 they take another path.
# thread=single: with one host thread per vCPU, live kernel text patching
#   (int3-based, e.g. enabling a tracepoint's static key) oopsed a 6.12 guest
#   in 2 of 4 runs; one thread running both vCPUs passed 10 of 10, as fast.
# sed -u: the log line by line (tr would hold 4 KiB back: a stalled
# guest's log would end well before where it stalled).
set +e
timeout -k 10 "$limit" qemu-system-x86_64 -accel tcg,thread=single -cpu max,-cx16 -smp 2 -m "$mem" \
	-kernel "$vmlinuz" -initrd "$outdir/initrd.cpio" \
	-drive file="$scratch",if=none,id=scratch,format=raw,cache=unsafe \
	-device virtio-blk-pci,drive=scratch,serial=memscope-scratch \
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4" \
	-nodefaults -display none -no-reboot \
	-chardev stdio,id=con,signal=off -serial chardev:con \
	</dev/null 2>&1 | sed -u 's/\r//g' | tee "$log" |
	grep -v -e '^MEMSCOPE_EXIT=' -e '^$' -e '^\[ *[0-9.]*\] reboot: Power down$'
set -e

rc=$(sed -n 's/^MEMSCOPE_EXIT=\([0-9]*\)$/\1/p' "$log" | tail -n 1)
if [ -z "$rc" ]; then
	if ! grep -q MEMSCOPE_BOOTED "$log"; then
		echo "vmtest: the guest did not boot (see $log)"
	else
		echo "vmtest: the guest did not finish within ${limit}s or crashed (see $log)"
	fi
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
exit "$rc"
