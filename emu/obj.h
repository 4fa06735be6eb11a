/* SPDX-License-Identifier: MIT */
/*
 * Objects of a context: one id space per context (lowest free id from 1, as
 * the kernel's xarray), a users count (the table's own reference plus every
 * holder), and one lifecycle: allocate (id reserved, not yet visible),
 * finalize (visible) or abort, destroy when only the table holds it.
 */
#ifndef IEMU_OBJ_H
#define IEMU_OBJ_H

#include <stddef.h>
#include <stdint.h>

struct iemu_ctx;

enum obj_type {
	OBJ_ANY = 0,
	OBJ_IOAS,
	OBJ_HWPT_PAGING,
	OBJ_DEVICE,
	OBJ_ACCESS,
	OBJ_HWPT_NESTED,
	OBJ_FAULT,
	OBJ_VIOMMU,
	OBJ_VDEVICE,
	OBJ_VEVENTQ,
	OBJ_HW_QUEUE,
	OBJ_SELFTEST,
	OBJ_TYPES,
};

struct obj {
	enum obj_type type;
	uint32_t id;
	unsigned int users;
};

/* Allocate a zeroed object of size bytes with a reserved id: 0 or -errno. */
int obj_alloc(struct iemu_ctx *ctx, size_t size, enum obj_type type,
	      struct obj **out);

/* Make an allocated object visible to lookups. */
void obj_finalize(struct iemu_ctx *ctx, struct obj *obj);

/* Undo obj_alloc for an object that was never finalized. */
void obj_abort(struct iemu_ctx *ctx, struct obj *obj);

/* The visible object id of the given type (OBJ_ANY: any), or NULL. */
struct obj *obj_find(struct iemu_ctx *ctx, uint32_t id, enum obj_type type);

/* IOMMU_DESTROY: -ENOENT, -EBUSY while anything else holds it. */
int obj_remove(struct iemu_ctx *ctx, uint32_t id);

/* Destroy an object some other object's destruction takes with it (its
 * users count must be back to 1), leaving its id unusable until the
 * context closes, as the kernel's tombstone. */
void obj_tombstone(struct iemu_ctx *ctx, struct obj *obj);

/* Destroy everything, leaves first, as the kernel's release. */
void obj_release_all(struct iemu_ctx *ctx);

/* Call fn on every visible object in id order. */
void obj_for_each(struct iemu_ctx *ctx, void (*fn)(void *arg, struct obj *obj),
		  void *arg);

/* Type-specific destructors (each module provides its own). */
void ioas_destroy(struct iemu_ctx *ctx, struct obj *obj);
void hwpt_destroy(struct iemu_ctx *ctx, struct obj *obj);
void idev_destroy(struct iemu_ctx *ctx, struct obj *obj);
void access_obj_destroy(struct iemu_ctx *ctx, struct obj *obj);
void eventq_destroy(struct iemu_ctx *ctx, struct obj *obj);
void viommu_destroy(struct iemu_ctx *ctx, struct obj *obj);
void vdevice_destroy(struct iemu_ctx *ctx, struct obj *obj);
void hw_queue_destroy(struct iemu_ctx *ctx, struct obj *obj);
void selftest_obj_destroy(struct iemu_ctx *ctx, struct obj *obj);

#endif
