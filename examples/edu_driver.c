// SPDX-License-Identifier: MIT
/*
 * A userspace driver for QEMU's edu device (PCI 1234:11e8), through VFIO's
 * device cdev and iommufd: find the device in sysfs, bind it to an iommufd,
 * attach it to an IOAS, map a buffer, let the device DMA into it, wait for
 * its MSI through an eventfd, and check the bytes.  It runs as is against
 * QEMU's edu behind a real kernel, and against iommufd-emu:
 *
 *   iommufd-emu run --device edu -- edu_driver
 *
 * Registers (edu.rst): 0x00 id, 0x04 liveness (reads back inverted),
 * 0x08 factorial, 0x20 status, 0x24 interrupt status, 0x60 raise,
 * 0x64 acknowledge, 0x80 DMA source, 0x88 destination, 0x90 count, 0x98
 * command (1 start, 2 device to RAM, 4 interrupt when done).  The device's
 * DMA buffer is at device address 0x40000.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_emu/uapi/vfio.h"
#include "vfiodev.h"

#define EDU_BUF 0x40000
#define IOVA 0x100000
#define IRQ_FACT 0x1
#define IRQ_DMA 0x100

static struct vfiodev dev;
static int msi;

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Wait for the interrupt, then acknowledge it. */
static int wait_irq(uint32_t expect, double *us)
{
	double start = now_us();
	uint32_t status;

	if (!vfiodev_wait(msi, 5000)) {
		printf("  no interrupt within 5 s\n");
		return -ETIMEDOUT;
	}
	*us = now_us() - start;
	status = vfiodev_bar_read(&dev, 0, 0x24, 4);
	vfiodev_bar_write(&dev, 0, 0x64, 4, status);
	if (!(status & expect)) {
		printf("  interrupt status 0x%x, expected 0x%x\n", status, expect);
		return -EIO;
	}
	return 0;
}

static int dma(uint64_t src, uint64_t dst, uint64_t len, bool to_ram, double *us)
{
	vfiodev_bar_write(&dev, 0, 0x80, 8, src);
	vfiodev_bar_write(&dev, 0, 0x88, 8, dst);
	vfiodev_bar_write(&dev, 0, 0x90, 8, len);
	vfiodev_bar_write(&dev, 0, 0x98, 8, 0x1 | (to_ram ? 0x2 : 0) | 0x4);
	return wait_irq(IRQ_DMA, us);
}

static int registers(void)
{
	uint32_t id = vfiodev_bar_read(&dev, 0, 0x00, 4), live;
	double us;

	printf("  identification 0x%08x: edu version %u.%u\n", id, id >> 24, (id >> 16) & 0xff);
	vfiodev_bar_write(&dev, 0, 0x04, 4, 0x12345678);
	live = vfiodev_bar_read(&dev, 0, 0x04, 4);
	printf("  liveness: wrote 0x12345678, read 0x%08x %s\n", live,
	       live == ~0x12345678u ? "(inverted: alive)" : "(WRONG)");
	vfiodev_bar_write(&dev, 0, 0x20, 4, 0x80); /* interrupt when done */
	vfiodev_bar_write(&dev, 0, 0x08, 4, 10);
	if (wait_irq(IRQ_FACT, &us))
		return -EIO;
	printf("  factorial: 10! = %u, MSI after %.0f us\n",
	       (unsigned int)vfiodev_bar_read(&dev, 0, 0x08, 4), us);
	return live == ~0x12345678u ? 0 : -EIO;
}

static int roundtrip(uint8_t *buf)
{
	double us;

	for (int i = 0; i < 4096; i++)
		buf[i] = (uint8_t)(i * 7);
	memset(buf + 4096, 0, 4096);
	if (dma(IOVA, EDU_BUF, 4096, false, &us))
		return -EIO;
	printf("  DMA RAM -> device: 4 KiB from IOVA 0x%x, MSI after %.0f us\n", IOVA, us);
	if (dma(EDU_BUF, IOVA + 4096, 4096, true, &us))
		return -EIO;
	printf("  DMA device -> RAM: 4 KiB to IOVA 0x%x, MSI after %.0f us\n", IOVA + 4096, us);
	if (memcmp(buf, buf + 4096, 4096)) {
		printf("  the bytes differ: FAILED\n");
		return -EIO;
	}
	printf("  verified: the buffer came back byte for byte\n");
	return 0;
}

/* The IOMMU at work: a DMA to an IOVA nobody mapped reaches no memory. */
static int fault(uint8_t *buf)
{
	double us;

	memset(buf + 4096, 0xee, 16);
	if (dma(EDU_BUF, 0x800000, 16, true, &us))
		return -EIO;
	printf("  DMA to IOVA 0x800000 (not mapped): the device completes, but the IOMMU\n"
	       "  blocked the write; the buffer is untouched: %s\n",
	       buf[4096] == 0xee ? "yes" : "NO");
	return buf[4096] == 0xee ? 0 : -EIO;
}

/* What the emulator saw, when there is one to ask. */
static void emulator_view(void)
{
	const char *mnt = getenv("IOMMUFD_EMU_MOUNT");
	char path[512], line[512];
	FILE *f;

	if (!mnt)
		return;
	snprintf(path, sizeof(path), "%s/status", mnt);
	f = fopen(path, "re");
	if (!f)
		return;
	printf("  the emulator's record:\n");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "fault ", 6) || !strncmp(line, "device ", 7))
			printf("    %s", line);
	fclose(f);
}

int main(void)
{
	char path[256], bdf[32];
	uint8_t *buf;
	int rc;

	vfiodev_verbose = true;
	printf("== edu: find, bind, attach, map, DMA, interrupt ==\n");
	rc = vfiodev_find(0x1234, 0x11e8, path, sizeof(path), bdf, sizeof(bdf));
	if (rc) {
		printf("  no edu device bound to vfio-pci\n");
		return 1;
	}
	rc = vfiodev_open(&dev, path);
	if (rc) {
		printf("  cannot open %s: %s\n", path, vfiodev_errname(-rc));
		return 1;
	}
	vfiodev_enable(&dev);
	buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rc = buf == MAP_FAILED ? -ENOMEM : vfiodev_map(&dev, buf, 8192, IOVA, false);
	if (!rc)
		rc = vfiodev_irq(&dev, VFIO_PCI_MSI_IRQ_INDEX, 1, &msi);
	if (!rc)
		rc = registers();
	if (!rc)
		rc = roundtrip(buf);
	if (!rc)
		rc = fault(buf);
	emulator_view();
	vfiodev_unmap(&dev, IOVA, 8192);
	vfiodev_close(&dev);
	printf("== edu: %s ==\n", rc ? "FAILED" : "all steps passed");
	return rc ? 1 : 0;
}
