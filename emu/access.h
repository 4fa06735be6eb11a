/* SPDX-License-Identifier: MIT */
/*
 * Access objects (the kernel's iommufd_access): how an emulated device (an
 * mdev, or a device model without an IOMMU in its path) reaches an IOAS
 * without DMA.  It attaches to an IOAS, pins IOVA ranges (taking pins on
 * the pages behind them, accounted as any pin), and reads or writes through
 * the IOAS's areas.  Unmapping a range it pins first calls its unmap
 * callback, which must unpin; the unmap retries up to 100 times, then fails
 * with EDEADLOCK.
 *
 * The access functions take the context's lock (recursive, so that an
 * unmap callback, which runs under it, may unpin).
 */
#ifndef IEMU_ACCESS_H
#define IEMU_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "obj.h"

struct iemu_ctx;
struct ioas;
struct access_pin;

struct access_ops {
	bool needs_pin_pages;   /* the IOAS must then be page aligned */
	/* Stop using [iova, iova+length): unpin every pin inside it. */
	void (*unmap)(void *data, uint64_t iova, uint64_t length);
};

struct access {
	struct obj obj;
	struct iemu_ctx *ctx;
	const struct access_ops *ops;
	void *data;
	struct ioas *ioas;        /* attached IOAS, NULL when detached */
	struct access_pin *pins;
	struct access *next;      /* in the IOAS's list */
	bool internal;            /* the core's own: its pins lock the areas */
};

/* Create an access in ctx (finalized, so it has an id; IOMMU_DESTROY of it
 * is EBUSY until access_destroy). */
int access_create(struct iemu_ctx *ctx, const struct access_ops *ops, void *data,
		  struct access **out);

/* An internal access (the kernel's access_create_internal, for HW queues):
 * no unmap callback, and the areas it pins cannot be unmapped (EBUSY).
 * The caller holds the context's lock. */
int access_create_internal(struct iemu_ctx *ctx, struct access **out);

/* Attach to ioas itself (internal accesses). */
int access_attach_ioas(struct access *a, struct ioas *ioas);

/* Detach (calling unmap over everything) and destroy. */
void access_destroy(struct access *a);

/* Attach to the IOAS ioas_id (-EINVAL if attached, -ENOENT if no such
 * IOAS, -EADDRINUSE if it cannot be made page aligned); replace an
 * attachment (-ENOENT if detached); detach. */
int access_attach(struct access *a, uint32_t ioas_id);
int access_replace(struct access *a, uint32_t ioas_id);
void access_detach(struct access *a);

/* Pin [iova, iova+length) for writing or reading: -EINVAL (length 0, not
 * page aligned, an unmap in progress), -EOVERFLOW, -ENOENT (detached or not
 * all mapped), -EPERM (mapping lacks the permission), pin errors. */
int access_pin(struct access *a, uint64_t iova, uint64_t length, bool write);

/* Undo a pin with exactly the same range. */
void access_unpin(struct access *a, uint64_t iova, uint64_t length);

/* Copy between buf and [iova, iova+length): same errors as access_pin,
 * -EFAULT if the memory behind a mapping cannot be reached. */
int access_rw(struct access *a, uint64_t iova, void *buf, uint64_t length, bool write);

/* The IOAS's unmap notifier: calls unmap of every access attached to it. */
void access_notify_unmap(void *ioas, uint64_t iova, uint64_t length);


#endif
