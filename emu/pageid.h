/* SPDX-License-Identifier: MIT */
/*
 * Which physical page a piece of memory is.  The emulator has no struct
 * page; it names a page by what backs it: a page of a file (a memfd, the
 * shmem object of a MAP_SHARED|MAP_ANONYMOUS mapping) when it is mapped
 * shared or pinned from the file, since every process mapping that file
 * offset shares the page; otherwise a page of one process's private
 * memory.  Private memory a fork shares copy-on-write counts as the
 * forking process's own.
 *
 * This answers the selftest's questions (is this IOVA the page behind this
 * VA? how many pins does this page have?) and lets a page set whose process
 * is gone reach its shared memory through another process mapping it.
 */
#ifndef IEMU_PAGEID_H
#define IEMU_PAGEID_H

#include <stdbool.h>
#include <stdint.h>

struct iemu;
struct iemu_proc;
struct iemu_vma;
struct pages;

struct pageid {
	uint64_t dev;    /* the file, ino 0 for private memory */
	uint64_t ino;
	uint64_t pid;    /* private memory: whose */
	uint64_t page;   /* page index in the file, or VA >> PAGE_SHIFT */
};

/* The page behind addr in p's memory: 0, -EFAULT (nothing mapped there). */
int pageid_of_user(struct iemu_proc *p, uint64_t addr, struct pageid *out);

/* The page behind byte off of a page set (recorded regions for user
 * memory): 0, or -EFAULT when no pin has seen that region. */
int pageid_of_pages(const struct pages *p, uint64_t off, struct pageid *out);

static inline bool pageid_equal(const struct pageid *a, const struct pageid *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->pid == b->pid &&
	       a->page == b->page;
}

/* How many page sets of every context hold the page pinned: the pins
 * pin_user_pages would have counted on it. */
unsigned int pageid_pins(struct iemu *emu, const struct pageid *id);

/* Another live process that maps the shared page id: it, with a reference
 * taken, and in *v its region there (the page is at v->start + the page's
 * file offset - v->pgoff), or NULL. */
struct iemu_proc *pageid_find_mapper(struct iemu *emu, const struct pageid *id,
				     const struct iemu_proc *not, struct iemu_vma *v);

#endif
