// SPDX-License-Identifier: MIT
/*
 * The example's shim (see shim.h), after tests/e2e/shim.c.  Fake fd
 * numbers (1000 + i for contexts, 2000 + i for device files) are never
 * real fds, so the driver's other files are left alone.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CTX_BASE 1000
#define DEV_BASE 2000
#define MAX_FILES 16

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, ...);
int __real_close(int fd);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);

static struct iemu *emu;
static struct iemu_proc *self;
static struct iemu_ctx *ctxs[MAX_FILES];
static struct iemu_devfile *devs[MAX_FILES];

struct iemu_ctx *shim_ctx(int fd)
{
	return fd >= CTX_BASE && fd < CTX_BASE + MAX_FILES ? ctxs[fd - CTX_BASE] : NULL;
}

static struct iemu_devfile *dev_of(int fd)
{
	return fd >= DEV_BASE && fd < DEV_BASE + MAX_FILES ? devs[fd - DEV_BASE] : NULL;
}

/* BIND names the iommufd by the driver's fd number. */
static int resolve(void *opaque, struct iemu_proc *caller, int fd, struct iemu_ctx **out)
{
	(void)opaque;
	(void)caller;
	if (shim_ctx(fd)) {
		*out = iemu_ctx_get(shim_ctx(fd));
		return 0;
	}
	return fcntl(fd, F_GETFD) >= 0 ? -EBADFD : -EBADF;
}

void shim_start(const char *const *specs)
{
	char err[256];

	if (emu)
		return;
	if (iemu_create(NULL, &emu) || iemu_proc_self(emu, &self))
		abort();
	/* As an unprivileged driver: no capabilities, a generous limit. */
	iemu_proc_set_caps(self, 0);
	iemu_proc_set_memlock(self, UINT64_MAX);
	iemu_set_fd_resolver(emu, resolve, NULL);
	for (int i = 0; specs[i]; i++) {
		if (iemu_device_add(emu, specs[i], NULL, err, sizeof(err))) {
			fprintf(stderr, "shim: %s: %s\n", specs[i], err);
			abort();
		}
	}
}

struct iemu *shim_emu(void)
{
	return emu;
}

struct iemu_proc *shim_self(void)
{
	return self;
}

unsigned int shim_open_files(void)
{
	unsigned int n = 0;

	for (int i = 0; i < MAX_FILES; i++)
		n += (ctxs[i] != NULL) + (devs[i] != NULL);
	return n;
}

static int fail(int rc)
{
	errno = -rc;
	return -1;
}

static int open_ctx(void)
{
	for (int i = 0; i < MAX_FILES; i++) {
		if (!ctxs[i]) {
			int rc = iemu_ctx_open(emu, self, &ctxs[i]);

			return rc ? fail(rc) : CTX_BASE + i;
		}
	}
	return fail(-EMFILE);
}

static int open_dev(const char *name)
{
	struct iemu_device *d = iemu_device_find(emu, name);

	if (!d)
		return fail(-ENOENT);
	for (int i = 0; i < MAX_FILES; i++) {
		if (!devs[i]) {
			int rc = iemu_devfile_open(d, self, &devs[i]);

			return rc ? fail(rc) : DEV_BASE + i;
		}
	}
	return fail(-EMFILE);
}

int __wrap_open(const char *path, int flags, ...)
{
	static const char devdir[] = "/dev/vfio/devices/";
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (emu && !strcmp(path, "/dev/iommu"))
		return open_ctx();
	if (emu && !strncmp(path, devdir, strlen(devdir)))
		return open_dev(path + strlen(devdir));
	return __real_open(path, flags, mode);
}

static int result(long rc)
{
	return rc < 0 ? fail((int)rc) : (int)rc;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (shim_ctx(fd))
		return result(iemu_ctx_ioctl(shim_ctx(fd), self, (unsigned int)req, (uintptr_t)arg));
	if (dev_of(fd))
		return result(iemu_devfile_ioctl(dev_of(fd), self, (unsigned int)req,
						 (uintptr_t)arg));
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
	if (shim_ctx(fd)) {
		iemu_ctx_close(shim_ctx(fd));
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
