// SPDX-License-Identifier: MIT
/*
 * The part of libiommufd-emu-preload.so that does what FUSE cannot do from
 * the server's side:
 *
 *  - New fds.  IOMMU_FAULT_QUEUE_ALLOC, IOMMU_VEVENTQ_ALLOC and the
 *    selftest's CREATE_ACCESS and DMABUF_GET return an fd; the server
 *    writes a token (>= IEMU_ANON_FD_BASE) where it belongs, and this opens
 *    $MOUNT/.fd/<token> and puts the real fd there instead.
 *  - Reads of no bytes.  The kernel hands read(fd, buf, 0) to an
 *    anonymous file, whose answer may be EINVAL; FUSE answers 0 itself.
 *    This asks the server instead.
 *  - mmap of the iommufd.  A FUSE file cannot map the server's memory, so
 *    this maps shared memory and has the server fill it with the region,
 *    keeping a duplicate of the fd (as a VMA holds its file) until munmap.
 *
 * Everything else passes straight through; only ioctls with those numbers,
 * and mmaps of an fd, look at the file at all.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iommufd_emu.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/iommufd_test.h"
#include "private_ioctl.h"

#define EXPORT __attribute__((visibility("default")))

static int (*real_ioctl)(int, unsigned long, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *mnt;
static dev_t iommu_dev;
static ino_t iommu_ino;

static void init(void)
{
	char path[4096];
	struct stat st;

	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	real_munmap = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap");
	real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	mnt = getenv("IOMMUFD_EMU_MOUNT");
	if (!mnt || !*mnt) {
		mnt = NULL;
		return;
	}
	snprintf(path, sizeof(path), "%s/iommu", mnt);
	if (!syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0)) {
		iommu_dev = st.st_dev;
		iommu_ino = st.st_ino;
	}
}

/* Whether fd is an open /dev/iommu of the emulator. */
static bool emulated_iommufd(int fd)
{
	struct stat st;

	pthread_once(&once, init);
	return mnt && fd >= 0 && !syscall(SYS_fstat, fd, &st) && st.st_dev == iommu_dev &&
	       st.st_ino == iommu_ino;
}

/* ---- new fds ---- */

/* The real fd for a token, opened with flags (O_CLOEXEC or not). */
static int claim(uint32_t token, int flags)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/.fd/%u", mnt, token);
	return open(path, O_RDWR | (flags & O_CLOEXEC));
}

/* Replace the token in the u32 at field of the argument. */
static int claim_field(void *arg, size_t field)
{
	uint32_t token;
	int fd;

	memcpy(&token, (char *)arg + field, sizeof(token));
	if (token < IEMU_ANON_FD_BASE)
		return 0;
	fd = claim(token, O_CLOEXEC);
	if (fd < 0)
		return -1;
	memcpy((char *)arg + field, &(uint32_t){ (uint32_t)fd }, sizeof(uint32_t));
	return 0;
}

/* After a successful ioctl: which fds it returned. */
static int claim_new_fds(unsigned long req, void *arg, int rc)
{
	struct iommu_test_cmd *t = arg;

	switch (req) {
	case IOMMU_FAULT_QUEUE_ALLOC:
		return claim_field(arg, offsetof(struct iommu_fault_alloc, out_fault_fd));
	case IOMMU_VEVENTQ_ALLOC:
		return claim_field(arg, offsetof(struct iommu_veventq_alloc, out_veventq_fd));
	case IOMMU_TEST_CMD:
		if (t->op == IOMMU_TEST_OP_CREATE_ACCESS)
			return claim_field(arg, offsetof(struct iommu_test_cmd,
							 create_access.out_access_fd));
		if (t->op == IOMMU_TEST_OP_DMABUF_GET && rc >= IEMU_ANON_FD_BASE)
			return claim((uint32_t)rc, (int)t->dmabuf_get.open_flags);
		return rc;
	default:
		return rc;
	}
}

static bool returns_fd(unsigned long req)
{
	return req == IOMMU_FAULT_QUEUE_ALLOC || req == IOMMU_VEVENTQ_ALLOC ||
	       req == IOMMU_TEST_CMD;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_once(&once, init);
	rc = real_ioctl(fd, req, arg);
	if (rc < 0 || !returns_fd(req) || !emulated_iommufd(fd))
		return rc;
	return claim_new_fds(req, arg, rc);
}

/* ---- reads of no bytes ---- */

/* Whether fd is one of the emulator's anonymous files (anonfs.h). */
static bool emulated_anon(int fd)
{
	struct stat st;

	pthread_once(&once, init);
	return mnt && fd >= 0 && !syscall(SYS_fstat, fd, &st) && st.st_dev == iommu_dev &&
	       (uint64_t)st.st_ino >> 32 == 1;
}

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	pthread_once(&once, init);
	if (!len && emulated_anon(fd))
		return real_ioctl(fd, IEMU_IOCTL_READ0, NULL);
	return real_read(fd, buf, len);
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	(void)buflen;
	return read(fd, buf, len);
}

/* ---- mmap of the iommufd ---- */

struct mapped {
	uintptr_t addr;
	size_t len;
	uint64_t offset;
	int fd;             /* our duplicate of the iommufd */
	struct mapped *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct mapped *mapped;

static void *map_region(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), rounded = (len + pg - 1) & ~(pg - 1);
	struct iemu_mmap_req r = { .offset = (uint64_t)off, .length = rounded };
	struct mapped *m = malloc(sizeof(*m));
	void *p;
	int err;

	if (!m) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	p = real_mmap(addr, rounded, prot | PROT_WRITE,
		      (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) | MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (p == MAP_FAILED) {
		free(m);
		return p;
	}
	r.addr = (uintptr_t)p;
	r.flags = (flags & MAP_SHARED ? IEMU_MMAP_SHARED : 0) |
		  (prot & PROT_EXEC ? IEMU_MMAP_EXEC : 0);
	m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (m->fd < 0 || real_ioctl(fd, IEMU_IOCTL_MMAP, &r)) {
		err = errno;
		if (m->fd >= 0)
			close(m->fd);
		real_munmap(p, rounded);
		free(m);
		errno = err;
		return MAP_FAILED;
	}
	/* The region's contents are in; now the protection asked for. */
	if (!(prot & PROT_WRITE))
		mprotect(p, rounded, prot);
	*m = (struct mapped){ .addr = (uintptr_t)p, .len = rounded, .offset = r.offset,
			      .fd = m->fd };
	pthread_mutex_lock(&lock);
	m->next = mapped;
	mapped = m;
	pthread_mutex_unlock(&lock);
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	pthread_once(&once, init);
	if (!(flags & MAP_ANONYMOUS) && emulated_iommufd(fd))
		return map_region(addr, len, prot, flags, fd, off);
	return real_mmap(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* A region gone from the address space releases what it held. */
static void unmapped(uintptr_t addr, size_t len)
{
	struct mapped **pp, *m;

	pthread_mutex_lock(&lock);
	for (pp = &mapped; (m = *pp);) {
		if (m->addr < addr + len && addr < m->addr + m->len) {
			struct iemu_mmap_req r = { .offset = m->offset, .length = m->len };

			*pp = m->next;
			real_ioctl(m->fd, IEMU_IOCTL_MUNMAP, &r);
			close(m->fd);
			free(m);
		} else {
			pp = &m->next;
		}
	}
	pthread_mutex_unlock(&lock);
}

EXPORT int munmap(void *addr, size_t len)
{
	int rc;

	pthread_once(&once, init);
	rc = real_munmap(addr, len);
	if (!rc && mapped)
		unmapped((uintptr_t)addr, len);
	return rc;
}
