/* SPDX-License-Identifier: MIT */
/*
 * The private ioctls between the server (fs.c) and what runs in its
 * clients (the preload library, preload_fds.c): numbers in 'E' 0xe0-0xe3,
 * which neither iommufd (';') nor VFIO (';' 100+) uses.
 */
#ifndef IEMU_FUSE_PRIVATE_IOCTL_H
#define IEMU_FUSE_PRIVATE_IOCTL_H

#include <stdint.h>
#include <sys/ioctl.h>

/* Which open file of the server a client's fd is (answered only to the
 * server's own threads). */
#define IEMU_IOCTL_WHICH_FILE _IOR('E', 0xe0, uint64_t)

/* mmap and munmap of the iommufd: the library maps shared memory at addr
 * and asks for the region at offset to be put there. */
struct iemu_mmap_req {
	uint64_t offset;
	uint64_t length;
	uint64_t addr;
	uint32_t flags;   /* IEMU_MMAP_* */
	uint32_t __reserved;
};
#define IEMU_MMAP_SHARED (1u << 0)
#define IEMU_MMAP_EXEC (1u << 1)
#define IEMU_IOCTL_MMAP _IOW('E', 0xe1, struct iemu_mmap_req)
#define IEMU_IOCTL_MUNMAP _IOW('E', 0xe2, struct iemu_mmap_req)

/* read(2) of no bytes from an anonymous file, which FUSE would answer
 * with 0 without asking the server. */
#define IEMU_IOCTL_READ0 _IO('E', 0xe3)

#endif
