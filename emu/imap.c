// SPDX-License-Identifier: MIT
/*
 * imap: B+tree of disjoint inclusive intervals (see imap.h).
 *
 * Leaves hold entries sorted by start and are chained both ways for walks.
 * An internal node holds, per child, the child's lowest start, highest last
 * and largest internal gap; these summaries route lookups and let the gap
 * search skip whole subtrees.  Nodes split when full and merge with a
 * neighbour when both fit in three quarters of a node, so the tree stays
 * O(log n) deep and at least about a quarter full.
 */
#include "imap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FAN 32
#define MERGE_LIMIT (FAN * 3 / 4)
#define UNDERFLOW (FAN / 4)
#define MAX_HEIGHT 16

struct imap_node {
	unsigned int n;
	bool leaf;
	uint64_t start[FAN];
	uint64_t last[FAN];
	uint64_t gap[FAN]; /* internal only: largest gap inside child i */
	union {
		uint64_t val[FAN];
		struct imap_node *child[FAN];
	};
	struct imap_node *prev; /* leaves only: neighbours in key order */
	struct imap_node *next;
};

void imap_init(struct imap *m)
{
	m->root = NULL;
	m->count = 0;
	m->nodes = 0;
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
	imap_init(m);
}

size_t imap_memory(const struct imap *m)
{
	return m->nodes * sizeof(struct imap_node);
}

/* Free addresses strictly between an interval ending at a and one starting at b. */
static uint64_t gap_between(uint64_t a_last, uint64_t b_start)
{
	return b_start - a_last - 1;
}

static uint64_t node_gap(const struct imap_node *nd)
{
	uint64_t best = 0;

	for (unsigned int i = 0; i < nd->n; i++) {
		if (!nd->leaf && nd->gap[i] > best)
			best = nd->gap[i];
		if (i && gap_between(nd->last[i - 1], nd->start[i]) > best)
			best = gap_between(nd->last[i - 1], nd->start[i]);
	}
	return best;
}

/* Refresh the parent's summary of child i. */
static void summarize(struct imap_node *nd, unsigned int i)
{
	struct imap_node *c = nd->child[i];

	nd->start[i] = c->start[0];
	nd->last[i] = c->last[c->n - 1];
	nd->gap[i] = node_gap(c);
}

/* Index of the last slot whose start is <= key; 0 when key precedes all. */
static unsigned int route(const struct imap_node *nd, uint64_t key)
{
	unsigned int lo = 0, hi = nd->n;

	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (nd->start[mid] <= key)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The leaf and slot holding the greatest start <= key (slot -1: none). */
static struct imap_node *locate(const struct imap *m, uint64_t key, int *idx)
{
	struct imap_node *nd = m->root;

	if (!nd)
		return NULL;
	while (!nd->leaf)
		nd = nd->child[route(nd, key)];
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
	struct imap_node *leaf = locate(m, addr, &i);

	if (!leaf || i < 0 || leaf->last[i] < addr)
		return false;
	entry_at(leaf, i, out);
	return true;
}

static struct imap_node *first_at(const struct imap *m, uint64_t start,
				  uint64_t last, int *idx)
{
	struct imap_node *leaf = locate(m, start, idx);

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
	struct imap_node *leaf = locate(m, start, &i);

	if (!leaf || i < 0 || leaf->start[i] != start)
		return false;
	leaf->val[i] = val;
	return true;
}

/* ---- insertion ---- */

struct reserve {
	struct imap_node *nodes[MAX_HEIGHT + 1];
	unsigned int n;
};

static struct imap_node *take(struct imap *m, struct reserve *r, bool leaf)
{
	struct imap_node *nd = r->nodes[--r->n];

	memset(nd, 0, sizeof(*nd));
	nd->leaf = leaf;
	m->nodes++;
	return nd;
}

/* Allocate every node a split chain along key's path could need. */
static int fill_reserve(const struct imap *m, uint64_t key, struct reserve *r)
{
	unsigned int need = 1;
	struct imap_node *nd = m->root;

	while (nd) {
		need = nd->n == FAN ? need + 1 : 1;
		nd = nd->leaf ? NULL : nd->child[route(nd, key)];
	}
	r->n = 0;
	while (r->n < need) {
		r->nodes[r->n] = malloc(sizeof(struct imap_node));
		if (!r->nodes[r->n]) {
			while (r->n)
				free(r->nodes[--r->n]);
			return -ENOMEM;
		}
		r->n++;
	}
	return 0;
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

/* Move the upper half of a full node into a new right sibling. */
static struct imap_node *split(struct imap *m, struct reserve *r,
			       struct imap_node *nd)
{
	struct imap_node *right = take(m, r, nd->leaf);
	unsigned int keep = FAN / 2;

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
	return right;
}

static void open_slot(struct imap_node *nd, unsigned int i)
{
	slot_move(nd, i + 1, nd, i, nd->n - i);
	nd->n++;
}

static struct imap_node *insert_leaf(struct imap *m, struct reserve *r,
				     struct imap_node *nd, uint64_t start,
				     uint64_t last, uint64_t val)
{
	struct imap_node *right = NULL, *dst = nd;
	unsigned int pos = nd->n && nd->start[0] <= start ? route(nd, start) + 1 : 0;

	if (nd->n == FAN) {
		right = split(m, r, nd);
		if (pos > nd->n) {
			pos -= nd->n;
			dst = right;
		}
	}
	open_slot(dst, pos);
	dst->start[pos] = start;
	dst->last[pos] = last;
	dst->val[pos] = val;
	return right;
}

static struct imap_node *insert_rec(struct imap *m, struct reserve *r,
				    struct imap_node *nd, uint64_t start,
				    uint64_t last, uint64_t val)
{
	struct imap_node *child_right, *right = NULL, *dst = nd;
	unsigned int c;

	if (nd->leaf)
		return insert_leaf(m, r, nd, start, last, val);

	c = route(nd, start);
	child_right = insert_rec(m, r, nd->child[c], start, last, val);
	summarize(nd, c);
	if (!child_right)
		return NULL;

	c++;
	if (nd->n == FAN) {
		right = split(m, r, nd);
		if (c > nd->n) {
			c -= nd->n;
			dst = right;
		}
	}
	open_slot(dst, c);
	dst->child[c] = child_right;
	summarize(dst, c);
	return right;
}

int imap_insert(struct imap *m, uint64_t start, uint64_t last, uint64_t val)
{
	struct reserve r;
	struct imap_node *right;
	int rc;

	if (start > last)
		return -EINVAL;
	if (imap_first(m, start, last, NULL))
		return -EEXIST;
	rc = fill_reserve(m, start, &r);
	if (rc)
		return rc;

	if (!m->root)
		m->root = take(m, &r, true);
	right = insert_rec(m, &r, m->root, start, last, val);
	if (right) {
		struct imap_node *root = take(m, &r, false);

		root->n = 2;
		root->child[0] = m->root;
		root->child[1] = right;
		summarize(root, 0);
		summarize(root, 1);
		m->root = root;
	}
	while (r.n)
		free(r.nodes[--r.n]);
	m->count++;
	return 0;
}

/* ---- removal ---- */

static void close_slot(struct imap_node *nd, unsigned int i)
{
	slot_move(nd, i, nd, i + 1, nd->n - i - 1);
	nd->n--;
}

static void free_node(struct imap *m, struct imap_node *nd)
{
	if (nd->leaf) {
		if (nd->prev)
			nd->prev->next = nd->next;
		if (nd->next)
			nd->next->prev = nd->prev;
	}
	m->nodes--;
	free(nd);
}

/* Fold child i+1 into child i when both fit comfortably in one node. */
static void try_merge(struct imap *m, struct imap_node *nd, unsigned int i)
{
	struct imap_node *l = nd->child[i], *rt = nd->child[i + 1];

	if (l->n + rt->n > MERGE_LIMIT)
		return;
	slot_move(l, l->n, rt, 0, rt->n);
	l->n += rt->n;
	free_node(m, rt);
	close_slot(nd, i + 1);
	summarize(nd, i);
}

static void rebalance(struct imap *m, struct imap_node *nd, unsigned int c)
{
	struct imap_node *child = nd->child[c];

	if (!child->n) {
		free_node(m, child);
		close_slot(nd, c);
		return;
	}
	summarize(nd, c);
	if (child->n >= UNDERFLOW || nd->n < 2)
		return;
	try_merge(m, nd, c ? c - 1 : c);
}

static bool remove_rec(struct imap *m, struct imap_node *nd, uint64_t key,
		       struct imap_entry *out)
{
	unsigned int i;

	if (!nd->n)
		return false;
	i = route(nd, key);
	if (nd->leaf) {
		if (nd->start[i] != key)
			return false;
		entry_at(nd, i, out);
		close_slot(nd, i);
		return true;
	}
	if (!remove_rec(m, nd->child[i], key, out))
		return false;
	rebalance(m, nd, i);
	return true;
}

bool imap_remove(struct imap *m, uint64_t start, struct imap_entry *out)
{
	struct imap_node *root = m->root;

	if (!root || !remove_rec(m, root, start, out))
		return false;
	m->count--;
	while (root && !root->leaf && root->n <= 1) {
		m->root = root->n ? root->child[0] : NULL;
		free_node(m, root);
		root = m->root;
	}
	if (root && !root->n) {
		free_node(m, root);
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
