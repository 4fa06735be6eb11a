// SPDX-License-Identifier: MIT
/*
 * vfio-pci (see vfio_pci.h), following Linux 7.3's vfio_pci_core.c and
 * vfio_pci_rdwr.c.  The functions sit on a root bus with no slot, as QEMU's
 * integrated devices do: no slot or bus reset, so the hot reset ioctls
 * answer ENODEV; a function reset exists only if the function can reset
 * itself (a PM capability without No_Soft_Reset).  BARs cannot be mmap()ed
 * through a FUSE file, so no region offers MMAP: drivers use pread/pwrite.
 * The build this follows has no P2P DMA, so VFIO_DEVICE_FEATURE_DMA_BUF is
 * ENOTTY.
 */
#include "vfio_pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "device.h"
#include "emu.h"
#include "irqfd.h"
#include "proc.h"
#include "uaccess.h"
#include "vfio_config.h"
#include "vfio_irq.h"

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

#define IOEVENTFD_MAX 1000

struct ioeventfd {
	struct iemu_device *dev;
	int bar;
	uint64_t pos;
	uint64_t data;
	unsigned int count;
	struct irqfd *watch;
	struct ioeventfd *next;
};

static unsigned int num_regions(const struct iemu_device *d)
{
	return VFIO_PCI_NUM_REGIONS + (d->fn->vendor_region_size ? 1 : 0);
}

/* ---- open and close ---- */

int vfio_pci_open(struct iemu_device *d)
{
	struct pcifn *fn = d->fn;
	uint16_t cmd = pcifn_cfg_read(fn, PCI_COMMAND, 2);

	/* The saved state must not include bus mastering; enabling the
	 * device turns memory decode on. */
	cmd &= ~PCI_COMMAND_MASTER;
	pcifn_cfg_write(fn, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY);
	d->reset_works = fn->pm_cap && fn->pm_reset;
	if (d->reset_works)
		pcifn_reset(fn);
	pcifn_cfg_snapshot(fn, d->saved_cfg);
	pcifn_intx_disable(fn, false);
	vfio_config_init(&d->cfg, fn);
	d->power_state = 0;
	d->pm_engaged = false;
	device_update_mem_ok(d);
	return 0;
}

void vfio_pci_close(struct iemu_device *d)
{
	struct pcifn *fn = d->fn;

	/* Stop the device from further DMA. */
	pcifn_cfg_write(fn, PCI_COMMAND, 2,
			pcifn_cfg_read(fn, PCI_COMMAND, 2) & ~PCI_COMMAND_MASTER);
	vfio_pci_release_eventfds(d);
	d->power_state = 0;
	if (d->reset_works)
		pcifn_reset(fn);
	pcifn_cfg_restore(fn, d->saved_cfg);
	/* pci_disable_device: decode off, no bus mastering. */
	pcifn_cfg_write(fn, PCI_COMMAND, 2, pcifn_cfg_read(fn, PCI_COMMAND, 2) &
		~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER));
	atomic_store(&d->mem_ok, false);
}

/* ---- power ---- */

void vfio_pci_set_power_state(struct iemu_device *d, unsigned int state)
{
	struct pcifn *fn = d->fn;
	uint16_t ctrl;

	/* The functions support D0 and D3hot only: D1 and D2 fail (and
	 * vfio-pci ignores the failure). */
	if (!fn->pm_cap || state == 1 || state == 2)
		return;
	ctrl = pcifn_cfg_read(fn, fn->pm_cap + PCI_PM_CTRL, 2) & ~PCI_PM_CTRL_STATE_MASK;
	/* pcifn keeps config space across the D3hot->D0 reset, as vfio-pci's
	 * save and restore around it would. */
	pcifn_cfg_write(fn, fn->pm_cap + PCI_PM_CTRL, 2, ctrl | state);
	d->power_state = state;
	device_update_mem_ok(d);
}

static void close_wake(struct iemu_device *d)
{
	if (d->pm_wake_fd >= 0)
		close(d->pm_wake_fd);
	d->pm_wake_fd = -1;
}

void vfio_pci_wake(struct iemu_device *d)
{
	if (!d->pm_engaged || d->pm_wake_fd < 0)
		return;
	eventfd_write(d->pm_wake_fd, 1);
	close_wake(d);
	d->pm_engaged = false;
}

/* ---- ioeventfds ---- */

static void ioeventfd_fired(void *arg)
{
	struct ioeventfd *e = arg;
	struct iemu_device *d = e->dev;

	/* Writes while memory decode is off are dropped. */
	if (atomic_load(&d->mem_ok))
		d->fn->ops->bar_write(d->fn, e->bar, e->pos, e->count, e->data);
}

void vfio_pci_release_eventfds(struct iemu_device *d)
{
	while (d->ioeventfds) {
		struct ioeventfd *e = d->ioeventfds;

		d->ioeventfds = e->next;
		irqfd_remove(e->watch);
		free(e);
	}
	d->nioeventfds = 0;
	vfio_irq_disable_all(d);
	close_wake(d);
	d->pm_engaged = false;
}

static bool msix_overlap(const struct pcifn *fn, int bar, uint64_t pos, uint64_t count)
{
	uint64_t start = fn->msix_table, end = fn->msix_table + fn->msix_vectors * 16ULL;

	return fn->msix_cap && bar == (int)fn->msix_bar && !(pos + count <= start || pos >= end);
}

static int ioeventfd_set(struct iemu_device *d, struct iemu_proc *caller,
			 const struct vfio_device_ioeventfd *io, unsigned int count)
{
	int bar = io->offset >> VFIO_PCI_OFFSET_SHIFT;
	uint64_t pos = io->offset & VFIO_PCI_OFFSET_MASK;
	struct ioeventfd *e, **pp;
	int fd, rc;

	if (bar > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	if (pos + count > d->fn->bar[bar].size)
		return -EINVAL;
	if (msix_overlap(d->fn, bar, pos, count))
		return -EINVAL;
	for (pp = &d->ioeventfds; (e = *pp); pp = &e->next) {
		if (e->pos == pos && e->bar == bar && e->data == io->data && e->count == count) {
			if (io->fd != -1)
				return -EEXIST;
			*pp = e->next;
			irqfd_remove(e->watch);
			free(e);
			d->nioeventfds--;
			return 0;
		}
	}
	if (io->fd < 0)
		return -ENODEV;
	if (d->nioeventfds >= IOEVENTFD_MAX)
		return -ENOSPC;
	rc = proc_eventfd(caller, io->fd, &fd);
	if (rc)
		return rc;
	e = calloc(1, sizeof(*e));
	if (!e) {
		close(fd);
		return -ENOMEM;
	}
	*e = (struct ioeventfd){ .dev = d, .bar = bar, .pos = pos, .data = io->data,
				 .count = count };
	rc = irqfd_add(d->emu, fd, ioeventfd_fired, e, &e->watch);
	if (rc) {
		close(fd);
		free(e);
		return rc;
	}
	e->next = d->ioeventfds;
	d->ioeventfds = e;
	d->nioeventfds++;
	return 0;
}

/* ---- ioctls ---- */

static long get_info(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg)
{
	uint32_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info = { 0 };

	if (copy_from_user(caller, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	info.flags = VFIO_DEVICE_FLAGS_PCI | (d->reset_works ? VFIO_DEVICE_FLAGS_RESET : 0);
	info.num_regions = num_regions(d);
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	info.cap_offset = 0;
	return copy_to_user(caller, arg, &info, minsz);
}

/* Linux 7.3 offers the error index on any function; older kernels, as
 * 6.12, only on PCI Express ones, which these are not. */
static bool err_irq(const struct iemu_device *d)
{
	return emu_kernel_at_least(d->emu, IEMU_KVER(7, 0));
}

static long get_irq_info(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg)
{
	const uint32_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(caller, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX && !err_irq(d))
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = vfio_irq_count(d, info.index);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index != VFIO_PCI_MSIX_IRQ_INDEX || !d->fn->msix_cap)
		/* MSI-X can grow: x86 allocates its vectors dynamically
		 * (has_dyn_msix), but only on a function that has MSI-X. */
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user(caller, arg, &info, minsz);
}

static int validate_irq_set(const struct vfio_irq_set *hdr, unsigned int max,
			    size_t *data_size)
{
	const uint32_t minsz = offsetofend(struct vfio_irq_set, count);
	size_t size;

	if (hdr->argsz < minsz || hdr->index >= VFIO_PCI_NUM_IRQS ||
	    hdr->count >= UINT32_MAX - hdr->start ||
	    (hdr->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return -EINVAL;
	*data_size = 0;
	if (hdr->start >= max || hdr->start + hdr->count > max)
		return -EINVAL;
	switch (hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		size = 0;
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = sizeof(uint8_t);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = sizeof(int32_t);
		break;
	default:
		return -EINVAL;
	}
	if (size) {
		if (hdr->argsz - minsz < hdr->count * size)
			return -EINVAL;
		*data_size = hdr->count * size;
	}
	return 0;
}

static long set_irqs(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg)
{
	const uint32_t minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size;
	unsigned int max;
	void *data = NULL;
	long rc;

	if (copy_from_user(caller, &hdr, arg, minsz))
		return -EFAULT;
	max = hdr.index == VFIO_PCI_ERR_IRQ_INDEX && !err_irq(d) ? 0 :
	      vfio_irq_count(d, hdr.index);
	rc = validate_irq_set(&hdr, max, &data_size);
	if (rc)
		return rc;
	if (data_size) {
		data = malloc(data_size);
		if (!data)
			return -ENOMEM;
		if (copy_from_user(caller, data, arg + minsz, data_size)) {
			free(data);
			return -EFAULT;
		}
	}
	rc = vfio_irq_set(d, caller, hdr.flags, hdr.index, hdr.start, hdr.count, data);
	free(data);
	return rc;
}

static long reset(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg)
{
	(void)caller;
	(void)arg;
	if (!d->reset_works)
		return -EINVAL;
	vfio_pci_set_power_state(d, 0);
	pcifn_reset(d->fn);
	return 0;
}

static long hot_reset_info(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg)
{
	struct vfio_pci_hot_reset_info hdr;

	(void)d;
	if (copy_from_user(caller, &hdr, arg, offsetofend(struct vfio_pci_hot_reset_info, count)))
		return -EFAULT;
	if (hdr.argsz < offsetofend(struct vfio_pci_hot_reset_info, count))
		return -EINVAL;
	return -ENODEV;
}

static long hot_reset(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg)
{
	struct vfio_pci_hot_reset hdr;

	(void)d;
	if (copy_from_user(caller, &hdr, arg, offsetofend(struct vfio_pci_hot_reset, count)))
		return -EFAULT;
	if (hdr.argsz < offsetofend(struct vfio_pci_hot_reset, count) || hdr.flags)
		return -EINVAL;
	/* A cdev-opened device resets with an empty group list only. */
	if (hdr.count)
		return -EINVAL;
	return -ENODEV;
}

static long ioeventfd(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg)
{
	struct vfio_device_ioeventfd io;
	unsigned int count;

	if (copy_from_user(caller, &io, arg, offsetofend(struct vfio_device_ioeventfd, fd)))
		return -EFAULT;
	if (io.argsz < offsetofend(struct vfio_device_ioeventfd, fd))
		return -EINVAL;
	if (io.flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK)
		return -EINVAL;
	count = io.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
	if (__builtin_popcount(count) != 1 || io.fd < -1)
		return -EINVAL;
	return ioeventfd_set(d, caller, &io, count);
}

static const struct {
	unsigned int cmd;
	long (*fn)(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg);
} ioctls[] = {
	{ VFIO_DEVICE_GET_INFO, get_info },
	{ VFIO_DEVICE_GET_IRQ_INFO, get_irq_info },
	{ VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hot_reset_info },
	{ VFIO_DEVICE_IOEVENTFD, ioeventfd },
	{ VFIO_DEVICE_PCI_HOT_RESET, hot_reset },
	{ VFIO_DEVICE_RESET, reset },
	{ VFIO_DEVICE_SET_IRQS, set_irqs },
};

long vfio_pci_ioctl(struct iemu_device *d, struct iemu_proc *caller, unsigned int cmd,
		    uint64_t arg)
{
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if (ioctls[i].cmd == cmd)
			return ioctls[i].fn(d, caller, arg);
	return -ENOTTY;
}

/* ---- region information ---- */

static void add_type_cap(struct vfio_caps *caps, uint32_t type, uint32_t subtype)
{
	struct vfio_region_info_cap_type cap = {
		.header = { .id = VFIO_REGION_INFO_CAP_TYPE, .version = 1 },
		.type = type,
		.subtype = subtype,
	};

	memcpy(caps->buf + caps->size, &cap, sizeof(cap));
	caps->size += (sizeof(cap) + 7) & ~7u;
}

int vfio_pci_region_info(struct iemu_device *d, struct vfio_region_info *info,
			 struct vfio_caps *caps)
{
	struct pcifn *fn = d->fn;
	uint32_t index = info->index;

	if (index >= num_regions(d) || index == VFIO_PCI_VGA_REGION_INDEX)
		return -EINVAL;
	info->offset = (uint64_t)index << VFIO_PCI_OFFSET_SHIFT;
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info->size = PCIFN_CFG_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		info->size = 0;
		info->flags = 0;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		info->size = fn->bar[index].size;
		info->flags = info->size ? VFIO_REGION_INFO_FLAG_READ |
						   VFIO_REGION_INFO_FLAG_WRITE : 0;
		break;
	default:
		info->size = fn->vendor_region_size;
		info->flags = VFIO_REGION_INFO_FLAG_READ;
		/* VFIO_REGION_TYPE_PCI_VENDOR_TYPE is (1 << 31), a signed
		 * overflow in C: the same bit, unsigned. */
		add_type_cap(caps, 0x80000000u | pcifn_cfg_read(fn, PCI_VENDOR_ID, 2),
			     fn->vendor_region_subtype);
		break;
	}
	return 0;
}

/* ---- features ---- */

/* vfio_check_feature: 1 to go on, 0 for a probe, or an error. */
static int check_feature(uint32_t flags, uint32_t argsz, uint32_t supported, uint32_t minsz)
{
	if ((flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) & ~supported)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)))
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}

static int pm_entry(struct iemu_device *d, uint32_t flags, uint32_t argsz)
{
	int rc = check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);

	if (rc != 1)
		return rc;
	if (d->pm_engaged)
		return -EINVAL;
	d->pm_engaged = true;
	return 0;
}

static int pm_entry_wakeup(struct iemu_device *d, struct iemu_proc *caller,
			   uint32_t flags, uint64_t arg, uint32_t argsz)
{
	struct vfio_device_low_power_entry_with_wakeup entry;
	int rc = check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, sizeof(entry));
	int fd;

	if (rc != 1)
		return rc;
	if (copy_from_user(caller, &entry, arg, sizeof(entry)))
		return -EFAULT;
	if (entry.wakeup_eventfd < 0)
		return -EINVAL;
	rc = proc_eventfd(caller, entry.wakeup_eventfd, &fd);
	if (rc)
		return rc;
	if (d->pm_engaged) {
		close(fd);
		return -EINVAL;
	}
	d->pm_engaged = true;
	d->pm_wake_fd = fd;
	return 0;
}

static int pm_exit(struct iemu_device *d, uint32_t flags, uint32_t argsz)
{
	int rc = check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);

	if (rc != 1)
		return rc;
	close_wake(d);
	d->pm_engaged = false;
	return 0;
}

int vfio_pci_feature(struct iemu_device *d, struct iemu_proc *caller, uint32_t flags,
		     uint64_t arg, uint32_t argsz)
{
	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
		return pm_entry(d, flags, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		return pm_entry_wakeup(d, caller, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return pm_exit(d, flags, argsz);
	default:
		/* PCI_VF_TOKEN (not an SR-IOV PF), DMA_BUF (no P2P DMA),
		 * ZPCI_ERROR (not s390) and unknown features. */
		return -ENOTTY;
	}
}

/* ---- region I/O ---- */

static uint64_t get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, unsigned int n, uint64_t v)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

/* Natural pieces of at most 8 bytes; the MSI-X table reads as ones and
 * drops writes; memory decode off (or D3hot) fails the access with EIO. */
static ssize_t bar_rw(struct iemu_device *d, int bar, uint8_t *buf, size_t count,
		      uint64_t pos, bool write)
{
	struct pcifn *fn = d->fn;
	uint64_t size = fn->bar[bar].size, xs = 0, xe = 0;
	size_t done = 0;

	if (!size || pos >= size)
		return -EINVAL;
	if (count > size - pos)
		count = size - pos;
	if (fn->msix_cap && bar == (int)fn->msix_bar) {
		xs = fn->msix_table;
		xe = xs + fn->msix_vectors * 16ULL;
	}
	while (count) {
		uint64_t fill = pos < xs ? (count < xs - pos ? count : xs - pos) :
				pos >= xe ? count : 0;
		unsigned int n;

		if (!fill) {
			n = count < xe - pos ? count : xe - pos;
			if (!write)
				memset(buf + done, 0xff, n);
		} else {
			n = fill >= 8 && !(pos % 8) ? 8 : fill >= 4 && !(pos % 4) ? 4 :
			    fill >= 2 && !(pos % 2) ? 2 : 1;
			if (!atomic_load(&d->mem_ok))
				return -EIO;
			if (write)
				fn->ops->bar_write(fn, bar, pos, n, get_le(buf + done, n));
			else
				put_le(buf + done, n, fn->ops->bar_read(fn, bar, pos, n));
		}
		count -= n;
		done += n;
		pos += n;
	}
	return done;
}

static ssize_t vendor_rw(struct iemu_device *d, uint8_t *buf, size_t count, uint64_t pos,
			 bool write)
{
	struct pcifn *fn = d->fn;

	if (write || pos >= fn->vendor_region_size)
		return -EINVAL;
	if (count > fn->vendor_region_size - pos)
		count = fn->vendor_region_size - pos;
	fn->ops->vendor_read(fn, pos, buf, count);
	return count;
}

ssize_t vfio_pci_rw(struct iemu_device *d, void *buf, size_t count, uint64_t off,
		    bool write)
{
	uint64_t index = off >> VFIO_PCI_OFFSET_SHIFT, pos = off & VFIO_PCI_OFFSET_MASK;

	if (!count)
		return 0;
	if (index >= num_regions(d))
		return -EINVAL;
	/* Resuming the device for the access ends low power, as for ioctls. */
	vfio_pci_wake(d);
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return vfio_config_rw(d, buf, count, pos, write);
	case VFIO_PCI_ROM_REGION_INDEX:
	case VFIO_PCI_VGA_REGION_INDEX:
		return -EINVAL; /* no ROM, no VGA */
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		return bar_rw(d, index, buf, count, pos, write);
	default:
		return vendor_rw(d, buf, count, pos, write);
	}
}
