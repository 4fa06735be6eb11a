// SPDX-License-Identifier: MIT
/*
 * DEVICE objects (see idev.h), after the kernel's iommufd/device.c: the
 * attach, replace and detach paths with their reference counting and
 * reserved-region bookkeeping, and the automatic domain search.  noiommu
 * devices follow Linux 7.3: attaching never touches an IOMMU (so any HWPT
 * takes them) and reserves nothing.
 */
#include "idev.h"

#include <errno.h>
#include <string.h>

#include "ctx.h"
#include "device.h"
#include "emu.h"
#include "hwpt.h"
#include "ioas.h"
#include "iommu_model.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "proc.h"
#include "ucmd.h"

struct idev *idev_find(struct iemu_ctx *ctx, uint32_t id)
{
	return (struct idev *)obj_find(ctx, id, OBJ_DEVICE);
}

const struct iommu_model *idev_model(const struct idev *idev)
{
	switch (idev->dev->noiommu) {
	case IEMU_NOIOMMU_OFF:
		return &vtd_model;
	case IEMU_NOIOMMU_SWPT:
		return &swpt_model;
	default:
		return NULL;
	}
}

static bool noiommu(const struct idev *idev)
{
	return device_is_noiommu(idev->dev);
}

int idev_bind(struct iemu_ctx *ctx, struct iemu_device *dev, struct idev **out)
{
	struct obj *obj;
	int rc = obj_alloc(ctx, sizeof(struct idev), OBJ_DEVICE, &obj);

	if (rc)
		return rc;
	*out = (struct idev *)obj;
	(*out)->ctx = ctx;
	(*out)->dev = dev;
	obj_finalize(ctx, obj);
	/* The VFIO device holds it until unbind: IOMMU_DESTROY gives EBUSY. */
	obj->users++;
	return 0;
}

void idev_unbind(struct idev *idev)
{
	idev_detach(idev, 0);
	idev->obj.users--;
	obj_remove(idev->ctx, idev->obj.id);
}

void idev_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	(void)ctx;
	(void)obj;
}

/* ---- reserved regions ---- */

static int reserve(struct idev *idev, struct ioas *ioas)
{
	const struct iommu_model *m = idev_model(idev);

	if (noiommu(idev) || !m->resv_last)
		return 0;
	return iopt_reserve(&ioas->iopt, m->resv_start, m->resv_last, idev);
}

static void unreserve(struct idev *idev, struct ioas *ioas)
{
	iopt_unreserve(&ioas->iopt, idev);
}

/* Whether the IOMMU takes the device into this domain: one made by another
 * IOMMU refuses (EINVAL); a noiommu device skips the IOMMU altogether. */
static int domain_accepts(const struct idev *idev, const struct hwpt *hwpt)
{
	if (noiommu(idev) || !hwpt->model)
		return 0;
	return hwpt->model == idev_model(idev) ? 0 : -EINVAL;
}

/* A PASID other than 0: a HWPT without PASID support refuses it, and the
 * functions have no PASID capability for one that has it. */
static int pasid_refusal(const struct hwpt *hwpt)
{
	(void)hwpt;
	return -EINVAL;
}

/* ---- attach, replace, detach ---- */

typedef int (*attach_fn)(struct idev *idev, uint32_t pasid, struct hwpt *hwpt,
			 struct hwpt **old);

static int do_attach(struct idev *idev, uint32_t pasid, struct hwpt *hwpt,
		     struct hwpt **old)
{
	int rc;

	*old = NULL;
	if (pasid)
		return pasid_refusal(hwpt);
	if (idev->hwpt)
		return -EBUSY;
	rc = reserve(idev, hwpt->ioas);
	if (rc)
		return rc;
	rc = domain_accepts(idev, hwpt);
	if (rc) {
		unreserve(idev, hwpt->ioas);
		return rc;
	}
	idev->hwpt = hwpt;
	hwpt->obj.users++;
	return 0;
}

static int do_replace(struct idev *idev, uint32_t pasid, struct hwpt *hwpt,
		      struct hwpt **old)
{
	struct hwpt *cur = idev->hwpt;
	bool moves;
	int rc;

	*old = NULL;
	if (pasid || !cur)
		return -EINVAL;
	if (hwpt == cur)
		return 0;
	moves = hwpt->ioas != cur->ioas;
	if (moves) {
		rc = reserve(idev, hwpt->ioas);
		if (rc)
			return rc;
	}
	rc = domain_accepts(idev, hwpt);
	if (rc) {
		if (moves)
			unreserve(idev, hwpt->ioas);
		return rc;
	}
	if (moves)
		unreserve(idev, cur->ioas);
	idev->hwpt = hwpt;
	hwpt->obj.users++;
	*old = cur;
	return 0;
}

/* A new automatic domain for the device. */
static int auto_new(struct idev *idev, uint32_t pasid, struct ioas *ioas, attach_fn fn,
		    struct hwpt **out, struct hwpt **old)
{
	const struct iommu_model *m = idev_model(idev);
	struct hwpt *hwpt;
	int rc;

	if (!m)
		return -ENODEV;
	/* An attach reserves before the domain is filled, as the kernel's
	 * immediate attach does; a replace fills first. */
	if (fn == do_attach) {
		if (pasid)
			return -EINVAL;
		if (idev->hwpt)
			return -EBUSY;
		rc = reserve(idev, ioas);
		if (rc)
			return rc;
	}
	rc = hwpt_paging_alloc(idev->ctx, ioas, m, 0, &hwpt);
	if (rc) {
		if (fn == do_attach)
			unreserve(idev, ioas);
		return rc;
	}
	hwpt->auto_domain = true;
	if (fn == do_attach) {
		idev->hwpt = hwpt;
		hwpt->obj.users++;
		*old = NULL;
	} else {
		rc = do_replace(idev, pasid, hwpt, old);
		if (rc) {
			hwpt_paging_abort(idev->ctx, hwpt);
			return rc;
		}
	}
	obj_finalize(idev->ctx, &hwpt->obj);
	*out = hwpt;
	return 0;
}

struct auto_search {
	struct idev *idev;
	uint32_t pasid;
	struct ioas *ioas;
	attach_fn fn;
	struct hwpt *found;
	struct hwpt *old;
	int rc;
};

static void try_auto(void *arg, struct obj *obj)
{
	struct auto_search *s = arg;
	struct hwpt *hwpt = (struct hwpt *)obj;
	int rc;

	if (s->found || s->rc || obj->type != OBJ_HWPT_PAGING || hwpt->ioas != s->ioas ||
	    !hwpt->auto_domain)
		return;
	rc = s->fn(s->idev, s->pasid, hwpt, &s->old);
	/* EINVAL: this domain does not suit the device; try the next. */
	if (rc == -EINVAL)
		return;
	if (rc)
		s->rc = rc;
	else
		s->found = hwpt;
}

static int auto_domain(struct idev *idev, uint32_t pasid, struct ioas *ioas,
		       uint32_t *pt_id, attach_fn fn, struct hwpt **old)
{
	struct auto_search s = { .idev = idev, .pasid = pasid, .ioas = ioas, .fn = fn };
	int rc;

	obj_for_each(idev->ctx, try_auto, &s);
	if (s.rc)
		return s.rc;
	if (!s.found) {
		rc = auto_new(idev, pasid, ioas, fn, &s.found, &s.old);
		if (rc)
			return rc;
	}
	*pt_id = s.found->obj.id;
	*old = s.old;
	return 0;
}

static int change_pt(struct idev *idev, uint32_t pasid, uint32_t *pt_id, attach_fn fn)
{
	struct obj *pt = obj_find(idev->ctx, *pt_id, OBJ_ANY);
	struct hwpt *old = NULL;
	int rc;

	if (!pt)
		return -ENOENT;
	if (pt->type == OBJ_HWPT_PAGING)
		rc = fn(idev, pasid, (struct hwpt *)pt, &old);
	else if (pt->type == OBJ_IOAS)
		rc = auto_domain(idev, pasid, (struct ioas *)pt, pt_id, fn, &old);
	else
		rc = -EINVAL;
	if (!rc && old)
		hwpt_put(idev->ctx, old);
	return rc;
}

int idev_attach(struct idev *idev, uint32_t pasid, uint32_t *pt_id)
{
	int rc = change_pt(idev, pasid, pt_id, do_attach);

	/* Paired with idev_detach: a device with an attachment stays. */
	if (!rc)
		idev->obj.users++;
	return rc;
}

int idev_replace(struct idev *idev, uint32_t pasid, uint32_t *pt_id)
{
	return change_pt(idev, pasid, pt_id, do_replace);
}

void idev_detach(struct idev *idev, uint32_t pasid)
{
	struct hwpt *hwpt = idev->hwpt;

	if (pasid || !hwpt)
		return;
	idev->hwpt = NULL;
	if (!noiommu(idev))
		unreserve(idev, hwpt->ioas);
	hwpt_put(idev->ctx, hwpt);
	idev->obj.users--;
}

/* ---- IOMMU_GET_HW_INFO ---- */

static int clear_user(struct iemu_proc *p, uint64_t addr, uint64_t len)
{
	static const uint8_t zero[4096];

	while (len) {
		uint64_t n = len < sizeof(zero) ? len : sizeof(zero);

		if (proc_write(p, addr, zero, n))
			return -EFAULT;
		addr += n;
		len -= n;
	}
	return 0;
}

static int hw_info_data(struct ucmd *u, const struct iommu_model *m)
{
	struct iommu_hw_info *cmd = u->cmd;
	uint32_t copy = cmd->data_len < m->hw_info_len ? cmd->data_len : m->hw_info_len;

	if (copy && proc_write(u->caller, cmd->data_uptr, m->hw_info, copy))
		return -EFAULT;
	/* The rest of a bigger buffer is zeroed. */
	if (copy < cmd->data_len &&
	    clear_user(u->caller, cmd->data_uptr + copy, cmd->data_len - copy))
		return -EFAULT;
	cmd->data_len = m->hw_info_len;
	return 0;
}

int get_hw_info_ioctl(struct ucmd *u)
{
	struct iommu_hw_info *cmd = u->cmd;
	/* Choosing the type (FLAG_INPUT_TYPE) came with Linux 6.17. */
	uint32_t supported = emu_kernel_at_least(u->ctx->emu, IEMU_KVER(6, 17)) ?
				     IOMMU_HW_INFO_FLAG_INPUT_TYPE : 0;
	const struct iommu_model *m;
	struct idev *idev;
	int rc;

	if (cmd->flags & ~supported)
		return -EOPNOTSUPP;
	if (cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		cmd->in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	idev = idev_find(u->ctx, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	if (noiommu(idev))
		return -EOPNOTSUPP;
	m = idev_model(idev);
	if (cmd->in_data_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    cmd->in_data_type != m->hw_info_type)
		return -EOPNOTSUPP;
	rc = hw_info_data(u, m);
	if (rc)
		return rc;
	cmd->out_data_type = m->hw_info_type;
	cmd->out_capabilities = 0;
	if (m->geo.dirty_supported)
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	/* Conventional PCI functions have no ATS; reported since 6.18. */
	if (emu_kernel_at_least(u->ctx->emu, IEMU_KVER(6, 18)))
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	cmd->out_max_pasid_log2 = 0;
	return ucmd_respond(u, sizeof(*cmd));
}

/* ---- IOMMU_IOAS_NOIOMMU_GET_PA ---- */

/* Whether the area's pages are stored in a noiommu software page table:
 * the first domain of the IOAS. */
static struct pt *swpt_storage(struct ioas *ioas)
{
	struct pt *pt;

	if (!ioas->iopt.ndomains)
		return NULL;
	pt = ioas->iopt.domains[0];
	return hwpt_of_pt(pt)->model == &swpt_model ? pt : NULL;
}

int noiommu_get_pa_ioctl(struct ucmd *u)
{
	struct iommu_ioas_noiommu_get_pa *cmd = u->cmd;
	struct pt_xlate t;
	struct ioas *ioas;
	struct area *a;
	struct pt *pt;
	uint64_t left;
	int rc;

	if (!proc_capable(u->caller, IEMU_CAP_SYS_RAWIO))
		return -EPERM;
	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (cmd->iova == UINT64_MAX)
		return -EOVERFLOW;
	ioas = ioas_find(u->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	a = iopt_area_at(&ioas->iopt, cmd->iova);
	if (!a)
		return -ENOENT;
	pt = swpt_storage(ioas);
	if (!pt)
		return -EOPNOTSUPP;
	pt_read_lock(pt);
	rc = pt_translate(pt, cmd->iova, &t);
	pt_read_unlock(pt);
	if (rc)
		return -EOPNOTSUPP;
	cmd->out_phys = t.pa;
	/* Fake physical memory of one page set is contiguous: the whole rest
	 * of the area, capped at the length asked for. */
	left = a->last - cmd->iova + 1;
	cmd->length = left < cmd->length ? left : cmd->length;
	return ucmd_respond(u, sizeof(*cmd));
}
