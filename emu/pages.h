/* SPDX-License-Identifier: MIT */
/*
 * A page set: the memory one MAP or MAP_FILE made available, shared by every
 * area (and IOAS, through COPY) that refers to it, pinned on demand and
 * accounted once however many users pin it, as the kernel's iopt_pages.
 *
 * Pinning is lazy: a MAP into an IOAS without a domain records the range
 * only; pages are pinned when a domain (IO page table) or an access needs
 * them, and that is when an unusable user range fails, as pin_user_pages
 * would fail it.  A pin check costs O(memory regions), never O(pages).
 */
#ifndef IEMU_PAGES_H
#define IEMU_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "account.h"
#include "imap.h"

struct iemu;
struct iemu_proc;

enum pages_type {
	PAGES_USER, /* a range of a process's virtual memory */
	PAGES_FILE, /* a range of a memfd */
};

struct pages {
	unsigned int refs;
	enum pages_type type;
	uint64_t uptr;        /* USER: page-aligned address of page 0 */
	int fd;               /* FILE: the emulator's own fd of the file */
	uint64_t dev, ino;    /* FILE: which file it is */
	bool shmem;           /* FILE: on shmem or hugetlbfs (memfd_pin_folios' kinds) */
	uint64_t start;       /* FILE: page-aligned file offset of page 0 */
	uint64_t npages;
	bool writable;
	enum account_mode account;
	struct iemu_proc *source; /* whose memory and whose accounting */
	struct imap pinned;   /* cover of pinned page indexes */
	uint64_t npinned;
	uint64_t phys;        /* fake physical address of page 0 while pinned */
	unsigned int visit;   /* scratch for walks that must see each set once */
	/* USER: the memory regions the pins found (O(regions)), to tell later
	 * whether the process has unmapped or remapped them since. */
	struct iemu_vma *vmas;
	size_t nvmas, vmas_cap;
};

/* A page set over [uptr, uptr + length) of caller's memory.  *start_byte
 * receives the offset of uptr in page 0.  -EOVERFLOW, -EINVAL, -ENOMEM. */
int pages_alloc_user(struct iemu_proc *caller, uint64_t uptr, uint64_t length,
		     bool writable, struct pages **out, uint64_t *start_byte);

/* A page set over [start, start + length) of the file behind fd (an fd of the
 * emulator's, which the page set takes over). */
int pages_alloc_file(struct iemu_proc *caller, int fd, uint64_t start,
		     uint64_t length, bool writable, struct pages **out,
		     uint64_t *start_byte);

void pages_get(struct pages *p);
void pages_put(struct pages *p);

/* Pin pages first..last (indexes) for one more user: -EFAULT (unusable user
 * memory), -EINVAL (not a memfd, or beyond its end), -ENOMEM (over the
 * locked-memory limit). */
int pages_pin(struct pages *p, uint64_t first, uint64_t last);

/* Drop one user of pages first..last. */
void pages_unpin(struct pages *p, uint64_t first, uint64_t last);

/* Whether the memory region behind byte off of a USER page set is still
 * the one that was pinned: 0, or -ENOENT (unmapped since) or -ESTALE
 * (remapped: other bounds or permissions); *was and *now describe it. */
int pages_region_check(struct pages *p, uint64_t off, struct iemu_vma *was,
		       struct iemu_vma *now);

/* Copy n bytes at byte off of the page set to or from buf: 0, -EFAULT
 * (the memory cannot be reached: unmapped, or its process gone and no
 * other maps it shared). */
int pages_rw(struct pages *p, uint64_t off, void *buf, uint64_t n, bool write);

/* Whether page index idx is pinned.  The caller holds the emulator's pin
 * lock (emu_pins_lock) or the page set's context lock. */
bool pages_is_pinned(const struct pages *p, uint64_t idx);

/* Hand the page set's accounting to another process (CHANGE_PROCESS). */
void pages_set_source(struct pages *p, struct iemu_proc *proc);

#endif
