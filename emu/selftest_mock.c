// SPDX-License-Identifier: MIT
/*
 * The selftest's mock IOMMU (the kernel's mock_ops and domain ops in
 * selftest.c, as Linux 7.3 has them): 2 KiB pages over [16 MiB, 2 GiB) for
 * the default page table, dirty tracking unless the device says
 * MOCK_FLAGS_DEVICE_NO_DIRTY, PASIDs of 20 bits with
 * MOCK_FLAGS_DEVICE_PASID, nested domains with four IOTLB entries, a vIOMMU
 * type with a two-page mmap region and two HW queues, and the rule that
 * every second attach of PASID 1024 fails with ENOMEM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "emu.h"
#include "hwpt.h"
#include "idev.h"
#include "immap.h"
#include "iommu_model.h"
#include "pt.h"
#include "selftest.h"
#include "udata.h"
#include "viommu.h"

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

struct mock_nested {
	uint32_t iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

struct mock_viommu {
	uint32_t *page;          /* two pages, mmap-able */
	uint64_t mmap_offset;
	struct hw_queue *queues[IOMMU_TEST_HW_QUEUE_MAX];
};

struct mock_queue {
	uint32_t index;
	struct hw_queue *prev;
};

static struct mock_dev *mock_of(const struct idev *idev)
{
	return idev->mock;
}

static bool mock_dirty_capable(const struct idev *idev)
{
	return !(mock_of(idev)->flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
}

static int mock_hw_info(const struct idev *idev, uint32_t *type, void *buf, uint32_t *len)
{
	struct iommu_test_hw_info info = { .test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL };

	(void)idev;
	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT && *type != IOMMU_HW_INFO_TYPE_SELFTEST)
		return -EOPNOTSUPP;
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	*len = sizeof(info);
	memcpy(buf, &info, sizeof(info));
	return 0;
}

/* ---- paging domains ---- */

static int pagetable_geometry(uint32_t type, struct hwpt_geometry *geo)
{
	switch (type) {
	case MOCK_IOMMUPT_DEFAULT:
		geo->aperture_start = MOCK_APERTURE_START;
		geo->aperture_last = MOCK_APERTURE_LAST;
		geo->pgsize_bitmap = ~(uint64_t)(MOCK_PAGE_SIZE - 1);
		return 0;
	case MOCK_IOMMUPT_HUGE:
		/* Userspace must only map huge pages; PAGE_SIZE is in the
		 * bitmap for iommufd to accept the domain.  The aperture is the
		 * page table's own, three levels of 512 entries over 2 KiB. */
		geo->aperture_start = 0;
		geo->aperture_last = (1ULL << (11 + 3 * 9)) - 1;
		geo->pgsize_bitmap = MOCK_HUGE_PAGE_SIZE | PAGE_SIZE;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int mock_alloc_paging(const struct idev *idev, uint32_t flags, const struct udata *ud,
			     struct hwpt_geometry *geo)
{
	const uint32_t valid = IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_NEST_PARENT |
			       IOMMU_HWPT_ALLOC_PASID;
	bool dirty = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	struct iommu_hwpt_selftest cfg = { 0 };
	int rc;

	if ((flags & ~valid) || (dirty && !mock_dirty_capable(idev)))
		return -EOPNOTSUPP;
	if (ud && ud->type != IOMMU_HWPT_DATA_SELFTEST && ud->type != IOMMU_HWPT_DATA_NONE)
		return -EOPNOTSUPP;
	if (ud) {
		rc = udata_copy_in(&cfg, ud, IOMMU_HWPT_DATA_SELFTEST, sizeof(cfg),
				   offsetofend(struct iommu_hwpt_selftest, iotlb));
		if (rc)
			return rc;
	}
	rc = pagetable_geometry(cfg.pagetable_type, geo);
	geo->dirty_supported = dirty;
	return rc;
}

/* ---- nested domains ---- */

static int mock_alloc_nested(const struct idev *idev, struct hwpt *parent,
			     struct viommu *viommu, uint32_t flags, const struct udata *ud,
			     struct hwpt *hwpt)
{
	struct iommu_hwpt_selftest cfg;
	struct mock_nested *n;
	int rc;

	(void)idev;
	(void)viommu;
	if (flags & ~IOMMU_HWPT_ALLOC_PASID)
		return -EOPNOTSUPP;
	if (parent->obj.type != OBJ_HWPT_PAGING)
		return -EINVAL;
	if (ud->type != IOMMU_HWPT_DATA_SELFTEST)
		return -EOPNOTSUPP;
	rc = udata_copy_in(&cfg, ud, IOMMU_HWPT_DATA_SELFTEST, sizeof(cfg),
			   offsetofend(struct iommu_hwpt_selftest, iotlb));
	if (rc)
		return rc;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (int i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		n->iotlb[i] = cfg.iotlb;
	hwpt->drv = n;
	return 0;
}

static void mock_domain_free(struct hwpt *hwpt)
{
	free(hwpt->drv);
}

uint32_t *mock_nested_iotlb(struct hwpt *hwpt)
{
	return ((struct mock_nested *)hwpt->drv)->iotlb;
}

static int mock_invalidate_nested(struct hwpt *hwpt, struct udata_array *a)
{
	uint32_t *iotlb = mock_nested_iotlb(hwpt), done = 0;
	int rc = 0;

	if (a->type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		a->entry_num = 0;
		return -EINVAL;
	}
	for (uint32_t i = 0; i < a->entry_num; i++) {
		struct iommu_hwpt_invalidate_selftest inv;

		rc = udata_array_copy_one(&inv, a, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, i,
					  sizeof(inv),
					  offsetofend(struct iommu_hwpt_invalidate_selftest,
						      iotlb_id));
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			for (int j = 0; j < MOCK_NESTED_DOMAIN_IOTLB_NUM; j++)
				iotlb[j] = 0;
		} else {
			iotlb[inv.iotlb_id] = 0;
		}
		done++;
	}
	a->entry_num = done;
	return rc;
}

/* ---- attach ---- */

/* attach_dev: a dirty-tracking domain refuses a device without dirty
 * tracking, and a nested domain of a vIOMMU needs the device's vDEVICE. */
static int attach_rid(struct idev *idev, struct hwpt *hwpt)
{
	struct mock_dev *md = mock_of(idev);
	struct viommu *v = NULL;
	uint64_t vdev_id = 0;

	if (hwpt && hwpt->obj.type == OBJ_HWPT_PAGING && hwpt->pt.dirty_supported &&
	    (md->flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EINVAL;
	if (hwpt && hwpt->obj.type == OBJ_HWPT_NESTED && hwpt->viommu) {
		struct vdevice *vd = viommu_vdevice_of(hwpt->viommu, idev);

		if (!vd)
			return -ENOENT;
		v = hwpt->viommu;
		vdev_id = vd->virt_id;
	}
	md->viommu = v;
	md->vdev_id = vdev_id;
	return 0;
}

/* set_dev_pasid: the first attach of PASID 1024 arms a failure of the
 * next, so that the core's rollback can be tested; blocking disarms it. */
static int attach_pasid(struct idev *idev, uint32_t pasid, struct hwpt *hwpt)
{
	struct mock_dev *md = mock_of(idev);

	if (pasid != IOMMU_TEST_PASID_RESERVED)
		return 0;
	if (!hwpt) {
		md->pasid_fake_error = false;
	} else if (md->pasid_fake_error) {
		md->pasid_fake_error = false;
		return -ENOMEM;
	} else {
		md->pasid_fake_error = true;
	}
	return 0;
}

static int mock_attach(struct idev *idev, uint32_t pasid, struct hwpt *hwpt, struct hwpt *old)
{
	(void)old;
	return pasid ? attach_pasid(idev, pasid, hwpt) : attach_rid(idev, hwpt);
}

/* ---- vIOMMU ---- */

static bool mock_viommu_type(uint32_t type)
{
	return type == IOMMU_VIOMMU_TYPE_SELFTEST;
}

static void free_viommu(struct viommu *v)
{
	struct mock_viommu *mv = v->drv;

	if (mv->mmap_offset)
		immap_destroy(v->ctx, mv->mmap_offset);
	free(mv->page);
	free(mv);
	v->drv = NULL;
}

/* With data, a loopback: in_data comes back in out_data and in the first
 * word of a two-page region offered for mmap. */
static int loopback(struct viommu *v, struct mock_viommu *mv, const struct udata *ud)
{
	struct iommu_viommu_selftest data;
	int rc = udata_copy_in(&data, ud, IOMMU_VIOMMU_TYPE_SELFTEST, sizeof(data),
			       offsetofend(struct iommu_viommu_selftest, out_data));

	if (rc)
		return rc;
	mv->page = aligned_alloc(PAGE_SIZE, 2 * PAGE_SIZE);
	if (!mv->page)
		return -ENOMEM;
	memset(mv->page, 0, 2 * PAGE_SIZE);
	rc = immap_alloc(v->ctx, &v->obj, mv->page, 2 * PAGE_SIZE, &mv->mmap_offset);
	if (rc)
		return rc;
	*mv->page = data.in_data;
	data.out_data = data.in_data;
	data.out_mmap_length = 2 * PAGE_SIZE;
	data.out_mmap_offset = mv->mmap_offset;
	return udata_copy_out(ud, &data, IOMMU_VIOMMU_TYPE_SELFTEST, sizeof(data),
			      offsetofend(struct iommu_viommu_selftest, out_data));
}

static int mock_viommu_init(struct viommu *v, const struct udata *ud)
{
	struct mock_viommu *mv = calloc(1, sizeof(*mv));
	int rc = 0;

	if (!mv)
		return -ENOMEM;
	v->drv = mv;
	if (ud)
		rc = loopback(v, mv, ud);
	if (rc)
		free_viommu(v);
	return rc;
}

static void mock_viommu_destroy(struct viommu *v)
{
	free_viommu(v);
}

/* Each entry clears one (or every) cache entry of the device behind a
 * vDEVICE id; the array is copied whole first. */
static int apply_cache_invalidations(struct viommu *v, const struct iommu_viommu_invalidate_selftest *cmds,
				     uint32_t n, uint32_t *done)
{
	for (*done = 0; *done < n; (*done)++) {
		const struct iommu_viommu_invalidate_selftest *c = &cmds[*done];
		struct idev *idev;
		uint32_t *cache;

		if (c->flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL)
			return -EOPNOTSUPP;
		if (c->cache_id > MOCK_DEV_CACHE_ID_MAX)
			return -EINVAL;
		idev = viommu_find_dev(v, c->vdev_id);
		if (!idev)
			return -EINVAL;
		cache = mock_of(idev)->cache;
		if (c->flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			for (int i = 0; i < MOCK_DEV_CACHE_NUM; i++)
				cache[i] = 0;
		} else {
			cache[c->cache_id] = 0;
		}
	}
	return 0;
}

static int mock_viommu_invalidate(struct viommu *v, struct udata_array *a)
{
	struct iommu_viommu_invalidate_selftest *cmds;
	uint32_t done = 0;
	int rc;

	/* A zero-length array checks the type. */
	if (!a->entry_num && a->type == IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST)
		return 0;
	cmds = calloc(a->entry_num ? a->entry_num : 1, sizeof(*cmds));
	if (!cmds)
		return -ENOMEM;
	rc = udata_array_copy_all(cmds, sizeof(*cmds), a, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST);
	if (!rc)
		rc = apply_cache_invalidations(v, cmds, a->entry_num, &done);
	free(cmds);
	a->entry_num = done;
	return rc;
}

/* ---- HW queues: each index needs the one below it ---- */

static bool mock_hw_queue_type(uint32_t type)
{
	return type == IOMMU_HW_QUEUE_TYPE_SELFTEST;
}

static int mock_hw_queue_init(struct hw_queue *q, uint32_t index, uint64_t base_pa)
{
	struct mock_viommu *mv = q->viommu->drv;
	struct pt *s2 = &q->viommu->hwpt->pt;
	struct hw_queue *prev = NULL;
	struct mock_queue *mq;
	struct pt_xlate t;
	int rc;

	if (index >= IOMMU_TEST_HW_QUEUE_MAX)
		return -EINVAL;
	if (mv->queues[index])
		return -EEXIST;
	if (index) {
		prev = mv->queues[index - 1];
		if (!prev)
			return -EIO;
	}
	/* The core's physical address must be what the parent translates to. */
	pt_read_lock(s2);
	rc = pt_translate(s2, q->base_addr, &t);
	pt_read_unlock(s2);
	if (rc || t.pa != base_pa)
		return -EFAULT;
	mq = malloc(sizeof(*mq));
	if (!mq)
		return -ENOMEM;
	*mq = (struct mock_queue){ .index = index, .prev = prev };
	if (prev)
		hw_queue_depend(q, prev);
	q->drv = mq;
	mv->queues[index] = q;
	return 0;
}

static void mock_hw_queue_destroy(struct hw_queue *q)
{
	struct mock_viommu *mv = q->viommu->drv;
	struct mock_queue *mq = q->drv;

	mv->queues[mq->index] = NULL;
	if (mq->prev)
		hw_queue_undepend(q, mq->prev);
	free(mq);
}

static const struct iommu_driver mock_driver = {
	.dirty_capable = mock_dirty_capable,
	.hw_info = mock_hw_info,
	.alloc_paging = mock_alloc_paging,
	.alloc_nested = mock_alloc_nested,
	.domain_free = mock_domain_free,
	.attach = mock_attach,
	.invalidate_nested = mock_invalidate_nested,
	.viommu_type = mock_viommu_type,
	.viommu_init = mock_viommu_init,
	.viommu_destroy = mock_viommu_destroy,
	.viommu_invalidate = mock_viommu_invalidate,
	.hw_queue_type = mock_hw_queue_type,
	.hw_queue_init = mock_hw_queue_init,
	.hw_queue_destroy = mock_hw_queue_destroy,
};

const struct iommu_model mock_model = {
	.name = "iommufd-selftest-mock",
	.geo = {
		.aperture_start = MOCK_APERTURE_START,
		.aperture_last = MOCK_APERTURE_LAST,
		.pgsize_bitmap = ~(uint64_t)(MOCK_PAGE_SIZE - 1),
		.dirty_supported = true,
	},
	.hw_info_type = IOMMU_HW_INFO_TYPE_SELFTEST,
	.nesting_op = true,
	.drv = &mock_driver,
};
