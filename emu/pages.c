// SPDX-License-Identifier: MIT
/*
 * Page sets (see pages.h).  A pin first checks the pages no user held yet,
 * then charges them, then records them: an unusable range fails with EFAULT
 * before any limit is consulted, as pin_user_pages fails before the kernel's
 * accounting runs.
 */
#include "pages.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cover.h"
#include "emu.h"
#include "pageid.h"
#include "proc.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

static int pages_new(struct iemu_proc *caller, uint64_t start_byte,
		     uint64_t length, bool writable, struct pages **out)
{
	struct pages *p;

	/* The kernel's size_t lengths stop one page short of the top. */
	if (length > UINT64_MAX - PAGE_SIZE || length == 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->refs = 1;
	p->fd = -1;
	p->npages = (length + start_byte + PAGE_SIZE - 1) / PAGE_SIZE;
	p->writable = writable;
	p->account = proc_capable(caller, IEMU_CAP_IPC_LOCK) ? ACCOUNT_NONE :
								ACCOUNT_USER;
	p->source = iemu_proc_get(caller);
	imap_init(&p->pinned);
	*out = p;
	return 0;
}

int pages_alloc_user(struct iemu_proc *caller, uint64_t uptr, uint64_t length,
		     bool writable, struct pages **out, uint64_t *start_byte)
{
	uint64_t down = uptr & ~(PAGE_SIZE - 1);
	int rc;

	if (uptr + length < uptr)
		return -EOVERFLOW;
	rc = pages_new(caller, uptr - down, length, writable, out);
	if (rc)
		return rc;
	(*out)->type = PAGES_USER;
	(*out)->uptr = down;
	*start_byte = uptr - down;
	return 0;
}

int pages_alloc_file(struct iemu_proc *caller, int fd, uint64_t start,
		     uint64_t length, bool writable, struct pages **out,
		     uint64_t *start_byte)
{
	uint64_t down = start & ~(PAGE_SIZE - 1);
	int rc = pages_new(caller, start - down, length, writable, out);
	struct statfs sfs;
	struct stat st;

	if (rc)
		return rc;

	(*out)->type = PAGES_FILE;
	(*out)->fd = fd;
	(*out)->start = down;
	if (!fstat(fd, &st)) {
		(*out)->dev = st.st_dev;
		(*out)->ino = st.st_ino;
	}
	/* A file's filesystem never changes: asked once, not at each pin or
	 * access. */
	(*out)->shmem = !fstatfs(fd, &sfs) &&
			(sfs.f_type == TMPFS_MAGIC ||
			 sfs.f_type == (typeof(sfs.f_type))HUGETLBFS_MAGIC);
	*start_byte = start - down;
	return 0;
}

void pages_get(struct pages *p)
{
	p->refs++;
}

void pages_put(struct pages *p)
{
	if (--p->refs)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->vmas);
	imap_destroy(&p->pinned);
	iemu_proc_put(p->source);
	free(p);
}

/* What check_vma_flags() lets a FOLL_LONGTERM pin through. */
static int vma_pinnable(const struct iemu_vma *v, bool write)
{
	if (v->kind == IEMU_VMA_IO)
		return -EFAULT;
	if (write) {
		if (v->kind == IEMU_VMA_FILE && (v->flags & IEMU_VMA_SHARED))
			return -EFAULT;
		if (!(v->flags & IEMU_VMA_WRITE))
			return -EFAULT;
	} else if (!(v->flags & IEMU_VMA_READ)) {
		return -EFAULT;
	}
	return 0;
}

/* Remember a region the pins went through (each once). */

static void remember_locked(struct pages *p, const struct iemu_vma *v)
{
	struct iemu_vma *bigger;

	for (size_t i = 0; i < p->nvmas; i++)
		if (p->vmas[i].start == v->start)
			return;
	if (p->nvmas == p->vmas_cap) {
		size_t cap = p->vmas_cap ? 2 * p->vmas_cap : 2;

		bigger = realloc(p->vmas, cap * sizeof(*bigger));
		if (!bigger)
			return; /* only the checks miss it */
		p->vmas = bigger;
		p->vmas_cap = cap;
	}
	p->vmas[p->nvmas++] = *v;
}

static void remember(struct pages *p, const struct iemu_vma *v)
{
	pthread_mutex_t *lock = &p->source->emu->pins_lock;

	pthread_mutex_lock(lock);
	remember_locked(p, v);
	pthread_mutex_unlock(lock);
}

static int check_user(void *arg, uint64_t first, uint64_t last)
{
	struct pages *p = arg;
	uint64_t addr = p->uptr + first * PAGE_SIZE;
	uint64_t end = p->uptr + (last + 1) * PAGE_SIZE;
	struct iemu_vma v;
	int rc;

	while (addr < end) {
		rc = p->source->ops->vma_at(p->source->opaque, addr, &v);
		if (rc || v.start > addr)
			return -EFAULT;
		rc = vma_pinnable(&v, p->writable);
		if (rc)
			return rc;
		remember(p, &v);
		addr = v.end;
	}
	return 0;
}

/* What memfd_pin_folios() accepts: shmem or hugetlbfs, with byte end (a
 * file offset) inside the file. */
static int file_reachable(const struct pages *p, uint64_t end)
{
	struct stat st;

	if (!p->shmem || fstat(p->fd, &st) || end >= (uint64_t)st.st_size)
		return -EINVAL;
	return 0;
}

static int check_file(void *arg, uint64_t first, uint64_t last)
{
	struct pages *p = arg;

	(void)first;
	return file_reachable(p, p->start + (last + 1) * PAGE_SIZE - 1);
}

int pages_pin(struct pages *p, uint64_t first, uint64_t last)
{
	struct iemu *emu = p->source->emu;
	uint64_t fresh;
	bool new_phys = false;
	int rc;

	if (p->type == PAGES_USER) {
		if (atomic_load(&p->source->exited))
			return -EFAULT;
		rc = cover_for_each_uncovered(&p->pinned, first, last,
					      check_user, p);
	} else {
		rc = cover_for_each_uncovered(&p->pinned, first, last,
					      check_file, p);
	}
	if (rc)
		return rc;

	fresh = cover_uncovered(&p->pinned, first, last);
	/* A fault injection limit on all pins, checked as RLIMIT_MEMLOCK is. */
	if (fresh && atomic_load(&emu->pinned) + fresh > inject_pin_limit(emu))
		return -ENOMEM;
	if (!p->npinned && fresh) {
		rc = physmem_alloc(&emu->phys, p->npages * PAGE_SIZE, p, &p->phys);
		if (rc)
			return rc == -ENOSPC ? -ENOMEM : rc;
		new_phys = true;
	}
	rc = account_charge(p->source, p->account, fresh);
	if (rc) {
		if (new_phys)
			physmem_free(&emu->phys, p->phys);
		return rc;
	}
	pthread_mutex_lock(&emu->pins_lock);
	cover_add(&p->pinned, first, last);
	p->npinned += fresh;
	pthread_mutex_unlock(&emu->pins_lock);
	atomic_fetch_add(&emu->pinned, fresh);
	return 0;
}

void pages_unpin(struct pages *p, uint64_t first, uint64_t last)
{
	pthread_mutex_t *lock = &p->source->emu->pins_lock;
	uint64_t freed;

	pthread_mutex_lock(lock);
	freed = cover_sub(&p->pinned, first, last);
	pthread_mutex_unlock(lock);

	account_uncharge(p->source, p->account, freed);
	p->npinned -= freed;
	atomic_fetch_sub(&p->source->emu->pinned, freed);
	if (!p->npinned && freed)
		physmem_free(&p->source->emu->phys, p->phys);
}

int pages_region_check(struct pages *p, uint64_t off, struct iemu_vma *was,
		       struct iemu_vma *now)
{
	uint64_t addr = p->uptr + off;
	size_t i;

	for (i = 0; i < p->nvmas; i++)
		if (p->vmas[i].start <= addr && addr < p->vmas[i].end)
			break;
	if (i == p->nvmas)
		return 0; /* not pinned through a known region: nothing to compare */
	*was = p->vmas[i];
	if (p->source->ops->vma_at(p->source->opaque, addr, now) || now->start > addr)
		return -ENOENT;
	if (now->start != was->start || now->end != was->end || now->flags != was->flags ||
	    now->kind != was->kind)
		return -ESTALE;
	return 0;
}

void pages_set_source(struct pages *p, struct iemu_proc *proc)
{
	pthread_mutex_t *lock = &proc->emu->pins_lock;
	struct iemu_proc *old;

	pthread_mutex_lock(lock);
	old = p->source;
	p->source = iemu_proc_get(proc);
	pthread_mutex_unlock(lock);
	iemu_proc_put(old);
}

bool pages_is_pinned(const struct pages *p, uint64_t idx)
{
	struct imap_entry e;

	return imap_find(&p->pinned, idx, &e);
}

static int file_rw(struct pages *p, uint64_t off, void *buf, uint64_t n, bool write)
{
	ssize_t done;

	/* An access reaches file pages through memfd_pin_folios too: EINVAL
	 * past the end of the file (a write there must not grow the caller's
	 * file) and for a file that is not shmem or hugetlbfs. */
	if (!n)
		return 0;
	if (file_reachable(p, p->start + off + n - 1))
		return -EINVAL;
	done = write ? pwrite(p->fd, buf, n, (off_t)(p->start + off)) :
		       pread(p->fd, buf, n, (off_t)(p->start + off));
	return done == (ssize_t)n ? 0 : -EFAULT;
}

static int proc_rw(struct iemu_proc *proc, uint64_t addr, void *buf, uint64_t n, bool write)
{
	return write ? proc_write(proc, addr, buf, n) : proc_read(proc, addr, buf, n);
}

/* The process that pinned shared memory is gone, but the memory lives on
 * while another process maps it (as the kernel's pinned pages would):
 * reach it there, a region at a time. */
static int shared_rw(struct pages *p, uint64_t off, uint8_t *buf, uint64_t n, bool write)
{
	while (n) {
		struct iemu_proc *other;
		struct iemu_vma v;
		struct pageid id;
		uint64_t va, chunk;
		int rc;

		if (pageid_of_pages(p, off, &id) || !id.ino)
			return -EFAULT;
		other = pageid_find_mapper(p->source->emu, &id, p->source, &v);
		if (!other)
			return -EFAULT;
		va = v.start + (id.page << PAGE_SHIFT) - v.pgoff + (p->uptr + off) % PAGE_SIZE;
		chunk = v.end - va < n ? v.end - va : n;
		rc = proc_rw(other, va, buf, chunk, write);
		iemu_proc_put(other);
		if (rc)
			return rc;
		off += chunk;
		buf += chunk;
		n -= chunk;
	}
	return 0;
}

int pages_rw(struct pages *p, uint64_t off, void *buf, uint64_t n, bool write)
{
	if (p->type == PAGES_FILE)
		return file_rw(p, off, buf, n, write);
	if (!atomic_load(&p->source->exited) &&
	    !proc_rw(p->source, p->uptr + off, buf, n, write))
		return 0;
	return shared_rw(p, off, buf, n, write);
}
