/* SPDX-License-Identifier: MIT */
/*
 * vfiodev: a tiny helper library for userspace drivers of VFIO devices with
 * iommufd, the way a DPDK- or SPDK-style driver talks to the kernel.  It
 * issues the real syscalls on the real paths (/dev/iommu,
 * /dev/vfio/devices/vfioN, /sys/bus/pci/devices/BDF/...), so a driver built
 * on it runs unchanged on a kernel with VFIO and under iommufd-emu.
 *
 * Each call prints what it did when vfiodev_verbose is set, so that a run
 * reads as an account of the sequence:
 *
 *   vfiodev_find(vendor, device)  PCI address -> cdev, through sysfs
 *   vfiodev_open(path)            open /dev/iommu and the cdev, BIND,
 *                                 IOAS_ALLOC, ATTACH, region and IRQ info
 *   vfiodev_map / _unmap          IOMMU_IOAS_MAP / UNMAP at a fixed IOVA
 *   vfiodev_cfg* / vfiodev_bar*   pread/pwrite of config space and BARs
 *   vfiodev_irq                   an eventfd per interrupt, SET_IRQS
 *   vfiodev_wait                  poll an eventfd
 *   vfiodev_close                 close everything (detach, unbind)
 *
 * Functions return 0 (or a value) on success and -errno on failure.
 */
#ifndef VFIODEV_H
#define VFIODEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VFIODEV_MAX_REGIONS 16

struct vfiodev {
	int iommufd;
	int fd;                       /* the device cdev */
	uint32_t devid;               /* DEVICE object id from BIND */
	uint32_t ioas;
	uint32_t hwpt;                /* the HWPT ATTACH chose */
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t flags;               /* VFIO_DEVICE_FLAGS_* */
	uint64_t region_offset[VFIODEV_MAX_REGIONS];
	uint64_t region_size[VFIODEV_MAX_REGIONS];
	char path[256];
};

extern bool vfiodev_verbose;

/* The cdev of the first PCI function with that vendor and device id, read
 * from /sys/bus/pci/devices/<bdf>/vfio-dev/: 0 and its path, or -ENODEV. */
int vfiodev_find(uint16_t vendor, uint16_t device, char *path, size_t len,
		 char *bdf, size_t bdf_len);

/* Open, bind, create an IOAS and attach to it, read the device's info. */
int vfiodev_open(struct vfiodev *d, const char *cdev_path);

/* Unbind and close (the kernel detaches on close). */
void vfiodev_close(struct vfiodev *d);

/* Map len bytes at va to iova (readable, and writable unless read_only). */
int vfiodev_map(struct vfiodev *d, void *va, uint64_t len, uint64_t iova, bool read_only);
int vfiodev_unmap(struct vfiodev *d, uint64_t iova, uint64_t len);

/* Config space and BAR access (n = 1, 2, 4 or 8 bytes). */
uint32_t vfiodev_cfg_read(struct vfiodev *d, unsigned int off, unsigned int n);
int vfiodev_cfg_write(struct vfiodev *d, unsigned int off, unsigned int n, uint32_t v);
uint64_t vfiodev_bar_read(struct vfiodev *d, int bar, uint64_t off, unsigned int n);
int vfiodev_bar_write(struct vfiodev *d, int bar, uint64_t off, unsigned int n, uint64_t v);

/* Turn on memory decode and bus mastering in the command register. */
int vfiodev_enable(struct vfiodev *d);

/* An eventfd signalled by interrupt vector of irq index (VFIO_PCI_*_IRQ_INDEX):
 * SET_IRQS enables the index with vectors 0..nvec-1, each with its own
 * eventfd; efds receives them.  0 or -errno. */
int vfiodev_irq(struct vfiodev *d, unsigned int index, unsigned int nvec, int *efds);

/* Wait up to ms for an eventfd: its count, 0 on timeout. */
uint64_t vfiodev_wait(int efd, int ms);

/* The name of an errno value ("EFAULT"). */
const char *vfiodev_errname(int err);

#endif
