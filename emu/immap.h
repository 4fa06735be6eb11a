/* SPDX-License-Identifier: MIT */
/*
 * Regions of the iommufd that userspace can mmap (the kernel's
 * iommufd_mmap): a driver object offers a page-aligned buffer at an offset
 * the context allocates (first fit from PAGE_SIZE, as the kernel's maple
 * tree), and an mmap of exactly that offset and length maps it, holding the
 * owner busy until the munmap.  The caller holds the context's lock.
 */
#ifndef IEMU_IMMAP_H
#define IEMU_IMMAP_H

#include <stdint.h>

struct iemu_ctx;
struct obj;

/* Offer length bytes at buf (owned by owner) for mmap: 0 and *offset,
 * -EINVAL (length 0 or not page aligned), -ENOMEM, -ENOSPC. */
int immap_alloc(struct iemu_ctx *ctx, struct obj *owner, const void *buf,
		uint64_t length, uint64_t *offset);

/* Withdraw the region at offset (the owner's destroy). */
void immap_destroy(struct iemu_ctx *ctx, uint64_t offset);

#endif
