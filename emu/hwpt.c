// SPDX-License-Identifier: MIT
/*
 * HWPT_PAGING objects and their ioctls (see hwpt.h), with the checks of the
 * kernel's hw_pagetable.c in its order.  The dirty bitmap follows
 * io_pagetable.c and iova_bitmap.c of Linux 7.3: bits are only ever set in
 * the user's bitmap (never cleared), the walk covers the areas mapped back
 * to back from the start of the range, and what cannot be reported (a
 * bitmap page that cannot be written, a hole) is dropped without an error.
 */
#include "hwpt.h"

#include <errno.h>
#include <string.h>

#include "ctx.h"
#include "emu.h"
#include "idev.h"
#include "ioas.h"
#include "iommu_model.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "proc.h"
#include "ucmd.h"

int hwpt_paging_create(struct iemu_ctx *ctx, struct ioas *ioas,
		       const struct hwpt_geometry *geo, struct hwpt **out)
{
	struct obj *obj;
	struct hwpt *hwpt;
	int rc = obj_alloc(ctx, sizeof(*hwpt), OBJ_HWPT_PAGING, &obj);

	if (rc)
		return rc;
	hwpt = (struct hwpt *)obj;
	pt_init(&hwpt->pt, geo->aperture_start, geo->aperture_last,
		geo->pgsize_bitmap, geo->dirty_supported);
	rc = iopt_add_domain(&ioas->iopt, &hwpt->pt);
	if (rc) {
		pt_destroy(&hwpt->pt);
		obj_abort(ctx, obj);
		return rc;
	}
	hwpt->ioas = ioas;
	ioas->obj.users++;
	*out = hwpt;
	return 0;
}

int hwpt_paging_alloc(struct iemu_ctx *ctx, struct ioas *ioas,
		      const struct iommu_model *m, uint32_t flags, struct hwpt **out)
{
	const uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT |
			       IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_FAULT_ID_VALID |
			       IOMMU_HWPT_ALLOC_PASID;
	struct hwpt_geometry geo = m->geo;
	int rc;

	if (flags & ~valid)
		return -EOPNOTSUPP;
	/* 6.12 predates PASID attachment (6.15). */
	if ((flags & IOMMU_HWPT_ALLOC_PASID) &&
	    !emu_kernel_at_least(ctx->emu, IEMU_KVER(6, 15)))
		return -EOPNOTSUPP;
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !m->geo.dirty_supported)
		return -EOPNOTSUPP;
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) && (flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EOPNOTSUPP;
	/* The software page table takes no flags (the driver never sees
	 * FAULT_ID_VALID: hw_pagetable.c strips it); VT-d here cannot nest. */
	if (m == &swpt_model && (flags & ~IOMMU_HWPT_FAULT_ID_VALID))
		return -EOPNOTSUPP;
	if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
		return -EOPNOTSUPP;
	geo.dirty_supported = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	rc = hwpt_paging_create(ctx, ioas, &geo, out);
	if (rc)
		return rc;
	(*out)->model = m;
	(*out)->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	return 0;
}

static void teardown(struct hwpt *hwpt)
{
	iopt_remove_domain(&hwpt->ioas->iopt, &hwpt->pt);
	hwpt->ioas->obj.users--;
	pt_destroy(&hwpt->pt);
}

void hwpt_paging_abort(struct iemu_ctx *ctx, struct hwpt *hwpt)
{
	teardown(hwpt);
	obj_abort(ctx, &hwpt->obj);
}

void hwpt_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	(void)ctx;
	teardown((struct hwpt *)obj);
}

struct hwpt *hwpt_find(struct iemu_ctx *ctx, uint32_t id)
{
	return (struct hwpt *)obj_find(ctx, id, OBJ_HWPT_PAGING);
}

void hwpt_put(struct iemu_ctx *ctx, struct hwpt *hwpt)
{
	hwpt->obj.users--;
	if (hwpt->auto_domain && hwpt->obj.users == 1)
		obj_remove(ctx, hwpt->obj.id);
}

/* ---- IOMMU_HWPT_ALLOC ---- */

/* A nested domain on a paging parent: none can be made here, but the
 * refusals come in the kernel's order. */
static int nested_refusal(const struct iommu_hwpt_alloc *cmd, const struct idev *idev,
			  const struct hwpt *parent)
{
	const struct iommu_model *m = idev_model(idev);

	if ((cmd->flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) ||
	    !cmd->data_len || m != &vtd_model)
		return -EOPNOTSUPP;
	(void)parent; /* never a nesting parent: this VT-d cannot nest */
	return -EINVAL;
}

static int alloc_paging(struct ucmd *u, const struct idev *idev, struct ioas *ioas,
			struct hwpt **out)
{
	struct iommu_hwpt_alloc *cmd = u->cmd;
	const struct iommu_model *m = idev_model(idev);

	if (!m)
		return -ENODEV;
	if (cmd->data_len)
		return -EOPNOTSUPP;
	return hwpt_paging_alloc(u->ctx, ioas, m, cmd->flags, out);
}

int hwpt_alloc_ioctl(struct ucmd *u)
{
	struct iommu_hwpt_alloc *cmd = u->cmd;
	struct hwpt *hwpt;
	struct idev *idev;
	struct obj *pt;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE) != !cmd->data_len)
		return -EINVAL;
	idev = idev_find(u->ctx, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	pt = obj_find(u->ctx, cmd->pt_id, OBJ_ANY);
	if (!pt)
		return -EINVAL;
	if (pt->type == OBJ_HWPT_PAGING)
		return nested_refusal(cmd, idev, (struct hwpt *)pt);
	if (pt->type != OBJ_IOAS)
		return -EINVAL;
	rc = alloc_paging(u, idev, (struct ioas *)pt, &hwpt);
	if (rc)
		return rc;
	/* No fault queue objects exist here, so any fault_id is unknown. */
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		hwpt_paging_abort(u->ctx, hwpt);
		return -ENOENT;
	}
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = ucmd_respond(u, sizeof(*cmd));
	if (rc) {
		hwpt_paging_abort(u->ctx, hwpt);
		return rc;
	}
	obj_finalize(u->ctx, &hwpt->obj);
	return 0;
}

/* ---- dirty tracking ---- */

int hwpt_set_dirty_tracking_ioctl(struct ucmd *u)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = u->cmd;
	struct hwpt *hwpt;

	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	hwpt = hwpt_find(u->ctx, cmd->hwpt_id);
	if (!hwpt)
		return -ENOENT;
	if (!hwpt->pt.dirty_supported)
		return -EOPNOTSUPP;
	/* Enabling starts from a clean slate, as the kernel clears the PTEs. */
	pt_set_dirty_tracking(&hwpt->pt, cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	return 0;
}

static int check_iova_range(const struct iopt *iopt,
			    const struct iommu_hwpt_get_dirty_bitmap *b)
{
	uint64_t align = iopt->iova_alignment, last;

	if (!b->length)
		return -EINVAL;
	if (__builtin_add_overflow(b->iova, b->length - 1, &last))
		return -EOVERFLOW;
	if ((b->iova & (align - 1)) || ((last + 1) & (align - 1)))
		return -EINVAL;
	if (!b->page_size)
		return -EINVAL;
	if ((b->iova & (b->page_size - 1)) || ((last + 1) & (b->page_size - 1)))
		return -EINVAL;
	return 0;
}

struct bitmap {
	struct iemu_proc *proc;
	uint64_t data;
	uint64_t base;
	unsigned int shift;
};

#define CHUNK 4096

/* Set bits first..last of the user's bitmap; chunks it cannot read or
 * write are dropped, as the kernel drops bits of pages it cannot pin. */
static void set_bits(struct bitmap *b, uint64_t first, uint64_t last)
{
	uint8_t buf[CHUNK];

	while (first <= last) {
		uint64_t byte0 = first / 8, byte1 = last / 8, n;

		if (byte1 - byte0 >= CHUNK)
			byte1 = byte0 + CHUNK - 1;
		n = byte1 - byte0 + 1;
		if (!proc_read(b->proc, b->data + byte0, buf, n)) {
			uint64_t end = (byte1 + 1) * 8 - 1 < last ? (byte1 + 1) * 8 - 1 : last;

			for (uint64_t bit = first; bit <= end; bit++)
				buf[bit / 8 - byte0] |= 1u << (bit % 8);
			proc_write(b->proc, b->data + byte0, buf, n);
		}
		if ((byte1 + 1) * 8 - 1 >= last)
			break;
		first = (byte1 + 1) * 8;
	}
}

static void report_dirty(void *arg, uint64_t iova, uint64_t len)
{
	struct bitmap *b = arg;

	set_bits(b, (iova - b->base) >> b->shift, (iova + len - 1 - b->base) >> b->shift);
}

int hwpt_get_dirty_bitmap_ioctl(struct ucmd *u)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = u->cmd;
	struct bitmap b = { .proc = u->caller, .data = cmd->data, .base = cmd->iova };
	bool keep = cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	struct iopt_contig c;
	struct hwpt *hwpt;
	struct area *a;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt = hwpt_find(u->ctx, cmd->hwpt_id);
	if (!hwpt)
		return -ENOENT;
	rc = check_iova_range(&hwpt->ioas->iopt, cmd);
	if (rc)
		return rc;
	if (!hwpt->pt.dirty_supported)
		return -EOPNOTSUPP;
	/* A domain not tracking refuses the walk, and the kernel ignores that. */
	if (!hwpt->pt.dirty_tracking)
		return 0;
	b.shift = __builtin_ctzll(cmd->page_size);
	for (a = iopt_contig_first(&c, &hwpt->ioas->iopt, cmd->iova,
				   cmd->iova + cmd->length - 1);
	     a; a = iopt_contig_next(&c))
		pt_read_dirty(&hwpt->pt, c.cur, iopt_contig_last(&c), keep, report_dirty, &b);
	return 0;
}

/* ---- invalidation: only nested domains and vIOMMUs take it ---- */

#define INVALIDATE_ENTRY_NUM_MAX (1u << 19)

static int invalidate(struct ucmd *u)
{
	struct iommu_hwpt_invalidate *cmd = u->cmd;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len ||
			       cmd->entry_len > PAGE_SIZE ||
			       cmd->entry_num > INVALIDATE_ENTRY_NUM_MAX))
		return -EINVAL;
	if (!obj_find(u->ctx, cmd->hwpt_id, OBJ_ANY))
		return -ENOENT;
	return -EINVAL;
}

int hwpt_invalidate_ioctl(struct ucmd *u)
{
	struct iommu_hwpt_invalidate *cmd = u->cmd;
	int rc = invalidate(u);

	/* The number of entries handled is reported whatever happened. */
	cmd->entry_num = 0;
	if (ucmd_respond(u, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
