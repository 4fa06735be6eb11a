// SPDX-License-Identifier: MIT
/*
 * The shared ioctl rules of the iommufd file (the kernel's
 * iommufd_fops_ioctl): unknown numbers, reading the size, the minimum size,
 * the extensible-struct tail rule, the write-back length, and which table
 * the emulated kernel version has.
 */
#include <linux/ioctl.h>

#include "helpers.h"
#include "iommufd_emu/uapi/vfio.h"

/* Two pages: the first readable and writable, the second inaccessible. */
static unsigned char *guarded(void)
{
	unsigned char *p = pages(2);

	assert_int_equal(mprotect(p + PG, PG, PROT_NONE), 0);
	return p;
}

static void test_numbers_beyond_the_table_are_enotty_without_reading(void **state)
{
	struct fx *f = *state;

	/* 0x96 is past Linux 7.3's table: the compat handler answers, reading nothing. */
	assert_int_equal(ioc(f, _IO(IOMMUFD_TYPE, 0x96), NULL), -ENOTTY);
	assert_int_equal(ioc(f, _IO(IOMMUFD_TYPE, 0xa0), NULL), -ENOTTY);
	assert_int_equal(ioc(f, _IO(IOMMUFD_TYPE, 0x7f), NULL), -ENOTTY);
}

/* The kernel checks only the number field against its table; another type
 * byte is caught by the full comparison, after the size was read. */
static void test_foreign_type_byte_reads_the_size_first(void **state)
{
	struct fx *f = *state;
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	assert_int_equal(ioc(f, _IO('x', 0x85), NULL), -EFAULT);
	assert_int_equal(ioc(f, _IO('x', 0x85), &a), -ENOTTY);
	assert_int_equal(ioc(f, _IO('x', 0x70), NULL), -ENOTTY);
}

static void test_size_is_read_before_the_number_is_checked(void **state)
{
	struct fx *f = *state;
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	unsigned int wrong = _IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC,
				   struct iommu_ioas_alloc);

	assert_int_equal(ioc(f, wrong, NULL), -EFAULT);
	assert_int_equal(ioc(f, wrong, &a), -ENOTTY);
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, NULL), -EFAULT);
	assert_int_equal(ioc(f, IOMMU_DESTROY, (void *)8), -EFAULT);
}

static void test_shorter_than_minimum_is_einval(void **state)
{
	struct fx *f = *state;
	struct iommu_ioas_alloc a = { .size = 8 };
	struct iommu_destroy d = { .size = 7, .id = 1 };
	struct iommu_ioas_map m = { .size = 32 };

	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, &a), -EINVAL);
	assert_int_equal(a.out_ioas_id, 0);
	assert_int_equal(ioc(f, IOMMU_DESTROY, &d), -EINVAL);
	assert_int_equal(ioc(f, IOMMU_IOAS_MAP, &m), -EINVAL);
	a.size = 0;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, &a), -EINVAL);
}

static void test_longer_struct_with_zero_tail_is_accepted(void **state)
{
	struct fx *f = *state;
	unsigned char *p = guarded();
	struct iommu_ioas_alloc *a = (void *)(p + PG - 64);

	memset(a, 0, 64);
	a->size = 64;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), 0);
	assert_int_equal(a->out_ioas_id, 1);
	/* Only the kernel's 12 bytes are written back. */
	memset((unsigned char *)a + 12, 0, 52);
	a->out_ioas_id = 0;
	((unsigned char *)a)[40] = 0;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), 0);
	assert_int_equal(a->out_ioas_id, 2);
	munmap(p, 2 * PG);
}

static void test_nonzero_tail_is_e2big_and_creates_nothing(void **state)
{
	struct fx *f = *state;
	unsigned char buf[64] = { 0 };
	struct iommu_ioas_alloc *a = (void *)buf;

	a->size = sizeof(buf);
	buf[63] = 1;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), -E2BIG);
	assert_int_equal(a->out_ioas_id, 0);
	buf[63] = 0;
	buf[12] = 0x80;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), -E2BIG);
	buf[12] = 0;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), 0);
	assert_int_equal(a->out_ioas_id, 1);
}

static void test_tail_into_unreadable_memory(void **state)
{
	struct fx *f = *state;
	unsigned char *p = guarded();
	struct iommu_ioas_alloc *a = (void *)(p + PG - 16);

	memset(a, 0, 16);
	a->size = 32; /* the tail runs into the PROT_NONE page */
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), -EFAULT);
	/* A non-zero byte before the fault wins, as in the kernel's scan. */
	((unsigned char *)a)[13] = 1;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), -E2BIG);
	/* A huge size: the scan stops at the first unreadable page. */
	((unsigned char *)a)[13] = 0;
	a->size = UINT32_MAX;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), -EFAULT);
	munmap(p, 2 * PG);
}

static void test_struct_crossing_into_unreadable_memory(void **state)
{
	struct fx *f = *state;
	unsigned char *p = guarded();
	struct iommu_ioas_alloc *a = (void *)(p + PG - 8);

	a->size = sizeof(*a);
	a->flags = 0;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), -EFAULT);
	munmap(p, 2 * PG);
}

static void test_failed_write_back_creates_no_object(void **state)
{
	struct fx *f = *state;
	struct iommu_ioas_alloc *a = (void *)pages(1);
	uint32_t id;

	a->size = sizeof(*a);
	assert_int_equal(mprotect(a, PG, PROT_READ), 0);
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, a), -EFAULT);
	/* The id was given back: the next IOAS gets 1. */
	id = ioas_alloc(f);
	assert_int_equal(id, 1);
	assert_int_equal(destroy(f, 2), -ENOENT);
	munmap(a, PG);
}

static void test_write_back_is_limited_to_the_user_size(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct iommu_ioas_iova_ranges r = {
		.size = sizeof(r), .ioas_id = ioas, .out_iova_alignment = 77,
	};

	assert_int_equal(ioc(f, IOMMU_IOAS_IOVA_RANGES, &r), -EMSGSIZE);
	assert_int_equal(r.num_iovas, 1);
	assert_int_equal(r.out_iova_alignment, 1);
}

static void test_vfio_compat_answers_outside_the_table(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ioc(f, VFIO_GET_API_VERSION, NULL), VFIO_API_VERSION);
	assert_int_equal(iemu_ctx_ioctl(f->ctx, f->self, VFIO_CHECK_EXTENSION,
					VFIO_TYPE1v2_IOMMU), 1);
	assert_int_equal(iemu_ctx_ioctl(f->ctx, f->self, VFIO_CHECK_EXTENSION,
					VFIO_UPDATE_VADDR), 0);
	assert_int_equal(ioc(f, VFIO_IOMMU_DIRTY_PAGES, NULL), -ENOTTY);
	assert_int_equal(ioc(f, VFIO_DEVICE_GET_INFO, NULL), -ENOTTY);
}

/* Linux 6.12 LTS: MAP_FILE (6.13) and CHANGE_PROCESS (6.14) do not exist
 * and lie beyond its table, so even a bad pointer gives ENOTTY. */
static void test_612_has_no_map_file_or_change_process(void **state)
{
	struct fx *f = *state;
	struct iommu_ioas_change_process c = { .size = sizeof(c) };

	assert_int_equal(ioc(f, IOMMU_IOAS_MAP_FILE, NULL), -ENOTTY);
	assert_int_equal(ioc(f, IOMMU_IOAS_CHANGE_PROCESS, &c), -ENOTTY);
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, NULL), -EFAULT);
}

static void test_73_has_map_file_and_change_process(void **state)
{
	struct fx *f = *state;
	struct iommu_ioas_change_process c = { .size = sizeof(c) };

	assert_int_equal(ioc(f, IOMMU_IOAS_MAP_FILE, NULL), -EFAULT);
	assert_int_equal(ioc(f, IOMMU_IOAS_CHANGE_PROCESS, &c), 0);
}

static int setup_612(void **state)
{
	return fx_setup_kernel(state, IEMU_KERNEL_6_12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_numbers_beyond_the_table_are_enotty_without_reading, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_type_byte_reads_the_size_first, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_size_is_read_before_the_number_is_checked, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shorter_than_minimum_is_einval, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_longer_struct_with_zero_tail_is_accepted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nonzero_tail_is_e2big_and_creates_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tail_into_unreadable_memory, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_struct_crossing_into_unreadable_memory, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_back_creates_no_object, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_back_is_limited_to_the_user_size, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vfio_compat_answers_outside_the_table, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_612_has_no_map_file_or_change_process, setup_612, fx_teardown),
		cmocka_unit_test_setup_teardown(test_73_has_map_file_and_change_process, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
