#!/bin/sh
# reference.sh STATIC_DIR KV... — record the golden outputs on real kernels:
# for each kernel (7.3, 6.12), build or reuse it (build-kernel.sh), then
# boot it once per scenario of tests/kernel (rig/scenarios says how; the
# static binaries are STATIC_DIR/NAME) and write tests/kernel/golden/KV/
# NAME.out; then run the kernel's own iommufd selftest in the guest and
# write its per-case results to golden/KV/iommufd-selftest.txt.
set -eu
. "$(dirname "$0")/common.sh"

STATIC=${1:?usage: reference.sh STATIC_DIR KV...}
shift
KDIR=$(dirname "$RIG_DIR")
GOLDEN=$KDIR/golden

boot_of() {
	b=$(awk -v n="$1" '$1 == n { print $2 }' "$RIG_DIR/scenarios")
	echo "${b:-intel}"
}

# boot.sh, once more if the guest gave no status (a TCG hiccup).
boot_retry() {
	"$RIG_DIR/boot.sh" "$@" || { [ $? -eq 125 ] && "$RIG_DIR/boot.sh" "$@"; }
}

scenarios() {
	kv=$1
	for src in "$KDIR"/*.c; do
		name=$(basename "$src" .c)
		boot=$(boot_of "$name")
		[ "$boot" != - ] || { log "$name: not run on a real kernel (see rig/scenarios)"; continue; }
		[ -x "$STATIC/$name" ] || die "no static build of $name in $STATIC"
		boot_retry "$kv" "$boot" "$GOLDEN/$kv/$name.out" "$STATIC/$name"
		log "$kv $name: $(grep -c ' ret=' "$GOLDEN/$kv/$name.out") steps, $(tail -n1 "$GOLDEN/$kv/$name.out")"
	done
}

# TAP "ok N name" lines without their numbers, under a header of facts.
selftest() {
	kv=$1
	out=$GOLDEN/$kv/iommufd-selftest.txt
	# A tree whose selftest does not build (6.12.95's uses uapi of later
	# kernels) gets the compiler's errors recorded instead of results.
	if ! bin=$("$RIG_DIR/build-selftest.sh" "$kv"); then
		{
			echo "# tools/testing/selftests/iommu/iommufd.c of linux-source-$kv $(kernel_pkg_version "$kv")"
			echo "# does not build against its own tree's headers, so it was not run:"
			grep 'error:' "$RIG_CACHE/$kv/selftest/build.log" | sed "s|^$RIG_CACHE/$kv/src/||; s|^[^ ]*/src/||; s/^/#   /"
		} > "$out"
		log "$kv selftest: does not build, see $out"
		return 0
	fi
	raw=$RIG_CACHE/$kv/runs/selftest.tap
	# Its hugepage cases map 2 MiB pages from hugetlbfs: reserve some.
	RIG_MEM=1536M RIG_TIMEOUT=900 RIG_PRE='echo 256 > /proc/sys/vm/nr_hugepages' \
		boot_retry "$kv" intel "$raw" "$bin"
	{
		echo "# tools/testing/selftests/iommu/iommufd.c of linux-source-$kv $(kernel_pkg_version "$kv"),"
		echo "# run as root in the reference guest ($(cat "$RIG_CACHE/$kv/kernel/kernelrelease"), CONFIG_IOMMUFD_TEST=y,"
		echo "# q35 + intel-iommu, 1536 MiB, 256 hugepages of 2 MiB); see golden/README.md."
		grep '^# Totals' "$raw" || true
		sed -n 's/^\(not ok\|ok\) [0-9][0-9]* /\1 /p' "$raw"
	} > "$out"
	log "$kv selftest: $(grep '^# Totals' "$raw")"
}

for kv in "$@"; do
	t0=$(date +%s)
	"$RIG_DIR/build-kernel.sh" "$kv" > /dev/null
	mkdir -p "$GOLDEN/$kv"
	scenarios "$kv"
	selftest "$kv"
	log "kernel $kv: golden outputs recorded in $(( $(date +%s) - t0 )) s"
done
