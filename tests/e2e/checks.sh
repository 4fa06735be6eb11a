#!/bin/sh
# `iommufd-emu run --check` against deliberately buggy drivers: each mistake
# must be reported (text on stderr, its kind in the JSON log) and make the
# run exit with 3; a correct driver must run clean with status 0.
#   checks.sh BUILD_DIR
build=$1
pass=0
fail=0
log=$(mktemp)
out=$(mktemp)
for case in clean:none dma-unmapped:dma-unmapped dma-readonly:dma-permission \
	    stale-pin:stale-pin unmap-in-flight:unmap-in-flight irq-unacked:irq-unacked \
	    left-behind:left-behind; do
	bug=${case%%:*}
	kind=${case#*:}
	: > "$log"
	"$build/iommufd-emu" run --check --check-log "$log" --device edu,dma_delay=0 \
		--device edu,dma_delay=300000 -- "$build/tests/e2e/buggy" "$bug" > "$out" 2>&1
	status=$?
	if [ "$kind" = none ]; then
		ok=$([ "$status" -eq 0 ] && [ ! -s "$log" ] && echo yes)
	else
		ok=$([ "$status" -eq 3 ] && grep -q "\"kind\":\"$kind\"" "$log" &&
		     grep -q "check: $kind:" "$out" && echo yes)
	fi
	if [ "$ok" = yes ]; then
		echo "check $bug: status $status, reported $kind"
		pass=$((pass + 1))
	else
		echo "check $bug: status $status, expected $kind"
		cat "$out" "$log"
		fail=$((fail + 1))
	fi
done
# Fault injection: the same seed gives the same failures, run after run.
for run in 1 2; do
	"$build/iommufd-emu" run --check --check-log "$log.$run" --seed 7 \
		--inject "ioctl=*,p=0.1,errno=EIO" --inject "dma=vfio0,drop,nth=1" \
		--device edu,dma_delay=0 --device edu,dma_delay=300000 -- \
		"$build/tests/e2e/buggy" clean > "$out" 2>&1
	echo "status=$?" >> "$log.$run"
	sed -i 's/"pid":[0-9]*/"pid":P/' "$log.$run"
done
if [ -s "$log.1" ] && cmp -s "$log.1" "$log.2" && grep -q '"kind":"injected"' "$log.1"; then
	echo "check injection: the same seed fired the same $(grep -c injected "$log.1") rules"
	pass=$((pass + 1))
else
	echo "check injection: two runs with one seed differ"
	diff "$log.1" "$log.2"
	fail=$((fail + 1))
fi
rm -f "$log" "$out" "$log.1" "$log.2"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
