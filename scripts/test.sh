#!/bin/sh
# Build everything with warnings as errors and run the whole test suite.
# The last line of output is the summary: "N passed, N failed, N skipped".
#
# usage: scripts/test.sh [memscope-test options...]   e.g. -t probe
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=${OUTPUT:-build}

if ! make -s WERROR=1 OUTPUT="$out" all; then
	echo "build failed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

"$out/tests/memscope-test" --top "$top" "$@"
