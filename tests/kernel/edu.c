// SPDX-License-Identifier: MIT
/*
 * Scenario: the edu device through the VFIO cdev and iommufd, step by step,
 * every refusal included: BIND, ATTACH/DETACH, HW info, HWPT_ALLOC, region
 * and IRQ information, config space, BAR registers, MSI through an eventfd,
 * DMA through the IOMMU (mapped, unmapped, bus mastering off), features,
 * resets.  Runs against QEMU's edu behind a real kernel, over FUSE and
 * in-process; it prints nothing that depends on where it runs (no
 * addresses, no fd numbers) beyond what the device and kernel report.
 *
 * `edu --devices` prints the emulator devices it needs.
 */
#include <linux/pci_regs.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/eventfd.h>

#include "scenario.h"

#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define IOVA 0x100000ULL

static int ifd, dev;
static uint32_t ioas, devid;

static int open_cdev(void)
{
	const char *path = getenv("VFIO_CDEV") ? getenv("VFIO_CDEV") : "/dev/vfio/devices/vfio0";

	return open(path, O_RDWR | O_CLOEXEC);
}

static long bind_with(int iommufd, uint32_t flags, uint64_t token, uint32_t argsz)
{
	struct vfio_device_bind_iommufd b = { .argsz = argsz, .flags = flags, .iommufd = iommufd,
					      .token_uuid_ptr = token };
	int e;
	long r = xioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b, &e);

	if (!r)
		devid = b.out_devid;
	errno = e;
	return r;
}

#define BIND(name, ...)                                                      \
	do {                                                                 \
		long _r = bind_with(__VA_ARGS__);                            \
		step(name, _r, errno, _r ? "" : "devid=%u", devid);          \
	} while (0)

static long attach(uint32_t flags, uint32_t pt, uint32_t pasid, uint32_t *out)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .flags = flags,
						   .pt_id = pt, .pasid = pasid };
	int e;
	long r = xioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a, &e);

	*out = a.pt_id;
	errno = e;
	return r;
}

#define ATTACH(name, flags, pt, pasid)                                       \
	do {                                                                 \
		uint32_t _out;                                               \
		long _r = attach(flags, pt, pasid, &_out);                   \
		step(name, _r, errno, "pt_id=%u", _out);                     \
	} while (0)

static void detach(const char *name)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	IOC(name, dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static void destroy(const char *name, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	IOC(name, ifd, IOMMU_DESTROY, &d, "id=%u", id);
}

static void iova_ranges(const char *name)
{
	struct iommu_iova_range r[4] = { 0 };
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 4,
					    .allowed_iovas = (uintptr_t)r };
	int e;
	long rc = xioctl(ifd, IOMMU_IOAS_IOVA_RANGES, &q, &e);
	char text[256] = "";

	for (uint32_t i = 0; !rc && i < q.num_iovas && i < 4; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " [0x%llx-0x%llx]",
			 (unsigned long long)r[i].start, (unsigned long long)r[i].last);
	step(name, rc, e, "num=%u align=0x%llx%s", q.num_iovas,
	     (unsigned long long)q.out_iova_alignment, text);
}

/* ---- binding ---- */

static void binding(void)
{
	uint8_t uuid[16] = { 1 };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), dev2;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint32_t v;

	IOC("get_info_unbound", dev, VFIO_DEVICE_GET_INFO, &info);
	errno = 0;
	step("pread_unbound", pread(dev, &v, 4, CFG), errno, NULL);
	BIND("bind_argsz_8", ifd, 0, 0, 8);
	BIND("bind_iommufd_minus1", -1, 0, 0, sizeof(struct vfio_device_bind_iommufd));
	BIND("bind_dev_null", null, 0, 0, sizeof(struct vfio_device_bind_iommufd));
	BIND("bind_closed_fd", 1023, 0, 0, sizeof(struct vfio_device_bind_iommufd));
	BIND("bind_flags_2", ifd, 2, 0, sizeof(struct vfio_device_bind_iommufd));
	BIND("bind_token_null", ifd, VFIO_DEVICE_BIND_FLAG_TOKEN, 0,
	     sizeof(struct vfio_device_bind_iommufd));
	BIND("bind_token", ifd, VFIO_DEVICE_BIND_FLAG_TOKEN, (uintptr_t)uuid,
	     sizeof(struct vfio_device_bind_iommufd));
	BIND("bind", ifd, 0, 0, sizeof(struct vfio_device_bind_iommufd));
	BIND("bind_again", ifd, 0, 0, sizeof(struct vfio_device_bind_iommufd));
	dev2 = open_cdev();
	step("open_second", dev2 < 0 ? -1 : 0, errno, NULL);
	{
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = ifd };

		IOC("bind_second_file", dev2, VFIO_DEVICE_BIND_IOMMUFD, &b);
	}
	close(dev2);
	close(null);
	destroy("destroy_device", devid);
}

static void hw_info(void)
{
	struct iommu_hw_info_vtd vtd = { 0 };
	struct iommu_hw_info h = { .size = sizeof(h), .dev_id = devid, .data_len = sizeof(vtd),
				   .data_uptr = (uintptr_t)&vtd };

	IOC("get_hw_info", ifd, IOMMU_GET_HW_INFO, &h, "type=%u len=%u caps=0x%llx", h.out_data_type,
	    h.data_len, (unsigned long long)h.out_capabilities);
	h.dev_id = ioas;
	IOC("get_hw_info_ioas", ifd, IOMMU_GET_HW_INFO, &h);
}

/* ---- attaching ---- */

static long hwpt_alloc(uint32_t flags, uint32_t *out)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = devid,
				      .pt_id = ioas };
	int e;
	long r = xioctl(ifd, IOMMU_HWPT_ALLOC, &a, &e);

	*out = a.out_hwpt_id;
	errno = e;
	return r;
}

static void attaching(void)
{
	uint32_t hwpt = 0, auto_hwpt;
	long r;

	ATTACH("attach_missing", 0, 0xdead, 0);
	ATTACH("attach_device_id", 0, devid, 0);
	ATTACH("attach_flags_2", 2, ioas, 0);
	ATTACH("attach_pasid_5", VFIO_DEVICE_ATTACH_PASID, ioas, 5);
	ATTACH("attach_ioas", 0, ioas, 0);
	attach(0, ioas, 0, &auto_hwpt);
	iova_ranges("iova_ranges_attached");
	ATTACH("attach_again", 0, ioas, 0);
	destroy("destroy_auto_hwpt", auto_hwpt);
	destroy("destroy_ioas_busy", ioas);
	detach("detach");
	detach("detach_again");
	destroy("destroy_auto_hwpt_gone", auto_hwpt);
	r = hwpt_alloc(0, &hwpt);
	step("hwpt_alloc", r, errno, NULL);
	r = hwpt_alloc(IOMMU_HWPT_ALLOC_NEST_PARENT, &(uint32_t){ 0 });
	step("hwpt_alloc_nest_parent", r, errno, NULL);
	r = hwpt_alloc(1u << 6, &(uint32_t){ 0 });
	step("hwpt_alloc_flag_6", r, errno, NULL);
	ATTACH("attach_manual", 0, hwpt, 0);
	destroy("destroy_manual_busy", hwpt);
	ATTACH("replace_by_ioas", 0, ioas, 0);
	destroy("destroy_manual", hwpt);
}

/* ---- information ---- */

static void information(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	IOC("get_info", dev, VFIO_DEVICE_GET_INFO, &info, "flags=0x%x regions=%u irqs=%u",
	    info.flags, info.num_regions, info.num_irqs);
	for (uint32_t i = 0; i <= 9; i++) {
		struct vfio_region_info r = { .argsz = sizeof(r), .index = i };
		char name[32];

		snprintf(name, sizeof(name), "region_info_%u", i);
		IOC(name, dev, VFIO_DEVICE_GET_REGION_INFO, &r, "flags=0x%x size=0x%llx offset=0x%llx",
		    r.flags, (unsigned long long)r.size, (unsigned long long)r.offset);
	}
	for (uint32_t i = 0; i <= 5; i++) {
		struct vfio_irq_info q = { .argsz = sizeof(q), .index = i };
		char name[32];

		snprintf(name, sizeof(name), "irq_info_%u", i);
		IOC(name, dev, VFIO_DEVICE_GET_IRQ_INFO, &q, "flags=0x%x count=%u", q.flags, q.count);
	}
}

/* ---- config space ---- */

static uint32_t cfg_read(unsigned int off, unsigned int n)
{
	uint32_t v = 0;

	return pread(dev, &v, n, CFG + off) == (ssize_t)n ? v : 0xdeadbeef;
}

static void cfg_write(unsigned int off, unsigned int n, uint32_t v)
{
	if (pwrite(dev, &v, n, CFG + off) != (ssize_t)n)
		printf("cfg_write 0x%x failed\n", off);
}

static void config(void)
{
	uint32_t bar0 = cfg_read(PCI_BASE_ADDRESS_0, 4), cap, v;

	step("cfg_ids", 0, 0, "vendor=0x%04x device=0x%04x class=0x%06x rev=0x%02x "
	     "subsys=0x%04x:0x%04x", cfg_read(PCI_VENDOR_ID, 2), cfg_read(PCI_DEVICE_ID, 2),
	     cfg_read(PCI_CLASS_REVISION, 4) >> 8, cfg_read(PCI_REVISION_ID, 1),
	     cfg_read(PCI_SUBSYSTEM_VENDOR_ID, 2), cfg_read(PCI_SUBSYSTEM_ID, 2));
	step("cfg_command", 0, 0, "command=0x%04x status=0x%04x pin=%u",
	     cfg_read(PCI_COMMAND, 2), cfg_read(PCI_STATUS, 2), cfg_read(PCI_INTERRUPT_PIN, 1));
	cfg_write(PCI_VENDOR_ID, 2, 0xbeef);
	step("cfg_vendor_read_only", 0, 0, "vendor=0x%04x", cfg_read(PCI_VENDOR_ID, 2));
	cfg_write(PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	step("cfg_bar0_sizing", 0, 0, "bar0=0x%08x", cfg_read(PCI_BASE_ADDRESS_0, 4));
	cfg_write(PCI_BASE_ADDRESS_0, 4, bar0);
	step("cfg_bar0_restored", 0, 0, "same=%d", cfg_read(PCI_BASE_ADDRESS_0, 4) == bar0);
	cap = cfg_read(PCI_CAPABILITY_LIST, 1);
	step("cfg_caps", 0, 0, "first=0x%02x id=0x%02x next=0x%02x msi_flags=0x%04x", cap,
	     cfg_read(cap, 1), cfg_read(cap + 1, 1), cfg_read(cap + PCI_MSI_FLAGS, 2));
	errno = 0;
	step("cfg_read_past_end", pread(dev, &v, 4, CFG + 254), errno, NULL);
	step("cfg_read_3_at_1", pread(dev, &v, 3, CFG + 1), errno, NULL);
}

/* ---- interrupts and the BAR ---- */

static int efd;

static bool irq(int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	eventfd_t v;

	if (poll(&p, 1, ms) != 1)
		return false;
	return eventfd_read(efd, &v) == 0;
}

static uint64_t bar(uint64_t off, unsigned int n)
{
	uint64_t v = 0;

	return pread(dev, &v, n, off) == (ssize_t)n ? v : 0xdeadbeef;
}

static void bar_set(uint64_t off, unsigned int n, uint64_t v)
{
	if (pwrite(dev, &v, n, off) != (ssize_t)n)
		printf("bar write 0x%llx failed\n", (unsigned long long)off);
}

static void set_irqs(const char *name, uint32_t flags, uint32_t index, uint32_t start,
		     uint32_t count, int32_t fd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} a = { .s = { .argsz = sizeof(a), .flags = flags, .index = index, .start = start,
		       .count = count }, .fd = fd };

	IOC(name, dev, VFIO_DEVICE_SET_IRQS, &a);
}

static void interrupts(void)
{
	const uint32_t efd_trigger = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	int pipefd[2];

	efd = eventfd(0, EFD_CLOEXEC);
	if (pipe(pipefd))
		exit(2);
	set_irqs("set_irqs_index_5", efd_trigger, 5, 0, 1, efd);
	set_irqs("set_irqs_msix_none", efd_trigger, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, efd);
	set_irqs("set_irqs_two_actions", VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK |
		 VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, efd);
	set_irqs("set_irqs_msi_mask", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
		 VFIO_PCI_MSI_IRQ_INDEX, 0, 1, 0);
	set_irqs("set_irqs_not_eventfd", efd_trigger, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, pipefd[0]);
	set_irqs("set_irqs_bad_fd", efd_trigger, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, 1023);
	set_irqs("set_irqs_loopback_disabled", VFIO_IRQ_SET_DATA_NONE |
		 VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, 0);
	set_irqs("set_irqs_msi", efd_trigger, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, efd);
	set_irqs("set_irqs_intx_while_msi", efd_trigger, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, efd);
	set_irqs("set_irqs_loopback", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		 VFIO_PCI_MSI_IRQ_INDEX, 0, 1, 0);
	step("loopback_irq", 0, 0, "irq=%d", irq(1000));
	close(pipefd[0]);
	close(pipefd[1]);
}

static void registers(void)
{
	uint32_t cmd = cfg_read(PCI_COMMAND, 2);

	cfg_write(PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
	errno = 0;
	step("bar_read_decode_off", pread(dev, &(uint32_t){ 0 }, 4, 0), errno, NULL);
	cfg_write(PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	step("bar_id", 0, 0, "id=0x%08x", (unsigned int)bar(0x00, 4));
	bar_set(0x04, 4, 0x12345678);
	step("bar_liveness", 0, 0, "read=0x%08x", (unsigned int)bar(0x04, 4));
	bar_set(0x20, 4, 0x80);
	bar_set(0x08, 4, 10);
	step("factorial_irq", 0, 0, "irq=%d", irq(5000));
	step("factorial", 0, 0, "value=%u status=0x%x", (unsigned int)bar(0x08, 4),
	     (unsigned int)bar(0x24, 4));
	bar_set(0x64, 4, bar(0x24, 4));
	errno = 0;
	step("bar_read_at_end", pread(dev, &(uint32_t){ 0 }, 4, 1 << 20), errno, NULL);
	step("bar_read_across_end", pread(dev, &(uint64_t){ 0 }, 8, (1 << 20) - 4), errno, NULL);
}

/* ---- DMA ---- */

static void edu_dma(uint64_t src, uint64_t dst, uint64_t len, bool to_ram)
{
	bar_set(0x80, 8, src);
	bar_set(0x88, 8, dst);
	bar_set(0x90, 8, len);
	bar_set(0x98, 8, 0x1 | (to_ram ? 0x2 : 0) | 0x4);
}

static bool dma_done(void)
{
	bool got = irq(5000);

	bar_set(0x64, 4, bar(0x24, 4));
	return got;
}

static void dma(void)
{
	char *buf = arena(2);
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)buf,
				    .length = 2 * PG, .iova = IOVA,
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE };
	uint32_t cmd;
	bool done;

	IOC("map", ifd, IOMMU_IOAS_MAP, &m);
	for (int i = 0; i < 4096; i++)
		buf[i] = (char)(i * 3);
	memset(buf + PG, 0, PG);
	edu_dma(IOVA, 0x40000, 4096, false);
	done = dma_done();
	edu_dma(0x40000, IOVA + PG, 4096, true);
	done = dma_done() && done;
	step("dma_roundtrip", 0, 0, "irqs=%d same=%d", done, !memcmp(buf, buf + PG, 4096));
	memset(buf + PG, 0x5a, 64);
	edu_dma(0x40000, 0x900000, 64, true);
	done = dma_done();
	step("dma_unmapped_iova", 0, 0, "irq=%d untouched=%d", done, buf[PG] == 0x5a);
	cmd = cfg_read(PCI_COMMAND, 2);
	cfg_write(PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
	edu_dma(0x40000, IOVA + PG, 64, true);
	done = dma_done();
	step("dma_no_bus_master", 0, 0, "irq=%d untouched=%d", done, buf[PG] == 0x5a);
	cfg_write(PCI_COMMAND, 2, cmd);
}

/* ---- features and resets ---- */

static void feature(const char *name, uint32_t flags)
{
	struct vfio_device_feature f = { .argsz = sizeof(f), .flags = flags };

	IOC(name, dev, VFIO_DEVICE_FEATURE, &f);
}

static void features(void)
{
	struct vfio_pci_hot_reset_info hri = { .argsz = sizeof(hri) };
	struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr) };

	feature("feature_argsz_bad_flags", 1u << 20);
	feature("feature_get_set", VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET | 3);
	feature("feature_migration_probe", VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
		VFIO_DEVICE_FEATURE_MIGRATION);
	feature("feature_low_power_probe", VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY);
	feature("feature_low_power_get", VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
		VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY);
	feature("feature_dma_buf_probe", VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
		VFIO_DEVICE_FEATURE_DMA_BUF);
	IOC("reset", dev, VFIO_DEVICE_RESET, NULL);
	IOC("hot_reset_info", dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hri);
	IOC("hot_reset", dev, VFIO_DEVICE_PCI_HOT_RESET, &hr);
	IOC("unknown_ioctl", dev, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL);
}

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	scenario_devices(argc, argv, "edu");
	ifd = open_iommu();
	IOC("ioas_alloc", ifd, IOMMU_IOAS_ALLOC, &a, "id=%u", a.out_ioas_id);
	ioas = a.out_ioas_id;
	dev = open_cdev();
	step("open_cdev", dev < 0 ? -1 : 0, errno, NULL);
	if (dev < 0)
		return 1;
	binding();
	hw_info();
	attaching();
	information();
	config();
	interrupts();
	registers();
	dma();
	features();
	close(dev);
	destroy("destroy_ioas_after_close", ioas);
	close(ifd);
	return 0;
}
