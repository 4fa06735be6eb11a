/* SPDX-License-Identifier: MIT */
/*
 * DEVICE objects (the kernel's iommufd_device): a VFIO device bound to a
 * context, what it is attached to, and the device-side iommufd ioctls
 * (IOMMU_GET_HW_INFO, IOMMU_IOAS_NOIOMMU_GET_PA).  The caller holds the
 * context's lock.
 *
 * Attaching to an IOAS reuses the first automatic HWPT of that IOAS that
 * accepts the device, or creates one; attaching to a HWPT uses it.  The
 * device's reserved IOVA range goes into the IOAS of its HWPT.  Each
 * device is its own IOMMU group.  Only PASID 0 (no PASID) can be attached:
 * the emulated functions have no PASID capability.
 */
#ifndef IEMU_IDEV_H
#define IEMU_IDEV_H

#include <stdint.h>

#include "obj.h"

struct hwpt;
struct iemu_ctx;
struct iemu_device;
struct iommu_model;
struct ucmd;

struct idev {
	struct obj obj;
	struct iemu_ctx *ctx;
	struct iemu_device *dev;
	struct hwpt *hwpt;      /* attached HWPT, NULL when detached */
};

/* Bind dev to ctx: a new DEVICE object, finalized, held by the caller. */
int idev_bind(struct iemu_ctx *ctx, struct iemu_device *dev, struct idev **out);

/* Detach and destroy (the VFIO device closes). */
void idev_unbind(struct idev *idev);

/* iommufd_device_attach / _replace / _detach for one PASID: *pt_id is an
 * IOAS, HWPT_PAGING or HWPT_NESTED id on entry, the HWPT's id on return. */
int idev_attach(struct idev *idev, uint32_t pasid, uint32_t *pt_id);
int idev_replace(struct idev *idev, uint32_t pasid, uint32_t *pt_id);
void idev_detach(struct idev *idev, uint32_t pasid);

/* The DEVICE object with this id, or NULL. */
struct idev *idev_find(struct iemu_ctx *ctx, uint32_t id);

/* The IOMMU in front of the device: NULL if it has none to offer domains
 * (a noiommu device other than noiommu=swpt). */
const struct iommu_model *idev_model(const struct idev *idev);

int get_hw_info_ioctl(struct ucmd *u);
int noiommu_get_pa_ioctl(struct ucmd *u);


#endif
