/* SPDX-License-Identifier: MIT */
/*
 * Emulated VFIO devices: a PCI function (a mockdev model) as vfio-pci
 * presents it through a device cdev, its binding to an iommufd context, and
 * the state the DMA engine and the interrupt paths need.
 *
 * Locks, outermost first: the device lock (the kernel's dev_set lock: files,
 * binding, vfio-pci state, config and BAR access), the DMA lock (which
 * translation the device's DMA uses; a DMA holds it for reading throughout),
 * the bound context's lock, a page table's lock, the physical memory lock.
 * Attach, detach and unbind take the DMA lock for writing before the
 * context's lock, so that an emulated device's DMA, which takes the context
 * lock inside the DMA lock, cannot deadlock with them.
 */
#ifndef IEMU_DEVICE_H
#define IEMU_DEVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "iommufd_emu.h"
#include "pci.h"
#include "vfio_config.h"
#include "vfio_irq.h"

struct access;
struct idev;
struct ioeventfd;
struct model;
struct pt;

#define DEVICE_FAULT_LOG 16

struct iemu_device {
	struct iemu *emu;
	unsigned int index;       /* cdev minor, N of vfioN */
	char name[32];            /* cdev name: vfioN or noiommu-vfioN */
	char bdf[16];
	char label[32];           /* name= of the spec, or the model's name */
	const struct model *model;
	struct pcifn *fn;
	enum iemu_noiommu noiommu;
	bool emulated;            /* bound through an access object, like mdev */
	struct iemu_device *next;

	pthread_mutex_t lock;
	unsigned int files;       /* open device files */
	struct iemu_devfile *bound; /* the file holding the device open */
	struct iemu_proc *binder; /* the process that bound it */
	struct iemu_ctx *ctx;     /* the bound context (a reference) */
	struct idev *idev;        /* its DEVICE object */
	struct access *access;    /* or its ACCESS object (emulated) */
	uint32_t devid;
	bool attached;            /* attached through a plain ATTACH */
	bool pasid0;              /* attached through ATTACH with PASID 0 */
	uint32_t pt_id;           /* what ATTACH wrote back, 0 when detached */
	struct vfio_config cfg;
	struct vfio_irq irq;
	bool reset_works;
	unsigned int power_state; /* 0 (D0) .. 3 (D3hot) */
	uint8_t saved_cfg[PCIFN_CFG_SIZE]; /* config at open, restored at close */
	bool pm_engaged;          /* VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY */
	int pm_wake_fd;           /* its wakeup eventfd, -1 */
	atomic_bool mem_ok;       /* BAR access allowed: decode on, not in D3 */
	struct ioeventfd *ioeventfds;
	unsigned int nioeventfds;

	pthread_rwlock_t dma_lock;
	struct pt *dma_pt;        /* the attached domain's table; NULL: blocked */
	struct access *dma_access;/* emulated: the access DMA goes through */

	pthread_mutex_t fault_lock;
	struct iemu_fault faults[DEVICE_FAULT_LOG];
	uint64_t nfaults;         /* all faults ever; the log keeps the last ones */
	_Atomic uint64_t dma_bytes;
};

/* An open device cdev. */
struct iemu_devfile {
	struct iemu_device *dev;
	bool bound;               /* BIND succeeded: access granted */
	struct iemu_proc *self;   /* the in-process caller of iemu_dev_ioctl() */
};

/* Whether the device has no IOMMU in front of it. */
static inline bool device_is_noiommu(const struct iemu_device *d)
{
	return d->noiommu != IEMU_NOIOMMU_OFF;
}

/* Record a fault or device error (printf-style description). */
void device_fault(struct iemu_device *d, enum iemu_fault_kind kind, uint64_t addr,
		  uint64_t len, bool write, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Recompute mem_ok after a change of the command register or power state. */
void device_update_mem_ok(struct iemu_device *d);

/* Destroy every device (emulator teardown; no file may be open). */
void device_destroy_all(struct iemu *emu);

#endif
