// SPDX-License-Identifier: MIT
/*
 * vfiodev (see vfiodev.h): each function is one step of the VFIO cdev +
 * iommufd sequence, with plain syscalls.  The ABI definitions come from
 * iommufd-emu's own copies of <linux/iommufd.h> and <linux/vfio.h>, which
 * match Linux 7.3 byte for byte, so that this builds on older headers.
 */
#include "vfiodev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

bool vfiodev_verbose;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	if (!vfiodev_verbose)
		return;
	va_start(ap, fmt);
	printf("    ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

const char *vfiodev_errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

/* An ioctl, told: 0 or -errno. */
static int xioctl(int fd, unsigned long cmd, void *arg, const char *name)
{
	int rc = ioctl(fd, cmd, arg) < 0 ? -errno : 0;

	if (rc)
		say("%-36s -> %s", name, vfiodev_errname(-rc));
	return rc;
}

static int read_hex(const char *path, unsigned int *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%x", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* The cdev name under <bdf>/vfio-dev/. */
static int cdev_of(const char *bdf, char *path, size_t len)
{
	char dir[512];
	struct dirent *e;
	DIR *dp;
	int rc = -ENODEV;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dp = opendir(dir);
	while (dp && (e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, len, "/dev/vfio/devices/%s", e->d_name);
		rc = 0;
		break;
	}
	if (dp)
		closedir(dp);
	return rc;
}

int vfiodev_find(uint16_t vendor, uint16_t device, char *path, size_t len, char *bdf,
		 size_t bdf_len)
{
	DIR *dp = opendir("/sys/bus/pci/devices");
	char file[512];
	unsigned int v, dv;
	struct dirent *e;
	int rc = -ENODEV;

	while (dp && (e = readdir(dp)) && rc) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (read_hex(file, &v) || v != vendor)
			continue;
		snprintf(file, sizeof(file), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (read_hex(file, &dv) || dv != device)
			continue;
		if (!cdev_of(e->d_name, path, len)) {
			snprintf(bdf, bdf_len, "%s", e->d_name);
			rc = 0;
		}
	}
	if (dp)
		closedir(dp);
	if (!rc)
		say("PCI %04x:%04x is %s, cdev %s", vendor, device, bdf, path);
	return rc;
}

static int bind_and_attach(struct vfiodev *d)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = d->iommufd };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	int rc;

	rc = xioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind, "VFIO_DEVICE_BIND_IOMMUFD");
	if (rc)
		return rc;
	d->devid = bind.out_devid;
	say("VFIO_DEVICE_BIND_IOMMUFD            -> device object %u", d->devid);
	rc = xioctl(d->iommufd, IOMMU_IOAS_ALLOC, &alloc, "IOMMU_IOAS_ALLOC");
	if (rc)
		return rc;
	d->ioas = alloc.out_ioas_id;
	say("IOMMU_IOAS_ALLOC                    -> IOAS %u", d->ioas);
	at.pt_id = d->ioas;
	rc = xioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	if (rc)
		return rc;
	d->hwpt = at.pt_id;
	say("VFIO_DEVICE_ATTACH_IOMMUFD_PT IOAS %u -> HWPT %u (automatic domain)", d->ioas,
	    d->hwpt);
	return 0;
}

static int read_info(struct vfiodev *d)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int rc = xioctl(d->fd, VFIO_DEVICE_GET_INFO, &info, "VFIO_DEVICE_GET_INFO");

	if (rc)
		return rc;
	d->flags = info.flags;
	d->num_regions = info.num_regions < VFIODEV_MAX_REGIONS ? info.num_regions :
								 VFIODEV_MAX_REGIONS;
	d->num_irqs = info.num_irqs;
	say("VFIO_DEVICE_GET_INFO                -> %u regions, %u irq indexes%s",
	    info.num_regions, info.num_irqs,
	    info.flags & VFIO_DEVICE_FLAGS_RESET ? ", resettable" : "");
	for (uint32_t i = 0; i < d->num_regions; i++) {
		struct vfio_region_info r = { .argsz = sizeof(r), .index = i };

		/* VGA is absent on most functions: EINVAL is the answer. */
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &r))
			continue;
		d->region_offset[i] = r.offset;
		d->region_size[i] = r.size;
	}
	return 0;
}

int vfiodev_open(struct vfiodev *d, const char *cdev_path)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	snprintf(d->path, sizeof(d->path), "%s", cdev_path);
	d->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (d->iommufd < 0) {
		rc = -errno;
		say("open /dev/iommu -> %s", vfiodev_errname(-rc));
		return rc;
	}
	d->fd = open(cdev_path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		rc = -errno;
		say("open %s -> %s", cdev_path, vfiodev_errname(-rc));
		close(d->iommufd);
		return rc;
	}
	say("open /dev/iommu, open %s", cdev_path);
	rc = bind_and_attach(d);
	if (!rc)
		rc = read_info(d);
	if (rc)
		vfiodev_close(d);
	return rc;
}

void vfiodev_close(struct vfiodev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->iommufd >= 0)
		close(d->iommufd);
	d->fd = d->iommufd = -1;
	say("close the cdev (detach, unbind) and /dev/iommu");
}

int vfiodev_map(struct vfiodev *d, void *va, uint64_t len, uint64_t iova, bool read_only)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 (read_only ? 0 : IOMMU_IOAS_MAP_WRITEABLE),
		.ioas_id = d->ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};
	int rc = xioctl(d->iommufd, IOMMU_IOAS_MAP, &map, "IOMMU_IOAS_MAP");

	if (!rc)
		say("IOMMU_IOAS_MAP %6llu KiB at IOVA 0x%llx%s", (unsigned long long)len >> 10,
		    (unsigned long long)iova, read_only ? " (read-only)" : "");
	return rc;
}

int vfiodev_unmap(struct vfiodev *d, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap un = { .size = sizeof(un), .ioas_id = d->ioas, .iova = iova,
				       .length = len };
	int rc = xioctl(d->iommufd, IOMMU_IOAS_UNMAP, &un, "IOMMU_IOAS_UNMAP");

	if (!rc)
		say("IOMMU_IOAS_UNMAP IOVA 0x%llx", (unsigned long long)iova);
	return rc;
}

static int region_io(struct vfiodev *d, unsigned int index, uint64_t off, void *buf,
		     unsigned int n, bool write)
{
	uint64_t pos = d->region_offset[index] + off;
	ssize_t done = write ? pwrite(d->fd, buf, n, pos) : pread(d->fd, buf, n, pos);

	if (done == (ssize_t)n)
		return 0;
	return done < 0 ? -errno : -EIO;
}

uint32_t vfiodev_cfg_read(struct vfiodev *d, unsigned int off, unsigned int n)
{
	uint32_t v = 0;

	return region_io(d, VFIO_PCI_CONFIG_REGION_INDEX, off, &v, n, false) ? ~0u : v;
}

int vfiodev_cfg_write(struct vfiodev *d, unsigned int off, unsigned int n, uint32_t v)
{
	return region_io(d, VFIO_PCI_CONFIG_REGION_INDEX, off, &v, n, true);
}

uint64_t vfiodev_bar_read(struct vfiodev *d, int bar, uint64_t off, unsigned int n)
{
	uint64_t v = 0;

	return region_io(d, bar, off, &v, n, false) ? ~0ULL : v;
}

int vfiodev_bar_write(struct vfiodev *d, int bar, uint64_t off, unsigned int n, uint64_t v)
{
	return region_io(d, bar, off, &v, n, true);
}

int vfiodev_enable(struct vfiodev *d)
{
	uint32_t cmd = vfiodev_cfg_read(d, 0x04, 2);
	int rc = vfiodev_cfg_write(d, 0x04, 2, cmd | 0x6);

	say("config: command 0x%04x -> 0x%04x (memory decode, bus master)", cmd, cmd | 0x6);
	return rc;
}

int vfiodev_irq(struct vfiodev *d, unsigned int index, unsigned int nvec, int *efds)
{
	static const char *const names[] = { "INTx", "MSI", "MSI-X", "ERR", "REQ" };
	size_t size = sizeof(struct vfio_irq_set) + nvec * sizeof(int32_t);
	struct vfio_irq_set *set = calloc(1, size);
	int rc = 0;

	if (!set)
		return -ENOMEM;
	for (unsigned int i = 0; i < nvec && !rc; i++) {
		efds[i] = eventfd(0, EFD_CLOEXEC);
		if (efds[i] < 0)
			rc = -errno;
		((int32_t *)set->data)[i] = efds[i];
	}
	*set = (struct vfio_irq_set){ .argsz = size, .index = index, .start = 0, .count = nvec,
				      .flags = VFIO_IRQ_SET_DATA_EVENTFD |
					       VFIO_IRQ_SET_ACTION_TRIGGER };
	if (!rc)
		rc = xioctl(d->fd, VFIO_DEVICE_SET_IRQS, set, "VFIO_DEVICE_SET_IRQS");
	if (!rc)
		say("VFIO_DEVICE_SET_IRQS %s: %u vector(s), one eventfd each",
		    index < 5 ? names[index] : "?", nvec);
	free(set);
	return rc;
}

uint64_t vfiodev_wait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	eventfd_t v = 0;

	if (poll(&p, 1, ms) != 1 || eventfd_read(efd, &v))
		return 0;
	return v;
}
