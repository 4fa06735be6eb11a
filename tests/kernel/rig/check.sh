#!/bin/sh
# check.sh BUILD_DIR — every scenario that has a golden output recorded on a
# real kernel (tests/kernel/golden/KV/NAME.out) runs against the emulator
# over FUSE, `iommufd-emu run --kernel KV --add-caps all` with the
# scenario's devices and options (rig/scenarios), and its output must equal
# the golden one, except for the steps listed in tests/kernel/known-differences
# and the values of "~" steps (see README.md).  --add-caps all: the reference
# guest runs the scenarios as root with every capability, which root here
# may lack (CAP_SYS_RESOURCE in some containers).
# Prints one line per scenario and kernel, the diff of each failure, and
# "N passed, N failed" at the end; exits non-zero on any failure.
set -u
RIG_DIR=$(cd "$(dirname "$0")" && pwd)
KDIR=$(dirname "$RIG_DIR")
GOLDEN=$KDIR/golden
KNOWN=$KDIR/known-differences
build=${1:?usage: check.sh BUILD_DIR}
out=$build/kernel-check
pass=0
fail=0

# The emulator devices for scenario $1 on kernel $2 (rig/scenarios, else
# the scenario's own --devices).
devices_for() {
	d=$(awk -v n="$1" -v k="$2=" '$1 == n { for (i = 3; i <= NF; i++)
		if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$RIG_DIR/scenarios")
	[ -n "$d" ] || d=$("$build/scenarios/$1" --devices)
	echo "$d"
}

# The emulator options for scenario $1 (rig/scenarios: emu=OPT[,OPT]...).
options_for() {
	awk -v n="$1" '$1 == n { for (i = 3; i <= NF; i++)
		if (index($i, "emu=") == 1) print substr($i, 5) }' "$RIG_DIR/scenarios" | tr ',' ' '
}

run_emulator() {
	name=$1 kv=$2 result=$3
	devices=$(devices_for "$name" "$kv")
	# shellcheck disable=SC2046
	set -- $(options_for "$name")
	old_ifs=$IFS
	IFS=';'
	for d in $devices; do
		set -- "$@" --device "$d"
	done
	IFS=$old_ifs
	# Bounded: a hung scenario must not hang make check.
	timeout 120 "$build/iommufd-emu" run --kernel "$kv" --add-caps all "$@" -- \
		"$build/scenarios/$name" \
		> "$result" 2>&1
	echo "exit=$?" >> "$result"
}

# Known differences that no longer differ are worth a warning, not a failure.
warn_stale() {
	for p in $(cut -f1 "$1.masked" "$2.masked" 2>/dev/null | sort -u); do
		a=$(awk -F'\t' -v p="$p" '$1 == p' "$1.masked" 2>/dev/null)
		b=$(awk -F'\t' -v p="$p" '$1 == p' "$2.masked" 2>/dev/null)
		[ "$a" != "$b" ] || echo "  warning: $3 $p is listed in known-differences but no longer differs"
	done
}

compare() {
	name=$1 kv=$2 golden=$3 result=$4
	rm -f "$result.golden.masked" "$result.masked"
	awk -v known="$KNOWN" -v scen="$name" -v kv="$kv" -v masked="$result.golden.masked" \
		-f "$RIG_DIR/normalize.awk" "$golden" > "$result.golden.cmp"
	awk -v known="$KNOWN" -v scen="$name" -v kv="$kv" -v masked="$result.masked" \
		-f "$RIG_DIR/normalize.awk" "$result" > "$result.cmp"
	known=$(cut -f2- "$result.golden.masked" "$result.masked" 2>/dev/null | awk '{ print $1 }' | sort -u | wc -l)
	steps=$(grep -c ' ret=' "$golden")
	if diff -u --label "golden/$kv/$name.out" --label "emulator" \
		"$result.golden.cmp" "$result.cmp" > "$result.diff"; then
		echo "kernel $kv scenario $name: $steps steps, $known known differences: pass"
		warn_stale "$result.golden" "$result" "$name"
		return 0
	fi
	echo "kernel $kv scenario $name: $steps steps: FAIL (emulator output in $result)"
	cat "$result.diff"
	return 1
}

for kdir in "$GOLDEN"/*/; do
	kv=$(basename "$kdir")
	mkdir -p "$out/$kv"
	for golden in "$kdir"*.out; do
		[ -e "$golden" ] || continue
		name=$(basename "$golden" .out)
		if [ ! -x "$build/scenarios/$name" ]; then
			echo "kernel $kv scenario $name: FAIL (no $build/scenarios/$name)"
			fail=$((fail + 1))
			continue
		fi
		run_emulator "$name" "$kv" "$out/$kv/$name.out"
		if compare "$name" "$kv" "$golden" "$out/$kv/$name.out"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
		fi
	done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
