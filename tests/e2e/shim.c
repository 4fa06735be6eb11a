// SPDX-License-Identifier: MIT
/*
 * In-process shim for scenario programs: linked with --wrap=open, ioctl,
 * close, pread, pwrite, read, write, lseek and poll, it turns opens of
 * /dev/iommu into emulator contexts and opens of /dev/vfio/devices/NAME into
 * device files, and their ioctls and region I/O into library calls, so that
 * an unmodified scenario runs against the library without FUSE.  Its output
 * must match the same program's output over FUSE.  The devices are those the
 * scenario asks for (`scenario --devices`), given in IOMMUFD_EMU_SHIM_DEVICES,
 * ';'-separated.
 *
 * Every emulated file is a real fd (of /dev/null) standing in for it, so
 * that the fd numbers a program hands to an ioctl are what they would be
 * over FUSE: a device fd given as an eventfd is a real file that is not an
 * eventfd (EINVAL), not an unknown number (EBADF).  The files some ioctls
 * return (a fault queue's) get such a number too, through the library's
 * anon-file handlers, and their read, write, poll and close reach the
 * library.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_emu.h"

#define MAX_FD 1024

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, ...);
int __real_close(int fd);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
off_t __real_lseek(int fd, off_t off, int whence);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);

static struct iemu *emu;
static struct iemu_proc *self;
/* What stands behind each of our fds (at most one is set). */
static struct {
	struct iemu_ctx *ctx;
	struct iemu_devfile *dev;
	struct iemu_anon *anon;
} files[MAX_FD];

static struct iemu_ctx *ctx_of(int fd)
{
	return fd >= 0 && fd < MAX_FD ? files[fd].ctx : NULL;
}

static struct iemu_devfile *dev_of(int fd)
{
	return fd >= 0 && fd < MAX_FD ? files[fd].dev : NULL;
}

static struct iemu_anon *anon_of(int fd)
{
	return fd >= 0 && fd < MAX_FD ? files[fd].anon : NULL;
}

/* A real fd to stand for an emulated file, or -1 with errno set. */
static int placeholder(void)
{
	int fd = __real_open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= MAX_FD) {
		__real_close(fd);
		errno = EMFILE;
		return -1;
	}
	return fd;
}

/* BIND's iommufd: our contexts are iommufds; any other open fd is not. */
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

/* ---- the files ioctls return: a placeholder fd each ---- */

static int anon_install(void *opaque, struct iemu_proc *caller, struct iemu_anon *f)
{
	int fd = placeholder();

	(void)opaque;
	(void)caller;
	if (fd < 0)
		return -errno;
	files[fd].anon = iemu_anon_get(f);
	return fd;
}

static void anon_withdraw(void *opaque, struct iemu_proc *caller, int fd)
{
	struct iemu_anon *f = anon_of(fd);

	(void)opaque;
	(void)caller;
	if (!f)
		return;
	files[fd].anon = NULL;
	__real_close(fd);
	iemu_anon_put(f);
}

static int anon_resolve(void *opaque, struct iemu_proc *caller, int fd, struct iemu_anon **out)
{
	(void)opaque;
	(void)caller;
	if (anon_of(fd)) {
		*out = iemu_anon_get(anon_of(fd));
		return 0;
	}
	return fcntl(fd, F_GETFD) >= 0 ? -EBADFD : -EBADF;
}

static const struct iemu_anon_handlers anon_handlers = {
	.install = anon_install,
	.withdraw = anon_withdraw,
	.resolve = anon_resolve,
};

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
	iemu_set_anon_handlers(emu, &anon_handlers, NULL);
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
	int fd = placeholder(), rc;

	if (fd < 0)
		return -1;
	rc = iemu_ctx_open(emu, self, &files[fd].ctx);
	if (rc) {
		__real_close(fd);
		errno = -rc;
		return -1;
	}
	return fd;
}

static int new_dev(const char *name)
{
	struct iemu_device *d = iemu_device_find(emu, name);
	int fd, rc;

	if (!d) {
		errno = ENOENT;
		return -1;
	}
	fd = placeholder();
	if (fd < 0)
		return -1;
	rc = iemu_devfile_open(d, self, &files[fd].dev);
	if (rc) {
		__real_close(fd);
		errno = -rc;
		return -1;
	}
	return fd;
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

/* An anon file is opened nonseekable: no pread, pwrite or lseek. */
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	if (anon_of(fd))
		return result(-ESPIPE);
	if (!dev_of(fd))
		return __real_pread(fd, buf, n, off);
	return result(iemu_devfile_read(dev_of(fd), buf, n, off));
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (anon_of(fd))
		return result(-ESPIPE);
	if (!dev_of(fd))
		return __real_pwrite(fd, buf, n, off);
	return result(iemu_devfile_write(dev_of(fd), buf, n, off));
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	if (!anon_of(fd))
		return __real_read(fd, buf, n);
	return result(iemu_anon_read(anon_of(fd), buf, n, 0));
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	if (!anon_of(fd))
		return __real_write(fd, buf, n);
	return result(iemu_anon_write(anon_of(fd), buf, n, 0));
}

off_t __wrap_lseek(int fd, off_t off, int whence)
{
	if (!anon_of(fd))
		return __real_lseek(fd, off, whence);
	errno = ESPIPE;
	return -1;
}

/* Anon files answer from the library, the others from the kernel; with
 * anon files in the set, waiting is done in 1 ms steps. */
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	bool any = false;
	int ready;

	for (nfds_t i = 0; i < n; i++)
		any |= anon_of(fds[i].fd) != NULL;
	if (!any)
		return __real_poll(fds, n, timeout);
	for (;;) {
		ready = 0;
		for (nfds_t i = 0; i < n; i++) {
			struct iemu_anon *f = anon_of(fds[i].fd);
			struct pollfd one = fds[i];

			if (f)
				fds[i].revents = (short)(iemu_anon_poll(f) &
							 ((unsigned int)fds[i].events | POLLERR | POLLHUP));
			else if (__real_poll(&one, 1, 0) >= 0)
				fds[i].revents = one.revents;
			ready += fds[i].revents != 0;
		}
		if (ready || timeout == 0)
			return ready;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		if (timeout > 0)
			timeout--;
	}
}

int __wrap_close(int fd)
{
	if (ctx_of(fd)) {
		iemu_ctx_close(ctx_of(fd));
		files[fd].ctx = NULL;
	} else if (dev_of(fd)) {
		iemu_devfile_close(dev_of(fd));
		files[fd].dev = NULL;
	} else if (anon_of(fd)) {
		struct iemu_anon *f = anon_of(fd);

		files[fd].anon = NULL;
		iemu_anon_put(f);
	}
	return __real_close(fd);
}
