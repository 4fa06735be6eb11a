#!/bin/sh
# Trace -> replay round trips: each scenario (with the devices it asks for,
# `scenario --devices`) and each example driver runs under
# `iommufd-emu run --trace T`, then `iommufd-emu replay T` must find no
# divergence.  Then traces edited to expect something else must make
# replay report the divergence at the edited line, with exit status 1.
#   replay.sh BUILD_DIR
build=$1
emu="$build/iommufd-emu"
dir="$build/tests/e2e/replay"
pass=0
fail=0
mkdir -p "$dir"

ok() {
	echo "$1"
	pass=$((pass + 1))
}

ko() {
	echo "$1"
	fail=$((fail + 1))
}

# round_trip NAME PROGRAM [--device SPEC]...
round_trip() {
	name=$1
	prog=$2
	shift 2
	trace="$dir/$name.trace"
	rm -f "$trace"
	if ! "$emu" run --trace "$trace" "$@" -- "$prog" > "$dir/$name.run.out" 2>&1; then
		cat "$dir/$name.run.out"
		ko "replay $name: the traced run failed"
		return
	fi
	"$emu" replay "$trace" > "$dir/$name.replay.out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^replay: [0-9]* requests, no divergence$' "$dir/$name.replay.out"; then
		ok "replay $name: $(sed -n 's/^replay: //p' "$dir/$name.replay.out")"
	else
		cat "$dir/$name.replay.out"
		ko "replay $name: exit status $rc"
	fi
}

for name in core edu noiommu; do
	prog="$build/scenarios/$name"
	devices=$("$prog" --devices)
	set --
	old_ifs=$IFS
	IFS=';'
	for d in $devices; do
		set -- "$@" --device "$d"
	done
	IFS=$old_ifs
	round_trip "$name" "$prog" "$@"
done
for drv in edu dmatest; do
	round_trip "${drv}_driver" "$build/examples/${drv}_driver" --device edu \
		--device dmatest,queues=2
done

# expect_divergence WHAT TRACE LINE [--fast]: replay must stop at LINE.
expect_divergence() {
	what=$1
	trace=$2
	line=$3
	shift 3
	"$emu" replay "$trace" "$@" > "$trace.out" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q "^replay: divergence at line $line:" "$trace.out"; then
		ok "replay of an edited trace ($what): divergence at line $line, exit status 1"
	else
		cat "$trace.out"
		ko "replay of an edited trace ($what): expected a divergence at line $line, exit status $rc"
	fi
}

# The first line of a trace matching a pattern.
first_line() {
	grep -n "$2" "$1" | head -1 | cut -d: -f1
}

src="$dir/edu_driver.trace"
if [ -s "$src" ]; then
	# A call that succeeded, edited to have failed.
	line=$(first_line "$src" '"cmd":"IOMMU_IOAS_ALLOC".*"ret":0,')
	sed "${line}s/\"ret\":0,/\"ret\":-1,\"errno\":\"ENOMEM\",/" "$src" > "$dir/edited-result.trace"
	expect_divergence "a result" "$dir/edited-result.trace" "$line"
	# A value the ioctl wrote back (the last pt_id of the line is the output's).
	line=$(first_line "$src" '"cmd":"VFIO_DEVICE_ATTACH_IOMMUFD_PT".*"ret":0,')
	sed "${line}s/\\(.*\\)\"pt_id\":\\([0-9]*\\)/\\1\"pt_id\":77\\2/" "$src" > "$dir/edited-out.trace"
	expect_divergence "an output field" "$dir/edited-out.trace" "$line"
	# The bytes a register read returned.
	line=$(first_line "$src" '"op":"read","off":"0x0",.*"ret":4,"data":"')
	sed "${line}s/\"data\":\"[0-9a-f]*\"/\"data\":\"5a5a5a5a\"/" "$src" > "$dir/edited-read.trace"
	expect_divergence "a register read" "$dir/edited-read.trace" "$line" --fast
else
	ko "replay of edited traces: no trace of edu_driver to edit"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
