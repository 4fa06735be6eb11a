/* SPDX-License-Identifier: MIT */
/*
 * cover: how many users cover each unit of a range, as disjoint segments of
 * an imap whose value is the count.  A page set uses it to know which of its
 * pages are pinned (by IO page tables and accesses, possibly overlapping) and
 * how many pages a new user pins for the first time.
 */
#ifndef IEMU_COVER_H
#define IEMU_COVER_H

#include "imap.h"

/* Call fn on each part of [s, l] that no user covers; stops at fn's error. */
int cover_for_each_uncovered(const struct imap *m, uint64_t s, uint64_t l,
			     int (*fn)(void *arg, uint64_t s, uint64_t l),
			     void *arg);

/* Count the units of [s, l] that no user covers. */
uint64_t cover_uncovered(const struct imap *m, uint64_t s, uint64_t l);

/* Add a user of [s, l]; returns how many units it covers first. */
uint64_t cover_add(struct imap *m, uint64_t s, uint64_t l);

/* Remove a user of [s, l] added before; returns how many units it leaves
 * uncovered. */
uint64_t cover_sub(struct imap *m, uint64_t s, uint64_t l);

#endif
