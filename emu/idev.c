// SPDX-License-Identifier: MIT
/*
 * DEVICE objects (see idev.h), after the kernel's iommufd/device.c: the
 * attach, replace and detach paths of each PASID with their reference
 * counting, PASID compatibility rules and reserved-region bookkeeping, and
 * the automatic domain search.  noiommu devices follow Linux 7.3: attaching
 * never touches an IOMMU (so any HWPT takes them) and reserves nothing.
 */
#include "idev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "device.h"
#include "emu.h"
#include "eventq.h"
#include "hwpt.h"
#include "ioas.h"
#include "iommu_model.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "proc.h"
#include "ucmd.h"
#include "viommu.h"

struct idev *idev_find(struct iemu_ctx *ctx, uint32_t id)
{
	return (struct idev *)obj_find(ctx, id, OBJ_DEVICE);
}

bool idev_noiommu(const struct idev *idev)
{
	return idev->dev && device_is_noiommu(idev->dev);
}

static const struct iommu_model *device_model(const struct iemu_device *d)
{
	switch (d->noiommu) {
	case IEMU_NOIOMMU_OFF:
		return &vtd_model;
	case IEMU_NOIOMMU_SWPT:
		return &swpt_model;
	default:
		return NULL;
	}
}

static int bind(struct iemu_ctx *ctx, struct idev **out)
{
	struct obj *obj;
	int rc = obj_alloc(ctx, sizeof(struct idev), OBJ_DEVICE, &obj);

	if (rc)
		return rc;
	*out = (struct idev *)obj;
	(*out)->ctx = ctx;
	obj_finalize(ctx, obj);
	/* The device holds it until unbind: IOMMU_DESTROY gives EBUSY. */
	obj->users++;
	return 0;
}

int idev_bind(struct iemu_ctx *ctx, struct iemu_device *dev, struct idev **out)
{
	int rc = bind(ctx, out);

	if (rc)
		return rc;
	(*out)->dev = dev;
	(*out)->model = device_model(dev);
	return 0;
}

int idev_bind_mock(struct iemu_ctx *ctx, struct mock_dev *mock, uint32_t max_pasids,
		   struct idev **out)
{
	int rc = bind(ctx, out);

	if (rc)
		return rc;
	(*out)->mock = mock;
	(*out)->model = &mock_model;
	(*out)->max_pasids = max_pasids;
	return 0;
}

void idev_unbind(struct idev *idev)
{
	/* The vDEVICE goes first, leaving a tombstone of its id. */
	vdevice_remove_for(idev);
	while (idev->pasids)
		idev_detach(idev, idev->pasids->pasid);
	idev_detach(idev, 0);
	idev->obj.users--;
	obj_remove(idev->ctx, idev->obj.id);
}

void idev_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	(void)ctx;
	(void)obj;
}

/* ---- attachment records ---- */

struct hwpt *idev_attached(const struct idev *idev, uint32_t pasid)
{
	const struct idev_attach *a;

	if (!pasid)
		return idev->hwpt;
	for (a = idev->pasids; a; a = a->next)
		if (a->pasid == pasid)
			return a->hwpt;
	return NULL;
}

static int record(struct idev *idev, uint32_t pasid, struct hwpt *hwpt)
{
	struct idev_attach *a;

	if (!pasid) {
		idev->hwpt = hwpt;
		return 0;
	}
	for (a = idev->pasids; a; a = a->next) {
		if (a->pasid == pasid) {
			a->hwpt = hwpt;
			return 0;
		}
	}
	a = malloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct idev_attach){ .pasid = pasid, .hwpt = hwpt, .next = idev->pasids };
	idev->pasids = a;
	return 0;
}

static void forget(struct idev *idev, uint32_t pasid)
{
	struct idev_attach **pp, *a;

	if (!pasid) {
		idev->hwpt = NULL;
		return;
	}
	for (pp = &idev->pasids; (a = *pp); pp = &a->next) {
		if (a->pasid == pasid) {
			*pp = a->next;
			free(a);
			return;
		}
	}
}

/* ---- reserved regions ---- */

static int reserve(struct idev *idev, struct ioas *ioas)
{
	const struct iommu_model *m = idev->model;

	if (!m->resv_last)
		return 0;
	return iopt_reserve(&ioas->iopt, m->resv_start, m->resv_last, idev);
}

static void unreserve(struct idev *idev, struct ioas *ioas)
{
	iopt_unreserve(&ioas->iopt, idev);
}

/* Whether an attachment of pasid to hwpt reserves in its IOAS. */
static bool reserves(const struct idev *idev, uint32_t pasid, const struct hwpt *hwpt)
{
	return hwpt->obj.type == OBJ_HWPT_PAGING && !pasid && !idev_noiommu(idev);
}

/* ---- the IOMMU side: compatibility and the driver's attach ---- */

/* A PASID-compatible domain is needed on every PASID once the RID's is, and
 * on the RID once any PASID is attached. */
static int pasid_compat(const struct idev *idev, uint32_t pasid, const struct hwpt *hwpt)
{
	if (!pasid)
		return !hwpt->pasid_compat && idev->pasids ? -EINVAL : 0;
	if (!hwpt->pasid_compat)
		return -EINVAL;
	if (idev->hwpt && !idev->hwpt->pasid_compat)
		return -EINVAL;
	return 0;
}

/* The IOMMU core and driver: a domain of another IOMMU is refused, and a
 * PASID the device cannot issue. */
static int driver_attach(struct idev *idev, uint32_t pasid, struct hwpt *hwpt,
			 struct hwpt *old)
{
	const struct iommu_model *m = idev->model;

	if (hwpt && hwpt->model && hwpt->model != m)
		return -EINVAL;
	if (pasid && idev->max_pasids && pasid >= idev->max_pasids)
		return -EINVAL;
	if (m->drv && m->drv->attach)
		return m->drv->attach(idev, pasid, hwpt, old);
	/* Models without PASID support: the functions have no PASID capability. */
	return pasid && hwpt ? -EINVAL : 0;
}

/* iommufd_hwpt_attach_device / _replace_device. */
static int hwpt_takes(struct idev *idev, uint32_t pasid, struct hwpt *hwpt, struct hwpt *old)
{
	int rc = pasid_compat(idev, pasid, hwpt);

	if (rc || idev_noiommu(idev))
		return rc;
	return driver_attach(idev, pasid, hwpt, old);
}

/* Faults still queued for what the device had attached there are answered
 * INVALID when it leaves. */
static void leave(struct idev *idev, uint32_t pasid, struct hwpt *old)
{
	if (old->fault)
		fault_auto_respond(old->fault, idev, pasid);
}

/* ---- attach, replace, detach ---- */

typedef int (*attach_fn)(struct idev *idev, uint32_t pasid, struct hwpt *hwpt,
			 struct hwpt **old);

static int do_attach(struct idev *idev, uint32_t pasid, struct hwpt *hwpt,
		     struct hwpt **old)
{
	struct ioas *ioas = hwpt_paging_of(hwpt)->ioas;
	bool resv = reserves(idev, pasid, hwpt);
	int rc;

	*old = NULL;
	if (idev_attached(idev, pasid))
		return -EBUSY;
	if (resv) {
		rc = reserve(idev, ioas);
		if (rc)
			return rc;
	}
	rc = hwpt_takes(idev, pasid, hwpt, NULL);
	if (!rc)
		rc = record(idev, pasid, hwpt);
	if (rc) {
		if (resv)
			unreserve(idev, ioas);
		return rc;
	}
	hwpt->obj.users++;
	return 0;
}

static int do_replace(struct idev *idev, uint32_t pasid, struct hwpt *hwpt,
		      struct hwpt **old)
{
	struct hwpt *cur = idev_attached(idev, pasid);
	struct ioas *cur_ioas, *new_ioas;
	bool moves;
	int rc;

	*old = NULL;
	if (!cur)
		return -EINVAL;
	if (hwpt == cur)
		return 0;
	cur_ioas = reserves(idev, pasid, cur) ? cur->ioas : NULL;
	new_ioas = reserves(idev, pasid, hwpt) ? hwpt->ioas : NULL;
	moves = new_ioas && new_ioas != cur_ioas;
	if (moves) {
		rc = reserve(idev, new_ioas);
		if (rc)
			return rc;
	}
	rc = hwpt_takes(idev, pasid, hwpt, cur);
	if (rc) {
		if (moves)
			unreserve(idev, new_ioas);
		return rc;
	}
	leave(idev, pasid, cur);
	if (cur_ioas && cur_ioas != new_ioas)
		unreserve(idev, cur_ioas);
	record(idev, pasid, hwpt);
	hwpt->obj.users++;
	*old = cur;
	return 0;
}

/* A new automatic domain for the device. */
static int auto_new(struct idev *idev, uint32_t pasid, struct ioas *ioas, attach_fn fn,
		    struct hwpt **out, struct hwpt **old)
{
	struct hwpt *hwpt;
	int rc;

	if (!idev->model)
		return -ENODEV;
	rc = hwpt_paging_alloc(idev->ctx, ioas, idev, 0, NULL, &hwpt);
	if (rc)
		return rc;
	rc = fn(idev, pasid, hwpt, old);
	if (rc) {
		hwpt_abort(idev->ctx, hwpt);
		return rc;
	}
	hwpt->auto_domain = true;
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
	if (pt->type == OBJ_HWPT_PAGING || pt->type == OBJ_HWPT_NESTED)
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
	struct hwpt *hwpt = idev_attached(idev, pasid);

	if (!hwpt)
		return;
	if (!idev_noiommu(idev))
		driver_attach(idev, pasid, NULL, hwpt);
	leave(idev, pasid, hwpt);
	forget(idev, pasid);
	if (reserves(idev, pasid, hwpt))
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

/* The model's information: its driver's, or the fixed one. */
static int model_hw_info(const struct idev *idev, uint32_t *type, uint8_t *buf,
			 uint32_t *len)
{
	const struct iommu_model *m = idev->model;

	if (m->drv && m->drv->hw_info)
		return m->drv->hw_info(idev, type, buf, len);
	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT && *type != m->hw_info_type)
		return -EOPNOTSUPP;
	*type = m->hw_info_type;
	*len = m->hw_info_len < *len ? m->hw_info_len : *len;
	memcpy(buf, m->hw_info, *len);
	return 0;
}

static int hw_info_data(struct ucmd *u, const uint8_t *data, uint32_t len)
{
	struct iommu_hw_info *cmd = u->cmd;
	uint32_t copy = cmd->data_len < len ? cmd->data_len : len;

	if (copy && proc_write(u->caller, cmd->data_uptr, data, copy))
		return -EFAULT;
	/* The rest of a bigger buffer is zeroed. */
	if (copy < cmd->data_len &&
	    clear_user(u->caller, cmd->data_uptr + copy, cmd->data_len - copy))
		return -EFAULT;
	cmd->data_len = len;
	return 0;
}

static uint8_t ilog2_u32(uint32_t v)
{
	return (uint8_t)(31 - __builtin_clz(v));
}

int get_hw_info_ioctl(struct ucmd *u)
{
	struct iommu_hw_info *cmd = u->cmd;
	/* Choosing the type (FLAG_INPUT_TYPE) came with Linux 6.17. */
	uint32_t supported = emu_kernel_at_least(u->ctx->emu, IEMU_KVER(6, 17)) ?
				     IOMMU_HW_INFO_FLAG_INPUT_TYPE : 0;
	uint8_t data[256];
	uint32_t type, len = sizeof(data);
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
	if (idev_noiommu(idev))
		return -EOPNOTSUPP;
	type = cmd->in_data_type;
	rc = model_hw_info(idev, &type, data, &len);
	if (rc)
		return rc;
	rc = hw_info_data(u, data, len);
	if (rc)
		return rc;
	cmd->out_data_type = type;
	cmd->out_capabilities = 0;
	if (model_dirty_capable(idev->model, idev))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	/* Conventional PCI functions have no ATS; reported since 6.18. */
	if (idev->dev && emu_kernel_at_least(u->ctx->emu, IEMU_KVER(6, 18)))
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	cmd->out_max_pasid_log2 = idev->max_pasids ? ilog2_u32(idev->max_pasids) : 0;
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
