/* SPDX-License-Identifier: MIT */
/*
 * Fixtures for device tests: an emulator with devices, the test process as
 * caller, contexts reachable by fake iommufd numbers (IOMMUFD_FD + i) for
 * VFIO_DEVICE_BIND_IOMMUFD, and wrappers returning -errno.
 */
#ifndef IEMU_TEST_DEVICES_H
#define IEMU_TEST_DEVICES_H

#include <fcntl.h>
#include <linux/pci_regs.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>

#include "helpers.h"
#include "iommufd_emu/dmatest.h"
#include "iommufd_emu/uapi/vfio.h"

/* Fake fd numbers of contexts; real open fds that are not one are EBADFD. */
#define IOMMUFD_FD 1000
#define MAX_CTX 4

struct dfx {
	struct fx fx;               /* fx.ctx is context 0 */
	struct iemu_ctx *ctxs[MAX_CTX];
	struct iemu_device *dev;    /* the first device */
	struct iemu_devfile *file;  /* an open file of it */
};

static int dfx_resolve(void *opaque, struct iemu_proc *caller, int fd, struct iemu_ctx **out)
{
	struct dfx *d = opaque;

	(void)caller;
	if (fd >= IOMMUFD_FD && fd < IOMMUFD_FD + MAX_CTX && d->ctxs[fd - IOMMUFD_FD]) {
		*out = iemu_ctx_get(d->ctxs[fd - IOMMUFD_FD]);
		return 0;
	}
	return fcntl(fd, F_GETFD) >= 0 ? -EBADFD : -EBADF;
}

/* An emulator (kernel 0: the default) with the devices of specs, the
 * first one opened. */
static inline struct dfx *dfx_new_kernel(unsigned int kernel, const char *const *specs)
{
	struct dfx *d = calloc(1, sizeof(*d));
	void *st;
	char err[256];

	assert_non_null(d);
	fx_setup_kernel(&st, kernel);
	d->fx = *(struct fx *)st;
	free(st);
	d->ctxs[0] = d->fx.ctx;
	iemu_set_fd_resolver(d->fx.emu, dfx_resolve, d);
	for (int i = 0; specs[i]; i++) {
		struct iemu_device *dev;
		int rc = iemu_device_add(d->fx.emu, specs[i], &dev, err, sizeof(err));

		if (rc)
			fail_msg("%s: %s", specs[i], err);
		if (!d->dev)
			d->dev = dev;
	}
	/* noiommu devices need CAP_SYS_RAWIO to be opened. */
	iemu_proc_set_caps(d->fx.self, CAP(17));
	if (d->dev && iemu_devfile_open(d->dev, d->fx.self, &d->file))
		d->file = NULL;
	iemu_proc_set_caps(d->fx.self, 0);
	return d;
}

static inline struct dfx *dfx_new(const char *const *specs)
{
	return dfx_new_kernel(0, specs);
}

static inline void dfx_free(struct dfx *d)
{
	if (d->file)
		iemu_devfile_close(d->file);
	for (int i = 1; i < MAX_CTX; i++)
		if (d->ctxs[i])
			iemu_ctx_close(d->ctxs[i]);
	if (d->fx.ctx)
		iemu_ctx_close(d->fx.ctx);
	iemu_proc_put(d->fx.self);
	iemu_destroy(d->fx.emu);
	free(d);
}

/* A second context, reachable as IOMMUFD_FD + i. */
static inline struct iemu_ctx *dfx_ctx(struct dfx *d, int i)
{
	if (!d->ctxs[i])
		assert_int_equal(iemu_ctx_open(d->fx.emu, d->fx.self, &d->ctxs[i]), 0);
	return d->ctxs[i];
}

static inline long dioc(struct dfx *d, unsigned int cmd, void *arg)
{
	return iemu_devfile_ioctl(d->file, d->fx.self, cmd, (uintptr_t)arg);
}

static inline long fioc(struct dfx *d, struct iemu_devfile *f, unsigned int cmd, void *arg)
{
	return iemu_devfile_ioctl(f, d->fx.self, cmd, (uintptr_t)arg);
}

/* BIND_IOMMUFD on context ctx_index: the devid, or -errno. */
static inline long bind_file(struct dfx *d, struct iemu_devfile *f, int ctx_index)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b),
					      .iommufd = IOMMUFD_FD + ctx_index };
	long rc = fioc(d, f, VFIO_DEVICE_BIND_IOMMUFD, &b);

	return rc ? rc : (long)b.out_devid;
}

static inline long bind(struct dfx *d)
{
	return bind_file(d, d->file, 0);
}

/* ATTACH to pt_id: the pt_id written back, or -errno. */
static inline long attach(struct dfx *d, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt_id };
	long rc = dioc(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	return rc ? rc : (long)a.pt_id;
}

static inline long detach(struct dfx *d)
{
	struct vfio_device_detach_iommufd_pt a = { .argsz = sizeof(a) };

	return dioc(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &a);
}

#define REGION(i) ((uint64_t)(i) << 40)

static inline uint32_t cfg_read(struct dfx *d, unsigned int off, unsigned int n)
{
	uint32_t v = 0;

	assert_int_equal(iemu_devfile_read(d->file, &v, n, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off), n);
	return v;
}

static inline void cfg_write(struct dfx *d, unsigned int off, unsigned int n, uint32_t v)
{
	assert_int_equal(iemu_devfile_write(d->file, &v, n, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off), n);
}

static inline uint64_t bar_read(struct dfx *d, int bar, uint64_t off, unsigned int n)
{
	uint64_t v = 0;

	assert_int_equal(iemu_devfile_read(d->file, &v, n, REGION(bar) + off), n);
	return v;
}

static inline void bar_write(struct dfx *d, int bar, uint64_t off, unsigned int n, uint64_t v)
{
	assert_int_equal(iemu_devfile_write(d->file, &v, n, REGION(bar) + off), n);
}

/* Turn on memory decode and bus mastering, as a driver does first. */
static inline void enable_device(struct dfx *d)
{
	cfg_write(d, PCI_COMMAND, 2, cfg_read(d, PCI_COMMAND, 2) | 0x6);
}

/* Wait up to ms for the eventfd: its count, 0 on timeout. */
static inline uint64_t wait_eventfd(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	eventfd_t v = 0;

	if (poll(&p, 1, ms) != 1)
		return 0;
	assert_int_equal(eventfd_read(fd, &v), 0);
	return v;
}

/* SET_IRQS with one eventfd. */
static inline long set_irq_eventfd(struct dfx *d, unsigned int index, unsigned int start,
				   int32_t fd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} a = { .s = { .argsz = sizeof(a), .flags = VFIO_IRQ_SET_DATA_EVENTFD |
					  VFIO_IRQ_SET_ACTION_TRIGGER,
		       .index = index, .start = start, .count = 1 }, .fd = fd };

	return dioc(d, VFIO_DEVICE_SET_IRQS, &a);
}

/* Poll a condition for up to 5 s. */
#define WAIT_FOR(cond)                                                      \
	do {                                                                \
		struct timespec _t = { 0, 1000000 };                        \
		int _n = 5000;                                              \
		while (!(cond) && _n--)                                     \
			nanosleep(&_t, NULL);                               \
		assert_true(cond);                                          \
	} while (0)

/* The device's most recent fault. */
static inline struct iemu_fault last_fault(struct iemu_device *dev)
{
	struct iemu_fault f[16];
	unsigned int n = 0;

	iemu_device_faults(dev, f, 16, &n);
	assert_true(n > 0);
	return f[n - 1];
}

/* How many faults the device has recorded. */
static inline uint64_t nfaults(struct dfx *d)
{
	return iemu_device_faults(d->dev, NULL, 0, NULL);
}

/* The device's fault number seq (1, 2, ...), which must be in the log. */
static inline struct iemu_fault fault_no(struct dfx *d, uint64_t seq)
{
	struct iemu_fault f[16];
	unsigned int n = 0;

	iemu_device_faults(d->dev, f, 16, &n);
	for (unsigned int i = 0; i < n; i++)
		if (f[i].seq == seq)
			return f[i];
	fail_msg("fault %llu is not in the log", (unsigned long long)seq);
	return f[0];
}

#endif
