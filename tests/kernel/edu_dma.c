// SPDX-License-Identifier: MIT
/*
 * Scenario: the edu device's DMA through the IOMMU, path by path: mapped,
 * read-only, unmapped, crossing from a mapped into an unmapped page, above
 * the device's 28-bit DMA mask, through IOAS_COPY and MAP_FILE mappings,
 * after detach, through a manual HWPT and after replacing the IOAS.  Each
 * step prints whether the completion interrupt came and where the bytes
 * went, nothing that depends on where it runs.
 */
#include <linux/pci_regs.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/eventfd.h>

#include "scenario.h"

#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED IOMMU_IOAS_MAP_FIXED_IOVA
#define EDU_BUF 0x40000ULL  /* the device's own 4 KiB buffer */

static int ifd, dev, efd;
static uint32_t ioas, devid;
static char *buf;            /* 8 pages at IOVA 0x100000 (page 7 read-only there) */

static void wr(uint64_t off, unsigned int n, uint64_t v)
{
	if (pwrite(dev, &v, n, off) != (ssize_t)n)
		printf("write at 0x%llx failed\n", (unsigned long long)off);
}

static uint32_t rd32(uint64_t off)
{
	uint32_t v = 0;

	return pread(dev, &v, 4, off) == 4 ? v : 0xdeadbeef;
}

/* One edu DMA; true when its completion interrupt came (then acked). */
static bool edu_dma(uint64_t src, uint64_t dst, uint64_t len, bool to_ram)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	eventfd_t v;
	bool got;

	wr(0x80, 8, src);
	wr(0x88, 8, dst);
	wr(0x90, 8, len);
	wr(0x98, 8, 0x1 | (to_ram ? 0x2 : 0) | 0x4);
	got = poll(&p, 1, 5000) == 1 && eventfd_read(efd, &v) == 0;
	wr(0x64, 4, rd32(0x24));
	return got;
}

/* Fill the device buffer with byte c, staged through page 6 of buf. */
static bool load_device(char c)
{
	memset(buf + 6 * PG, c, PG);
	return edu_dma(0x106000, EDU_BUF, PG, false);
}

static void map(const char *name, uint32_t id, uint32_t flags, void *va, uint64_t len,
		uint64_t iova)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .flags = flags, .ioas_id = id,
				    .user_va = (uintptr_t)va, .length = len, .iova = iova };

	IOC(name, ifd, IOMMU_IOAS_MAP, &m);
}

static void unmap(const char *name, uint32_t id, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = id, .iova = iova,
				      .length = len };

	IOC(name, ifd, IOMMU_IOAS_UNMAP, &u);
}

static long attach_pt(uint32_t pt)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt };
	int e;
	long r = xioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a, &e);

	errno = e;
	return r;
}

static void setup(void)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	const char *path = getenv("VFIO_CDEV") ? getenv("VFIO_CDEV") : "/dev/vfio/devices/vfio0";
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} irq = { .s = { .argsz = sizeof(irq), .index = VFIO_PCI_MSI_IRQ_INDEX, .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER } };
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	ifd = open_iommu();
	IOC("ioas_alloc", ifd, IOMMU_IOAS_ALLOC, &a);
	ioas = a.out_ioas_id;
	dev = open(path, O_RDWR | O_CLOEXEC);
	step("open_cdev", dev < 0 ? -1 : 0, errno, NULL);
	if (dev < 0)
		exit(1);
	b.iommufd = ifd;
	IOC("bind", dev, VFIO_DEVICE_BIND_IOMMUFD, &b);
	devid = b.out_devid;
	step("attach", attach_pt(ioas), errno, NULL);
	efd = irq.fd = eventfd(0, EFD_CLOEXEC);
	IOC("msi", dev, VFIO_DEVICE_SET_IRQS, &irq);
	wr(CFG + PCI_COMMAND, 2, cmd);
}

static void basic(void)
{
	bool irq;

	/* Two areas, so that the second can be unmapped alone later. */
	map("map_rw", ioas, RW | FIXED, buf, 4 * PG, 0x100000);
	map("map_rw_tail", ioas, RW | FIXED, buf + 4 * PG, 3 * PG, 0x104000);
	map("map_ro", ioas, IOMMU_IOAS_MAP_READABLE | FIXED, buf + 7 * PG, PG, 0x107000);
	irq = load_device(0x11);
	step("dma_to_device", 0, 0, "irq=%d", irq);
	memset(buf, 0, PG);
	irq = edu_dma(EDU_BUF, 0x100000, PG, true);
	step("dma_to_ram", 0, 0, "irq=%d landed=%d", irq, buf[0] == 0x11 && buf[PG - 1] == 0x11);
	memset(buf + 7 * PG, 0x22, PG);
	irq = edu_dma(0x107000, EDU_BUF, PG, false);
	irq = edu_dma(EDU_BUF, 0x100000, PG, true) && irq;
	step("dma_from_readonly", 0, 0, "irq=%d read=%d", irq, buf[0] == 0x22);
	irq = load_device(0x33);
	irq = edu_dma(EDU_BUF, 0x107000, 64, true) && irq;
	step("dma_into_readonly", 0, 0, "irq=%d untouched=%d", irq, buf[7 * PG] == 0x22);
	irq = edu_dma(EDU_BUF, 0x800000, 64, true);
	step("dma_unmapped", 0, 0, "irq=%d", irq);
	memset(buf, 0, PG);
	irq = edu_dma(EDU_BUF, 0x10000000 + 0x100000, 64, true);
	step("dma_above_mask", 0, 0, "irq=%d wrapped_to_mask=%d", irq, buf[0] == 0x33);
}

/* A transfer from the last mapped page into the unmapped one after it. */
static void crossing(void)
{
	bool irq;

	unmap("unmap_tail", ioas, 0x104000, 3 * PG);
	memset(buf + 3 * PG, 0, PG);
	irq = edu_dma(EDU_BUF, 0x103800, PG, true);
	step("dma_crossing_into_unmapped", 0, 0, "irq=%d first_half_written=%d", irq,
	     buf[3 * PG + 0x800] == 0x33);
	map("map_tail_again", ioas, RW | FIXED, buf + 4 * PG, 3 * PG, 0x104000);
}

static void copies_and_files(void)
{
	struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW | FIXED, .dst_ioas_id = ioas,
				     .src_ioas_id = ioas, .length = PG, .src_iova = 0x101000,
				     .dst_iova = 0x300000 };
	int mfd = memfd_create("edu_dma", MFD_CLOEXEC);
	struct iommu_ioas_map_file mf = { .size = sizeof(mf), .flags = RW | FIXED, .ioas_id = ioas,
					  .fd = mfd, .length = 2 * PG, .iova = 0x400000 };
	char back[64] = { 0 };
	bool irq;

	IOC("copy", ifd, IOMMU_IOAS_COPY, &c);
	memset(buf + PG, 0, PG);
	irq = edu_dma(EDU_BUF, 0x300000, 64, true);
	step("dma_through_copy", 0, 0, "irq=%d landed=%d", irq, buf[PG] == 0x33);
	if (mfd < 0 || ftruncate(mfd, 2 * PG))
		exit(2);
	IOC("map_file", ifd, IOMMU_IOAS_MAP_FILE, &mf);
	irq = edu_dma(EDU_BUF, 0x401000, 64, true);
	step("dma_into_memfd", 0, 0, "irq=%d landed=%d", irq,
	     pread(mfd, back, sizeof(back), PG) == sizeof(back) && back[63] == 0x33);
	unmap("unmap_copy", ioas, 0x300000, PG);
	unmap("unmap_file", ioas, 0x400000, 2 * PG);
	close(mfd);
}

static void domains(void)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .pt_id = ioas };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	char *other = arena(1);
	bool irq;

	IOC("detach", dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
	memset(buf, 0, PG);
	irq = edu_dma(EDU_BUF, 0x100000, 64, true);
	step("dma_detached", 0, 0, "irq=%d untouched=%d", irq, buf[0] == 0);
	h.dev_id = devid;
	IOC("hwpt_alloc", ifd, IOMMU_HWPT_ALLOC, &h);
	step("attach_hwpt", attach_pt(h.out_hwpt_id), errno, NULL);
	irq = edu_dma(EDU_BUF, 0x100000, 64, true);
	step("dma_through_hwpt", 0, 0, "irq=%d landed=%d", irq, buf[0] == 0x33);
	IOC("ioas_alloc_other", ifd, IOMMU_IOAS_ALLOC, &a);
	map("map_other", a.out_ioas_id, RW | FIXED, other, PG, 0x100000);
	memset(buf, 0, PG);
	step("replace_by_other_ioas", attach_pt(a.out_ioas_id), errno, NULL);
	irq = edu_dma(EDU_BUF, 0x100000, 64, true);
	step("dma_after_replace", 0, 0, "irq=%d other=%d old_untouched=%d", irq, other[0] == 0x33,
	     buf[0] == 0);
	step("replace_back", attach_pt(ioas), errno, NULL);
	irq = edu_dma(EDU_BUF, 0x100000, 64, true);
	step("dma_after_replace_back", 0, 0, "irq=%d landed=%d", irq, buf[0] == 0x33);
}

int main(int argc, char **argv)
{
	scenario_devices(argc, argv, "edu");
	buf = arena(8);
	setup();
	basic();
	crossing();
	copies_and_files();
	domains();
	close(efd);
	close(dev);
	close(ifd);
	return 0;
}
