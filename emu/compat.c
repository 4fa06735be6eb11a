// SPDX-License-Identifier: MIT
/*
 * VFIO container compatibility on /dev/iommu (the kernel's vfio_compat.c):
 * IOMMU_VFIO_IOAS, and VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION,
 * VFIO_SET_IOMMU, VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA and
 * VFIO_IOMMU_UNMAP_DMA against the compatibility IOAS.  These structs are
 * not extensible: the kernel copies a fixed minimum and checks argsz.
 */
#include "compat.h"

#include <errno.h>
#include <stddef.h>

#include "ctx.h"
#include "emu.h"
#include "ioas.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"
#include "pages.h"
#include "proc.h"
#include "pt.h"
#include "ucmd.h"

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

int vfio_ioas_ioctl(struct ucmd *u)
{
	struct iommu_vfio_ioas *cmd = u->cmd;
	struct ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		if (!u->ctx->vfio_ioas)
			return -ENODEV;
		cmd->ioas_id = u->ctx->vfio_ioas->obj.id;
		return ucmd_respond(u, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = ioas_find(u->ctx, cmd->ioas_id);
		if (!ioas)
			return -ENOENT;
		u->ctx->vfio_ioas = ioas;
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		u->ctx->vfio_ioas = NULL;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int map_dma(struct iemu_ctx *ctx, struct iemu_proc *caller, uint64_t arg)
{
	const size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct pages_piece piece;
	struct ioas *ioas;
	uint64_t iova;
	int rc;

	if (copy_from_user(caller, &map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz ||
	    (map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	ioas = ctx->vfio_ioas;
	if (!ioas)
		return -ENODEV;
	rc = pages_alloc_user(caller, map.vaddr, map.size,
			      map.flags & VFIO_DMA_MAP_FLAG_WRITE, &piece.pages,
			      &piece.start_byte);
	if (rc)
		return rc;
	if (ctx->account_mode == ACCOUNT_MM && piece.pages->account == ACCOUNT_USER)
		piece.pages->account = ACCOUNT_MM;
	piece.length = map.size;
	iova = map.iova;
	rc = iopt_map_pieces(&ioas->iopt, &piece, 1, map.size, &iova,
			     (map.flags & VFIO_DMA_MAP_FLAG_READ ? PT_READ : 0) |
			     (map.flags & VFIO_DMA_MAP_FLAG_WRITE ? PT_WRITE : 0),
			     0);
	pages_put(piece.pages);
	return rc;
}

/* type1 may unmap part of a mapping: cut at both ends first.  The end is
 * computed as the kernel does, wrapping for a zero size. */
static int cut_ends(struct ioas *ioas, uint64_t iova, uint64_t size)
{
	int rc = iopt_cut(&ioas->iopt, iova + size - 1);

	if (!rc && iova)
		rc = iopt_cut(&ioas->iopt, iova - 1);
	return rc;
}

static int unmap_dma(struct iemu_ctx *ctx, struct iemu_proc *caller, uint64_t arg)
{
	const size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	uint64_t unmapped = 0;
	struct ioas *ioas;
	int rc;

	if (copy_from_user(caller, &unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	ioas = ctx->vfio_ioas;
	if (!ioas)
		return -ENODEV;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size)
			return -EINVAL;
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		if (ioas->iopt.disable_large_pages) {
			rc = cut_ends(ioas, unmap.iova, unmap.size);
			if (rc)
				return rc;
		}
		rc = iopt_unmap(&ioas->iopt, unmap.iova, unmap.size, &unmapped);
	}
	unmap.size = unmapped;
	if (copy_to_user(caller, arg, &unmap, minsz))
		rc = -EFAULT;
	return rc;
}

static int check_extension(struct iemu_ctx *ctx, uint64_t type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
	case VFIO_NOIOMMU_IOMMU:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		/* Every emulated domain enforces cache coherency. */
		return ctx->vfio_ioas ? 1 : -ENODEV;
	default:
		return 0;
	}
}

static int set_iommu(struct iemu_ctx *ctx, uint64_t type)
{
	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	if (!ctx->vfio_ioas)
		return -ENODEV;
	/* Plain type1 may unmap inside mappings: no large IO pages then. */
	if (type == VFIO_TYPE1_IOMMU)
		return iopt_disable_large_pages(&ctx->vfio_ioas->iopt);
	return 0;
}

static uint64_t page_sizes(const struct iopt *iopt)
{
	uint64_t bitmap = UINT64_MAX;

	for (size_t i = 0; i < iopt->ndomains; i++)
		bitmap &= iopt->domains[i]->pgsize_bitmap;
	if (bitmap & (PAGE_SIZE - 1)) {
		bitmap &= ~(PAGE_SIZE - 1);
		bitmap |= PAGE_SIZE;
	}
	return bitmap > iopt->iova_alignment ? bitmap : iopt->iova_alignment;
}

struct cap_iova {
	struct iemu_proc *caller;
	uint64_t at, avail;
	uint32_t nr;
};

static int put_iova_range(void *arg, uint64_t start, uint64_t last)
{
	struct cap_iova *c = arg;
	struct vfio_iova_range range = { .start = start, .end = last };
	uint64_t off = sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
		       (uint64_t)c->nr * sizeof(range);

	if (c->avail >= off + sizeof(range) &&
	    copy_to_user(c->caller, c->at + off, &range, sizeof(range)))
		return -EFAULT;
	c->nr++;
	return 0;
}

/* Each cap filler returns the cap's size, writing it only where it fits. */
static int64_t cap_iova(struct ioas *ioas, struct iemu_proc *caller,
			uint64_t at, uint64_t avail)
{
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1 },
	};
	struct cap_iova c = { caller, at, avail, 0 };
	uint64_t size;
	int rc = iopt_for_each_usable(&ioas->iopt, put_iova_range, &c);

	if (rc)
		return rc;
	cap.nr_iovas = c.nr;
	size = sizeof(cap) + (uint64_t)c.nr * sizeof(struct vfio_iova_range);
	if (avail >= size && copy_to_user(caller, at, &cap, sizeof(cap)))
		return -EFAULT;
	return (int64_t)size;
}

static int64_t cap_dma_avail(struct ioas *ioas, struct iemu_proc *caller,
			     uint64_t at, uint64_t avail)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, .version = 1 },
		.avail = UINT32_MAX,
	};

	(void)ioas;
	if (avail >= sizeof(cap) && copy_to_user(caller, at, &cap, sizeof(cap)))
		return -EFAULT;
	return sizeof(cap);
}

static int get_info(struct iemu_ctx *ctx, struct iemu_proc *caller, uint64_t arg)
{
	static int64_t (*const fill[])(struct ioas *, struct iemu_proc *,
				       uint64_t, uint64_t) = { cap_dma_avail, cap_iova };
	struct vfio_iommu_type1_info info = { 0 };
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	uint64_t total = sizeof(info), last_cap = 0;
	struct ioas *ioas;

	if (copy_from_user(caller, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	ioas = ctx->vfio_ioas;
	if (!ioas)
		return -ENODEV;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = page_sizes(&ioas->iopt);
	info.cap_offset = 0;
	for (size_t i = 0; i < sizeof(fill) / sizeof(fill[0]); i++) {
		int64_t size = info.argsz > total ?
				       fill[i](ioas, caller, arg + total,
					       info.argsz - total) :
				       fill[i](ioas, caller, 0, 0);
		uint32_t next = (uint32_t)total;

		if (size < 0)
			return (int)size;
		if (last_cap && info.argsz >= total &&
		    copy_to_user(caller, last_cap + offsetof(struct vfio_info_cap_header, next),
				 &next, sizeof(next)))
			return -EFAULT;
		last_cap = arg + total;
		total += ((uint64_t)size + 7) & ~7ULL;
	}
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = (uint32_t)total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	return copy_to_user(caller, arg, &info, minsz) ? -EFAULT : 0;
}

long compat_ioctl(struct iemu_ctx *ctx, struct iemu_proc *caller,
		  unsigned int cmd, uint64_t arg)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_SET_IOMMU:
		return set_iommu(ctx, arg);
	case VFIO_CHECK_EXTENSION:
		return check_extension(ctx, arg);
	case VFIO_IOMMU_GET_INFO:
		return get_info(ctx, caller, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(ctx, caller, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(ctx, caller, arg);
	default:
		return -ENOTTY;
	}
}
