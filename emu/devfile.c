// SPDX-License-Identifier: MIT
/*
 * The VFIO device cdev (see iommufd_emu.h): open, the ioctls vfio_main.c
 * and device_cdev.c handle themselves (BIND_IOMMUFD, ATTACH/DETACH_PT,
 * GET_REGION_INFO, FEATURE), then the driver's (vfio_pci.c); read, write,
 * close.  Until BIND succeeds on a file, everything but BIND is EINVAL.
 * Only one file at a time may have the device bound.
 *
 * How a device meets iommufd depends on what it is: an ordinary function
 * gets a DEVICE object and attaches to HWPTs; an emulated one (mdev-like)
 * gets an ACCESS object and attaches to IOASes; a noiommu one follows its
 * policy (refuse, noop-attach, swpt).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "ctx.h"
#include "device.h"
#include "emu.h"
#include "hwpt.h"
#include "idev.h"
#include "iommufd_emu/uapi/vfio.h"
#include "proc.h"
#include "uaccess.h"
#include "vfio_pci.h"

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

int iemu_devfile_open(struct iemu_device *d, struct iemu_proc *opener,
		      struct iemu_devfile **out)
{
	struct iemu_devfile *f;

	if (d->noiommu == IEMU_NOIOMMU_NOCDEV)
		return -ENODEV;
	if (device_is_noiommu(d) && !proc_capable(opener, IEMU_CAP_SYS_RAWIO))
		return -EPERM;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->dev = d;
	pthread_mutex_lock(&d->lock);
	d->files++;
	pthread_mutex_unlock(&d->lock);
	*out = f;
	return 0;
}

/* ---- which translation the device's DMA uses ---- */

/* Take the DMA lock for writing, then the context's: see device.h. */
static void begin_change(struct iemu_device *d)
{
	pthread_rwlock_wrlock(&d->dma_lock);
	pthread_mutex_lock(&d->ctx->lock);
}

static void end_change(struct iemu_device *d)
{
	struct idev *idev = d->idev;

	/* A nested domain's stage-1 tables are the guest's, which the
	 * emulator does not walk: its DMA is blocked. */
	d->dma_pt = idev && idev->hwpt && idev->hwpt->obj.type == OBJ_HWPT_PAGING ?
			    &idev->hwpt->pt : NULL;
	d->dma_access = d->access && d->access->ioas ? d->access : NULL;
	pthread_mutex_unlock(&d->ctx->lock);
	pthread_rwlock_unlock(&d->dma_lock);
}

/* ---- BIND ---- */

static void emulated_unmap(void *data, uint64_t iova, uint64_t length)
{
	/* The models hold no pins: their DMA copies through the access. */
	(void)data;
	(void)iova;
	(void)length;
}

static const struct access_ops emulated_ops = {
	.needs_pin_pages = true,
	.unmap = emulated_unmap,
};

/* The iommufd half of opening: a DEVICE or ACCESS object. */
static int bind_iommufd(struct iemu_device *d, struct iemu_ctx *ctx)
{
	int rc;

	if (d->emulated) {
		rc = access_create(ctx, &emulated_ops, d, &d->access);
		if (!rc)
			d->devid = d->access->obj.id;
		return rc;
	}
	pthread_mutex_lock(&ctx->lock);
	rc = idev_bind(ctx, d, &d->idev);
	pthread_mutex_unlock(&ctx->lock);
	if (!rc)
		d->devid = d->idev->obj.id;
	return rc;
}

static void unbind_iommufd(struct iemu_device *d)
{

	begin_change(d);
	if (d->access) {
		access_destroy(d->access);
		d->access = NULL;
	} else if (d->idev) {
		idev_unbind(d->idev);
		d->idev = NULL;
	}
	d->attached = d->pasid0 = false;
	d->pt_id = 0;
	end_change(d);
}

/* The device's own part of a token: vfio-pci's functions are neither VFs
 * nor PFs, so a token is refused; drivers without tokens refuse the flag. */
static int check_token(struct iemu_device *d, struct iemu_proc *caller,
		       const struct vfio_device_bind_iommufd *bind)
{
	uint8_t uuid[16];

	if (!(bind->flags & VFIO_DEVICE_BIND_FLAG_TOKEN))
		return 0;
	if (d->emulated)
		return -EINVAL;
	if (copy_from_user(caller, uuid, bind->token_uuid_ptr, sizeof(uuid)))
		return -EFAULT;
	return -EINVAL;
}

static int resolve(struct iemu *emu, struct iemu_proc *caller, int fd,
		   struct iemu_ctx **out)
{
	iemu_fd_resolver fn;
	void *opaque;

	pthread_mutex_lock(&emu->lock);
	fn = emu->resolve_fd;
	opaque = emu->resolve_opaque;
	pthread_mutex_unlock(&emu->lock);
	return fn ? fn(opaque, caller, fd, out) : -EBADF;
}

/* Read the struct: 6.17 made it extensible (with the token); before, the
 * kernel read 16 bytes and took no flags. */
static int read_bind(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg,
		     struct vfio_device_bind_iommufd *bind, uint32_t *valid)
{
	const uint32_t minsz = offsetofend(struct vfio_device_bind_iommufd, out_devid);
	uint32_t argsz;

	if (copy_from_user(caller, &argsz, arg, sizeof(argsz)))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	memset(bind, 0, sizeof(*bind));
	if (!emu_kernel_at_least(d->emu, IEMU_KVER(6, 17))) {
		*valid = 0;
		return copy_from_user(caller, bind, arg, minsz);
	}
	*valid = VFIO_DEVICE_BIND_FLAG_TOKEN;
	return copy_struct_from_user(caller, bind, sizeof(*bind), arg, argsz);
}

static void close_bound(struct iemu_devfile *f)
{
	struct iemu_device *d = f->dev;

	vfio_pci_close(d);
	unbind_iommufd(d);
	iemu_ctx_close(d->ctx);
	iemu_proc_put(d->binder);
	d->ctx = NULL;
	d->binder = NULL;
	d->bound = NULL;
	f->bound = false;
}

static long bind_ioctl(struct iemu_devfile *f, struct iemu_proc *caller, uint64_t arg)
{
	struct iemu_device *d = f->dev;
	struct vfio_device_bind_iommufd bind;
	struct iemu_ctx *ctx;
	uint32_t valid;
	int rc;

	rc = read_bind(d, caller, arg, &bind, &valid);
	if (rc)
		return rc;
	if (bind.iommufd < 0 || (bind.flags & ~valid))
		return -EINVAL;
	if (f->bound)
		return -EINVAL;
	rc = check_token(d, caller, &bind);
	if (rc)
		return rc;
	rc = resolve(d->emu, caller, bind.iommufd, &ctx);
	if (rc)
		return rc;
	/* The cdev path opens a device once: another file has it. */
	if (d->bound) {
		iemu_ctx_close(ctx);
		return -EINVAL;
	}
	d->ctx = ctx;
	rc = bind_iommufd(d, ctx);
	if (!rc) {
		rc = vfio_pci_open(d);
		if (rc)
			unbind_iommufd(d);
	}
	if (rc) {
		d->ctx = NULL;
		iemu_ctx_close(ctx);
		return rc;
	}
	d->bound = f;
	d->binder = iemu_proc_get(caller);
	f->bound = true;
	if (copy_to_user(caller, arg + offsetof(struct vfio_device_bind_iommufd, out_devid),
			 &d->devid, sizeof(d->devid))) {
		close_bound(f);
		return -EFAULT;
	}
	return 0;
}

/* ---- ATTACH and DETACH ---- */

static int attach_emulated(struct iemu_device *d, uint32_t pt_id)
{
	int rc;

	rc = d->attached ? access_replace(d->access, pt_id) :
			    access_attach(d->access, pt_id);
	if (!rc)
		d->attached = true;
	return rc;
}

static int attach_physical(struct iemu_device *d, bool pasid_flag, uint32_t pasid,
			   uint32_t *pt_id)
{
	int rc;

	if (pasid_flag) {
		if (pasid == 0 && d->pasid0)
			return idev_replace(d->idev, pasid, pt_id);
		rc = idev_attach(d->idev, pasid, pt_id);
		if (!rc && pasid == 0)
			d->pasid0 = true;
		return rc;
	}
	rc = d->attached ? idev_replace(d->idev, 0, pt_id) : idev_attach(d->idev, 0, pt_id);
	if (!rc)
		d->attached = true;
	return rc;
}

static void detach_physical(struct iemu_device *d, bool pasid_flag, uint32_t pasid)
{

	if (pasid_flag) {
		if (pasid == 0 && d->pasid0) {
			idev_detach(d->idev, 0);
			d->pasid0 = false;
		}
	} else if (d->attached) {
		idev_detach(d->idev, 0);
		d->attached = false;
	}
}

static void detach_emulated(struct iemu_device *d)
{

	if (d->attached)
		access_detach(d->access);
	d->attached = false;
}

/* The driver's attach_ioas (or pasid_attach_ioas). */
static int do_attach(struct iemu_device *d, bool pasid_flag, uint32_t pasid,
		     uint32_t *pt_id)
{
	int rc;

	switch (d->noiommu) {
	case IEMU_NOIOMMU_REFUSE:
		return -EINVAL;
	case IEMU_NOIOMMU_NOOP_ATTACH:
		/* The rejected design: success, and the device is attached to nothing. */
		return 0;
	default:
		break;
	}
	begin_change(d);
	rc = d->emulated ? attach_emulated(d, *pt_id) :
			   attach_physical(d, pasid_flag, pasid, pt_id);
	end_change(d);
	return rc;
}

/* The driver's detach_ioas (or pasid_detach_ioas). */
static int do_detach(struct iemu_device *d, bool pasid_flag, uint32_t pasid)
{
	switch (d->noiommu) {
	case IEMU_NOIOMMU_REFUSE:
		return -EINVAL;
	case IEMU_NOIOMMU_NOOP_ATTACH:
		return 0;
	default:
		break;
	}
	begin_change(d);
	if (d->emulated)
		detach_emulated(d);
	else
		detach_physical(d, pasid_flag, pasid);
	end_change(d);
	return 0;
}

/* PASID attachment came with 6.15; emulated devices have no PASID op. */
static int pasid_supported(struct iemu_device *d)
{
	if (!emu_kernel_at_least(d->emu, IEMU_KVER(6, 15)))
		return -EINVAL;
	return d->emulated ? -EOPNOTSUPP : 0;
}

/* The pasid field that follows [0, minsz) of an ATTACH or DETACH whose
 * flags ask for a PASID: the device must offer them, argsz cover it. */
static int copy_pasid(struct iemu_device *d, struct iemu_proc *caller, uint64_t arg,
		      uint32_t argsz, uint32_t minsz, uint32_t xend, uint32_t *pasid)
{
	int rc = pasid_supported(d);

	if (rc)
		return rc;
	if (argsz < xend)
		return -EINVAL;
	if (copy_from_user(caller, pasid, arg + minsz, xend - minsz))
		return -EFAULT;
	return 0;
}

static long attach_ioctl(struct iemu_devfile *f, struct iemu_proc *caller, uint64_t arg)
{
	const uint32_t minsz = offsetofend(struct vfio_device_attach_iommufd_pt, pt_id);
	const uint32_t xend = offsetofend(struct vfio_device_attach_iommufd_pt, pasid);
	struct vfio_device_attach_iommufd_pt at = { 0 };
	struct iemu_device *d = f->dev;
	bool pasid_flag;
	int rc;

	if (copy_from_user(caller, &at, arg, minsz))
		return -EFAULT;
	if (at.argsz < minsz || (at.flags & ~VFIO_DEVICE_ATTACH_PASID))
		return -EINVAL;
	pasid_flag = at.flags & VFIO_DEVICE_ATTACH_PASID;
	if (pasid_flag) {
		rc = copy_pasid(d, caller, arg, at.argsz, minsz, xend, &at.pasid);
		if (rc)
			return rc;
	}
	rc = do_attach(d, pasid_flag, at.pasid, &at.pt_id);
	if (rc)
		return rc;
	if (copy_to_user(caller, arg + offsetof(struct vfio_device_attach_iommufd_pt, pt_id),
			 &at.pt_id, sizeof(at.pt_id))) {
		/* As the kernel, the plain attachment is what is undone. */
		do_detach(d, false, 0);
		return -EFAULT;
	}
	d->pt_id = at.pt_id;
	return 0;
}

static long detach_ioctl(struct iemu_devfile *f, struct iemu_proc *caller, uint64_t arg)
{
	const uint32_t minsz = offsetofend(struct vfio_device_detach_iommufd_pt, flags);
	const uint32_t xend = offsetofend(struct vfio_device_detach_iommufd_pt, pasid);
	struct vfio_device_detach_iommufd_pt dt = { 0 };
	struct iemu_device *d = f->dev;
	bool pasid_flag;
	int rc;

	if (copy_from_user(caller, &dt, arg, minsz))
		return -EFAULT;
	if (dt.argsz < minsz || (dt.flags & ~VFIO_DEVICE_DETACH_PASID))
		return -EINVAL;
	pasid_flag = dt.flags & VFIO_DEVICE_DETACH_PASID;
	if (pasid_flag) {
		rc = copy_pasid(d, caller, arg, dt.argsz, minsz, xend, &dt.pasid);
		if (rc)
			return rc;
	}
	rc = do_detach(d, pasid_flag, dt.pasid);
	if (!rc && !d->attached && !d->pasid0)
		d->pt_id = 0;
	return rc;
}

/* ---- GET_REGION_INFO and FEATURE: vfio_main's parts ---- */

/* Place the capabilities after the struct, or say how much room they need. */
static int reply_caps(struct iemu_proc *caller, uint64_t arg, uint32_t argsz,
		      uint32_t struct_size, struct vfio_caps *caps, uint32_t *out_argsz,
		      uint32_t *cap_offset)
{
	struct vfio_info_cap_header *h;

	if (argsz < struct_size + caps->size) {
		*out_argsz = struct_size + caps->size;
		*cap_offset = 0;
		return 0;
	}
	/* Chain offsets count from the start of the info struct. */
	for (uint32_t off = 0; off < caps->size; off = h->next - struct_size) {
		h = (struct vfio_info_cap_header *)(caps->buf + off);
		if (!h->next)
			break;
		h->next += struct_size;
	}
	if (copy_to_user(caller, arg + struct_size, caps->buf, caps->size))
		return -EFAULT;
	*cap_offset = struct_size;
	return 0;
}

static long region_info_ioctl(struct iemu_devfile *f, struct iemu_proc *caller,
			      uint64_t arg)
{
	const uint32_t minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info = { 0 };
	struct vfio_caps caps = { .size = 0 };
	int rc;

	if (copy_from_user(caller, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	rc = vfio_pci_region_info(f->dev, &info, &caps);
	if (rc)
		return rc;
	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		rc = reply_caps(caller, arg, info.argsz, sizeof(info), &caps, &info.argsz,
				&info.cap_offset);
		if (rc)
			return rc;
	}
	return copy_to_user(caller, arg, &info, minsz);
}

static long feature_ioctl(struct iemu_devfile *f, struct iemu_proc *caller, uint64_t arg)
{
	const uint32_t minsz = offsetofend(struct vfio_device_feature, flags);
	struct vfio_device_feature ft;
	uint32_t gs = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;

	if (copy_from_user(caller, &ft, arg, minsz))
		return -EFAULT;
	if (ft.argsz < minsz)
		return -EINVAL;
	if (ft.flags & ~(VFIO_DEVICE_FEATURE_MASK | gs | VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if (!(ft.flags & VFIO_DEVICE_FEATURE_PROBE) && (ft.flags & gs) == gs)
		return -EINVAL;
	switch (ft.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
		return -ENOTTY; /* no migration or DMA logging support */
	case VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2:
		/* Linux 7.x asks for pre-copy migration support first; before,
		 * the number was unknown to vfio_main and went to the driver. */
		return emu_kernel_at_least(f->dev->emu, IEMU_KVER(7, 0)) ? -EINVAL : -ENOTTY;
	default:
		if (f->dev->emulated)
			return -ENOTTY;
		return vfio_pci_feature(f->dev, caller, ft.flags, arg + minsz,
					ft.argsz - minsz);
	}
}

/* ---- dispatch ---- */

typedef long (*devfile_op)(struct iemu_devfile *f, struct iemu_proc *caller,
			   uint64_t arg);

/* vfio_main's own ioctls of a bound cdev; the rest go to the driver. */
static const struct {
	unsigned int cmd;
	devfile_op fn;
} ops[] = {
	{ VFIO_DEVICE_ATTACH_IOMMUFD_PT, attach_ioctl },
	{ VFIO_DEVICE_DETACH_IOMMUFD_PT, detach_ioctl },
	{ VFIO_DEVICE_FEATURE, feature_ioctl },
	{ VFIO_DEVICE_GET_REGION_INFO, region_info_ioctl },
};

static long dispatch(struct iemu_devfile *f, struct iemu_proc *caller, unsigned int cmd,
		     uint64_t arg)
{
	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		return bind_ioctl(f, caller, arg);
	if (!f->bound)
		return -EINVAL;
	vfio_pci_wake(f->dev);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].cmd == cmd)
			return ops[i].fn(f, caller, arg);
	return vfio_pci_ioctl(f->dev, caller, cmd, arg);
}

long iemu_devfile_ioctl(struct iemu_devfile *f, struct iemu_proc *caller,
			unsigned int cmd, uint64_t arg)
{
	struct iemu_device *d = f->dev;
	long rc;

	rc = -inject_ioctl(d->emu, IEMU_FILE_DEVICE, cmd, caller->pid);
	if (rc)
		return rc;
	if (caller->ops->begin)
		caller->ops->begin(caller->opaque);
	pthread_mutex_lock(&d->lock);
	rc = dispatch(f, caller, cmd, arg);
	pthread_mutex_unlock(&d->lock);
	if (caller->ops->end)
		caller->ops->end(caller->opaque);
	return rc;
}

long iemu_dev_ioctl(struct iemu_devfile *f, unsigned int cmd, void *arg)
{
	struct iemu_proc *self;
	int rc;

	if (!f->self) {
		rc = iemu_proc_self(f->dev->emu, &self);
		if (rc)
			return rc;
		f->self = self;
	}
	return iemu_devfile_ioctl(f, f->self, cmd, (uintptr_t)arg);
}

static ssize_t devfile_rw(struct iemu_devfile *f, void *buf, size_t len, uint64_t off,
			  bool write)
{
	struct iemu_device *d = f->dev;
	ssize_t rc;

	pthread_mutex_lock(&d->lock);
	rc = f->bound ? vfio_pci_rw(d, buf, len, off, write) : -EINVAL;
	pthread_mutex_unlock(&d->lock);
	return rc;
}

ssize_t iemu_devfile_read(struct iemu_devfile *f, void *buf, size_t len, uint64_t off)
{
	return devfile_rw(f, buf, len, off, false);
}

ssize_t iemu_devfile_write(struct iemu_devfile *f, const void *buf, size_t len,
			   uint64_t off)
{
	return devfile_rw(f, (void *)buf, len, off, true);
}

void iemu_devfile_info(struct iemu_devfile *f, struct iemu_device_info *out)
{
	iemu_device_info(f->dev, out);
	pthread_mutex_lock(&f->dev->lock);
	out->bound = f->bound;
	pthread_mutex_unlock(&f->dev->lock);
}

void iemu_devfile_close(struct iemu_devfile *f)
{
	struct iemu_device *d = f->dev;

	pthread_mutex_lock(&d->lock);
	if (f->bound)
		close_bound(f);
	d->files--;
	pthread_mutex_unlock(&d->lock);
	if (f->self)
		iemu_proc_put(f->self);
	free(f);
}
