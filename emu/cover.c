// SPDX-License-Identifier: MIT
/*
 * Coverage counts (see cover.h).  Updates split the segments at the range's
 * ends, adjust the counts inside, then merge neighbours with equal counts so
 * that the map stays as small as the set of distinct boundaries in use.
 */
#include "cover.h"

#include <stdlib.h>

#include "emu.h"

int cover_for_each_uncovered(const struct imap *m, uint64_t s, uint64_t l,
			     int (*fn)(void *arg, uint64_t s, uint64_t l),
			     void *arg)
{
	uint64_t gs, gl;
	int rc;

	while (imap_next_gap(m, s, l, 1, &gs, &gl)) {
		rc = fn(arg, gs, gl);
		if (rc || gl == l)
			return rc;
		s = gl + 1;
	}
	return 0;
}

static int count_fn(void *arg, uint64_t s, uint64_t l)
{
	*(uint64_t *)arg += l - s + 1;
	return 0;
}

uint64_t cover_uncovered(const struct imap *m, uint64_t s, uint64_t l)
{
	uint64_t n = 0;

	cover_for_each_uncovered(m, s, l, count_fn, &n);
	return n;
}

static void must_insert(struct imap *m, uint64_t s, uint64_t l, uint64_t v)
{
	if (imap_insert(m, s, l, v))
		emu_oom("cover");
}

/* Make x the start of a segment if a segment runs across x-1 and x. */
static void split_at(struct imap *m, uint64_t x)
{
	struct imap_entry e;

	if (!x || !imap_find(m, x, &e) || e.start == x)
		return;
	imap_remove(m, e.start, NULL);
	must_insert(m, e.start, x - 1, e.val);
	must_insert(m, x, e.last, e.val);
}

/* Merge equal-count neighbours among the segments touching [s, l]. */
static void normalize(struct imap *m, uint64_t s, uint64_t l)
{
	struct imap_entry prev, cur;
	uint64_t from = s ? s - 1 : 0;
	uint64_t to = l == UINT64_MAX ? l : l + 1;

	if (!imap_first(m, from, to, &prev))
		return;
	while (prev.last != UINT64_MAX && prev.last < to &&
	       imap_first(m, prev.last + 1, to, &cur)) {
		if (cur.start == prev.last + 1 && cur.val == prev.val) {
			imap_remove(m, prev.start, NULL);
			imap_remove(m, cur.start, NULL);
			must_insert(m, prev.start, cur.last, prev.val);
			prev.last = cur.last;
		} else {
			prev = cur;
		}
	}
}

/* Starts of the segments inside [s, l]; the caller frees the array. */
static uint64_t *segments_in(const struct imap *m, uint64_t s, uint64_t l,
			     size_t *n)
{
	struct imap_iter it;
	struct imap_entry e;
	uint64_t *starts = NULL, *bigger;
	size_t cap = 0;

	*n = 0;
	for (bool ok = imap_iter_first(m, s, l, &it, &e); ok;
	     ok = imap_iter_next(&it, &e)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			bigger = realloc(starts, cap * sizeof(*starts));
			if (!bigger)
				emu_oom("cover");
			starts = bigger;
		}
		starts[(*n)++] = e.start;
	}
	return starts;
}

static void bump(struct imap *m, uint64_t s, uint64_t l, int delta,
		 uint64_t *freed)
{
	size_t n;
	uint64_t *starts = segments_in(m, s, l, &n);
	struct imap_entry e;

	for (size_t i = 0; i < n; i++) {
		imap_find(m, starts[i], &e);
		if (delta < 0 && e.val == 1) {
			imap_remove(m, e.start, NULL);
			*freed += e.last - e.start + 1;
		} else {
			imap_set_val(m, e.start, e.val + (uint64_t)(int64_t)delta);
		}
	}
	free(starts);
}

struct gap_list {
	uint64_t (*gaps)[2];
	size_t n, cap;
};

static int collect_gap(void *arg, uint64_t s, uint64_t l)
{
	struct gap_list *g = arg;

	if (g->n == g->cap) {
		void *bigger;

		g->cap = g->cap ? g->cap * 2 : 4;
		bigger = realloc(g->gaps, g->cap * sizeof(*g->gaps));
		if (!bigger)
			emu_oom("cover");
		g->gaps = bigger;
	}
	g->gaps[g->n][0] = s;
	g->gaps[g->n][1] = l;
	g->n++;
	return 0;
}

uint64_t cover_add(struct imap *m, uint64_t s, uint64_t l)
{
	struct gap_list g = { 0 };
	uint64_t fresh = 0, unused = 0;

	cover_for_each_uncovered(m, s, l, collect_gap, &g);
	split_at(m, s);
	if (l != UINT64_MAX)
		split_at(m, l + 1);
	bump(m, s, l, 1, &unused);
	for (size_t i = 0; i < g.n; i++) {
		must_insert(m, g.gaps[i][0], g.gaps[i][1], 1);
		fresh += g.gaps[i][1] - g.gaps[i][0] + 1;
	}
	free(g.gaps);
	normalize(m, s, l);
	return fresh;
}

uint64_t cover_sub(struct imap *m, uint64_t s, uint64_t l)
{
	uint64_t freed = 0;

	split_at(m, s);
	if (l != UINT64_MAX)
		split_at(m, l + 1);
	bump(m, s, l, -1, &freed);
	normalize(m, s, l);
	return freed;
}
