/* SPDX-License-Identifier: MIT */
/*
 * The IOMMUs the emulator puts in front of devices: what domains they
 * allocate (aperture, page sizes, dirty tracking), what IOMMU_GET_HW_INFO
 * reports, and which IOVA ranges they reserve for each attached device.
 */
#ifndef IEMU_IOMMU_MODEL_H
#define IEMU_IOMMU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "hwpt.h"

struct iommu_model {
	const char *name;
	struct hwpt_geometry geo;  /* dirty_supported: the IOMMU can track */
	uint32_t hw_info_type;     /* IOMMU_HW_INFO_TYPE_* */
	const void *hw_info;
	uint32_t hw_info_len;
	uint64_t resv_start;       /* a reserved range per device (the MSI */
	uint64_t resv_last;        /* window), resv_last 0 for none */
};

/* Intel VT-d as QEMU's intel-iommu presents it (48-bit, 4K/2M/1G pages,
 * the interrupt window at 0xfee00000 reserved), in scalable mode with
 * second-stage dirty tracking. */
extern const struct iommu_model vtd_model;

/* Linux 7.x's software page table for noiommu devices: no hardware behind
 * it, 64-bit IOVAs, no dirty tracking, no hardware information. */
extern const struct iommu_model swpt_model;

#endif
