// SPDX-License-Identifier: MIT
/*
 * IOVA space of an IOAS: reserved ranges, allowed ranges and automatic IOVA
 * allocation, with the kernel's exact choice of address.
 *
 * The kernel scans the holes between areas and reserved ranges, lowest
 * first, inside each allowed span.  Scanning area by area would cost O(n)
 * per allocation; here the area map's gap index jumps straight to the next
 * hole that is large enough, and only the few reserved ranges are subtracted
 * by hand, so the same address is found in O(log n).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "iopt.h"

/* ---- reserved ranges: few, may overlap, kept sorted by start ---- */

struct resv_walk {
	const struct iopt *iopt;
	size_t i;
};

/* The next maximal span of overlapping or touching reserved ranges. */
static bool resv_next(struct resv_walk *w, uint64_t *start, uint64_t *last)
{
	const struct iopt *iopt = w->iopt;

	if (w->i >= iopt->nresv)
		return false;
	*start = iopt->resv[w->i].start;
	*last = iopt->resv[w->i].last;
	for (w->i++; w->i < iopt->nresv; w->i++) {
		const struct resv *r = &iopt->resv[w->i];

		if (*last != UINT64_MAX && r->start > *last + 1)
			break;
		if (r->last > *last)
			*last = r->last;
	}
	return true;
}

static bool resv_intersects(const struct iopt *iopt, uint64_t start,
			    uint64_t last)
{
	for (size_t i = 0; i < iopt->nresv && iopt->resv[i].start <= last; i++)
		if (iopt->resv[i].last >= start)
			return true;
	return false;
}

int iopt_reserve(struct iopt *iopt, uint64_t start, uint64_t last,
		 const void *owner)
{
	size_t at;

	if (imap_first(&iopt->areas, start, last, NULL) ||
	    imap_first(&iopt->allowed, start, last, NULL))
		return -EADDRINUSE;
	if (iopt->nresv == iopt->resv_cap) {
		size_t cap = iopt->resv_cap ? iopt->resv_cap * 2 : 4;
		struct resv *bigger = realloc(iopt->resv, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		iopt->resv = bigger;
		iopt->resv_cap = cap;
	}
	for (at = iopt->nresv; at && iopt->resv[at - 1].start > start; at--)
		iopt->resv[at] = iopt->resv[at - 1];
	iopt->resv[at] = (struct resv){ start, last, owner };
	iopt->nresv++;
	return 0;
}

void iopt_unreserve(struct iopt *iopt, const void *owner)
{
	size_t out = 0;

	for (size_t i = 0; i < iopt->nresv; i++)
		if (iopt->resv[i].owner != owner)
			iopt->resv[out++] = iopt->resv[i];
	iopt->nresv = out;
}

int iopt_for_each_usable(const struct iopt *iopt,
			 int (*fn)(void *arg, uint64_t start, uint64_t last),
			 void *arg)
{
	struct resv_walk w = { iopt, 0 };
	uint64_t next = 0, rs, rl;
	int rc;

	while (resv_next(&w, &rs, &rl)) {
		if (rs > next) {
			rc = fn(arg, next, rs - 1);
			if (rc)
				return rc;
		}
		if (rl == UINT64_MAX)
			return 0;
		next = rl + 1;
	}
	return fn(arg, next, UINT64_MAX);
}

/* ---- allowed ranges ---- */

int iopt_set_allowed(struct iopt *iopt, struct imap *allowed)
{
	struct imap_iter it;
	struct imap_entry e;
	struct imap tmp;

	for (bool ok = imap_iter_first(allowed, 0, UINT64_MAX, &it, &e); ok;
	     ok = imap_iter_next(&it, &e))
		if (resv_intersects(iopt, e.start, e.last))
			return -EADDRINUSE;
	tmp = iopt->allowed;
	iopt->allowed = *allowed;
	*allowed = tmp;
	return 0;
}

/* ---- automatic allocation ---- */

static uint64_t roundup_pow_of_two(uint64_t x)
{
	return x <= 1 ? 1 : 1ULL << (64 - __builtin_clzll(x - 1));
}

/* Align *start up, keep the source's offset in the page, and check that
 * length bytes still fit before last. */
static bool fits(uint64_t *start, uint64_t last, uint64_t length,
		 uint64_t align, uint64_t page_offset)
{
	uint64_t aligned;

	if (__builtin_add_overflow(*start, align - 1, &aligned))
		return false;
	aligned &= ~(align - 1);
	aligned |= page_offset;
	if (aligned >= last || last - aligned < length - 1)
		return false;
	*start = aligned;
	return true;
}

struct alloc_req {
	uint64_t length, align, page_offset;
};

/* The first hole of areas and reserved ranges inside [ws, wl] that fits. */
static bool fit_in_window(const struct iopt *iopt, const struct alloc_req *rq,
			  uint64_t ws, uint64_t wl, uint64_t *iova)
{
	uint64_t pos = ws, gs, gl, rs, rl, cur;

	while (imap_next_gap(&iopt->areas, pos, wl, rq->length, &gs, &gl)) {
		struct resv_walk w = { iopt, 0 };
		bool tail = true;

		cur = gs;
		while (resv_next(&w, &rs, &rl)) {
			if (rl < cur)
				continue;
			if (rs > gl)
				break;
			if (rs > cur) {
				uint64_t hole = cur;

				if (fits(&hole, rs - 1, rq->length, rq->align,
					 rq->page_offset)) {
					*iova = hole;
					return true;
				}
			}
			if (rl >= gl) {
				tail = false;
				break;
			}
			cur = rl + 1;
		}
		if (tail && fits(&cur, gl, rq->length, rq->align, rq->page_offset)) {
			*iova = cur;
			return true;
		}
		if (gl >= wl)
			break;
		pos = gl + 1;
	}
	return false;
}

/* Try one allowed span, as the kernel: align its start first, then search. */
static bool fit_in_span(const struct iopt *iopt, const struct alloc_req *rq,
			uint64_t start, uint64_t last, uint64_t *iova)
{
	if (!fits(&start, last, rq->length, rq->align, rq->page_offset))
		return false;
	return fit_in_window(iopt, rq, start, last, iova);
}

int iopt_alloc_iova(struct iopt *iopt, uint64_t *iova, uint64_t addr,
		    uint64_t length)
{
	const uint64_t lo = PAGE_SIZE, hi = UINT64_MAX - PAGE_SIZE;
	struct alloc_req rq = { .length = length, .page_offset = addr % PAGE_SIZE };
	struct imap_iter it;
	struct imap_entry e;
	uint64_t s, l;
	bool ok;

	if (length == 0 || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	rq.align = roundup_pow_of_two(length);
	if (addr && rq.align > (addr & -addr))
		rq.align = addr & -addr;
	if (rq.align >= HPAGE_SIZE)
		rq.align = HPAGE_SIZE;
	if (rq.align < iopt->iova_alignment)
		return -EINVAL;

	if (!imap_count(&iopt->allowed))
		return fit_in_span(iopt, &rq, lo, hi, iova) ? 0 : -ENOSPC;

	/* Allowed ranges that touch merge into one span, clipped to [lo, hi]. */
	ok = imap_iter_first(&iopt->allowed, lo, hi, &it, &e);
	while (ok) {
		s = e.start < lo ? lo : e.start;
		l = e.last;
		while ((ok = imap_iter_next(&it, &e)) && l != UINT64_MAX &&
		       e.start == l + 1)
			l = e.last;
		if (l > hi)
			l = hi;
		if (fit_in_span(iopt, &rq, s, l, iova))
			return 0;
	}
	return -ENOSPC;
}
