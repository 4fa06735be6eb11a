/* SPDX-License-Identifier: MIT */
/*
 * The fake physical address space.  Pinned page sets get a contiguous,
 * 2 MiB-aligned extent of fake physical addresses; the IO page table maps
 * IOVAs to these addresses, and the DMA engine resolves an address back to
 * the page set (and so to a process and virtual address, or a file offset).
 */
#ifndef IEMU_PHYSMEM_H
#define IEMU_PHYSMEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "imap.h"

/* Fake physical memory starts at 4 GiB and spans a 52-bit address space. */
#define PHYS_BASE (4ULL << 30)
#define PHYS_LAST ((1ULL << 52) - 1)

struct physmem {
	pthread_mutex_t lock;
	struct imap extents; /* physical range -> owner */
};

void physmem_init(struct physmem *pm);
void physmem_destroy(struct physmem *pm);

/* Reserve bytes (a multiple of the page size) for owner: 0, -ENOSPC, -ENOMEM. */
int physmem_alloc(struct physmem *pm, uint64_t bytes, void *owner,
		  uint64_t *pa);

/* Release the extent starting at pa. */
void physmem_free(struct physmem *pm, uint64_t pa);

/* The owner of pa and the offset of pa in its extent. */
bool physmem_resolve(struct physmem *pm, uint64_t pa, void **owner,
		     uint64_t *offset);

/* The same with the lock held by the caller, which keeps the owner alive
 * (extents are freed under the lock); *avail: bytes from pa to the end of
 * the extent. */
void physmem_lock(struct physmem *pm);
void physmem_unlock(struct physmem *pm);
bool physmem_resolve_locked(struct physmem *pm, uint64_t pa, void **owner,
			    uint64_t *offset, uint64_t *avail);

/* How many owners of extents fn accepts (called under the lock). */
unsigned int physmem_count_owners(struct physmem *pm, bool (*fn)(void *arg, void *owner),
				  void *arg);

#endif
