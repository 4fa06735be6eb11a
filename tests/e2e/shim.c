// SPDX-License-Identifier: MIT
/*
 * In-process shim for scenario programs: linked with --wrap=open, ioctl,
 * close, pread and pwrite, it turns opens of /dev/iommu into emulator
 * contexts and opens of /dev/vfio/devices/NAME into device files, and their
 * ioctls and region I/O into library calls, so that an unmodified scenario
 * runs against the library without FUSE.  Its output must match the same
 * program's output over FUSE.  The devices are those the scenario asks for
 * (`scenario --devices`), given in IOMMUFD_EMU_SHIM_DEVICES, ';'-separated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommufd_emu.h"

#define CTX_BASE 1000
#define DEV_BASE 2000
#define MAX_FILES 64

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, ...);
int __real_close(int fd);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);

static struct iemu *emu;
static struct iemu_proc *self;
static struct iemu_ctx *ctxs[MAX_FILES];
static struct iemu_devfile *devs[MAX_FILES];

static struct iemu_ctx *ctx_of(int fd)
{
	return fd >= CTX_BASE && fd < CTX_BASE + MAX_FILES ? ctxs[fd - CTX_BASE] : NULL;
}

static struct iemu_devfile *dev_of(int fd)
{
	return fd >= DEV_BASE && fd < DEV_BASE + MAX_FILES ? devs[fd - DEV_BASE] : NULL;
}

/* BIND's iommufd: our fake numbers are contexts; a real open fd is not an
 * iommufd. */
static int resolve(void *opaque, struct iemu_proc *caller, int fd, struct iemu_ctx **out)
{
	(void)opaque;
	(void)caller;
	if (ctx_of(fd)) {
		*out = iemu_ctx_get(ctx_of(fd));
		return 0;
	}
	return fcntl(fd, F_GETFD) >= 0 ? -EBADFD : -EBADF;
}

static int start(void)
{
	char *list, *save, *spec, err[256];
	int rc;

	if (emu)
		return 0;
	rc = iemu_create(NULL, &emu);
	if (!rc)
		rc = iemu_proc_self(emu, &self);
	if (rc)
		return rc;
	iemu_set_fd_resolver(emu, resolve, NULL);
	list = strdup(getenv("IOMMUFD_EMU_SHIM_DEVICES") ? getenv("IOMMUFD_EMU_SHIM_DEVICES") : "");
	for (spec = strtok_r(list, ";", &save); spec && !rc; spec = strtok_r(NULL, ";", &save)) {
		rc = iemu_device_add(emu, spec, NULL, err, sizeof(err));
		if (rc)
			fprintf(stderr, "shim: %s: %s\n", spec, err);
	}
	free(list);
	return rc;
}

static int new_ctx(void)
{
	for (int i = 0; i < MAX_FILES; i++) {
		if (!ctxs[i]) {
			int rc = iemu_ctx_open(emu, self, &ctxs[i]);

			if (rc) {
				errno = -rc;
				return -1;
			}
			return CTX_BASE + i;
		}
	}
	errno = EMFILE;
	return -1;
}

static int new_dev(const char *name)
{
	struct iemu_device *d = iemu_device_find(emu, name);

	if (!d) {
		errno = ENOENT;
		return -1;
	}
	for (int i = 0; i < MAX_FILES; i++) {
		if (!devs[i]) {
			int rc = iemu_devfile_open(d, self, &devs[i]);

			if (rc) {
				errno = -rc;
				return -1;
			}
			return DEV_BASE + i;
		}
	}
	errno = EMFILE;
	return -1;
}

int __wrap_open(const char *path, int flags, ...)
{
	static const char devdir[] = "/dev/vfio/devices/";
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (strcmp(path, "/dev/iommu") && strncmp(path, devdir, strlen(devdir)))
		return __real_open(path, flags, mode);
	if (start()) {
		errno = ENOMEM;
		return -1;
	}
	return path[5] == 'i' ? new_ctx() : new_dev(path + strlen(devdir));
}

static int result(long rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return (int)rc;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (ctx_of(fd))
		return result(iemu_ioctl(ctx_of(fd), (unsigned int)req, arg));
	if (dev_of(fd))
		return result(iemu_dev_ioctl(dev_of(fd), (unsigned int)req, arg));
	return __real_ioctl(fd, req, arg);
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	if (!dev_of(fd))
		return __real_pread(fd, buf, n, off);
	return result(iemu_devfile_read(dev_of(fd), buf, n, off));
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (!dev_of(fd))
		return __real_pwrite(fd, buf, n, off);
	return result(iemu_devfile_write(dev_of(fd), buf, n, off));
}

int __wrap_close(int fd)
{
	if (ctx_of(fd)) {
		iemu_ctx_close(ctx_of(fd));
		ctxs[fd - CTX_BASE] = NULL;
		return 0;
	}
	if (dev_of(fd)) {
		iemu_devfile_close(dev_of(fd));
		devs[fd - DEV_BASE] = NULL;
		return 0;
	}
	return __real_close(fd);
}
