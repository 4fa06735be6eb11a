#!/bin/sh
# build-selftest.sh KV — build the kernel's own iommufd selftest
# (tools/testing/selftests/iommu/iommufd.c of linux-source-KV) as a static
# binary in $RIG_CACHE/KV/selftest/iommufd, against the uapi headers of the
# same tree, and print its path.  Needs libcap-dev (static libcap).  Nothing
# of it goes into the repository: only its results do.
set -eu
. "$(dirname "$0")/common.sh"

KV=${1:?usage: build-selftest.sh 7.3|6.12}
TOP=$RIG_CACHE/$KV
SRC=$TOP/src
OUT=$TOP/selftest/iommufd
[ -f "$SRC/Makefile" ] || die "no source in $SRC: run build-kernel.sh $KV first"
[ -f /usr/lib/x86_64-linux-gnu/libcap.a ] || die "static libcap missing: apt-get install libcap-dev"
if [ -x "$OUT" ] && [ "$OUT" -nt "$SRC/tools/testing/selftests/iommu/iommufd.c" ]; then
	echo "$OUT"
	exit 0
fi
mkdir -p "$TOP/selftest"
# Its own O= directory: "make headers" (O/usr/include) must not race a
# kernel build; headers_install would also want rsync.
log "generating $KV uapi headers"
make -s -C "$SRC" O="$TOP/selftest/obj" headers >&2
log "building the iommufd selftest (static)"
gcc -static -O2 -Wall -Wno-unused-function -D_GNU_SOURCE -isystem "$TOP/selftest/obj/usr/include" \
	-I"$SRC/tools/testing/selftests" -I"$SRC/tools/include" \
	-o "$OUT" "$SRC/tools/testing/selftests/iommu/iommufd.c" -lcap -lpthread \
	2> "$TOP/selftest/build.log" || { cat "$TOP/selftest/build.log" >&2;
	die "selftest build failed"; }
echo "$OUT"
