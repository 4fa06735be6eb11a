// SPDX-License-Identifier: MIT
/*
 * Deliberately buggy drivers, one mistake each, for `iommufd-emu run
 * --check`: `buggy MISTAKE` runs a correct edu sequence with that one
 * mistake in it (`buggy clean` has none).  Needs the devices
 * "edu,dma_delay=0" (vfio0) and "edu,dma_delay=300000" (vfio1, slow DMA).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

#define IOVA 0x100000ULL
#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

static int ifd, dev, msi;
static uint32_t ioas;

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "buggy: %s: %s\n", what, strerror(errno));
		exit(2);
	}
}

/* edu takes 8-byte accesses from 0x80 up, 4-byte ones below. */
static void reg(uint64_t off, uint64_t v)
{
	unsigned int n = off < 0x80 ? 4 : 8;

	must(pwrite(dev, &v, n, off) == (ssize_t)n, "BAR write");
}

static void open_edu(const char *cdev)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct iommu_ioas_alloc al = { .size = sizeof(al) };
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} irq = { .s = { .argsz = sizeof(irq), .index = VFIO_PCI_MSI_IRQ_INDEX, .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER } };
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	ifd = open("/dev/iommu", O_RDWR);
	dev = open(cdev, O_RDWR);
	must(ifd >= 0 && dev >= 0, "open");
	b.iommufd = ifd;
	must(!ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), "bind");
	must(!ioctl(ifd, IOMMU_IOAS_ALLOC, &al), "ioas");
	ioas = al.out_ioas_id;
	a.pt_id = ioas;
	must(!ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), "attach");
	must(pwrite(dev, &cmd, 2, CFG + PCI_COMMAND) == 2, "command");
	msi = irq.fd = eventfd(0, 0);
	must(!ioctl(dev, VFIO_DEVICE_SET_IRQS, &irq), "msi");
}

static void map(void *va, uint64_t len, uint64_t iova, bool writable)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)va,
				    .length = len, .iova = iova,
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     (writable ? IOMMU_IOAS_MAP_WRITEABLE : 0) };

	must(!ioctl(ifd, IOMMU_IOAS_MAP, &m), "map");
}

static void unmap(uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	must(!ioctl(ifd, IOMMU_IOAS_UNMAP, &u), "unmap");
}

/* edu: device buffer to RAM at iova; waits for the MSI and consumes it. */
static void dma_to_ram(uint64_t iova, uint64_t len, bool wait)
{
	struct pollfd p = { .fd = msi, .events = POLLIN };
	eventfd_t v;

	reg(0x80, 0x40000);
	reg(0x88, iova);
	reg(0x90, len);
	reg(0x98, 0x7);
	if (!wait)
		return;
	must(poll(&p, 1, 5000) == 1, "MSI");
	must(!eventfd_read(msi, &v), "eventfd");
	reg(0x64, 0x100);
}

static void teardown(void)
{
	close(msi);
	close(dev);
	close(ifd);
}

static void *buffer(void)
{
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	must(p != MAP_FAILED, "mmap");
	return p;
}

int main(int argc, char **argv)
{
	const char *bug = argc > 1 ? argv[1] : "clean";
	void *buf = buffer();

	open_edu(strcmp(bug, "unmap-in-flight") ? "/dev/vfio/devices/vfio0" :
						 "/dev/vfio/devices/vfio1");
	map(buf, 8192, IOVA, strcmp(bug, "dma-readonly"));
	if (!strcmp(bug, "clean")) {
		dma_to_ram(IOVA, 64, true);
	} else if (!strcmp(bug, "dma-unmapped")) {
		dma_to_ram(0x900000, 64, true);
	} else if (!strcmp(bug, "dma-readonly")) {
		dma_to_ram(IOVA, 64, true);
	} else if (!strcmp(bug, "stale-pin")) {
		/* New memory where the mapped buffer was: the device still has the old. */
		must(mmap(buf, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			  -1, 0) == buf, "remap");
		must(!munmap((char *)buf + 4096, 4096), "munmap");
		dma_to_ram(IOVA + 4096, 64, true);
	} else if (!strcmp(bug, "unmap-in-flight")) {
		dma_to_ram(IOVA, 64, false);
		unmap(IOVA, 8192);
	} else if (!strcmp(bug, "irq-unacked")) {
		reg(0x60, 0x1);
		usleep(100000);
	} else if (!strcmp(bug, "left-behind")) {
		return 0; /* exit with everything open */
	} else {
		fprintf(stderr, "buggy: no mistake called %s\n", bug);
		return 2;
	}
	unmap(0, UINT64_MAX);
	teardown();
	return 0;
}
