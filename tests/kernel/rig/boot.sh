#!/bin/sh
# boot.sh KV MODE OUT PROGRAM [ARGS...] — boot the reference kernel KV
# (built by build-kernel.sh) in QEMU with QEMU's edu device, run the static
# PROGRAM once inside as root, and write what it printed (stdout and stderr)
# to OUT, followed by "exit=<status>", as the emulator check writes its own.
# MODE is
#   intel    q35 + intel-iommu (intremap, caching-mode), guest intel_iommu=on:
#            edu is /dev/vfio/devices/vfio0
#   noiommu  no IOMMU, vfio.enable_unsafe_noiommu_mode=1: edu is
#            /dev/vfio/devices/noiommu-vfio0 on 7.3, has no cdev on 6.12
# Exit status 0 when the guest reported the program's status, 125 when it
# did not (timeout, crash); the console log is kept in $RIG_CACHE/KV/runs.
# RIG_PRE: a shell command the guest runs as root before PROGRAM.
# RIG_ACCEL=auto|kvm|tcg (auto: KVM where hardware virtualisation works),
# RIG_TIMEOUT (300 s), RIG_MEM (256M: edu's DMA reaches only the first
# 256 MiB, which matters without an IOMMU).
set -eu
. "$(dirname "$0")/common.sh"

[ $# -ge 4 ] || die "usage: boot.sh KV intel|noiommu OUT PROGRAM [ARGS...]"
KV=$1 MODE=$2 OUT=$3 PROG=$4
shift 4
K=$RIG_CACHE/$KV/kernel
RUNS=$RIG_CACHE/$KV/runs
[ -f "$K/bzImage" ] || die "no kernel in $K: run build-kernel.sh $KV first"
[ -f "$PROG" ] || die "no program $PROG"
readelf -l "$PROG" | grep -q 'program interpreter' && die "$PROG is not static"
KREL=$(cat "$K/kernelrelease")
MODROOT=$K/modroot
mkdir -p "$RUNS"

ensure_busybox() {
	[ -x "$RIG_CACHE/busybox" ] && return 0
	deb=$(fetch_deb busybox-static)
	rm -rf "$RIG_CACHE/bb.tmp"
	dpkg-deb -x "$deb" "$RIG_CACHE/bb.tmp"
	cp "$RIG_CACHE/bb.tmp/bin/busybox" "$RIG_CACHE/busybox"
	rm -rf "$RIG_CACHE/bb.tmp"
}

# The modules /init loads, dependencies first, as modprobe would order them.
module_list() {
	for m in iommufd vfio vfio_iommu_type1 vfio-pci; do
		modprobe -d "$MODROOT" -S "$KREL" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | sed "s|^$MODROOT/lib/modules/$KREL/||"
}

# A gzipped cpio with busybox, /init, the modules, the program and /job.
make_initramfs() {
	root=$(mktemp -d "$RUNS/root.XXXXXX")
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp"
	cp "$RIG_CACHE/busybox" "$root/bin/busybox"
	cp "$RIG_DIR/guest-init.sh" "$root/init"
	cp "$PROG" "$root/prog"
	chmod 755 "$root/init" "$root/prog"
	module_list > "$root/modules.load"
	while read -r ko; do
		mkdir -p "$root/lib/modules/$KREL/$(dirname "$ko")"
		cp "$MODROOT/lib/modules/$KREL/$ko" "$root/lib/modules/$KREL/$ko"
	done < "$root/modules.load"
	{
		[ -z "${RIG_PRE:-}" ] || echo "$RIG_PRE"
		printf 'exec /prog'
		for a in "$@"; do printf " '%s'" "$a"; done
		echo
	} > "$root/job"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$1"
	rm -rf "$root"
}

pick_accel() {
	a=${RIG_ACCEL:-auto}
	if [ "$a" = auto ]; then
		# /dev/kvm alone is not enough: kvm_pvm (a pagetable-based nested
		# KVM) offers it without vmx/svm and cannot run stock kernels.
		a=tcg
		if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] &&
		   grep -qwE 'vmx|svm' /proc/cpuinfo; then
			a=kvm
		fi
	fi
	echo "$a"
}

ensure_busybox
INITRD=$RUNS/initramfs-$$.cpio.gz
make_initramfs "$INITRD" "$@"
ACCEL=$(pick_accel)
case $ACCEL in
kvm) ACCEL_ARGS="-accel kvm -cpu host" IRQCHIP=,kernel-irqchip=split ;;
tcg) ACCEL_ARGS="-accel tcg -cpu max" IRQCHIP= ;;
*) die "RIG_ACCEL must be auto, kvm or tcg" ;;
esac
# no_timer_check: under TCG on a busy host the IO-APIC timer check can miss
# its ticks and panic ("timer doesn't work through Interrupt-remapped IO-APIC").
APPEND="console=ttyS0 panic=-1 loglevel=4 rdinit=/init no_timer_check"
case $MODE in
intel) IOMMU_ARGS="-device intel-iommu,intremap=on,caching-mode=on"
       APPEND="$APPEND intel_iommu=on" ;;
noiommu) IOMMU_ARGS= IRQCHIP=
       APPEND="$APPEND vfio.enable_unsafe_noiommu_mode=1" ;;
*) die "MODE must be intel or noiommu" ;;
esac

CONSOLE=$RUNS/console-$(basename "$OUT").log
log "$KREL $MODE $ACCEL: $(basename "$PROG") $*"
set +e
# edu at 00:04.0, where the emulator puts its first device by default.
# shellcheck disable=SC2086
timeout "${RIG_TIMEOUT:-300}" qemu-system-x86_64 -nodefaults -no-user-config \
	$ACCEL_ARGS -smp 1 -m "${RIG_MEM:-256M}" -machine "q35$IRQCHIP" $IOMMU_ARGS \
	-device edu,addr=04.0 -kernel "$K/bzImage" -initrd "$INITRD" -append "$APPEND" \
	-display none -serial stdio -monitor none -no-reboot \
	< /dev/null 2> "$CONSOLE.qemu-stderr" | tr -d '\r' > "$CONSOLE"
set -e
rm -f "$INITRD"
st=$(sed -n 's/^REF-EXIT=\([0-9]*\)$/\1/p' "$CONSOLE" | tail -n1)
[ -n "$st" ] || { log "no status from the guest: see $CONSOLE"; exit 125; }
sed -n '/^REF-OUTPUT-BEGIN$/,/^REF-OUTPUT-END$/p' "$CONSOLE" | sed '1d;$d' > "$OUT"
echo "exit=$st" >> "$OUT"
