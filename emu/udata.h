/* SPDX-License-Identifier: MIT */
/*
 * Driver-specific user data of an ioctl (the kernel's iommu_user_data and
 * iommu_user_data_array): a typed, sized struct or array of structs in the
 * caller's memory that an IOMMU driver copies in and out with the kernel's
 * rules: the type must match (-EINVAL), the length must lie between the
 * struct's first version and its current size (-EINVAL), and a longer user
 * entry must end in zeroes (-E2BIG).
 */
#ifndef IEMU_UDATA_H
#define IEMU_UDATA_H

#include <stddef.h>
#include <stdint.h>

struct iemu_proc;

struct udata {
	struct iemu_proc *proc;
	uint32_t type;
	uint64_t uptr;
	uint32_t len;
};

struct udata_array {
	struct iemu_proc *proc;
	uint32_t type;
	uint64_t uptr;
	uint32_t entry_len;
	uint32_t entry_num;  /* in: entries given; the driver sets entries done */
};

/* Copy a struct of size bytes, whose first version ended at min_len. */
int udata_copy_in(void *dst, const struct udata *u, uint32_t type, size_t size,
		  size_t min_len);

/* Report a struct back into the user's len bytes. */
int udata_copy_out(const struct udata *u, const void *src, uint32_t type,
		   size_t size, size_t min_len);

/* Entry index of the array, with the same rules. */
int udata_array_copy_one(void *dst, const struct udata_array *a, uint32_t type,
			 uint32_t index, size_t size, size_t min_len);

/* Every entry, each size bytes in dst (entry_num of them). */
int udata_array_copy_all(void *dst, size_t size, const struct udata_array *a,
			 uint32_t type);

#endif
