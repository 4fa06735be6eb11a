// SPDX-License-Identifier: MIT
/*
 * IOMMU_TEST_CMD in-process: every op of the kernel selftest's mock
 * protocol, the core objects the mock driver makes reachable (nested
 * HWPTs, fault queues, vIOMMUs, vDEVICEs, vEVENTQs, HW queues, PASIDs) and
 * the mmap of the iommufd, against the errnos and values of Linux 7.3.
 */
#include "helpers.h"

#include <poll.h>
#include <sys/syscall.h>

#include "iommufd_emu/uapi/iommufd_test.h"

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

static int st_setup(void **state)
{
	struct iemu_config cfg = { .selftest_mock = true };

	return fx_setup_config(state, &cfg);
}

static long test_cmd(struct fx *f, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return ioc(f, IOMMU_TEST_CMD, c);
}

struct mock {
	uint32_t stdev, hwpt, idev;
};

static struct mock mock_domain_flags(struct fx *f, uint32_t pt, uint32_t flags)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = pt,
				    .mock_domain_flags.dev_flags = flags };
	struct mock m;

	assert_int_equal(test_cmd(f, &c), 0);
	m.stdev = c.mock_domain_flags.out_stdev_id;
	m.hwpt = c.mock_domain_flags.out_hwpt_id;
	m.idev = c.mock_domain_flags.out_idev_id;
	return m;
}

static struct mock mock_domain(struct fx *f, uint32_t pt)
{
	return mock_domain_flags(f, pt, 0);
}

static long hwpt_alloc(struct fx *f, uint32_t dev, uint32_t pt, uint32_t flags,
		       uint32_t type, void *data, uint32_t len, uint32_t fault, uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .flags = flags, .dev_id = dev, .pt_id = pt,
		.data_type = type, .data_len = len, .data_uptr = (uintptr_t)data,
		.fault_id = fault,
	};
	long rc = ioc(f, IOMMU_HWPT_ALLOC, &a);

	if (out)
		*out = a.out_hwpt_id;
	return rc;
}

static void *buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static long check_refs(struct fx *f, void *p, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS,
				    .check_refs = { .length = len, .uptr = (uintptr_t)p,
						    .refs = refs } };

	return test_cmd(f, &c);
}

static long check_map(struct fx *f, uint32_t hwpt, uint64_t iova, void *p, uint64_t len)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt,
				    .check_map = { .iova = iova, .length = len,
						   .uptr = (uintptr_t)p } };

	return test_cmd(f, &c);
}

/* ---- mock domains ---- */

static void test_test_cmd_needs_selftest_mock(void **state)
{
	struct fx *f = *state;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };

	/* The default configuration has no IOMMU_TEST_CMD, as a normal kernel. */
	assert_int_equal(test_cmd(f, &c), -ENOTTY);
}

static void test_mock_domain_geometry_and_ids(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct mock m = mock_domain(f, ioas);
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
					    .num_iovas = 4, .allowed_iovas = (uintptr_t)r };

	/* The selftest object, then the device, then its automatic domain. */
	assert_int_equal(m.stdev, ioas + 1);
	assert_int_equal(m.idev, ioas + 2);
	assert_int_equal(m.hwpt, ioas + 3);
	assert_int_equal(ioc(f, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	assert_int_equal(q.num_iovas, 1);
	assert_int_equal(r[0].start, MOCK_APERTURE_START);
	assert_int_equal(r[0].last, MOCK_APERTURE_LAST);
	assert_int_equal(q.out_iova_alignment, MOCK_PAGE_SIZE);
	/* The device holds the IOAS; destroying the selftest object frees it. */
	assert_int_equal(destroy(f, ioas), -EBUSY);
	assert_int_equal(destroy(f, m.idev), -EBUSY);
	assert_int_equal(destroy(f, m.stdev), 0);
	assert_int_equal(destroy(f, m.hwpt), -ENOENT);
	assert_int_equal(destroy(f, ioas), 0);
}

static void test_mock_domain_bad_flags_and_pt(void **state)
{
	struct fx *f = *state;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = ioas_alloc(f),
				    .mock_domain_flags.dev_flags = 1u << 1 };

	assert_int_equal(test_cmd(f, &c), -EINVAL);
	c.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	c.id = 999;
	assert_int_equal(test_cmd(f, &c), -ENOENT);
	c.op = 999;
	assert_int_equal(test_cmd(f, &c), -EOPNOTSUPP);
}

static void test_hw_info_of_mock_device(void **state)
{
	struct fx *f = *state;
	struct mock m = mock_domain_flags(f, ioas_alloc(f), MOCK_FLAGS_DEVICE_PASID);
	struct {
		struct iommu_test_hw_info info;
		uint64_t tail;
	} buf = { .tail = ~0ULL };
	struct iommu_hw_info h = { .size = sizeof(h), .dev_id = m.idev,
				   .data_len = sizeof(buf), .data_uptr = (uintptr_t)&buf };

	assert_int_equal(ioc(f, IOMMU_GET_HW_INFO, &h), 0);
	assert_int_equal(h.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	assert_int_equal(h.data_len, sizeof(struct iommu_test_hw_info));
	assert_int_equal(buf.info.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	assert_int_equal(buf.info.flags, 0);
	assert_int_equal(buf.tail, 0);
	assert_int_equal(h.out_max_pasid_log2, MOCK_PASID_WIDTH);
	assert_int_equal(h.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING,
			 IOMMU_HW_CAP_DIRTY_TRACKING);
	h.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	h.in_data_type = IOMMU_HW_INFO_TYPE_SELFTEST + 1;
	assert_int_equal(ioc(f, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
}

static void test_replace_frees_automatic_domain(void **state)
{
	struct fx *f = *state;
	struct mock m = mock_domain(f, ioas_alloc(f));
	uint32_t other = ioas_alloc(f);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = m.stdev,
				    .mock_domain_replace.pt_id = other };

	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_not_equal(c.mock_domain_replace.pt_id, other);
	c.mock_domain_replace.pt_id = m.hwpt;
	assert_int_equal(test_cmd(f, &c), -ENOENT);
	c.id = m.idev;
	assert_int_equal(test_cmd(f, &c), -ENOENT);
}

/* ---- reserved ranges, maps, refs ---- */

static void test_add_reserved(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ADD_RESERVED, .id = ioas,
				    .add_reserved = { .start = PG, .length = PG } };
	void *p = buffer(PG);

	assert_int_equal(test_cmd(f, &c), 0);
	/* A fixed map onto a reserved range is EINVAL (iopt_check_iova). */
	assert_int_equal(map_at(f, ioas, p, PG, PG, IOMMU_IOAS_MAP_READABLE), -EINVAL);
	c.add_reserved.length = 0;
	assert_int_equal(test_cmd(f, &c), -EINVAL);
	c.add_reserved = (typeof(c.add_reserved)){ .start = 6, .length = UINT64_MAX };
	assert_int_equal(test_cmd(f, &c), -EOVERFLOW);
	munmap(p, PG);
}

static void test_check_map_and_refs(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct mock m = mock_domain(f, ioas);
	uint8_t *p = buffer(4 * PG), *q = buffer(PG);
	uint64_t iova;

	assert_int_equal(check_refs(f, p, 4 * PG, 0), 0);
	/* An unaligned start: the mock maps 2 KiB pages. */
	assert_int_equal(map_any(f, ioas, p + MOCK_PAGE_SIZE, 2 * PG,
				 IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE, &iova), 0);
	assert_int_equal(check_map(f, m.hwpt, iova, p + MOCK_PAGE_SIZE, 2 * PG), 0);
	assert_int_equal(check_map(f, m.hwpt, iova, q, MOCK_PAGE_SIZE), -EINVAL);
	assert_int_equal(check_map(f, m.hwpt, iova + 1, p, MOCK_PAGE_SIZE), -EINVAL);
	assert_int_equal(check_refs(f, p, 3 * PG, 1), 0);
	assert_int_equal(check_refs(f, p + 3 * PG, PG, 0), 0);
	assert_int_equal(check_refs(f, p, PG, 2), -EIO);
	assert_int_equal(check_refs(f, p + 1, PG, 1), -EINVAL);
	/* A second domain of the same IOAS pins nothing more. */
	mock_domain(f, ioas);
	assert_int_equal(check_refs(f, p, 3 * PG, 1), 0);
	assert_int_equal(unmap(f, ioas, iova, 2 * PG, NULL), 0);
	assert_int_equal(check_refs(f, p, 4 * PG, 0), 0);
	/* A hole in the VA is EFAULT, as get_user_pages. */
	munmap(q, PG);
	assert_int_equal(check_refs(f, q, PG, 0), -EFAULT);
	assert_int_equal(check_map(f, ioas, iova, p, PG), -ENOENT);
	munmap(p, 4 * PG);
}

static void test_check_map_memfd_through_its_mapping(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct mock m = mock_domain(f, ioas);
	int mfd = (int)syscall(SYS_memfd_create, "t", 0);
	struct iommu_ioas_map_file mf = { .size = sizeof(mf), .ioas_id = ioas, .fd = mfd,
					  .flags = IOMMU_IOAS_MAP_READABLE, .length = 2 * PG,
					  .start = PG };
	uint8_t *p;

	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, 4 * PG), 0);
	p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(ioc(f, IOMMU_IOAS_MAP_FILE, &mf), 0);
	/* The file's pages are the pages of every shared mapping of it. */
	assert_int_equal(check_map(f, m.hwpt, mf.iova, p + PG, 2 * PG), 0);
	assert_int_equal(check_map(f, m.hwpt, mf.iova, p, 2 * PG), -EINVAL);
	assert_int_equal(check_refs(f, p + PG, 2 * PG, 1), 0);
	assert_int_equal(check_refs(f, p, PG, 0), 0);
	munmap(p, 4 * PG);
	close(mfd);
}

static void test_memory_limit(void **state)
{
	struct fx *f = *state;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
				    .memory_limit.limit = 11 };

	assert_int_equal(test_cmd(f, &c), -EINVAL);
	c.memory_limit.limit = 12;
	assert_int_equal(test_cmd(f, &c), 0);
}

/* ---- accesses ---- */

static uint32_t create_access(struct fx *f, uint32_t ioas, uint32_t flags)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
				    .create_access.flags = flags };

	assert_int_equal(test_cmd(f, &c), 0);
	assert_true(c.create_access.out_access_fd >= IEMU_ANON_FD_BASE);
	return c.create_access.out_access_fd;
}

static long access_pages(struct fx *f, uint32_t fd, uint64_t iova, uint64_t len, void *uptr,
			 uint32_t flags, uint32_t *id)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_PAGES, .id = fd,
				    .access_pages = { .flags = flags, .iova = iova, .length = len,
						      .uptr = (uintptr_t)uptr } };
	long rc = test_cmd(f, &c);

	if (id)
		*id = c.access_pages.out_access_pages_id;
	return rc;
}

static long destroy_pages(struct fx *f, uint32_t fd, uint32_t id)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, .id = fd,
				    .destroy_access_pages.access_pages_id = id };

	return test_cmd(f, &c);
}

static void test_access_pin_items_and_unmap(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), fd, id0, id1;
	uint8_t *p = buffer(4 * PG), *q = buffer(PG);
	struct iemu_anon *file;

	fd = create_access(f, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	file = iemu_anon_lookup(f->emu, (int)fd);
	assert_non_null(file);
	assert_string_equal(iemu_anon_name(file), "[iommufd_test_staccess]");
	iemu_anon_put(file);
	assert_int_equal(map_at(f, ioas, p, 4 * PG, MOCK_APERTURE_START,
				IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE), 0);
	assert_int_equal(access_pages(f, fd, MOCK_APERTURE_START, 2 * PG, p, 0, &id0), 0);
	assert_int_equal(access_pages(f, fd, MOCK_APERTURE_START, 2 * PG, p, 0, &id1), 0);
	assert_int_equal(id1, id0 + 1);
	assert_int_equal(check_refs(f, p, 2 * PG, 1), 0);
	/* The pages must be the ones behind uptr. */
	assert_int_equal(access_pages(f, fd, MOCK_APERTURE_START, PG, q, 0, NULL), -EBADE);
	assert_int_equal(access_pages(f, fd, MOCK_APERTURE_START, PG, p, 1u << 3, NULL),
			 -EOPNOTSUPP);
	assert_int_equal(access_pages(f, fd, MOCK_APERTURE_START, 17ULL << 20, p, 0, NULL),
			 -ENOMEM);
	assert_int_equal(destroy_pages(f, fd, id0), 0);
	assert_int_equal(destroy_pages(f, fd, id0), -ENOENT);
	/* Unmapping asks the access to let go: the item is gone. */
	assert_int_equal(unmap(f, ioas, MOCK_APERTURE_START, 4 * PG, NULL), 0);
	assert_int_equal(destroy_pages(f, fd, id1), -ENOENT);
	assert_int_equal(check_refs(f, p, 4 * PG, 0), 0);
	/* Not an access fd. */
	assert_int_equal(destroy_pages(f, 3, 0), -EBADFD);
	assert_int_equal(iemu_anon_close(f->emu, (int)fd), 0);
	assert_int_equal(destroy(f, ioas), 0);
	munmap(p, 4 * PG);
	munmap(q, PG);
}

static void test_access_rw_and_replace(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), other = ioas_alloc(f), fd;
	uint8_t *p = buffer(2 * PG), tmp[64];
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_RW };

	fd = create_access(f, ioas, 0);
	assert_int_equal(map_at(f, ioas, p, 2 * PG, MOCK_APERTURE_START,
				IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE), 0);
	for (unsigned int i = 0; i < 2 * PG; i++)
		p[i] = (uint8_t)i;
	c.id = fd;
	c.access_rw = (typeof(c.access_rw)){ .iova = MOCK_APERTURE_START + PG - 10,
					     .length = sizeof(tmp), .uptr = (uintptr_t)tmp };
	assert_int_equal(test_cmd(f, &c), 0);
	assert_memory_equal(tmp, p + PG - 10, sizeof(tmp));
	memset(tmp, 0xab, sizeof(tmp));
	c.access_rw.flags = MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH;
	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_equal(p[PG], 0xab);
	c.access_rw.flags = 1u << 1;
	assert_int_equal(test_cmd(f, &c), -EOPNOTSUPP);
	/* Pins need an access made for them. */
	assert_int_equal(access_pages(f, fd, MOCK_APERTURE_START, PG, p, 0, NULL), -EOPNOTSUPP);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, .id = fd,
				     .access_replace_ioas.ioas_id = other };
	assert_int_equal(test_cmd(f, &c), 0);
	c.op = IOMMU_TEST_OP_ACCESS_RW;
	c.access_rw = (typeof(c.access_rw)){ .iova = MOCK_APERTURE_START, .length = 8,
					     .uptr = (uintptr_t)tmp };
	assert_int_equal(test_cmd(f, &c), -ENOENT);
	assert_int_equal(iemu_anon_close(f->emu, (int)fd), 0);
	munmap(p, 2 * PG);
}

static void test_access_holds_context(void **state)
{
	struct fx *f = *state;
	uint32_t fd = create_access(f, ioas_alloc(f), 0);

	/* Closing the iommufd first leaves the access's file working. */
	iemu_ctx_close(f->ctx);
	f->ctx = NULL;
	assert_int_equal(iemu_anon_close(f->emu, (int)fd), 0);
}

/* ---- dirty tracking ---- */

static void test_dirty_through_the_mock(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), hwpt;
	struct mock m = mock_domain(f, ioas);
	struct iommu_hwpt_selftest cfg = { .pagetable_type = MOCK_IOMMUPT_DEFAULT };
	uint8_t *p = buffer(8 * PG);
	uint64_t bits = 0x11, out = 0;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY };
	struct iommu_hwpt_set_dirty_tracking t = { .size = sizeof(t),
						   .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .iova = MOCK_APERTURE_START,
						 .length = 8 * PG, .page_size = MOCK_PAGE_SIZE,
						 .data = (uintptr_t)&out };

	assert_int_equal(map_at(f, ioas, p, 8 * PG, MOCK_APERTURE_START,
				IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE), 0);
	assert_int_equal(hwpt_alloc(f, m.idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				    IOMMU_HWPT_DATA_SELFTEST, &cfg, sizeof(cfg), 0, &hwpt), 0);
	c.id = hwpt;
	c.dirty = (typeof(c.dirty)){ .iova = MOCK_APERTURE_START, .length = 8 * PG,
				     .page_size = MOCK_PAGE_SIZE, .uptr = (uintptr_t)&bits };
	/* Not tracking yet. */
	assert_int_equal(test_cmd(f, &c), -EINVAL);
	t.hwpt_id = hwpt;
	assert_int_equal(ioc(f, IOMMU_HWPT_SET_DIRTY_TRACKING, &t), 0);
	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_equal(c.dirty.out_nr_dirty, 2);
	/* Bits 0 and 4 dirty the 4 KiB pages around them: bits 0-1 and 4-5. */
	g.hwpt_id = hwpt;
	assert_int_equal(ioc(f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	assert_int_equal(out, 0x33);
	c.id = m.hwpt;
	assert_int_equal(test_cmd(f, &c), -EINVAL);
	c.dirty.page_size = 0;
	assert_int_equal(test_cmd(f, &c), -EINVAL);
	munmap(p, 8 * PG);
}

static void test_dirty_huge_leaf(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), hwpt;
	struct mock m = mock_domain(f, ioas);
	struct iommu_hwpt_selftest cfg = { .pagetable_type = MOCK_IOMMUPT_HUGE };
	uint8_t *p = buffer(2 * MOCK_HUGE_PAGE_SIZE);
	const uint64_t iova = MOCK_APERTURE_START, nbits = 2 * MOCK_HUGE_PAGE_SIZE / MOCK_PAGE_SIZE;
	uint64_t bits[16] = { 0 }, out[16] = { 0 };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY,
				    .dirty = { .iova = iova, .length = 2 * MOCK_HUGE_PAGE_SIZE,
					       .page_size = MOCK_PAGE_SIZE,
					       .uptr = (uintptr_t)bits } };
	struct iommu_hwpt_set_dirty_tracking t = { .size = sizeof(t),
						   .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .iova = iova,
						 .length = 2 * MOCK_HUGE_PAGE_SIZE,
						 .page_size = MOCK_PAGE_SIZE,
						 .data = (uintptr_t)out };

	assert_int_equal(nbits, 1024);
	assert_int_equal(map_at(f, ioas, p, 2 * MOCK_HUGE_PAGE_SIZE, iova,
				IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE), 0);
	assert_int_equal(hwpt_alloc(f, m.idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				    IOMMU_HWPT_DATA_SELFTEST, &cfg, sizeof(cfg), 0, &hwpt), 0);
	t.hwpt_id = hwpt;
	assert_int_equal(ioc(f, IOMMU_HWPT_SET_DIRTY_TRACKING, &t), 0);
	/* One 2 KiB page in the second 1 MiB leaf dirties the whole leaf. */
	bits[600 / 64] = 1ULL << (600 % 64);
	c.id = hwpt;
	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_equal(c.dirty.out_nr_dirty, 1);
	g.hwpt_id = hwpt;
	assert_int_equal(ioc(f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	for (unsigned int i = 0; i < nbits; i++)
		assert_int_equal(!!(out[i / 64] & (1ULL << (i % 64))), i >= 512);
	munmap(p, 2 * MOCK_HUGE_PAGE_SIZE);
}

static void test_no_dirty_device(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), hwpt;
	struct mock m = mock_domain(f, ioas);
	struct mock nd = mock_domain_flags(f, ioas_alloc(f), MOCK_FLAGS_DEVICE_NO_DIRTY);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
				    .mock_domain_flags.dev_flags = MOCK_FLAGS_DEVICE_NO_DIRTY };

	assert_int_equal(hwpt_alloc(f, nd.idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, 0, NULL), -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(f, m.idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &hwpt), 0);
	/* A dirty-tracking domain refuses a device that cannot track. */
	c.id = hwpt;
	assert_int_equal(test_cmd(f, &c), -EINVAL);
}

/* ---- nested domains ---- */

static long check_iotlb(struct fx *f, uint32_t hwpt, uint32_t id, uint32_t want)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = hwpt,
				    .check_iotlb = { .id = id, .iotlb = want } };

	return test_cmd(f, &c);
}

static long invalidate(struct fx *f, uint32_t id, void *reqs, uint32_t type, uint32_t len,
		       uint32_t *num)
{
	struct iommu_hwpt_invalidate i = { .size = sizeof(i), .hwpt_id = id, .data_type = type,
					   .data_uptr = (uintptr_t)reqs, .entry_len = len,
					   .entry_num = *num };
	long rc = ioc(f, IOMMU_HWPT_INVALIDATE, &i);

	*num = i.entry_num;
	return rc;
}

static void test_nested_alloc_and_invalidate(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), parent, plain, nested, num;
	struct mock m = mock_domain(f, ioas);
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest inv[2] = { 0 };
	const uint32_t min = offsetofend(struct iommu_hwpt_selftest, iotlb);

	assert_int_equal(hwpt_alloc(f, m.idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &parent), 0);
	assert_int_equal(hwpt_alloc(f, m.idev, ioas, 0, IOMMU_HWPT_DATA_NONE, NULL, 0, 0,
				    &plain), 0);
	assert_int_equal(hwpt_alloc(f, m.idev, parent, 0, IOMMU_HWPT_DATA_NONE, &data,
				    sizeof(data), 0, NULL), -EINVAL);
	assert_int_equal(hwpt_alloc(f, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST + 1, &data,
				    sizeof(data), 0, NULL), -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(f, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    min - 1, 0, NULL), -EINVAL);
	assert_int_equal(hwpt_alloc(f, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, NULL,
				    sizeof(data), 0, NULL), -EFAULT);
	assert_int_equal(hwpt_alloc(f, m.idev, parent, IOMMU_HWPT_ALLOC_NEST_PARENT,
				    IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), 0, NULL),
			 -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(f, m.idev, plain, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, NULL), -EINVAL);
	assert_int_equal(hwpt_alloc(f, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, &nested), 0);
	assert_int_equal(hwpt_alloc(f, m.idev, nested, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, NULL), -EINVAL);
	assert_int_equal(destroy(f, parent), -EBUSY);
	assert_int_equal(check_iotlb(f, nested, 3, IOMMU_TEST_IOTLB_DEFAULT), 0);
	assert_int_equal(check_iotlb(f, nested, 4, IOMMU_TEST_IOTLB_DEFAULT), -EINVAL);
	assert_int_equal(check_iotlb(f, parent, 0, IOMMU_TEST_IOTLB_DEFAULT), -ENOENT);

	num = 1;
	assert_int_equal(invalidate(f, parent, inv, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    sizeof(*inv), &num), -EINVAL);
	assert_int_equal(num, 0);
	num = 0;
	assert_int_equal(invalidate(f, nested, inv, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    sizeof(*inv), &num), 0);
	num = 1;
	assert_int_equal(invalidate(f, nested, inv, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
				    sizeof(*inv), &num), -EINVAL);
	assert_int_equal(num, 0);
	num = 1;
	assert_int_equal(invalidate(f, nested, inv, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    PG + 1, &num), -EINVAL);
	/* The first entry is done, the second refused: one reported. */
	num = 2;
	inv[1].flags = 0xffffffff;
	inv[1].iotlb_id = 1;
	assert_int_equal(invalidate(f, nested, inv, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    sizeof(*inv), &num), -EOPNOTSUPP);
	assert_int_equal(num, 1);
	assert_int_equal(check_iotlb(f, nested, 0, 0), 0);
	assert_int_equal(check_iotlb(f, nested, 1, IOMMU_TEST_IOTLB_DEFAULT), 0);
	num = 1;
	inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	assert_int_equal(invalidate(f, nested, inv, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    sizeof(*inv), &num), 0);
	assert_int_equal(check_iotlb(f, nested, 3, 0), 0);

	/* Attached, the nested domain is busy; the parent while it exists. */
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = m.stdev,
				    .mock_domain_replace.pt_id = nested };
	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_equal(destroy(f, nested), -EBUSY);
	c.mock_domain_replace.pt_id = ioas;
	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_equal(destroy(f, nested), 0);
	assert_int_equal(destroy(f, parent), 0);
}

/* ---- faults ---- */

static void fault_alloc(struct fx *f, uint32_t *id, uint32_t *fd)
{
	struct iommu_fault_alloc a = { .size = sizeof(a) };

	assert_int_equal(ioc(f, IOMMU_FAULT_QUEUE_ALLOC, &a), 0);
	*id = a.out_fault_id;
	*fd = a.out_fault_fd;
}

static void test_fault_queue_roundtrip(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), parent, iopf, fid, ffd;
	struct mock m = mock_domain(f, ioas);
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };
	struct iommu_hwpt_pgfault pf[2];
	struct iommu_hwpt_page_response resp = { .code = IOMMUFD_PAGE_RESP_SUCCESS };
	struct iemu_anon *file;

	fault_alloc(f, &fid, &ffd);
	file = iemu_anon_lookup(f->emu, (int)ffd);
	assert_non_null(file);
	assert_string_equal(iemu_anon_name(file), "[iommufd-pgfault]");
	assert_int_equal(iemu_anon_poll(file), POLLOUT);
	assert_int_equal(iemu_anon_read(file, pf, sizeof(pf[0]), 0), 0);
	assert_int_equal(iemu_anon_read(file, pf, 5, 0), -ESPIPE);
	assert_int_equal(hwpt_alloc(f, m.idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &parent), 0);
	assert_int_equal(hwpt_alloc(f, m.idev, parent, IOMMU_HWPT_FAULT_ID_VALID,
				    IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), UINT32_MAX,
				    NULL), -ENOENT);
	assert_int_equal(hwpt_alloc(f, m.idev, parent, IOMMU_HWPT_FAULT_ID_VALID,
				    IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), fid, &iopf), 0);
	assert_int_equal(destroy(f, fid), -EBUSY);
	c.id = m.stdev;
	c.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
	c.mock_domain_replace.pt_id = iopf;
	assert_int_equal(test_cmd(f, &c), 0);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_TRIGGER_IOPF,
				     .trigger_iopf = { .dev_id = m.idev, .pasid = 1, .grpid = 2,
						       .perm = IOMMU_PGFAULT_PERM_READ,
						       .addr = 0xdeadbeaf } };
	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_equal(iemu_anon_poll(file), POLLOUT | POLLIN | POLLRDNORM);
	/* Too small for the group: EINVAL; then one record. */
	assert_int_equal(iemu_anon_read(file, pf, 0, 0), -EINVAL);
	assert_int_equal(iemu_anon_read(file, pf, sizeof(pf), 0), sizeof(pf[0]));
	assert_int_equal(pf[0].dev_id, m.idev);
	assert_int_equal(pf[0].pasid, 1);
	assert_int_equal(pf[0].grpid, 2);
	assert_int_equal(pf[0].addr, 0xdeadbeaf);
	assert_int_equal(pf[0].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE | IOMMU_PGFAULT_FLAGS_PASID_VALID);
	assert_int_equal(pf[0].cookie, 1);
	resp.cookie = 7;
	assert_int_equal(iemu_anon_write(file, &resp, sizeof(resp), 0), -EINVAL);
	resp.cookie = pf[0].cookie;
	resp.code = 5;
	assert_int_equal(iemu_anon_write(file, &resp, sizeof(resp), 0), -EINVAL);
	resp.code = IOMMUFD_PAGE_RESP_SUCCESS;
	assert_int_equal(iemu_anon_write(file, &resp, sizeof(resp), 0), sizeof(resp));
	iemu_anon_put(file);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = m.stdev,
				     .mock_domain_replace.pt_id = ioas };
	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_equal(destroy(f, iopf), 0);
	/* The open file holds the queue. */
	assert_int_equal(destroy(f, fid), -EBUSY);
	assert_int_equal(iemu_anon_close(f->emu, (int)ffd), 0);
	assert_int_equal(destroy(f, fid), 0);
}

/* ---- vIOMMU, vDEVICE, vEVENTQ, HW queues ---- */

struct vsetup {
	uint32_t ioas, parent, viommu, nested;
	struct mock m;
};

static void viommu_setup(struct fx *f, struct vsetup *v)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_viommu_alloc a = { .size = sizeof(a), .type = IOMMU_VIOMMU_TYPE_SELFTEST };

	v->ioas = ioas_alloc(f);
	v->m = mock_domain(f, v->ioas);
	assert_int_equal(hwpt_alloc(f, v->m.idev, v->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &v->parent), 0);
	a.dev_id = v->m.idev;
	a.hwpt_id = v->parent;
	assert_int_equal(ioc(f, IOMMU_VIOMMU_ALLOC, &a), 0);
	v->viommu = a.out_viommu_id;
	assert_int_equal(hwpt_alloc(f, v->m.idev, v->viommu, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, &v->nested), 0);
}

static long vdevice_alloc(struct fx *f, uint32_t viommu, uint32_t dev, uint64_t virt,
			  uint32_t *out)
{
	struct iommu_vdevice_alloc a = { .size = sizeof(a), .viommu_id = viommu, .dev_id = dev,
					 .virt_id = virt };
	long rc = ioc(f, IOMMU_VDEVICE_ALLOC, &a);

	if (out)
		*out = a.out_vdevice_id;
	return rc;
}

static void test_viommu_negative(void **state)
{
	struct fx *f = *state;
	struct vsetup v;
	uint32_t plain;
	struct iommu_viommu_alloc a = { .size = sizeof(a), .type = IOMMU_VIOMMU_TYPE_SELFTEST };

	viommu_setup(f, &v);
	a.dev_id = v.m.idev;
	assert_int_equal(ioc(f, IOMMU_VIOMMU_ALLOC, &a), -ENOENT);
	assert_int_equal(hwpt_alloc(f, v.m.idev, v.ioas, 0, IOMMU_HWPT_DATA_NONE, NULL, 0, 0,
				    &plain), 0);
	a.hwpt_id = plain;
	assert_int_equal(ioc(f, IOMMU_VIOMMU_ALLOC, &a), -EINVAL);
	a.hwpt_id = v.parent;
	a.type = 0xdead;
	assert_int_equal(ioc(f, IOMMU_VIOMMU_ALLOC, &a), -EOPNOTSUPP);
	a.type = IOMMU_VIOMMU_TYPE_DEFAULT;
	assert_int_equal(ioc(f, IOMMU_VIOMMU_ALLOC, &a), -EOPNOTSUPP);
	assert_int_equal(destroy(f, v.parent), -EBUSY);
	assert_int_equal(destroy(f, v.viommu), -EBUSY);
}

static void test_viommu_mmap_loopback(void **state)
{
	struct fx *f = *state;
	struct vsetup v;
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	struct iommu_viommu_alloc a = { .size = sizeof(a), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
					.data_len = sizeof(data), .data_uptr = (uintptr_t)&data };
	uint32_t *page = malloc(2 * PG);

	viommu_setup(f, &v);
	a.dev_id = v.m.idev;
	a.hwpt_id = v.parent;
	assert_int_equal(ioc(f, IOMMU_VIOMMU_ALLOC, &a), 0);
	assert_int_equal(data.out_data, 0xbeef);
	assert_int_equal(data.out_mmap_length, 2 * PG);
	/* The first region sits one page in. */
	assert_int_equal(data.out_mmap_offset, PG);
	assert_int_equal(iemu_ctx_mmap(f->ctx, f->self, PG + PG, 2 * PG, true, false, (uintptr_t)page), -ENXIO);
	assert_int_equal(iemu_ctx_mmap(f->ctx, f->self, PG, PG, true, false, (uintptr_t)page), -ENXIO);
	assert_int_equal(iemu_ctx_mmap(f->ctx, f->self, PG, 4 * PG, true, false, (uintptr_t)page), -ENXIO);
	assert_int_equal(iemu_ctx_mmap(f->ctx, f->self, PG, 2 * PG, false, false, (uintptr_t)page), -EINVAL);
	assert_int_equal(iemu_ctx_mmap(f->ctx, f->self, PG, 2 * PG, true, true, (uintptr_t)page), -EPERM);
	assert_int_equal(iemu_ctx_mmap(f->ctx, f->self, PG, 2 * PG, true, false, (uintptr_t)page), 0);
	assert_int_equal(page[0], 0xbeef);
	/* The mapping keeps its owner. */
	assert_int_equal(destroy(f, a.out_viommu_id), -EBUSY);
	iemu_ctx_munmap(f->ctx, PG, 2 * PG);
	assert_int_equal(destroy(f, a.out_viommu_id), 0);
	assert_int_equal(iemu_ctx_mmap(f->ctx, f->self, PG, 2 * PG, true, false, (uintptr_t)page), -ENXIO);
	free(page);
}

static void test_vdevice_and_vevents(void **state)
{
	struct fx *f = *state;
	struct vsetup v;
	uint32_t vdev, qid, qfd;
	struct iommu_veventq_alloc q = { .size = sizeof(q), .type = IOMMU_VEVENTQ_TYPE_SELFTEST };
	struct iommu_test_cmd rep = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	struct iommu_test_cmd trig = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };
	struct {
		struct iommufd_vevent_header hdr;
		struct iommu_viommu_event_selftest ev;
	} buf[4];
	struct iemu_anon *file;

	viommu_setup(f, &v);
	rep.id = v.m.stdev;
	rep.mock_domain_replace.pt_id = v.nested;
	/* A nested domain of a vIOMMU needs the device's vDEVICE first. */
	assert_int_equal(test_cmd(f, &rep), -ENOENT);
	q.viommu_id = v.viommu;
	q.veventq_depth = 0;
	assert_int_equal(ioc(f, IOMMU_VEVENTQ_ALLOC, &q), -EINVAL);
	q.veventq_depth = (1u << 19) + 1;
	assert_int_equal(ioc(f, IOMMU_VEVENTQ_ALLOC, &q), -EINVAL);
	q.veventq_depth = 2;
	assert_int_equal(ioc(f, IOMMU_VEVENTQ_ALLOC, &q), 0);
	qid = q.out_veventq_id;
	qfd = q.out_veventq_fd;
	assert_int_equal(ioc(f, IOMMU_VEVENTQ_ALLOC, &q), -EEXIST);
	file = iemu_anon_lookup(f->emu, (int)qfd);
	assert_non_null(file);
	assert_int_equal(iemu_anon_read(file, buf, 0, 0), -EINVAL);
	assert_int_equal(iemu_anon_read(file, buf, sizeof(buf), 0), 0);
	assert_int_equal(iemu_anon_write(file, buf, 8, 0), -EINVAL);

	assert_int_equal(vdevice_alloc(f, v.viommu, v.m.idev, 0x99, &vdev), 0);
	assert_int_equal(vdevice_alloc(f, v.viommu, v.m.idev, 0x99, NULL), -EEXIST);
	assert_int_equal(test_cmd(f, &rep), 0);
	trig.trigger_vevent.dev_id = v.m.idev;
	assert_int_equal(test_cmd(f, &trig), 0);
	assert_int_equal(iemu_anon_poll(file), POLLIN | POLLRDNORM);
	/* The header fits, the event does not. */
	assert_int_equal(iemu_anon_read(file, buf, sizeof(buf[0].hdr), 0), -EINVAL);
	assert_int_equal(iemu_anon_read(file, buf, sizeof(buf), 0), sizeof(buf[0]));
	assert_int_equal(buf[0].hdr.sequence, 0);
	assert_int_equal(buf[0].hdr.flags, 0);
	assert_int_equal(buf[0].ev.virt_id, 0x99);
	/* Three events in a queue of two: the third is a lost-events header. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(test_cmd(f, &trig), 0);
	assert_int_equal(iemu_anon_read(file, buf, sizeof(buf), 0),
			 2 * sizeof(buf[0]) + sizeof(buf[0].hdr));
	assert_int_equal(buf[1].hdr.sequence, 2);
	assert_int_equal(((struct iommufd_vevent_header *)&buf[2])->flags,
			 IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	assert_int_equal(((struct iommufd_vevent_header *)&buf[2])->sequence, 3);
	iemu_anon_put(file);

	rep.mock_domain_replace.pt_id = v.ioas;
	assert_int_equal(test_cmd(f, &rep), 0);
	assert_int_equal(test_cmd(f, &trig), -ENOENT);
	assert_int_equal(destroy(f, qid), -EBUSY);
	assert_int_equal(iemu_anon_close(f->emu, (int)qfd), 0);
	assert_int_equal(destroy(f, qid), 0);
	/* The vDEVICE dies with its device and leaves its id unusable. */
	assert_int_equal(destroy(f, v.m.stdev), 0);
	assert_int_equal(destroy(f, vdev), -ENOENT);
	assert_int_not_equal(ioas_alloc(f), vdev);
}

static void test_viommu_cache_invalidate(void **state)
{
	struct fx *f = *state;
	struct vsetup v;
	struct iommu_viommu_invalidate_selftest inv[2] = { 0 };
	struct iommu_test_cmd cc = { .op = IOMMU_TEST_OP_DEV_CHECK_CACHE };
	uint32_t num;

	viommu_setup(f, &v);
	assert_int_equal(vdevice_alloc(f, v.viommu, v.m.idev, 0x99, NULL), 0);
	cc.id = v.m.idev;
	cc.check_dev_cache = (typeof(cc.check_dev_cache)){ .id = 0,
							    .cache = IOMMU_TEST_DEV_CACHE_DEFAULT };
	assert_int_equal(test_cmd(f, &cc), 0);
	num = 0;
	assert_int_equal(invalidate(f, v.viommu, inv, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				    sizeof(*inv), &num), 0);
	num = 1;
	inv[0].vdev_id = 0x9;
	assert_int_equal(invalidate(f, v.viommu, inv, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				    sizeof(*inv), &num), -EINVAL);
	assert_int_equal(num, 0);
	num = 2;
	inv[0].vdev_id = inv[1].vdev_id = 0x99;
	inv[1].cache_id = MOCK_DEV_CACHE_ID_MAX + 1;
	assert_int_equal(invalidate(f, v.viommu, inv, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				    sizeof(*inv), &num), -EINVAL);
	assert_int_equal(num, 1);
	cc.check_dev_cache.cache = 0;
	assert_int_equal(test_cmd(f, &cc), 0);
	cc.check_dev_cache.id = 1;
	assert_int_equal(test_cmd(f, &cc), -EINVAL);
}

static long hw_queue_alloc(struct fx *f, uint32_t viommu, uint32_t type, uint32_t idx,
			   uint64_t iova, uint64_t len, uint32_t *out)
{
	struct iommu_hw_queue_alloc a = { .size = sizeof(a), .viommu_id = viommu, .type = type,
					  .index = idx, .nesting_parent_iova = iova,
					  .length = len };
	long rc = ioc(f, IOMMU_HW_QUEUE_ALLOC, &a);

	if (out)
		*out = a.out_hw_queue_id;
	return rc;
}

static void test_hw_queues(void **state)
{
	struct fx *f = *state;
	struct vsetup v;
	uint8_t *p = buffer(2 * PG);
	uint64_t iova, iova2;
	uint32_t q0, q1;
	const uint32_t T = IOMMU_HW_QUEUE_TYPE_SELFTEST;

	viommu_setup(f, &v);
	assert_int_equal(hw_queue_alloc(f, v.viommu, 0, 0, MOCK_APERTURE_START, PG, NULL),
			 -EOPNOTSUPP);
	assert_int_equal(hw_queue_alloc(f, v.viommu, T, 0, MOCK_APERTURE_START, 0, NULL), -EINVAL);
	assert_int_equal(hw_queue_alloc(f, v.viommu, T, 0, UINT64_MAX, PG, NULL), -EOVERFLOW);
	assert_int_equal(hw_queue_alloc(f, v.viommu, T, 0, MOCK_APERTURE_START, PG, NULL), -ENOENT);
	assert_int_equal(map_any(f, v.ioas, p, PG, IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE, &iova), 0);
	assert_int_equal(map_any(f, v.ioas, p + PG, PG, IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE, &iova2), 0);
	assert_int_equal(hw_queue_alloc(f, v.viommu, T, 1, iova, PG, NULL), -EIO);
	assert_int_equal(hw_queue_alloc(f, v.viommu, T, IOMMU_TEST_HW_QUEUE_MAX, iova, PG, NULL),
			 -EINVAL);
	assert_int_equal(hw_queue_alloc(f, v.viommu, T, 0, iova, PG, &q0), 0);
	assert_int_equal(hw_queue_alloc(f, v.viommu, T, 0, iova, PG, NULL), -EEXIST);
	/* The queue's memory is locked in the IOAS. */
	assert_int_equal(unmap(f, v.ioas, iova, PG, NULL), -EBUSY);
	assert_int_equal(unmap(f, v.ioas, iova2, PG, NULL), 0);
	assert_int_equal(hw_queue_alloc(f, v.viommu, T, 1, iova + PG / 2, PG / 2, &q1), 0);
	assert_int_equal(destroy(f, q0), -EBUSY);
	assert_int_equal(destroy(f, q1), 0);
	assert_int_equal(destroy(f, q0), 0);
	assert_int_equal(unmap(f, v.ioas, iova, PG, NULL), 0);
	munmap(p, 2 * PG);
}

/* ---- PASIDs ---- */

static long pasid_op(struct fx *f, uint32_t op, uint32_t stdev, uint32_t pasid, uint32_t pt)
{
	struct iommu_test_cmd c = { .op = op, .id = stdev,
				    .pasid_attach = { .pasid = pasid, .pt_id = pt } };

	return test_cmd(f, &c);
}

static void test_pasid_attach_rules(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), parent, s2, nested;
	struct mock m = mock_domain_flags(f, ioas, MOCK_FLAGS_DEVICE_PASID);
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_test_cmd rep = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = m.stdev };

	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_DETACH, m.stdev, 100, 0), 0);
	assert_int_equal(hwpt_alloc(f, m.idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &parent), 0);
	assert_int_equal(hwpt_alloc(f, m.idev, parent, IOMMU_HWPT_ALLOC_PASID,
				    IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), 0, &nested), 0);
	assert_int_equal(hwpt_alloc(f, m.idev, ioas, IOMMU_HWPT_ALLOC_PASID,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &s2), 0);
	/* The RID's domain is not PASID compatible: no PASID may attach. */
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_ATTACH, m.stdev, 100, s2), -EINVAL);
	rep.mock_domain_replace.pt_id = s2;
	assert_int_equal(test_cmd(f, &rep), 0);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_ATTACH, m.stdev, 100, nested), 0);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_ATTACH, m.stdev, 100, nested), -EBUSY);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_CHECK_HWPT, m.stdev, 100, nested), 0);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_CHECK_HWPT, m.stdev, 100, s2), -EINVAL);
	/* And the RID cannot leave for a domain that is not. */
	rep.mock_domain_replace.pt_id = parent;
	assert_int_equal(test_cmd(f, &rep), -EINVAL);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_DETACH, m.stdev, 100, 0), 0);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_CHECK_HWPT, m.stdev, 100, 0), 0);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_REPLACE, m.stdev, 200, s2), -EINVAL);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_ATTACH, m.stdev, 200, ioas), -EINVAL);
	/* PASIDs above the device's 20 bits. */
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_ATTACH, m.stdev, 1u << 20, s2), -EINVAL);
	/* The second attach of PASID 1024 fails, keeping the first. */
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_ATTACH, m.stdev, 1024, s2), 0);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_REPLACE, m.stdev, 1024, nested), -ENOMEM);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_CHECK_HWPT, m.stdev, 1024, s2), 0);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_DETACH, m.stdev, 1024, 0), 0);
	assert_int_equal(pasid_op(f, IOMMU_TEST_OP_PASID_ATTACH, m.stdev, 1024, s2), 0);
	/* Destroying the device detaches everything. */
	assert_int_equal(destroy(f, s2), -EBUSY);
	assert_int_equal(destroy(f, m.stdev), 0);
	assert_int_equal(destroy(f, s2), 0);
}

/* ---- dma-bufs ---- */

static void test_dmabuf_map_and_revoke(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DMABUF_GET,
				    .dmabuf_get = { .length = 4 * PG } };
	struct iommu_ioas_map_file mf = { .size = sizeof(mf), .ioas_id = ioas,
					  .flags = IOMMU_IOAS_MAP_READABLE, .length = 4 * PG };
	long fd = test_cmd(f, &c);

	assert_true(fd >= IEMU_ANON_FD_BASE);
	c.dmabuf_get.length = 513 * PG;
	assert_int_equal(test_cmd(f, &c), -EINVAL);
	mf.fd = (int32_t)fd;
	mf.start = 1;
	assert_int_equal(ioc(f, IOMMU_IOAS_MAP_FILE, &mf), -EINVAL);
	mf.start = 0;
	assert_int_equal(ioc(f, IOMMU_IOAS_MAP_FILE, &mf), 0);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DMABUF_REVOKE,
				     .dmabuf_revoke = { .dmabuf_fd = (int32_t)fd, .revoked = 1 } };
	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_equal(ioc(f, IOMMU_IOAS_MAP_FILE, &mf), -ENODEV);
	c.dmabuf_revoke.revoked = 0;
	assert_int_equal(test_cmd(f, &c), 0);
	assert_int_equal(ioc(f, IOMMU_IOAS_MAP_FILE, &mf), 0);
	c.dmabuf_revoke.dmabuf_fd = 12345;
	assert_int_equal(test_cmd(f, &c), -EBADF);
	assert_int_equal(iemu_anon_close(f->emu, (int)fd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_test_cmd_needs_selftest_mock, fx_setup,
						fx_teardown),
#define T(fn) cmocka_unit_test_setup_teardown(fn, st_setup, fx_teardown)
		T(test_mock_domain_geometry_and_ids),
		T(test_mock_domain_bad_flags_and_pt),
		T(test_hw_info_of_mock_device),
		T(test_replace_frees_automatic_domain),
		T(test_add_reserved),
		T(test_check_map_and_refs),
		T(test_check_map_memfd_through_its_mapping),
		T(test_memory_limit),
		T(test_access_pin_items_and_unmap),
		T(test_access_rw_and_replace),
		T(test_access_holds_context),
		T(test_dirty_through_the_mock),
		T(test_dirty_huge_leaf),
		T(test_no_dirty_device),
		T(test_nested_alloc_and_invalidate),
		T(test_fault_queue_roundtrip),
		T(test_viommu_negative),
		T(test_viommu_mmap_loopback),
		T(test_vdevice_and_vevents),
		T(test_viommu_cache_invalidate),
		T(test_hw_queues),
		T(test_pasid_attach_rules),
		T(test_dmabuf_map_and_revoke),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
