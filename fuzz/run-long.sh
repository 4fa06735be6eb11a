#!/bin/sh
# Run a libFuzzer target for SECONDS in all, starting it again after each
# crash (libFuzzer stops at the first one), so that a long run keeps going
# and collects every finding.  Usage:
#   fuzz/run-long.sh BINARY SECONDS WORKDIR [libFuzzer options...]
# Findings go to WORKDIR/crashes/, the corpus to WORKDIR/corpus/, one log
# per run to WORKDIR/log.N; WORKDIR/summary gets a line per run.
set -u
bin=$1; total=$2; dir=$3; shift 3
mkdir -p "$dir/corpus" "$dir/crashes"
start=$(date +%s); n=0
while :; do
	now=$(date +%s); left=$((total - (now - start)))
	[ "$left" -gt 5 ] || break
	n=$((n + 1))
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_total_time="$left" -timeout=20 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$dir/crashes/" "$@" \
		"$dir/corpus" > "$dir/log.$n" 2>&1
	rc=$?
	echo "run $n: exit $rc after $(( $(date +%s) - now )) s; $(grep -E '^#[0-9]+' "$dir/log.$n" | tail -1)" >> "$dir/summary"
done
echo "done: $n runs in $(( $(date +%s) - start )) s" >> "$dir/summary"
