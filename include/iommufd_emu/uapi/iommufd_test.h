/* SPDX-License-Identifier: MIT */
/*
 * The ABI of IOMMU_TEST_CMD, the ioctl a kernel built with
 * CONFIG_IOMMUFD_TEST adds to /dev/iommu for its selftests, as Linux 7.3
 * defines it (numbers and layouts only; the emulator's own definitions, so
 * that nothing depends on the kernel tree).
 */
#ifndef IOMMUFD_EMU_UAPI_IOMMUFD_TEST_H
#define IOMMUFD_EMU_UAPI_IOMMUFD_TEST_H

#include <linux/types.h>

#include "iommufd.h"

/* The op of struct iommu_test_cmd, from 1. */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN = 2,
	IOMMU_TEST_OP_MD_CHECK_MAP = 3,
	IOMMU_TEST_OP_MD_CHECK_REFS = 4,
	IOMMU_TEST_OP_CREATE_ACCESS = 5,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES = 6,
	IOMMU_TEST_OP_ACCESS_PAGES = 7,
	IOMMU_TEST_OP_ACCESS_RW = 8,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS = 11,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12,
	IOMMU_TEST_OP_DIRTY = 13,
	IOMMU_TEST_OP_MD_CHECK_IOTLB = 14,
	IOMMU_TEST_OP_TRIGGER_IOPF = 15,
	IOMMU_TEST_OP_DEV_CHECK_CACHE = 16,
	IOMMU_TEST_OP_TRIGGER_VEVENT = 17,
	IOMMU_TEST_OP_PASID_ATTACH = 18,
	IOMMU_TEST_OP_PASID_REPLACE = 19,
	IOMMU_TEST_OP_PASID_DETACH = 20,
	IOMMU_TEST_OP_PASID_CHECK_HWPT = 21,
	IOMMU_TEST_OP_DMABUF_GET = 22,
	IOMMU_TEST_OP_DMABUF_REVOKE = 23,
};

/* iommu_hwpt_selftest.pagetable_type */
enum {
	MOCK_IOMMUPT_DEFAULT = 0,
	MOCK_IOMMUPT_HUGE = 1,
};

/* The mock domain's geometry (MOCK_IOMMUPT_DEFAULT). */
#define MOCK_APERTURE_START (1UL << 24)
#define MOCK_APERTURE_LAST ((1UL << 31) - 1)
#define MOCK_PAGE_SIZE 2048
#define MOCK_HUGE_PAGE_SIZE (512 * MOCK_PAGE_SIZE)

/* access_pages.flags */
#define MOCK_FLAGS_ACCESS_WRITE (1 << 0)
#define MOCK_FLAGS_ACCESS_SYZ (1 << 16)
/* access_rw.flags */
#define MOCK_ACCESS_RW_WRITE (1 << 0)
#define MOCK_ACCESS_RW_SLOW_PATH (1 << 2)
/* create_access.flags */
#define MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES (1 << 0)
/* mock_domain_flags.dev_flags */
#define MOCK_FLAGS_DEVICE_NO_DIRTY (1 << 0)
#define MOCK_FLAGS_DEVICE_PASID (1 << 2)

#define MOCK_NESTED_DOMAIN_IOTLB_ID_MAX 3
#define MOCK_NESTED_DOMAIN_IOTLB_NUM 4
#define MOCK_DEV_CACHE_ID_MAX 3
#define MOCK_DEV_CACHE_NUM 4

/* The PASID whose second attach fails with ENOMEM, to test rollback. */
#define IOMMU_TEST_PASID_RESERVED 1024
/* The mock device's PASID width with MOCK_FLAGS_DEVICE_PASID. */
#define MOCK_PASID_WIDTH 20

struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		struct {
			__u32 dev_id;
		} trigger_vevent;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
		struct {
			__u32 length;
			__u32 open_flags;
		} dmabuf_get;
		struct {
			__s32 dmabuf_fd;
			__u32 revoked;
		} dmabuf_revoke;
	};
	__u32 last;
};

/* Number 0xa0: IOMMUFD_CMD_BASE + 32. */
#define IOMMUFD_CMD_TEST 0xa0
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_TEST)

/* IOMMU_GET_HW_INFO of a mock device. */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/* IOMMU_HWPT_ALLOC data of the mock driver. */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

struct iommu_hwpt_selftest {
	__u32 iotlb;
	__u32 pagetable_type;
};

/* IOMMU_HWPT_INVALIDATE data of a mock nested domain. */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)

struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

/* The mock vIOMMU. */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};

#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

struct iommu_viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;
	__u32 cache_id;
};

#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2

#endif
