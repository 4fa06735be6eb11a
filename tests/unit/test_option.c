// SPDX-License-Identifier: MIT
/*
 * IOMMU_OPTION (RLIMIT_MODE, HUGE_PAGES), IOMMU_VFIO_IOAS and the VFIO type1
 * compatibility ioctls of /dev/iommu.
 */
#include "helpers.h"
#include "iommufd_emu/uapi/vfio.h"

static long option(struct fx *f, uint32_t id, uint16_t op, uint32_t obj,
		   uint64_t *val)
{
	struct iommu_option o = {
		.size = sizeof(o), .option_id = id, .op = op, .object_id = obj,
		.val64 = *val,
	};
	long rc = ioc(f, IOMMU_OPTION, &o);

	*val = o.val64;
	return rc;
}

static uint64_t alignment(struct fx *f, uint32_t ioas)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas };

	assert_int_equal(ioc(f, IOMMU_IOAS_IOVA_RANGES, &q), -EMSGSIZE);
	return q.out_iova_alignment;
}

static void test_option_argument_checks(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct iommu_option o = { .size = sizeof(o), .op = IOMMU_OPTION_OP_GET,
				  .__reserved = 1 };
	uint64_t v = 0;

	assert_int_equal(ioc(f, IOMMU_OPTION, &o), -EOPNOTSUPP);
	assert_int_equal(option(f, 2, IOMMU_OPTION_OP_GET, 0, &v), -EOPNOTSUPP);
	assert_int_equal(option(f, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET,
				ioas, &v), -EOPNOTSUPP);
	assert_int_equal(option(f, IOMMU_OPTION_RLIMIT_MODE, 2, 0, &v), -EOPNOTSUPP);
	assert_int_equal(option(f, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
				77, &v), -ENOENT);
	assert_int_equal(option(f, IOMMU_OPTION_HUGE_PAGES, 2, ioas, &v),
			 -EOPNOTSUPP);
	v = 2;
	assert_int_equal(option(f, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
				ioas, &v), -EINVAL);
}

static void test_option_writes_back_only_val64(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	struct iommu_option o = {
		.size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET, .object_id = ioas, .val64 = 9,
	};
	unsigned char *ro = pages(1);

	assert_int_equal(ioc(f, IOMMU_OPTION, &o), 0);
	assert_int_equal(o.val64, 1);
	assert_int_equal(o.object_id, ioas);
	/* A read-only struct: the option is read, the write-back faults. */
	memcpy(ro, &o, sizeof(o));
	assert_int_equal(mprotect(ro, PG, PROT_READ), 0);
	assert_int_equal(ioc(f, IOMMU_OPTION, ro), -EFAULT);
	munmap(ro, PG);
}

static void test_rlimit_mode_get(void **state)
{
	struct fx *f = *state;
	uint64_t v = 5;

	assert_int_equal(option(f, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET,
				0, &v), 0);
	assert_int_equal(v, 0);
}

static void test_huge_pages_sets_the_alignment(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), other = ioas_alloc(f);
	char *buf = pages(2);
	uint64_t v = 0;

	assert_int_equal(option(f, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
				ioas, &v), 0);
	assert_int_equal(alignment(f, ioas), PG);
	assert_int_equal(alignment(f, other), 1);
	v = 7;
	assert_int_equal(option(f, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
				ioas, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(map_at(f, ioas, buf, 100, 0x10000, RW), -EINVAL);
	v = 1;
	assert_int_equal(option(f, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
				ioas, &v), 0);
	assert_int_equal(alignment(f, ioas), 1);
	/* Existing byte-granular areas forbid page alignment. */
	assert_int_equal(map_at(f, ioas, buf, 100, 0x10000, RW), 0);
	v = 0;
	assert_int_equal(option(f, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
				ioas, &v), -EADDRINUSE);
	/* Not once a domain holds mappings. */
	assert_int_equal(unmap(f, ioas, 0, UINT64_MAX, NULL), 0);
	assert_true(add_domain(f, ioas, NULL) > 0);
	assert_int_equal(map_at(f, ioas, buf, PG, 0x10000, RW), 0);
	assert_int_equal(option(f, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
				ioas, &v), -EINVAL);
	munmap(buf, 2 * PG);
}

static long vfio_ioas(struct fx *f, uint16_t op, uint32_t *id)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .ioas_id = *id, .op = op };
	long rc = ioc(f, IOMMU_VFIO_IOAS, &v);

	*id = v.ioas_id;
	return rc;
}

static void test_vfio_ioas_get_set_clear(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), id = 0;
	struct iommu_vfio_ioas v = { .size = sizeof(v), .__reserved = 1 };

	assert_int_equal(ioc(f, IOMMU_VFIO_IOAS, &v), -EOPNOTSUPP);
	assert_int_equal(vfio_ioas(f, 3, &id), -EOPNOTSUPP);
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_GET, &id), -ENODEV);
	id = 55;
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_SET, &id), -ENOENT);
	id = ioas;
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_SET, &id), 0);
	id = 0;
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_GET, &id), 0);
	assert_int_equal(id, ioas);
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_CLEAR, &id), 0);
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_GET, &id), -ENODEV);
	/* Destroying the compat IOAS forgets it; it was no reference. */
	id = ioas;
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_SET, &id), 0);
	assert_int_equal(destroy(f, ioas), 0);
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_GET, &id), -ENODEV);
}

static long compat(struct fx *f, unsigned int cmd, uint64_t arg)
{
	return iemu_ctx_ioctl(f->ctx, f->self, cmd, arg);
}

static void test_type1_map_unmap_on_the_compat_ioas(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = pages(4);
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf, .iova = 0x100000, .size = 4 * PG,
	};
	struct vfio_iommu_type1_dma_unmap un = {
		.argsz = sizeof(un), .iova = 0x100000, .size = 4 * PG,
	};

	assert_int_equal(compat(f, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map), -ENODEV);
	assert_int_equal(compat(f, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), -ENODEV);
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_SET, &ioas), 0);
	assert_int_equal(compat(f, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), 1);
	map.argsz = 31;
	assert_int_equal(compat(f, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map), -EINVAL);
	map.argsz = sizeof(map);
	map.flags |= VFIO_DMA_MAP_FLAG_VADDR;
	assert_int_equal(compat(f, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map), -EINVAL);
	map.flags &= ~VFIO_DMA_MAP_FLAG_VADDR;
	assert_int_equal(compat(f, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map), 0);
	assert_int_equal(compat(f, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map), -EEXIST);
	assert_int_equal(compat(f, VFIO_IOMMU_MAP_DMA, 0), -EFAULT);
	/* type1v2 cannot unmap part of a mapping: nothing is unmapped. */
	un.size = PG;
	assert_int_equal(compat(f, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&un), -ENOENT);
	assert_int_equal(un.size, 0);
	un.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	assert_int_equal(compat(f, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&un), -EINVAL);
	un.iova = 0;
	un.size = 0;
	assert_int_equal(compat(f, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&un), 0);
	assert_int_equal(un.size, 4 * PG);
	munmap(buf, 4 * PG);
}

static void test_type1_unmaps_inside_mappings(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = pages(4);
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ,
		.vaddr = (uintptr_t)buf, .iova = 0x100000, .size = 4 * PG,
	};
	struct vfio_iommu_type1_dma_unmap un = {
		.argsz = sizeof(un), .iova = 0x101000, .size = PG,
	};
	uint64_t len;

	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_SET, &ioas), 0);
	assert_int_equal(compat(f, VFIO_SET_IOMMU, 7), -EINVAL);
	assert_int_equal(compat(f, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU), 0);
	assert_int_equal(alignment(f, ioas), PG);
	assert_int_equal(compat(f, VFIO_IOMMU_MAP_DMA, (uintptr_t)&map), 0);
	assert_int_equal(compat(f, VFIO_IOMMU_UNMAP_DMA, (uintptr_t)&un), 0);
	assert_int_equal(un.size, PG);
	/* The cuts left [0x100000, 0x100fff] and [0x102000, 0x103fff]. */
	assert_int_equal(unmap(f, ioas, 0x100000, PG, &len), 0);
	assert_int_equal(unmap(f, ioas, 0x102000, 2 * PG, &len), 0);
	assert_int_equal(len, 2 * PG);
	munmap(buf, 4 * PG);
}

static void test_type1_get_info(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	unsigned char buf[256];
	struct vfio_iommu_type1_info *info = (void *)buf;
	struct vfio_iommu_type1_info_dma_avail *avail = (void *)(buf + 24);
	struct vfio_iommu_type1_info_cap_iova_range *ranges = (void *)(buf + 40);

	memset(buf, 0xaa, sizeof(buf));
	info->argsz = 16;
	info->flags = 0;
	assert_int_equal(compat(f, VFIO_IOMMU_GET_INFO, (uintptr_t)info), -ENODEV);
	assert_int_equal(vfio_ioas(f, IOMMU_VFIO_IOAS_SET, &ioas), 0);
	info->argsz = 15;
	assert_int_equal(compat(f, VFIO_IOMMU_GET_INFO, (uintptr_t)info), -EINVAL);
	/* Too small for the caps: argsz tells how much is needed. */
	info->argsz = 16;
	assert_int_equal(compat(f, VFIO_IOMMU_GET_INFO, (uintptr_t)info), 0);
	assert_int_equal(info->argsz, 24 + 16 + 32);
	assert_int_equal(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	assert_int_equal(info->iova_pgsizes, ~(PG - 1));
	assert_int_equal(buf[16], 0xaa);
	info->argsz = sizeof(buf);
	assert_int_equal(compat(f, VFIO_IOMMU_GET_INFO, (uintptr_t)info), 0);
	assert_int_equal(info->argsz, 72);
	assert_int_equal(info->cap_offset, 24);
	assert_int_equal(avail->header.id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	assert_int_equal(avail->header.next, 40);
	assert_int_equal(avail->avail, UINT32_MAX);
	assert_int_equal(ranges->header.id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	assert_int_equal(ranges->header.next, 0);
	assert_int_equal(ranges->nr_iovas, 1);
	assert_int_equal(ranges->iova_ranges[0].start, 0);
	assert_int_equal(ranges->iova_ranges[0].end, UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_option_argument_checks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_option_writes_back_only_val64, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rlimit_mode_get, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_huge_pages_sets_the_alignment, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vfio_ioas_get_set_clear, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_type1_map_unmap_on_the_compat_ioas, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_type1_unmaps_inside_mappings, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_type1_get_info, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
