// SPDX-License-Identifier: MIT
/*
 * Names of the iommufd and VFIO ioctls, for traces and reports.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "iommufd_emu.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

#define NAME(cmd) { cmd, #cmd, 1u << IEMU_FILE_IOMMU | 1u << IEMU_FILE_DEVICE }
#define IOMMU(cmd) { cmd, #cmd, 1u << IEMU_FILE_IOMMU }
#define DEVICE(cmd) { cmd, #cmd, 1u << IEMU_FILE_DEVICE }

static const struct {
	unsigned int cmd;
	const char *name;
	unsigned int kinds;
} names[] = {
	NAME(IOMMU_DESTROY),
	NAME(IOMMU_IOAS_ALLOC),
	NAME(IOMMU_IOAS_ALLOW_IOVAS),
	NAME(IOMMU_IOAS_COPY),
	NAME(IOMMU_IOAS_IOVA_RANGES),
	NAME(IOMMU_IOAS_MAP),
	NAME(IOMMU_IOAS_UNMAP),
	NAME(IOMMU_OPTION),
	NAME(IOMMU_VFIO_IOAS),
	NAME(IOMMU_HWPT_ALLOC),
	NAME(IOMMU_GET_HW_INFO),
	NAME(IOMMU_HWPT_SET_DIRTY_TRACKING),
	NAME(IOMMU_HWPT_GET_DIRTY_BITMAP),
	NAME(IOMMU_HWPT_INVALIDATE),
	NAME(IOMMU_FAULT_QUEUE_ALLOC),
	NAME(IOMMU_IOAS_MAP_FILE),
	NAME(IOMMU_VIOMMU_ALLOC),
	NAME(IOMMU_VDEVICE_ALLOC),
	NAME(IOMMU_IOAS_CHANGE_PROCESS),
	NAME(IOMMU_VEVENTQ_ALLOC),
	NAME(IOMMU_HW_QUEUE_ALLOC),
	NAME(IOMMU_IOAS_NOIOMMU_GET_PA),
	NAME(VFIO_GET_API_VERSION),
	NAME(VFIO_CHECK_EXTENSION),
	NAME(VFIO_SET_IOMMU),
	NAME(VFIO_GROUP_GET_STATUS),
	NAME(VFIO_GROUP_SET_CONTAINER),
	NAME(VFIO_GROUP_UNSET_CONTAINER),
	NAME(VFIO_GROUP_GET_DEVICE_FD),
	NAME(VFIO_DEVICE_GET_INFO),
	NAME(VFIO_DEVICE_GET_REGION_INFO),
	NAME(VFIO_DEVICE_GET_IRQ_INFO),
	NAME(VFIO_DEVICE_SET_IRQS),
	NAME(VFIO_DEVICE_RESET),
	IOMMU(VFIO_IOMMU_GET_INFO),
	IOMMU(VFIO_IOMMU_MAP_DMA),
	IOMMU(VFIO_IOMMU_UNMAP_DMA),
	IOMMU(VFIO_IOMMU_ENABLE),
	IOMMU(VFIO_IOMMU_DISABLE),
	IOMMU(VFIO_IOMMU_DIRTY_PAGES),
	DEVICE(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO),
	DEVICE(VFIO_DEVICE_PCI_HOT_RESET),
	DEVICE(VFIO_DEVICE_IOEVENTFD),
	DEVICE(VFIO_DEVICE_FEATURE),
	NAME(VFIO_DEVICE_BIND_IOMMUFD),
	NAME(VFIO_DEVICE_ATTACH_IOMMUFD_PT),
	NAME(VFIO_DEVICE_DETACH_IOMMUFD_PT),
	NAME(VFIO_MIG_GET_PRECOPY_INFO),
};

const char *iemu_ioctl_name(enum iemu_file_kind kind, unsigned int cmd)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].cmd == cmd && (names[i].kinds >> kind & 1))
			return names[i].name;
	return NULL;
}

int iemu_ioctl_number(const char *name, unsigned int *cmd, unsigned int *kinds)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(names[i].name, name)) {
			*cmd = names[i].cmd;
			*kinds = names[i].kinds;
			return 0;
		}
	}
	return -ENOENT;
}

const char *iemu_ioctl_at(unsigned int i, unsigned int *cmd, unsigned int *kinds)
{
	if (i >= sizeof(names) / sizeof(names[0]))
		return NULL;
	*cmd = names[i].cmd;
	*kinds = names[i].kinds;
	return names[i].name;
}
