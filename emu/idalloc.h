/* SPDX-License-Identifier: MIT */
/*
 * idalloc: allocates the lowest free id in [1, max], as the kernel's xarray
 * does for iommufd object ids (XA_FLAGS_ALLOC1 with a 31-bit limit), with a
 * two-level bitmap so that the search stays cheap with many live ids.
 */
#ifndef IEMU_IDALLOC_H
#define IEMU_IDALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idalloc {
	uint64_t *used;  /* bit per id */
	uint64_t *full;  /* bit per word of used[] that has no free bit */
	size_t nwords;   /* words in used[] */
	size_t hint;     /* no word below this one has a free bit */
	uint32_t max;
};

/* Initialise for ids 1..max. */
void idalloc_init(struct idalloc *ida, uint32_t max);

/* Free the bitmaps. */
void idalloc_destroy(struct idalloc *ida);

/* Take the lowest free id: the id, -EBUSY when all are taken, or -ENOMEM. */
int64_t idalloc_get(struct idalloc *ida);

/* Give an id back. */
void idalloc_put(struct idalloc *ida, uint32_t id);

/* Whether id is taken. */
bool idalloc_used(const struct idalloc *ida, uint32_t id);

#endif
