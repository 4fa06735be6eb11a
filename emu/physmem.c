// SPDX-License-Identifier: MIT
/*
 * Fake physical address space allocator (see physmem.h): first fit over the
 * gaps of an imap, aligned to 2 MiB like transparent huge pages.
 */
#include "physmem.h"

#include <errno.h>

#define PHYS_ALIGN (2ULL << 20)

void physmem_init(struct physmem *pm)
{
	pthread_mutex_init(&pm->lock, NULL);
	imap_init(&pm->extents);
}

void physmem_destroy(struct physmem *pm)
{
	imap_destroy(&pm->extents);
	pthread_mutex_destroy(&pm->lock);
}

static bool find_fit(struct physmem *pm, uint64_t bytes, uint64_t *pa)
{
	uint64_t lo = PHYS_BASE, gs, gl;

	while (imap_next_gap(&pm->extents, lo, PHYS_LAST, bytes, &gs, &gl)) {
		uint64_t start = (gs + PHYS_ALIGN - 1) & ~(PHYS_ALIGN - 1);

		if (start >= gs && start <= gl && gl - start >= bytes - 1) {
			*pa = start;
			return true;
		}
		if (gl == PHYS_LAST)
			break;
		lo = gl + 1;
	}
	return false;
}

int physmem_alloc(struct physmem *pm, uint64_t bytes, void *owner,
		  uint64_t *pa)
{
	int rc = -ENOSPC;

	if (!bytes)
		return -EINVAL;
	pthread_mutex_lock(&pm->lock);
	if (find_fit(pm, bytes, pa))
		rc = imap_insert(&pm->extents, *pa, *pa + bytes - 1,
				 (uintptr_t)owner);
	pthread_mutex_unlock(&pm->lock);
	return rc;
}

void physmem_free(struct physmem *pm, uint64_t pa)
{
	pthread_mutex_lock(&pm->lock);
	imap_remove(&pm->extents, pa, NULL);
	pthread_mutex_unlock(&pm->lock);
}

void physmem_lock(struct physmem *pm)
{
	pthread_mutex_lock(&pm->lock);
}

void physmem_unlock(struct physmem *pm)
{
	pthread_mutex_unlock(&pm->lock);
}

bool physmem_resolve_locked(struct physmem *pm, uint64_t pa, void **owner,
			    uint64_t *offset, uint64_t *avail)
{
	struct imap_entry e;

	if (!imap_find(&pm->extents, pa, &e))
		return false;
	*owner = (void *)(uintptr_t)e.val;
	*offset = pa - e.start;
	*avail = e.last - pa + 1;
	return true;
}

bool physmem_resolve(struct physmem *pm, uint64_t pa, void **owner,
		     uint64_t *offset)
{
	uint64_t avail;
	bool found;

	pthread_mutex_lock(&pm->lock);
	found = physmem_resolve_locked(pm, pa, owner, offset, &avail);
	pthread_mutex_unlock(&pm->lock);
	return found;
}

unsigned int physmem_count_owners(struct physmem *pm, bool (*fn)(void *arg, void *owner),
				  void *arg)
{
	struct imap_iter it;
	struct imap_entry e;
	unsigned int n = 0;
	bool more;

	pthread_mutex_lock(&pm->lock);
	for (more = imap_iter_first(&pm->extents, 0, UINT64_MAX, &it, &e); more;
	     more = imap_iter_next(&it, &e))
		n += fn(arg, (void *)(uintptr_t)e.val);
	pthread_mutex_unlock(&pm->lock);
	return n;
}
