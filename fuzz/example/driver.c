// SPDX-License-Identifier: MIT
/*
 * The example driver (see driver.h).  Error paths matter here: the fuzzer
 * feeds it ring sizes and IOVAs that the emulator refuses, and the harness
 * checks that every refusal leaves nothing mapped, pinned or open.
 * Building with -DDT_BUG=1 plants the kind of bug it finds: a failed
 * enable forgets to unmap the ring.
 */
#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd_emu/dmatest.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

#ifndef DT_BUG
#define DT_BUG 0
#endif

#define REGION(i) ((off_t)(i) << 40)
#define PCI_COMMAND 0x04

static int err(void)
{
	return errno ? -errno : -EIO;
}

static int reg_write(struct dt *d, uint32_t off, uint32_t val)
{
	return pwrite(d->dev, &val, 4, REGION(DMATEST_BAR_REGS) + off) == 4 ? 0 : err();
}

static int reg_read(struct dt *d, uint32_t off, uint32_t *val)
{
	return pread(d->dev, val, 4, REGION(DMATEST_BAR_REGS) + off) == 4 ? 0 : err();
}

int dt_open(struct dt *d, const char *cdev)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	uint16_t cmd;
	int rc;

	memset(d, 0, sizeof(*d));
	d->iommufd = open("/dev/iommu", O_RDWR);
	if (d->iommufd < 0)
		return err();
	d->dev = open(cdev, O_RDWR);
	if (d->dev < 0) {
		rc = err();
		goto close_iommufd;
	}
	bind.iommufd = d->iommufd;
	if (ioctl(d->dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		rc = err();
		goto close_dev;
	}
	d->ioas = alloc.out_ioas_id;
	attach.pt_id = d->ioas;
	if (ioctl(d->dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) ||
	    pread(d->dev, &cmd, 2, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + PCI_COMMAND) != 2) {
		rc = err();
		goto close_dev;
	}
	cmd |= 0x6; /* memory decode, bus mastering */
	if (pwrite(d->dev, &cmd, 2, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + PCI_COMMAND) != 2) {
		rc = err();
		goto close_dev;
	}
	return 0;
close_dev:
	close(d->dev);
close_iommufd:
	close(d->iommufd);
	d->dev = d->iommufd = -1;
	return rc;
}

static void unmap_ring(struct dt *d, struct dt_queue *q)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap), .ioas_id = d->ioas, .iova = q->iova, .length = q->bytes,
	};

	ioctl(d->iommufd, IOMMU_IOAS_UNMAP, &unmap);
	q->iova = 0;
}

int dt_queue_setup(struct dt *d, unsigned int qi, unsigned int entries, uint64_t iova)
{
	struct dt_queue *q;
	struct iommu_ioas_map map = { .size = sizeof(map) };
	uint32_t base, status;
	int rc;

	if (qi >= DT_QUEUES)
		return -EINVAL;
	q = &d->q[qi];
	if (q->ring)
		return -EBUSY;
	base = DMATEST_QUEUE(qi);
	q->bytes = ((size_t)entries * sizeof(struct dmatest_desc) + 4095) & ~(size_t)4095;
	if (!q->bytes)
		q->bytes = 4096;
	q->ring = mmap(NULL, q->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->ring == MAP_FAILED) {
		q->ring = NULL;
		return -ENOMEM;
	}
	map.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
		    (iova ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
	map.ioas_id = d->ioas;
	map.user_va = (uintptr_t)q->ring;
	map.length = q->bytes;
	map.iova = iova;
	if (ioctl(d->iommufd, IOMMU_IOAS_MAP, &map)) {
		rc = err();
		goto free_ring;
	}
	q->iova = map.iova;
	rc = reg_write(d, base + DMATEST_Q_CTRL, 0);
	if (!rc)
		rc = reg_write(d, base + DMATEST_Q_RING, (uint32_t)q->iova);
	if (!rc)
		rc = reg_write(d, base + DMATEST_Q_RING + 4, (uint32_t)(q->iova >> 32));
	if (!rc)
		rc = reg_write(d, base + DMATEST_Q_SIZE, entries);
	if (!rc)
		rc = reg_write(d, base + DMATEST_Q_CTRL, DMATEST_CTRL_ENABLE);
	if (!rc)
		rc = reg_read(d, base + DMATEST_Q_STATUS, &status);
	/* The device refuses a ring it cannot use (size not a power of two,
	 * misaligned): the queue halts at once. */
	if (!rc && (status & DMATEST_STATUS_HALTED))
		rc = -EINVAL;
	if (!rc)
		return 0;
	reg_write(d, base + DMATEST_Q_CTRL, 0);
	if (!DT_BUG)
		unmap_ring(d, q);
free_ring:
	munmap(q->ring, q->bytes);
	q->ring = NULL;
	q->iova = 0;
	return rc;
}

void dt_queue_teardown(struct dt *d, unsigned int qi)
{
	struct dt_queue *q = &d->q[qi % DT_QUEUES];

	if (!q->ring)
		return;
	reg_write(d, DMATEST_QUEUE(qi % DT_QUEUES) + DMATEST_Q_CTRL, 0);
	unmap_ring(d, q);
	munmap(q->ring, q->bytes);
	q->ring = NULL;
}

void dt_close(struct dt *d)
{
	for (unsigned int i = 0; i < DT_QUEUES; i++)
		dt_queue_teardown(d, i);
	close(d->dev);
	close(d->iommufd);
	d->dev = d->iommufd = -1;
}
