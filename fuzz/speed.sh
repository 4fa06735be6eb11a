#!/bin/sh
# Executions per second of one target (make fuzz-speed), by input length:
#   alone   - the speed build (-O2, no sanitizer, no coverage) running the
#             corpus cut to the length for 5 s: the harness and the
#             emulator;
#   fast    - libFuzzer, `fast` build (UBSan, edge counters of the emulator),
#             with hit counts as features (the default), and without them
#             and with -shrink=1 (the setting fuzz/README.md advises);
#   lf      - libFuzzer, `lf` build (ASan + UBSan, comparison tracing),
#             both fuzzing SECONDS from the corpus with -max_len=the length.
# Usage: fuzz/speed.sh TARGET SECONDS LENGTH...
# SPEED_CORPUS=DIR starts from DIR instead of the committed corpus (a
# saturated corpus from a long run gives the rate such a run settles at).
# The fuzzers' corpora go to a scratch directory on tmpfs when there is one
# (creating files on a busy ext4 was a fifth of a run's time here).
set -eu
t=$1; secs=$2; shift 2
corpus=${SPEED_CORPUS:-fuzz/corpus/$t}
dir=build/fuzz
scratch=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )/iemu-speed.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

fuzz_rate() { # build length [libFuzzer options]
	b=$1; l=$2; shift 2
	rm -rf "$scratch/c"; mkdir "$scratch/c"
	"$dir/$b/fuzz_$t" -max_total_time="$secs" -max_len="$l" -print_final_stats=1 "$@" \
		-dict="fuzz/dict/$t.dict" -artifact_prefix="$scratch/" "$scratch/c" \
		"$corpus" 2>&1 | sed -n 's/^stat::average_exec_per_sec: *//p'
}

printf '%s\n' "target $t, corpus $corpus, $(nproc) cores, $secs s per libFuzzer cell"
printf '| max_len | mean bytes run alone | alone exec/s | libFuzzer fast exec/s | fast, -use_counters=0 -shrink=1 | libFuzzer lf exec/s |\n'
printf '|---|---|---|---|---|---|\n'
for len in "$@"; do
	alone=$("$dir/speed/fuzz_$t" --speed 5 --max-len "$len" "$corpus" 2>/dev/null)
	bytes=$(echo "$alone" | sed -n 's/.*inputs, \([0-9]*\) bytes.*/\1/p')
	rate=$(echo "$alone" | sed -n 's/.* \([0-9]*\) exec\/s.*/\1/p')
	printf '| %s | %s | %s | %s | %s | %s |\n' "$len" "$bytes" "$rate" \
		"$(fuzz_rate fast "$len")" "$(fuzz_rate fast "$len" -use_counters=0 -shrink=1)" \
		"$(fuzz_rate lf "$len")"
done
