#!/bin/sh
# Every scenario of tests/kernel must print the same lines in-process (linked
# with the shim) and over FUSE (under `iommufd-emu run`, unmodified), with
# the devices the scenario asks for (`scenario --devices`).
#   compare.sh BUILD_DIR
build=$1
pass=0
fail=0
for inproc in "$build"/scenarios/*-inproc; do
	name=$(basename "$inproc" -inproc)
	prog="$build/scenarios/$name"
	devices=$("$prog" --devices)
	set --
	old_ifs=$IFS
	IFS=';'
	for d in $devices; do
		set -- "$@" --device "$d"
	done
	IFS=$old_ifs
	IOMMUFD_EMU_SHIM_DEVICES="$devices" "$inproc" > "$prog.inproc.out" 2>&1
	echo "exit=$?" >> "$prog.inproc.out"
	"$build/iommufd-emu" run "$@" -- "$prog" > "$prog.fuse.out" 2>&1
	echo "exit=$?" >> "$prog.fuse.out"
	if diff -u "$prog.inproc.out" "$prog.fuse.out"; then
		echo "scenario $name: $(grep -c ' ret=' "$prog.fuse.out") steps agree"
		pass=$((pass + 1))
	else
		echo "scenario $name: in-process and FUSE results differ"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
