// SPDX-License-Identifier: MIT
/*
 * vIOMMU, vDEVICE and HW queue objects (see viommu.h), after the kernel's
 * viommu.c: the checks in its order, the references each object holds,
 * and the tombstone a vDEVICE leaves when its device goes first.
 */
#include "viommu.h"

#include <errno.h>

#include "access.h"
#include "ctx.h"
#include "emu.h"
#include "hwpt.h"
#include "idev.h"
#include "iommu_model.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "pt.h"
#include "ucmd.h"
#include "udata.h"

/* ---- vIOMMU ---- */

int viommu_alloc_ioctl(struct ucmd *u)
{
	struct iommu_viommu_alloc *cmd = u->cmd;
	struct udata ud = { .proc = u->caller, .type = cmd->type,
			    .uptr = cmd->data_uptr, .len = cmd->data_len };
	const struct iommu_driver *drv;
	struct viommu *v;
	struct idev *idev;
	struct hwpt *hwpt;
	struct obj *obj;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	idev = idev_find(u->ctx, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	drv = idev->model && !idev_noiommu(idev) ? idev->model->drv : NULL;
	if (!drv || !drv->viommu_init || !drv->viommu_type(cmd->type))
		return -EOPNOTSUPP;
	hwpt = hwpt_find(u->ctx, cmd->hwpt_id);
	if (!hwpt)
		return -ENOENT;
	if (!hwpt->nest_parent)
		return -EINVAL;
	rc = obj_alloc(u->ctx, sizeof(*v), OBJ_VIOMMU, &obj);
	if (rc)
		return rc;
	v = (struct viommu *)obj;
	v->ctx = u->ctx;
	v->model = idev->model;
	v->type = cmd->type;
	v->hwpt = hwpt;
	hwpt->obj.users++;
	rc = drv->viommu_init(v, cmd->data_len ? &ud : NULL);
	if (!rc) {
		cmd->out_viommu_id = obj->id;
		rc = ucmd_respond(u, sizeof(*cmd));
		if (rc)
			drv->viommu_destroy(v);
	}
	if (rc) {
		hwpt->obj.users--;
		obj_abort(u->ctx, obj);
		return rc;
	}
	obj_finalize(u->ctx, obj);
	return 0;
}

void viommu_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	struct viommu *v = (struct viommu *)obj;

	(void)ctx;
	v->model->drv->viommu_destroy(v);
	v->hwpt->obj.users--;
}

/* ---- vDEVICE ---- */

struct vdevice *viommu_vdevice_of(const struct viommu *v, const struct idev *idev)
{
	struct vdevice *vd;

	for (vd = v->vdevs; vd && vd->idev != idev; vd = vd->next)
		;
	return vd;
}

struct idev *viommu_find_dev(const struct viommu *v, uint64_t virt_id)
{
	for (struct vdevice *vd = v->vdevs; vd; vd = vd->next)
		if (vd->virt_id == virt_id)
			return vd->idev;
	return NULL;
}

int vdevice_alloc_ioctl(struct ucmd *u)
{
	struct iommu_vdevice_alloc *cmd = u->cmd;
	struct vdevice *vd;
	struct viommu *v;
	struct idev *idev;
	struct obj *obj;
	int rc;

	v = (struct viommu *)obj_find(u->ctx, cmd->viommu_id, OBJ_VIOMMU);
	if (!v)
		return -ENOENT;
	idev = idev_find(u->ctx, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	if (idev_noiommu(idev) || idev->model != v->model)
		return -EINVAL;
	if (idev->vdev)
		return -EEXIST;
	if (viommu_find_dev(v, cmd->virt_id))
		return -EEXIST;
	rc = obj_alloc(u->ctx, sizeof(*vd), OBJ_VDEVICE, &obj);
	if (rc)
		return rc;
	vd = (struct vdevice *)obj;
	vd->viommu = v;
	vd->idev = idev;
	vd->virt_id = cmd->virt_id;
	cmd->out_vdevice_id = obj->id;
	rc = ucmd_respond(u, sizeof(*cmd));
	if (rc) {
		obj_abort(u->ctx, obj);
		return rc;
	}
	vd->next = v->vdevs;
	v->vdevs = vd;
	v->obj.users++;
	idev->vdev = vd;
	obj_finalize(u->ctx, obj);
	return 0;
}

void vdevice_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	struct vdevice *vd = (struct vdevice *)obj, **pp;

	(void)ctx;
	for (pp = &vd->viommu->vdevs; *pp != vd; pp = &(*pp)->next)
		;
	*pp = vd->next;
	vd->viommu->obj.users--;
	vd->idev->vdev = NULL;
}

void vdevice_remove_for(struct idev *idev)
{
	if (idev->vdev)
		obj_tombstone(idev->ctx, &idev->vdev->obj);
}

/* ---- HW queues ---- */

void hw_queue_depend(struct hw_queue *q, struct hw_queue *on)
{
	(void)q;
	on->obj.users++;
}

void hw_queue_undepend(struct hw_queue *q, struct hw_queue *on)
{
	(void)q;
	on->obj.users--;
}

static void put_access(struct hw_queue *q, uint64_t aligned, uint64_t length)
{
	access_unpin(q->access, aligned, length);
	access_destroy(q->access);
	q->access = NULL;
}

/* Pin the queue's pages through an internal access: they must be
 * physically contiguous, and *base_pa is where the queue starts. */
static int pin_queue(struct ucmd *u, struct hw_queue *q, uint64_t *base_pa)
{
	struct iommu_hw_queue_alloc *cmd = u->cmd;
	uint64_t aligned = cmd->nesting_parent_iova & ~(PAGE_SIZE - 1);
	uint64_t offset = cmd->nesting_parent_iova - aligned, length, pa0 = 0;
	struct pt *pt = &q->viommu->hwpt->pt;
	int rc;

	if (__builtin_add_overflow(offset, cmd->length, &length) ||
	    __builtin_add_overflow(length, PAGE_SIZE - 1, &length))
		return -ERANGE;
	length &= ~(PAGE_SIZE - 1);
	rc = access_create_internal(u->ctx, &q->access);
	if (rc)
		return rc;
	rc = access_attach_ioas(q->access, q->viommu->hwpt->ioas);
	if (!rc)
		rc = access_pin(q->access, aligned, length, false);
	if (rc) {
		access_destroy(q->access);
		q->access = NULL;
		return rc;
	}
	pt_read_lock(pt);
	for (uint64_t off = 0; off < length && !rc; off += PAGE_SIZE) {
		struct pt_xlate t;

		if (pt_translate(pt, aligned + off, &t) || (off && t.pa != pa0 + off))
			rc = -EFAULT;
		else if (!off)
			pa0 = t.pa;
	}
	pt_read_unlock(pt);
	if (rc) {
		put_access(q, aligned, length);
		return rc;
	}
	*base_pa = pa0 + offset;
	return 0;
}

static void unpin_queue(struct hw_queue *q)
{
	uint64_t aligned = q->base_addr & ~(PAGE_SIZE - 1);
	uint64_t length = (q->base_addr - aligned + q->length + PAGE_SIZE - 1) &
			  ~(PAGE_SIZE - 1);

	put_access(q, aligned, length);
}

int hw_queue_alloc_ioctl(struct ucmd *u)
{
	struct iommu_hw_queue_alloc *cmd = u->cmd;
	const struct iommu_driver *drv;
	struct hw_queue *q;
	struct viommu *v;
	struct obj *obj;
	uint64_t last, base_pa;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->nesting_parent_iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	v = (struct viommu *)obj_find(u->ctx, cmd->viommu_id, OBJ_VIOMMU);
	if (!v)
		return -ENOENT;
	drv = v->model->drv;
	if (!drv->hw_queue_init || !drv->hw_queue_type(cmd->type))
		return -EOPNOTSUPP;
	rc = obj_alloc(u->ctx, sizeof(*q), OBJ_HW_QUEUE, &obj);
	if (rc)
		return rc;
	q = (struct hw_queue *)obj;
	q->viommu = v;
	rc = pin_queue(u, q, &base_pa);
	if (rc) {
		obj_abort(u->ctx, obj);
		return rc;
	}
	v->obj.users++;
	q->type = cmd->type;
	q->length = cmd->length;
	q->base_addr = cmd->nesting_parent_iova;
	rc = drv->hw_queue_init(q, cmd->index, base_pa);
	if (!rc) {
		cmd->out_hw_queue_id = obj->id;
		rc = ucmd_respond(u, sizeof(*cmd));
		if (rc)
			drv->hw_queue_destroy(q);
	}
	if (rc) {
		unpin_queue(q);
		v->obj.users--;
		obj_abort(u->ctx, obj);
		return rc;
	}
	obj_finalize(u->ctx, obj);
	return 0;
}

void hw_queue_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	struct hw_queue *q = (struct hw_queue *)obj;

	(void)ctx;
	q->viommu->model->drv->hw_queue_destroy(q);
	unpin_queue(q);
	q->viommu->obj.users--;
}
