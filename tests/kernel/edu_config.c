// SPDX-License-Identifier: MIT
/*
 * Scenario: the edu device's PCI config space as vfio-pci virtualises it:
 * a dump row by row, the capability list, BAR and ROM sizing, which fields
 * are writable, read-only or virtual, write-one-to-clear status bits, and
 * accesses of every size and at the edges.
 *
 * Rows holding platform choices (BAR addresses the firmware assigned, the
 * interrupt line its routing chose) are "~" steps: compared by result only.
 */
#include <linux/pci_regs.h>

#include "scenario.h"

#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

static int dev;

static uint32_t cfg(unsigned int off, unsigned int n)
{
	uint32_t v = 0;

	return pread(dev, &v, n, CFG + off) == (ssize_t)n ? v : 0xdeadbeef;
}

static void cfg_set(unsigned int off, unsigned int n, uint32_t v)
{
	if (pwrite(dev, &v, n, CFG + off) != (ssize_t)n)
		printf("config write of %u bytes at 0x%x failed\n", n, off);
}

static void setup(void)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	const char *path = getenv("VFIO_CDEV") ? getenv("VFIO_CDEV") : "/dev/vfio/devices/vfio0";

	b.iommufd = open_iommu();
	dev = open(path, O_RDWR | O_CLOEXEC);
	step("open_cdev", dev < 0 ? -1 : 0, errno, NULL);
	if (dev < 0)
		exit(1);
	IOC("bind", dev, VFIO_DEVICE_BIND_IOMMUFD, &b);
}

/* 16 bytes a line; BARs (0x10-0x27) and the interrupt line are the
 * platform's choice, and so is the command register as firmware left it
 * (its bits are checked one by one in fields()). */
static void dump(const char *prefix)
{
	for (unsigned int row = 0; row < 256; row += 16) {
		unsigned char b[16];
		char name[32], hex[64] = "";
		ssize_t r = pread(dev, b, 16, CFG + row);

		for (int i = 0; r == 16 && i < 16; i++) {
			/* The command register is the firmware's choice too. */
			if (row == 0 && (i == PCI_COMMAND || i == PCI_COMMAND + 1))
				snprintf(hex + 3 * i, sizeof(hex) - 3 * i, ".. ");
			else
				snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", b[i]);
		}
		snprintf(name, sizeof(name), "%s%s_row_%02x",
			 row == 0x10 || row == 0x20 || row == 0x30 ? "~" : "", prefix, row);
		step(name, r, errno, "%s", hex);
	}
}

static void capabilities(void)
{
	unsigned int pos = cfg(PCI_CAPABILITY_LIST, 1), n = 0;
	char list[128] = "";

	while (pos && n++ < 16) {
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%02x@%02x ",
			 cfg(pos, 1), pos);
		pos = cfg(pos + 1, 1);
	}
	step("cfg_cap_list", 0, 0, "caps=%s status_caplist=%d", list,
	     !!(cfg(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST));
	step("cfg_ext_cap", 0, 0, "at_0x100=0x%08x", cfg(0x100, 4));
}

/* Write all ones to a BAR, read the size mask back, restore it. */
static void sizing(const char *name, unsigned int off)
{
	uint32_t old = cfg(off, 4), mask;

	cfg_set(off, 4, 0xffffffff);
	mask = cfg(off, 4);
	cfg_set(off, 4, old);
	step(name, 0, 0, "mask=0x%08x restored=%d", mask, cfg(off, 4) == old);
}

static void bars(void)
{
	char name[32];

	for (unsigned int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "cfg_bar%u_sizing", i);
		sizing(name, PCI_BASE_ADDRESS_0 + 4 * i);
	}
	sizing("cfg_rom_sizing", PCI_ROM_ADDRESS);
}

/* Write v over a field and report what reads back, then restore it. */
static void field(const char *name, unsigned int off, unsigned int n, uint32_t v)
{
	uint32_t old = cfg(off, n), got;

	cfg_set(off, n, v);
	got = cfg(off, n);
	cfg_set(off, n, old);
	step(name, 0, 0, "wrote=0x%x read=0x%x", v, got);
}

static void fields(void)
{
	uint16_t cmd = PCI_COMMAND_MEMORY;
	unsigned int msi = cfg(PCI_CAPABILITY_LIST, 1);

	/* From a known command register: SeaBIOS leaves I/O and SERR# on. */
	cfg_set(PCI_COMMAND, 2, cmd);
	step("cfg_command_memory_only", 0, 0, "read=0x%x", cfg(PCI_COMMAND, 2));

	field("cfg_vendor", PCI_VENDOR_ID, 2, 0x5555);
	field("cfg_device", PCI_DEVICE_ID, 2, 0x5555);
	field("cfg_class", PCI_CLASS_PROG, 1, 0x55);
	field("cfg_cache_line", PCI_CACHE_LINE_SIZE, 1, 0x10);
	field("cfg_latency", PCI_LATENCY_TIMER, 1, 0x40);
	field("cfg_interrupt_line", PCI_INTERRUPT_LINE, 1, 0x0b);
	field("cfg_interrupt_pin", PCI_INTERRUPT_PIN, 1, 0x03);
	field("cfg_subsystem", PCI_SUBSYSTEM_VENDOR_ID, 4, 0x55555555);
	field("cfg_cap_pointer", PCI_CAPABILITY_LIST, 1, 0x80);
	field("cfg_reserved_0x38", 0x38, 4, 0x55555555);
	field("cfg_command_intx_disable", PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
	field("cfg_command_io", PCI_COMMAND, 2, cmd | PCI_COMMAND_IO);
	field("cfg_command_serr_parity", PCI_COMMAND, 2, cmd | PCI_COMMAND_SERR |
	      PCI_COMMAND_PARITY);
	field("cfg_status_w1c", PCI_STATUS, 2, 0xffff);
	if (msi) {
		field("cfg_msi_flags_enable", msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE |
		      PCI_MSI_FLAGS_QSIZE);
		field("cfg_msi_address", msi + PCI_MSI_ADDRESS_LO, 4, 0xfee01000);
		field("cfg_msi_next", msi + 1, 1, 0x00);
	}
	field("cfg_after_caps", 0x60, 4, 0x55555555);
	field("cfg_last_dword", 0xfc, 4, 0x55555555);
}

static void edges(void)
{
	uint64_t v8 = 0;
	uint32_t v = 0;
	ssize_t r;
	int e;

	errno = 0;
	r = pread(dev, &v8, 8, CFG + 0x28);
	e = errno;
	step("cfg_read8", r, e, "value=0x%llx", (unsigned long long)v8);
	errno = 0;
	r = pread(dev, &v, 2, CFG + 1);
	e = errno;
	step("cfg_read2_unaligned", r, e, "value=0x%x", v);
	errno = 0;
	r = pread(dev, &v, 4, CFG + 0x2e);
	e = errno;
	step("cfg_read4_unaligned", r, e, "value=0x%x", v);
	errno = 0;
	r = pread(dev, &v, 4, CFG + 256);
	e = errno;
	step("cfg_read_at_256", r, e, NULL);
	errno = 0;
	r = pread(dev, &v, 4, CFG + 4096);
	e = errno;
	step("cfg_read_at_4096", r, e, NULL);
	errno = 0;
	r = pwrite(dev, &v, 4, CFG + 4096);
	e = errno;
	step("cfg_write_at_4096", r, e, NULL);
}

static void regions(void)
{
	struct vfio_region_info r = { .argsz = sizeof(r), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_region_info small = { .argsz = 8, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_device_info i = { .argsz = 8 };

	IOC("region_info_config", dev, VFIO_DEVICE_GET_REGION_INFO, &r,
	    "flags=0x%x size=0x%llx", r.flags, (unsigned long long)r.size);
	IOC("region_info_argsz_8", dev, VFIO_DEVICE_GET_REGION_INFO, &small);
	IOC("device_info_argsz_8", dev, VFIO_DEVICE_GET_INFO, &i);
	r.index = VFIO_PCI_ROM_REGION_INDEX;
	IOC("region_info_rom", dev, VFIO_DEVICE_GET_REGION_INFO, &r, "flags=0x%x size=0x%llx",
	    r.flags, (unsigned long long)r.size);
	r.index = VFIO_PCI_VGA_REGION_INDEX;
	IOC("region_info_vga", dev, VFIO_DEVICE_GET_REGION_INFO, &r, "flags=0x%x size=0x%llx",
	    r.flags, (unsigned long long)r.size);
	errno = 0;
	{
		uint32_t v;
		ssize_t n = pread(dev, &v, 4, (uint64_t)VFIO_PCI_ROM_REGION_INDEX << 40);
		int e = errno;

		step("rom_read", n, e, NULL);
		errno = 0;
		n = pread(dev, &v, 4, (uint64_t)VFIO_PCI_BAR1_REGION_INDEX << 40);
		e = errno;
		step("bar1_read", n, e, NULL);
	}
}

int main(int argc, char **argv)
{
	scenario_devices(argc, argv, "edu");
	setup();
	dump("cfg");
	capabilities();
	bars();
	fields();
	edges();
	regions();
	dump("cfg_end");
	close(dev);
	return 0;
}
