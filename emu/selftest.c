// SPDX-License-Identifier: MIT
/*
 * IOMMU_TEST_CMD (see selftest.h): one table row per op, each handler
 * after the kernel's selftest.c of Linux 7.3 (its checks, errnos and
 * write-backs).  The questions the kernel answers from struct page (is this
 * IOVA the page behind this VA, how many pins does a page have) are
 * answered from the emulator's page identities (pageid.h).
 */
#include "selftest.h"

#include <errno.h>
#include <stdlib.h>

#include "ctx.h"
#include "emu.h"
#include "eventq.h"
#include "hwpt.h"
#include "idev.h"
#include "ioas.h"
#include "iommu_model.h"
#include "pageid.h"
#include "physmem.h"
#include "pages.h"
#include "proc.h"
#include "pt.h"
#include "ucmd.h"
#include "viommu.h"

static struct iommu_test_cmd *cmd_of(struct ucmd *u)
{
	return u->cmd;
}

/* ---- mock devices ---- */

static struct selftest_obj *selftest_obj_find(struct iemu_ctx *ctx, uint32_t id)
{
	return (struct selftest_obj *)obj_find(ctx, id, OBJ_SELFTEST);
}

static void mock_unbind(struct selftest_obj *s)
{
	if (s->mock.idev)
		idev_unbind(s->mock.idev);
	s->mock.idev = NULL;
}

void selftest_obj_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	(void)ctx;
	mock_unbind((struct selftest_obj *)obj);
}

/* MOCK_DOMAIN and MOCK_DOMAIN_FLAGS: a mock device, bound and attached to
 * the IOAS or HWPT cmd->id. */
static int mock_domain(struct ucmd *u)
{
	const uint32_t valid = MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID;
	struct iommu_test_cmd *cmd = cmd_of(u);
	uint32_t flags = cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS ?
				 cmd->mock_domain_flags.dev_flags : 0;
	uint32_t pt_id = cmd->id;
	struct selftest_obj *s;
	struct obj *obj;
	int rc;

	rc = obj_alloc(u->ctx, sizeof(*s), OBJ_SELFTEST, &obj);
	if (rc)
		return rc;
	s = (struct selftest_obj *)obj;
	if (flags & ~valid) {
		obj_abort(u->ctx, obj);
		return -EINVAL;
	}
	s->mock.flags = flags;
	for (int i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		s->mock.cache[i] = IOMMU_TEST_DEV_CACHE_DEFAULT;
	rc = idev_bind_mock(u->ctx, &s->mock,
			    flags & MOCK_FLAGS_DEVICE_PASID ? 1u << MOCK_PASID_WIDTH : 0,
			    &s->mock.idev);
	if (rc) {
		obj_abort(u->ctx, obj);
		return rc;
	}
	rc = idev_attach(s->mock.idev, 0, &pt_id);
	if (!rc) {
		cmd->mock_domain.out_hwpt_id = pt_id;
		cmd->mock_domain.out_stdev_id = obj->id;
		cmd->mock_domain.out_idev_id = s->mock.idev->obj.id;
		rc = ucmd_respond(u, sizeof(*cmd));
	}
	if (rc) {
		mock_unbind(s);
		obj_abort(u->ctx, obj);
		return rc;
	}
	obj_finalize(u->ctx, obj);
	return 0;
}

static int mock_domain_replace(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	struct selftest_obj *s = selftest_obj_find(u->ctx, cmd->id);
	int rc;

	if (!s)
		return -ENOENT;
	rc = idev_replace(s->mock.idev, 0, &cmd->mock_domain_replace.pt_id);
	if (rc)
		return rc;
	return ucmd_respond(u, sizeof(*cmd));
}

/* ---- the IOAS and mock domains ---- */

static int add_reserved(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	uint64_t last;
	struct ioas *ioas;

	if (!cmd->add_reserved.length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->add_reserved.start, cmd->add_reserved.length - 1,
				   &last))
		return -EOVERFLOW;
	ioas = ioas_find(u->ctx, cmd->id);
	if (!ioas)
		return -ENOENT;
	return iopt_reserve(&ioas->iopt, cmd->add_reserved.start, last, NULL);
}

/* A paging HWPT of the mock IOMMU: -ENOENT (no such paging HWPT) or
 * -EINVAL (another IOMMU's). */
static int mock_paging(struct ucmd *u, uint32_t id, struct hwpt **out)
{
	struct hwpt *hwpt = hwpt_find(u->ctx, id);

	if (!hwpt)
		return -ENOENT;
	if (hwpt->model != &mock_model)
		return -EINVAL;
	*out = hwpt;
	return 0;
}

/* The page behind iova in the domain, and where in it: -ENOENT if none. */
static int domain_page(struct iemu *emu, struct pt *pt, uint64_t iova, struct pageid *id,
		       uint64_t *in_page)
{
	struct pt_xlate t;
	void *owner;
	uint64_t off;
	int rc;

	pt_read_lock(pt);
	rc = pt_translate(pt, iova, &t);
	pt_read_unlock(pt);
	if (rc || !physmem_resolve(&emu->phys, t.pa, &owner, &off))
		return -ENOENT;
	*in_page = off % PAGE_SIZE;
	return pageid_of_pages(owner, off, id) ? -ENOENT : 0;
}

/* MD_CHECK_MAP: every page the domain maps at iova is the page behind
 * uptr, at the same offset. */
static int check_map(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	uint64_t iova = cmd->check_map.iova, uptr = cmd->check_map.uptr;
	uint64_t length = cmd->check_map.length, end, step;
	struct hwpt *hwpt;
	int rc = mock_paging(u, cmd->id, &hwpt);

	if (rc)
		return rc;
	step = pt_min_page(&hwpt->pt);
	if (iova % step || length % step || uptr % step ||
	    __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	for (; length; length -= step, iova += step, uptr += step) {
		struct pageid want, got;
		uint64_t in_page;

		rc = pageid_of_user(u->caller, uptr, &want);
		if (rc)
			return rc;
		if (domain_page(u->ctx->emu, &hwpt->pt, iova, &got, &in_page) ||
		    !pageid_equal(&want, &got) || in_page != uptr % PAGE_SIZE)
			return -EINVAL;
	}
	return 0;
}

/* MD_CHECK_REFS: each page has refs pins. */
static int check_refs(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	uint64_t uptr = cmd->check_refs.uptr, length = cmd->check_refs.length, end;

	if (length % PAGE_SIZE || uptr % PAGE_SIZE ||
	    __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	for (; length; length -= PAGE_SIZE, uptr += PAGE_SIZE) {
		struct pageid id;
		int rc = pageid_of_user(u->caller, uptr, &id);

		if (rc)
			return rc;
		if (pageid_pins(u->ctx->emu, &id) != cmd->check_refs.refs)
			return -EIO;
	}
	return 0;
}

static int set_memory_limit(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);

	/* The kernel's batches need room for one element. */
	if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(uint32_t))
		return -EINVAL;
	/* It sizes the kernel's temporary batches, whose effect on what an
	 * ioctl does is nil: the emulator has none to size. */
	u->ctx->emu->selftest_memory_limit = cmd->memory_limit.limit;
	return 0;
}

/* The IO page holding iova.  The mock's huge page table maps 1 MiB leaves
 * where the IOVA block and its physical address are 1 MiB aligned and the
 * block lies in one mapping (the kernel's mock gets there with hugetlb
 * memory; a mapping's fake physical memory is always contiguous), and its
 * dirty bit then covers the whole leaf. */
static uint64_t mock_io_page(struct pt *pt, uint64_t iova)
{
	uint64_t block = iova & ~(uint64_t)(MOCK_HUGE_PAGE_SIZE - 1), size = PAGE_SIZE;
	struct pt_xlate at, start;

	/* Only the huge page table (MOCK_IOMMUPT_HUGE) has leaves above 4 KiB. */
	if (pt->pgsize_bitmap != (MOCK_HUGE_PAGE_SIZE | PAGE_SIZE))
		return PAGE_SIZE;
	pt_read_lock(pt);
	if (!pt_translate(pt, iova, &at) && !pt_translate(pt, block, &start) &&
	    !(start.pa & (MOCK_HUGE_PAGE_SIZE - 1)) && start.leaf_bytes >= MOCK_HUGE_PAGE_SIZE &&
	    start.pa + (iova - block) == at.pa)
		size = MOCK_HUGE_PAGE_SIZE;
	pt_read_unlock(pt);
	return size;
}

/* DIRTY: the IOMMU marks dirty what the user's bitmap sets. */
static int set_dirty(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	uint64_t ps = cmd->dirty.page_size, n, count = 0;
	struct hwpt *hwpt;
	uint8_t *bits;
	int rc;

	if (!ps || !cmd->dirty.length || cmd->dirty.iova % ps || cmd->dirty.length % ps ||
	    !cmd->dirty.uptr)
		return -EINVAL;
	n = cmd->dirty.length / ps;
	if (n > (16ULL << 20) * 8)
		return -EOVERFLOW;
	rc = mock_paging(u, cmd->id, &hwpt);
	if (rc)
		return rc;
	if (!hwpt->pt.dirty_tracking || !hwpt->pt.dirty_supported)
		return -EINVAL;
	bits = malloc((n + 7) / 8);
	if (!bits)
		return -ENOMEM;
	rc = copy_from_user(u->caller, bits, cmd->dirty.uptr, (n + 7) / 8);
	for (uint64_t i = 0; !rc && i < n; i++) {
		if (!(bits[i / 8] & (1u << (i % 8))))
			continue;
		uint64_t iova = cmd->dirty.iova + i * ps, io_page = mock_io_page(&hwpt->pt, iova);

		pt_mark_dirty(&hwpt->pt, iova & ~(io_page - 1), io_page);
		count++;
	}
	free(bits);
	if (rc)
		return rc;
	cmd->dirty.out_nr_dirty = count;
	return ucmd_respond(u, sizeof(*cmd));
}

/* MD_CHECK_IOTLB: an IOTLB entry of a mock nested domain. */
static int check_iotlb(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	struct hwpt *hwpt = (struct hwpt *)obj_find(u->ctx, cmd->id, OBJ_HWPT_NESTED);

	if (!hwpt)
		return -ENOENT;
	if (hwpt->model != &mock_model)
		return -EINVAL;
	if (cmd->check_iotlb.id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX ||
	    mock_nested_iotlb(hwpt)[cmd->check_iotlb.id] != cmd->check_iotlb.iotlb)
		return -EINVAL;
	return 0;
}

/* DEV_CHECK_CACHE: a cache entry of a mock device. */
static int check_dev_cache(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	struct idev *idev = idev_find(u->ctx, cmd->id);

	if (!idev)
		return -ENOENT;
	if (!idev->mock || cmd->check_dev_cache.id > MOCK_DEV_CACHE_ID_MAX ||
	    idev->mock->cache[cmd->check_dev_cache.id] != cmd->check_dev_cache.cache)
		return -EINVAL;
	return 0;
}

/* ---- faults and events ---- */

/* Where the IOMMU core delivers a page request: the PASID's attachment,
 * else (the mock keeps PASID tables in user hands) a nested domain at the
 * RID; only a domain with a fault queue takes it. */
static struct hwpt *fault_domain(const struct idev *idev, bool pasid_valid, uint32_t pasid)
{
	struct hwpt *hwpt = idev_attached(idev, pasid_valid ? pasid : 0);

	if (!hwpt && pasid_valid) {
		hwpt = idev_attached(idev, 0);
		if (hwpt && hwpt->obj.type != OBJ_HWPT_NESTED)
			hwpt = NULL;
	}
	return hwpt && hwpt->fault ? hwpt : NULL;
}

static int trigger_iopf(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	struct idev *idev = idev_find(u->ctx, cmd->trigger_iopf.dev_id);
	struct iopf f = {
		.flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE,
		.pasid = cmd->trigger_iopf.pasid,
		.grpid = cmd->trigger_iopf.grpid,
		.perm = cmd->trigger_iopf.perm,
		.addr = cmd->trigger_iopf.addr,
	};
	struct hwpt *hwpt;

	if (!idev)
		return -ENOENT;
	if (!idev->mock)
		return -EINVAL;
	if (f.pasid)
		f.flags |= IOMMU_PGFAULT_FLAGS_PASID_VALID;
	hwpt = fault_domain(idev, f.pasid, f.pasid);
	/* A fault nobody handles is answered by the core; the op succeeds. */
	if (hwpt)
		fault_report(hwpt->fault, idev,
			     idev_attached(idev, f.pasid) == hwpt ? f.pasid : 0, &f);
	return 0;
}

static int trigger_vevent(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	struct idev *idev = idev_find(u->ctx, cmd->trigger_vevent.dev_id);
	struct iommu_viommu_event_selftest ev;

	if (!idev)
		return -ENOENT;
	if (!idev->mock || !idev->mock->viommu || !idev->mock->vdev_id)
		return -ENOENT;
	ev.virt_id = (uint32_t)idev->mock->vdev_id;
	return veventq_report(idev->mock->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, &ev, sizeof(ev));
}

/* ---- PASIDs ---- */

static int pasid_attach(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	struct selftest_obj *s = selftest_obj_find(u->ctx, cmd->id);
	int rc;

	if (!s)
		return -ENOENT;
	rc = idev_attach(s->mock.idev, cmd->pasid_attach.pasid, &cmd->pasid_attach.pt_id);
	if (rc)
		return rc;
	rc = ucmd_respond(u, sizeof(*cmd));
	if (rc)
		idev_detach(s->mock.idev, cmd->pasid_attach.pasid);
	return rc;
}

static int pasid_replace(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	struct selftest_obj *s = selftest_obj_find(u->ctx, cmd->id);
	int rc;

	if (!s)
		return -ENOENT;
	rc = idev_replace(s->mock.idev, cmd->pasid_replace.pasid, &cmd->pasid_replace.pt_id);
	if (rc)
		return rc;
	return ucmd_respond(u, sizeof(*cmd));
}

static int pasid_detach(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	struct selftest_obj *s = selftest_obj_find(u->ctx, cmd->id);

	if (!s)
		return -ENOENT;
	idev_detach(s->mock.idev, cmd->pasid_detach.pasid);
	return 0;
}

/* PASID_CHECK_HWPT: what the PASID is attached to is hwpt_id (0: nothing). */
static int pasid_check(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = cmd_of(u);
	struct selftest_obj *s = selftest_obj_find(u->ctx, cmd->id);
	struct hwpt *attached;
	struct obj *obj;

	if (!s)
		return -ENOENT;
	attached = idev_attached(s->mock.idev, cmd->pasid_check.pasid);
	if (!cmd->pasid_check.hwpt_id)
		return attached ? -EINVAL : 0;
	obj = obj_find(u->ctx, cmd->pasid_check.hwpt_id, OBJ_ANY);
	if (!obj)
		return -ENOENT;
	if (obj->type != OBJ_HWPT_PAGING && obj->type != OBJ_HWPT_NESTED)
		return -EINVAL;
	return attached == (struct hwpt *)obj ? 0 : -EINVAL;
}

/* ---- dispatch ---- */

static int (*const ops[])(struct ucmd *u) = {
	[IOMMU_TEST_OP_ADD_RESERVED] = add_reserved,
	[IOMMU_TEST_OP_MOCK_DOMAIN] = mock_domain,
	[IOMMU_TEST_OP_MD_CHECK_MAP] = check_map,
	[IOMMU_TEST_OP_MD_CHECK_REFS] = check_refs,
	[IOMMU_TEST_OP_CREATE_ACCESS] = selftest_create_access,
	[IOMMU_TEST_OP_DESTROY_ACCESS_PAGES] = selftest_destroy_access_pages,
	[IOMMU_TEST_OP_ACCESS_PAGES] = selftest_access_pages,
	[IOMMU_TEST_OP_ACCESS_RW] = selftest_access_rw,
	[IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT] = set_memory_limit,
	[IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE] = mock_domain_replace,
	[IOMMU_TEST_OP_ACCESS_REPLACE_IOAS] = selftest_access_replace_ioas,
	[IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS] = mock_domain,
	[IOMMU_TEST_OP_DIRTY] = set_dirty,
	[IOMMU_TEST_OP_MD_CHECK_IOTLB] = check_iotlb,
	[IOMMU_TEST_OP_TRIGGER_IOPF] = trigger_iopf,
	[IOMMU_TEST_OP_DEV_CHECK_CACHE] = check_dev_cache,
	[IOMMU_TEST_OP_TRIGGER_VEVENT] = trigger_vevent,
	[IOMMU_TEST_OP_PASID_ATTACH] = pasid_attach,
	[IOMMU_TEST_OP_PASID_REPLACE] = pasid_replace,
	[IOMMU_TEST_OP_PASID_DETACH] = pasid_detach,
	[IOMMU_TEST_OP_PASID_CHECK_HWPT] = pasid_check,
	[IOMMU_TEST_OP_DMABUF_GET] = selftest_dmabuf_get,
	[IOMMU_TEST_OP_DMABUF_REVOKE] = selftest_dmabuf_revoke,
};

int selftest_ioctl(struct ucmd *u)
{
	uint32_t op = cmd_of(u)->op;

	if (op >= sizeof(ops) / sizeof(ops[0]) || !ops[op])
		return -EOPNOTSUPP;
	return ops[op](u);
}
