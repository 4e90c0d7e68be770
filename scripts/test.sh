#!/bin/sh
# Build with warnings as errors and run the whole test suite: on this
# machine's kernel, then inside QEMU guests on stock Debian kernels
# (scripts/vmtest.sh). The last line is the total over all suites:
# "N passed, N failed, N skipped". Exits non-zero if anything failed.
#
# usage: scripts/test.sh [memscope-test args...]     e.g. -t probe
# Environment:
#   MEMSCOPE_VM_KERNELS  guest kernels, default "debian-6.1 debian-backports";
#                        "" runs the host suite only
#   MEMSCOPE_VM_REQUIRED kernels whose guest must run (default debian-6.1);
#                        others are skipped when their packages are unreachable
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=${OUTPUT:-build}
kernels=${MEMSCOPE_VM_KERNELS-debian-6.1 debian-backports}
required=${MEMSCOPE_VM_REQUIRED-debian-6.1}

passed=0 failed=0 skipped=0 report=

# Add the counts of a suite's summary line ($2) to the totals, label $1;
# $3: the suite's whole output.
tally() {
	whole=${3:-}
	set -- "$1" "$(printf '%s\n' "$2" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)"
	if [ -z "$2" ]; then
		failed=$((failed + 1))
		report="$report
  $1: no summary line (counted as 1 failed)"
		return
	fi
	p=$(echo "$2" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$2" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$2" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	report="$report
  $1: $2"
	# What failed, and the lines the runner printed just before (its
	# reasons): the summary is what a CI log's tail keeps.
	if [ "$f" -gt 0 ] && [ -n "$whole" ] && [ -f "$whole" ]; then
		report="$report
$(grep -B 3 -E '^#[0-9]+ [^ ]+:FAIL' "$whole" | sed 's/^/    /')"
	fi
}

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp".guest* "$tmp".fetch*' EXIT

echo "== host: $(uname -r)"
if make -s WERROR=1 OUTPUT="$out" all; then
	"$out/tests/memscope-test" --top "$top" "$@" | tee "$tmp"
	tally "host $(uname -r)" "$(tail -n 1 "$tmp")" "$tmp"
else
	tally "host build" "0 passed, 1 failed, 0 skipped"
fi

# The guests run at once: each QEMU (TCG, one thread) takes one core. The
# static binaries are built first, so that their runs find them made.
# Each guest's output is shown whole once it is done, in order.
if [ -n "$kernels" ]; then
	# As vmtest.sh builds them (an absolute OUTPUT: the flags, which name
	# it, must match, or each guest's make would build again, both at once).
	case $out in /*) abs=$out ;; *) abs=$top/$out ;; esac
	make -s -C "$top" STATIC=1 WERROR=1 OUTPUT="$abs/static" all >/dev/null 2>"$tmp" ||
		cat "$tmp"
fi
i=0
for k in $kernels; do
	i=$((i + 1))
	if ! OUTPUT=$out scripts/vmtest.sh -f -k "$k" >/dev/null 2>"$tmp.fetch$i"; then
		continue
	fi
	OUTPUT=$out scripts/vmtest.sh -t 1500 -k "$k" -- "$@" >"$tmp.guest$i" 2>&1 &
done
wait
i=0
for k in $kernels; do
	i=$((i + 1))
	echo "== guest: $k"
	if [ ! -e "$tmp.guest$i" ]; then
		cat "$tmp.fetch$i"
		case " $required " in
		*" $k "*) tally "guest $k" "0 passed, 1 failed, 0 skipped" ;;
		*) echo "vmtest: $k unavailable here: skipped"
		   tally "guest $k" "0 passed, 0 failed, 1 skipped" ;;
		esac
		rm -f "$tmp.fetch$i"
		continue
	fi
	cat "$tmp.guest$i"
	tally "guest $k" "$(tail -n 1 "$tmp.guest$i")" "$tmp.guest$i"
	rm -f "$tmp.guest$i" "$tmp.fetch$i"
done

echo "== summary$report"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
