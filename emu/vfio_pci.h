/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci: the driver behind each device cdev, as Linux 7.3's
 * vfio_pci_core.c presents a PCI function: enabling it when the device is
 * first opened and quiescing it when closed, its ioctls (GET_INFO,
 * GET_IRQ_INFO, SET_IRQS, RESET, hot reset, IOEVENTFD), its region
 * information and features, and region reads and writes (config space
 * through vfio_config, BARs through the model with memory decode
 * enforced, a device-specific region if the model has one).
 *
 * The caller holds the device lock.  Region index n starts at offset n << 40.
 */
#ifndef IEMU_VFIO_PCI_H
#define IEMU_VFIO_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iommufd_emu/uapi/vfio.h"

struct iemu_device;
struct iemu_proc;

#define VFIO_PCI_OFFSET_SHIFT 40
#define VFIO_PCI_OFFSET_MASK ((1ULL << VFIO_PCI_OFFSET_SHIFT) - 1)

/* Capabilities of an info reply, packed as the kernel packs them. */
struct vfio_caps {
	uint8_t buf[64];
	uint32_t size;
};

/* open_device / close_device. */
int vfio_pci_open(struct iemu_device *d);
void vfio_pci_close(struct iemu_device *d);

/* The driver's ioctl: -ENOTTY for numbers it does not know. */
long vfio_pci_ioctl(struct iemu_device *d, struct iemu_proc *caller, unsigned int cmd,
		    uint64_t arg);

/* Fill in a region's size, flags and offset, and its capabilities. */
int vfio_pci_region_info(struct iemu_device *d, struct vfio_region_info *info,
			 struct vfio_caps *caps);

/* A feature vfio_main does not handle itself: data at arg, argsz bytes. */
int vfio_pci_feature(struct iemu_device *d, struct iemu_proc *caller, uint32_t flags,
		     uint64_t arg, uint32_t argsz);

/* Region I/O at off (count may be 0). */
ssize_t vfio_pci_rw(struct iemu_device *d, void *buf, size_t count, uint64_t off,
		    bool write);

/* A power state change userspace asked for in the PM capability. */
void vfio_pci_set_power_state(struct iemu_device *d, unsigned int state);

/* Any access to the device ends a low-power period armed with a wakeup
 * eventfd, which is signalled. */
void vfio_pci_wake(struct iemu_device *d);

/* Undo everything SET_IRQS and IOEVENTFD set up. */
void vfio_pci_release_eventfds(struct iemu_device *d);

#endif
