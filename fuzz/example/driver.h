/* SPDX-License-Identifier: MIT */
/*
 * A tiny driver of the dmatest device, written as any VFIO/iommufd driver
 * is: open(), ioctl(), pread()/pwrite(), close(), nothing of the emulator.
 * It is the worked example of fuzz/README.md: the fuzz harness next to it
 * (fuzz_driver.c) drives these functions with the fuzzer's bytes while
 * the driver's syscalls land in the emulator in-process.
 */
#ifndef DT_DRIVER_H
#define DT_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#define DT_QUEUES 2

struct dt_queue {
	void *ring;          /* descriptor memory, mmap()ed */
	size_t bytes;
	uint64_t iova;       /* where it is mapped, 0: not set up */
};

struct dt {
	int iommufd;
	int dev;
	uint32_t ioas;
	struct dt_queue q[DT_QUEUES];
};

/* Open /dev/iommu and the device's cdev, bind, attach to a new IOAS, turn
 * on decode and bus mastering: 0 or -errno (nothing left open on error). */
int dt_open(struct dt *d, const char *cdev);

/* Give queue q a ring of entries descriptors mapped at iova (0: the kernel
 * chooses) and enable it: 0 or -errno (the queue stays off on error). */
int dt_queue_setup(struct dt *d, unsigned int q, unsigned int entries, uint64_t iova);

/* Disable queue q and unmap and free its ring. */
void dt_queue_teardown(struct dt *d, unsigned int q);

/* Tear everything down. */
void dt_close(struct dt *d);

#endif
