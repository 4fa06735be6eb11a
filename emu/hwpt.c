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
#include "eventq.h"
#include "iommu_model.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "proc.h"
#include "ucmd.h"
#include "udata.h"
#include "viommu.h"

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

/* The checks every paging allocation passes, in hw_pagetable.c's order. */
static int paging_flags_ok(struct iemu_ctx *ctx, const struct idev *idev, uint32_t flags)
{
	const uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT |
			       IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_FAULT_ID_VALID |
			       IOMMU_HWPT_ALLOC_PASID;

	if (flags & ~valid)
		return -EOPNOTSUPP;
	/* 6.12 takes a fault queue on nested HWPTs only: FAULT_ID_VALID is not
	 * among its paging flags (NEST_PARENT, DIRTY_TRACKING). */
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) &&
	    !emu_kernel_at_least(ctx->emu, IEMU_KVER(6, 13)))
		return -EOPNOTSUPP;
	/* 6.12 predates PASID attachment (6.15). */
	if ((flags & IOMMU_HWPT_ALLOC_PASID) &&
	    !emu_kernel_at_least(ctx->emu, IEMU_KVER(6, 15)))
		return -EOPNOTSUPP;
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !model_dirty_capable(idev->model, idev))
		return -EOPNOTSUPP;
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) && (flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EOPNOTSUPP;
	return 0;
}

/* A model without a driver: VT-d here cannot nest, and the software page
 * table takes no flags (the driver never sees FAULT_ID_VALID:
 * hw_pagetable.c strips it); neither takes driver data. */
static int fixed_geometry(const struct iommu_model *m, uint32_t flags,
			  const struct udata *ud, struct hwpt_geometry *geo)
{
	if (ud)
		return -EOPNOTSUPP;
	if (m == &swpt_model && flags)
		return -EOPNOTSUPP;
	if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
		return -EOPNOTSUPP;
	geo->dirty_supported = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	return 0;
}

int hwpt_paging_alloc(struct iemu_ctx *ctx, struct ioas *ioas, const struct idev *idev,
		      uint32_t flags, const struct udata *ud, struct hwpt **out)
{
	const struct iommu_model *m = idev->model;
	struct hwpt_geometry geo;
	uint32_t drv_flags = flags & ~IOMMU_HWPT_FAULT_ID_VALID;
	int rc;

	if (!m)
		return -ENODEV;
	rc = paging_flags_ok(ctx, idev, flags);
	if (rc)
		return rc;
	geo = m->geo;
	if (m->drv && m->drv->alloc_paging)
		rc = m->drv->alloc_paging(idev, drv_flags, ud, &geo);
	else
		rc = fixed_geometry(m, drv_flags, ud, &geo);
	if (rc)
		return rc;
	rc = hwpt_paging_create(ctx, ioas, &geo, out);
	if (rc)
		return rc;
	(*out)->model = m;
	(*out)->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	(*out)->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	return 0;
}

/* What a HWPT holds, in the reverse order of taking it. */
static void release(struct hwpt *hwpt)
{
	if (hwpt->model && hwpt->model->drv && hwpt->model->drv->domain_free)
		hwpt->model->drv->domain_free(hwpt);
	if (hwpt->fault)
		hwpt->fault->obj.users--;
	if (hwpt->obj.type == OBJ_HWPT_NESTED) {
		if (hwpt->viommu)
			hwpt->viommu->obj.users--;
		else
			hwpt->parent->obj.users--;
		return;
	}
	iopt_remove_domain(&hwpt->ioas->iopt, &hwpt->pt);
	hwpt->ioas->obj.users--;
	pt_destroy(&hwpt->pt);
}

void hwpt_abort(struct iemu_ctx *ctx, struct hwpt *hwpt)
{
	release(hwpt);
	obj_abort(ctx, &hwpt->obj);
}

void hwpt_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	(void)ctx;
	release((struct hwpt *)obj);
}

struct hwpt *hwpt_find(struct iemu_ctx *ctx, uint32_t id)
{
	return (struct hwpt *)obj_find(ctx, id, OBJ_HWPT_PAGING);
}

void hwpt_put(struct iemu_ctx *ctx, struct hwpt *hwpt)
{
	hwpt->obj.users--;
	if (hwpt->obj.type == OBJ_HWPT_PAGING && hwpt->auto_domain && hwpt->obj.users == 1)
		obj_remove(ctx, hwpt->obj.id);
}

/* ---- IOMMU_HWPT_ALLOC ---- */

static int nested_new(struct iemu_ctx *ctx, struct hwpt *parent, uint32_t flags,
		      struct hwpt **out)
{
	struct obj *obj;
	int rc = obj_alloc(ctx, sizeof(struct hwpt), OBJ_HWPT_NESTED, &obj);

	if (rc)
		return rc;
	*out = (struct hwpt *)obj;
	(*out)->parent = parent;
	(*out)->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	return 0;
}

/* A nested domain on a paging parent. */
static int alloc_nested(struct ucmd *u, const struct idev *idev, struct hwpt *parent,
			const struct udata *ud, struct hwpt **out)
{
	struct iommu_hwpt_alloc *cmd = u->cmd;
	const struct iommu_model *m = idev->model;
	int rc;

	if ((cmd->flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) ||
	    !ud->len || !m || !m->nesting_op)
		return -EOPNOTSUPP;
	if (parent->auto_domain || !parent->nest_parent || parent->model != m)
		return -EINVAL;
	/* Only models with a driver make nesting parents. */
	rc = nested_new(u->ctx, parent, cmd->flags, out);
	if (rc)
		return rc;
	(*out)->model = m;
	parent->obj.users++;
	rc = m->drv->alloc_nested(idev, parent, NULL,
				  cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID, ud, *out);
	if (rc)
		hwpt_abort(u->ctx, *out);
	return rc;
}

/* A nested domain through a vIOMMU of the device's IOMMU. */
static int alloc_viommu_nested(struct ucmd *u, const struct idev *idev, struct viommu *v,
			       const struct udata *ud, struct hwpt **out)
{
	struct iommu_hwpt_alloc *cmd = u->cmd;
	int rc;

	if (!idev->model || v->model != idev->model)
		return -EINVAL;
	if (cmd->flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID))
		return -EOPNOTSUPP;
	if (!ud->len || !v->model->drv->alloc_nested)
		return -EOPNOTSUPP;
	rc = nested_new(u->ctx, v->hwpt, cmd->flags, out);
	if (rc)
		return rc;
	(*out)->model = v->model;
	(*out)->viommu = v;
	v->obj.users++;
	rc = v->model->drv->alloc_nested(idev, v->hwpt, v,
					 cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID, ud, *out);
	if (rc)
		hwpt_abort(u->ctx, *out);
	return rc;
}

static int alloc_on(struct ucmd *u, const struct idev *idev, struct obj *pt,
		    const struct udata *ud, struct hwpt **out)
{
	struct iommu_hwpt_alloc *cmd = u->cmd;

	switch (pt->type) {
	case OBJ_IOAS:
		return hwpt_paging_alloc(u->ctx, (struct ioas *)pt, idev, cmd->flags,
					 ud->len ? ud : NULL, out);
	case OBJ_HWPT_PAGING:
		return alloc_nested(u, idev, (struct hwpt *)pt, ud, out);
	case OBJ_VIOMMU:
		return alloc_viommu_nested(u, idev, (struct viommu *)pt, ud, out);
	default:
		return -EINVAL;
	}
}

/* IOMMU_HWPT_FAULT_ID_VALID: page faults go to that queue. */
static int take_fault(struct ucmd *u, struct hwpt *hwpt)
{
	struct iommu_hwpt_alloc *cmd = u->cmd;
	struct eventq *q;

	if (!(cmd->flags & IOMMU_HWPT_FAULT_ID_VALID))
		return 0;
	q = fault_find(u->ctx, cmd->fault_id);
	if (!q)
		return -ENOENT;
	hwpt->fault = q;
	q->obj.users++;
	return 0;
}

int hwpt_alloc_ioctl(struct ucmd *u)
{
	struct iommu_hwpt_alloc *cmd = u->cmd;
	struct udata ud = { .proc = u->caller, .type = cmd->data_type,
			    .uptr = cmd->data_uptr, .len = cmd->data_len };
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
	rc = alloc_on(u, idev, pt, &ud, &hwpt);
	if (rc)
		return rc;
	rc = take_fault(u, hwpt);
	if (!rc) {
		cmd->out_hwpt_id = hwpt->obj.id;
		rc = ucmd_respond(u, sizeof(*cmd));
	}
	if (rc) {
		hwpt_abort(u->ctx, hwpt);
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

/* The driver sets a->entry_num to the entries it got through; before it
 * runs, none are. */
static int invalidate(struct ucmd *u, struct udata_array *a)
{
	struct iommu_hwpt_invalidate *cmd = u->cmd;
	struct obj *obj;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len ||
			       cmd->entry_len > PAGE_SIZE ||
			       cmd->entry_num > INVALIDATE_ENTRY_NUM_MAX))
		return -EINVAL;
	obj = obj_find(u->ctx, cmd->hwpt_id, OBJ_ANY);
	if (!obj)
		return -ENOENT;
	/* 6.12 looks up a nested HWPT only: anything else is not found. */
	if (obj->type != OBJ_HWPT_NESTED && !emu_kernel_at_least(u->ctx->emu, IEMU_KVER(6, 13)))
		return -ENOENT;
	if (obj->type == OBJ_HWPT_NESTED) {
		struct hwpt *hwpt = (struct hwpt *)obj;
		const struct iommu_driver *drv = hwpt->model ? hwpt->model->drv : NULL;

		if (!drv || !drv->invalidate_nested)
			return -EOPNOTSUPP;
		a->entry_num = cmd->entry_num;
		return drv->invalidate_nested(hwpt, a);
	}
	if (obj->type == OBJ_VIOMMU) {
		struct viommu *v = (struct viommu *)obj;

		if (!v->model->drv->viommu_invalidate)
			return -EOPNOTSUPP;
		a->entry_num = cmd->entry_num;
		return v->model->drv->viommu_invalidate(v, a);
	}
	return -EINVAL;
}

int hwpt_invalidate_ioctl(struct ucmd *u)
{
	struct iommu_hwpt_invalidate *cmd = u->cmd;
	struct udata_array a = { .proc = u->caller, .type = cmd->data_type,
				 .uptr = cmd->data_uptr, .entry_len = cmd->entry_len };
	int rc = invalidate(u, &a);

	/* The number of entries handled is reported whatever happened. */
	cmd->entry_num = a.entry_num;
	if (ucmd_respond(u, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
