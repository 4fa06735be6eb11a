// SPDX-License-Identifier: MIT
/*
 * Driver user data copies (see udata.h).
 */
#include "udata.h"

#include <errno.h>

#include "uaccess.h"

int udata_copy_in(void *dst, const struct udata *u, uint32_t type, size_t size,
		  size_t min_len)
{
	if (u->type != type)
		return -EINVAL;
	if (u->len < min_len || size < u->len)
		return -EINVAL;
	return copy_struct_from_user(u->proc, dst, size, u->uptr, u->len);
}

int udata_copy_out(const struct udata *u, const void *src, uint32_t type,
		   size_t size, size_t min_len)
{
	/* The length checks leave len <= size: the user's struct is filled. */
	if (u->type != type)
		return -EINVAL;
	if (u->len < min_len || size < u->len)
		return -EINVAL;
	return copy_to_user(u->proc, u->uptr, src, u->len);
}

int udata_array_copy_one(void *dst, const struct udata_array *a, uint32_t type,
			 uint32_t index, size_t size, size_t min_len)
{
	struct udata u = {
		.proc = a->proc,
		.type = a->type,
		.uptr = a->uptr + (uint64_t)a->entry_len * index,
		.len = a->entry_len,
	};

	if (!a->entry_num || index >= a->entry_num)
		return -EINVAL;
	return udata_copy_in(dst, &u, type, size, min_len);
}

int udata_array_copy_all(void *dst, size_t size, const struct udata_array *a,
			 uint32_t type)
{
	if (a->type != type || !a->entry_num)
		return -EINVAL;
	if (a->entry_len == size)
		return copy_from_user(a->proc, dst, a->uptr, (size_t)a->entry_num * size);
	for (uint32_t i = 0; i < a->entry_num; i++) {
		int rc = copy_struct_from_user(a->proc, (char *)dst + size * i, size,
					       a->uptr + (uint64_t)a->entry_len * i,
					       a->entry_len);

		if (rc)
			return rc;
	}
	return 0;
}
