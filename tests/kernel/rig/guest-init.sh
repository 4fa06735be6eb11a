#!/bin/busybox sh
# /init of the reference guest (busybox-static).  Loads the iommufd and VFIO
# modules, binds QEMU's edu device (1234:11e8) to vfio-pci, runs /job (one
# scenario or the selftest) with its output kept in a file, then prints that
# output between markers on the serial console and powers off.  Kernel
# messages are kept off the console so that they cannot interleave; the
# interesting ones are printed afterwards as REF-DMESG lines.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp
dmesg -n 1

info() { echo "REF-INFO: $*"; }
finish() {
	echo "REF-EXIT=$1"
	sync
	poweroff -f
	sleep 5
	echo o > /proc/sysrq-trigger
}

CMDLINE=$(cat /proc/cmdline)
KVER=$(uname -r)
info "kernel $KVER; cmdline: $CMDLINE"

# busybox insmod takes no "<module>.<param>=" words from the command line
# as kmod's modprobe would: pass them by hand (vfio.enable_unsafe_noiommu_mode).
while read -r ko; do
	[ -n "$ko" ] || continue
	m=$(basename "$ko" .ko | tr - _)
	opts=""
	for w in $CMDLINE; do
		case "$w" in "$m".*=*) opts="$opts ${w#"$m".}" ;; esac
	done
	insmod "/lib/modules/$KVER/$ko" $opts || info "insmod $ko failed"
done < /modules.load

bdf=""
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
		bdf=${d##*/}
	fi
done
if [ -n "$bdf" ]; then
	d=/sys/bus/pci/devices/$bdf
	echo vfio-pci > "$d/driver_override"
	[ -e "$d/driver" ] && echo "$bdf" > "$d/driver/unbind"
	echo "$bdf" > /sys/bus/pci/drivers_probe
	info "edu $bdf driver=$(basename "$(readlink "$d/driver")")"
fi
info "nodes: $(ls /dev/iommu /dev/vfio /dev/vfio/devices 2>&1 | tr '\n' ' ')"

cd /tmp
echo "REF-BEGIN uptime=$(cut -d' ' -f1 /proc/uptime)"
sh /job > /tmp/out 2>&1
rc=$?
echo "REF-OUTPUT-BEGIN"
cat /tmp/out
echo "REF-OUTPUT-END"
dmesg | grep -iE 'dmar|vfio|iommu|fault|taint|bug|warn' | tail -40 | sed 's/^/REF-DMESG: /'
finish $rc
