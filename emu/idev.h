/* SPDX-License-Identifier: MIT */
/*
 * DEVICE objects (the kernel's iommufd_device): a device bound to a
 * context (a VFIO device, or the kernel selftest's mock device), what each
 * of its PASIDs is attached to, and the device-side iommufd ioctls
 * (IOMMU_GET_HW_INFO, IOMMU_IOAS_NOIOMMU_GET_PA).  The caller holds the
 * context's lock.
 *
 * Attaching to an IOAS reuses the first automatic HWPT of that IOAS that
 * accepts the device, or creates one; attaching to a HWPT uses it.  The
 * device's reserved IOVA range goes into the IOAS of its paging domain
 * when attached with no PASID.  Each device is its own IOMMU group.
 */
#ifndef IEMU_IDEV_H
#define IEMU_IDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "obj.h"

struct hwpt;
struct iemu_ctx;
struct iemu_device;
struct iommu_model;
struct mock_dev;
struct ucmd;
struct vdevice;

/* What one PASID other than IOMMU_NO_PASID is attached to. */
struct idev_attach {
	uint32_t pasid;
	struct hwpt *hwpt;
	struct idev_attach *next;
};

struct idev {
	struct obj obj;
	struct iemu_ctx *ctx;
	struct iemu_device *dev;   /* the VFIO device, NULL for a mock device */
	struct mock_dev *mock;     /* the selftest's mock device, or NULL */
	const struct iommu_model *model; /* NULL: noiommu, no IOMMU to offer domains */
	uint32_t max_pasids;       /* 0: the device cannot issue PASIDs */
	struct hwpt *hwpt;         /* attached with no PASID, NULL when detached */
	struct idev_attach *pasids;
	struct vdevice *vdev;      /* its vDEVICE, or NULL */
};

/* Bind a VFIO device to ctx: a new DEVICE object, finalized, held by the
 * caller. */
int idev_bind(struct iemu_ctx *ctx, struct iemu_device *dev, struct idev **out);

/* The same for a selftest mock device behind the mock IOMMU. */
int idev_bind_mock(struct iemu_ctx *ctx, struct mock_dev *mock, uint32_t max_pasids,
		   struct idev **out);

/* Detach every PASID and destroy (the device closes). */
void idev_unbind(struct idev *idev);

/* iommufd_device_attach / _replace / _detach for one PASID: *pt_id is an
 * IOAS, HWPT_PAGING or HWPT_NESTED id on entry, the HWPT's id on return. */
int idev_attach(struct idev *idev, uint32_t pasid, uint32_t *pt_id);
int idev_replace(struct idev *idev, uint32_t pasid, uint32_t *pt_id);
void idev_detach(struct idev *idev, uint32_t pasid);

/* What pasid is attached to, or NULL. */
struct hwpt *idev_attached(const struct idev *idev, uint32_t pasid);

/* Whether the device has no IOMMU (noiommu VFIO device). */
bool idev_noiommu(const struct idev *idev);

/* The DEVICE object with this id, or NULL. */
struct idev *idev_find(struct iemu_ctx *ctx, uint32_t id);

int get_hw_info_ioctl(struct ucmd *u);
int noiommu_get_pa_ioctl(struct ucmd *u);

#endif
