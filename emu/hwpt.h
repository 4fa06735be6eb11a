/* SPDX-License-Identifier: MIT */
/*
 * HWPT_PAGING objects: a domain (fake IO page table) linked to an IOAS,
 * which mirrors the IOAS's areas into it and keeps the IOAS busy.
 */
#ifndef IEMU_HWPT_H
#define IEMU_HWPT_H

#include "obj.h"
#include "pt.h"

struct ioas;
struct iemu_ctx;

/* What the IOMMU model gives a new domain. */
struct hwpt_geometry {
	uint64_t aperture_start;
	uint64_t aperture_last;
	uint64_t pgsize_bitmap;
	bool dirty_supported;
};

struct hwpt {
	struct obj obj;
	struct ioas *ioas;
	struct pt pt;
};

/* Create an HWPT_PAGING on ioas (not yet finalized): the IOAS's areas are
 * pinned and mapped into it, and its aperture is reserved in the IOAS. */
int hwpt_paging_create(struct iemu_ctx *ctx, struct ioas *ioas,
		       const struct hwpt_geometry *geo, struct hwpt **out);

/* Undo hwpt_paging_create for a HWPT that was never finalized. */
void hwpt_paging_abort(struct iemu_ctx *ctx, struct hwpt *hwpt);

#endif
