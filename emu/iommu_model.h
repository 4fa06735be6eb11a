/* SPDX-License-Identifier: MIT */
/*
 * The IOMMUs the emulator puts in front of devices: what domains they
 * allocate (aperture, page sizes, dirty tracking), what IOMMU_GET_HW_INFO
 * reports, and which IOVA ranges they reserve for each attached device.
 *
 * A model may add driver behaviour (struct iommu_driver, the kernel's
 * iommu_ops, domain ops and viommu ops in one table): per-device
 * capabilities, driver data in HWPT_ALLOC, nested domains, vIOMMUs.  A
 * model without it behaves as the fixed facts say and refuses the rest as
 * the kernel refuses a driver without those ops.
 */
#ifndef IEMU_IOMMU_MODEL_H
#define IEMU_IOMMU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "hwpt.h"

struct hw_queue;
struct idev;
struct udata;
struct udata_array;
struct viommu;

struct iommu_driver {
	/* IOMMU_CAP_DIRTY_TRACKING for this device. */
	bool (*dirty_capable)(const struct idev *idev);
	/* hw_info: *type is the type asked for (DEFAULT or a specific one);
	 * fill buf (up to *len bytes), set *type and *len: 0 or -EOPNOTSUPP. */
	int (*hw_info)(const struct idev *idev, uint32_t *type, void *buf, uint32_t *len);
	/* A paging domain with IOMMU_HWPT_ALLOC_* flags and optional user data
	 * (NULL when none): check them and set *geo. */
	int (*alloc_paging)(const struct idev *idev, uint32_t flags, const struct udata *ud,
			    struct hwpt_geometry *geo);
	/* A nested domain on a paging parent, or through a vIOMMU (viommu set):
	 * check flags and data, set hwpt->drv. */
	int (*alloc_nested)(const struct idev *idev, struct hwpt *parent,
			    struct viommu *viommu, uint32_t flags, const struct udata *ud,
			    struct hwpt *hwpt);
	/* Free hwpt->drv. */
	void (*domain_free)(struct hwpt *hwpt);
	/* The domain's attach_dev (pasid 0) or set_dev_pasid, hwpt NULL for the
	 * blocking domain, old the domain being replaced (or NULL). */
	int (*attach)(struct idev *idev, uint32_t pasid, struct hwpt *hwpt, struct hwpt *old);
	/* IOMMU_HWPT_INVALIDATE on a nested domain; a->entry_num returns done. */
	int (*invalidate_nested)(struct hwpt *hwpt, struct udata_array *a);
	/* vIOMMUs: whether the type exists, its init (user data may be NULL),
	 * destroy, cache invalidation and HW queues. */
	bool (*viommu_type)(uint32_t type);
	int (*viommu_init)(struct viommu *v, const struct udata *ud);
	void (*viommu_destroy)(struct viommu *v);
	int (*viommu_invalidate)(struct viommu *v, struct udata_array *a);
	bool (*hw_queue_type)(uint32_t type);
	int (*hw_queue_init)(struct hw_queue *q, uint32_t index, uint64_t base_pa);
	void (*hw_queue_destroy)(struct hw_queue *q);
};

struct iommu_model {
	const char *name;
	struct hwpt_geometry geo;  /* dirty_supported: the IOMMU can track */
	uint32_t hw_info_type;     /* IOMMU_HW_INFO_TYPE_* */
	const void *hw_info;
	uint32_t hw_info_len;
	uint64_t resv_start;       /* a reserved range per device (the MSI */
	uint64_t resv_last;        /* window), resv_last 0 for none */
	/* The kernel driver has a domain_alloc_nested op (VT-d's has, though
	 * without nesting support it makes no parent to use it on). */
	bool nesting_op;
	const struct iommu_driver *drv; /* NULL: the fixed facts only */
};

/* Intel VT-d as QEMU's intel-iommu presents it (48-bit, 4K/2M/1G pages,
 * the interrupt window at 0xfee00000 reserved), in scalable mode with
 * second-stage dirty tracking. */
extern const struct iommu_model vtd_model;

/* Linux 7.x's software page table for noiommu devices: no hardware behind
 * it, 64-bit IOVAs, no dirty tracking, no hardware information. */
extern const struct iommu_model swpt_model;

/* The kernel selftest's mock IOMMU (selftest_mock.c). */
extern const struct iommu_model mock_model;

/* Whether the device's IOMMU can track dirty pages. */
bool model_dirty_capable(const struct iommu_model *m, const struct idev *idev);

#endif
