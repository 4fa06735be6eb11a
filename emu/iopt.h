/* SPDX-License-Identifier: MIT */
/*
 * The IO page table of an IOAS, as the kernel's io_pagetable: areas (one per
 * MAP, MAP_FILE or COPY piece, never merged, unmapped whole), the allowed
 * ranges for automatic IOVA allocation, the reserved ranges that domains
 * and devices impose, the domains (IO page tables) that mirror the areas,
 * and the IOVA alignment that all of these together require.
 *
 * An IOAS with at least one domain keeps every area pinned and mapped in
 * every domain; an IOAS without one records areas only (lazy pinning).
 */
#ifndef IEMU_IOPT_H
#define IEMU_IOPT_H

#include <stdbool.h>
#include <stdint.h>

#include "imap.h"

struct pages;
struct pt;

struct area {
	uint64_t iova;
	uint64_t last;
	struct pages *pages;
	uint64_t start_byte; /* byte of the page set at iova */
	unsigned int prot;   /* PT_READ | PT_WRITE */
	bool pinned;         /* pinned on behalf of the domains */
	unsigned int num_locks;    /* pins that make unmap fail with EBUSY */
	unsigned int num_accesses; /* access pins: unmap asks them to go first */
	bool prevent_access;       /* an unmap is waiting for the accesses */
};

/* The byte of the area's page set that iova maps. */
static inline uint64_t area_byte(const struct area *a, uint64_t iova)
{
	return a->start_byte + (iova - a->iova);
}

struct resv {
	uint64_t start;
	uint64_t last;
	const void *owner;
};

struct iopt {
	struct imap areas;   /* iova range -> struct area * */
	struct imap allowed; /* allowed ranges (no values) */
	struct resv *resv;   /* sorted by start; may overlap */
	size_t nresv, resv_cap;
	struct pt **domains;
	size_t ndomains, domains_cap;
	uint64_t iova_alignment;
	bool disable_large_pages;
	unsigned int page_accesses; /* attached accesses that pin pages */
	uint64_t mapped_bytes;
	/* Asks the accesses pinning [iova, iova+length) to unpin (unmap). */
	void (*notify_unmap)(void *arg, uint64_t iova, uint64_t length);
	/* Tells that an area [first, last] is going away (the checks). */
	void (*area_gone)(void *arg, uint64_t first, uint64_t last);
	void *notify_arg;
};

/* One piece of a page set to map: length bytes from start_byte. */
struct pages_piece {
	struct pages *pages;
	uint64_t start_byte;
	uint64_t length;
};

#define IOPT_ALLOC_IOVA (1u << 0)

void iopt_init(struct iopt *iopt);
/* Unmap everything and free the table (the domains must be gone). */
void iopt_destroy(struct iopt *iopt);

/* Map pieces back to back at *iova (chosen when IOPT_ALLOC_IOVA); each piece
 * takes a reference on its page set. */
int iopt_map_pieces(struct iopt *iopt, const struct pages_piece *pieces,
		    size_t n, uint64_t length, uint64_t *iova, unsigned int prot,
		    unsigned int flags);

/* The pieces that back [iova, iova+length), which must be covered by
 * contiguous areas (-ENOENT otherwise); the caller frees *out. */
int iopt_get_pieces(struct iopt *iopt, uint64_t iova, uint64_t length,
		    struct pages_piece **out, size_t *n);

/* Unmap the areas inside [iova, iova+length): whole areas only. */
int iopt_unmap(struct iopt *iopt, uint64_t iova, uint64_t length,
	       uint64_t *unmapped);
int iopt_unmap_all(struct iopt *iopt, uint64_t *unmapped);

/* Find an IOVA for length bytes whose source address is addr. */
int iopt_alloc_iova(struct iopt *iopt, uint64_t *iova, uint64_t addr,
		    uint64_t length);

/* Replace the allowed ranges with those of a prepared imap (swapped in). */
int iopt_set_allowed(struct iopt *iopt, struct imap *allowed);

/* Reserve [start, last] for owner: -EADDRINUSE over areas or allowed ranges. */
int iopt_reserve(struct iopt *iopt, uint64_t start, uint64_t last,
		 const void *owner);
void iopt_unreserve(struct iopt *iopt, const void *owner);

/* Call fn for each usable range (the holes between reserved ranges), in
 * order; stops at fn's non-zero return, which it returns. */
int iopt_for_each_usable(const struct iopt *iopt,
			 int (*fn)(void *arg, uint64_t start, uint64_t last),
			 void *arg);

/* Add a domain: pins and maps every area into it; on failure nothing
 * changes.  -EINVAL (page size), -EADDRINUSE (alignment, aperture), pin
 * errors. */
int iopt_add_domain(struct iopt *iopt, struct pt *pt);
void iopt_remove_domain(struct iopt *iopt, struct pt *pt);

/* An access that pins pages comes or goes: the IOAS then needs page
 * alignment (-EADDRINUSE if an area has less). */
int iopt_add_page_access(struct iopt *iopt);
void iopt_remove_page_access(struct iopt *iopt);

/* IOMMU_OPTION_HUGE_PAGES. */
int iopt_disable_large_pages(struct iopt *iopt);
void iopt_enable_large_pages(struct iopt *iopt);

/* Split the area holding iova so that iova ends one of its halves
 * (VFIO type1 compatibility): 0, -EINVAL (alignment or large pages). */
int iopt_cut(struct iopt *iopt, uint64_t iova);

/* The area containing iova. */
struct area *iopt_area_at(const struct iopt *iopt, uint64_t iova);

/* A walk of the areas that cover [iova, last] back to back, as the
 * kernel's iopt_for_each_contig_area: it stops at the first hole, and done
 * tells whether it reached last.  cur is where the current area's piece
 * starts. */
struct iopt_contig {
	const struct iopt *iopt;
	uint64_t cur;
	uint64_t last;
	struct area *area;
	bool done;
};
struct area *iopt_contig_first(struct iopt_contig *c, const struct iopt *iopt,
			       uint64_t iova, uint64_t last);
struct area *iopt_contig_next(struct iopt_contig *c);

/* The last IOVA of the current area's piece. */
static inline uint64_t iopt_contig_last(const struct iopt_contig *c)
{
	return c->area->last < c->last ? c->area->last : c->last;
}

/* Call fn for every area in IOVA order; stops at fn's non-zero return. */
int iopt_for_each_area(const struct iopt *iopt,
		       int (*fn)(void *arg, struct area *area), void *arg);

#endif
