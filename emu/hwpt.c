// SPDX-License-Identifier: MIT
/*
 * HWPT_PAGING objects (see hwpt.h).
 */
#include "hwpt.h"

#include "ioas.h"

int hwpt_paging_create(struct iemu_ctx *ctx, struct ioas *ioas,
		       const struct hwpt_geometry *geo, struct hwpt **out)
{
	struct obj *obj;
	struct hwpt *hwpt;
	int rc = obj_alloc(ctx, sizeof(*hwpt), OBJ_HWPT_PAGING, &obj);

	if (rc)
		return rc;
	hwpt = (struct hwpt *)obj;
	pt_init(&hwpt->pt, geo->aperture_start, geo->aperture_last,
		geo->pgsize_bitmap, geo->dirty_supported);
	rc = iopt_add_domain(&ioas->iopt, &hwpt->pt);
	if (rc) {
		pt_destroy(&hwpt->pt);
		obj_abort(ctx, obj);
		return rc;
	}
	hwpt->ioas = ioas;
	ioas->obj.users++;
	*out = hwpt;
	return 0;
}

static void teardown(struct hwpt *hwpt)
{
	iopt_remove_domain(&hwpt->ioas->iopt, &hwpt->pt);
	hwpt->ioas->obj.users--;
	pt_destroy(&hwpt->pt);
}

void hwpt_paging_abort(struct iemu_ctx *ctx, struct hwpt *hwpt)
{
	teardown(hwpt);
	obj_abort(ctx, &hwpt->obj);
}

void hwpt_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	(void)ctx;
	teardown((struct hwpt *)obj);
}
