// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_MAP, IOMMU_IOAS_UNMAP and IOMMU_IOAS_COPY: argument checks in
 * the kernel's order, fixed and allocated IOVAs, the whole-area rule.
 */
#include "helpers.h"

static long map_raw(struct fx *f, struct iommu_ioas_map *m)
{
	m->size = sizeof(*m);
	return ioc(f, IOMMU_IOAS_MAP, m);
}

static long copy(struct fx *f, uint32_t dst, uint32_t src, uint64_t src_iova,
		 uint64_t len, uint64_t *dst_iova, uint32_t flags)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
		.src_ioas_id = src, .length = len, .dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	long rc = ioc(f, IOMMU_IOAS_COPY, &c);

	*dst_iova = c.dst_iova;
	return rc;
}

static void test_map_argument_checks_in_kernel_order(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	void *buf = pages(1);
	struct iommu_ioas_map m = {
		.flags = RW | (1u << 3), .ioas_id = ioas,
		.user_va = (uintptr_t)buf, .length = PG,
	};

	assert_int_equal(map_raw(f, &m), -EOPNOTSUPP);
	m.flags = RW;
	m.__reserved = 1;
	assert_int_equal(map_raw(f, &m), -EOPNOTSUPP);
	m.__reserved = 0;
	m.iova = UINT64_MAX;
	assert_int_equal(map_raw(f, &m), -EOVERFLOW);
	m.iova = 0;
	m.length = UINT64_MAX;
	assert_int_equal(map_raw(f, &m), -EOVERFLOW);
	m.length = PG;
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	assert_int_equal(map_raw(f, &m), -EINVAL);
	m.flags = RW;
	m.ioas_id = 99;
	assert_int_equal(map_raw(f, &m), -ENOENT);
	m.ioas_id = ioas;
	m.length = 0;
	assert_int_equal(map_raw(f, &m), -EINVAL);
	m.user_va = UINT64_MAX - PG + 1;
	m.length = PG;
	assert_int_equal(map_raw(f, &m), -EOVERFLOW);
	m.user_va = 0;
	m.length = UINT64_MAX - 1;
	assert_int_equal(map_raw(f, &m), -EINVAL);
	/* Nothing was mapped by any of these. */
	assert_int_equal(unmap(f, ioas, 0, UINT64_MAX, NULL), 0);
	munmap(buf, PG);
}

static void test_map_fixed_iova(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = pages(8);
	struct iommu_ioas_map m = {
		.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA, .ioas_id = ioas,
		.user_va = (uintptr_t)buf, .length = 4 * PG, .iova = 0x10000,
	};

	assert_int_equal(map_raw(f, &m), 0);
	assert_int_equal(m.iova, 0x10000);
	/* Any overlap with an area is EEXIST. */
	assert_int_equal(map_at(f, ioas, buf, PG, 0x13000, RW), -EEXIST);
	assert_int_equal(map_at(f, ioas, buf, 2 * PG, 0xf000, RW), -EEXIST);
	assert_int_equal(map_at(f, ioas, buf, PG, 0xf000, RW), 0);
	assert_int_equal(map_at(f, ioas, buf, PG, 0x14000, RW), 0);
	/* Wrap-around of iova + length. */
	assert_int_equal(map_at(f, ioas, buf, 2 * PG, UINT64_MAX - PG, RW),
			 -EOVERFLOW);
	assert_int_equal(map_at(f, ioas, buf, PG, UINT64_MAX - PG + 2, RW),
			 -EOVERFLOW);
	/* The top page itself can be mapped with a fixed IOVA. */
	assert_int_equal(map_at(f, ioas, buf, PG, UINT64_MAX - PG + 1, RW), 0);
	assert_int_equal(map_at(f, ioas, buf, PG, UINT64_MAX - 2 * PG + 1, RW), 0);
	munmap(buf, 8 * PG);
}

static void test_map_is_byte_granular_without_a_domain(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = pages(1);
	uint64_t len;

	assert_int_equal(map_at(f, ioas, buf + 3, 5, 0x1001, RW), 0);
	assert_int_equal(map_at(f, ioas, buf, 1, 0x1006, RW), 0);
	assert_int_equal(map_at(f, ioas, buf, 1, 0x1005, RW), -EEXIST);
	assert_int_equal(unmap(f, ioas, 0x1001, 6, &len), 0);
	assert_int_equal(len, 6);
	munmap(buf, PG);
}

static void test_map_alignment_with_a_domain(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = pages(4);
	uint64_t iova;

	assert_true(add_domain(f, ioas, NULL) > 0);
	assert_int_equal(map_at(f, ioas, buf, PG, 0x1800, RW), -EINVAL);
	assert_int_equal(map_at(f, ioas, buf, PG + 1, 0x1000, RW), -EINVAL);
	assert_int_equal(map_at(f, ioas, buf + 8, PG, 0x1000, RW), -EINVAL);
	/* Allocation whose natural alignment is below the IOAS's. */
	assert_int_equal(map_any(f, ioas, buf + 8, PG, RW, &iova), -EINVAL);
	assert_int_equal(map_at(f, ioas, buf, PG, 0x1000, RW), 0);
	/* Outside the 48-bit aperture: reserved, so EINVAL. */
	assert_int_equal(map_at(f, ioas, buf, PG, 1ULL << 48, RW), -EINVAL);
	munmap(buf, 4 * PG);
}

static void test_map_allocated_iova_follows_the_kernel(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *huge = (char *)(((uintptr_t)buf + (2 << 20) - 1) & ~((2ULL << 20) - 1));
	struct iommu_ioas_map m = { .flags = RW, .ioas_id = ioas };
	uint64_t iova;

	/* Never IOVA 0: the search starts at PAGE_SIZE. */
	assert_int_equal(map_any(f, ioas, huge, PG, RW, &iova), 0);
	assert_int_equal(iova, 0x1000);
	/* A 2 MiB-aligned source keeps 2 MiB alignment. */
	assert_int_equal(map_any(f, ioas, huge, 2 << 20, RW, &iova), 0);
	assert_int_equal(iova, 0x200000);
	/* The source's offset in its page is kept. */
	assert_int_equal(map_any(f, ioas, huge + 0x10, 0x100, RW, &iova), 0);
	assert_int_equal(iova, 0x2010);
	/* Alignment 1 with offset 1: the first hole, 0x2000, gives 0x2001. */
	assert_int_equal(map_any(f, ioas, huge + 1, 3, RW, &iova), 0);
	assert_int_equal(iova, 0x2001);
	/* user_va 0: the alignment is the length rounded up to a power of two. */
	m.length = 3 * PG;
	assert_int_equal(map_raw(f, &m), 0);
	assert_int_equal(m.iova, 0x4000);
	/* Alignment is capped at 2 MiB. */
	m.iova = 0;
	m.length = 8 << 20;
	assert_int_equal(map_raw(f, &m), 0);
	assert_int_equal(m.iova, 0x400000);
	/* Allocation needs length < 2^63. */
	m.length = 1ULL << 63;
	assert_int_equal(map_raw(f, &m), -EOVERFLOW);
	munmap(buf, 8 << 20);
}

static void test_map_allocation_skips_reserved_ranges(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct hwpt_geometry geo = test_geo;
	char *mem = pages(4);
	/* An 8 KiB-aligned source: two-page maps get 8 KiB alignment. */
	char *buf = (char *)(((uintptr_t)mem + 2 * PG - 1) & ~(2 * PG - 1));
	uint64_t iova;

	geo.aperture_start = 0x100000;
	geo.aperture_last = 0x103fff;
	assert_true(add_domain(f, ioas, &geo) > 0);
	assert_int_equal(map_any(f, ioas, buf, PG, RW, &iova), 0);
	assert_int_equal(iova, 0x100000);
	assert_int_equal(map_any(f, ioas, buf, 2 * PG, RW, &iova), 0);
	assert_int_equal(iova, 0x102000);
	assert_int_equal(map_any(f, ioas, buf, 2 * PG, RW, &iova), -ENOSPC);
	assert_int_equal(map_any(f, ioas, buf, PG, RW, &iova), 0);
	assert_int_equal(iova, 0x101000);
	munmap(mem, 4 * PG);
}

static void test_unmap_rules(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = pages(4);
	uint64_t len = 99;

	assert_int_equal(unmap(f, 42, 0, UINT64_MAX, NULL), -ENOENT);
	/* Unmap-all of nothing succeeds with length 0. */
	assert_int_equal(unmap(f, ioas, 0, UINT64_MAX, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(unmap(f, ioas, 1, UINT64_MAX, NULL), -EOVERFLOW);
	assert_int_equal(unmap(f, ioas, UINT64_MAX, 1, NULL), -EOVERFLOW);
	assert_int_equal(unmap(f, ioas, 0x1000, 0, NULL), -EINVAL);
	assert_int_equal(unmap(f, ioas, UINT64_MAX - 1, 2, NULL), 0 - ENOENT);
	assert_int_equal(unmap(f, ioas, UINT64_MAX - 1, 3, NULL), -EOVERFLOW);
	assert_int_equal(unmap(f, ioas, 0x1000, PG, NULL), -ENOENT);

	assert_int_equal(map_at(f, ioas, buf, 2 * PG, 0x10000, RW), 0);
	assert_int_equal(map_at(f, ioas, buf, 2 * PG, 0x20000, RW), 0);
	/* Part of an area: ENOENT, the length is not written back. */
	len = 7;
	assert_int_equal(unmap(f, ioas, 0x10000, PG, &len), -ENOENT);
	assert_int_equal(len, PG);
	assert_int_equal(unmap(f, ioas, 0x11000, 2 * PG, NULL), -ENOENT);
	/* A superset of whole areas: their total. */
	assert_int_equal(unmap(f, ioas, 0x8000, 0x30000, &len), 0);
	assert_int_equal(len, 4 * PG);
	assert_int_equal(unmap(f, ioas, 0x8000, 0x30000, &len), -ENOENT);
	munmap(buf, 4 * PG);
}

static void test_unmap_stops_at_a_partial_area_after_whole_ones(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = pages(4);
	uint64_t len;

	assert_int_equal(map_at(f, ioas, buf, PG, 0x10000, RW), 0);
	assert_int_equal(map_at(f, ioas, buf, 2 * PG, 0x11000, RW), 0);
	assert_int_equal(unmap(f, ioas, 0x10000, 2 * PG, NULL), -ENOENT);
	/* The whole area met first is gone already, as in the kernel. */
	assert_int_equal(map_at(f, ioas, buf, PG, 0x10000, RW), 0);
	assert_int_equal(unmap(f, ioas, 0, UINT64_MAX, &len), 0);
	assert_int_equal(len, 3 * PG);
	munmap(buf, 4 * PG);
}

static void test_copy_checks_and_sharing(void **state)
{
	struct fx *f = *state;
	uint32_t a = ioas_alloc(f), b = ioas_alloc(f);
	char *buf = pages(4);
	uint64_t iova = 0, want;
	struct iommu_ioas_copy c = { .size = sizeof(c), .flags = 1u << 3 };

	assert_int_equal(ioc(f, IOMMU_IOAS_COPY, &c), -EOPNOTSUPP);
	c.flags = RW;
	c.length = UINT64_MAX;
	assert_int_equal(ioc(f, IOMMU_IOAS_COPY, &c), -EOVERFLOW);
	c.length = PG;
	c.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	assert_int_equal(ioc(f, IOMMU_IOAS_COPY, &c), -EINVAL);

	assert_int_equal(map_at(f, a, buf, 2 * PG, 0x10000, RW), 0);
	assert_int_equal(map_at(f, a, buf + 2 * PG, 2 * PG, 0x12000,
				IOMMU_IOAS_MAP_READABLE), 0);
	assert_int_equal(copy(f, b, 77, 0x10000, PG, &iova, RW), -ENOENT);
	assert_int_equal(copy(f, b, a, 0x10000, 0, &iova, RW), -EINVAL);
	assert_int_equal(copy(f, b, a, 0xf000, 2 * PG, &iova, RW), -ENOENT);
	assert_int_equal(copy(f, 77, a, 0x10000, PG, &iova, RW), -ENOENT);
	/* Writeable copy of read-only pages: EPERM. */
	assert_int_equal(copy(f, b, a, 0x11000, 2 * PG, &iova, RW), -EPERM);
	/* A sub-range spanning two contiguous areas is accepted; the IOVA is
	 * aligned like its source address (the VA behind src_iova). */
	want = ((uintptr_t)(buf + PG) & (2 * PG - 1)) ? 0x1000 : 0x2000;
	assert_int_equal(copy(f, b, a, 0x11000, 2 * PG, &iova,
			      IOMMU_IOAS_MAP_READABLE), 0);
	assert_int_equal(iova, want);
	/* It made one area per source piece: each unmaps on its own. */
	assert_int_equal(unmap(f, b, want, PG, NULL), 0);
	assert_int_equal(unmap(f, b, want + PG, PG, NULL), 0);
	iova = 0x40000;
	assert_int_equal(copy(f, b, a, 0x10000, PG, &iova,
			      RW | IOMMU_IOAS_MAP_FIXED_IOVA), 0);
	assert_int_equal(iova, 0x40000);
	assert_int_equal(copy(f, b, a, 0x10000, PG, &iova,
			      RW | IOMMU_IOAS_MAP_FIXED_IOVA), -EEXIST);
	munmap(buf, 4 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_argument_checks_in_kernel_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_map_fixed_iova, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_map_is_byte_granular_without_a_domain, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_map_alignment_with_a_domain, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_map_allocated_iova_follows_the_kernel, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_map_allocation_skips_reserved_ranges, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_stops_at_a_partial_area_after_whole_ones, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_checks_and_sharing, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
