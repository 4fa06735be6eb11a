// SPDX-License-Identifier: MIT
/*
 * A userspace driver for iommufd-emu's dmatest device (PCI 1234:d7e5, see
 * <iommufd_emu/dmatest.h>): descriptor rings in IOVA space, doorbells,
 * completion records, one MSI-X vector per queue.  It walks a driver's
 * whole life: bind and attach, map a ring and buffers, copy, fill and
 * compare with the device, take an interrupt per completion, watch the
 * IOMMU refuse a write into a read-only mapping, track dirty pages with a
 * dirty-tracking domain, reset the device, tear down.
 *
 *   iommufd-emu run --device dmatest,queues=2 -- dmatest_driver
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "iommufd_emu/dmatest.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"
#include "vfiodev.h"

#define RING_IOVA 0x100000ULL   /* ring and completion records: 1 page */
#define SRC_IOVA 0x200000ULL    /* 2 MiB */
#define DST_IOVA 0x400000ULL    /* 2 MiB */
#define RO_IOVA 0x600000ULL     /* 1 page, read-only for the device */
#define BUF (2u << 20)
#define RING 16

static struct vfiodev dev;
static int vectors[DMATEST_MAX_QUEUES];
static struct dmatest_desc *ring;       /* queue 0's ring */
static struct dmatest_compl *compl;     /* right after it */
static uint8_t *src, *dst, *ro;
static uint32_t tail;

static uint64_t q(unsigned int reg)
{
	return DMATEST_QUEUE(0) + reg;
}

static int start_queue(void)
{
	vfiodev_bar_write(&dev, DMATEST_BAR_REGS, q(DMATEST_Q_RING), 8, RING_IOVA);
	vfiodev_bar_write(&dev, DMATEST_BAR_REGS, q(DMATEST_Q_SIZE), 4, RING);
	vfiodev_bar_write(&dev, DMATEST_BAR_REGS, q(DMATEST_Q_CTRL), 4,
			  DMATEST_CTRL_ENABLE | DMATEST_CTRL_IRQ_ENABLE);
	tail = 0;
	return vfiodev_bar_read(&dev, DMATEST_BAR_REGS, q(DMATEST_Q_STATUS), 4) &
			       DMATEST_STATUS_HALTED ? -EIO : 0;
}

/* Submit one descriptor on queue 0 and wait for its interrupt. */
static int submit(uint8_t op, uint32_t len, uint64_t s, uint64_t d, struct dmatest_compl *out)
{
	unsigned int slot = tail;
	uint64_t irq;

	compl[slot] = (struct dmatest_compl){ .status = DMATEST_ST_PENDING };
	ring[slot] = (struct dmatest_desc){
		.op = op, .flags = DMATEST_DESC_IRQ, .len = len, .src = s, .dst = d,
		.compl = RING_IOVA + RING * sizeof(*ring) + slot * sizeof(*compl),
	};
	tail = (tail + 1) % RING;
	vfiodev_bar_write(&dev, DMATEST_BAR_REGS, q(DMATEST_Q_TAIL), 4, tail);
	irq = vfiodev_wait(vectors[0], 5000);
	vfiodev_bar_write(&dev, DMATEST_BAR_REGS, DMATEST_REG_IRQ_STATUS, 4, 1);
	*out = compl[slot];
	return irq ? 0 : -ETIMEDOUT;
}

static const char *status_name(uint32_t s)
{
	static const char *const names[] = { "pending", "ok", "mismatch", "fault", "bad" };

	return s < 5 ? names[s] : "?";
}

static int copy_fill_compare(void)
{
	struct dmatest_compl c;
	int rc;

	for (unsigned int i = 0; i < BUF; i++)
		src[i] = (uint8_t)(i ^ (i >> 8));
	rc = submit(DMATEST_OP_COPY, BUF, SRC_IOVA, DST_IOVA, &c);
	printf("  COPY 2 MiB, IOVA 0x%llx -> 0x%llx: %s, %llu bytes; data %s\n",
	       SRC_IOVA, DST_IOVA, status_name(c.status), (unsigned long long)c.result,
	       !memcmp(src, dst, BUF) ? "identical" : "DIFFERENT");
	if (rc || c.status != DMATEST_ST_OK || memcmp(src, dst, BUF))
		return -EIO;
	rc = submit(DMATEST_OP_FILL, 65536, 0xa5a5a5a5a5a5a5a5ULL, DST_IOVA, &c);
	printf("  FILL 64 KiB with 0xa5: %s; dst[0]=0x%02x dst[65535]=0x%02x dst[65536]=0x%02x\n",
	       status_name(c.status), dst[0], dst[65535], dst[65536]);
	if (rc || c.status != DMATEST_ST_OK || dst[0] != 0xa5)
		return -EIO;
	rc = submit(DMATEST_OP_COMPARE, BUF, SRC_IOVA, DST_IOVA, &c);
	printf("  COMPARE 2 MiB: %s at offset %llu (the fill changed the first bytes)\n",
	       status_name(c.status), (unsigned long long)c.result);
	return rc || c.status != DMATEST_ST_MISMATCH || c.result != 0 ? -EIO : 0;
}

static int readonly_fault(void)
{
	struct dmatest_compl c;

	memset(ro, 0x11, 4096);
	if (submit(DMATEST_OP_FILL, 4096, 0, RO_IOVA, &c))
		return -EIO;
	printf("  FILL into a read-only mapping: %s; the page still holds 0x%02x\n",
	       status_name(c.status), ro[0]);
	printf("  device registers: FAULTS=%llu FAULT_ADDR=0x%llx\n",
	       (unsigned long long)vfiodev_bar_read(&dev, DMATEST_BAR_REGS, DMATEST_REG_FAULTS, 4),
	       (unsigned long long)vfiodev_bar_read(&dev, DMATEST_BAR_REGS,
						    DMATEST_REG_FAULT_ADDR, 8));
	return c.status == DMATEST_ST_FAULT && ro[0] == 0x11 ? 0 : -EIO;
}

/* Move the device to a domain that tracks dirty pages, let it write three
 * pages, read the bitmap. */
static int dirty_tracking(void)
{
	struct iommu_hwpt_alloc alloc = { .size = sizeof(alloc), .dev_id = dev.devid,
					  .pt_id = dev.ioas,
					  .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct iommu_hwpt_set_dirty_tracking on = { .size = sizeof(on),
						    .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
	uint64_t bitmap[8] = { 0 };
	struct iommu_hwpt_get_dirty_bitmap get = {
		.size = sizeof(get), .iova = DST_IOVA, .length = BUF, .page_size = 4096,
		.data = (uintptr_t)bitmap,
	};
	struct dmatest_compl c;

	if (ioctl(dev.iommufd, IOMMU_HWPT_ALLOC, &alloc))
		return -errno;
	at.pt_id = alloc.out_hwpt_id;
	if (ioctl(dev.fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return -errno;
	printf("  IOMMU_HWPT_ALLOC with DIRTY_TRACKING -> HWPT %u; ATTACH replaces HWPT %u\n",
	       alloc.out_hwpt_id, dev.hwpt);
	on.hwpt_id = get.hwpt_id = alloc.out_hwpt_id;
	if (ioctl(dev.iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &on))
		return -errno;
	if (submit(DMATEST_OP_FILL, 3 * 4096, 0x42, DST_IOVA + 5 * 4096, &c))
		return -EIO;
	if (ioctl(dev.iommufd, IOMMU_HWPT_GET_DIRTY_BITMAP, &get))
		return -errno;
	printf("  device wrote pages 5-7 of the destination; dirty bitmap word 0 = 0x%llx\n",
	       (unsigned long long)bitmap[0]);
	return bitmap[0] == 0xe0 ? 0 : -EIO;
}

static int reset(void)
{
	uint64_t ring_reg;

	if (!(dev.flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTSUP;
	if (ioctl(dev.fd, VFIO_DEVICE_RESET))
		return -errno;
	ring_reg = vfiodev_bar_read(&dev, DMATEST_BAR_REGS, q(DMATEST_Q_RING), 8);
	printf("  VFIO_DEVICE_RESET: queue 0's RING register now 0x%llx\n",
	       (unsigned long long)ring_reg);
	return ring_reg ? -EIO : 0;
}

static int setup(void)
{
	void *mem = mmap(NULL, 4096 + 2 * BUF + 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t nq;
	int rc;

	if (mem == MAP_FAILED)
		return -ENOMEM;
	ring = mem;
	compl = (void *)(ring + RING);
	src = (uint8_t *)mem + 4096;
	dst = src + BUF;
	ro = dst + BUF;
	nq = vfiodev_bar_read(&dev, DMATEST_BAR_REGS, DMATEST_REG_NQUEUES, 4);
	printf("  id 0x%08x, %u queues\n",
	       (unsigned int)vfiodev_bar_read(&dev, DMATEST_BAR_REGS, DMATEST_REG_ID, 4), nq);
	rc = vfiodev_map(&dev, ring, 4096, RING_IOVA, false);
	if (!rc)
		rc = vfiodev_map(&dev, src, BUF, SRC_IOVA, false);
	if (!rc)
		rc = vfiodev_map(&dev, dst, BUF, DST_IOVA, false);
	if (!rc)
		rc = vfiodev_map(&dev, ro, 4096, RO_IOVA, true);
	if (!rc)
		rc = vfiodev_irq(&dev, VFIO_PCI_MSIX_IRQ_INDEX, nq, vectors);
	if (!rc)
		rc = start_queue();
	return rc;
}

int main(void)
{
	char path[256], bdf[32];
	int rc;

	vfiodev_verbose = true;
	printf("== dmatest: rings, copies, MSI-X, faults, dirty pages, reset ==\n");
	if (vfiodev_find(DMATEST_VENDOR, DMATEST_DEVICE, path, sizeof(path), bdf, sizeof(bdf))) {
		printf("  no dmatest device\n");
		return 1;
	}
	rc = vfiodev_open(&dev, path);
	if (rc) {
		printf("  cannot open %s: %s\n", path, vfiodev_errname(-rc));
		return 1;
	}
	vfiodev_enable(&dev);
	rc = setup();
	if (!rc)
		rc = copy_fill_compare();
	if (!rc)
		rc = readonly_fault();
	if (!rc)
		rc = dirty_tracking();
	if (!rc)
		rc = reset();
	vfiodev_close(&dev);
	printf("== dmatest: %s ==\n", rc ? "FAILED" : "all steps passed");
	return rc ? 1 : 0;
}
