/* SPDX-License-Identifier: MIT */
/*
 * The kernel selftest's mock protocol (IOMMU_TEST_CMD, which a kernel built
 * with CONFIG_IOMMUFD_TEST serves): mock devices behind a mock IOMMU, and
 * test operations that look inside domains, pin pages through accesses and
 * inject faults and events.  Served when the emulator is configured with
 * selftest_mock, as the kernel serves it only in test builds.
 *
 * selftest.c dispatches the operations; selftest_mock.c is the mock IOMMU
 * driver; selftest_access.c the accesses with their files.
 */
#ifndef IEMU_SELFTEST_H
#define IEMU_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "iommufd_emu/uapi/iommufd_test.h"
#include "obj.h"

struct hwpt;
struct idev;
struct ucmd;
struct viommu;

/* A mock device (the kernel's struct mock_dev). */
struct mock_dev {
	uint32_t flags;                     /* MOCK_FLAGS_DEVICE_* */
	uint32_t cache[MOCK_DEV_CACHE_NUM]; /* what vIOMMU invalidations clear */
	struct viommu *viommu;              /* of the nested domain at its RID */
	uint64_t vdev_id;                   /* its virtual ID there */
	bool pasid_fake_error;              /* the next attach of PASID 1024 fails */
	struct idev *idev;
};

/* The selftest object that owns a mock device (IOMMUFD_OBJ_SELFTEST). */
struct selftest_obj {
	struct obj obj;
	struct mock_dev mock;
};

/* IOMMU_TEST_CMD. */
int selftest_ioctl(struct ucmd *u);

/* The access operations (selftest_access.c). */
int selftest_create_access(struct ucmd *u);
int selftest_access_pages(struct ucmd *u);
int selftest_access_rw(struct ucmd *u);
int selftest_destroy_access_pages(struct ucmd *u);
int selftest_access_replace_ioas(struct ucmd *u);

/* dma-bufs of the selftest's own exporter (selftest_dmabuf.c). */
int selftest_dmabuf_get(struct ucmd *u);
int selftest_dmabuf_revoke(struct ucmd *u);

/* IOMMU_IOAS_MAP_FILE of caller's fd: if it is a selftest dma-buf, a new fd
 * of ours for its memory (-ENODEV revoked, -EINVAL outside it); -ENOENT
 * for any other file. */
struct iemu;
struct iemu_proc;
int selftest_dmabuf_memfd(struct iemu *emu, struct iemu_proc *caller, int fd,
			  uint64_t start, uint64_t length);

/* A mock nested domain's IOTLB entries (selftest_mock.c). */
uint32_t *mock_nested_iotlb(struct hwpt *hwpt);

#endif
