#!/bin/sh
# Benchmarks of memscope's overhead: paired, interleaved runs of a workload
# with and without tracing; medians and ratios. Not a test: numbers vary
# with the machine; the README quotes what this printed on ours.
#
# usage: scripts/bench.sh [-n PAIRS] [leak-user|leak-progs|leak-unwind|leak-kernel|startup|memory|cache|reclaim|oom ...]
#   default: all, 5 pairs each
#   BASE_MS=PATH: leak-user also runs another memscope binary (a build of an
#   earlier commit), interleaved with this one, to compare the two
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=${OUTPUT:-build}
case $out in /*) ;; *) out=$top/$out ;; esac
ms=$out/memscope
wl=$out/tests/workloads
pairs=5

while getopts n: opt; do
	case $opt in
	n) pairs=$OPTARG ;;
	*) echo "usage: $0 [-n PAIRS] [leak-user|leak-progs|leak-unwind|leak-kernel|startup|memory|cache|reclaim|oom ...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- leak-user leak-progs leak-unwind leak-kernel startup memory cache reclaim oom

make -s -C "$top" OUTPUT="$out" all >/dev/null || exit 1
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root" >&2
	exit 1
fi

# The number after "key": in a JSON line.
field() {
	sed -n "s/.*\"$1\":\\([0-9.]*\\).*/\\1/p" | head -n 1
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Wait (up to 15 s) until file $1 contains $2.
wait_for() {
	i=0
	while [ $i -lt 300 ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
}

tmp=$(mktemp -d)
# Only what this script started is ended on the way out: other people's
# memscope runs on the same host are none of its business.
started=
cleanup() {
	for p in $started; do
		kill -INT "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

bench_user() {
	n=2000000
	: >"$tmp/based"
	: >"$tmp/base" && : >"$tmp/traced"
	for _ in $(seq "$pairs"); do
		"$wl/mallocloop" "$n" | field ns_per_op >>"$tmp/base"
		# -j: the command's own output (its JSON line) goes to stderr.
		"$ms" leak -j -c "$wl/mallocloop $n" 3600 2>&1 >/dev/null | field ns_per_op >>"$tmp/traced"
		if [ -n "${BASE_MS:-}" ]; then
			"$BASE_MS" leak -j -c "$wl/mallocloop $n" 3600 2>&1 >/dev/null | field ns_per_op >>"$tmp/based"
		fi
	done
	b=$(median <"$tmp/base")
	t=$(median <"$tmp/traced")
	echo "leak-user: malloc(64)+free pair: untraced $b ns, traced $t ns, added $(echo "$t $b" | awk '{ printf "%.0f", $1 - $2 }') ns per pair (median of $pairs pairs)"
	if [ -n "${BASE_MS:-}" ]; then
		bt=$(median <"$tmp/based")
		echo "leak-user: the same with $BASE_MS: traced $bt ns, added $(echo "$bt $b" | awk '{ printf "%.0f", $1 - $2 }') ns per pair"
	fi
}

# The stack walk's cost: malloc/free pairs made 1 and 20 calls below main
# (stacks of 6 and 25 frames), user stacks by call-frame information
# (default) and by frame pointer only; the programs' own run time per
# allocation from the kernel's BPF statistics (held only while memscope
# runs, MEMSCOPE_BPF_STATS), and the per-pair time the workload measures.
bench_unwind() {
	n=500000
	for d in 1 20; do
		: >"$tmp/cfi_ns" && : >"$tmp/fp_ns" && : >"$tmp/cfi_pair" && : >"$tmp/fp_pair"
		for _ in $(seq "$pairs"); do
			for how in cfi fp; do
				MEMSCOPE_BPF_STATS=1 "$ms" leak -j --unwind $how -c "$wl/mallocloop $n 64 $d" 3600 \
					2>&1 >"$tmp/out" | field ns_per_op >>"$tmp/${how}_pair"
				grep -o '"name":"alloc_return","run_cnt":[0-9]*,"run_ns":[0-9]*' "$tmp/out" |
					awk -F'[:,]' '{ printf "%.0f\n", $6 / $4 }' >>"$tmp/${how}_ns"
			done
		done
		echo "leak-unwind: depth $d: alloc_return $(median <"$tmp/cfi_ns") ns per allocation with CFI, $(median <"$tmp/fp_ns") ns frame pointers only; pair $(median <"$tmp/cfi_pair") / $(median <"$tmp/fp_pair") ns (medians of $pairs)"
	done
}

bench_kernel() {
	n=300000
	: >"$tmp/base" && : >"$tmp/traced"
	for _ in $(seq "$pairs"); do
		"$wl/sockloop" "$n" | field ns_per_op >>"$tmp/base"
		"$ms" leak -j 3600 >"$tmp/ms.json" 2>/dev/null &
		pid=$!
	started="$started $pid"
		started="$started $pid"
		wait_for "$tmp/ms.json" '"type":"attached"'
		"$wl/sockloop" "$n" | field ns_per_op >>"$tmp/traced"
		kill -INT $pid
		wait $pid
	done
	b=$(median <"$tmp/base")
	t=$(median <"$tmp/traced")
	echo "leak-kernel: socketpair 64-byte round trip: untraced $b ns, traced $t ns, ratio $(echo "$t $b" | awk '{ printf "%.2f", $1 / $2 }')x (median of $pairs pairs)"
}

bench_startup() {
	: >"$tmp/st"
	for _ in $(seq "$pairs"); do
		"$wl/ledger" --out "$tmp/l.json" --wait --hold >"$tmp/ready" &
		lp=$!
	started="$started $lp"
		started="$started $lp"
		wait_for "$tmp/ready" ready
		"$ms" leak -j -p $lp 3600 >"$tmp/ms.json" 2>/dev/null &
		pid=$!
	started="$started $pid"
		started="$started $pid"
		wait_for "$tmp/ms.json" '"type":"attached"'
		field startup_ms <"$tmp/ms.json" >>"$tmp/st"
		kill -INT $pid
		wait $pid
		kill -TERM $lp
		wait $lp
	done
	echo "startup: leak -p, start of memscope to all probes attached: $(median <"$tmp/st") ms (median of $pairs)"
}

# leak's user-mode programs, each one's own cost per run as the kernel
# counts it (BPF_ENABLE_STATS through MEMSCOPE_BPF_STATS): what the load
# of a shared machine moves least. Programs loaded after each start of
# memscope are its own.
bench_progs() {
	: >"$tmp/progs"
	for _ in $(seq "$pairs"); do
		last=$(bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p' | sort -n | tail -n 1)
		MEMSCOPE_BPF_STATS=1 "$ms" leak -j -c "$wl/mallocloop 100000000" 3600 >/dev/null 2>&1 &
		pid=$!
		started="$started $pid"
		sleep 4
		bpftool prog show 2>/dev/null | awk -v last="${last:-0}" '
			/^[0-9]+:/ {
				name = ""; rt = 0; rc = 0
				for (k = 1; k < NF; k++) {
					if ($k == "name") name = $(k + 1)
					if ($k == "run_time_ns") rt = $(k + 1)
					if ($k == "run_cnt") rc = $(k + 1)
				}
				if ($1 + 0 > last && rc > 0 && (name == "malloc_enter" || name == "free_enter" || name == "alloc_return"))
					printf "%s %.1f\n", name, rt / rc
			}' >>"$tmp/progs"
		kill -INT $pid
		wait $pid
	done
	for p in malloc_enter free_enter alloc_return; do
		echo "leak-progs: $p $(grep "^$p " "$tmp/progs" | cut -d' ' -f2 | median) ns per run (BPF statistics, median of $pairs runs)"
	done
}

bench_memory() {
	"$wl/ledger" --out "$tmp/l.json" --wait --hold >"$tmp/ready" &
	lp=$!
	started="$started $lp"
	wait_for "$tmp/ready" ready
	"$ms" leak -j -p $lp 1 >"$tmp/ms.json" 2>/dev/null &
	pid=$!
	started="$started $pid"
	wait_for "$tmp/ms.json" '"type":"attached"'
	kill -USR1 $lp
	sleep 3
	kill -TERM $lp
	wait $lp
	wait $pid
	echo "memory (user mode): BPF maps $(field bpf_map_kib <"$tmp/ms.json") KiB pinned; tracer peak RSS $(grep '"type":"summary"' "$tmp/ms.json" | field max_rss_kib) KiB"
	"$ms" leak -j 1 >"$tmp/ms.json" 2>/dev/null &
	pid=$!
	started="$started $pid"
	wait_for "$tmp/ms.json" '"type":"attached"'
	sleep 3
	kill -INT $pid
	wait $pid
	echo "memory (kernel mode): BPF maps $(field bpf_map_kib <"$tmp/ms.json") KiB pinned; tracer peak RSS $(grep '"type":"summary"' "$tmp/ms.json" | field max_rss_kib) KiB"
}

# Cached reads (a 64 MiB file, warmed) untraced, under the floor (cachestat
# whose request programs return at once: what any program on that event
# costs), cachestat and cachetop, interleaved: 4 KiB random preads and 128
# KiB sequential ones.
bench_cache() {
	f=$tmp/readfile
	dd if=/dev/zero of="$f" bs=1M count=64 status=none
	for kind in "4096 1000000 rand" "131072 100000 seq"; do
		# shellcheck disable=SC2086 # the three words are readloop's arguments
		set -- $kind
		: >"$tmp/base" && : >"$tmp/floor" && : >"$tmp/stat" && : >"$tmp/top"
		for _ in $(seq "$pairs"); do
			"$wl/readloop" "$f" "$1" "$2" "$3" | field ns_per_op >>"$tmp/base"
			for tool in floor stat top; do
				case $tool in
				floor) MEMSCOPE_BENCH_FLOOR=1 "$ms" cachestat -j 3600 >"$tmp/ms.json" 2>/dev/null & ;;
				stat) "$ms" cachestat -j 3600 >"$tmp/ms.json" 2>/dev/null & ;;
				top) "$ms" cachetop -b -j 3600 >"$tmp/ms.json" 2>/dev/null & ;;
				esac
				pid=$!
				started="$started $pid"
				wait_for "$tmp/ms.json" '"type":"attached"'
				"$wl/readloop" "$f" "$1" "$2" "$3" | field ns_per_op >>"$tmp/$tool"
				kill -INT $pid
				wait $pid
			done
		done
		b=$(median <"$tmp/base")
		echo "cache: $1-byte $3 cached preads: untraced $b ns$(for t in floor stat top; do
			v=$(median <"$tmp/$t")
			case $t in floor) n="floor (an empty program)" ;; stat) n=cachestat ;; top) n=cachetop ;; esac
			echo "$v $b" | awk -v n="$n" '{ printf ", %s %s ns (%+.1f%%)", n, $1, 100 * ($1 / $2 - 1) }'
		done) (medians of $pairs)"
	done
}

# A memory cgroup of this script's own, under its own (v1 or v2): its path.
bench_memcg() {
	if [ -d /sys/fs/cgroup/memory ]; then
		d=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory:\(.*\)/\1/p' /proc/self/cgroup)
	else
		d=/sys/fs/cgroup$(sed -n 's/^0::\(.*\)/\1/p' /proc/self/cgroup)
	fi
	d=${d%/}/memscope-bench-$$
	mkdir "$d" 2>/dev/null || return 1
	if [ -f "$d/memory.limit_in_bytes" ]; then
		echo "$1" >"$d/memory.limit_in_bytes"
	else
		echo "$1" >"$d/memory.max"
	fi || { rmdir "$d"; return 1; }
	echo "$d"
}

# A 128 MiB file read cold through a 32 MiB memory cgroup (memcg reclaim
# all along: about 30 stalls of tens of µs per read), untraced, under
# memscope reclaim and under libbpf-tools drsnoop (which follows global
# direct reclaim only), interleaved; ms per read. On a disk, so the
# figures carry its noise.
bench_reclaim() {
	cg=$(bench_memcg 32M) || { echo "reclaim: no memory cgroup of our own here: skipped"; return; }
	f=/var/tmp/memscope-bench-$$.dat
	dd if=/dev/urandom of="$f" bs=1M count=128 status=none && sync
	drs=$(command -v drsnoop || echo /usr/sbin/drsnoop)
	[ -x "$drs" ] || drs=
	: >"$tmp/base" && : >"$tmp/ms" && : >"$tmp/drs"
	one() {
		dd if="$f" iflag=nocache count=0 status=none
		sh -c 'echo $$ >"$1/cgroup.procs"; s=$(date +%s%N); cat "$2" >/dev/null; \
		       echo $((($(date +%s%N) - s) / 1000))' sh "$cg" "$f" | awk '{ print $1 / 1000 }'
	}
	for _ in $(seq "$pairs"); do
		one >>"$tmp/base"
		"$ms" reclaim -j >"$tmp/ms.json" 2>/dev/null &
		pid=$!
		started="$started $pid"
		wait_for "$tmp/ms.json" '"type":"attached"'
		one >>"$tmp/ms"
		kill -INT $pid
		wait $pid
		if [ -n "$drs" ]; then
			"$drs" >/dev/null 2>&1 &
			pid=$!
			started="$started $pid"
			sleep 1
			one >>"$tmp/drs"
			kill -INT $pid
			wait $pid
		fi
	done
	# The programs' own time in one read (MEMSCOPE_BPF_STATS: memscope
	# holds BPF_ENABLE_STATS meanwhile, no sysctl changed): what the
	# comparison above cannot resolve under the disk's noise.
	MEMSCOPE_BPF_STATS=1 "$ms" reclaim -j >"$tmp/ms.json" 2>/dev/null &
	pid=$!
	started="$started $pid"
	wait_for "$tmp/ms.json" '"type":"attached"'
	one >/dev/null
	kill -INT $pid
	wait $pid
	runs=$(grep '"type":"summary"' "$tmp/ms.json" | field bpf_run_cnt)
	run_ns=$(grep '"type":"summary"' "$tmp/ms.json" | field bpf_run_ns)
	stalls=$(grep -c '"type":"stall"' "$tmp/ms.json")
	b=$(median <"$tmp/base")
	m=$(median <"$tmp/ms")
	printf 'reclaim: 128 MiB read cold through a 32 MiB memcg: untraced %s ms' "$b"
	echo "$m $b" | awk '{ printf ", memscope reclaim %s ms (%+.1f%%)", $1, 100 * ($1 / $2 - 1) }'
	if [ -n "$drs" ]; then
		echo "$(median <"$tmp/drs") $b" | awk '{ printf ", drsnoop %s ms (%+.1f%%)", $1, 100 * ($1 / $2 - 1) }'
	else
		printf ', drsnoop not installed'
	fi
	echo " (medians of $pairs)"
	echo "$run_ns $runs $stalls $b" | awk '{ printf "reclaim: in one read, %d stalls, %d program runs, %.3f ms in memscope'"'"'s programs (%.2f%% of the untraced read)\n", $3, $2, $1 / 1e6, 100 * $1 / 1e6 / $4 }'
	rm -f "$f"
	rmdir "$cg"
}

# memscope oom between kills: its only program that runs is the one on
# every process's exit (sched_process_exit). 2000 runs of /bin/true
# (fork, exec, exit) untraced and under memscope oom, interleaved; µs each.
bench_oom() {
	: >"$tmp/base" && : >"$tmp/ms"
	spawn() {
		s=$(date +%s%N)
		i=0
		while [ $i -lt 2000 ]; do
			/bin/true
			i=$((i + 1))
		done
		echo $((($(date +%s%N) - s) / 2000000))
	}
	for _ in $(seq "$pairs"); do
		spawn >>"$tmp/base"
		"$ms" oom -j >"$tmp/ms.json" 2>/dev/null &
		pid=$!
		started="$started $pid"
		wait_for "$tmp/ms.json" '"type":"attached"'
		spawn >>"$tmp/ms"
		kill -INT $pid
		wait $pid
	done
	echo "$(median <"$tmp/ms") $(median <"$tmp/base")" | awk -v n="$pairs" '{ printf "oom: fork+exec+exit of /bin/true: untraced %s us, under memscope oom %s us (%+.1f%%) (medians of %d)\n", $2, $1, 100 * ($1 / $2 - 1), n }'
}

for b in "$@"; do
	case $b in
	leak-user) bench_user ;;
	leak-unwind) bench_unwind ;;
	leak-progs) bench_progs ;;
	leak-kernel) bench_kernel ;;
	startup) bench_startup ;;
	memory) bench_memory ;;
	cache) bench_cache ;;
	reclaim) bench_reclaim ;;
	oom) bench_oom ;;
	*) echo "bench: unknown benchmark '$b'" >&2; exit 2 ;;
	esac
done
