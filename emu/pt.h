/* SPDX-License-Identifier: MIT */
/*
 * The fake IO page table of a domain: IOVA ranges to fake physical
 * addresses with read/write permission, plus dirty bits.
 *
 * A leaf covers a whole mapping however large (a 64 GiB mapping is one
 * leaf), so memory grows with the number of mappings, never with bytes.
 * Dirty bits are kept as runs of dirty pages, set by device writes while
 * dirty tracking is on, read and cleared by the dirty-bitmap ioctl.
 */
#ifndef IEMU_PT_H
#define IEMU_PT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "imap.h"

#define PT_READ (1u << 0)
#define PT_WRITE (1u << 1)

struct pt {
	struct imap leaves; /* iova range -> pa | prot */
	uint64_t aperture_start;
	uint64_t aperture_last;
	uint64_t pgsize_bitmap;
	bool dirty_supported;
	bool dirty_tracking;
	pthread_rwlock_t lock;     /* translations vs map/unmap */
	pthread_mutex_t dirty_lock;
	struct imap dirty;         /* runs of dirty pages, by IOVA */
};

/* The result of a translation. */
struct pt_xlate {
	uint64_t pa;          /* physical address of the IOVA */
	unsigned int prot;    /* PT_READ | PT_WRITE */
	uint64_t leaf_bytes;  /* bytes from the IOVA to the end of its leaf */
};

/* Initialise an empty table with an aperture and supported page sizes. */
void pt_init(struct pt *pt, uint64_t aperture_start, uint64_t aperture_last,
	     uint64_t pgsize_bitmap, bool dirty_supported);
void pt_destroy(struct pt *pt);

/* Smallest page size the table maps. */
uint64_t pt_min_page(const struct pt *pt);

/* Map [iova, last] to pa: 0, -EEXIST (already mapped), -EINVAL (outside the
 * aperture or unaligned), -ENOMEM. */
int pt_map(struct pt *pt, uint64_t iova, uint64_t last, uint64_t pa,
	   unsigned int prot);

/* Unmap whatever is mapped in [iova, last], cutting leaves at the edges;
 * returns the bytes unmapped. */
uint64_t pt_unmap(struct pt *pt, uint64_t iova, uint64_t last);

/* Translate iova: 0 or -ENOENT.  The caller holds pt_read_lock(). */
int pt_translate(struct pt *pt, uint64_t iova, struct pt_xlate *out);

/* Hold translations stable across a DMA. */
void pt_read_lock(struct pt *pt);
void pt_read_unlock(struct pt *pt);

/* A device wrote [iova, iova+len): set the dirty bits if tracking is on. */
void pt_mark_dirty(struct pt *pt, uint64_t iova, uint64_t len);

/* Turn dirty tracking on (clearing stale bits) or off. */
void pt_set_dirty_tracking(struct pt *pt, bool enable);

/* Report the dirty pages in [iova, last] through fn (page-sized units,
 * merged into runs), clearing them unless keep. */
void pt_read_dirty(struct pt *pt, uint64_t iova, uint64_t last, bool keep,
		   void (*fn)(void *arg, uint64_t iova, uint64_t len),
		   void *arg);

/* Bytes of memory the table uses. */
size_t pt_memory(const struct pt *pt);

/* Number of leaves. */
size_t pt_leaves(const struct pt *pt);

#endif
