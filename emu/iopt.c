// SPDX-License-Identifier: MIT
/*
 * Areas and domains of an IOAS (see iopt.h).  The order of checks in map,
 * unmap and domain attach follows io_pagetable.c, so that each failure gives
 * the kernel's errno and leaves nothing changed.
 */
#include "iopt.h"

#include <errno.h>
#include <stdlib.h>

#include "emu.h"
#include "pages.h"
#include "pt.h"

void iopt_init(struct iopt *iopt)
{
	*iopt = (struct iopt){ .iova_alignment = 1 };
	imap_init(&iopt->areas);
	imap_init(&iopt->allowed);
}

void iopt_destroy(struct iopt *iopt)
{
	iopt_unmap_all(iopt, NULL);
	imap_destroy(&iopt->areas);
	imap_destroy(&iopt->allowed);
	free(iopt->resv);
	free(iopt->domains);
}

static struct area *area_of(const struct imap_entry *e)
{
	return (struct area *)(uintptr_t)e->val;
}

struct area *iopt_area_at(const struct iopt *iopt, uint64_t iova)
{
	struct imap_entry e;

	return imap_find(&iopt->areas, iova, &e) ? area_of(&e) : NULL;
}

int iopt_for_each_area(const struct iopt *iopt,
		       int (*fn)(void *arg, struct area *area), void *arg)
{
	struct imap_iter it;
	struct imap_entry e;
	int rc;

	for (bool ok = imap_iter_first(&iopt->areas, 0, UINT64_MAX, &it, &e);
	     ok; ok = imap_iter_next(&it, &e)) {
		rc = fn(arg, area_of(&e));
		if (rc)
			return rc;
	}
	return 0;
}

struct area *iopt_contig_first(struct iopt_contig *c, const struct iopt *iopt,
			       uint64_t iova, uint64_t last)
{
	*c = (struct iopt_contig){ .iopt = iopt, .cur = iova, .last = last };
	c->area = iopt_area_at(iopt, iova);
	c->done = c->area && c->area->last >= last;
	return c->area;
}

struct area *iopt_contig_next(struct iopt_contig *c)
{
	if (!c->area || c->area->last >= c->last)
		return NULL;
	c->cur = c->area->last + 1;
	c->area = iopt_area_at(c->iopt, c->cur);
	c->done = c->area && c->area->last >= c->last;
	return c->area;
}

static uint64_t area_first_index(const struct area *a)
{
	return a->start_byte / PAGE_SIZE;
}

static uint64_t area_last_index(const struct area *a)
{
	return (a->start_byte + (a->last - a->iova)) / PAGE_SIZE;
}

/* Where the area's first byte is in physical memory: domains with pages
 * smaller than PAGE_SIZE map IOVAs that start inside a page. */
static uint64_t area_pa(const struct area *a)
{
	return a->pages->phys + a->start_byte;
}

/* ---- domains mirror the areas ---- */

/* Pin an area for the domains (once) and map it into each of them. */
static int fill_area(struct iopt *iopt, struct area *a)
{
	size_t i;
	int rc;

	if (!iopt->ndomains)
		return 0;
	rc = pages_pin(a->pages, area_first_index(a), area_last_index(a));
	if (rc)
		return rc;
	a->pinned = true;
	for (i = 0; i < iopt->ndomains; i++) {
		rc = pt_map(iopt->domains[i], a->iova, a->last, area_pa(a), a->prot);
		if (rc)
			goto undo;
	}
	return 0;
undo:
	while (i--)
		pt_unmap(iopt->domains[i], a->iova, a->last);
	pages_unpin(a->pages, area_first_index(a), area_last_index(a));
	a->pinned = false;
	return rc;
}

static void unfill_area(struct iopt *iopt, struct area *a)
{
	for (size_t i = 0; i < iopt->ndomains; i++)
		pt_unmap(iopt->domains[i], a->iova, a->last);
	if (a->pinned)
		pages_unpin(a->pages, area_first_index(a), area_last_index(a));
	a->pinned = false;
}

static void free_area(struct iopt *iopt, struct area *a)
{
	imap_remove(&iopt->areas, a->iova, NULL);
	iopt->mapped_bytes -= a->last - a->iova + 1;
	pages_put(a->pages);
	free(a);
}

/* ---- map ---- */

static int check_fixed_iova(struct iopt *iopt, uint64_t iova, uint64_t length)
{
	uint64_t last;
	struct imap_entry e;

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	for (size_t i = 0; i < iopt->nresv && iopt->resv[i].start <= last; i++)
		if (iopt->resv[i].last >= iova)
			return -EINVAL;
	if (imap_first(&iopt->areas, iova, last, &e))
		return -EEXIST;
	return 0;
}

static uint64_t piece_source_addr(const struct pages_piece *p)
{
	const struct pages *pg = p->pages;

	return p->start_byte + (pg->type == PAGES_USER ? pg->uptr : pg->start);
}

/* The checks iopt_insert_area() makes, before anything is inserted. */
static int check_piece(const struct iopt *iopt, const struct pages_piece *p,
		       uint64_t iova, unsigned int prot)
{
	uint64_t last;

	if ((prot & PT_WRITE) && !p->pages->writable)
		return -EPERM;
	if ((p->start_byte % PAGE_SIZE) & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (__builtin_add_overflow(iova, p->length - 1, &last) ||
	    __builtin_add_overflow(p->start_byte, p->length - 1, &last))
		return -EOVERFLOW;
	return 0;
}

static int insert_areas(struct iopt *iopt, const struct pages_piece *pieces,
			size_t n, uint64_t iova, unsigned int prot,
			struct area **made)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct area *a = calloc(1, sizeof(*a));

		if (!a) {
			rc = -ENOMEM;
			goto undo;
		}
		*a = (struct area){
			.iova = iova,
			.last = iova + pieces[i].length - 1,
			.pages = pieces[i].pages,
			.start_byte = pieces[i].start_byte,
			.prot = prot,
		};
		rc = imap_insert(&iopt->areas, a->iova, a->last, (uintptr_t)a);
		if (rc) {
			free(a);
			goto undo;
		}
		pages_get(a->pages);
		iopt->mapped_bytes += pieces[i].length;
		made[i] = a;
		iova += pieces[i].length;
	}
	return 0;
undo:
	while (i--)
		free_area(iopt, made[i]);
	return rc;
}

int iopt_map_pieces(struct iopt *iopt, const struct pages_piece *pieces,
		    size_t n, uint64_t length, uint64_t *iova, unsigned int prot,
		    unsigned int flags)
{
	struct area *one, **made = n == 1 ? &one : calloc(n, sizeof(*made));
	uint64_t at;
	size_t i;
	int rc;

	if (!made)
		return -ENOMEM;
	if ((length & (iopt->iova_alignment - 1)) || !length) {
		rc = -EINVAL;
		goto out;
	}
	if (flags & IOPT_ALLOC_IOVA)
		rc = iopt_alloc_iova(iopt, iova, piece_source_addr(&pieces[0]),
				     length);
	else
		rc = check_fixed_iova(iopt, *iova, length);
	if (rc)
		goto out;
	for (i = 0, at = *iova; i < n; at += pieces[i].length, i++) {
		rc = check_piece(iopt, &pieces[i], at, prot);
		if (rc)
			goto out;
	}
	rc = insert_areas(iopt, pieces, n, *iova, prot, made);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		rc = fill_area(iopt, made[i]);
		if (rc)
			break;
	}
	if (rc) {
		while (i--)
			unfill_area(iopt, made[i]);
		for (i = 0; i < n; i++)
			free_area(iopt, made[i]);
	}
out:
	if (made != &one)
		free(made);
	return rc;
}

int iopt_get_pieces(struct iopt *iopt, uint64_t iova, uint64_t length,
		    struct pages_piece **out, size_t *n)
{
	struct pages_piece *pieces = NULL, *bigger;
	uint64_t last, cur = iova;
	size_t cap = 0, cnt = 0;
	struct imap_entry e;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	/* Contiguous areas must cover the whole range. */
	while (imap_find(&iopt->areas, cur, &e)) {
		struct area *a = area_of(&e);
		uint64_t end = a->last < last ? a->last : last;

		if (cnt == cap) {
			cap = cap ? cap * 2 : 4;
			bigger = realloc(pieces, cap * sizeof(*pieces));
			if (!bigger) {
				free(pieces);
				return -ENOMEM;
			}
			pieces = bigger;
		}
		pieces[cnt++] = (struct pages_piece){
			.pages = a->pages,
			.start_byte = a->start_byte + (cur - a->iova),
			.length = end - cur + 1,
		};
		if (end == last) {
			*out = pieces;
			*n = cnt;
			return 0;
		}
		cur = end + 1;
	}
	free(pieces);
	return -ENOENT;
}

/* ---- unmap ---- */

/* Pinned by accesses: ask them to unpin, and look again (the kernel gives
 * up after 100 tries). */
static int evict_accesses(struct iopt *iopt, struct area *a, unsigned int *tries)
{
	a->prevent_access = true;
	if (iopt->notify_unmap)
		iopt->notify_unmap(iopt->notify_arg, a->iova, a->last - a->iova + 1);
	if (++*tries > 100)
		return -EDEADLOCK;
	return 0;
}

static int unmap_range(struct iopt *iopt, uint64_t start, uint64_t last,
		       uint64_t *unmapped)
{
	uint64_t bytes = 0, tried_at = 0;
	unsigned int tries = 0;
	struct imap_entry e;
	int rc = 0;

	while (imap_first(&iopt->areas, start, last, &e)) {
		struct area *a = area_of(&e);
		uint64_t area_last = a->last;

		if (a->num_locks) {
			rc = -EBUSY;
			break;
		}
		if (a->iova < start || a->last > last) {
			rc = -ENOENT;
			break;
		}
		if (a->iova != tried_at)
			tries = 0;
		if (a->num_accesses) {
			tried_at = a->iova;
			rc = evict_accesses(iopt, a, &tries);
			if (rc)
				break;
			continue;
		}
		bytes += a->last - a->iova + 1;
		if (iopt->area_gone)
			iopt->area_gone(iopt->notify_arg, a->iova, a->last);
		unfill_area(iopt, a);
		free_area(iopt, a);
		if (area_last >= last)
			break;
		start = area_last + 1;
	}
	if (unmapped)
		*unmapped = bytes;
	return rc;
}

int iopt_unmap(struct iopt *iopt, uint64_t iova, uint64_t length,
	       uint64_t *unmapped)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return unmap_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct iopt *iopt, uint64_t *unmapped)
{
	return unmap_range(iopt, 0, UINT64_MAX, unmapped);
}

/* ---- alignment ---- */

/* Every area conforms to a larger alignment (-EADDRINUSE otherwise). */
static int check_alignment(struct iopt *iopt, uint64_t align)
{
	struct imap_iter it;
	struct imap_entry e;
	uint64_t mask = align - 1;

	for (bool ok = imap_iter_first(&iopt->areas, 0, UINT64_MAX, &it, &e);
	     ok; ok = imap_iter_next(&it, &e)) {
		struct area *a = area_of(&e);

		if ((a->iova & mask) || ((a->last - a->iova + 1) & mask) ||
		    ((a->start_byte % PAGE_SIZE) & mask))
			return -EADDRINUSE;
	}
	return 0;
}

static int recalc_alignment(struct iopt *iopt)
{
	uint64_t align = iopt->disable_large_pages || iopt->page_accesses ? PAGE_SIZE : 1;
	int rc;

	for (size_t i = 0; i < iopt->ndomains; i++)
		if (pt_min_page(iopt->domains[i]) > align)
			align = pt_min_page(iopt->domains[i]);
	if (align > iopt->iova_alignment) {
		rc = check_alignment(iopt, align);
		if (rc)
			return rc;
	}
	iopt->iova_alignment = align;
	return 0;
}

int iopt_add_page_access(struct iopt *iopt)
{
	int rc;

	iopt->page_accesses++;
	rc = recalc_alignment(iopt);
	if (rc)
		iopt->page_accesses--;
	return rc;
}

void iopt_remove_page_access(struct iopt *iopt)
{
	iopt->page_accesses--;
	recalc_alignment(iopt);
}

int iopt_disable_large_pages(struct iopt *iopt)
{
	int rc;

	if (iopt->disable_large_pages)
		return 0;
	/* Not once domains may have mapped large pages. */
	if (iopt->ndomains && imap_count(&iopt->areas))
		return -EINVAL;
	iopt->disable_large_pages = true;
	rc = recalc_alignment(iopt);
	if (rc)
		iopt->disable_large_pages = false;
	return rc;
}

void iopt_enable_large_pages(struct iopt *iopt)
{
	iopt->disable_large_pages = false;
	recalc_alignment(iopt);
}

/* ---- adding and removing domains ---- */

static int reserve_aperture(struct iopt *iopt, struct pt *pt)
{
	int rc = 0;

	if (pt->aperture_start)
		rc = iopt_reserve(iopt, 0, pt->aperture_start - 1, pt);
	if (!rc && pt->aperture_last != UINT64_MAX)
		rc = iopt_reserve(iopt, pt->aperture_last + 1, UINT64_MAX, pt);
	if (rc)
		iopt_unreserve(iopt, pt);
	return rc;
}

/* Map every area into pt, pinning them if pt is the first domain. */
static int fill_domain(struct iopt *iopt, struct pt *pt)
{
	struct imap_iter it;
	struct imap_entry e;
	uint64_t failed_at = 0;
	bool first = !iopt->ndomains, ok;
	int rc = 0;

	for (ok = imap_iter_first(&iopt->areas, 0, UINT64_MAX, &it, &e); ok;
	     ok = imap_iter_next(&it, &e)) {
		struct area *a = area_of(&e);

		if (first) {
			rc = pages_pin(a->pages, area_first_index(a),
				       area_last_index(a));
			if (rc) {
				failed_at = a->iova;
				break;
			}
			a->pinned = true;
		}
		rc = pt_map(pt, a->iova, a->last, area_pa(a), a->prot);
		if (rc) {
			if (first) {
				pages_unpin(a->pages, area_first_index(a),
					    area_last_index(a));
				a->pinned = false;
			}
			failed_at = a->iova;
			break;
		}
	}
	if (!rc)
		return 0;
	for (ok = imap_iter_first(&iopt->areas, 0, UINT64_MAX, &it, &e);
	     ok && e.start < failed_at; ok = imap_iter_next(&it, &e)) {
		struct area *a = area_of(&e);

		pt_unmap(pt, a->iova, a->last);
		if (first) {
			pages_unpin(a->pages, area_first_index(a),
				    area_last_index(a));
			a->pinned = false;
		}
	}
	return rc;
}

int iopt_add_domain(struct iopt *iopt, struct pt *pt)
{
	uint64_t align = pt_min_page(pt);
	struct pt **bigger;
	int rc;

	if (align < iopt->iova_alignment)
		align = iopt->iova_alignment;
	if (align > PAGE_SIZE)
		return -EINVAL;
	if (align != iopt->iova_alignment) {
		rc = check_alignment(iopt, align);
		if (rc)
			return rc;
	}
	if (iopt->ndomains == iopt->domains_cap) {
		size_t cap = iopt->domains_cap ? iopt->domains_cap * 2 : 2;

		bigger = realloc(iopt->domains, cap * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		iopt->domains = bigger;
		iopt->domains_cap = cap;
	}
	rc = reserve_aperture(iopt, pt);
	if (rc)
		return rc;
	rc = fill_domain(iopt, pt);
	if (rc) {
		iopt_unreserve(iopt, pt);
		return rc;
	}
	iopt->iova_alignment = align;
	iopt->domains[iopt->ndomains++] = pt;
	return 0;
}

static int unpin_area(void *arg, struct area *a)
{
	(void)arg;
	if (a->pinned)
		pages_unpin(a->pages, area_first_index(a), area_last_index(a));
	a->pinned = false;
	return 0;
}

void iopt_remove_domain(struct iopt *iopt, struct pt *pt)
{
	size_t i;

	for (i = 0; i < iopt->ndomains && iopt->domains[i] != pt; i++)
		;
	if (i == iopt->ndomains)
		return;
	iopt->domains[i] = iopt->domains[--iopt->ndomains];
	pt_unmap(pt, 0, UINT64_MAX);
	if (!iopt->ndomains)
		iopt_for_each_area(iopt, unpin_area, NULL);
	iopt_unreserve(iopt, pt);
	recalc_alignment(iopt);
}

/* ---- splitting, for the VFIO type1 compatibility ---- */

/* Split the area holding iova so that iova becomes the last byte of one. */
static int split_area(struct iopt *iopt, struct area *a, uint64_t iova)
{
	uint64_t align = iopt->iova_alignment, new_start = iova + 1;
	struct area *rhs;

	if (iova == a->iova || iova == a->last)
		return 0;
	if (a->prevent_access)
		return -EBUSY;
	if ((new_start & (align - 1)) ||
	    ((a->start_byte + (new_start - a->iova)) & (align - 1)))
		return -EINVAL;
	/* Access pins are not split (the kernel keeps too little to split them). */
	if (a->num_accesses)
		return -EINVAL;
	/* Not where a domain may hold a large page over the cut. */
	if (a->pinned && !iopt->disable_large_pages)
		return -EINVAL;
	rhs = calloc(1, sizeof(*rhs));
	if (!rhs)
		return -ENOMEM;
	*rhs = *a;
	rhs->iova = new_start;
	rhs->start_byte = a->start_byte + (new_start - a->iova);
	imap_remove(&iopt->areas, a->iova, NULL);
	a->last = iova;
	if (imap_insert(&iopt->areas, a->iova, a->last, (uintptr_t)a) ||
	    imap_insert(&iopt->areas, rhs->iova, rhs->last, (uintptr_t)rhs))
		emu_oom("area split");
	pages_get(a->pages);
	/* A page shared by both halves is now pinned for each of them. */
	if (a->pinned && area_first_index(rhs) <= area_last_index(a) &&
	    pages_pin(a->pages, area_first_index(rhs), area_last_index(a)))
		emu_oom("area split");
	return 0;
}

int iopt_cut(struct iopt *iopt, uint64_t iova)
{
	struct area *a = iopt_area_at(iopt, iova);

	return a ? split_area(iopt, a, iova) : 0;
}
