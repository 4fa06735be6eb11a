/* SPDX-License-Identifier: MIT */
/*
 * vIOMMU objects (the kernel's viommu.c): a virtual IOMMU instance a VMM
 * presents to a guest, on a nesting-parent paging domain; its vDEVICEs
 * (a device's ID as the guest sees it); its HW queues (guest queue memory
 * the hardware reads directly, pinned through an internal access so that
 * it cannot be unmapped under it); and mmap regions its driver offers.
 */
#ifndef IEMU_VIOMMU_H
#define IEMU_VIOMMU_H

#include <stdint.h>

#include "obj.h"

struct access;
struct eventq;
struct hwpt;
struct idev;
struct iemu_ctx;
struct iommu_model;
struct ucmd;

struct vdevice {
	struct obj obj;
	struct viommu *viommu;
	struct idev *idev;
	uint64_t virt_id;
	struct vdevice *next;      /* in the vIOMMU's list */
};

struct viommu {
	struct obj obj;
	struct iemu_ctx *ctx;
	const struct iommu_model *model;
	uint32_t type;
	struct hwpt *hwpt;         /* the nesting parent (a reference) */
	struct vdevice *vdevs;
	struct eventq *veventqs;
	void *drv;                 /* the driver's state */
};

struct hw_queue {
	struct obj obj;
	struct viommu *viommu;     /* a reference */
	struct access *access;     /* pins the queue's memory */
	uint32_t type;
	uint64_t base_addr;        /* IOVA in the nesting parent */
	uint64_t length;
	void *drv;
};

/* The device's vDEVICE on v, or NULL. */
struct vdevice *viommu_vdevice_of(const struct viommu *v, const struct idev *idev);

/* The device behind virt_id on v, or NULL. */
struct idev *viommu_find_dev(const struct viommu *v, uint64_t virt_id);

/* The device is going: destroy its vDEVICE, leaving a tombstone. */
void vdevice_remove_for(struct idev *idev);

/* A HW queue depends on another (the driver's call): the other cannot be
 * destroyed first. */
void hw_queue_depend(struct hw_queue *q, struct hw_queue *on);
void hw_queue_undepend(struct hw_queue *q, struct hw_queue *on);

int viommu_alloc_ioctl(struct ucmd *u);
int vdevice_alloc_ioctl(struct ucmd *u);
int hw_queue_alloc_ioctl(struct ucmd *u);

#endif
