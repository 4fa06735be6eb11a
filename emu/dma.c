// SPDX-License-Identifier: MIT
/*
 * The DMA engine (see dma.h).  A transfer becomes a list of segments, each
 * a run of bytes inside one page set; translation holds the locks that keep
 * those page sets alive (the domain's table, or the physical memory map for
 * noiommu devices) until the bytes have moved.  Cost grows with the number
 * of mappings a transfer crosses, not with its length.
 */
#include "dma.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "check.h"
#include "ctx.h"
#include "device.h"
#include "emu.h"
#include "inject.h"
#include "ioas.h"
#include "pages.h"
#include "physmem.h"
#include "proc.h"
#include "pt.h"
#include "vfio_irq.h"

#define BOUNCE (1u << 20)

struct seg {
	struct pages *pages;
	uint64_t off;   /* byte offset in the page set */
	uint64_t len;
	uint64_t bus;   /* bus address of the first byte */
};

struct segs {
	struct seg inl[4];
	struct seg *v;
	size_t n, cap;
};

static void segs_init(struct segs *s)
{
	s->v = s->inl;
	s->n = 0;
	s->cap = sizeof(s->inl) / sizeof(s->inl[0]);
}

static void segs_free(struct segs *s)
{
	if (s->v != s->inl)
		free(s->v);
}

static int push(struct segs *s, struct seg seg)
{
	struct seg *bigger;

	if (s->n == s->cap) {
		bigger = malloc(2 * s->cap * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		memcpy(bigger, s->v, s->n * sizeof(*bigger));
		if (s->v != s->inl)
			free(s->v);
		s->v = bigger;
		s->cap *= 2;
	}
	s->v[s->n++] = seg;
	return 0;
}

/* Why a transfer was refused: the fault to record. */
struct refusal {
	enum iemu_fault_kind kind;
	uint64_t addr;
	bool write;     /* the refused side moves bytes to memory */
};

static int refuse(struct refusal *r, enum iemu_fault_kind kind, uint64_t addr, bool write)
{
	r->kind = kind;
	r->addr = addr;
	r->write = write;
	return -EFAULT;
}

/* ---- translation ---- */

/* The page set behind n bytes at physical address pa (physmem lock held):
 * the bytes available in it from pa, 0 if none backs pa. */
static uint64_t resolve_pa(struct iemu *emu, uint64_t pa, uint64_t n, struct seg *out)
{
	uint64_t off, avail;
	void *owner;

	if (!physmem_resolve_locked(&emu->phys, pa, &owner, &off, &avail))
		return 0;
	out->pages = owner;
	out->off = off;
	out->len = n < avail ? n : avail;
	return out->len;
}

static int xlate_iommu(struct iemu_device *d, struct pt *pt, uint64_t addr,
		       uint64_t len, bool write, struct segs *out, struct refusal *r)
{
	unsigned int need = write ? PT_WRITE : PT_READ;
	struct pt_xlate t;
	struct seg s = { 0 };
	int rc;

	while (len) {
		uint64_t n, got;

		if (pt_translate(pt, addr, &t))
			return refuse(r, IEMU_FAULT_UNMAPPED, addr, write);
		if (!(t.prot & need))
			return refuse(r, IEMU_FAULT_PERM, addr, write);
		n = len < t.leaf_bytes ? len : t.leaf_bytes;
		physmem_lock(&d->emu->phys);
		got = resolve_pa(d->emu, t.pa, n, &s);
		physmem_unlock(&d->emu->phys);
		if (got != n)
			return refuse(r, IEMU_FAULT_BACKING, addr, write);
		s.bus = addr;
		rc = push(out, s);
		if (rc)
			return rc;
		addr += n;
		len -= n;
	}
	return 0;
}

/* noiommu: bus addresses are physical.  The physmem lock is held. */
static int xlate_phys(struct iemu_device *d, uint64_t addr, uint64_t len, bool write,
		      struct segs *out, struct refusal *r)
{
	struct seg s = { 0 };
	int rc;

	while (len) {
		uint64_t n = resolve_pa(d->emu, addr, len, &s);

		if (!n)
			return refuse(r, IEMU_FAULT_WILD_PHYS, addr, write);
		s.bus = addr;
		rc = push(out, s);
		if (rc)
			return rc;
		addr += n;
		len -= n;
	}
	return 0;
}

/* ---- moving bytes ---- */

static int seg_io(const struct seg *s, uint64_t skip, void *buf, uint64_t n, bool write)
{
	return pages_rw(s->pages, s->off + skip, buf, n, write);
}

static int move_buf(const struct segs *s, void *buf, bool write, struct refusal *r)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < s->n; i++) {
		if (seg_io(&s->v[i], 0, p, s->v[i].len, write))
			return refuse(r, IEMU_FAULT_BACKING, s->v[i].bus, write);
		p += s->v[i].len;
	}
	return 0;
}

/* n bytes from a point in one segment to a point in another. */
static int move_pair(const struct seg *dst, uint64_t dskip, const struct seg *src,
		     uint64_t sskip, uint64_t n, void **bounce)
{
	struct iemu_proc *sp = src->pages->source, *dp = dst->pages->source;
	int rc = 0;

	if (src->pages->type == PAGES_USER && dst->pages->type == PAGES_USER &&
	    sp == dp && sp->ops->copy)
		return sp->ops->copy(sp->opaque, dst->pages->uptr + dst->off + dskip,
				     src->pages->uptr + src->off + sskip, n);
	if (!*bounce && !(*bounce = malloc(BOUNCE)))
		return -ENOMEM;
	while (n && !rc) {
		uint64_t k = n < BOUNCE ? n : BOUNCE;

		rc = seg_io(src, sskip, *bounce, k, false);
		if (!rc)
			rc = seg_io(dst, dskip, *bounce, k, true);
		sskip += k;
		dskip += k;
		n -= k;
	}
	return rc;
}

static int move_copy(const struct segs *dst, const struct segs *src, struct refusal *r)
{
	size_t i = 0, j = 0;
	uint64_t di = 0, sj = 0;
	void *bounce = NULL;
	int rc = 0;

	while (i < dst->n && j < src->n && !rc) {
		uint64_t n = dst->v[i].len - di;

		if (src->v[j].len - sj < n)
			n = src->v[j].len - sj;
		rc = move_pair(&dst->v[i], di, &src->v[j], sj, n, &bounce);
		if (rc)
			rc = refuse(r, IEMU_FAULT_BACKING, dst->v[i].bus + di, true);
		di += n;
		sj += n;
		if (di == dst->v[i].len) {
			i++;
			di = 0;
		}
		if (sj == src->v[j].len) {
			j++;
			sj = 0;
		}
	}
	free(bounce);
	return rc;
}

static void mark_dirty(struct pt *pt, const struct segs *s)
{
	for (size_t i = 0; i < s->n; i++)
		pt_mark_dirty(pt, s->v[i].bus, s->v[i].len);
}

/* A noiommu device wrote into pages another process owns: allowed, as on
 * real hardware, and worth telling. */
static void note_foreign(struct iemu_device *d, const struct segs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct iemu_proc *owner = s->v[i].pages->source;

		if (d->binder && owner != d->binder && owner->pid != d->binder->pid)
			device_fault(d, IEMU_FAULT_FOREIGN_PHYS, s->v[i].bus, s->v[i].len,
				     true, "noiommu DMA wrote %llu bytes at PA %#llx into "
				     "memory of pid %d", (unsigned long long)s->v[i].len,
				     (unsigned long long)s->v[i].bus, (int)owner->pid);
	}
}

/* ---- one transfer ---- */

enum op { OP_READ, OP_WRITE, OP_COPY };

struct xfer {
	enum op op;
	uint64_t addr;  /* destination for copies */
	uint64_t src;
	void *buf;
	uint64_t len;
};

static const char *const op_names[] = { "read", "write", "copy" };

static int run_segs(struct iemu_device *d, const struct xfer *x, struct segs *a,
		    struct segs *b, struct refusal *r)
{
	switch (x->op) {
	case OP_READ:
		return move_buf(a, x->buf, false, r);
	case OP_WRITE:
		return move_buf(a, x->buf, true, r);
	default:
		(void)d;
		return move_copy(a, b, r);
	}
}

/* Under --check: a mapping whose memory the process unmapped or remapped
 * since it was pinned.  The kernel would still move the old pinned pages,
 * which the process no longer sees (the fork/COW and munmap class of bug);
 * the emulator moves the process's current memory, and says so. */
static void check_stale(struct iemu_device *d, const struct segs *s, bool write)
{
	struct iemu_vma was, now;

	for (size_t i = 0; i < s->n; i++) {
		struct pages *p = s->v[i].pages;
		int rc;

		if (p->type != PAGES_USER)
			continue;
		rc = pages_region_check(p, s->v[i].off, &was, &now);
		if (!rc)
			continue;
		check_report(d->emu, IEMU_REPORT_STALE_PIN, p->source->pid, d->name,
			     write ? "DMA write" : "DMA read", s->v[i].bus,
			     p->uptr + s->v[i].off, s->v[i].len,
			     rc == -ENOENT ? "the memory mapped at VA 0x%llx was unmapped after "
					     "it was pinned; a kernel would DMA into the old pages" :
					     "the memory mapped at VA 0x%llx was remapped after it "
					     "was pinned; a kernel would DMA into the old pages",
			     (unsigned long long)(p->uptr + s->v[i].off));
		return;
	}
}

static void check_segs(struct iemu_device *d, const struct xfer *x, const struct segs *a,
		       const struct segs *b)
{
	if (!check_on(d->emu))
		return;
	check_stale(d, a, x->op != OP_READ);
	if (x->op == OP_COPY)
		check_stale(d, b, false);
}

static int run_iommu(struct iemu_device *d, struct pt *pt, const struct xfer *x,
		     struct refusal *r)
{
	struct segs a, b;
	int rc;

	segs_init(&a);
	segs_init(&b);
	pt_read_lock(pt);
	rc = xlate_iommu(d, pt, x->addr, x->len, x->op != OP_READ, &a, r);
	if (!rc && x->op == OP_COPY)
		rc = xlate_iommu(d, pt, x->src, x->len, false, &b, r);
	if (!rc) {
		check_segs(d, x, &a, &b);
		rc = run_segs(d, x, &a, &b, r);
	}
	if (!rc && x->op != OP_READ)
		mark_dirty(pt, &a);
	pt_read_unlock(pt);
	segs_free(&a);
	segs_free(&b);
	return rc;
}

static int run_phys(struct iemu_device *d, const struct xfer *x, struct refusal *r)
{
	struct segs a, b;
	int rc;

	segs_init(&a);
	segs_init(&b);
	physmem_lock(&d->emu->phys);
	rc = xlate_phys(d, x->addr, x->len, x->op != OP_READ, &a, r);
	if (!rc && x->op == OP_COPY)
		rc = xlate_phys(d, x->src, x->len, false, &b, r);
	if (!rc) {
		check_segs(d, x, &a, &b);
		rc = run_segs(d, x, &a, &b, r);
	}
	physmem_unlock(&d->emu->phys);
	if (!rc && x->op != OP_READ)
		note_foreign(d, &a);
	segs_free(&a);
	segs_free(&b);
	return rc;
}

static int access_errno_fault(int rc, struct refusal *r, uint64_t addr, bool write)
{
	if (rc == -EPERM)
		return refuse(r, IEMU_FAULT_PERM, addr, write);
	if (rc == -ENOENT || rc == -EINVAL || rc == -EOVERFLOW)
		return refuse(r, IEMU_FAULT_UNMAPPED, addr, write);
	return refuse(r, IEMU_FAULT_BACKING, addr, write);
}

/* How many of the n bytes at off of a page set have memory behind them
 * to copy (an access copies without pinning): the process maps them with
 * the permission, the file is that long.  Memory of a process that has
 * exited is left to the copy itself. */
static uint64_t backing_there(struct pages *p, uint64_t off, uint64_t n, bool write)
{
	uint64_t start = p->uptr + off, addr = start, end = start + n;
	struct stat st;

	if (p->type == PAGES_FILE) {
		if (fstat(p->fd, &st) || p->start + off >= (uint64_t)st.st_size)
			return 0;
		return (uint64_t)st.st_size - (p->start + off) < n ?
			       (uint64_t)st.st_size - (p->start + off) : n;
	}
	if (atomic_load(&p->source->exited))
		return n;
	while (addr < end) {
		struct iemu_vma v;

		if (p->source->ops->vma_at(p->source->opaque, addr, &v) || v.start > addr ||
		    !(v.flags & (write ? IEMU_VMA_WRITE : IEMU_VMA_READ)))
			return addr - start;
		addr = v.end;
	}
	return n;
}

/* What access_rw would refuse in [iova, iova+len), found without moving a
 * byte (access_rw stops at the first bad area, after writing the ones
 * before it): 0 or a refusal at the first bad byte.  The caller holds the
 * context's lock, so that the answer stays true for the copy. */
static int access_check(struct access *acc, uint64_t iova, uint64_t len, bool write,
			struct refusal *r)
{
	unsigned int need = write ? PT_WRITE : PT_READ;
	uint64_t last, n, there;
	struct iopt_contig c;
	struct area *a;

	if (!acc->ioas)
		return access_errno_fault(-ENOENT, r, iova, write);
	if (__builtin_add_overflow(iova, len - 1, &last))
		return access_errno_fault(-EOVERFLOW, r, iova, write);
	for (a = iopt_contig_first(&c, &acc->ioas->iopt, iova, last); a;
	     a = iopt_contig_next(&c)) {
		if (a->prevent_access)
			return access_errno_fault(-EINVAL, r, c.cur, write);
		if (!(a->prot & need))
			return access_errno_fault(-EPERM, r, c.cur, write);
		n = iopt_contig_last(&c) - c.cur + 1;
		there = backing_there(a->pages, area_byte(a, c.cur), n, write);
		if (there < n)
			return refuse(r, IEMU_FAULT_BACKING, c.cur + there, write);
	}
	return c.done ? 0 : access_errno_fault(-ENOENT, r, c.cur, write);
}

/* An emulated device: through its access, checked whole first so that a
 * refused transfer changes nothing, as with a domain. */
static int run_access(struct access *acc, const struct xfer *x, struct refusal *r)
{
	void *bounce = NULL;
	int rc;

	pthread_mutex_lock(&acc->ctx->lock);
	rc = access_check(acc, x->addr, x->len, x->op != OP_READ, r);
	if (!rc && x->op == OP_COPY)
		rc = access_check(acc, x->src, x->len, false, r);
	if (rc)
		goto out;
	if (x->op != OP_COPY) {
		rc = access_rw(acc, x->addr, x->buf, x->len, x->op == OP_WRITE);
		if (rc)
			rc = access_errno_fault(rc, r, x->addr, x->op == OP_WRITE);
		goto out;
	}
	bounce = malloc(x->len);
	if (!bounce) {
		rc = -ENOMEM;
		goto out;
	}
	rc = access_rw(acc, x->src, bounce, x->len, false);
	if (rc)
		rc = access_errno_fault(rc, r, x->src, false);
	else if ((rc = access_rw(acc, x->addr, bounce, x->len, true)))
		rc = access_errno_fault(rc, r, x->addr, true);
out:
	pthread_mutex_unlock(&acc->ctx->lock);
	free(bounce);
	return rc;
}

static const char *const why[] = {
	[IEMU_FAULT_UNMAPPED] = "not mapped",
	[IEMU_FAULT_PERM] = "mapping does not permit it",
	[IEMU_FAULT_BLOCKED] = "no domain attached, DMA blocked",
	[IEMU_FAULT_NO_MASTER] = "bus mastering is off",
	[IEMU_FAULT_WILD_PHYS] = "no memory at that physical address",
	[IEMU_FAULT_BACKING] = "the memory behind the mapping is gone",
	[IEMU_FAULT_INJECTED] = "failed by a fault injection rule",
};

static void record(struct iemu_device *d, const struct xfer *x, const struct refusal *r)
{
	device_fault(d, r->kind, r->addr, x->len, r->write, "DMA %s of %llu bytes: %#llx: %s",
		     op_names[x->op], (unsigned long long)x->len,
		     (unsigned long long)r->addr, why[r->kind]);
}

static int transfer(struct iemu_device *d, const struct xfer *x)
{
	struct refusal r = { 0 };
	int rc;

	if (!x->len)
		return 0;
	rc = inject_dma(d->emu, d->name, d->binder ? d->binder->pid : 0);
	if (rc == IEMU_INJECT_DMA_DROP) {
		check_report(d->emu, IEMU_REPORT_INJECTED, d->binder ? d->binder->pid : 0, d->name,
			     op_names[x->op], x->addr, 0, x->len,
			     "injected: DMA %s of %llu bytes lost, the device believes it done",
			     op_names[x->op], (unsigned long long)x->len);
		return 0;
	}
	if (rc == IEMU_INJECT_DMA_ERROR)
		rc = refuse(&r, IEMU_FAULT_INJECTED, x->addr, x->op != OP_READ);
	else if (!pcifn_bus_master(d->fn))
		rc = refuse(&r, IEMU_FAULT_NO_MASTER, x->op == OP_COPY ? x->src : x->addr,
			    x->op == OP_WRITE);
	else {
		pthread_rwlock_rdlock(&d->dma_lock);
		if (d->dma_access)
			rc = run_access(d->dma_access, x, &r);
		else if (device_is_noiommu(d))
			rc = run_phys(d, x, &r);
		else if (d->dma_pt)
			rc = run_iommu(d, d->dma_pt, x, &r);
		else
			rc = refuse(&r, IEMU_FAULT_BLOCKED, x->op == OP_COPY ? x->src : x->addr,
				    x->op == OP_WRITE);
		pthread_rwlock_unlock(&d->dma_lock);
	}
	if (rc == -EFAULT) {
		record(d, x, &r);
		return -EFAULT;
	}
	if (rc)
		return rc;
	atomic_fetch_add(&d->dma_bytes, x->op == OP_COPY ? 2 * x->len : x->len);
	return 0;
}

int dma_rw(void *opaque, uint64_t addr, void *buf, uint64_t len, bool write)
{
	struct xfer x = { .op = write ? OP_WRITE : OP_READ, .addr = addr, .buf = buf,
			  .len = len };

	return transfer(opaque, &x);
}

int dma_copy(void *opaque, uint64_t dst, uint64_t src, uint64_t len)
{
	struct xfer x = { .op = OP_COPY, .addr = dst, .src = src, .len = len };

	return transfer(opaque, &x);
}

void dma_device_error(void *opaque, const char *what)
{
	struct iemu_device *d = opaque;

	device_fault(d, IEMU_FAULT_DEVICE, 0, 0, false, "%s", what);
	/* Userspace hears of device errors through the error eventfd. */
	vfio_irq_error(d);
}
