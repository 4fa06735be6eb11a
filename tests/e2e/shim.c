// SPDX-License-Identifier: MIT
/*
 * In-process shim for scenario programs: linked with --wrap=open, ioctl and
 * close, it turns opens of /dev/iommu into emulator contexts and their
 * ioctls into iemu_ioctl() calls, so that an unmodified scenario runs
 * against the library without FUSE.  Its output must match the same
 * program's output over FUSE.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>

#include "iommufd_emu.h"

#define FAKE_BASE 1000
#define MAX_CTX 64

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, ...);
int __real_close(int fd);

static struct iemu *emu;
static struct iemu_proc *self;
static struct iemu_ctx *ctxs[MAX_CTX];

static struct iemu_ctx *ctx_of(int fd)
{
	return fd >= FAKE_BASE && fd < FAKE_BASE + MAX_CTX ? ctxs[fd - FAKE_BASE] : NULL;
}

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (strcmp(path, "/dev/iommu"))
		return __real_open(path, flags, mode);
	if (!emu && (iemu_create(NULL, &emu) || iemu_proc_self(emu, &self))) {
		errno = ENOMEM;
		return -1;
	}
	for (int i = 0; i < MAX_CTX; i++) {
		if (!ctxs[i]) {
			int rc = iemu_ctx_open(emu, self, &ctxs[i]);

			if (rc) {
				errno = -rc;
				return -1;
			}
			return FAKE_BASE + i;
		}
	}
	errno = EMFILE;
	return -1;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct iemu_ctx *ctx = ctx_of(fd);
	va_list ap;
	void *arg;
	long rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!ctx)
		return __real_ioctl(fd, req, arg);
	rc = iemu_ioctl(ctx, (unsigned int)req, arg);
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return (int)rc;
}

int __wrap_close(int fd)
{
	struct iemu_ctx *ctx = ctx_of(fd);

	if (!ctx)
		return __real_close(fd);
	iemu_ctx_close(ctx);
	ctxs[fd - FAKE_BASE] = NULL;
	return 0;
}
