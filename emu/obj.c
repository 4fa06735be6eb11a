// SPDX-License-Identifier: MIT
/*
 * Object table and lifecycle (see obj.h).
 */
#include "obj.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "ioas.h"

static void (*const destroy_ops[OBJ_TYPES])(struct iemu_ctx *, struct obj *) = {
	[OBJ_IOAS] = ioas_destroy,
	[OBJ_HWPT_PAGING] = hwpt_destroy,
	[OBJ_DEVICE] = idev_destroy,
	[OBJ_ACCESS] = access_obj_destroy,
	[OBJ_HWPT_NESTED] = hwpt_destroy,
	[OBJ_FAULT] = eventq_destroy,
	[OBJ_VIOMMU] = viommu_destroy,
	[OBJ_VDEVICE] = vdevice_destroy,
	[OBJ_VEVENTQ] = eventq_destroy,
	[OBJ_HW_QUEUE] = hw_queue_destroy,
	[OBJ_SELFTEST] = selftest_obj_destroy,
};

static int grow_slots(struct iemu_ctx *ctx, uint32_t id)
{
	size_t n = ctx->nslots ? ctx->nslots : 64;
	struct obj **bigger;

	while (n <= id)
		n *= 2;
	bigger = realloc(ctx->slots, n * sizeof(*bigger));
	if (!bigger)
		return -ENOMEM;
	memset(bigger + ctx->nslots, 0, (n - ctx->nslots) * sizeof(*bigger));
	ctx->slots = bigger;
	ctx->nslots = n;
	return 0;
}

int obj_alloc(struct iemu_ctx *ctx, size_t size, enum obj_type type,
	      struct obj **out)
{
	struct obj *obj = calloc(1, size);
	int64_t id;
	int rc;

	if (!obj)
		return -ENOMEM;
	id = idalloc_get(&ctx->ids);
	if (id < 0) {
		free(obj);
		return (int)id;
	}
	if ((size_t)id >= ctx->nslots) {
		rc = grow_slots(ctx, (uint32_t)id);
		if (rc) {
			idalloc_put(&ctx->ids, (uint32_t)id);
			free(obj);
			return rc;
		}
	}
	obj->type = type;
	obj->id = (uint32_t)id;
	obj->users = 1;
	*out = obj;
	return 0;
}

void obj_finalize(struct iemu_ctx *ctx, struct obj *obj)
{
	ctx->slots[obj->id] = obj;
	ctx->nobjs++;
}

void obj_abort(struct iemu_ctx *ctx, struct obj *obj)
{
	idalloc_put(&ctx->ids, obj->id);
	free(obj);
}

struct obj *obj_find(struct iemu_ctx *ctx, uint32_t id, enum obj_type type)
{
	struct obj *obj = id < ctx->nslots ? ctx->slots[id] : NULL;

	if (!obj || (type != OBJ_ANY && obj->type != type))
		return NULL;
	return obj;
}

static void unlink_obj(struct iemu_ctx *ctx, struct obj *obj)
{
	ctx->slots[obj->id] = NULL;
	ctx->nobjs--;
	if (ctx->vfio_ioas == (struct ioas *)obj)
		ctx->vfio_ioas = NULL;
}

static void destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	unlink_obj(ctx, obj);
	idalloc_put(&ctx->ids, obj->id);
	destroy_ops[obj->type](ctx, obj);
	free(obj);
}

void obj_tombstone(struct iemu_ctx *ctx, struct obj *obj)
{
	unlink_obj(ctx, obj);
	destroy_ops[obj->type](ctx, obj);
	free(obj);
}

int obj_remove(struct iemu_ctx *ctx, uint32_t id)
{
	struct obj *obj = obj_find(ctx, id, OBJ_ANY);

	if (!obj)
		return -ENOENT;
	if (obj->users != 1)
		return -EBUSY;
	destroy(ctx, obj);
	return 0;
}

void obj_release_all(struct iemu_ctx *ctx)
{
	unsigned int destroyed = 1;

	/* Leaves drop their holders' users counts as they go. */
	while (ctx->nobjs && destroyed) {
		destroyed = 0;
		for (size_t id = 1; id < ctx->nslots; id++) {
			struct obj *obj = ctx->slots[id];

			if (obj && obj->users == 1) {
				destroy(ctx, obj);
				destroyed++;
			}
		}
	}
}

void obj_for_each(struct iemu_ctx *ctx, void (*fn)(void *arg, struct obj *obj),
		  void *arg)
{
	for (size_t id = 1; id < ctx->nslots; id++)
		if (ctx->slots[id])
			fn(arg, ctx->slots[id]);
}
