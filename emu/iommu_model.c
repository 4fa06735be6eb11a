// SPDX-License-Identifier: MIT
/*
 * IOMMU models (see iommu_model.h).  The VT-d registers are those Linux
 * 7.3 read from QEMU 10's intel-iommu in the reference rig (cap
 * 0xd2008c222f0686, ecap 0xf00f4a), with the extended capabilities a
 * scalable-mode IOMMU with second-stage A/D bits adds: scalable mode
 * translation (bit 43), second-stage accessed/dirty (45) and page-walk
 * coherency (48), which are what Linux needs for dirty tracking.
 */
#include "iommu_model.h"

#include "iommufd_emu/uapi/iommufd.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)

#define VTD_CAP 0xd2008c222f0686ULL
#define VTD_ECAP (0xf00f4aULL | 1ULL << 43 | 1ULL << 45 | 1ULL << 48)

static const struct iommu_hw_info_vtd vtd_info = {
	.flags = IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17,
	.cap_reg = VTD_CAP,
	.ecap_reg = VTD_ECAP,
};

const struct iommu_model vtd_model = {
	.name = "intel-vtd",
	.geo = {
		.aperture_start = 0,
		.aperture_last = (1ULL << 48) - 1,
		.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
		.dirty_supported = true,
	},
	.hw_info_type = IOMMU_HW_INFO_TYPE_INTEL_VTD,
	.hw_info = &vtd_info,
	.hw_info_len = sizeof(vtd_info),
	.resv_start = 0xfee00000ULL,
	.resv_last = 0xfeefffffULL,
	.nesting_op = true,
};

/* The AMDv1 format Linux uses for it maps every power of two from 4K. */
const struct iommu_model swpt_model = {
	.name = "noiommu-swpt",
	.geo = {
		.aperture_start = 0,
		.aperture_last = UINT64_MAX,
		.pgsize_bitmap = ~(SZ_4K - 1),
		.dirty_supported = false,
	},
	.hw_info_type = IOMMU_HW_INFO_TYPE_NONE,
};

bool model_dirty_capable(const struct iommu_model *m, const struct idev *idev)
{
	if (m->drv && m->drv->dirty_capable)
		return m->drv->dirty_capable(idev);
	return m->geo.dirty_supported;
}
