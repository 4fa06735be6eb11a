#!/bin/sh
# Every scenario of tests/kernel must print the same lines in-process (linked
# with the shim) and over FUSE (under `iommufd-emu run`, unmodified).
#   compare.sh BUILD_DIR
build=$1
pass=0
fail=0
for inproc in "$build"/scenarios/*-inproc; do
	name=$(basename "$inproc" -inproc)
	out="$build/scenarios/$name"
	"$inproc" > "$out.inproc.out" 2>&1
	echo "exit=$?" >> "$out.inproc.out"
	"$build/iommufd-emu" run -- "$build/scenarios/$name" > "$out.fuse.out" 2>&1
	echo "exit=$?" >> "$out.fuse.out"
	if diff -u "$out.inproc.out" "$out.fuse.out"; then
		echo "scenario $name: $(grep -c ' ret=' "$out.fuse.out") steps agree"
		pass=$((pass + 1))
	else
		echo "scenario $name: in-process and FUSE results differ"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
