/* SPDX-License-Identifier: MIT */
/*
 * The VFIO container compatibility of /dev/iommu: IOMMU_VFIO_IOAS chooses
 * the IOAS that the type1 ioctls (VFIO_IOMMU_MAP_DMA and friends) act on.
 */
#ifndef IEMU_COMPAT_H
#define IEMU_COMPAT_H

#include <stdint.h>

struct iemu_ctx;
struct iemu_proc;
struct ucmd;

int vfio_ioas_ioctl(struct ucmd *u);

/* The ioctls of /dev/iommu outside the iommufd range. */
long compat_ioctl(struct iemu_ctx *ctx, struct iemu_proc *caller,
		  unsigned int cmd, uint64_t arg);

#endif
