#!/bin/sh
# build-kernel.sh KV — make sure $RIG_CACHE/KV/kernel holds a guest kernel
# (7.3 or 6.12) built from Debian's linux-source-KV with kernel.config, and
# print that directory.  Reuses, in this order:
#   1. its own earlier build, when the stamp (package version + fragment) matches;
#   2. a kernel built elsewhere, $RIG_REUSE/KV/kernel-rig (the layout of the
#      shared reference rig), when its config has every required option;
#   3. otherwise builds: defconfig + kvm_guest.config + kernel.config,
#      make -j$RIG_JOBS bzImage modules (about 10 minutes on 2 cores).
# RIG_REBUILD=1 skips 1 and 2.
set -eu
. "$(dirname "$0")/common.sh"

KV=${1:?usage: build-kernel.sh 7.3|6.12}
VER=$(kernel_pkg_version "$KV")
TOP=$RIG_CACHE/$KV
OUT=$TOP/kernel
STAMP=$( { echo "$VER"; cat "$RIG_DIR/kernel.config"; } | sha256sum | cut -c1-16)

have_own() {
	[ -f "$OUT/bzImage" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$STAMP" ]
}

# A kernel built by the shared rig from the same source package: adopt it
# by symlink (it is read-only to us) when its config is good enough.
adopt() {
	other=${RIG_REUSE:-}/$KV/kernel-rig
	[ -n "${RIG_REUSE:-}" ] && [ -f "$other/bzImage" ] && [ -d "$other/modroot" ] || return 1
	check_config "$other/config" "$KV" || return 1
	mkdir -p "$TOP"
	rm -rf "$OUT"
	ln -s "$other" "$OUT"
	log "reusing the kernel in $other ($(cat "$other/kernelrelease"))"
}

# The source tree: from the shared rig's unpacked copy if there is one,
# else unpacked from the .deb.
ensure_source() {
	[ -f "$TOP/src/Makefile" ] && return 0
	mkdir -p "$TOP"
	other=${RIG_REUSE:-}/$KV/src/linux-source-$KV
	if [ -n "${RIG_REUSE:-}" ] && [ -f "$other/Makefile" ]; then
		rm -rf "$TOP/src"
		ln -s "$other" "$TOP/src"
		return 0
	fi
	deb=$(fetch_deb "linux-source-$KV" "$VER")
	log "unpacking $deb"
	rm -rf "$TOP/pkg" "$TOP/src" "$TOP/linux-source-$KV"
	dpkg-deb -x "$deb" "$TOP/pkg"
	tar -xf "$TOP/pkg/usr/src/linux-source-$KV.tar.xz" -C "$TOP"
	rm -rf "$TOP/pkg"
	mv "$TOP/linux-source-$KV" "$TOP/src"
}

build() {
	ensure_source
	b=$TOP/build
	mkdir -p "$b"
	log "configuring $KV: x86_64_defconfig + kvm_guest.config + kernel.config"
	make -s -C "$TOP/src" O="$b" defconfig >&2
	"$TOP/src/scripts/kconfig/merge_config.sh" -O "$b" -m "$b/.config" \
		"$TOP/src/kernel/configs/kvm_guest.config" "$RIG_DIR/kernel.config" >/dev/null
	make -s -C "$TOP/src" O="$b" olddefconfig >&2
	check_config "$b/.config" "$KV" || die "the merged config lacks required options"
	log "building linux $VER with make -j$RIG_JOBS (log: $TOP/kbuild.log)"
	t0=$(date +%s)
	make -C "$TOP/src" O="$b" -j"$RIG_JOBS" bzImage modules > "$TOP/kbuild.log" 2>&1 ||
		{ tail -30 "$TOP/kbuild.log" >&2; die "kernel build failed, see $TOP/kbuild.log"; }
	rm -rf "$OUT" && mkdir -p "$OUT"
	make -s -C "$TOP/src" O="$b" INSTALL_MOD_PATH="$OUT/modroot" INSTALL_MOD_STRIP=1 \
		modules_install >&2
	cp "$b/arch/x86/boot/bzImage" "$b/.config" "$OUT/"
	mv "$OUT/.config" "$OUT/config"
	make -s -C "$TOP/src" O="$b" kernelrelease > "$OUT/kernelrelease"
	echo "$STAMP" > "$OUT/stamp"
	log "kernel $(cat "$OUT/kernelrelease") built in $(( $(date +%s) - t0 )) s"
}

if [ -n "${RIG_REBUILD:-}" ] || { ! have_own && ! { [ -L "$OUT" ] && check_config "$OUT/config" "$KV"; } && ! adopt; }; then
	[ -L "$OUT" ] && rm -f "$OUT"
	build
fi
echo "$OUT"
