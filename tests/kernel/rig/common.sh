# Shared by the reference harness scripts (sourced, POSIX sh).
#
# Everything large lives under $RIG_CACHE (never inside the repository):
#   $RIG_CACHE/debs/                   downloaded .debs (apt-get download)
#   $RIG_CACHE/busybox                 busybox-static's binary
#   $RIG_CACHE/<kv>/src/               the unpacked linux-source-<kv> tree
#   $RIG_CACHE/<kv>/build/             its O= build directory
#   $RIG_CACHE/<kv>/kernel/            bzImage, config, kernelrelease, modroot/, stamp
#   $RIG_CACHE/<kv>/selftest/iommufd   the kernel's iommufd selftest, static
#   $RIG_CACHE/<kv>/runs/              initramfs and console log of the last boots

RIG_DIR=$(cd "$(dirname "$0")" && pwd)
RIG_CACHE=${RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommufd-emu-rig}
RIG_JOBS=${RIG_JOBS:-3}

log() { echo "[rig] $*" >&2; }
die() { echo "[rig] ERROR: $*" >&2; exit 2; }

# The Debian source package each kernel comes from: 7.3 from trixie-backports,
# 6.12 LTS from bookworm-backports (the suites are in the machine's apt sources).
kernel_pkg_version() {
	case $1 in
	7.3) echo 7.3.4-1~bpo13+1 ;;
	6.12) echo 6.12.95-1~bpo12+1 ;;
	*) die "unknown kernel $1 (7.3 or 6.12)" ;;
	esac
}

# apt-get download PKG[=VER] into $RIG_CACHE/debs; print the .deb's path.
fetch_deb() {
	pkg=$1 ver=${2:-}
	mkdir -p "$RIG_CACHE/debs"
	pat="$RIG_CACHE/debs/${pkg}_$(printf '%s' "$ver" | sed 's/:/%3a/')"
	f=$(ls "$pat"*.deb 2>/dev/null | head -n1)
	if [ -z "$f" ]; then
		log "apt-get download $pkg${ver:+=$ver}"
		(cd "$RIG_CACHE/debs" && apt-get download -q "$pkg${ver:+=$ver}" >&2) ||
			die "apt-get download $pkg failed: is its suite in the apt sources (see golden/README.md)?"
		f=$(ls "$pat"*.deb | head -n1)
	fi
	echo "$f"
}

# The options a reference kernel must have; a built or reused kernel whose
# config lacks one is refused.  7.3 also needs the noiommu cdev.
required_options() {
	echo IOMMUFD=m IOMMUFD_TEST=y VFIO=m VFIO_DEVICE_CDEV=y VFIO_PCI=m \
		VFIO_NOIOMMU=y INTEL_IOMMU=y IRQ_REMAP=y KVM_GUEST=y PCI_MSI=y \
		TRANSPARENT_HUGEPAGE=y
	[ "$1" = 6.12 ] || echo IOMMUFD_NOIOMMU=y
}

# check_config CONFIG_FILE KV: 0 when every required option is there.
check_config() {
	ok=0
	for opt in $(required_options "$2"); do
		grep -qx "CONFIG_$opt" "$1" || { log "$1 lacks CONFIG_$opt"; ok=1; }
	done
	return $ok
}
