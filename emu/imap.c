// SPDX-License-Identifier: MIT
/*
 * imap: B+tree of disjoint inclusive intervals (see imap.h).
 *
 * Leaves hold entries sorted by start and are chained both ways for walks.
 * An internal node holds, per child, the child's lowest start, highest last
 * and largest internal gap; these summaries route lookups and let the gap
 * search skip whole subtrees.  Every node also keeps the largest gap inside
 * itself (gmax), updated incrementally, so that a change costs O(1) per
 * level unless the largest gap itself shrinks.
 *
 * Insertion and removal walk down once, remember the path, and fix the
 * nodes on it bottom-up: a cold lookup in a large map costs one descent.
 * Nodes split when full and merge with a neighbour when both fit in three
 * quarters of a node, so the tree stays O(log n) deep and at least about a
 * quarter full.
 */
#include "imap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FAN 32
#define MERGE_LIMIT (FAN * 3 / 4)
#define UNDERFLOW (FAN / 4)
#define MAX_HEIGHT 16
#define SPARES 4

struct imap_node {
	unsigned int n;
	bool leaf;
	uint64_t gmax;          /* largest gap between consecutive slots or inside children */
	uint64_t start[FAN];
	uint64_t last[FAN];
	uint64_t gap[FAN];      /* internal only: largest gap inside child i */
	union {
		uint64_t val[FAN];
		struct imap_node *child[FAN];
	};
	struct imap_node *prev; /* leaves only: neighbours in key order */
	struct imap_node *next;
};

struct path {
	struct imap_node *node[MAX_HEIGHT];
	unsigned int idx[MAX_HEIGHT];
	unsigned int depth; /* internal levels recorded */
};

void imap_init(struct imap *m)
{
	memset(m, 0, sizeof(*m));
}

static void free_subtree(struct imap_node *nd)
{
	if (!nd->leaf)
		for (unsigned int i = 0; i < nd->n; i++)
			free_subtree(nd->child[i]);
	free(nd);
}

void imap_destroy(struct imap *m)
{
	if (m->root)
		free_subtree(m->root);
	while (m->spare) {
		struct imap_node *nd = m->spare;

		m->spare = nd->next;
		free(nd);
	}
	imap_init(m);
}

size_t imap_memory(const struct imap *m)
{
	return (m->nodes + m->nspare) * sizeof(struct imap_node);
}

/* ---- gaps ---- */

/* Free addresses strictly between an interval ending at a and one starting at b. */
static uint64_t gap_between(uint64_t a_last, uint64_t b_start)
{
	return b_start - a_last - 1;
}

static uint64_t slot_gap(const struct imap_node *nd, unsigned int i)
{
	return gap_between(nd->last[i - 1], nd->start[i]);
}

static void rescan(struct imap_node *nd)
{
	uint64_t best = 0;

	for (unsigned int i = 0; i < nd->n; i++) {
		if (!nd->leaf && nd->gap[i] > best)
			best = nd->gap[i];
		if (i && slot_gap(nd, i) > best)
			best = slot_gap(nd, i);
	}
	nd->gmax = best;
}

/* Some of a node's gaps were replaced: if one that may have been the
 * largest went away and nothing as large came, look at all of them again. */
struct gap_change {
	uint64_t gone[3], came[3];
	unsigned int ngone, ncame;
};

static void gone(struct gap_change *g, uint64_t v)
{
	g->gone[g->ngone++] = v;
}

static void came(struct gap_change *g, uint64_t v)
{
	g->came[g->ncame++] = v;
}

static void apply(struct imap_node *nd, const struct gap_change *g)
{
	uint64_t top = 0;
	bool lost = false;

	for (unsigned int i = 0; i < g->ngone; i++)
		lost |= g->gone[i] == nd->gmax;
	for (unsigned int i = 0; i < g->ncame; i++)
		if (g->came[i] > top)
			top = g->came[i];
	if (top >= nd->gmax)
		nd->gmax = top;
	else if (lost)
		rescan(nd);
}

/* The gaps next to slot i (to i-1 and to i+1) and inside it, as they are. */
static void gaps_around(const struct imap_node *nd, unsigned int i,
			void (*note)(struct gap_change *, uint64_t),
			struct gap_change *g)
{
	if (i > 0)
		note(g, slot_gap(nd, i));
	if (i + 1 < nd->n)
		note(g, slot_gap(nd, i + 1));
	if (!nd->leaf)
		note(g, nd->gap[i]);
}

/* Refresh the parent's summary of child i. */
static void summarize(struct imap_node *nd, unsigned int i)
{
	struct imap_node *c = nd->child[i];
	struct gap_change g = { .ngone = 0 };

	gaps_around(nd, i, gone, &g);
	nd->start[i] = c->start[0];
	nd->last[i] = c->last[c->n - 1];
	nd->gap[i] = c->gmax;
	gaps_around(nd, i, came, &g);
	apply(nd, &g);
}

/* ---- lookups ---- */

/* Index of the last slot whose start is <= key; 0 when key precedes all.
 * The keys span four cache lines: fetching them all at once turns the
 * search's dependent misses into one wait in a map larger than the cache. */
static unsigned int route(const struct imap_node *nd, uint64_t key)
{
	unsigned int lo = 0, hi = nd->n;

	for (unsigned int i = 0; i < FAN; i += 8)
		__builtin_prefetch(&nd->start[i]);

	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (nd->start[mid] <= key)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The leaf and slot holding the greatest start <= key (slot -1: none),
 * recording the internal nodes passed when path is given. */
static struct imap_node *locate(const struct imap *m, uint64_t key, int *idx,
				struct path *path)
{
	struct imap_node *nd = m->root;

	if (path)
		path->depth = 0;
	if (!nd)
		return NULL;
	while (!nd->leaf) {
		unsigned int c = route(nd, key);

		if (path) {
			path->node[path->depth] = nd;
			path->idx[path->depth++] = c;
		}
		nd = nd->child[c];
	}
	*idx = nd->start[0] <= key ? (int)route(nd, key) : -1;
	return nd;
}

static void entry_at(const struct imap_node *leaf, unsigned int i,
		     struct imap_entry *out)
{
	if (out) {
		out->start = leaf->start[i];
		out->last = leaf->last[i];
		out->val = leaf->val[i];
	}
}

/* Step (leaf, idx) to the following entry; false past the end. */
static bool step(struct imap_node **leaf, int *idx)
{
	if (*idx + 1 < (int)(*leaf)->n) {
		(*idx)++;
		return true;
	}
	for (*leaf = (*leaf)->next; *leaf; *leaf = (*leaf)->next) {
		if ((*leaf)->n) {
			*idx = 0;
			return true;
		}
	}
	return false;
}

bool imap_find(const struct imap *m, uint64_t addr, struct imap_entry *out)
{
	int i;
	struct imap_node *leaf = locate(m, addr, &i, NULL);

	if (!leaf || i < 0 || leaf->last[i] < addr)
		return false;
	entry_at(leaf, i, out);
	return true;
}

static struct imap_node *first_at(const struct imap *m, uint64_t start,
				  uint64_t last, int *idx)
{
	struct imap_node *leaf = locate(m, start, idx, NULL);

	if (!leaf)
		return NULL;
	if (*idx >= 0 && leaf->last[*idx] >= start)
		return leaf;
	if (!step(&leaf, idx))
		return NULL;
	return leaf->start[*idx] <= last ? leaf : NULL;
}

bool imap_first(const struct imap *m, uint64_t start, uint64_t last,
		struct imap_entry *out)
{
	int i;
	struct imap_node *leaf = first_at(m, start, last, &i);

	if (!leaf)
		return false;
	entry_at(leaf, i, out);
	return true;
}

bool imap_iter_first(const struct imap *m, uint64_t start, uint64_t last,
		     struct imap_iter *it, struct imap_entry *out)
{
	int i;
	struct imap_node *leaf = first_at(m, start, last, &i);

	if (!leaf)
		return false;
	it->leaf = leaf;
	it->idx = i;
	it->last = last;
	entry_at(leaf, i, out);
	return true;
}

bool imap_iter_next(struct imap_iter *it, struct imap_entry *out)
{
	int i = it->idx;

	if (!it->leaf || !step(&it->leaf, &i))
		return false;
	it->idx = i;
	if (it->leaf->start[i] > it->last)
		return false;
	entry_at(it->leaf, i, out);
	return true;
}

bool imap_set_val(struct imap *m, uint64_t start, uint64_t val)
{
	int i;
	struct imap_node *leaf = locate(m, start, &i, NULL);

	if (!leaf || i < 0 || leaf->start[i] != start)
		return false;
	leaf->val[i] = val;
	return true;
}

/* ---- nodes ---- */

static struct imap_node *node_new(struct imap *m, bool leaf)
{
	struct imap_node *nd = m->spare;

	m->spare = nd->next;
	m->nspare--;
	memset(nd, 0, sizeof(*nd));
	nd->leaf = leaf;
	m->nodes++;
	return nd;
}

/* Make sure n nodes can be had without failing midway. */
static int reserve_nodes(struct imap *m, unsigned int n)
{
	while (m->nspare < n) {
		struct imap_node *nd = malloc(sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		nd->next = m->spare;
		m->spare = nd;
		m->nspare++;
	}
	return 0;
}

static void node_free(struct imap *m, struct imap_node *nd)
{
	if (nd->leaf) {
		if (nd->prev)
			nd->prev->next = nd->next;
		if (nd->next)
			nd->next->prev = nd->prev;
	}
	m->nodes--;
	if (m->nspare < SPARES) {
		nd->next = m->spare;
		m->spare = nd;
		m->nspare++;
	} else {
		free(nd);
	}
}

static void slot_move(struct imap_node *dst, unsigned int di,
		      struct imap_node *src, unsigned int si, unsigned int cnt)
{
	memmove(&dst->start[di], &src->start[si], cnt * sizeof(uint64_t));
	memmove(&dst->last[di], &src->last[si], cnt * sizeof(uint64_t));
	memmove(&dst->val[di], &src->val[si], cnt * sizeof(uint64_t));
	if (!src->leaf)
		memmove(&dst->gap[di], &src->gap[si], cnt * sizeof(uint64_t));
}

/* Move the slots from keep on into a new right sibling.  A full node
 * splits in half, except when the new slot goes past its end: then it is
 * left full, so that ascending insertions (the usual way of mapping) pack
 * nodes completely. */
static struct imap_node *split(struct imap *m, struct imap_node *nd,
			       unsigned int pos)
{
	struct imap_node *right = node_new(m, nd->leaf);
	unsigned int keep = pos == FAN ? FAN : FAN / 2;

	slot_move(right, 0, nd, keep, nd->n - keep);
	right->n = nd->n - keep;
	nd->n = keep;
	if (nd->leaf) {
		right->next = nd->next;
		right->prev = nd;
		if (nd->next)
			nd->next->prev = right;
		nd->next = right;
	}
	rescan(nd);
	rescan(right);
	return right;
}

/* Open slot i of a node that has room, noting the gap it splits. */
static void open_slot(struct imap_node *nd, unsigned int i, struct gap_change *g)
{
	if (i > 0 && i < nd->n)
		gone(g, slot_gap(nd, i));
	slot_move(nd, i + 1, nd, i, nd->n - i);
	nd->n++;
}

/* Close slot i, noting the gaps that go and the one that comes. */
static void close_slot(struct imap_node *nd, unsigned int i, struct gap_change *g)
{
	gaps_around(nd, i, gone, g);
	if (i > 0 && i + 1 < nd->n)
		came(g, gap_between(nd->last[i - 1], nd->start[i + 1]));
	slot_move(nd, i, nd, i + 1, nd->n - i - 1);
	nd->n--;
}

/* ---- insertion ---- */

/* Whether [start, last] overlaps the neighbours of slot pos of a leaf. */
static bool overlaps_neighbours(const struct imap_node *leaf, unsigned int pos,
				uint64_t start, uint64_t last)
{
	const struct imap_node *p = leaf, *n = leaf;
	unsigned int pi = pos, ni = pos;

	if (!pos) {
		p = leaf->prev;
		pi = p ? p->n : 0;
	}
	if (p && pi && p->last[pi - 1] >= start)
		return true;
	if (pos == leaf->n) {
		n = leaf->next;
		ni = 0;
	}
	return n && ni < n->n && n->start[ni] <= last;
}

/* Put an entry in slot pos of a leaf with room. */
static void leaf_put(struct imap_node *nd, unsigned int pos, uint64_t start,
		     uint64_t last, uint64_t val)
{
	struct gap_change g = { .ngone = 0 };

	open_slot(nd, pos, &g);
	nd->start[pos] = start;
	nd->last[pos] = last;
	nd->val[pos] = val;
	if (pos > 0)
		came(&g, slot_gap(nd, pos));
	if (pos + 1 < nd->n)
		came(&g, slot_gap(nd, pos + 1));
	apply(nd, &g);
}

/* Put a new child in slot pos of an internal node with room. */
static void child_put(struct imap_node *nd, unsigned int pos,
		      struct imap_node *child)
{
	struct gap_change g = { .ngone = 0 };

	open_slot(nd, pos, &g);
	nd->child[pos] = child;
	nd->start[pos] = child->start[0];
	nd->last[pos] = child->last[child->n - 1];
	nd->gap[pos] = child->gmax;
	gaps_around(nd, pos, came, &g);
	apply(nd, &g);
}

int imap_insert(struct imap *m, uint64_t start, uint64_t last, uint64_t val)
{
	struct path path;
	struct imap_node *leaf, *right = NULL, *dst;
	unsigned int pos, splits = 0;
	int i, rc;

	if (start > last)
		return -EINVAL;
	leaf = locate(m, start, &i, &path);
	if (leaf) {
		pos = (unsigned int)(i + 1);
		if (overlaps_neighbours(leaf, pos, start, last))
			return -EEXIST;
		/* A split climbs as far as the full nodes go, plus a new root. */
		for (int l = (int)path.depth; l >= 0; l--) {
			struct imap_node *nd = l == (int)path.depth ? leaf : path.node[l];

			if (nd->n < FAN)
				break;
			splits++;
		}
	} else {
		pos = 0;
		splits = 1;
	}
	rc = reserve_nodes(m, splits + 1);
	if (rc)
		return rc;

	if (!leaf)
		leaf = m->root = node_new(m, true);
	dst = leaf;
	if (leaf->n == FAN) {
		right = split(m, leaf, pos);
		if (pos >= leaf->n && leaf->n == FAN) {
			pos = 0;
			dst = right;
		} else if (pos > leaf->n) {
			pos -= leaf->n;
			dst = right;
		}
	}
	leaf_put(dst, pos, start, last, val);

	for (int l = (int)path.depth - 1; l >= 0; l--) {
		struct imap_node *nd = path.node[l], *child_right = right;
		unsigned int c = path.idx[l];

		summarize(nd, c);
		right = NULL;
		if (!child_right)
			continue;
		c++;
		dst = nd;
		if (nd->n == FAN) {
			right = split(m, nd, c);
			if (c >= nd->n && nd->n == FAN) {
				c = 0;
				dst = right;
			} else if (c > nd->n) {
				c -= nd->n;
				dst = right;
			}
		}
		child_put(dst, c, child_right);
	}
	if (right) {
		struct imap_node *root = node_new(m, false);

		root->child[0] = m->root;
		root->n = 1;
		summarize(root, 0);
		child_put(root, 1, right);
		m->root = root;
	}
	m->count++;
	return 0;
}

/* ---- removal ---- */

/* Fold child i+1 into child i when both fit comfortably in one node. */
static void try_merge(struct imap *m, struct imap_node *nd, unsigned int i)
{
	struct imap_node *l = nd->child[i], *rt = nd->child[i + 1];
	uint64_t between = gap_between(l->last[l->n - 1], rt->start[0]);

	if (l->n + rt->n > MERGE_LIMIT)
		return;
	slot_move(l, l->n, rt, 0, rt->n);
	l->n += rt->n;
	if (rt->gmax > l->gmax)
		l->gmax = rt->gmax;
	if (between > l->gmax)
		l->gmax = between;
	node_free(m, rt);
	slot_move(nd, i + 1, nd, i + 2, nd->n - i - 2);
	nd->n--;
	nd->start[i] = l->start[0];
	nd->last[i] = l->last[l->n - 1];
	nd->gap[i] = l->gmax;
	rescan(nd);
}

/* Child c of nd changed: drop it if empty, else refresh and maybe merge. */
static void rebalance(struct imap *m, struct imap_node *nd, unsigned int c)
{
	struct imap_node *child = nd->child[c];
	struct gap_change g = { .ngone = 0 };

	if (!child->n) {
		node_free(m, child);
		close_slot(nd, c, &g);
		apply(nd, &g);
		return;
	}
	summarize(nd, c);
	if (child->n < UNDERFLOW && nd->n >= 2)
		try_merge(m, nd, c ? c - 1 : c);
}

bool imap_remove(struct imap *m, uint64_t start, struct imap_entry *out)
{
	struct gap_change g = { .ngone = 0 };
	struct path path;
	struct imap_node *leaf, *root;
	int i;

	leaf = locate(m, start, &i, &path);
	if (!leaf || i < 0 || leaf->start[i] != start)
		return false;
	entry_at(leaf, (unsigned int)i, out);
	close_slot(leaf, (unsigned int)i, &g);
	apply(leaf, &g);
	for (int l = (int)path.depth - 1; l >= 0; l--)
		rebalance(m, path.node[l], path.idx[l]);
	m->count--;

	root = m->root;
	while (root && !root->leaf && root->n <= 1) {
		m->root = root->n ? root->child[0] : NULL;
		node_free(m, root);
		root = m->root;
	}
	if (root && !root->n) {
		node_free(m, root);
		m->root = NULL;
	}
	return true;
}

/* ---- gap search ---- */

struct gap_query {
	uint64_t lo, hi, min_len;
	bool have_prev;
	uint64_t prev_last;
	bool done, found;
	uint64_t gs, gl;
};

/* Consider the free range just before an interval starting at next_start. */
static void gap_check(struct gap_query *q, uint64_t next_start, bool at_end)
{
	uint64_t s, e;

	if (q->have_prev) {
		if (q->prev_last == UINT64_MAX)
			return;
		s = q->prev_last + 1;
	} else {
		s = 0;
	}
	if (at_end) {
		e = UINT64_MAX;
	} else {
		if (next_start <= s)
			return;
		e = next_start - 1;
	}
	if (s < q->lo)
		s = q->lo;
	if (e > q->hi)
		e = q->hi;
	if (s > e || e - s < q->min_len - 1)
		return;
	q->found = true;
	q->gs = s;
	q->gl = e;
}

static void gap_visit(struct gap_query *q, const struct imap_node *nd)
{
	for (unsigned int i = 0; i < nd->n && !q->found && !q->done; i++) {
		if (nd->last[i] >= q->lo) {
			gap_check(q, nd->start[i], false);
			if (q->found)
				return;
			if (nd->start[i] > q->hi) {
				q->done = true;
				return;
			}
			if (!nd->leaf && nd->gap[i] >= q->min_len) {
				gap_visit(q, nd->child[i]);
				if (q->found || q->done)
					return;
			}
		}
		q->have_prev = true;
		q->prev_last = nd->last[i];
	}
}

bool imap_next_gap(const struct imap *m, uint64_t lo, uint64_t hi,
		   uint64_t min_len, uint64_t *gap_start, uint64_t *gap_last)
{
	struct gap_query q = { .lo = lo, .hi = hi, .min_len = min_len ? min_len : 1 };

	if (lo > hi)
		return false;
	if (m->root)
		gap_visit(&q, m->root);
	if (!q.found && !q.done)
		gap_check(&q, 0, true);
	if (!q.found)
		return false;
	*gap_start = q.gs;
	*gap_last = q.gl;
	return true;
}

/* ---- consistency check, for tests ---- */

static int verify_node(const struct imap_node *nd, unsigned int depth,
		       unsigned int *leaf_depth, size_t *entries)
{
	uint64_t saved = nd->gmax;
	struct imap_node copy;

	if (!nd->n)
		return -1;
	for (unsigned int i = 1; i < nd->n; i++)
		if (nd->start[i] <= nd->last[i - 1])
			return -2;
	if (nd->leaf) {
		if (*leaf_depth && *leaf_depth != depth)
			return -3;
		*leaf_depth = depth;
		*entries += nd->n;
	} else {
		for (unsigned int i = 0; i < nd->n; i++) {
			const struct imap_node *c = nd->child[i];
			int rc;

			if (nd->start[i] != c->start[0] ||
			    nd->last[i] != c->last[c->n - 1] || nd->gap[i] != c->gmax)
				return -4;
			rc = verify_node(c, depth + 1, leaf_depth, entries);
			if (rc)
				return rc;
		}
	}
	memcpy(&copy, nd, sizeof(copy));
	rescan(&copy);
	return copy.gmax == saved ? 0 : -5;
}

int imap_verify(const struct imap *m)
{
	unsigned int leaf_depth = 0;
	size_t entries = 0;
	int rc;

	if (!m->root)
		return m->count ? -6 : 0;
	rc = verify_node(m->root, 1, &leaf_depth, &entries);
	if (rc)
		return rc;
	return entries == m->count ? 0 : -7;
}
