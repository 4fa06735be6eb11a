/* SPDX-License-Identifier: MIT */
/*
 * imap: an ordered map from disjoint inclusive u64 intervals to a u64 value.
 *
 * It is the one ordered structure of the emulator: the areas of an IOAS, the
 * leaves of the fake IO page table, dirty runs and the fake physical address
 * space are all imaps.  It is a B+tree whose internal nodes keep, for every
 * child, the lowest start, the highest last and the largest gap inside that
 * child, so that lookup, insertion, removal and "first gap of at least N
 * addresses" all cost O(log n) and a few cache lines per level: the cost of
 * an IOAS operation grows with the number of mappings, never with bytes.
 */
#ifndef IEMU_IMAP_H
#define IEMU_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_node;

struct imap {
	struct imap_node *root;
	size_t count;
	size_t nodes;
	struct imap_node *spare; /* a few free nodes, so updates rarely allocate */
	unsigned int nspare;
};

struct imap_entry {
	uint64_t start;
	uint64_t last;
	uint64_t val;
};

/* Position of a forward walk; valid until the map is next modified. */
struct imap_iter {
	struct imap_node *leaf;
	unsigned int idx;
	uint64_t last;
};

/* Initialise an empty map. */
void imap_init(struct imap *m);

/* Free the map's nodes (not what the values point to). */
void imap_destroy(struct imap *m);

/* Number of entries. */
static inline size_t imap_count(const struct imap *m)
{
	return m->count;
}

/* Insert [start, last] -> val; -EEXIST if it overlaps an entry, -EINVAL if
 * start > last, -ENOMEM. */
int imap_insert(struct imap *m, uint64_t start, uint64_t last, uint64_t val);

/* Remove the entry that starts exactly at start; false if there is none. */
bool imap_remove(struct imap *m, uint64_t start, struct imap_entry *out);

/* The entry containing addr. */
bool imap_find(const struct imap *m, uint64_t addr, struct imap_entry *out);

/* The lowest entry intersecting [start, last]. */
bool imap_first(const struct imap *m, uint64_t start, uint64_t last,
		struct imap_entry *out);

/* Replace the value of the entry that starts exactly at start. */
bool imap_set_val(struct imap *m, uint64_t start, uint64_t val);

/* Start a walk over the entries intersecting [start, last]; false if none. */
bool imap_iter_first(const struct imap *m, uint64_t start, uint64_t last,
		     struct imap_iter *it, struct imap_entry *out);

/* The next entry of the walk; false at its end. */
bool imap_iter_next(struct imap_iter *it, struct imap_entry *out);

/*
 * The lowest maximal range not covered by any entry that, clipped to
 * [lo, hi], still holds at least min_len (>= 1) addresses.  Returns the
 * clipped range.
 */
bool imap_next_gap(const struct imap *m, uint64_t lo, uint64_t hi,
		   uint64_t min_len, uint64_t *gap_start, uint64_t *gap_last);

/* Bytes of memory held by the map's nodes (for the status view and bench). */
size_t imap_memory(const struct imap *m);

/* Check every internal summary against its node: 0, or a negative code
 * telling which invariant broke (for tests). */
int imap_verify(const struct imap *m);

#endif
