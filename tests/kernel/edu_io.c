// SPDX-License-Identifier: MIT
/*
 * Scenario: the edu device's registers and interrupts in depth, through
 * the VFIO cdev: INTx with vfio-pci's automasking (mask, unmask, re-sent
 * pending interrupts), MSI, the REQ and ERR indexes, SET_IRQS refusals,
 * IOEVENTFD (a BAR write done by the kernel when an eventfd fires) and
 * BAR accesses of every size, at defined and undefined offsets.
 *
 * Each interrupt check waits a bounded time on an eventfd and prints only
 * whether it fired, so the output is the same wherever it runs.
 */
#include <linux/pci_regs.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/eventfd.h>

#include "scenario.h"

#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define ACT_TRIGGER VFIO_IRQ_SET_ACTION_TRIGGER
#define ACT_MASK VFIO_IRQ_SET_ACTION_MASK
#define ACT_UNMASK VFIO_IRQ_SET_ACTION_UNMASK
#define DATA_NONE VFIO_IRQ_SET_DATA_NONE
#define DATA_BOOL VFIO_IRQ_SET_DATA_BOOL
#define DATA_EFD VFIO_IRQ_SET_DATA_EVENTFD

static int ifd, dev, efd;

/* ---- small helpers over the device file ---- */

static uint64_t rd(uint64_t off, unsigned int n)
{
	uint64_t v = 0;

	return pread(dev, &v, n, off) == (ssize_t)n ? v : 0xdeadbeef;
}

static void wr(uint64_t off, unsigned int n, uint64_t v)
{
	if (pwrite(dev, &v, n, off) != (ssize_t)n)
		printf("write of %u bytes at 0x%llx failed\n", n, (unsigned long long)off);
}

/* Did the eventfd fire within ms?  Consumes the count. */
static bool fired(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	eventfd_t v;

	return poll(&p, 1, ms) == 1 && eventfd_read(fd, &v) == 0;
}

static void set_irqs(const char *name, uint32_t flags, uint32_t index, uint32_t start,
		     uint32_t count, const void *data, size_t len)
{
	struct {
		struct vfio_irq_set s;
		unsigned char data[16];
	} a = { .s = { .argsz = sizeof(a.s) + len, .flags = flags, .index = index,
		       .start = start, .count = count } };

	if (len)
		memcpy(a.data, data, len);
	IOC(name, dev, VFIO_DEVICE_SET_IRQS, &a);
}

static void set_efd(const char *name, uint32_t index, uint32_t count, int32_t fd)
{
	set_irqs(name, DATA_EFD | ACT_TRIGGER, index, 0, count, &fd, count ? sizeof(fd) : 0);
}

static void action(const char *name, uint32_t act, uint32_t index)
{
	set_irqs(name, DATA_NONE | act, index, 0, 1, NULL, 0);
}

/* Raise edu interrupt bits and report whether the eventfd fired. */
static void raise_irq(const char *name, uint32_t bits)
{
	wr(0x60, 4, bits);
	step(name, 0, 0, "irq=%d status=0x%x", fired(efd, 500), (unsigned int)rd(0x24, 4));
}

static void setup(void)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	const char *path = getenv("VFIO_CDEV") ? getenv("VFIO_CDEV") : "/dev/vfio/devices/vfio0";
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	ifd = open_iommu();
	IOC("ioas_alloc", ifd, IOMMU_IOAS_ALLOC, &a);
	dev = open(path, O_RDWR | O_CLOEXEC);
	step("open_cdev", dev < 0 ? -1 : 0, errno, NULL);
	if (dev < 0)
		exit(1);
	b.iommufd = ifd;
	IOC("bind", dev, VFIO_DEVICE_BIND_IOMMUFD, &b);
	at.pt_id = a.out_ioas_id;
	IOC("attach", dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	wr(CFG + PCI_COMMAND, 2, cmd);
	efd = eventfd(0, EFD_CLOEXEC);
}

/* ---- INTx: vfio-pci masks the line when it fires ---- */

static void intx(void)
{
	uint8_t one = 1;

	set_efd("intx_enable", VFIO_PCI_INTX_IRQ_INDEX, 1, efd);
	raise_irq("intx_raise", 0x1);
	raise_irq("intx_raise_while_masked", 0x2);
	wr(0x64, 4, 0x3);
	action("intx_unmask_after_ack", ACT_UNMASK, VFIO_PCI_INTX_IRQ_INDEX);
	step("intx_nothing_pending", 0, 0, "irq=%d", fired(efd, 300));
	raise_irq("intx_raise_again", 0x4);
	action("intx_unmask_still_asserted", ACT_UNMASK, VFIO_PCI_INTX_IRQ_INDEX);
	step("intx_resent_on_unmask", 0, 0, "irq=%d", fired(efd, 500));
	wr(0x64, 4, 0x4);
	action("intx_unmask", ACT_UNMASK, VFIO_PCI_INTX_IRQ_INDEX);
	action("intx_mask", ACT_MASK, VFIO_PCI_INTX_IRQ_INDEX);
	raise_irq("intx_raise_user_masked", 0x8);
	action("intx_unmask_pending", ACT_UNMASK, VFIO_PCI_INTX_IRQ_INDEX);
	step("intx_pending_delivered", 0, 0, "irq=%d", fired(efd, 500));
	wr(0x64, 4, 0x8);
	action("intx_unmask_final", ACT_UNMASK, VFIO_PCI_INTX_IRQ_INDEX);
	action("intx_loopback", ACT_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX);
	step("intx_loopback_irq", 0, 0, "irq=%d", fired(efd, 500));
	set_irqs("intx_bool", DATA_BOOL | ACT_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &one, 1);
	step("intx_bool_irq", 0, 0, "irq=%d", fired(efd, 500));
	set_efd("intx_count_2", VFIO_PCI_INTX_IRQ_INDEX, 2, efd);
	set_efd("intx_msi_while_intx", VFIO_PCI_MSI_IRQ_INDEX, 1, efd);
	set_irqs("intx_disable", DATA_NONE | ACT_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL, 0);
	raise_irq("intx_raise_disabled", 0x10);
	wr(0x64, 4, 0x10);
	action("intx_unmask_disabled", ACT_UNMASK, VFIO_PCI_INTX_IRQ_INDEX);
}

/* ---- MSI: one vector, no masking ---- */

static void msi(void)
{
	int fds[2] = { efd, efd };
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_MSI_IRQ_INDEX };

	set_irqs("msi_count_2", DATA_EFD | ACT_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 2, fds,
		 sizeof(fds));
	set_efd("msi_enable", VFIO_PCI_MSI_IRQ_INDEX, 1, efd);
	IOC("msi_irq_info", dev, VFIO_DEVICE_GET_IRQ_INFO, &info, "flags=0x%x count=%u",
	    info.flags, info.count);
	step("msi_cfg_enabled", 0, 0, "msi_flags_enable=%d",
	     (int)(rd(CFG + rd(CFG + PCI_CAPABILITY_LIST, 1) + PCI_MSI_FLAGS, 2) &
		   PCI_MSI_FLAGS_ENABLE));
	raise_irq("msi_raise", 0x1);
	raise_irq("msi_raise_unacked", 0x2);
	wr(0x64, 4, 0x3);
	raise_irq("msi_raise_after_ack", 0x4);
	wr(0x64, 4, 0x4);
	set_irqs("msi_start_1", DATA_EFD | ACT_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 1, 1, &efd,
		 sizeof(efd));
	set_efd("msi_reenable_same", VFIO_PCI_MSI_IRQ_INDEX, 1, efd);
	set_irqs("msi_unbind_vector", DATA_EFD | ACT_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
		 &(int32_t){ -1 }, sizeof(int32_t));
	raise_irq("msi_raise_unbound", 0x1);
	wr(0x64, 4, 0x1);
	set_efd("msi_disable", VFIO_PCI_MSI_IRQ_INDEX, 0, -1);
	raise_irq("msi_raise_disabled", 0x2);
	wr(0x64, 4, 0x2);
}

/* ---- REQ, ERR and malformed requests ---- */

static void other_indexes(void)
{
	struct vfio_irq_set shortset = { .argsz = 8, .flags = DATA_NONE | ACT_TRIGGER,
					 .index = VFIO_PCI_MSI_IRQ_INDEX, .count = 1 };
	int ev2 = eventfd(0, EFD_CLOEXEC);

	set_efd("req_enable", VFIO_PCI_REQ_IRQ_INDEX, 1, ev2);
	action("req_loopback", ACT_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX);
	step("req_loopback_irq", 0, 0, "irq=%d", fired(ev2, 500));
	action("req_mask", ACT_MASK, VFIO_PCI_REQ_IRQ_INDEX);
	set_efd("req_disable", VFIO_PCI_REQ_IRQ_INDEX, 0, -1);
	set_efd("err_enable", VFIO_PCI_ERR_IRQ_INDEX, 1, ev2);
	action("err_loopback", ACT_TRIGGER, VFIO_PCI_ERR_IRQ_INDEX);
	step("err_loopback_irq", 0, 0, "irq=%d", fired(ev2, 500));
	set_efd("err_disable", VFIO_PCI_ERR_IRQ_INDEX, 0, -1);
	IOC("set_irqs_short_argsz", dev, VFIO_DEVICE_SET_IRQS, &shortset);
	set_irqs("set_irqs_no_data_type", ACT_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
	set_irqs("set_irqs_no_action", DATA_NONE, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
	set_irqs("set_irqs_unknown_flag", DATA_NONE | ACT_TRIGGER | (1u << 8),
		 VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
	set_irqs("set_irqs_start_overflow", DATA_NONE | ACT_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX,
		 UINT32_MAX, 2, NULL, 0);
	set_irqs("set_irqs_efd_data_missing", DATA_EFD | ACT_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0,
		 1, NULL, 0);
	close(ev2);
}

/* ---- IOEVENTFD: the kernel writes the BAR when the eventfd fires ---- */

static void ioeventfd(const char *name, uint32_t flags, uint64_t off, uint64_t data, int32_t fd)
{
	struct vfio_device_ioeventfd e = { .argsz = sizeof(e), .flags = flags, .offset = off,
					   .data = data, .fd = fd };

	IOC(name, dev, VFIO_DEVICE_IOEVENTFD, &e);
}

static void ioeventfds(void)
{
	int ev = eventfd(0, EFD_CLOEXEC);
	const uint32_t s4 = VFIO_DEVICE_IOEVENTFD_32;

	ioeventfd("ioeventfd_no_size", 0, 0x04, 1, ev);
	ioeventfd("ioeventfd_two_sizes", s4 | VFIO_DEVICE_IOEVENTFD_16, 0x04, 1, ev);
	ioeventfd("ioeventfd_unknown_flag", s4 | (1u << 8), 0x04, 1, ev);
	ioeventfd("ioeventfd_unaligned", s4, 0x06, 1, ev);
	ioeventfd("ioeventfd_past_bar", s4, 1 << 20, 1, ev);
	ioeventfd("ioeventfd_config", s4, CFG + 0x10, 1, ev);
	ioeventfd("ioeventfd_data_too_wide", VFIO_DEVICE_IOEVENTFD_8, 0x04, 0x100, ev);
	ioeventfd("ioeventfd_not_eventfd", s4, 0x04, 1, dev);
	ioeventfd("ioeventfd", s4, 0x04, 0x0f0f0f0f, ev);
	ioeventfd("ioeventfd_duplicate", s4, 0x04, 0x0f0f0f0f, ev);
	wr(0x04, 4, 0);
	eventfd_write(ev, 1);
	usleep(200 * 1000);
	step("ioeventfd_fired", 0, 0, "liveness=0x%08x", (unsigned int)rd(0x04, 4));
	/* Two on one eventfd: the kernel wakes the newest waiter first
	 * (add_wait_queue puts it at the head), so the oldest writes last. */
	ioeventfd("ioeventfd_other_data", s4, 0x04, 0x11111111, ev);
	eventfd_write(ev, 1);
	usleep(200 * 1000);
	step("ioeventfd_two_fired", 0, 0, "liveness=0x%08x", (unsigned int)rd(0x04, 4));
	ioeventfd("ioeventfd_delete", s4, 0x04, 0x0f0f0f0f, -1);
	ioeventfd("ioeventfd_delete_again", s4, 0x04, 0x0f0f0f0f, -1);
	ioeventfd("ioeventfd_delete_other", s4, 0x04, 0x11111111, -1);
	wr(0x04, 4, 0);
	eventfd_write(ev, 1);
	usleep(200 * 1000);
	step("ioeventfd_deleted", 0, 0, "liveness=0x%08x", (unsigned int)rd(0x04, 4));
	close(ev);
}

/* ---- BAR accesses of every size ---- */

static void bar_access(const char *name, uint64_t off, unsigned int n)
{
	uint64_t v = 0;
	ssize_t r;
	int e;

	errno = 0;
	r = pread(dev, &v, n, off);
	e = errno;
	step(name, r, e, "value=0x%llx", (unsigned long long)v);
}

/* Wait (bounded) until no factorial is computing: QEMU computes it in a
 * thread of its own, whose speed depends on the host. */
static void wait_idle(void)
{
	for (int i = 0; i < 200 && (rd(0x20, 4) & 0x1); i++)
		usleep(10 * 1000);
}

static void registers(void)
{
	bar_access("bar_read8_id", 0x00, 1);
	bar_access("bar_read16_id", 0x00, 2);
	bar_access("bar_read64_id", 0x00, 8);
	bar_access("bar_read_undefined", 0x30, 4);
	bar_access("bar_read_undefined_high", 0x1000, 4);
	wr(0x04, 2, 0x1234);
	bar_access("bar_write16_ignored", 0x04, 4);
	/* vfio-pci splits an 8-byte access at 0x04 into two 4-byte ones:
	 * liveness gets the low half, the factorial register (0x08) the high
	 * half, 0, which starts computing 0!. */
	wr(0x04, 8, 0x22222222ULL);
	bar_access("bar_write64_unaligned", 0x04, 4);
	wait_idle();
	bar_access("bar_write64_unaligned_high_half", 0x08, 4);
	wr(0x80, 8, 0x123456789abcULL);
	bar_access("bar_dma_src64", 0x80, 8);
	bar_access("bar_dma_src_low32", 0x80, 4);
	bar_access("bar_dma_src_high32", 0x84, 4);
	wr(0x84, 4, 0x55);
	bar_access("bar_dma_src_after_high_write", 0x80, 8);
	bar_access("bar_dma_cmd", 0x98, 8);
	wr(0x20, 4, 0x80);
	bar_access("bar_status_irq_enable", 0x20, 4);
	wr(0x20, 4, 0x81);
	bar_access("bar_status_busy_read_only", 0x20, 4);
	wr(0x20, 4, 0);
	wr(0x08, 4, 5);
	wait_idle();
	bar_access("bar_factorial_5", 0x08, 4);
	wr(0x08, 4, 13);
	wait_idle();
	bar_access("bar_factorial_13_wraps", 0x08, 4);
	wr(0x60, 4, 0x30);
	bar_access("bar_irq_status", 0x24, 4);
	wr(0x64, 4, 0x10);
	bar_access("bar_irq_status_partial_ack", 0x24, 4);
	wr(0x64, 4, 0x20);
	wr(0x24, 4, 0xff);
	bar_access("bar_irq_status_read_only", 0x24, 4);
	bar_access("bar_ack_reads", 0x64, 4);
}

int main(int argc, char **argv)
{
	scenario_devices(argc, argv, "edu");
	setup();
	intx();
	msi();
	other_indexes();
	ioeventfds();
	registers();
	close(efd);
	close(dev);
	close(ifd);
	return 0;
}
