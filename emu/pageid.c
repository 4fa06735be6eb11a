// SPDX-License-Identifier: MIT
/*
 * Physical page identity (see pageid.h).
 */
#include "pageid.h"

#include <errno.h>
#include <stdlib.h>

#include "emu.h"
#include "pages.h"
#include "proc.h"

/* The page behind addr, inside region v of process p. */
static void of_region(const struct iemu_proc *p, const struct iemu_vma *v, uint64_t addr,
		      struct pageid *out)
{
	if ((v->flags & IEMU_VMA_SHARED) && v->ino)
		*out = (struct pageid){ .dev = v->dev, .ino = v->ino,
					.page = (v->pgoff + addr - v->start) >> PAGE_SHIFT };
	else
		*out = (struct pageid){ .pid = (uint64_t)p->pid, .page = addr >> PAGE_SHIFT };
}

int pageid_of_user(struct iemu_proc *p, uint64_t addr, struct pageid *out)
{
	struct iemu_vma v;

	if (p->ops->vma_at(p->opaque, addr, &v) || v.start > addr)
		return -EFAULT;
	of_region(p, &v, addr, out);
	return 0;
}

/* The recorded region of a user page set holding addr, or NULL. */
static const struct iemu_vma *recorded(const struct pages *p, uint64_t addr)
{
	for (size_t i = 0; i < p->nvmas; i++)
		if (p->vmas[i].start <= addr && addr < p->vmas[i].end)
			return &p->vmas[i];
	return NULL;
}

int pageid_of_pages(const struct pages *p, uint64_t off, struct pageid *out)
{
	const struct iemu_vma *v;

	if (p->type == PAGES_FILE) {
		*out = (struct pageid){ .dev = p->dev, .ino = p->ino,
					.page = (p->start + off) >> PAGE_SHIFT };
		return 0;
	}
	v = recorded(p, p->uptr + off);
	if (!v)
		return -EFAULT;
	of_region(p->source, v, p->uptr + off, out);
	return 0;
}

/* ---- pins ---- */

/* The index of the page set's page that is id, if it has one. */
static bool index_of(const struct pages *p, const struct pageid *id, uint64_t *idx)
{
	if (p->type == PAGES_FILE) {
		if (!id->ino || id->ino != p->ino || id->dev != p->dev ||
		    id->page < p->start >> PAGE_SHIFT)
			return false;
		*idx = id->page - (p->start >> PAGE_SHIFT);
		return *idx < p->npages;
	}
	for (size_t i = 0; i < p->nvmas; i++) {
		const struct iemu_vma *v = &p->vmas[i];
		struct pageid here;
		uint64_t va;

		if (id->ino)
			va = v->start + (id->page << PAGE_SHIFT) - v->pgoff;
		else
			va = id->page << PAGE_SHIFT;
		if (va < v->start || va >= v->end || va < p->uptr ||
		    va >= p->uptr + p->npages * PAGE_SIZE)
			continue;
		of_region(p->source, v, va, &here);
		if (pageid_equal(&here, id)) {
			*idx = (va - p->uptr) >> PAGE_SHIFT;
			return true;
		}
	}
	return false;
}

struct pin_count {
	const struct pageid *id;
};

static bool pins_page(void *arg, void *owner)
{
	struct pin_count *c = arg;
	const struct pages *p = owner;
	uint64_t idx;

	return index_of(p, c->id, &idx) && pages_is_pinned(p, idx);
}

unsigned int pageid_pins(struct iemu *emu, const struct pageid *id)
{
	struct pin_count c = { .id = id };
	unsigned int n;

	/* Every page set with a pinned page owns an extent of physical memory. */
	pthread_mutex_lock(&emu->pins_lock);
	n = physmem_count_owners(&emu->phys, pins_page, &c);
	pthread_mutex_unlock(&emu->pins_lock);
	return n;
}

/* ---- other mappers ---- */

/* The region of p that maps the file page id, if any. */
static bool maps(struct iemu_proc *p, const struct pageid *id, struct iemu_vma *out)
{
	uint64_t addr = 0, off = id->page << PAGE_SHIFT;
	struct iemu_vma v;

	while (!p->ops->vma_at(p->opaque, addr, &v)) {
		if ((v.flags & IEMU_VMA_SHARED) && v.ino == id->ino && v.dev == id->dev &&
		    v.pgoff <= off && off - v.pgoff < v.end - v.start) {
			*out = v;
			return true;
		}
		if (v.end <= addr)
			break;
		addr = v.end;
	}
	return false;
}

struct iemu_proc *pageid_find_mapper(struct iemu *emu, const struct pageid *id,
				     const struct iemu_proc *not, struct iemu_vma *v)
{
	struct iemu_proc **cands, *found = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&emu->lock);
	for (struct iemu_proc *p = emu->procs; p; p = p->next)
		cap++;
	cands = calloc(cap ? cap : 1, sizeof(*cands));
	for (struct iemu_proc *p = emu->procs; cands && p; p = p->next)
		if (p != not && !atomic_load(&p->exited))
			cands[n++] = iemu_proc_get(p);
	pthread_mutex_unlock(&emu->lock);
	for (size_t i = 0; i < n; i++) {
		if (!found && maps(cands[i], id, v))
			found = iemu_proc_get(cands[i]);
		iemu_proc_put(cands[i]);
	}
	free(cands);
	return found;
}
