// SPDX-License-Identifier: MIT
/*
 * Scenario: one edu device with no IOMMU in front of it, as a kernel booted
 * with vfio.enable_unsafe_noiommu_mode=1 and no IOMMU offers it: Linux 7.x
 * names its cdev noiommu-vfio0 and gives an attached IOAS a software page
 * table whose physical addresses IOMMU_IOAS_NOIOMMU_GET_PA reveals (the
 * emulator's `noiommu=swpt` policy); 6.12 has no cdev at all (`nocdev`).
 * The device DMAs to a physical address taken from GET_PA, the only safe
 * one: a wild physical address would hit the guest kernel's own memory.
 * Needs CAP_SYS_RAWIO.  Prints no address, only page offsets and lengths.
 */
#include <linux/pci_regs.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/eventfd.h>

#include "scenario.h"

#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED IOMMU_IOAS_MAP_FIXED_IOVA

static int ifd, dev;
static uint32_t ioas, devid;

static int open_cdev(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	return open(path, O_RDWR | O_CLOEXEC);
}

static long attach_pt(uint32_t pt)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt };
	int e;
	long r = xioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a, &e);

	errno = e;
	return r;
}

static void detach(const char *name)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	IOC(name, dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static void destroy(const char *name, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	IOC(name, ifd, IOMMU_DESTROY, &d);
}

static void map(const char *name, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .flags = RW | FIXED, .ioas_id = ioas,
				    .user_va = (uintptr_t)va, .length = len, .iova = iova };

	IOC(name, ifd, IOMMU_IOAS_MAP, &m);
}

static void unmap(const char *name, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	IOC(name, ifd, IOMMU_IOAS_UNMAP, &u, "length=0x%llx", (unsigned long long)u.length);
}

static uint64_t get_pa(const char *name, uint32_t id, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_noiommu_get_pa g = { .size = sizeof(g), .ioas_id = id, .iova = iova,
					       .length = len };

	IOC(name, ifd, IOMMU_IOAS_NOIOMMU_GET_PA, &g, "page_offset=0x%llx length=0x%llx",
	    (unsigned long long)(g.out_phys & 0xfff), (unsigned long long)g.length);
	return g.out_phys;
}

static void opening(void)
{
	int other = open_cdev("vfio0");

	step("open_vfio0", other < 0 ? -1 : 0, errno, NULL);
	if (other >= 0)
		close(other);
	dev = open_cdev("noiommu-vfio0");
	step("open_noiommu_vfio0", dev < 0 ? -1 : 0, errno, NULL);
	if (dev < 0) {
		printf("no noiommu cdev: nothing more to do\n");
		exit(0);
	}
}

static void binding(void)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = ifd };
	struct iommu_hw_info h = { .size = sizeof(h) };
	struct iommu_hwpt_alloc a = { .size = sizeof(a) };
	struct vfio_device_info info = { .argsz = sizeof(info) };

	IOC("bind", dev, VFIO_DEVICE_BIND_IOMMUFD, &b, "devid=%u", b.out_devid);
	devid = b.out_devid;
	IOC("get_info", dev, VFIO_DEVICE_GET_INFO, &info, "flags=0x%x regions=%u irqs=%u",
	    info.flags, info.num_regions, info.num_irqs);
	h.dev_id = devid;
	IOC("hw_info", ifd, IOMMU_GET_HW_INFO, &h, "type=%u", h.out_data_type);
	a.dev_id = devid;
	a.pt_id = ioas;
	IOC("hwpt_alloc", ifd, IOMMU_HWPT_ALLOC, &a, "id=%u", a.out_hwpt_id);
	if (a.out_hwpt_id)
		destroy("hwpt_destroy", a.out_hwpt_id);
	get_pa("get_pa_unattached", ioas, 0x100000, PG);
	step("attach_missing", attach_pt(0xdead), errno, NULL);
	step("attach_device_id", attach_pt(devid), errno, NULL);
	step("attach", attach_pt(ioas), errno, NULL);
	step("attach_again", attach_pt(ioas), errno, NULL);
	destroy("destroy_ioas_busy", ioas);
}

static void ranges(void)
{
	struct iommu_iova_range r[2] = { 0 };
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 2,
					    .allowed_iovas = (uintptr_t)r };

	IOC("iova_ranges", ifd, IOMMU_IOAS_IOVA_RANGES, &q,
	    "num=%u align=0x%llx first=[0x%llx-0x%llx]", q.num_iovas,
	    (unsigned long long)q.out_iova_alignment, (unsigned long long)r[0].start,
	    (unsigned long long)r[0].last);
}

static int msi(void)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} a = { .s = { .argsz = sizeof(a), .index = VFIO_PCI_MSI_IRQ_INDEX, .count = 1,
		       .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER },
		.fd = eventfd(0, EFD_CLOEXEC) };
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	IOC("msi", dev, VFIO_DEVICE_SET_IRQS, &a);
	if (pwrite(dev, &cmd, 2, CFG + PCI_COMMAND) != 2)
		printf("command write failed\n");
	return a.fd;
}

static void bar_set(uint64_t off, uint64_t v)
{
	if (pwrite(dev, &v, 8, off) != 8)
		printf("bar write failed\n");
}

/* edu DMA between its buffer and the bus address addr; true when it ended. */
static bool edu_dma(int efd, uint64_t addr, uint64_t len, bool to_ram)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	eventfd_t v;
	uint32_t ack;

	bar_set(0x80, to_ram ? 0x40000 : addr);
	bar_set(0x88, to_ram ? addr : 0x40000);
	bar_set(0x90, len);
	bar_set(0x98, 0x5 | (to_ram ? 0x2 : 0));
	if (poll(&p, 1, 5000) != 1 || eventfd_read(efd, &v))
		return false;
	if (pread(dev, &ack, 4, 0x24) == 4)
		bar_set(0x64, ack);
	return true;
}

static void dma(void)
{
	char *buf = arena(4), *hole;
	uint64_t pa;
	int efd;
	bool done;

	hole = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, PG);
	map("map_unmapped_memory", hole, PG, 0x200000);
	map("map", buf, 4 * PG, 0x100000);
	map("map_overlap", buf, PG, 0x101000);
	get_pa("get_pa_unmapped", ioas, 0x900000, PG);
	get_pa("get_pa_length_0", ioas, 0x100000, 0);
	get_pa("get_pa_bad_ioas", 99, 0x100000, PG);
	get_pa("get_pa_offset", ioas, 0x100005, 100);
	get_pa("get_pa_page", ioas, 0x101000, PG);
	/* How much is physically contiguous depends on the allocator. */
	pa = get_pa("~get_pa_contiguous", ioas, 0x100000, 16 * PG);
	efd = msi();
	memset(buf, 0x5a, PG);
	done = edu_dma(efd, pa, 64, false);
	memset(buf + PG, 0, PG);
	done = edu_dma(efd, get_pa("get_pa_second_page", ioas, 0x101000, PG), 64, true) && done;
	step("dma_via_physical", 0, 0, "done=%d landed=%d", done,
	     buf[PG] == 0x5a && buf[PG + 64] == 0);
	unmap("unmap", 0, UINT64_MAX);
	get_pa("get_pa_after_unmap", ioas, 0x100000, PG);
	close(efd);
}

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	/* dma_mask=64: the emulator's fake physical addresses start at 4 GiB,
	 * beyond edu's 28 bits; the guest's 256 MiB of RAM are all below. */
	scenario_devices(argc, argv, "edu,noiommu=swpt,dma_mask=64");
	ifd = open_iommu();
	IOC("ioas_alloc", ifd, IOMMU_IOAS_ALLOC, &a);
	ioas = a.out_ioas_id;
	opening();
	binding();
	ranges();
	dma();
	detach("detach");
	detach("detach_again");
	destroy("destroy_device", devid);
	close(dev);
	destroy("destroy_ioas_after_close", ioas);
	close(ifd);
	return 0;
}
