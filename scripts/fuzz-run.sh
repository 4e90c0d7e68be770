#!/bin/sh
# Run each fuzz harness for a while (make fuzz): SECONDS of libFuzzer on a
# working corpus of its own, $OUTPUT/fuzz/work/<harness>, grown from the
# seeds in $OUTPUT/fuzz/corpus/<harness> (left as they are); what it finds
# goes to $OUTPUT/fuzz/findings/<harness>/, its log to
# $OUTPUT/fuzz/logs/<harness>.log. Then one line per harness: executions,
# corpus size, findings. Exits 1 when any harness found something.
#
# usage: OUTPUT=build scripts/fuzz-run.sh SECONDS HARNESS...
set -eu

[ $# -ge 2 ] || { echo "usage: $0 SECONDS HARNESS..." >&2; exit 2; }
secs=$1
shift
out=${OUTPUT:-build}/fuzz
src=$(cd "$(dirname "$0")/.." && pwd)
found=0

mkdir -p "$out/logs"
for h in "$@"; do
	mkdir -p "$out/work/$h" "$out/findings/$h"
	echo "fuzz: $h for ${secs}s" >&2
	# nice: the machine is shared. -rss_limit_mb: usyms and btf hold a
	# whole object's DWARF or BTF under ASan.
	# A dictionary where the harness has one (tests/fuzz/<harness>.dict).
	dict=
	if [ -f "$src/tests/fuzz/$h.dict" ]; then
		dict=-dict=$src/tests/fuzz/$h.dict
	fi
	rc=0
	# shellcheck disable=SC2086 # $dict: one word or none
	nice "$out/$h" -max_total_time="$secs" -rss_limit_mb=4096 -timeout=30 $dict \
		-artifact_prefix="$out/findings/$h/" -print_final_stats=1 \
		"$out/work/$h" "$out/corpus/$h" >"$out/logs/$h.log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/logs/$h.log" | tail -n 1)
	corpus=$(find "$out/work/$h" -type f | wc -l)
	crashes=$(find "$out/findings/$h" -type f | wc -l)
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		found=1
	fi
	printf '%-10s executions %-10s corpus %-6s findings %s%s\n' "$h" "${execs:-?}" \
		"$corpus" "$crashes" "$([ "$rc" -eq 0 ] || echo " (exit $rc, see $out/logs/$h.log)")"
done >"$out/summary.txt"
cat "$out/summary.txt"
exit "$found"
