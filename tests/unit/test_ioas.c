// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_ALLOC, IOMMU_DESTROY, IOMMU_IOAS_IOVA_RANGES and
 * IOMMU_IOAS_ALLOW_IOVAS: ids, busy objects, usable ranges, allowed ranges.
 */
#include "helpers.h"

static long iova_ranges(struct fx *f, uint32_t ioas, struct iommu_iova_range *r,
			uint32_t *num, uint64_t *align)
{
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = *num,
		.allowed_iovas = (uintptr_t)r,
	};
	long rc = ioc(f, IOMMU_IOAS_IOVA_RANGES, &q);

	*num = q.num_iovas;
	if (align)
		*align = q.out_iova_alignment;
	return rc;
}

static long allow(struct fx *f, uint32_t ioas, const struct iommu_iova_range *r,
		  uint32_t n)
{
	struct iommu_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = ioas, .num_iovas = n,
		.allowed_iovas = (uintptr_t)r,
	};

	return ioc(f, IOMMU_IOAS_ALLOW_IOVAS, &a);
}

static void test_alloc_rejects_flags(void **state)
{
	struct fx *f = *state;
	struct iommu_ioas_alloc a = { .size = sizeof(a), .flags = 1 };

	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, &a), -EOPNOTSUPP);
	assert_int_equal(a.out_ioas_id, 0);
	assert_int_equal(ioas_alloc(f), 1);
}

static void test_ids_are_lowest_free_from_one(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ioas_alloc(f), 1);
	assert_int_equal(ioas_alloc(f), 2);
	assert_int_equal(ioas_alloc(f), 3);
	assert_int_equal(destroy(f, 2), 0);
	assert_int_equal(ioas_alloc(f), 2);
	assert_int_equal(destroy(f, 1), 0);
	assert_int_equal(destroy(f, 3), 0);
	assert_int_equal(ioas_alloc(f), 1);
	assert_int_equal(ioas_alloc(f), 3);
	assert_int_equal(ioas_alloc(f), 4);
}

static void test_destroy_unknown_is_enoent(void **state)
{
	struct fx *f = *state;

	assert_int_equal(destroy(f, 0), -ENOENT);
	assert_int_equal(destroy(f, 1), -ENOENT);
	assert_int_equal(destroy(f, UINT32_MAX), -ENOENT);
	ioas_alloc(f);
	assert_int_equal(destroy(f, 1), 0);
	assert_int_equal(destroy(f, 1), -ENOENT);
}

static void test_destroy_with_mappings_unmaps_them(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	void *buf = pages(4);
	struct iemu_ctx_stats st;

	assert_int_equal(map_at(f, ioas, buf, 4 * PG, 0x100000, RW), 0);
	iemu_ctx_stats(f->ctx, &st);
	assert_int_equal(st.areas, 1);
	assert_int_equal(destroy(f, ioas), 0);
	iemu_ctx_stats(f->ctx, &st);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.areas, 0);
	munmap(buf, 4 * PG);
}

static void test_destroy_of_ioas_held_by_hwpt_is_ebusy(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	long hwpt = add_domain(f, ioas, NULL);

	assert_int_equal(hwpt, 2);
	assert_int_equal(destroy(f, ioas), -EBUSY);
	assert_int_equal(destroy(f, (uint32_t)hwpt), 0);
	assert_int_equal(destroy(f, ioas), 0);
}

static void test_iova_ranges_of_a_fresh_ioas(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), num = 0;
	struct iommu_iova_range r[2] = { 0 };
	uint64_t align = 0;

	/* Probing with no room: EMSGSIZE, with the count written back. */
	assert_int_equal(iova_ranges(f, ioas, NULL, &num, &align), -EMSGSIZE);
	assert_int_equal(num, 1);
	assert_int_equal(align, 1);
	num = 2;
	assert_int_equal(iova_ranges(f, ioas, r, &num, &align), 0);
	assert_int_equal(num, 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, UINT64_MAX);
	assert_int_equal(r[1].start, 0);
}

static void test_iova_ranges_errors(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), num = 1;
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .__reserved = 1,
	};

	assert_int_equal(ioc(f, IOMMU_IOAS_IOVA_RANGES, &q), -EOPNOTSUPP);
	q.__reserved = 0;
	q.ioas_id = 9;
	assert_int_equal(ioc(f, IOMMU_IOAS_IOVA_RANGES, &q), -ENOENT);
	/* An unwritable array: EFAULT, and the struct is not written back. */
	assert_int_equal(iova_ranges(f, ioas, (void *)16, &num, NULL), -EFAULT);
	assert_int_equal(num, 1);
}

static void test_iova_ranges_follow_the_domain_aperture(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), num = 4;
	struct iommu_iova_range r[4];
	struct hwpt_geometry geo = test_geo;
	uint64_t align;

	geo.aperture_start = 0x1000;
	assert_true(add_domain(f, ioas, &geo) > 0);
	assert_int_equal(iova_ranges(f, ioas, r, &num, &align), 0);
	assert_int_equal(num, 1);
	assert_int_equal(r[0].start, 0x1000);
	assert_int_equal(r[0].last, (1ULL << 48) - 1);
	assert_int_equal(align, PG);
}

static void test_allow_iovas_errors(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct iommu_iova_range bad_order[] = { { 0x2000, 0x1fff } };
	struct iommu_iova_range single[] = { { 0x2000, 0x2000 } };
	struct iommu_iova_range overlap[] = { { 0x1000, 0x2fff }, { 0x2000, 0x4fff } };
	struct iommu_ioas_allow_iovas a = { .size = sizeof(a), .ioas_id = ioas,
					    .__reserved = 1 };

	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOW_IOVAS, &a), -EOPNOTSUPP);
	assert_int_equal(allow(f, 7, single, 1), -ENOENT);
	assert_int_equal(allow(f, ioas, bad_order, 1), -EINVAL);
	assert_int_equal(allow(f, ioas, single, 1), -EINVAL);
	assert_int_equal(allow(f, ioas, overlap, 2), -EINVAL);
	assert_int_equal(allow(f, ioas, (void *)8, 1), -EFAULT);
	assert_int_equal(allow(f, ioas, NULL, 0), 0);
}

static void test_allowed_ranges_steer_allocation_not_fixed_maps(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), num = 2;
	struct iommu_iova_range win[] = { { 0x40000000, 0x400fffff } };
	struct iommu_iova_range out[2];
	void *buf = pages(1);
	uint64_t iova;

	assert_int_equal(allow(f, ioas, win, 1), 0);
	assert_int_equal(map_any(f, ioas, buf, PG, RW, &iova), 0);
	assert_int_equal(iova, 0x40000000);
	/* Fixed maps ignore the allowed list. */
	assert_int_equal(map_at(f, ioas, buf, PG, 0x1000, RW), 0);
	/* IOVA_RANGES reports the usable space, not the allowed list. */
	assert_int_equal(iova_ranges(f, ioas, out, &num, NULL), 0);
	assert_int_equal(num, 1);
	assert_int_equal(out[0].last, UINT64_MAX);
	/* Clearing the list allocates from the bottom again. */
	assert_int_equal(allow(f, ioas, NULL, 0), 0);
	assert_int_equal(map_any(f, ioas, buf, PG, RW, &iova), 0);
	assert_int_equal(iova, 0x2000);
	munmap(buf, PG);
}

static void test_allowed_range_over_reserved_is_eaddrinuse(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct hwpt_geometry geo = test_geo;
	struct iommu_iova_range low[] = { { 0x1000, 0x1fff } };
	struct iommu_iova_range ok[] = { { 0x100000, 0x1fffff } };
	long hwpt;

	geo.aperture_start = 0x10000;
	hwpt = add_domain(f, ioas, &geo);
	assert_true(hwpt > 0);
	assert_int_equal(allow(f, ioas, low, 1), -EADDRINUSE);
	assert_int_equal(allow(f, ioas, ok, 1), 0);
	/* And the other way round: a domain cannot reserve an allowed range. */
	assert_int_equal(destroy(f, (uint32_t)hwpt), 0);
	assert_int_equal(allow(f, ioas, low, 1), 0);
	assert_int_equal(add_domain(f, ioas, &geo), -EADDRINUSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc_rejects_flags, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ids_are_lowest_free_from_one, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_unknown_is_enoent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_with_mappings_unmaps_them, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_of_ioas_held_by_hwpt_is_ebusy, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_iova_ranges_of_a_fresh_ioas, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_iova_ranges_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_iova_ranges_follow_the_domain_aperture, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_allow_iovas_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_allowed_ranges_steer_allocation_not_fixed_maps, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_allowed_range_over_reserved_is_eaddrinuse, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
