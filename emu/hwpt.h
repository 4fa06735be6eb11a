/* SPDX-License-Identifier: MIT */
/*
 * HWPT_PAGING objects: a domain (fake IO page table) linked to an IOAS,
 * which mirrors the IOAS's areas into it and keeps the IOAS busy.  Domains
 * are made by an IOMMU model for a device (IOMMU_HWPT_ALLOC, or
 * automatically when a device attaches to an IOAS); automatic ones go away
 * with their last device.
 */
#ifndef IEMU_HWPT_H
#define IEMU_HWPT_H

#include <stdbool.h>

#include "obj.h"
#include "pt.h"

struct ioas;
struct iemu_ctx;
struct iommu_model;
struct ucmd;

/* What the IOMMU model gives a new domain. */
struct hwpt_geometry {
	uint64_t aperture_start;
	uint64_t aperture_last;
	uint64_t pgsize_bitmap;
	bool dirty_supported;  /* the domain has dirty tracking ops */
};

struct hwpt {
	struct obj obj;
	struct ioas *ioas;
	struct pt pt;
	const struct iommu_model *model; /* NULL for domains made by tests */
	bool auto_domain;
	bool pasid_compat;     /* IOMMU_HWPT_ALLOC_PASID */
};

/* Create an HWPT_PAGING on ioas (not yet finalized): the IOAS's areas are
 * pinned and mapped into it, and its aperture is reserved in the IOAS. */
int hwpt_paging_create(struct iemu_ctx *ctx, struct ioas *ioas,
		       const struct hwpt_geometry *geo, struct hwpt **out);

/* The same for a device behind IOMMU model m, with IOMMU_HWPT_ALLOC_* flags
 * (checked as the kernel checks them: -EOPNOTSUPP). */
int hwpt_paging_alloc(struct iemu_ctx *ctx, struct ioas *ioas,
		      const struct iommu_model *m, uint32_t flags, struct hwpt **out);

/* Undo hwpt_paging_create for a HWPT that was never finalized. */
void hwpt_paging_abort(struct iemu_ctx *ctx, struct hwpt *hwpt);

/* The HWPT_PAGING with this id, or NULL. */
struct hwpt *hwpt_find(struct iemu_ctx *ctx, uint32_t id);

/* Drop a device's reference; an automatic HWPT left unused is destroyed. */
void hwpt_put(struct iemu_ctx *ctx, struct hwpt *hwpt);

/* The HWPT owning a domain's table. */
static inline struct hwpt *hwpt_of_pt(struct pt *pt)
{
	return (struct hwpt *)((char *)pt - __builtin_offsetof(struct hwpt, pt));
}

int hwpt_alloc_ioctl(struct ucmd *u);
int hwpt_set_dirty_tracking_ioctl(struct ucmd *u);
int hwpt_get_dirty_bitmap_ioctl(struct ucmd *u);
int hwpt_invalidate_ioctl(struct ucmd *u);

#endif
