// SPDX-License-Identifier: MIT
/*
 * The vfio-pci layer of a device cdev, against Linux 7.3's vfio_pci_core.c,
 * vfio_pci_config.c, vfio_pci_intrs.c and vfio_pci_rdwr.c: GET_INFO,
 * GET_REGION_INFO, GET_IRQ_INFO, SET_IRQS (validation, INTx with automask,
 * MSI, MSI-X, ERR/REQ), config space virtualisation, memory decode and bus
 * mastering, BAR I/O, RESET and power states, features, hot reset,
 * ioeventfds, and what closing the bound file undoes.  Each test builds its
 * own emulator; edu runs with dma_delay=0 and dmatest with three queues.
 */
#include "devices.h"

#include "pci.h"
#include "vfio_config.h"
#include "device.h" /* the function's own registers, under vfio-pci's view */

static const char *const edu[] = { "edu,dma_delay=0", NULL };
static const char *const dmat[] = { "dmatest,queues=3", NULL };

#define NQ 3                /* dmatest queues, and MSI-X vectors */
#define QUIET_MS 50         /* how long "no signal" is watched for */
#define EDU_BAR_SIZE 0x100000
#define EDU_RAISE 0x60
#define EDU_ACK 0x64
#define EDU_IRQ_STATUS 0x24
#define LIVE 0x04

/* ---- fixtures ---- */

/* An emulator with the devices of specs, the first one bound. */
static struct dfx *bound(const char *const *specs)
{
	struct dfx *d = dfx_new(specs);

	assert_non_null(d->file);
	assert_true(bind(d) > 0);
	return d;
}

/* Bound, attached to a new IOAS holding n pages of ours at iova. */
static struct dfx *bound_mapped(const char *const *specs, void *buf, size_t n,
				uint64_t iova)
{
	struct dfx *d = dfx_new(specs);
	uint32_t ioas = ioas_alloc(&d->fx);

	assert_true(bind(d) > 0);
	assert_true(attach(d, ioas) > 0);
	assert_int_equal(map_at(&d->fx, ioas, buf, n * PG, iova, RW), 0);
	return d;
}

/* Close the bound file, open a new one and bind it. */
static void rebind(struct dfx *d)
{
	iemu_devfile_close(d->file);
	assert_int_equal(iemu_devfile_open(d->dev, d->fx.self, &d->file), 0);
	assert_true(bind(d) > 0);
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	assert_true(fd >= 0);
	return fd;
}

/* A number that is no open fd of ours. */
static int closed_fd(void)
{
	int fd = 9999;

	assert_true(fcntl(fd, F_GETFD) < 0);
	return fd;
}

/* The function's command register as the host sees it (not userspace). */
static uint16_t hw_command(struct dfx *d)
{
	return pcifn_cfg_read(d->dev->fn, PCI_COMMAND, 2);
}

/* True if fd is not signalled within QUIET_MS. */
static bool quiet(int fd)
{
	return wait_eventfd(fd, QUIET_MS) == 0;
}

/* Raw pread/pwrite of the config region. */
static ssize_t cfg_pread(struct dfx *d, void *buf, size_t n, uint64_t off)
{
	return iemu_devfile_read(d->file, buf, n, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off);
}

static ssize_t cfg_pwrite(struct dfx *d, const void *buf, size_t n, uint64_t off)
{
	return iemu_devfile_write(d->file, buf, n, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off);
}

/* Offset of capability id in the list as userspace sees it, 0 if absent. */
static unsigned int find_cap(struct dfx *d, uint8_t id)
{
	unsigned int pos = cfg_read(d, PCI_CAPABILITY_LIST, 1);

	for (int n = 0; pos && n < 48; n++) {
		if (cfg_read(d, pos + PCI_CAP_LIST_ID, 1) == id)
			return pos;
		pos = cfg_read(d, pos + PCI_CAP_LIST_NEXT, 1);
	}
	return 0;
}

/* ---- ioctl wrappers ---- */

static long region_info(struct dfx *d, void *arg)
{
	return dioc(d, VFIO_DEVICE_GET_REGION_INFO, arg);
}

/* GET_IRQ_INFO of index: its flags and count in *out. */
static long irq_info(struct dfx *d, uint32_t index, struct vfio_irq_info *out)
{
	*out = (struct vfio_irq_info){ .argsz = sizeof(*out), .index = index };
	return dioc(d, VFIO_DEVICE_GET_IRQ_INFO, out);
}

static void expect_irq(struct dfx *d, uint32_t index, uint32_t flags, uint32_t count)
{
	struct vfio_irq_info info;

	assert_int_equal(irq_info(d, index, &info), 0);
	assert_int_equal(info.flags, flags);
	assert_int_equal(info.count, count);
}

/* SET_IRQS with len bytes of data after the header. */
static long set_irqs(struct dfx *d, uint32_t flags, uint32_t index, uint32_t start,
		     uint32_t count, const void *data, size_t len)
{
	struct {
		struct vfio_irq_set s;
		uint8_t data[64];
	} a = { .s = { .argsz = sizeof(a.s) + len, .flags = flags, .index = index,
		       .start = start, .count = count } };

	assert_true(len <= sizeof(a.data));
	if (len)
		memcpy(a.data, data, len);
	return dioc(d, VFIO_DEVICE_SET_IRQS, &a);
}

/* ACTION with DATA_NONE on one interrupt of index. */
static long irq_none(struct dfx *d, uint32_t action, uint32_t index)
{
	return set_irqs(d, VFIO_IRQ_SET_DATA_NONE | action, index, 0, 1, NULL, 0);
}

/* Loop a trigger back (DATA_NONE, count 1). */
static long loopback(struct dfx *d, uint32_t index)
{
	return irq_none(d, VFIO_IRQ_SET_ACTION_TRIGGER, index);
}

/* Disable index (TRIGGER, DATA_NONE, count 0). */
static long irq_disable(struct dfx *d, uint32_t index)
{
	return set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 0,
			NULL, 0);
}

/* VFIO_DEVICE_FEATURE with len bytes of payload. */
static long feature(struct dfx *d, uint32_t flags, const void *payload, size_t len)
{
	struct {
		struct vfio_device_feature f;
		uint8_t data[32];
	} a = { .f = { .argsz = sizeof(a.f) + len, .flags = flags } };

	assert_true(len <= sizeof(a.data));
	if (len)
		memcpy(a.data, payload, len);
	return dioc(d, VFIO_DEVICE_FEATURE, &a);
}

static long pm_entry_wakeup(struct dfx *d, int32_t fd)
{
	struct vfio_device_low_power_entry_with_wakeup e = { .wakeup_eventfd = fd };

	return feature(d, VFIO_DEVICE_FEATURE_SET |
			  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, &e, sizeof(e));
}

static long ioeventfd(struct dfx *d, uint32_t flags, uint64_t offset, uint64_t data,
		      int32_t fd)
{
	struct vfio_device_ioeventfd io = { .argsz = sizeof(io), .flags = flags,
					    .offset = offset, .data = data, .fd = fd };

	return dioc(d, VFIO_DEVICE_IOEVENTFD, &io);
}

/* ---- 1. GET_INFO ---- */

static void test_get_info(void **state)
{
	struct dfx *d = bound(edu);
	struct vfio_device_info info;
	uint8_t *raw = (uint8_t *)&info;

	(void)state;
	memset(&info, 0xaa, sizeof(info));
	info.argsz = 15;
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
	/* argsz 16: exactly 16 bytes are written back. */
	info.argsz = 16;
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(info.argsz, 16);
	/* edu has no PM capability, FLR or bus reset: no function reset. */
	assert_int_equal(info.flags, VFIO_DEVICE_FLAGS_PCI);
	assert_int_equal(info.num_regions, 9);
	assert_int_equal(info.num_irqs, 5);
	for (size_t i = 16; i < sizeof(info); i++)
		assert_int_equal(raw[i], 0xaa);
	/* The full struct: no capabilities, cap_offset and pad zeroed. */
	info.argsz = sizeof(info);
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(info.cap_offset, 0);
	assert_int_equal(info.pad, 0);
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, (void *)8), -EFAULT);
	dfx_free(d);
}

static void test_get_info_dmatest(void **state)
{
	struct dfx *d = bound(dmat);
	struct vfio_device_info info = { .argsz = sizeof(info) };

	(void)state;
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), 0);
	/* A PM capability without No_Soft_Reset: pci_pm_reset works. */
	assert_int_equal(info.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(info.num_regions, 10); /* the vendor region */
	assert_int_equal(info.num_irqs, 5);
	dfx_free(d);
}

/* ---- 2. GET_REGION_INFO ---- */

struct region_with_cap {
	struct vfio_region_info ri;
	struct vfio_region_info_cap_type cap;
};

static void query_region(struct dfx *d, uint32_t index, struct vfio_region_info *ri)
{
	*ri = (struct vfio_region_info){ .argsz = sizeof(*ri), .index = index };
	assert_int_equal(region_info(d, ri), 0);
	assert_int_equal(ri->offset, REGION(index));
}

static void test_region_info_edu(void **state)
{
	struct dfx *d = bound(edu);
	struct vfio_region_info ri = { .argsz = 31, .index = 0 };

	(void)state;
	assert_int_equal(region_info(d, &ri), -EINVAL);
	query_region(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	assert_int_equal(ri.size, 256);
	assert_int_equal(ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	/* No MMAP: a difference from the kernel, FUSE files cannot map BARs. */
	query_region(d, VFIO_PCI_BAR0_REGION_INDEX, &ri);
	assert_int_equal(ri.size, EDU_BAR_SIZE);
	assert_int_equal(ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	query_region(d, VFIO_PCI_BAR1_REGION_INDEX, &ri);
	assert_int_equal(ri.size, 0);
	assert_int_equal(ri.flags, 0);
	query_region(d, VFIO_PCI_BAR5_REGION_INDEX, &ri);
	assert_int_equal(ri.size, 0);
	query_region(d, VFIO_PCI_ROM_REGION_INDEX, &ri);
	assert_int_equal(ri.size, 0);
	assert_int_equal(ri.flags, 0);
	ri = (struct vfio_region_info){ .argsz = sizeof(ri), .index = VFIO_PCI_VGA_REGION_INDEX };
	assert_int_equal(region_info(d, &ri), -EINVAL); /* not a VGA device */
	ri.index = 9;
	assert_int_equal(region_info(d, &ri), -EINVAL);
	/* Without capabilities the caller's cap_offset comes back unchanged:
	 * vfio_get_region_info copies all 32 bytes in and out. */
	ri = (struct vfio_region_info){ .argsz = sizeof(ri), .index = 0, .cap_offset = 0x77 };
	assert_int_equal(region_info(d, &ri), 0);
	assert_int_equal(ri.cap_offset, 0x77);
	assert_int_equal(region_info(d, (void *)8), -EFAULT);
	dfx_free(d);
}

static void test_region_info_vendor(void **state)
{
	struct dfx *d = bound(dmat);
	struct region_with_cap r;

	(void)state;
	/* Too small for the capability: the size needed, cap_offset 0. */
	memset(&r, 0xaa, sizeof(r));
	r.ri = (struct vfio_region_info){ .argsz = 32, .index = 9, .cap_offset = 5 };
	assert_int_equal(region_info(d, &r), 0);
	assert_int_equal(r.ri.argsz, 48);
	assert_int_equal(r.ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_CAPS);
	assert_int_equal(r.ri.cap_offset, 0);
	assert_int_equal(r.ri.size, 4096);
	assert_int_equal(r.ri.offset, REGION(9));
	assert_int_equal(r.cap.header.id, 0xaaaa); /* nothing written beyond */
	/* Room enough: the type capability right after the struct. */
	r.ri = (struct vfio_region_info){ .argsz = sizeof(r), .index = 9 };
	assert_int_equal(region_info(d, &r), 0);
	assert_int_equal(r.ri.argsz, sizeof(r));
	assert_int_equal(r.ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_CAPS);
	assert_int_equal(r.ri.cap_offset, 32);
	assert_int_equal(r.cap.header.id, VFIO_REGION_INFO_CAP_TYPE);
	assert_int_equal(r.cap.header.version, 1);
	assert_int_equal(r.cap.header.next, 0);
	/* VFIO_REGION_TYPE_PCI_VENDOR_TYPE | vendor; the macro's 1 << 31
	 * overflows an int, so the bit is spelled out. */
	assert_int_equal(r.cap.type, 0x80000000u | DMATEST_VENDOR);
	assert_int_equal(r.cap.subtype, DMATEST_REGION_STATS);
	r.ri = (struct vfio_region_info){ .argsz = sizeof(r), .index = 10 };
	assert_int_equal(region_info(d, &r), -EINVAL);
	/* BAR2 holds the MSI-X table; without MMAP there is no MSIX_MAPPABLE cap. */
	query_region(d, DMATEST_BAR_MSIX, &r.ri);
	assert_int_equal(r.ri.size, DMATEST_BAR_MSIX_SIZE);
	assert_int_equal(r.ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	dfx_free(d);
}

/* ---- 3. GET_IRQ_INFO ---- */

#define IRQ_INTX_FLAGS (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | \
			VFIO_IRQ_INFO_AUTOMASKED)
#define IRQ_FIXED_FLAGS (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE)

static void test_irq_info_edu(void **state)
{
	struct dfx *d = bound(edu);
	struct vfio_irq_info info = { .argsz = 15, .index = 0 };

	(void)state;
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_IRQ_INFO, &info), -EINVAL);
	expect_irq(d, VFIO_PCI_INTX_IRQ_INDEX, IRQ_INTX_FLAGS, 1);
	expect_irq(d, VFIO_PCI_MSI_IRQ_INDEX, IRQ_FIXED_FLAGS, 1);
	/* No MSI-X capability: has_dyn_msix is false, so NORESIZE. */
	expect_irq(d, VFIO_PCI_MSIX_IRQ_INDEX, IRQ_FIXED_FLAGS, 0);
	expect_irq(d, VFIO_PCI_ERR_IRQ_INDEX, IRQ_FIXED_FLAGS, 1);
	expect_irq(d, VFIO_PCI_REQ_IRQ_INDEX, IRQ_FIXED_FLAGS, 1);
	assert_int_equal(irq_info(d, VFIO_PCI_NUM_IRQS, &info), -EINVAL);
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_IRQ_INFO, (void *)8), -EFAULT);
	dfx_free(d);
}

static void test_irq_info_dmatest(void **state)
{
	struct dfx *d = bound(dmat);

	(void)state;
	expect_irq(d, VFIO_PCI_INTX_IRQ_INDEX, IRQ_INTX_FLAGS, 1);
	expect_irq(d, VFIO_PCI_MSI_IRQ_INDEX, IRQ_FIXED_FLAGS, 0);
	/* x86 allocates MSI-X vectors dynamically: no NORESIZE. */
	expect_irq(d, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_INFO_EVENTFD, NQ);
	expect_irq(d, VFIO_PCI_ERR_IRQ_INDEX, IRQ_FIXED_FLAGS, 1);
	expect_irq(d, VFIO_PCI_REQ_IRQ_INDEX, IRQ_FIXED_FLAGS, 1);
	dfx_free(d);
}

static void test_irq_info_6_12(void **state)
{
	struct dfx *d = dfx_new_kernel(IEMU_KERNEL_6_12, edu);
	struct vfio_irq_info info;
	int efd = new_eventfd();

	(void)state;
	assert_true(bind(d) > 0);
	/* Before 7.0 the error index exists on PCI Express functions only. */
	assert_int_equal(irq_info(d, VFIO_PCI_ERR_IRQ_INDEX, &info), -EINVAL);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_ERR_IRQ_INDEX, 0, efd), -EINVAL);
	expect_irq(d, VFIO_PCI_REQ_IRQ_INDEX, IRQ_FIXED_FLAGS, 1);
	close(efd);
	dfx_free(d);
}

/* ---- 4. SET_IRQS validation ---- */

static void test_set_irqs_validation(void **state)
{
	struct dfx *d = bound(edu);
	struct vfio_irq_set s = { .argsz = 19, .flags = VFIO_IRQ_SET_DATA_NONE |
					    VFIO_IRQ_SET_ACTION_TRIGGER, .count = 1 };
	const uint32_t trig = VFIO_IRQ_SET_ACTION_TRIGGER;
	int32_t fds[2] = { new_eventfd(), new_eventfd() };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	/* vfio_set_irqs_validate_and_prepare, in its order. */
	assert_int_equal(dioc(d, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	assert_int_equal(dioc(d, VFIO_DEVICE_SET_IRQS, (void *)8), -EFAULT);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE | trig, 5, 0, 1, NULL, 0), -EINVAL);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE | trig, VFIO_PCI_REQ_IRQ_INDEX, 1,
				  UINT32_MAX - 1, NULL, 0), -EINVAL);
	assert_int_equal(set_irqs(d, (1u << 6) | VFIO_IRQ_SET_DATA_NONE | trig, 0, 0, 1, NULL,
				  0), -EINVAL);
	/* Beyond the index's count: edu has no MSI-X, one MSI vector. */
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | trig, VFIO_PCI_MSIX_IRQ_INDEX,
				  0, 1, fds, 4), -EINVAL);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | trig, VFIO_PCI_MSI_IRQ_INDEX,
				  1, 1, fds, 4), -EINVAL);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | trig, VFIO_PCI_MSI_IRQ_INDEX,
				  0, 2, fds, 8), -EINVAL);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE | trig, VFIO_PCI_MSI_IRQ_INDEX, 1, 0,
				  NULL, 0), -EINVAL); /* start == count, even for nothing */
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | trig,
				  0, 0, 1, fds, 4), -EINVAL);
	/* argsz 20: no room for the one fd. */
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | trig, 0, 0, 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_BOOL | trig, 0, 0, 1, NULL, 0), -EINVAL);
	/* The action is the driver's business: none or two is ENOTTY. */
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE, 0, 0, 1, NULL, 0), -ENOTTY);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK |
				  VFIO_IRQ_SET_ACTION_UNMASK, 0, 0, 1, NULL, 0), -ENOTTY);
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_MASK, VFIO_PCI_MSI_IRQ_INDEX), -ENOTTY);
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_MSI_IRQ_INDEX),
			 -ENOTTY);
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_MASK, VFIO_PCI_ERR_IRQ_INDEX), -ENOTTY);
	/* INTx MASK/UNMASK need INTx enabled (EINVAL) before the data type counts. */
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_MASK, VFIO_PCI_INTX_IRQ_INDEX), -EINVAL);
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX),
			 -EINVAL);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, fds[0]), 0);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
				  VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fds[1], 4), -ENOTTY);
	/* A disable at start 1 fails validation, and INTx stays. */
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE | trig, VFIO_PCI_INTX_IRQ_INDEX, 1, 0,
				  NULL, 0), -EINVAL);
	/* ERR and REQ have one interrupt each. */
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_ERR_IRQ_INDEX, 1, fds[1]), -EINVAL);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | trig, VFIO_PCI_ERR_IRQ_INDEX,
				  0, 2, fds, 8), -EINVAL);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_REQ_IRQ_INDEX, 1, fds[1]), -EINVAL);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | trig, VFIO_PCI_REQ_IRQ_INDEX,
				  0, 2, fds, 8), -EINVAL);
	/* The fd: not open (eventfd_ctx_fdget: EBADF), not an eventfd
	 * (EINVAL), below -1 (EINVAL). */
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_ERR_IRQ_INDEX, 0, closed_fd()), -EBADF);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_ERR_IRQ_INDEX, 0, p[0]), -EINVAL);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_REQ_IRQ_INDEX, 0, -2), -EINVAL);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, closed_fd()), -EBADF);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, p[1]), -EINVAL);
	/* None of that disturbed INTx: its trigger still loops back. */
	assert_int_equal(loopback(d, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_int_equal(wait_eventfd(fds[0], 0), 1);
	close(p[0]);
	close(p[1]);
	close(fds[0]);
	close(fds[1]);
	dfx_free(d);
}

static void test_err_req_triggers(void **state)
{
	struct dfx *d = bound(edu);
	const uint32_t trig = VFIO_IRQ_SET_ACTION_TRIGGER;
	int efd = new_eventfd();
	int32_t off = -1;
	uint8_t yes = 1;

	(void)state;
	for (uint32_t index = VFIO_PCI_ERR_IRQ_INDEX; index <= VFIO_PCI_REQ_IRQ_INDEX; index++) {
		/* Loopback without an eventfd: vfio_pci_set_ctx_trigger_single. */
		assert_int_equal(loopback(d, index), -EINVAL);
		assert_int_equal(set_irq_eventfd(d, index, 0, efd), 0);
		assert_int_equal(loopback(d, index), 0);
		assert_int_equal(wait_eventfd(efd, 0), 1);
		assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_BOOL | trig, index, 0, 1, &yes, 1),
				 0);
		assert_int_equal(wait_eventfd(efd, 0), 1);
		/* BOOL and EVENTFD need count 1. */
		assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_BOOL | trig, index, 0, 0, &yes, 1),
				 -EINVAL);
		assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | trig, index, 0, 0, &off,
					  4), -EINVAL);
		/* DATA_NONE with count 0 clears it; fd -1 too. */
		assert_int_equal(irq_disable(d, index), 0);
		assert_int_equal(loopback(d, index), -EINVAL);
		assert_int_equal(set_irq_eventfd(d, index, 0, efd), 0);
		assert_int_equal(set_irq_eventfd(d, index, 0, -1), 0);
		assert_int_equal(loopback(d, index), -EINVAL);
	}
	close(efd);
	dfx_free(d);
}

/* ---- 5. INTx ---- */

static void edu_raise(struct dfx *d)
{
	bar_write(d, 0, EDU_RAISE, 4, 1);
}

static void edu_ack(struct dfx *d)
{
	bar_write(d, 0, EDU_ACK, 4, 1);
}

/* edu bound and enabled, INTx on efd. */
static struct dfx *edu_intx(int efd)
{
	struct dfx *d = bound(edu);

	enable_device(d);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, efd), 0);
	return d;
}

static void test_intx_automask(void **state)
{
	int efd = new_eventfd();
	struct dfx *d = edu_intx(efd);

	(void)state;
	edu_raise(d);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	/* The host masked the function (INTx disable), which userspace does
	 * not see; the status bit of the pending interrupt it does. */
	assert_true(hw_command(d) & PCI_COMMAND_INTX_DISABLE);
	assert_false(cfg_read(d, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
	assert_true(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* Masked by the assertion: the line is still up, nothing new. */
	edu_raise(d);
	assert_true(quiet(efd));
	/* Unmasking with the line still asserted signals again, stays masked. */
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	edu_raise(d);
	assert_true(quiet(efd));
	/* Acknowledged, then unmasked: nothing pending. */
	edu_ack(d);
	assert_false(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_true(quiet(efd));
	edu_raise(d);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	/* An explicit MASK holds a new assertion back until UNMASK. */
	edu_ack(d);
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_MASK, VFIO_PCI_INTX_IRQ_INDEX), 0);
	edu_raise(d);
	assert_true(quiet(efd));
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	close(efd);
	dfx_free(d);
}

static void test_intx_loopback(void **state)
{
	int efd = new_eventfd(), efd2 = new_eventfd();
	struct dfx *d = bound(edu);
	uint8_t no = 0, yes = 1;
	const uint32_t bool_trig = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;

	(void)state;
	/* Loopback needs INTx enabled. */
	assert_int_equal(loopback(d, VFIO_PCI_INTX_IRQ_INDEX), -EINVAL);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, efd), 0);
	assert_int_equal(loopback(d, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_int_equal(wait_eventfd(efd, 0), 1);
	assert_int_equal(set_irqs(d, bool_trig, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &no, 1), 0);
	assert_true(quiet(efd));
	assert_int_equal(set_irqs(d, bool_trig, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &yes, 1), 0);
	assert_int_equal(wait_eventfd(efd, 0), 1);
	/* A new eventfd for the enabled index replaces the old one. */
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, efd2), 0);
	assert_int_equal(loopback(d, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_int_equal(wait_eventfd(efd2, 0), 1);
	assert_true(quiet(efd));
	close(efd);
	close(efd2);
	dfx_free(d);
}

static void test_intx_disable_bit(void **state)
{
	int efd = new_eventfd();
	struct dfx *d = edu_intx(efd);
	uint16_t cmd = cfg_read(d, PCI_COMMAND, 2);

	(void)state;
	/* PCI_COMMAND_INTX_DISABLE is virtual: it masks INTx for the user. */
	cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(cfg_read(d, PCI_COMMAND, 2), cmd | PCI_COMMAND_INTX_DISABLE);
	edu_raise(d);
	assert_true(quiet(efd));
	/* Nor do UNMASK and loopback get past it (vfio_send_intx_eventfd). */
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_int_equal(loopback(d, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_true(quiet(efd));
	/* Cleared: the pending line signals. */
	cfg_write(d, PCI_COMMAND, 2, cmd);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	assert_int_equal(cfg_read(d, PCI_COMMAND, 2), cmd);
	/* The same through the command register's high byte alone. */
	edu_ack(d);
	assert_int_equal(irq_none(d, VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX), 0);
	cfg_write(d, PCI_COMMAND + 1, 1, (cmd | PCI_COMMAND_INTX_DISABLE) >> 8);
	edu_raise(d);
	assert_true(quiet(efd));
	cfg_write(d, PCI_COMMAND + 1, 1, cmd >> 8);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	close(efd);
	dfx_free(d);
}

static void test_intx_pending_at_enable(void **state)
{
	int efd = new_eventfd();
	struct dfx *d = bound(edu);
	uint16_t cmd;

	(void)state;
	enable_device(d);
	cmd = cfg_read(d, PCI_COMMAND, 2);
	/* Asserted before INTx is set up: enabling it signals at once. */
	edu_raise(d);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, efd), 0);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	assert_int_equal(irq_disable(d, VFIO_PCI_INTX_IRQ_INDEX), 0);
	/* Unless userspace disabled INTx first: then on clearing the bit. */
	cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, efd), 0);
	assert_true(quiet(efd));
	cfg_write(d, PCI_COMMAND, 2, cmd);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	close(efd);
	dfx_free(d);
}

static void test_intx_unmask_eventfd(void **state)
{
	int efd = new_eventfd(), ufd = new_eventfd(), ufd2 = new_eventfd();
	struct dfx *d = edu_intx(efd);
	const uint32_t unmask_fd = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK;
	int32_t off = -1;

	(void)state;
	assert_int_equal(set_irqs(d, unmask_fd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &ufd, 4), 0);
	/* One unmask irqfd at a time (vfio_virqfd_enable). */
	assert_int_equal(set_irqs(d, unmask_fd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &ufd2, 4),
			 -EBUSY);
	edu_raise(d);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	/* Still asserted: the unmask eventfd makes the trigger fire again. */
	assert_int_equal(eventfd_write(ufd, 1), 0);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	/* Acknowledged, then unmasked through the eventfd: the host clears
	 * the function's INTx disable bit, and the next raise signals. */
	edu_ack(d);
	assert_true(hw_command(d) & PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(eventfd_write(ufd, 1), 0);
	WAIT_FOR(!(hw_command(d) & PCI_COMMAND_INTX_DISABLE));
	assert_true(quiet(efd));
	edu_raise(d);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	/* Removed with fd -1: writing it no longer unmasks. */
	assert_int_equal(set_irqs(d, unmask_fd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &off, 4), 0);
	assert_int_equal(eventfd_write(ufd, 1), 0);
	assert_true(quiet(efd));
	close(efd);
	close(ufd);
	close(ufd2);
	dfx_free(d);
}

static void test_intx_then_msi(void **state)
{
	int efd = new_eventfd(), mfd = new_eventfd();
	struct dfx *d = edu_intx(efd);

	(void)state;
	/* One of INTx, MSI, MSI-X at a time. */
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, 0, mfd), -EINVAL);
	/* Disabling an index that is not the active one is refused. */
	assert_int_equal(irq_disable(d, VFIO_PCI_MSI_IRQ_INDEX), -EINVAL);
	assert_int_equal(irq_disable(d, VFIO_PCI_INTX_IRQ_INDEX), 0);
	assert_int_equal(loopback(d, VFIO_PCI_INTX_IRQ_INDEX), -EINVAL);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, 0, mfd), 0);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, efd), -EINVAL);
	edu_raise(d);
	assert_int_equal(wait_eventfd(mfd, 5000), 1);
	assert_true(quiet(efd));
	close(efd);
	close(mfd);
	dfx_free(d);
}

/* ---- 6. MSI and MSI-X ---- */

#define EDU_MSI_CAP 0x40
#define MSI_FLAGS_64 PCI_MSI_FLAGS_64BIT /* edu: 64-bit, one vector (MMC 0) */

static void test_msi(void **state)
{
	int mfd = new_eventfd(), mfd2 = new_eventfd();
	struct dfx *d = bound(edu);
	unsigned int flags = EDU_MSI_CAP + PCI_MSI_FLAGS;
	uint8_t yes = 1;

	(void)state;
	enable_device(d);
	assert_int_equal(find_cap(d, PCI_CAP_ID_MSI), EDU_MSI_CAP);
	assert_int_equal(cfg_read(d, flags, 2), MSI_FLAGS_64);
	/* Address and data are virtual: the function never sees them. */
	cfg_write(d, EDU_MSI_CAP + PCI_MSI_ADDRESS_LO, 4, 0xfee01000);
	cfg_write(d, EDU_MSI_CAP + PCI_MSI_DATA_64, 2, 0x4021);
	assert_int_equal(cfg_read(d, EDU_MSI_CAP + PCI_MSI_ADDRESS_LO, 4), 0xfee01000);
	assert_int_equal(cfg_read(d, EDU_MSI_CAP + PCI_MSI_DATA_64, 2), 0x4021);
	assert_int_equal(pcifn_cfg_read(d->dev->fn, EDU_MSI_CAP + PCI_MSI_ADDRESS_LO, 4), 0);
	/* MSI is enabled through SET_IRQS only: a write of ENABLE without it
	 * is dropped (vfio_msi_config_write). */
	cfg_write(d, flags, 2, MSI_FLAGS_64 | PCI_MSI_FLAGS_ENABLE);
	assert_int_equal(cfg_read(d, flags, 2), MSI_FLAGS_64);
	assert_false(pcifn_msi_enabled(d->dev->fn));
	assert_int_equal(loopback(d, VFIO_PCI_MSI_IRQ_INDEX), -EINVAL);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, 0, mfd), 0);
	assert_true(pcifn_msi_enabled(d->dev->fn));
	edu_raise(d);
	assert_int_equal(wait_eventfd(mfd, 5000), 1);
	/* Each raise is a message: no masking, no acknowledge needed. */
	edu_raise(d);
	assert_int_equal(wait_eventfd(mfd, 5000), 1);
	/* The ioctl leaves the virtual flags alone: ENABLE reads 0 until
	 * userspace writes it, which now sticks.  QMASK reads msi_qmax (0
	 * for one vector) whatever is written, QSIZE is capped at it. */
	assert_int_equal(cfg_read(d, flags, 2), MSI_FLAGS_64);
	cfg_write(d, flags, 2, MSI_FLAGS_64 | PCI_MSI_FLAGS_ENABLE | (3 << 1));
	assert_int_equal(cfg_read(d, flags, 2), MSI_FLAGS_64 | PCI_MSI_FLAGS_ENABLE);
	cfg_write(d, flags, 1, (MSI_FLAGS_64 | PCI_MSI_FLAGS_ENABLE | (3 << 4)) & 0xff);
	assert_int_equal(cfg_read(d, flags, 2), MSI_FLAGS_64 | PCI_MSI_FLAGS_ENABLE);
	edu_raise(d);
	assert_int_equal(wait_eventfd(mfd, 5000), 1);
	/* Loopback, and a new eventfd for the vector. */
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
				  VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &yes, 1), 0);
	assert_int_equal(wait_eventfd(mfd, 0), 1);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, 0, mfd2), 0);
	edu_raise(d);
	assert_int_equal(wait_eventfd(mfd2, 5000), 1);
	assert_true(quiet(mfd));
	assert_int_equal(irq_disable(d, VFIO_PCI_MSI_IRQ_INDEX), 0);
	assert_false(pcifn_msi_enabled(d->dev->fn));
	assert_int_equal(loopback(d, VFIO_PCI_MSI_IRQ_INDEX), -EINVAL);
	close(mfd);
	close(mfd2);
	dfx_free(d);
}

/* An MSI is a memory write: with bus mastering off it never leaves the
 * function, though edu still latches the interrupt in its status. */
static void test_msi_needs_bus_master(void **state)
{
	int mfd = new_eventfd();
	struct dfx *d = bound(edu);
	uint16_t cmd;

	(void)state;
	enable_device(d);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, 0, mfd), 0);
	cmd = cfg_read(d, PCI_COMMAND, 2);
	cfg_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
	edu_raise(d);
	assert_true(quiet(mfd));
	assert_int_equal(bar_read(d, 0, EDU_IRQ_STATUS, 4), 1);
	edu_ack(d);
	cfg_write(d, PCI_COMMAND, 2, cmd);
	edu_raise(d);
	assert_int_equal(wait_eventfd(mfd, 5000), 1);
	assert_int_equal(irq_disable(d, VFIO_PCI_MSI_IRQ_INDEX), 0);
	close(mfd);
	dfx_free(d);
}

/* dmatest: a NOP descriptor with DMATEST_DESC_IRQ on queue q, whose ring is
 * at iova (mapped from ring, ours). */
static void dmatest_nop(struct dfx *d, struct dmatest_desc *ring, uint64_t iova,
			unsigned int q)
{
	uint64_t qr = DMATEST_QUEUE(q);

	memset(ring, 0, 4 * sizeof(*ring));
	ring[0] = (struct dmatest_desc){ .op = DMATEST_OP_NOP, .flags = DMATEST_DESC_IRQ };
	bar_write(d, DMATEST_BAR_REGS, qr + DMATEST_Q_RING, 8, iova);
	bar_write(d, DMATEST_BAR_REGS, qr + DMATEST_Q_SIZE, 4, 4);
	bar_write(d, DMATEST_BAR_REGS, qr + DMATEST_Q_CTRL, 4,
		  DMATEST_CTRL_ENABLE | DMATEST_CTRL_IRQ_ENABLE);
	bar_write(d, DMATEST_BAR_REGS, qr + DMATEST_Q_TAIL, 4, 1);
}

static void test_msix(void **state)
{
	struct dmatest_desc *ring = pages(1);
	struct dfx *d = bound_mapped(dmat, ring, 1, 0x100000);
	int32_t fds[NQ], bad[NQ];
	unsigned int cap = find_cap(d, PCI_CAP_ID_MSIX);
	const uint32_t efd_trig = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;

	(void)state;
	for (int i = 0; i < NQ; i++)
		bad[i] = fds[i] = new_eventfd();
	enable_device(d);
	assert_int_not_equal(cap, 0);
	assert_int_equal(cfg_read(d, cap + PCI_MSIX_FLAGS, 2), NQ - 1);
	/* A bad fd in the block: everything this call did is undone,
	 * MSI-X included (vfio_msi_set_block, then vfio_msi_disable). */
	bad[1] = closed_fd();
	assert_int_equal(set_irqs(d, efd_trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, NQ, bad,
				  sizeof(bad)), -EBADF);
	assert_int_equal(loopback(d, VFIO_PCI_MSIX_IRQ_INDEX), -EINVAL);
	assert_false(pcifn_msix_enabled(d->dev->fn));
	/* Nor is there a vector table left (the kernel frees each context). */
	assert_null(d->dev->irq.vectors);
	assert_int_equal(d->dev->irq.nvectors, 0);
	assert_true(quiet(fds[0]));
	assert_int_equal(set_irqs(d, efd_trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, NQ, fds,
				  sizeof(fds)), 0);
	/* MSI-X's control register reads straight from the function. */
	assert_int_equal(cfg_read(d, cap + PCI_MSIX_FLAGS, 2), PCI_MSIX_FLAGS_ENABLE | (NQ - 1));
	/* Another index while MSI-X is on. */
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, fds[0]), -EINVAL);
	dmatest_nop(d, ring, 0x100000, 1);
	assert_int_equal(wait_eventfd(fds[1], 5000), 1);
	assert_true(quiet(fds[0]));
	assert_true(quiet(fds[2]));
	assert_int_equal(bar_read(d, DMATEST_BAR_REGS, DMATEST_REG_IRQ_STATUS, 4), 1u << 1);
	/* Loopback of one vector in the middle. */
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				  VFIO_PCI_MSIX_IRQ_INDEX, 2, 1, NULL, 0), 0);
	assert_int_equal(wait_eventfd(fds[2], 0), 1);
	assert_int_equal(irq_disable(d, VFIO_PCI_MSIX_IRQ_INDEX), 0);
	assert_int_equal(d->dev->irq.nvectors, 0);
	assert_int_equal(cfg_read(d, cap + PCI_MSIX_FLAGS, 2), NQ - 1);
	assert_int_equal(loopback(d, VFIO_PCI_MSIX_IRQ_INDEX), -EINVAL);
	/* Enabled with a subset: vectors can be added later (dynamic MSI-X). */
	assert_int_equal(set_irqs(d, efd_trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds, 4), 0);
	assert_int_equal(set_irqs(d, efd_trig, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1, &fds[2], 4), 0);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				  VFIO_PCI_MSIX_IRQ_INDEX, 0, NQ, NULL, 0), 0);
	assert_int_equal(wait_eventfd(fds[0], 0), 1);
	assert_true(quiet(fds[1]));
	assert_int_equal(wait_eventfd(fds[2], 0), 1);
	/* Enabled already: a failing block undoes only its own vectors. */
	assert_int_equal(set_irqs(d, efd_trig, VFIO_PCI_MSIX_IRQ_INDEX, 1, 2, &bad[0], 8),
			 -EBADF);
	assert_int_equal(set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				  VFIO_PCI_MSIX_IRQ_INDEX, 0, NQ, NULL, 0), 0);
	assert_int_equal(wait_eventfd(fds[0], 0), 1);
	assert_true(quiet(fds[1]));
	assert_true(quiet(fds[2]));
	assert_true(pcifn_msix_enabled(d->dev->fn));
	for (int i = 0; i < NQ; i++)
		close(fds[i]);
	dfx_free(d);
	munmap(ring, PG);
}

/* ---- 7. config space ---- */

static void test_config_identity(void **state)
{
	struct dfx *d = bound(edu);

	(void)state;
	assert_int_equal(cfg_read(d, PCI_VENDOR_ID, 2), 0x1234);
	assert_int_equal(cfg_read(d, PCI_DEVICE_ID, 2), 0x11e8);
	assert_int_equal(cfg_read(d, PCI_VENDOR_ID, 4), 0x11e81234);
	/* Class 0x00ff00 (QEMU's edu: sub-class 0xff) above revision 0x10. */
	assert_int_equal(cfg_read(d, PCI_CLASS_REVISION, 4), 0x00ff0010);
	assert_int_equal(cfg_read(d, PCI_REVISION_ID, 1), 0x10);
	assert_int_equal(cfg_read(d, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_read(d, PCI_SUBSYSTEM_ID, 2), 0x1100);
	assert_int_equal(cfg_read(d, PCI_HEADER_TYPE, 1), 0);
	/* The ids are read-only. */
	cfg_write(d, PCI_VENDOR_ID, 2, 0xabcd);
	cfg_write(d, PCI_VENDOR_ID, 4, 0x5678abcd);
	assert_int_equal(cfg_read(d, PCI_VENDOR_ID, 4), 0x11e81234);
	/* So is the interrupt pin (INTA#). */
	assert_int_equal(cfg_read(d, PCI_INTERRUPT_PIN, 1), 1);
	cfg_write(d, PCI_INTERRUPT_PIN, 1, 0);
	assert_int_equal(cfg_read(d, PCI_INTERRUPT_PIN, 1), 1);
	/* The interrupt line is virtual and writable. */
	cfg_write(d, PCI_INTERRUPT_LINE, 1, 0x5a);
	assert_int_equal(cfg_read(d, PCI_INTERRUPT_LINE, 1), 0x5a);
	/* The cache line size goes to the function. */
	cfg_write(d, PCI_CACHE_LINE_SIZE, 1, 0x10);
	assert_int_equal(cfg_read(d, PCI_CACHE_LINE_SIZE, 1), 0x10);
	assert_int_equal(pcifn_cfg_read(d->dev->fn, PCI_CACHE_LINE_SIZE, 1), 0x10);
	/* Status bits cannot be cleared or set by userspace. */
	cfg_write(d, PCI_STATUS, 2, 0xffff);
	assert_int_equal(cfg_read(d, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	dfx_free(d);
}

/* What QEMU's PCI core lets software write, as a real kernel shows it. */
static void test_config_qemu_write_rules(void **state)
{
	struct dfx *d = bound(edu);
	uint16_t cmd = cfg_read(d, PCI_COMMAND, 2);

	(void)state;
	/* No latency timer, no parity checking: both read 0. */
	cfg_write(d, PCI_LATENCY_TIMER, 1, 0x40);
	assert_int_equal(cfg_read(d, PCI_LATENCY_TIMER, 1), 0);
	cfg_write(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_SERR | PCI_COMMAND_PARITY);
	assert_int_equal(cfg_read(d, PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_SERR);
	cfg_write(d, PCI_COMMAND, 2, cmd);
	/* Device-specific dwords outside the capabilities are storage... */
	cfg_write(d, 0x60, 4, 0x55555555);
	assert_int_equal(cfg_read(d, 0x60, 4), 0x55555555);
	cfg_write(d, 0xfc, 4, 0xaaaaaaaa);
	assert_int_equal(cfg_read(d, 0xfc, 4), 0xaaaaaaaa);
	/* ...the capability's own bytes are not. */
	cfg_write(d, EDU_MSI_CAP + PCI_CAP_LIST_NEXT, 1, 0x80);
	assert_int_equal(cfg_read(d, EDU_MSI_CAP + PCI_CAP_LIST_NEXT, 1), 0);
	dfx_free(d);
}

static void test_config_identity_dmatest(void **state)
{
	struct dfx *d = bound(dmat);

	(void)state;
	assert_int_equal(cfg_read(d, PCI_VENDOR_ID, 4),
			 (uint32_t)DMATEST_DEVICE << 16 | DMATEST_VENDOR);
	assert_int_equal(cfg_read(d, PCI_CLASS_REVISION, 4), DMATEST_CLASS << 8 | 0x01);
	dfx_free(d);
}

/* Write ones to a BAR register and read what sticks, then restore it. */
static uint32_t bar_size_probe(struct dfx *d, unsigned int reg)
{
	uint32_t orig = cfg_read(d, reg, 4), got;

	cfg_write(d, reg, 4, 0xffffffff);
	got = cfg_read(d, reg, 4);
	cfg_write(d, reg, 4, orig);
	assert_int_equal(cfg_read(d, reg, 4), orig);
	return got;
}

static void test_config_bar_sizing(void **state)
{
	struct dfx *d = bound(edu);

	(void)state;
	/* 32-bit, not prefetchable memory, 1 MiB. */
	assert_int_equal(cfg_read(d, PCI_BASE_ADDRESS_0, 4) & 0xfffff, 0);
	assert_int_not_equal(cfg_read(d, PCI_BASE_ADDRESS_0, 4), 0);
	assert_int_equal(bar_size_probe(d, PCI_BASE_ADDRESS_0), 0xfff00000);
	/* Unimplemented BARs and the absent ROM read 0 whatever is written. */
	for (unsigned int reg = PCI_BASE_ADDRESS_1; reg <= PCI_BASE_ADDRESS_5; reg += 4)
		assert_int_equal(bar_size_probe(d, reg), 0);
	assert_int_equal(bar_size_probe(d, PCI_ROM_ADDRESS), 0);
	/* The device still answers at its BAR. */
	assert_int_equal(bar_read(d, 0, 0, 4), 0x010000ed);
	dfx_free(d);
}

static void test_config_bar_sizing_64(void **state)
{
	struct dfx *d = bound(dmat);
	uint32_t lo = cfg_read(d, PCI_BASE_ADDRESS_0, 4), hi = cfg_read(d, PCI_BASE_ADDRESS_1, 4);

	(void)state;
	assert_int_equal(lo & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64);
	cfg_write(d, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	cfg_write(d, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	/* 16 KiB, 64-bit: the type bits stay in the low dword. */
	assert_int_equal(cfg_read(d, PCI_BASE_ADDRESS_0, 4), 0xffffc004);
	assert_int_equal(cfg_read(d, PCI_BASE_ADDRESS_1, 4), 0xffffffff);
	cfg_write(d, PCI_BASE_ADDRESS_0, 4, lo);
	cfg_write(d, PCI_BASE_ADDRESS_1, 4, hi);
	assert_int_equal(cfg_read(d, PCI_BASE_ADDRESS_0, 4), lo);
	assert_int_equal(cfg_read(d, PCI_BASE_ADDRESS_1, 4), hi);
	/* Whatever is written, the type bits read back. */
	cfg_write(d, PCI_BASE_ADDRESS_0, 4, 0);
	assert_int_equal(cfg_read(d, PCI_BASE_ADDRESS_0, 4), PCI_BASE_ADDRESS_MEM_TYPE_64);
	cfg_write(d, PCI_BASE_ADDRESS_0, 4, lo);
	/* BAR2: 32-bit, 4 KiB. */
	assert_int_equal(bar_size_probe(d, PCI_BASE_ADDRESS_2), 0xfffff000);
	assert_int_equal(bar_size_probe(d, PCI_BASE_ADDRESS_3), 0);
	dfx_free(d);
}

static void test_config_caps(void **state)
{
	struct dfx *d = bound(edu);

	(void)state;
	assert_true(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(cfg_read(d, PCI_CAPABILITY_LIST, 1), EDU_MSI_CAP);
	assert_int_equal(cfg_read(d, EDU_MSI_CAP + PCI_CAP_LIST_ID, 1), PCI_CAP_ID_MSI);
	assert_int_equal(cfg_read(d, EDU_MSI_CAP + PCI_CAP_LIST_NEXT, 1), 0);
	/* The list pointer and next pointers are read-only. */
	cfg_write(d, PCI_CAPABILITY_LIST, 1, 0x80);
	cfg_write(d, EDU_MSI_CAP + PCI_CAP_LIST_NEXT, 1, 0x80);
	assert_int_equal(cfg_read(d, PCI_CAPABILITY_LIST, 1), EDU_MSI_CAP);
	assert_int_equal(cfg_read(d, EDU_MSI_CAP, 2), PCI_CAP_ID_MSI);
	assert_int_equal(find_cap(d, PCI_CAP_ID_PM), 0);
	assert_int_equal(find_cap(d, PCI_CAP_ID_MSIX), 0);
	dfx_free(d);
}

static void test_config_caps_dmatest(void **state)
{
	struct dfx *d = bound(dmat);
	unsigned int pm = find_cap(d, PCI_CAP_ID_PM), msix = find_cap(d, PCI_CAP_ID_MSIX);
	uint32_t table;

	(void)state;
	assert_true(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_not_equal(pm, 0);
	assert_int_not_equal(msix, 0);
	assert_int_equal(find_cap(d, PCI_CAP_ID_MSI), 0);
	/* PM 1.2, D0; PME is hidden from userspace. */
	assert_int_equal(cfg_read(d, pm + PCI_PM_PMC, 2) & PCI_PM_CAP_VER_MASK, 3);
	assert_int_equal(cfg_read(d, pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK, 0);
	/* MSI-X: NQ vectors, table at BAR2 offset 0, PBA at 0x800. */
	assert_int_equal(cfg_read(d, msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE, NQ - 1);
	table = cfg_read(d, msix + PCI_MSIX_TABLE, 4);
	assert_int_equal(table, DMATEST_MSIX_TABLE | DMATEST_BAR_MSIX);
	assert_int_equal(cfg_read(d, msix + PCI_MSIX_PBA, 4), DMATEST_MSIX_PBA | DMATEST_BAR_MSIX);
	/* MSI-X is read-only to userspace: writes to it are dropped. */
	cfg_write(d, msix + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(cfg_read(d, msix + PCI_MSIX_FLAGS, 2), NQ - 1);
	assert_false(pcifn_msix_enabled(d->dev->fn));
	dfx_free(d);
}

/* A capability list that runs off the end of config space: a vendor
 * capability in the last two bytes (its length byte would be past the
 * end) and one whose length overruns it are hidden, not copied. */
static void test_config_caps_at_the_end(void **state)
{
	static const struct pcifn_ops ops = { 0 };
	static struct vfio_config c;
	struct pcifn fn;

	(void)state;
	pcifn_init(&fn, &ops, "caps", 0x1234, 0x5678, 0, 0xff0000);
	fn.cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	fn.cfg[PCI_CAPABILITY_LIST] = 0xf0;
	fn.cfg[0xf0] = PCI_CAP_ID_VNDR; /* 0xf0: 0x20 bytes, past the end */
	fn.cfg[0xf1] = 0xfe;
	fn.cfg[0xf2] = 0x20;
	fn.cfg[0xfe] = PCI_CAP_ID_VNDR; /* 0xfe: no room for its length */
	fn.cfg[0xff] = 0;
	vfio_config_init(&c, &fn);
	assert_int_equal(c.v[PCI_CAPABILITY_LIST], 0);
	assert_int_equal(c.v[PCI_STATUS] & PCI_STATUS_CAP_LIST, 0);
	for (unsigned int i = 0x40; i < PCIFN_CFG_SIZE; i++)
		assert_int_equal(c.v[i], 0);
	pcifn_fini(&fn);
}

static void test_config_bounds(void **state)
{
	struct dfx *d = bound(edu);
	uint8_t b[8];

	(void)state;
	/* The whole access must fit, or EFAULT before anything is done. */
	assert_int_equal(cfg_pread(d, b, 4, 254), -EFAULT);
	assert_int_equal(cfg_pread(d, b, 8, 252), -EFAULT);
	assert_int_equal(cfg_pread(d, b, 1, 256), -EFAULT);
	assert_int_equal(cfg_pwrite(d, b, 4, 254), -EFAULT);
	assert_int_equal(cfg_pread(d, b, 4, 252), 4);
	assert_int_equal(cfg_pread(d, b, 0, 300), 0); /* count 0: nothing to check */
	/* Unaligned: split into a byte and a word. */
	memset(b, 0, sizeof(b));
	assert_int_equal(cfg_pread(d, b, 3, 1), 3);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(b[1], 0xe8);
	assert_int_equal(b[2], 0x11);
	assert_int_equal(b[3], 0);
	/* 8 bytes at 0: two dwords. */
	assert_int_equal(cfg_pread(d, b, 8, 0), 8);
	assert_int_equal(b[0], 0x34);
	assert_int_equal(b[3], 0x11);
	assert_int_equal(b[4] & PCI_COMMAND_MEMORY, PCI_COMMAND_MEMORY);
	dfx_free(d);
}

/* ---- 8. memory decode and bus mastering ---- */

static void test_memory_decode(void **state)
{
	struct dfx *d = bound(edu);
	uint16_t cmd = cfg_read(d, PCI_COMMAND, 2);
	uint32_t v = 0;

	(void)state;
	/* Opening the device enabled decode, and not bus mastering. */
	assert_int_equal(cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), PCI_COMMAND_MEMORY);
	cfg_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
	assert_int_equal(cfg_read(d, PCI_COMMAND, 2), cmd & ~PCI_COMMAND_MEMORY);
	assert_int_equal(iemu_devfile_read(d->file, &v, 4, REGION(0)), -EIO);
	assert_int_equal(iemu_devfile_write(d->file, &v, 4, REGION(0) + LIVE), -EIO);
	/* Config space is still there. */
	assert_int_equal(cfg_read(d, PCI_VENDOR_ID, 2), 0x1234);
	cfg_write(d, PCI_COMMAND, 2, cmd);
	bar_write(d, 0, LIVE, 4, 0x0f0f0f0f);
	assert_int_equal(bar_read(d, 0, LIVE, 4), 0xf0f0f0f0);
	dfx_free(d);
}

static void edu_dma_to_device(struct dfx *d, uint64_t iova, uint64_t len)
{
	bar_write(d, 0, 0x80, 8, iova);
	bar_write(d, 0, 0x88, 8, 0x40000);
	bar_write(d, 0, 0x90, 8, len);
	bar_write(d, 0, 0x98, 8, 0x1);
}

static void test_bus_master_off_refuses_dma(void **state)
{
	uint8_t *buf = pages(1);
	struct dfx *d = bound_mapped(edu, buf, 1, 0x100000);
	struct iemu_fault f[16];
	unsigned int n = 0;

	(void)state;
	/* Decode on, bus mastering off: the DMA engine refuses, and edu
	 * reports the failed transfer as its own error after it. */
	assert_false(cfg_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	edu_dma_to_device(d, 0x100000, 64);
	WAIT_FOR(iemu_device_faults(d->dev, NULL, 0, NULL) >= 2);
	assert_int_equal(iemu_device_faults(d->dev, f, 16, &n), 2);
	assert_int_equal(f[0].kind, IEMU_FAULT_NO_MASTER);
	assert_int_equal(f[0].addr, 0x100000);
	assert_int_equal(f[0].len, 64);
	assert_false(f[0].write);
	assert_int_equal(last_fault(d->dev).kind, IEMU_FAULT_DEVICE);
	/* Mastering on: the same transfer goes through. */
	enable_device(d);
	edu_dma_to_device(d, 0x100000, 64);
	WAIT_FOR(!(bar_read(d, 0, 0x98, 8) & 1));
	assert_int_equal(iemu_device_faults(d->dev, NULL, 0, NULL), 2);
	dfx_free(d);
	munmap(buf, PG);
}

/* ---- 9. BAR I/O ---- */

static void test_bar_io(void **state)
{
	struct dfx *d = bound(edu);
	uint8_t b[16];

	(void)state;
	bar_write(d, 0, LIVE, 4, 0x12345678);
	assert_int_equal(bar_read(d, 0, LIVE, 4), 0xedcba987);
	/* 8-byte registers from 0x80 on take one 8-byte access. */
	bar_write(d, 0, 0x80, 8, 0x1122334455667788ULL);
	assert_int_equal(bar_read(d, 0, 0x80, 8), 0x1122334455667788ULL);
	assert_int_equal(bar_read(d, 0, 0x80, 4), 0x55667788);
	/* At the end: EINVAL; across it: clipped. */
	assert_int_equal(iemu_devfile_read(d->file, b, 4, REGION(0) + EDU_BAR_SIZE), -EINVAL);
	assert_int_equal(iemu_devfile_write(d->file, b, 4, REGION(0) + EDU_BAR_SIZE), -EINVAL);
	assert_int_equal(iemu_devfile_read(d->file, b, 16, REGION(0) + EDU_BAR_SIZE - 4), 4);
	assert_int_equal(iemu_devfile_read(d->file, b, 0, REGION(0) + EDU_BAR_SIZE), 0);
	/* 16 bytes at 0: ID, liveness, factorial, reserved, in 8-byte pieces
	 * (which edu refuses below 0x80: all ones). */
	assert_int_equal(iemu_devfile_read(d->file, b, 16, REGION(0)), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(b[i], 0xff);
	/* 12 bytes at 4: a dword, then an 8-byte piece. */
	assert_int_equal(iemu_devfile_read(d->file, b, 12, REGION(0) + 4), 12);
	assert_int_equal(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24, 0xedcba987);
	/* Unimplemented BAR, ROM, VGA, beyond the last region. */
	assert_int_equal(iemu_devfile_read(d->file, b, 4, REGION(1)), -EINVAL);
	assert_int_equal(iemu_devfile_read(d->file, b, 4, REGION(VFIO_PCI_ROM_REGION_INDEX)),
			 -EINVAL);
	assert_int_equal(iemu_devfile_write(d->file, b, 4, REGION(VFIO_PCI_ROM_REGION_INDEX)),
			 -EINVAL);
	assert_int_equal(iemu_devfile_read(d->file, b, 4, REGION(VFIO_PCI_VGA_REGION_INDEX)),
			 -EINVAL);
	assert_int_equal(iemu_devfile_read(d->file, b, 4, REGION(9)), -EINVAL);
	dfx_free(d);
}

/* edu takes 4- and 8-byte accesses only: narrower ones read 0 (ones for a
 * wrong size of 4 or 8) and writes of them are dropped. */
static void test_bar_io_narrow(void **state)
{
	struct dfx *d = bound(edu);

	(void)state;
	assert_int_equal(bar_read(d, 0, 0x00, 1), 0);
	assert_int_equal(bar_read(d, 0, 0x00, 2), 0);
	assert_int_equal(bar_read(d, 0, 0x80, 2), 0);
	assert_int_equal(bar_read(d, 0, 0x00, 8), ~0ULL);
	bar_write(d, 0, LIVE, 4, 0);
	bar_write(d, 0, LIVE, 2, 0x1234);
	bar_write(d, 0, LIVE, 1, 0x12);
	assert_int_equal(bar_read(d, 0, LIVE, 4), 0xffffffff);
	dfx_free(d);
}

static void test_bar_msix_table(void **state)
{
	struct dfx *d = bound(dmat);
	const uint64_t end = NQ * 16; /* the table's end in BAR2 */
	uint8_t b[8];

	(void)state;
	/* The table reads as ones, writes to it are dropped. */
	assert_int_equal(bar_read(d, DMATEST_BAR_MSIX, 0, 4), 0xffffffff);
	bar_write(d, DMATEST_BAR_MSIX, 0, 4, 0x12345678);
	assert_int_equal(bar_read(d, DMATEST_BAR_MSIX, 0, 4), 0xffffffff);
	assert_int_equal(bar_read(d, DMATEST_BAR_MSIX, end - 8, 8), ~0ULL);
	/* Across its end: ones, then the device (the empty PBA space). */
	assert_int_equal(iemu_devfile_read(d->file, b, 8, REGION(DMATEST_BAR_MSIX) + end - 4), 8);
	assert_int_equal(b[0] & b[1] & b[2] & b[3], 0xff);
	assert_int_equal(b[4] | b[5] | b[6] | b[7], 0);
	/* The excluded range is served even with decode off (no EIO). */
	cfg_write(d, PCI_COMMAND, 2, cfg_read(d, PCI_COMMAND, 2) & ~PCI_COMMAND_MEMORY);
	assert_int_equal(bar_read(d, DMATEST_BAR_MSIX, 0, 4), 0xffffffff);
	assert_int_equal(iemu_devfile_read(d->file, b, 4, REGION(DMATEST_BAR_MSIX) + end), -EIO);
	dfx_free(d);
}

static void test_vendor_region(void **state)
{
	struct dfx *d = bound(dmat);
	struct dmatest_stats st;
	uint8_t b[8];

	(void)state;
	assert_int_equal(iemu_devfile_read(d->file, &st, sizeof(st), REGION(9)), sizeof(st));
	assert_int_equal(st.descriptors, 0);
	assert_int_equal(iemu_devfile_write(d->file, b, 4, REGION(9)), -EINVAL); /* read-only */
	assert_int_equal(iemu_devfile_read(d->file, b, 8, REGION(9) + 4096 - 4), 4);
	assert_int_equal(iemu_devfile_read(d->file, b, 4, REGION(9) + 4096), -EINVAL);
	assert_int_equal(iemu_devfile_read(d->file, b, 4, REGION(10)), -EINVAL);
	dfx_free(d);
}

/* ---- 10. RESET and power states ---- */

#define Q0_RING (DMATEST_QUEUE(0) + DMATEST_Q_RING)
#define D0 0                /* PCI_PM_CTRL power states */
#define D3HOT 3

static void test_reset_edu(void **state)
{
	struct dfx *d = bound(edu);

	(void)state;
	/* No PM capability, no FLR, on the root bus: no reset method. */
	assert_int_equal(dioc(d, VFIO_DEVICE_RESET, NULL), -EINVAL);
	dfx_free(d);
}

static void test_reset_dmatest(void **state)
{
	struct dfx *d = bound(dmat);
	uint16_t cmd;

	(void)state;
	enable_device(d);
	cmd = cfg_read(d, PCI_COMMAND, 2);
	bar_write(d, DMATEST_BAR_REGS, Q0_RING, 8, 0x2000);
	assert_int_equal(bar_read(d, DMATEST_BAR_REGS, Q0_RING, 8), 0x2000);
	assert_int_equal(dioc(d, VFIO_DEVICE_RESET, NULL), 0);
	/* The function's registers are cleared; config space is restored
	 * around the reset (pci_try_reset_function saves and restores it). */
	assert_int_equal(bar_read(d, DMATEST_BAR_REGS, Q0_RING, 8), 0);
	assert_int_equal(cfg_read(d, PCI_COMMAND, 2), cmd);
	assert_true(hw_command(d) & PCI_COMMAND_MASTER);
	assert_int_equal(bar_read(d, DMATEST_BAR_REGS, DMATEST_REG_ID, 4), DMATEST_ID);
	dfx_free(d);
}

static void test_power_d3hot(void **state)
{
	struct dfx *d = bound(dmat);
	unsigned int ctrl = find_cap(d, PCI_CAP_ID_PM) + PCI_PM_CTRL;
	uint32_t v;

	(void)state;
	enable_device(d);
	bar_write(d, DMATEST_BAR_REGS, Q0_RING, 8, 0x2000);
	cfg_write(d, ctrl, 2, D3HOT);
	assert_int_equal(cfg_read(d, ctrl, 2) & PCI_PM_CTRL_STATE_MASK, D3HOT);
	/* No memory access in D3hot (__vfio_pci_memory_enabled). */
	assert_int_equal(iemu_devfile_read(d->file, &v, 4, REGION(0)), -EIO);
	assert_int_equal(iemu_devfile_write(d->file, &v, 4, REGION(0) + Q0_RING), -EIO);
	assert_true(cfg_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	/* D0 again: the function reset itself (No_Soft_Reset clear). */
	cfg_write(d, ctrl, 2, D0);
	assert_int_equal(cfg_read(d, ctrl, 2) & PCI_PM_CTRL_STATE_MASK, D0);
	assert_int_equal(bar_read(d, DMATEST_BAR_REGS, DMATEST_REG_ID, 4), DMATEST_ID);
	assert_int_equal(bar_read(d, DMATEST_BAR_REGS, Q0_RING, 8), 0);
	/* RESET from D3hot goes through D0 first. */
	cfg_write(d, ctrl, 2, D3HOT);
	assert_int_equal(dioc(d, VFIO_DEVICE_RESET, NULL), 0);
	assert_int_equal(cfg_read(d, ctrl, 2) & PCI_PM_CTRL_STATE_MASK, D0);
	assert_int_equal(bar_read(d, DMATEST_BAR_REGS, DMATEST_REG_ID, 4), DMATEST_ID);
	dfx_free(d);
}

/* ---- 11. features ---- */

#define F_GET VFIO_DEVICE_FEATURE_GET
#define F_SET VFIO_DEVICE_FEATURE_SET
#define F_PROBE VFIO_DEVICE_FEATURE_PROBE

static void test_feature_generic(void **state)
{
	struct dfx *d = bound(edu);
	struct vfio_device_feature f = { .argsz = 7, .flags = F_SET |
					 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY };
	uint8_t pad[16] = { 0 };

	(void)state;
	assert_int_equal(dioc(d, VFIO_DEVICE_FEATURE, &f), -EINVAL);
	assert_int_equal(dioc(d, VFIO_DEVICE_FEATURE, (void *)8), -EFAULT);
	assert_int_equal(feature(d, (1u << 19) | F_PROBE | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
				 NULL, 0), -EINVAL);
	assert_int_equal(feature(d, F_GET | F_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL,
				 0), -EINVAL);
	/* No migration or dirty logging ops: ENOTTY before any flag check. */
	assert_int_equal(feature(d, F_GET | VFIO_DEVICE_FEATURE_MIGRATION, pad, 8), -ENOTTY);
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, pad, 8),
			 -ENOTTY);
	assert_int_equal(feature(d, F_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, pad, 8), -ENOTTY);
	/* 7.x's pre-copy v2 asks for pre-copy support first: EINVAL. */
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2, NULL, 0),
			 -EINVAL);
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_START, pad, 16),
			 -ENOTTY);
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0),
			 -ENOTTY);
	assert_int_equal(feature(d, F_GET | VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, pad, 16),
			 -ENOTTY);
	/* Not CDX; not an SR-IOV PF; no P2P DMA in the build; not s390; unknown. */
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_BUS_MASTER, pad, 4), -ENOTTY);
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, pad, 16), -ENOTTY);
	assert_int_equal(feature(d, F_PROBE | F_SET | VFIO_DEVICE_FEATURE_DMA_BUF, NULL, 0),
			 -ENOTTY);
	assert_int_equal(feature(d, F_PROBE | F_SET | VFIO_DEVICE_FEATURE_ZPCI_ERROR, NULL, 0),
			 -ENOTTY);
	assert_int_equal(feature(d, F_PROBE | F_GET | 0x7fff, NULL, 0), -ENOTTY);
	dfx_free(d);
}

static void test_feature_low_power(void **state)
{
	struct dfx *d = bound(edu);
	const uint32_t entry = VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	const uint32_t exitf = VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;

	(void)state;
	assert_int_equal(feature(d, F_PROBE | F_SET | entry, NULL, 0), 0);
	assert_int_equal(feature(d, F_PROBE | F_GET | entry, NULL, 0), -EINVAL);
	assert_int_equal(feature(d, F_GET | entry, NULL, 0), -EINVAL);
	assert_int_equal(feature(d, entry, NULL, 0), -EINVAL); /* neither GET nor SET */
	assert_int_equal(feature(d, F_SET | entry, NULL, 0), 0);
	assert_int_equal(feature(d, F_SET | entry, NULL, 0), -EINVAL);
	/* Plain entry: accesses do not end it. */
	assert_int_equal(bar_read(d, 0, 0, 4), 0x010000ed);
	assert_int_equal(feature(d, F_SET | entry, NULL, 0), -EINVAL);
	assert_int_equal(feature(d, F_PROBE | F_SET | exitf, NULL, 0), 0);
	assert_int_equal(feature(d, F_GET | exitf, NULL, 0), -EINVAL);
	assert_int_equal(feature(d, F_SET | exitf, NULL, 0), 0);
	assert_int_equal(feature(d, F_SET | exitf, NULL, 0), 0); /* not engaged: fine */
	assert_int_equal(feature(d, F_SET | entry, NULL, 0), 0);
	assert_int_equal(feature(d, F_SET | exitf, NULL, 0), 0);
	dfx_free(d);
}

static void test_feature_low_power_wakeup(void **state)
{
	struct dfx *d = bound(edu);
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_device_low_power_entry_with_wakeup e = { .wakeup_eventfd = -1 };
	const uint32_t wakeup = VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP;
	int wfd = new_eventfd(), p[2];
	uint32_t v;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(feature(d, F_PROBE | F_SET | wakeup, NULL, 0), 0);
	assert_int_equal(feature(d, F_PROBE | F_GET | wakeup, NULL, 0), -EINVAL);
	/* The payload must be there whole. */
	assert_int_equal(feature(d, F_SET | wakeup, &e, 4), -EINVAL);
	assert_int_equal(pm_entry_wakeup(d, -1), -EINVAL);
	assert_int_equal(pm_entry_wakeup(d, closed_fd()), -EBADF);
	assert_int_equal(pm_entry_wakeup(d, p[0]), -EINVAL);
	/* None of those entered low power. */
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0), 0);
	assert_int_equal(pm_entry_wakeup(d, wfd), -EINVAL); /* already engaged */
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0), 0);
	/* Armed: the next ioctl wakes the device, signals and leaves. */
	assert_int_equal(pm_entry_wakeup(d, wfd), 0);
	assert_true(quiet(wfd));
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(wait_eventfd(wfd, 0), 1);
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_true(quiet(wfd));
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0), 0);
	assert_int_equal(feature(d, F_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0), 0);
	/* A region access wakes it too, but not one of no bytes or of no
	 * region: those end before the device is resumed. */
	assert_int_equal(pm_entry_wakeup(d, wfd), 0);
	assert_int_equal(iemu_devfile_read(d->file, &v, 0, REGION(0)), 0);
	assert_int_equal(iemu_devfile_read(d->file, &v, 4, REGION(12)), -EINVAL);
	assert_true(quiet(wfd));
	assert_int_equal(iemu_devfile_read(d->file, &v, 4, REGION(0)), 4);
	assert_int_equal(wait_eventfd(wfd, 0), 1);
	assert_int_equal(pm_entry_wakeup(d, wfd), 0);
	close(p[0]);
	close(p[1]);
	close(wfd);
	dfx_free(d);
}

/* ---- 12. hot reset ---- */

static void test_hot_reset(void **state)
{
	struct dfx *d = bound(edu);
	struct {
		struct vfio_pci_hot_reset_info h;
		struct vfio_pci_dependent_device dev[2];
	} info = { .h = { .argsz = 11 } };
	struct {
		struct vfio_pci_hot_reset h;
		int32_t fds[1];
	} rs = { .h = { .argsz = 11 } };

	(void)state;
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info), -EINVAL);
	/* On the root bus with no slot: neither slot nor bus reset. */
	info.h.argsz = 12;
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info), -ENODEV);
	info.h.argsz = sizeof(info);
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info), -ENODEV);
	assert_int_equal(dioc(d, VFIO_DEVICE_PCI_HOT_RESET, &rs), -EINVAL);
	rs.h.argsz = sizeof(rs);
	assert_int_equal(dioc(d, VFIO_DEVICE_PCI_HOT_RESET, &rs), -ENODEV);
	/* A cdev-opened device passes no group fds. */
	rs.h.count = 1;
	assert_int_equal(dioc(d, VFIO_DEVICE_PCI_HOT_RESET, &rs), -EINVAL);
	rs.h.count = 0;
	rs.h.flags = 1;
	assert_int_equal(dioc(d, VFIO_DEVICE_PCI_HOT_RESET, &rs), -EINVAL);
	dfx_free(d);
}

/* ---- 13. ioeventfds ---- */

#define IOE_32 VFIO_DEVICE_IOEVENTFD_32

static void test_ioeventfd_errors(void **state)
{
	struct dfx *d = bound(edu);
	struct vfio_device_ioeventfd io = { .argsz = 27, .flags = IOE_32, .fd = -1 };
	int efd = new_eventfd(), p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dioc(d, VFIO_DEVICE_IOEVENTFD, &io), -EINVAL);
	assert_int_equal(ioeventfd(d, IOE_32 | 0x10, LIVE, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, 0, LIVE, 0, efd), -EINVAL); /* no size */
	assert_int_equal(ioeventfd(d, IOE_32 | VFIO_DEVICE_IOEVENTFD_16, LIVE, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0, -2), -EINVAL);
	/* BARs only, and inside them. */
	assert_int_equal(ioeventfd(d, IOE_32, REGION(VFIO_PCI_CONFIG_REGION_INDEX), 0, efd),
			 -EINVAL);
	assert_int_equal(ioeventfd(d, IOE_32, REGION(VFIO_PCI_ROM_REGION_INDEX), 0, efd),
			 -EINVAL);
	assert_int_equal(ioeventfd(d, IOE_32, EDU_BAR_SIZE - 2, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, EDU_BAR_SIZE, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, IOE_32, REGION(1), 0, efd), -EINVAL);
	/* Removing what is not there; fds that are not eventfds. */
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0, -1), -ENODEV);
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0, closed_fd()), -EBADF);
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0, p[0]), -EINVAL);
	/* The last dword of the BAR is fine. */
	assert_int_equal(ioeventfd(d, IOE_32, EDU_BAR_SIZE - 4, 0, efd), 0);
	assert_int_equal(ioeventfd(d, IOE_32, EDU_BAR_SIZE - 4, 0, -1), 0);
	close(p[0]);
	close(p[1]);
	close(efd);
	dfx_free(d);
}

static void test_ioeventfd_write(void **state)
{
	struct dfx *d = bound(edu);
	int efd = new_eventfd(), efd2 = new_eventfd();

	(void)state;
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0x12345678, efd), 0);
	assert_int_equal(eventfd_write(efd, 1), 0);
	WAIT_FOR(bar_read(d, 0, LIVE, 4) == 0xedcba987);
	/* The same offset, size and data again, even with another fd. */
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0x12345678, efd2), -EEXIST);
	/* Other data at the same place is another ioeventfd. */
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0x0f, efd2), 0);
	assert_int_equal(eventfd_write(efd2, 1), 0);
	WAIT_FOR(bar_read(d, 0, LIVE, 4) == 0xfffffff0);
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0x12345678, -1), 0);
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0x12345678, -1), -ENODEV);
	/* Gone: writing its eventfd does nothing (the other one still works). */
	assert_int_equal(eventfd_write(efd, 1), 0);
	assert_int_equal(eventfd_write(efd2, 1), 0);
	WAIT_FOR(wait_eventfd(efd2, 0) == 0); /* consumed by the emulator */
	assert_int_equal(bar_read(d, 0, LIVE, 4), 0xfffffff0);
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0x0f, -1), 0);
	/* 8 bytes: edu's DMA source register. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, 0x80, 0x1122334455667788ULL,
				   efd), 0);
	assert_int_equal(eventfd_write(efd, 1), 0);
	WAIT_FOR(bar_read(d, 0, 0x80, 8) == 0x1122334455667788ULL);
	close(efd);
	close(efd2);
	dfx_free(d);
}

/* Two ioeventfds on one eventfd: one signal runs both, the newest first
 * (the kernel's wait queue order), so the oldest one's data stays. */
static void test_ioeventfd_shared_eventfd(void **state)
{
	struct dfx *d = bound(edu);
	int efd = new_eventfd();

	(void)state;
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0x0f0f0f0f, efd), 0);
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0x11111111, efd), 0);
	bar_write(d, 0, 0x80, 8, 0);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, 0x80, 0x42, efd), 0);
	assert_int_equal(eventfd_write(efd, 1), 0);
	WAIT_FOR(bar_read(d, 0, 0x80, 8) == 0x42);
	WAIT_FOR(wait_eventfd(efd, 0) == 0);
	assert_int_equal(bar_read(d, 0, LIVE, 4), 0xf0f0f0f0);
	/* Without the oldest, the newer one's data stays. */
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 0x0f0f0f0f, -1), 0);
	bar_write(d, 0, 0x80, 8, 0);
	assert_int_equal(eventfd_write(efd, 1), 0);
	WAIT_FOR(bar_read(d, 0, 0x80, 8) == 0x42);
	assert_int_equal(bar_read(d, 0, LIVE, 4), 0xeeeeeeee);
	close(efd);
	dfx_free(d);
}

static void test_ioeventfd_msix_table(void **state)
{
	struct dfx *d = bound(dmat);
	const uint64_t bar2 = REGION(DMATEST_BAR_MSIX), end = NQ * 16;
	int efd = new_eventfd();

	(void)state;
	/* Writes to the MSI-X table cannot be worked around this way. */
	assert_int_equal(ioeventfd(d, IOE_32, bar2, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, IOE_32, bar2 + end - 4, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, bar2 + end - 4, 0, efd),
			 -EINVAL);
	assert_int_equal(ioeventfd(d, IOE_32, bar2 + end, 0, efd), 0);
	assert_int_equal(ioeventfd(d, IOE_32, bar2 + DMATEST_MSIX_PBA, 0, efd), 0);
	close(efd);
	dfx_free(d);
}

/* ---- 14. closing the bound file ---- */

static void test_close_quiesces(void **state)
{
	int efd = new_eventfd(), mfd = new_eventfd();
	struct dfx *d = edu_intx(efd);

	(void)state;
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_REQ_IRQ_INDEX, 0, efd), 0);
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 1, efd), 0);
	assert_true(cfg_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	rebind(d);
	/* INTx, the request trigger and the ioeventfd went with the file. */
	assert_int_equal(loopback(d, VFIO_PCI_INTX_IRQ_INDEX), -EINVAL);
	assert_int_equal(loopback(d, VFIO_PCI_REQ_IRQ_INDEX), -EINVAL);
	assert_int_equal(ioeventfd(d, IOE_32, LIVE, 1, -1), -ENODEV);
	/* Bus mastering off, memory decode on, as vfio_pci_core_enable leaves it. */
	assert_int_equal(cfg_read(d, PCI_COMMAND, 2) & (PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY),
			 PCI_COMMAND_MEMORY);
	assert_false(hw_command(d) & PCI_COMMAND_MASTER);
	/* The same with MSI. */
	enable_device(d);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, 0, mfd), 0);
	rebind(d);
	assert_int_equal(loopback(d, VFIO_PCI_MSI_IRQ_INDEX), -EINVAL);
	assert_false(pcifn_msi_enabled(d->dev->fn));
	assert_false(hw_command(d) & PCI_COMMAND_MASTER);
	/* And the new file can set up interrupts from scratch. */
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, 0, efd), 0);
	close(efd);
	close(mfd);
	dfx_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_info),
		cmocka_unit_test(test_get_info_dmatest),
		cmocka_unit_test(test_region_info_edu),
		cmocka_unit_test(test_region_info_vendor),
		cmocka_unit_test(test_irq_info_edu),
		cmocka_unit_test(test_irq_info_dmatest),
		cmocka_unit_test(test_irq_info_6_12),
		cmocka_unit_test(test_set_irqs_validation),
		cmocka_unit_test(test_err_req_triggers),
		cmocka_unit_test(test_intx_automask),
		cmocka_unit_test(test_intx_loopback),
		cmocka_unit_test(test_intx_disable_bit),
		cmocka_unit_test(test_intx_pending_at_enable),
		cmocka_unit_test(test_intx_unmask_eventfd),
		cmocka_unit_test(test_intx_then_msi),
		cmocka_unit_test(test_msi),
		cmocka_unit_test(test_msi_needs_bus_master),
		cmocka_unit_test(test_msix),
		cmocka_unit_test(test_config_identity),
		cmocka_unit_test(test_config_qemu_write_rules),
		cmocka_unit_test(test_config_identity_dmatest),
		cmocka_unit_test(test_config_bar_sizing),
		cmocka_unit_test(test_config_bar_sizing_64),
		cmocka_unit_test(test_config_caps),
		cmocka_unit_test(test_config_caps_dmatest),
		cmocka_unit_test(test_config_caps_at_the_end),
		cmocka_unit_test(test_config_bounds),
		cmocka_unit_test(test_memory_decode),
		cmocka_unit_test(test_bus_master_off_refuses_dma),
		cmocka_unit_test(test_bar_io),
		cmocka_unit_test(test_bar_io_narrow),
		cmocka_unit_test(test_bar_msix_table),
		cmocka_unit_test(test_vendor_region),
		cmocka_unit_test(test_reset_edu),
		cmocka_unit_test(test_reset_dmatest),
		cmocka_unit_test(test_power_d3hot),
		cmocka_unit_test(test_feature_generic),
		cmocka_unit_test(test_feature_low_power),
		cmocka_unit_test(test_feature_low_power_wakeup),
		cmocka_unit_test(test_hot_reset),
		cmocka_unit_test(test_ioeventfd_errors),
		cmocka_unit_test(test_ioeventfd_write),
		cmocka_unit_test(test_ioeventfd_shared_eventfd),
		cmocka_unit_test(test_ioeventfd_msix_table),
		cmocka_unit_test(test_close_quiesces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
