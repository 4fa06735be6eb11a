/* SPDX-License-Identifier: MIT */
/*
 * The DMA engine: every transfer a device model makes.  A bus address is an
 * IOVA translated through the device's attached domain, page run by page
 * run, to fake physical addresses, which resolve to the pinned memory behind
 * them (a process's pages or a memfd); a noiommu device's bus addresses are
 * physical; an emulated device goes through its access object.  A transfer
 * is translated and checked whole before any byte moves: an unmapped IOVA,
 * a write to a read-only mapping, DMA with bus mastering off or with no
 * domain attached is a fault, recorded for the device, and nothing changes.
 * Device writes set dirty bits in the domain.
 *
 * These are the pcifn dma port and error callbacks; opaque is the device.
 */
#ifndef IEMU_DMA_H
#define IEMU_DMA_H

#include <stdbool.h>
#include <stdint.h>

/* Device to memory (write) or memory to device: 0 or -EFAULT. */
int dma_rw(void *opaque, uint64_t addr, void *buf, uint64_t len, bool write);

/* Memory to memory, src to dst: 0 or -EFAULT. */
int dma_copy(void *opaque, uint64_t dst, uint64_t src, uint64_t len);

/* The model reports an error of its own. */
void dma_device_error(void *opaque, const char *what);

#endif
