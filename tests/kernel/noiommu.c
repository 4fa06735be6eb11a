// SPDX-License-Identifier: MIT
/*
 * Scenario: the noiommu policies side by side, one edu device each:
 * refuse (noiommu-vfio0), nocdev (index 1: no node at all), noop-attach
 * (noiommu-vfio2) and swpt (noiommu-vfio3), through the same sequence:
 * open, bind, attach, hardware info, domains, detach; for swpt the
 * physical address of a mapping, a DMA to it, and a wild physical DMA.
 * Needs CAP_SYS_RAWIO (noiommu cdevs and GET_PA ask for it).
 */
#include <linux/pci_regs.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/eventfd.h>

#include "scenario.h"

#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

static int ifd;
static uint32_t ioas;

static int open_cdev(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	return open(path, O_RDWR | O_CLOEXEC);
}

static uint32_t bind(const char *name, int dev)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = ifd };

	IOC(name, dev, VFIO_DEVICE_BIND_IOMMUFD, &b);
	return b.out_devid;
}

static uint32_t attach(const char *name, int dev, uint32_t pt)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt };

	IOC(name, dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a, "pt_id=%u", a.pt_id);
	return a.pt_id;
}

static void detach(const char *name, int dev)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	IOC(name, dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static void hw_info_and_hwpt(const char *prefix, uint32_t devid)
{
	struct iommu_hw_info h = { .size = sizeof(h), .dev_id = devid };
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .dev_id = devid, .pt_id = ioas };
	char name[64];

	snprintf(name, sizeof(name), "%s_hw_info", prefix);
	IOC(name, ifd, IOMMU_GET_HW_INFO, &h);
	snprintf(name, sizeof(name), "%s_hwpt_alloc", prefix);
	IOC(name, ifd, IOMMU_HWPT_ALLOC, &a);
	if (a.out_hwpt_id) {
		struct iommu_destroy d = { .size = sizeof(d), .id = a.out_hwpt_id };

		snprintf(name, sizeof(name), "%s_hwpt_destroy", prefix);
		IOC(name, ifd, IOMMU_DESTROY, &d);
	}
}

static void refuse(void)
{
	int dev = open_cdev("noiommu-vfio0");
	uint32_t devid;

	step("refuse_open", dev < 0 ? -1 : 0, errno, NULL);
	devid = bind("refuse_bind", dev);
	attach("refuse_attach", dev, ioas);
	detach("refuse_detach", dev);
	hw_info_and_hwpt("refuse", devid);
	close(dev);
}

static void nocdev(void)
{
	int dev = open_cdev("vfio1");

	step("nocdev_open_vfio1", dev < 0 ? -1 : 0, errno, NULL);
	dev = open_cdev("noiommu-vfio1");
	step("nocdev_open_noiommu_vfio1", dev < 0 ? -1 : 0, errno, NULL);
}

static void noop_attach(void)
{
	int dev = open_cdev("noiommu-vfio2");
	struct iommu_destroy d = { .size = sizeof(d), .id = ioas };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	uint32_t devid;

	step("noop_open", dev < 0 ? -1 : 0, errno, NULL);
	devid = bind("noop_bind", dev);
	attach("noop_attach", dev, ioas);
	attach("noop_attach_missing", dev, 0xdead);
	hw_info_and_hwpt("noop", devid);
	/* Nothing was associated: the IOAS is free to go. */
	IOC("noop_destroy_ioas", ifd, IOMMU_DESTROY, &d);
	IOC("noop_ioas_alloc", ifd, IOMMU_IOAS_ALLOC, &a);
	ioas = a.out_ioas_id;
	detach("noop_detach", dev);
	close(dev);
}

static void bar_set(int dev, uint64_t off, uint64_t v)
{
	if (pwrite(dev, &v, 8, off) != 8)
		printf("bar write failed\n");
}

/* edu: device buffer to RAM at bus address addr; true if the DMA ended. */
static bool edu_to_ram(int dev, int efd, uint64_t addr, uint64_t len)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	eventfd_t v;
	uint32_t ack;

	bar_set(dev, 0x80, 0x40000);
	bar_set(dev, 0x88, addr);
	bar_set(dev, 0x90, len);
	bar_set(dev, 0x98, 0x7);
	if (poll(&p, 1, 5000) != 1 || eventfd_read(efd, &v))
		return false;
	if (pread(dev, &ack, 4, 0x24) == 4)
		bar_set(dev, 0x64, ack);
	return true;
}

static int msi(int dev)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} a = { .s = { .argsz = sizeof(a), .index = VFIO_PCI_MSI_IRQ_INDEX, .count = 1,
		       .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER },
		.fd = eventfd(0, EFD_CLOEXEC) };
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	IOC("swpt_msi", dev, VFIO_DEVICE_SET_IRQS, &a);
	if (pwrite(dev, &cmd, 2, CFG + PCI_COMMAND) != 2)
		printf("command write failed\n");
	return a.fd;
}

static void get_pa(const char *name, uint64_t iova, uint64_t len, uint64_t *pa)
{
	struct iommu_ioas_noiommu_get_pa g = { .size = sizeof(g), .ioas_id = ioas, .iova = iova,
					       .length = len };

	IOC(name, ifd, IOMMU_IOAS_NOIOMMU_GET_PA, &g, "page_offset=0x%llx length=0x%llx",
	    (unsigned long long)(g.out_phys & 0xfff), (unsigned long long)g.length);
	*pa = g.out_phys;
}

static void swpt(void)
{
	int dev = open_cdev("noiommu-vfio3"), efd;
	char *buf = arena(3);
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)buf,
				    .length = 3 * PG, .iova = 0x100000,
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE };
	struct iommu_iova_range r[2] = { 0 };
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .num_iovas = 2,
					    .allowed_iovas = (uintptr_t)r };
	uint64_t pa;
	uint32_t devid;
	bool done;

	step("swpt_open", dev < 0 ? -1 : 0, errno, NULL);
	devid = bind("swpt_bind", dev);
	get_pa("swpt_get_pa_unattached", 0x100000, PG, &pa);
	attach("swpt_attach", dev, ioas);
	q.ioas_id = ioas;
	IOC("swpt_iova_ranges", ifd, IOMMU_IOAS_IOVA_RANGES, &q, "num=%u first=[0x%llx-0x%llx]",
	    q.num_iovas, (unsigned long long)r[0].start, (unsigned long long)r[0].last);
	hw_info_and_hwpt("swpt", devid);
	IOC("swpt_map", ifd, IOMMU_IOAS_MAP, &m);
	get_pa("swpt_get_pa_unmapped", 0x900000, PG, &pa);
	get_pa("swpt_get_pa_length_0", 0x100000, 0, &pa);
	get_pa("swpt_get_pa_capped", 0x100005, 100, &pa);
	get_pa("swpt_get_pa", 0x100000, 16 * PG, &pa);
	efd = msi(dev);
	memset(buf, 0x33, 3 * PG);
	done = edu_to_ram(dev, efd, pa + PG, 64);
	step("swpt_dma_to_pa", 0, 0, "done=%d landed=%d", done,
	     buf[PG] == 0 && buf[PG + 64] == 0x33);
	memset(buf, 0x44, 3 * PG);
	done = edu_to_ram(dev, efd, 0x2000, 64);
	step("swpt_wild_dma", 0, 0, "done=%d untouched=%d", done,
	     buf[0] == 0x44 && buf[PG] == 0x44 && buf[2 * PG] == 0x44);
	detach("swpt_detach", dev);
	close(efd);
	close(dev);
}

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	scenario_devices(argc, argv, "edu,noiommu;edu,noiommu=nocdev;edu,noiommu=noop-attach;"
			 "edu,noiommu=swpt,dma_mask=64,dma_delay=0");
	ifd = open_iommu();
	IOC("ioas_alloc", ifd, IOMMU_IOAS_ALLOC, &a);
	ioas = a.out_ioas_id;
	refuse();
	nocdev();
	noop_attach();
	swpt();
	close(ifd);
	return 0;
}
