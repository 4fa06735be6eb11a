#!/bin/sh
# kernel-selftest.sh BUILD_DIR — the kernel's own iommufd selftest
# (tools/testing/selftests/iommu/iommufd.c of Debian's linux-source-7.3),
# built outside the repository and run unprivileged-capable under
#   iommufd-emu run --selftest-mock --add-caps SYS_RESOURCE
# then scored per case against the results of a real 7.3 kernel
# (tests/kernel/golden/7.3/iommufd-selftest.txt).
#
# The source comes from the reference rig's cache ($RIG_CACHE/7.3/src,
# unpacked there when missing; tests/kernel/rig/common.sh).  The binary is
# linked dynamically: the preload library must see its open() and ioctl().
#
# Knobs: HUGEPAGES=N sets vm.nr_hugepages for the run (root; the 24 cases
# that map MAP_HUGETLB memory need it, as on a real machine), restoring it
# after.  SELFTEST_ARGS are passed to the selftest (e.g. -f FIXTURE).
set -eu
BUILD=${1:?usage: kernel-selftest.sh BUILD_DIR}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/kernel/rig/common.sh"
KV=7.3
SRC=$RIG_CACHE/$KV/src
OUT=$RIG_CACHE/$KV/selftest
BIN=$OUT/iommufd-emu-selftest
REF=$TOP/tests/kernel/golden/$KV/iommufd-selftest.txt

unpack_source() {
	[ -f "$SRC/Makefile" ] && return 0
	deb=$(fetch_deb "linux-source-$KV" "$(kernel_pkg_version $KV)")
	log "unpacking $(basename "$deb") into $RIG_CACHE/$KV"
	tmp=$RIG_CACHE/$KV/deb
	rm -rf "$tmp" && mkdir -p "$tmp"
	dpkg-deb -x "$deb" "$tmp"
	mkdir -p "$SRC"
	tar -xaf "$tmp"/usr/src/linux-source-$KV.tar.* -C "$SRC" --strip-components=1
	rm -rf "$tmp"
}

build_selftest() {
	c=$SRC/tools/testing/selftests/iommu/iommufd.c
	[ -x "$BIN" ] && [ "$BIN" -nt "$c" ] && return 0
	mkdir -p "$OUT"
	[ -d "$OUT/obj/usr/include/linux" ] || {
		log "generating the $KV uapi headers"
		make -s -C "$SRC" O="$OUT/obj" headers >&2
	}
	log "building the iommufd selftest (dynamic, for the preload library)"
	gcc -O2 -Wall -Wno-unused-function -D_GNU_SOURCE -isystem "$OUT/obj/usr/include" \
		-I"$SRC/tools/testing/selftests" -I"$SRC/tools/include" \
		-o "$BIN" "$c" -lcap -lpthread 2> "$OUT/build-dyn.log" ||
		{ cat "$OUT/build-dyn.log" >&2; die "selftest build failed"; }
}

# NAME RESULT (ok, fail, skip) per case of a TAP log.
cases() {
	sed -n 's/^\(not \)\{0,1\}ok \([0-9]* \)\{0,1\}\([^ ]*\)\(.*\)$/\1ok \3\4/p' "$1" |
		awk '{ r = ($1 == "not") ? "fail" : "ok"; n = ($1 == "not") ? $3 : $2;
		       if ($0 ~ /# SKIP/) r = "skip"; print n, r }' | sort
}

unpack_source
build_selftest
[ -f /usr/lib/x86_64-linux-gnu/libcap.so ] || die "libcap-dev missing"

saved=""
if [ -n "${HUGEPAGES:-}" ]; then
	saved=$(cat /proc/sys/vm/nr_hugepages)
	echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages
fi
log=$BUILD/kernel-selftest.log
mkdir -p "$BUILD"
log "running it under iommufd-emu run --selftest-mock (log: $log)"
set +e
"$BUILD/iommufd-emu" run --selftest-mock --add-caps SYS_RESOURCE -- \
	"$BIN" ${SELFTEST_ARGS:-} > "$log" 2>&1
set -e
[ -z "$saved" ] || echo "$saved" > /proc/sys/vm/nr_hugepages

cases "$log" > "$BUILD/kernel-selftest.emu"
cases "$REF" > "$BUILD/kernel-selftest.ref"
grep -m1 '^# Totals' "$log" || true
awk '$2 == "ok"' "$BUILD/kernel-selftest.ref" | cut -d' ' -f1 > "$BUILD/kernel-selftest.refok"
awk '$2 == "ok"' "$BUILD/kernel-selftest.emu" | cut -d' ' -f1 > "$BUILD/kernel-selftest.emuok"
nref=$(grep -c . "$BUILD/kernel-selftest.refok")
nboth=$(comm -12 "$BUILD/kernel-selftest.refok" "$BUILD/kernel-selftest.emuok" | grep -c . || true)
echo "of the $nref cases Linux $KV passes in the reference guest, $nboth pass here"
echo "passed by the kernel, not here:"
comm -23 "$BUILD/kernel-selftest.refok" "$BUILD/kernel-selftest.emuok" | sed 's/^/  /'
echo "passed here, not by the kernel:"
comm -13 "$BUILD/kernel-selftest.refok" "$BUILD/kernel-selftest.emuok" | sed 's/^/  /'
pass=$(awk '$2 == "ok"' "$BUILD/kernel-selftest.emu" | grep -c . || true)
fail=$(awk '$2 == "fail"' "$BUILD/kernel-selftest.emu" | grep -c . || true)
skip=$(awk '$2 == "skip"' "$BUILD/kernel-selftest.emu" | grep -c . || true)
echo "kernel selftest under the emulator: $pass passed, $fail failed, $skip skipped"
echo "$nboth passed, $((nref - nboth)) failed"
[ "$nboth" -eq "$nref" ]
