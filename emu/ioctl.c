// SPDX-License-Identifier: MIT
/*
 * The ioctl of the iommufd file: one table row per ioctl (number, minimum
 * size up to the last mandatory field, full size, handler, first kernel),
 * and the shared rules of the kernel's iommufd_fops_ioctl in one place:
 * numbers below or above the table go to the VFIO compatibility handler;
 * the size is read first (-EFAULT); a number that does not match its slot
 * is unknown (-ENOTTY); too short is -EINVAL; longer must have a zero tail
 * (-E2BIG); handlers see a kernel-side copy.
 */
#include <errno.h>
#include <linux/ioctl.h>
#include <stddef.h>

#include "compat.h"
#include "eventq.h"
#include "ctx.h"
#include "emu.h"
#include "hwpt.h"
#include "idev.h"
#include "ioas.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/iommufd_test.h"
#include "obj.h"
#include "selftest.h"
#include "ucmd.h"
#include "viommu.h"

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

struct ioctl_op {
	unsigned int cmd;
	uint32_t min_size;
	uint32_t size;
	int (*fn)(struct ucmd *u);
	unsigned int since; /* first kernel with this ioctl */
};

static int destroy_ioctl(struct ucmd *u)
{
	struct iommu_destroy *cmd = u->cmd;

	return obj_remove(u->ctx, cmd->id);
}

#define OP(_cmd, _fn, _struct, _last, _since)                    \
	[_IOC_NR(_cmd) - IOMMUFD_CMD_BASE] = {                   \
		.cmd = _cmd,                                     \
		.min_size = offsetofend(_struct, _last),         \
		.size = sizeof(_struct),                         \
		.fn = _fn,                                       \
		.since = _since,                                 \
	}

static const struct ioctl_op ops[] = {
	OP(IOMMU_DESTROY, destroy_ioctl, struct iommu_destroy, id,
	   IEMU_KVER(6, 2)),
	OP(IOMMU_IOAS_ALLOC, ioas_alloc_ioctl, struct iommu_ioas_alloc,
	   out_ioas_id, IEMU_KVER(6, 2)),
	OP(IOMMU_IOAS_ALLOW_IOVAS, ioas_allow_iovas_ioctl,
	   struct iommu_ioas_allow_iovas, allowed_iovas, IEMU_KVER(6, 2)),
	OP(IOMMU_IOAS_COPY, ioas_copy_ioctl, struct iommu_ioas_copy, src_iova,
	   IEMU_KVER(6, 2)),
	OP(IOMMU_IOAS_IOVA_RANGES, ioas_iova_ranges_ioctl,
	   struct iommu_ioas_iova_ranges, out_iova_alignment, IEMU_KVER(6, 2)),
	OP(IOMMU_IOAS_MAP, ioas_map_ioctl, struct iommu_ioas_map, iova,
	   IEMU_KVER(6, 2)),
	OP(IOMMU_IOAS_UNMAP, ioas_unmap_ioctl, struct iommu_ioas_unmap, length,
	   IEMU_KVER(6, 2)),
	OP(IOMMU_OPTION, ioas_option, struct iommu_option, val64,
	   IEMU_KVER(6, 2)),
	OP(IOMMU_VFIO_IOAS, vfio_ioas_ioctl, struct iommu_vfio_ioas,
	   __reserved, IEMU_KVER(6, 2)),
	OP(IOMMU_HWPT_ALLOC, hwpt_alloc_ioctl, struct iommu_hwpt_alloc, __reserved,
	   IEMU_KVER(6, 6)),
	OP(IOMMU_GET_HW_INFO, get_hw_info_ioctl, struct iommu_hw_info, __reserved,
	   IEMU_KVER(6, 6)),
	OP(IOMMU_HWPT_SET_DIRTY_TRACKING, hwpt_set_dirty_tracking_ioctl,
	   struct iommu_hwpt_set_dirty_tracking, __reserved, IEMU_KVER(6, 7)),
	OP(IOMMU_HWPT_GET_DIRTY_BITMAP, hwpt_get_dirty_bitmap_ioctl,
	   struct iommu_hwpt_get_dirty_bitmap, data, IEMU_KVER(6, 7)),
	OP(IOMMU_HWPT_INVALIDATE, hwpt_invalidate_ioctl, struct iommu_hwpt_invalidate,
	   __reserved, IEMU_KVER(6, 8)),
	OP(IOMMU_FAULT_QUEUE_ALLOC, fault_alloc_ioctl, struct iommu_fault_alloc,
	   out_fault_fd, IEMU_KVER(6, 11)),
	/* 6.12 LTS ends its table at IOMMU_FAULT_QUEUE_ALLOC (0x8e): later
	 * numbers go to the VFIO compatibility handler and give ENOTTY. */
	OP(IOMMU_IOAS_MAP_FILE, ioas_map_file_ioctl, struct iommu_ioas_map_file,
	   iova, IEMU_KVER(6, 13)),
	OP(IOMMU_VIOMMU_ALLOC, viommu_alloc_ioctl, struct iommu_viommu_alloc,
	   out_viommu_id, IEMU_KVER(6, 13)),
	OP(IOMMU_VDEVICE_ALLOC, vdevice_alloc_ioctl, struct iommu_vdevice_alloc,
	   virt_id, IEMU_KVER(6, 13)),
	OP(IOMMU_IOAS_CHANGE_PROCESS, ioas_change_process_ioctl,
	   struct iommu_ioas_change_process, __reserved, IEMU_KVER(6, 14)),
	OP(IOMMU_VEVENTQ_ALLOC, veventq_alloc_ioctl, struct iommu_veventq_alloc,
	   out_veventq_fd, IEMU_KVER(6, 15)),
	OP(IOMMU_HW_QUEUE_ALLOC, hw_queue_alloc_ioctl, struct iommu_hw_queue_alloc,
	   length, IEMU_KVER(6, 17)),
	OP(IOMMU_IOAS_NOIOMMU_GET_PA, noiommu_get_pa_ioctl,
	   struct iommu_ioas_noiommu_get_pa, out_phys, IEMU_KVER(7, 0)),
	/* Only in test builds (CONFIG_IOMMUFD_TEST): see table_end(). */
	OP(IOMMU_TEST_CMD, selftest_ioctl, struct iommu_test_cmd, last, IEMU_KVER(6, 2)),
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* The last number of the emulated kernel's table, plus one. */
static unsigned int table_end(const struct iemu *emu)
{
	unsigned int end = 0;

	/* Rows not yet served still size the table, as in the kernel. */
	if (emu_kernel_at_least(emu, IEMU_KVER(7, 0)))
		end = IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA + 1;
	else if (emu_kernel_at_least(emu, IEMU_KVER(6, 11)))
		end = IOMMUFD_CMD_FAULT_QUEUE_ALLOC + 1;
	/* A test build's table reaches IOMMU_TEST_CMD. */
	if (emu->cfg.selftest_mock)
		return IOMMUFD_CMD_TEST + 1;
	for (unsigned int i = 0; i < NOPS; i++)
		if (ops[i].fn && ops[i].cmd != IOMMU_TEST_CMD && emu->cfg.kernel >= ops[i].since &&
		    IOMMUFD_CMD_BASE + i + 1 > end)
			end = IOMMUFD_CMD_BASE + i + 1;
	return end;
}

long iommufd_ioctl(struct iemu_ctx *ctx, struct iemu_proc *caller,
		   unsigned int cmd, uint64_t arg)
{
	union {
		struct iommu_destroy destroy;
		struct iommu_ioas_alloc alloc;
		struct iommu_ioas_allow_iovas allow;
		struct iommu_ioas_copy copy;
		struct iommu_ioas_iova_ranges ranges;
		struct iommu_ioas_map map;
		struct iommu_ioas_map_file map_file;
		struct iommu_ioas_unmap unmap;
		struct iommu_option option;
		struct iommu_vfio_ioas vfio_ioas;
		struct iommu_ioas_change_process change;
		struct iommu_hwpt_alloc hwpt_alloc;
		struct iommu_hw_info hw_info;
		struct iommu_hwpt_set_dirty_tracking set_dirty;
		struct iommu_hwpt_get_dirty_bitmap get_dirty;
		struct iommu_hwpt_invalidate invalidate;
		struct iommu_ioas_noiommu_get_pa get_pa;
		struct iommu_fault_alloc fault_alloc;
		struct iommu_viommu_alloc viommu_alloc;
		struct iommu_vdevice_alloc vdevice_alloc;
		struct iommu_veventq_alloc veventq_alloc;
		struct iommu_hw_queue_alloc hw_queue_alloc;
		struct iommu_test_cmd test;
	} buf;
	struct ucmd u = { .ctx = ctx, .caller = caller, .ubuffer = arg, .cmd = &buf };
	unsigned int nr = _IOC_NR(cmd);
	const struct ioctl_op *op;
	int rc;

	if (nr < IOMMUFD_CMD_BASE || nr >= table_end(ctx->emu))
		return compat_ioctl(ctx, caller, cmd, arg);
	if (copy_from_user(caller, &u.user_size, arg, sizeof(u.user_size)))
		return -EFAULT;
	op = nr - IOMMUFD_CMD_BASE < NOPS ? &ops[nr - IOMMUFD_CMD_BASE] : NULL;
	if (!op || !op->fn || op->cmd != cmd || ctx->emu->cfg.kernel < op->since)
		return -ENOTTY;
	if (u.user_size < op->min_size)
		return -EINVAL;
	rc = copy_struct_from_user(caller, &buf, op->size, arg, u.user_size);
	if (rc)
		return rc;
	return op->fn(&u);
}
