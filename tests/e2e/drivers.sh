#!/bin/sh
# The example drivers, unmodified, under `iommufd-emu run` (namespace and
# preload, then preload alone): each must find its device in sysfs and pass
# every step.
#   drivers.sh BUILD_DIR
build=$1
pass=0
fail=0
for mode in "" "--no-namespace"; do
	for drv in edu dmatest; do
		out="$build/examples/${drv}_driver$mode.out"
		if "$build/iommufd-emu" run $mode --device edu --device dmatest,queues=2 -- \
			"$build/examples/${drv}_driver" > "$out" 2>&1; then
			echo "driver $drv ${mode:-(namespace)}: $(grep -c . "$out") lines, all steps passed"
			pass=$((pass + 1))
		else
			cat "$out"
			echo "driver $drv ${mode:-(namespace)}: FAILED"
			fail=$((fail + 1))
		fi
	done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
