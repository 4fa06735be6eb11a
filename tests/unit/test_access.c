// SPDX-License-Identifier: MIT
/*
 * Access objects (access.h), the kernel's iommufd_access: attach, replace
 * and detach with their unmap callbacks, pins and their accounting, copies,
 * and what an unmap does to a pinned range (ask, retry, EDEADLOCK after 100
 * tries).  Then the "emulated" device option, whose BIND gives an ACCESS
 * object and whose DMA goes through it.
 */
#include "devices.h"
#include "dmatest_ring.h"
#include "access.h"

#define IOVA 0x100000ULL

/* ---- an in-kernel user of the access API ---- */

struct user {
	struct access *a;
	unsigned int calls;       /* unmap callbacks so far */
	uint64_t iova, length;    /* the last one's range */
	bool release;             /* unpin the pin below when asked */
	bool pinned;
	uint64_t pin_iova, pin_length;
	bool try_pin;             /* pin the range again inside the callback */
	int pin_rc;
};

static void user_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct user *u = data;

	u->calls++;
	u->iova = iova;
	u->length = length;
	if (u->try_pin)
		u->pin_rc = access_pin(u->a, u->pin_iova, u->pin_length, false);
	if (u->release && u->pinned && u->pin_iova <= iova + (length - 1) &&
	    iova <= u->pin_iova + (u->pin_length - 1)) {
		access_unpin(u->a, u->pin_iova, u->pin_length);
		u->pinned = false;
	}
}

static const struct access_ops user_ops = {
	.needs_pin_pages = true,
	.unmap = user_unmap,
};

static void user_create(struct fx *f, struct user *u)
{
	*u = (struct user){ 0 };
	assert_int_equal(access_create(f->ctx, &user_ops, u, &u->a), 0);
}

/* Pin and remember it for the callback. */
static void user_pin(struct user *u, uint64_t iova, uint64_t length, bool write)
{
	assert_int_equal(access_pin(u->a, iova, length, write), 0);
	u->pinned = true;
	u->pin_iova = iova;
	u->pin_length = length;
}

static uint64_t pinned_pages(struct fx *f)
{
	struct iemu_ctx_stats st;

	iemu_ctx_stats(f->ctx, &st);
	return st.pinned_pages;
}

static uint64_t alignment(struct fx *f, uint32_t ioas)
{
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
					    .num_iovas = 4, .allowed_iovas = (uintptr_t)r };

	assert_int_equal(ioc(f, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	return q.out_iova_alignment;
}

/* ---- lifetime and attachment ---- */

static void test_access_attach_replace_detach(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), ioas2 = ioas_alloc(f), ioas3 = ioas_alloc(f);
	long hwpt = add_domain(f, ioas3, NULL);
	struct iemu_ctx_stats st;
	struct user u;
	uint32_t id;

	user_create(f, &u);
	id = u.a->obj.id;
	assert_int_equal(id, 5);
	iemu_ctx_stats(f->ctx, &st);
	assert_int_equal(st.accesses, 1);
	/* Its creator holds it. */
	assert_int_equal(destroy(f, id), -EBUSY);
	/* Only an IOAS takes it. */
	assert_int_equal(access_attach(u.a, 99), -ENOENT);
	assert_int_equal(access_attach(u.a, hwpt), -ENOENT);
	assert_int_equal(access_attach(u.a, id), -ENOENT);
	assert_int_equal(access_replace(u.a, ioas), -ENOENT); /* nothing to replace */
	assert_int_equal(access_attach(u.a, ioas), 0);
	assert_int_equal(u.calls, 0);
	assert_int_equal(destroy(f, ioas), -EBUSY);
	assert_int_equal(access_attach(u.a, ioas2), -EINVAL);
	/* Replacing tells the user to stop using all of the old one. */
	assert_int_equal(access_replace(u.a, 99), -ENOENT);
	assert_int_equal(u.calls, 0);
	assert_int_equal(access_replace(u.a, ioas2), 0);
	assert_int_equal(u.calls, 1);
	assert_int_equal(u.iova, 0);
	assert_int_equal(u.length, UINT64_MAX);
	assert_int_equal(destroy(f, ioas), 0);
	assert_int_equal(destroy(f, ioas2), -EBUSY);
	/* The same IOAS again: nothing happens. */
	assert_int_equal(access_replace(u.a, ioas2), 0);
	assert_int_equal(u.calls, 1);
	access_detach(u.a);
	assert_int_equal(u.calls, 2);
	assert_int_equal(u.length, UINT64_MAX);
	assert_int_equal(destroy(f, ioas2), 0);
	access_destroy(u.a);
	assert_int_equal(u.calls, 2);
	assert_int_equal(destroy(f, id), -ENOENT);
	iemu_ctx_stats(f->ctx, &st);
	assert_int_equal(st.accesses, 0);
}

static void test_page_access_needs_page_alignment(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), odd = ioas_alloc(f);
	uint8_t *buf = pages(1);
	struct user u;

	user_create(f, &u);
	assert_int_equal(alignment(f, ioas), 1);
	assert_int_equal(access_attach(u.a, ioas), 0);
	assert_int_equal(alignment(f, ioas), PG);
	/* Now a mapping must be page aligned. */
	assert_int_equal(map_at(f, ioas, buf + 16, 256, IOVA + 16, RW), -EINVAL);
	access_detach(u.a);
	assert_int_equal(alignment(f, ioas), 1);
	/* An IOAS that already holds a sub-page area refuses it. */
	assert_int_equal(map_at(f, odd, buf + 16, 256, IOVA + 16, RW), 0);
	assert_int_equal(access_attach(u.a, odd), -EADDRINUSE);
	assert_int_equal(alignment(f, odd), 1);
	assert_int_equal(access_replace(u.a, odd), -ENOENT);
	assert_int_equal(access_attach(u.a, ioas), 0);
	assert_int_equal(access_replace(u.a, odd), -EADDRINUSE);
	assert_int_equal(alignment(f, ioas), PG);
	access_destroy(u.a);
	assert_int_equal(alignment(f, ioas), 1);
	munmap(buf, PG);
}

/* ---- pins ---- */

static void test_pin_errors(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	uint8_t *buf = pages(4);
	struct user u;

	user_create(f, &u);
	assert_int_equal(map_at(f, ioas, buf, 2 * PG, IOVA, RW), 0);
	assert_int_equal(map_at(f, ioas, buf + 2 * PG, PG, IOVA + 4 * PG,
				IOMMU_IOAS_MAP_READABLE), 0);
	assert_int_equal(access_pin(u.a, IOVA, 0, false), -EINVAL);
	assert_int_equal(access_pin(u.a, UINT64_MAX - PG + 1, 2 * PG, false), -EOVERFLOW);
	assert_int_equal(access_pin(u.a, IOVA, PG, false), -ENOENT); /* detached */
	assert_int_equal(access_attach(u.a, ioas), 0);
	assert_int_equal(access_pin(u.a, IOVA, 0, false), -EINVAL);
	assert_int_equal(access_pin(u.a, IOVA + 8 * PG, PG, false), -ENOENT);
	assert_int_equal(access_pin(u.a, IOVA - PG, 2 * PG, false), -ENOENT);
	assert_int_equal(access_pin(u.a, IOVA + PG, 2 * PG, false), -ENOENT);
	/* Sub-page starts are refused. */
	assert_int_equal(access_pin(u.a, IOVA + 16, PG, false), -EINVAL);
	/* Writing a read-only mapping. */
	assert_int_equal(access_pin(u.a, IOVA + 4 * PG, PG, true), -EPERM);
	assert_int_equal(pinned_pages(f), 0);
	assert_int_equal(access_pin(u.a, IOVA + 4 * PG, PG, false), 0);
	assert_int_equal(pinned_pages(f), 1);
	access_unpin(u.a, IOVA + 4 * PG, PG);
	assert_int_equal(pinned_pages(f), 0);
	access_destroy(u.a);
	munmap(buf, 4 * PG);
}

static void test_pin_is_accounted(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	uint8_t *buf = pages(4);
	struct iemu_proc_stats ps;
	struct user u;

	user_create(f, &u);
	assert_int_equal(access_attach(u.a, ioas), 0);
	assert_int_equal(map_at(f, ioas, buf, 4 * PG, IOVA, RW), 0);
	/* No domain: nothing is pinned until the access asks. */
	assert_int_equal(pinned_pages(f), 0);
	assert_int_equal(access_pin(u.a, IOVA + PG, 2 * PG, true), 0);
	assert_int_equal(pinned_pages(f), 2);
	assert_int_equal(iemu_user_locked_pages(f->emu, geteuid()), 2);
	iemu_proc_stats(f->self, &ps);
	assert_int_equal(ps.pinned_vm, 2);
	/* An overlapping pin charges only the new page. */
	assert_int_equal(access_pin(u.a, IOVA + 2 * PG, 2 * PG, false), 0);
	assert_int_equal(pinned_pages(f), 3);
	assert_int_equal(iemu_user_locked_pages(f->emu, geteuid()), 3);
	/* An unpin must name a pin exactly: anything else changes nothing. */
	access_unpin(u.a, IOVA + PG, PG);
	assert_int_equal(pinned_pages(f), 3);
	access_unpin(u.a, IOVA + PG, 2 * PG);
	assert_int_equal(pinned_pages(f), 2);
	access_unpin(u.a, IOVA + 2 * PG, 2 * PG);
	assert_int_equal(pinned_pages(f), 0);
	assert_int_equal(iemu_user_locked_pages(f->emu, geteuid()), 0);
	iemu_proc_stats(f->self, &ps);
	assert_int_equal(ps.pinned_vm, 0);
	access_destroy(u.a);
	munmap(buf, 4 * PG);
}

static void test_pin_across_back_to_back_areas(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	uint8_t *a = pages(2), *b = pages(2);
	struct user u;

	user_create(f, &u);
	assert_int_equal(access_attach(u.a, ioas), 0);
	assert_int_equal(map_at(f, ioas, a, 2 * PG, IOVA, RW), 0);
	assert_int_equal(map_at(f, ioas, b, 2 * PG, IOVA + 2 * PG, RW), 0);
	assert_int_equal(access_pin(u.a, IOVA + PG, 2 * PG, true), 0);
	assert_int_equal(pinned_pages(f), 2);
	/* Running on into a hole: refused, and what it pinned on the way is
	 * released. */
	assert_int_equal(access_pin(u.a, IOVA, 5 * PG, false), -ENOENT);
	assert_int_equal(pinned_pages(f), 2);
	access_unpin(u.a, IOVA + PG, 2 * PG);
	assert_int_equal(pinned_pages(f), 0);
	/* Both areas could be unmapped now. */
	assert_int_equal(unmap(f, ioas, IOVA, 4 * PG, NULL), 0);
	assert_int_equal(u.calls, 0);
	access_destroy(u.a);
	munmap(a, 2 * PG);
	munmap(b, 2 * PG);
}

/* ---- unmapping what an access pins ---- */

static void test_unmap_asks_the_access_to_unpin(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	uint8_t *buf = pages(4);
	uint64_t len = 0;
	struct user u;

	user_create(f, &u);
	assert_int_equal(access_attach(u.a, ioas), 0);
	assert_int_equal(map_at(f, ioas, buf, 4 * PG, IOVA, RW), 0);
	user_pin(&u, IOVA + PG, 2 * PG, true);
	u.release = true;
	assert_int_equal(unmap(f, ioas, IOVA, 4 * PG, &len), 0);
	assert_int_equal(len, 4 * PG);
	/* Once, with the whole area. */
	assert_int_equal(u.calls, 1);
	assert_int_equal(u.iova, IOVA);
	assert_int_equal(u.length, 4 * PG);
	assert_false(u.pinned);
	assert_int_equal(pinned_pages(f), 0);
	access_destroy(u.a);
	munmap(buf, 4 * PG);
}

static void test_unmap_of_a_pin_never_released_is_edeadlock(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	uint8_t *buf = pages(3), byte;
	struct user u;

	user_create(f, &u);
	assert_int_equal(access_attach(u.a, ioas), 0);
	assert_int_equal(map_at(f, ioas, buf, PG, IOVA, RW), 0);
	assert_int_equal(map_at(f, ioas, buf + PG, 2 * PG, IOVA + PG, RW), 0);
	user_pin(&u, IOVA + PG, PG, false);
	u.try_pin = true;
	/* The first area goes; the second is asked 101 times, then refused. */
	assert_int_equal(unmap(f, ioas, IOVA, 3 * PG, NULL), -EDEADLOCK);
	assert_int_equal(u.calls, 101);
	assert_int_equal(u.iova, IOVA + PG);
	assert_int_equal(u.length, 2 * PG);
	/* While an unmap waits on it, the area takes no new users... */
	assert_int_equal(u.pin_rc, -EINVAL);
	assert_int_equal(access_pin(u.a, IOVA + 2 * PG, PG, false), -EINVAL);
	assert_int_equal(access_rw(u.a, IOVA + PG, &byte, 1, false), -EINVAL);
	assert_int_equal(unmap(f, ioas, IOVA, PG, NULL), -ENOENT);
	assert_int_equal(pinned_pages(f), 1);
	/* ...and once the pin goes, the unmap succeeds without asking. */
	u.try_pin = false;
	access_unpin(u.a, IOVA + PG, PG);
	assert_int_equal(unmap(f, ioas, IOVA + PG, 2 * PG, NULL), 0);
	assert_int_equal(u.calls, 101);
	access_destroy(u.a);
	munmap(buf, 3 * PG);
}

static void test_replace_lets_the_user_unpin(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), ioas2 = ioas_alloc(f);
	uint8_t *buf = pages(2);
	struct user u;

	user_create(f, &u);
	assert_int_equal(access_attach(u.a, ioas), 0);
	assert_int_equal(map_at(f, ioas, buf, 2 * PG, IOVA, RW), 0);
	user_pin(&u, IOVA, 2 * PG, true);
	u.release = true;
	/* The callback unpins from the old IOAS while it moves. */
	assert_int_equal(access_replace(u.a, ioas2), 0);
	assert_int_equal(u.calls, 1);
	assert_false(u.pinned);
	assert_int_equal(pinned_pages(f), 0);
	assert_int_equal(iemu_user_locked_pages(f->emu, geteuid()), 0);
	assert_int_equal(unmap(f, ioas, IOVA, 2 * PG, NULL), 0);
	assert_int_equal(u.calls, 1);
	/* The same on detach. */
	assert_int_equal(map_at(f, ioas2, buf, 2 * PG, IOVA, RW), 0);
	user_pin(&u, IOVA, PG, false);
	access_detach(u.a);
	assert_false(u.pinned);
	assert_int_equal(pinned_pages(f), 0);
	assert_int_equal(unmap(f, ioas2, IOVA, 2 * PG, NULL), 0);
	access_destroy(u.a);
	munmap(buf, 2 * PG);
}

/* ---- copies ---- */

static void test_rw_through_mappings(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	uint8_t *buf = pages(4), out[3 * PG], in[PG];
	struct user u;

	user_create(f, &u);
	assert_int_equal(access_rw(u.a, IOVA, in, 1, false), -ENOENT); /* detached */
	assert_int_equal(access_attach(u.a, ioas), 0);
	/* Two read-write pages, a read-only one, a write-only one, back to back. */
	assert_int_equal(map_at(f, ioas, buf, 2 * PG, IOVA, RW), 0);
	assert_int_equal(map_at(f, ioas, buf + 2 * PG, PG, IOVA + 2 * PG,
				IOMMU_IOAS_MAP_READABLE), 0);
	assert_int_equal(map_at(f, ioas, buf + 3 * PG, PG, IOVA + 3 * PG,
				IOMMU_IOAS_MAP_WRITEABLE), 0);
	for (size_t i = 0; i < 4 * PG; i++)
		buf[i] = (uint8_t)(i * 13);
	/* Reads need no alignment and cross areas. */
	assert_int_equal(access_rw(u.a, IOVA + 3, out, 3 * PG - 3, false), 0);
	assert_memory_equal(out, buf + 3, 3 * PG - 3);
	memset(in, 0x42, sizeof(in));
	assert_int_equal(access_rw(u.a, IOVA + PG - 10, in, 100, true), 0);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(buf[PG - 10 + i], 0x42);
	assert_int_equal(buf[PG - 11], (uint8_t)((PG - 11) * 13));
	assert_int_equal(buf[PG + 90], (uint8_t)((PG + 90) * 13));
	/* Permissions, per area. */
	assert_int_equal(access_rw(u.a, IOVA + 2 * PG, in, 8, true), -EPERM);
	assert_int_equal(access_rw(u.a, IOVA + 3 * PG, out, 8, false), -EPERM);
	assert_int_equal(access_rw(u.a, IOVA + 3 * PG, in, 8, true), 0);
	assert_int_equal(buf[3 * PG], 0x42);
	/* Holes, and the range checks. */
	assert_int_equal(access_rw(u.a, IOVA - 1, out, 2, false), -ENOENT);
	assert_int_equal(access_rw(u.a, IOVA + 4 * PG - 1, in, 2, true), -ENOENT);
	assert_int_equal(access_rw(u.a, IOVA + 8 * PG, out, 1, false), -ENOENT);
	assert_int_equal(access_rw(u.a, IOVA, out, 0, false), -EINVAL);
	assert_int_equal(access_rw(u.a, UINT64_MAX, out, 2, false), -EOVERFLOW);
	/* Nothing was pinned for any of it. */
	assert_int_equal(pinned_pages(f), 0);
	access_destroy(u.a);
	munmap(buf, 4 * PG);
}

/* ---- the emulated device: an ACCESS instead of a DEVICE ---- */

static const char *const emulated[] = { "dmatest,emulated", NULL };

static void test_emulated_bind_gives_an_access(void **state)
{
	struct dfx *d = dfx_new(emulated);
	uint32_t ioas = ioas_alloc(&d->fx);
	struct iommu_hw_info h = { .size = sizeof(h), .dev_id = 2 };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .dev_id = 2, .pt_id = ioas };
	struct iemu_device_info info;
	struct iemu_ctx_stats st;

	(void)state;
	assert_int_equal(bind(d), 2);
	iemu_device_info(d->dev, &info);
	assert_true(info.emulated);
	assert_int_equal(info.devid, 2);
	iemu_ctx_stats(d->fx.ctx, &st);
	assert_int_equal(st.accesses, 1);
	assert_int_equal(st.devices, 0);
	assert_int_equal(destroy(&d->fx, 2), -EBUSY);
	/* An ACCESS is no DEVICE. */
	assert_int_equal(ioc(&d->fx, IOMMU_GET_HW_INFO, &h), -ENOENT);
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_ALLOC, &ha), -ENOENT);
	dfx_free(d);
}

static void test_emulated_attach(void **state)
{
	struct dfx *d = dfx_new(emulated);
	uint32_t ioas = ioas_alloc(&d->fx), ioas2 = ioas_alloc(&d->fx);
	long hwpt = add_domain(&d->fx, ioas2, NULL);
	struct vfio_device_attach_iommufd_pt pa = {
		.argsz = sizeof(pa), .flags = VFIO_DEVICE_ATTACH_PASID, .pt_id = ioas };
	struct vfio_device_detach_iommufd_pt pd = {
		.argsz = sizeof(pd), .flags = VFIO_DEVICE_DETACH_PASID };
	struct iemu_device_info info;

	(void)state;
	assert_int_equal(hwpt, 3);
	assert_int_equal(bind(d), 4);
	assert_int_equal(attach(d, hwpt), -ENOENT);
	assert_int_equal(attach(d, 4), -ENOENT);
	assert_int_equal(attach(d, 99), -ENOENT);
	assert_int_equal(alignment(&d->fx, ioas), 1);
	/* The IOAS itself, no HWPT made: pt_id comes back unchanged. */
	assert_int_equal(attach(d, ioas), ioas);
	assert_int_equal(destroy(&d->fx, 5), -ENOENT);
	iemu_device_info(d->dev, &info);
	assert_int_equal(info.pt_id, ioas);
	assert_int_equal(alignment(&d->fx, ioas), PG);
	assert_int_equal(destroy(&d->fx, ioas), -EBUSY);
	/* Attaching again replaces. */
	assert_int_equal(attach(d, ioas2), ioas2);
	assert_int_equal(attach(d, hwpt), -ENOENT);
	assert_int_equal(alignment(&d->fx, ioas), 1);
	assert_int_equal(destroy(&d->fx, ioas), 0);
	/* No PASIDs. */
	assert_int_equal(dioc(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &pa), -EOPNOTSUPP);
	assert_int_equal(dioc(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &pd), -EOPNOTSUPP);
	assert_int_equal(detach(d), 0);
	iemu_device_info(d->dev, &info);
	assert_int_equal(info.pt_id, 0);
	assert_int_equal(detach(d), 0);
	dfx_free(d);
}

static void test_emulated_dma_goes_through_the_access(void **state)
{
	struct dfx *d = dfx_new(emulated);
	uint32_t ioas = ioas_alloc(&d->fx);
	uint8_t *buf = pages(2);
	struct ring r;

	(void)state;
	assert_int_equal(bind(d), 2);
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, IOVA, RW), 0);
	assert_int_equal(map_at(&d->fx, ioas, buf + PG, PG, IOVA + PG, RW), 0);
	for (size_t i = 0; i < PG; i++)
		buf[i] = (uint8_t)(i * 3);
	/* Not attached: blocked, from the descriptor fetch on. */
	assert_int_equal(submit(&r, DMATEST_OP_COPY, IOVA + PG, IOVA, PG), -1);
	assert_int_equal(fault_no(d, 1).kind, IEMU_FAULT_BLOCKED);
	assert_int_equal(fault_no(d, 1).addr, RING_IOVA);
	assert_int_equal(attach(d, ioas), ioas);
	ring_enable(&r);
	assert_int_equal(submit(&r, DMATEST_OP_COPY, IOVA + PG + 1, IOVA, PG - 1),
			 DMATEST_ST_OK);
	assert_memory_equal(buf + PG + 1, buf, PG - 1);
	/* An IOVA the access cannot reach: refused and recorded. */
	assert_int_equal(submit(&r, DMATEST_OP_FILL, 0x400000, 0, 8), DMATEST_ST_FAULT);
	assert_int_equal(iemu_device_faults(d->dev, NULL, 0, NULL), 3);
	assert_int_equal(fault_no(d, 3).kind, IEMU_FAULT_UNMAPPED);
	assert_int_equal(fault_no(d, 3).addr, 0x400000);
	assert_int_equal(fault_no(d, 3).write, true);
	/* The device pins nothing, so what it uses can be unmapped. */
	assert_int_equal(unmap(&d->fx, ioas, IOVA + PG, PG, NULL), 0);
	assert_int_equal(submit(&r, DMATEST_OP_FILL, IOVA + PG, 0, 8), DMATEST_ST_FAULT);
	assert_int_equal(fault_no(d, 4).kind, IEMU_FAULT_UNMAPPED);
	assert_int_equal(fault_no(d, 4).addr, IOVA + PG);
	munmap(r.mem, PG);
	dfx_free(d);
	munmap(buf, 2 * PG);
}

static void test_emulated_refused_write_changes_nothing(void **state)
{
	struct dfx *d = dfx_new(emulated);
	uint32_t ioas = ioas_alloc(&d->fx);
	uint8_t *buf = pages(2);
	struct ring r;

	(void)state;
	assert_int_equal(bind(d), 2);
	assert_int_equal(attach(d, ioas), ioas);
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, IOVA, RW), 0);
	assert_int_equal(map_at(&d->fx, ioas, buf + PG, PG, IOVA + PG,
				IOMMU_IOAS_MAP_READABLE), 0);
	memset(buf, 0xee, 2 * PG);
	/* Half writable, half read-only: the DMA engine's transfers are
	 * all or nothing, through an access too. */
	assert_int_equal(submit(&r, DMATEST_OP_FILL, IOVA + PG - 8, 0, 16), DMATEST_ST_FAULT);
	assert_int_equal(fault_no(d, 1).kind, IEMU_FAULT_PERM);
	assert_int_equal(fault_no(d, 1).addr, IOVA + PG);
	assert_int_equal(fault_no(d, 1).len, 16);
	assert_int_equal(fault_no(d, 1).write, true);
	/* A COPY whose source runs into a hole: the first byte of the hole. */
	assert_int_equal(submit(&r, DMATEST_OP_COPY, IOVA, IOVA + PG + 16, PG), DMATEST_ST_FAULT);
	assert_int_equal(fault_no(d, 2).kind, IEMU_FAULT_UNMAPPED);
	assert_int_equal(fault_no(d, 2).addr, IOVA + 2 * PG);
	assert_int_equal(fault_no(d, 2).write, false);
	for (size_t i = 0; i < 2 * PG; i++)
		assert_int_equal(buf[i], 0xee);
	munmap(r.mem, PG);
	dfx_free(d);
	munmap(buf, 2 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_access_attach_replace_detach, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_page_access_needs_page_alignment,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pin_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pin_is_accounted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pin_across_back_to_back_areas, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_asks_the_access_to_unpin, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_of_a_pin_never_released_is_edeadlock,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_replace_lets_the_user_unpin, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_rw_through_mappings, fx_setup, fx_teardown),
		cmocka_unit_test(test_emulated_bind_gives_an_access),
		cmocka_unit_test(test_emulated_attach),
		cmocka_unit_test(test_emulated_dma_goes_through_the_access),
		cmocka_unit_test(test_emulated_refused_write_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
