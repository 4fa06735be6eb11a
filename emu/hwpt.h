/* SPDX-License-Identifier: MIT */
/*
 * HW pagetables: HWPT_PAGING objects, a domain (fake IO page table) linked
 * to an IOAS, which mirrors the IOAS's areas into it and keeps the IOAS
 * busy; and HWPT_NESTED objects, a stage-1 domain a guest owns on top of a
 * nesting-parent paging domain (or of a vIOMMU), whose tables the emulator
 * does not walk.  Domains are made by an IOMMU model for a device
 * (IOMMU_HWPT_ALLOC, or automatically when a device attaches to an IOAS);
 * automatic ones go away with their last device.
 */
#ifndef IEMU_HWPT_H
#define IEMU_HWPT_H

#include <stdbool.h>

#include "obj.h"
#include "pt.h"

struct eventq;
struct ioas;
struct iemu_ctx;
struct idev;
struct iommu_model;
struct ucmd;
struct viommu;

/* What the IOMMU model gives a new domain. */
struct hwpt_geometry {
	uint64_t aperture_start;
	uint64_t aperture_last;
	uint64_t pgsize_bitmap;
	bool dirty_supported;  /* the domain has dirty tracking ops */
};

struct hwpt {
	struct obj obj;        /* OBJ_HWPT_PAGING or OBJ_HWPT_NESTED */
	const struct iommu_model *model; /* NULL for domains made by tests */
	bool pasid_compat;     /* IOMMU_HWPT_ALLOC_PASID */
	struct eventq *fault;  /* IOPF capable: the fault queue (a reference) */
	void *drv;             /* the model's own state of the domain */
	/* HWPT_PAGING */
	struct ioas *ioas;
	struct pt pt;
	bool auto_domain;
	bool nest_parent;      /* IOMMU_HWPT_ALLOC_NEST_PARENT */
	/* HWPT_NESTED */
	struct hwpt *parent;   /* the nesting parent */
	struct viommu *viommu; /* made through a vIOMMU (a reference), else the
				* parent holds the reference */
};

/* Create an HWPT_PAGING on ioas (not yet finalized): the IOAS's areas are
 * pinned and mapped into it, and its aperture is reserved in the IOAS. */
int hwpt_paging_create(struct iemu_ctx *ctx, struct ioas *ioas,
		       const struct hwpt_geometry *geo, struct hwpt **out);

/* The same for device idev, with IOMMU_HWPT_ALLOC_* flags and the model's
 * user data (NULL for none), checked as the kernel checks them. */
struct udata;
int hwpt_paging_alloc(struct iemu_ctx *ctx, struct ioas *ioas, const struct idev *idev,
		      uint32_t flags, const struct udata *ud, struct hwpt **out);

/* Undo an allocation that was never finalized. */
void hwpt_abort(struct iemu_ctx *ctx, struct hwpt *hwpt);

/* The HWPT_PAGING with this id, or NULL. */
struct hwpt *hwpt_find(struct iemu_ctx *ctx, uint32_t id);

/* The paging domain behind a HWPT: itself, or a nested one's parent. */
static inline struct hwpt *hwpt_paging_of(struct hwpt *hwpt)
{
	return hwpt->obj.type == OBJ_HWPT_PAGING ? hwpt : hwpt->parent;
}

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
