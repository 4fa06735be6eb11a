// SPDX-License-Identifier: MIT
/*
 * The fake IO page table (see pt.h).  A leaf's value packs the physical
 * address of its first byte (page aligned) with its permission bits.
 */
#include "pt.h"

#include <errno.h>
#include <stdlib.h>

#include "emu.h"

#define PROT_MASK (PT_READ | PT_WRITE)

void pt_init(struct pt *pt, uint64_t aperture_start, uint64_t aperture_last,
	     uint64_t pgsize_bitmap, bool dirty_supported)
{
	imap_init(&pt->leaves);
	imap_init(&pt->dirty);
	pt->aperture_start = aperture_start;
	pt->aperture_last = aperture_last;
	pt->pgsize_bitmap = pgsize_bitmap;
	pt->dirty_supported = dirty_supported;
	pt->dirty_tracking = false;
	pthread_rwlock_init(&pt->lock, NULL);
	pthread_mutex_init(&pt->dirty_lock, NULL);
}

void pt_destroy(struct pt *pt)
{
	imap_destroy(&pt->leaves);
	imap_destroy(&pt->dirty);
	pthread_rwlock_destroy(&pt->lock);
	pthread_mutex_destroy(&pt->dirty_lock);
}

uint64_t pt_min_page(const struct pt *pt)
{
	return pt->pgsize_bitmap & -pt->pgsize_bitmap;
}

int pt_map(struct pt *pt, uint64_t iova, uint64_t last, uint64_t pa,
	   unsigned int prot)
{
	uint64_t mask = pt_min_page(pt) - 1;
	int rc;

	if (iova < pt->aperture_start || last > pt->aperture_last || last < iova)
		return -EINVAL;
	/* An entry neither readable nor writable cannot be expressed (the
	 * kernel's page table formats refuse it): VFIO_IOMMU_MAP_DMA takes
	 * flags 0, and then a domain refuses the mapping. */
	if (!(prot & (PT_READ | PT_WRITE)))
		return -EINVAL;
	if ((iova | pa | (last + 1)) & mask)
		return -EINVAL;
	pthread_rwlock_wrlock(&pt->lock);
	rc = imap_insert(&pt->leaves, iova, last, pa | (prot & PROT_MASK));
	pthread_rwlock_unlock(&pt->lock);
	return rc;
}

static void must_insert(struct imap *m, uint64_t s, uint64_t l, uint64_t v)
{
	if (imap_insert(m, s, l, v))
		emu_oom("page table");
}

static uint64_t unmap_locked(struct pt *pt, uint64_t iova, uint64_t last)
{
	struct imap_entry e;
	uint64_t bytes = 0;

	while (imap_first(&pt->leaves, iova, last, &e)) {
		uint64_t pa = e.val & ~(uint64_t)PROT_MASK;
		unsigned int prot = e.val & PROT_MASK;

		imap_remove(&pt->leaves, e.start, NULL);
		if (e.start < iova)
			must_insert(&pt->leaves, e.start, iova - 1, e.val);
		if (e.last > last)
			must_insert(&pt->leaves, last + 1, e.last,
				    (pa + (last + 1 - e.start)) | prot);
		bytes += (e.last < last ? e.last : last) -
			 (e.start > iova ? e.start : iova) + 1;
		if (e.last >= last)
			break;
		iova = e.last + 1;
	}
	return bytes;
}

uint64_t pt_unmap(struct pt *pt, uint64_t iova, uint64_t last)
{
	uint64_t bytes;

	pthread_rwlock_wrlock(&pt->lock);
	bytes = unmap_locked(pt, iova, last);
	pthread_rwlock_unlock(&pt->lock);
	return bytes;
}

int pt_translate(struct pt *pt, uint64_t iova, struct pt_xlate *out)
{
	struct imap_entry e;

	if (!imap_find(&pt->leaves, iova, &e))
		return -ENOENT;
	out->pa = (e.val & ~(uint64_t)PROT_MASK) + (iova - e.start);
	out->prot = e.val & PROT_MASK;
	out->leaf_bytes = e.last - iova + 1;
	return 0;
}

void pt_read_lock(struct pt *pt)
{
	pthread_rwlock_rdlock(&pt->lock);
}

void pt_read_unlock(struct pt *pt)
{
	pthread_rwlock_unlock(&pt->lock);
}

void pt_mark_dirty(struct pt *pt, uint64_t iova, uint64_t len)
{
	uint64_t first, last;
	struct imap_entry e;

	if (!len)
		return;
	first = iova & ~(PAGE_SIZE - 1);
	last = (iova + len - 1) | (PAGE_SIZE - 1);
	pthread_mutex_lock(&pt->dirty_lock);
	if (pt->dirty_tracking) {
		/* Absorb overlapping and touching runs into one. */
		while (imap_first(&pt->dirty, first ? first - 1 : 0,
				  last == UINT64_MAX ? last : last + 1, &e)) {
			imap_remove(&pt->dirty, e.start, NULL);
			if (e.start < first)
				first = e.start;
			if (e.last > last)
				last = e.last;
		}
		must_insert(&pt->dirty, first, last, 0);
	}
	pthread_mutex_unlock(&pt->dirty_lock);
}

void pt_set_dirty_tracking(struct pt *pt, bool enable)
{
	pthread_mutex_lock(&pt->dirty_lock);
	if (enable)
		imap_destroy(&pt->dirty);
	pt->dirty_tracking = enable;
	pthread_mutex_unlock(&pt->dirty_lock);
}

void pt_read_dirty(struct pt *pt, uint64_t iova, uint64_t last, bool keep,
		   void (*fn)(void *arg, uint64_t iova, uint64_t len),
		   void *arg)
{
	struct imap_entry e;
	uint64_t from = iova;

	pthread_mutex_lock(&pt->dirty_lock);
	while (from <= last && imap_first(&pt->dirty, from, last, &e)) {
		uint64_t s = e.start > iova ? e.start : iova;
		uint64_t l = e.last < last ? e.last : last;

		fn(arg, s, l - s + 1);
		if (!keep) {
			imap_remove(&pt->dirty, e.start, NULL);
			if (e.start < s)
				must_insert(&pt->dirty, e.start, s - 1, 0);
			if (e.last > l)
				must_insert(&pt->dirty, l + 1, e.last, 0);
		}
		if (l == UINT64_MAX)
			break;
		from = l + 1;
	}
	pthread_mutex_unlock(&pt->dirty_lock);
}

size_t pt_memory(const struct pt *pt)
{
	return sizeof(*pt) + imap_memory(&pt->leaves) + imap_memory(&pt->dirty);
}

size_t pt_leaves(const struct pt *pt)
{
	return imap_count(&pt->leaves);
}
