#!/bin/sh
# `make sanitize`: build memscope, its tests and bench's runner with ASan and
# UBSan (make SANITIZE=1; the workloads, the tracer's targets, as always)
# into $OUTPUT (default build/sanitize) and run the host suite, the tests
# that load BPF programs included. Never the QEMU guests (static binaries).
#
# Every sanitizer report, from the runner, a test or any memscope the tests
# start (by themselves, through a shell or tmux), is written to a file in
# $OUTPUT/sanitizer-logs (log_path; UBSan's too, see
# tests/sanitize/ubsan_log.c). The runner fails the test during which a
# report appeared and shows it; this script fails if any report file exists
# at the end, and prints them all. Undefined behaviour and memory errors
# stop the process (halt_on_error), with exit code 23 (exitcode) where the
# caller looks; leaks are checked at each exit (detect_leaks).
#
# usage: scripts/sanitize.sh [memscope-test args...]     e.g. -t probe
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=${OUTPUT:-build/sanitize}
case $out in /*) ;; *) out=$top/$out ;; esac
logs=$out/sanitizer-logs

if ! nice make -s WERROR=1 SANITIZE=1 OUTPUT="$out" all; then
	echo "sanitize: build failed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

rm -rf "$logs"
mkdir -p "$logs"
# A memscope the tests run as another user writes its reports here too.
chmod 1777 "$logs"

# The suppressions: leaks inside the libraries, each with its reason.
supp=$top/tests/sanitize/lsan.supp
common="halt_on_error=1:exitcode=23:print_stacktrace=1"
ASAN_OPTIONS="log_path=$logs/asan:$common:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1"
UBSAN_OPTIONS="log_path=$logs/ubsan:$common"
LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"
MEMSCOPE_SANITIZER_LOGS=$logs
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MEMSCOPE_SANITIZER_LOGS

start=$(date +%s)
nice "$out/tests/memscope-test" --top "$top" "$@"
rc=$?
end=$(date +%s)
echo "sanitize: $(uname -r), $((end - start)) s"

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
	echo "sanitize: sanitizer reports:"
	for f in $reports; do
		echo "==== $f"
		cat "$f"
	done
	echo "sanitize: $(echo "$reports" | wc -l) sanitizer report(s) in $logs"
	rc=1
fi
exit "$rc"
