// SPDX-License-Identifier: MIT
/*
 * The fuzz targets' shared set-up and invariant checks (see harness.h).
 *
 * The checks recompute, from the objects themselves, what the emulator
 * keeps as counters and summaries: users counts from the holders, domain
 * leaves from the areas, reserved ranges from apertures and attached
 * devices, pinned pages from pinned areas and access pins, charges from
 * pinned pages.  They read internal structures with no locks: the targets
 * are single-threaded and never start device work on the models' threads.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "ctx.h"
#include "device.h"
#include "emu.h"
#include "hwpt.h"
#include "idev.h"
#include "ioas.h"
#include "iommu_model.h"
#include "irqfd.h"
#include "obj.h"
#include "pages.h"
#include "physmem.h"
#include "proc.h"
#include "pt.h"
#include "selftest.h"
#include "eventq.h"
#include "viommu.h"

struct iemu *H_EMU;
struct iemu_device *H_DEV[NDEVS];
struct iemu_ctx *H_CTX[NCTX];
struct iemu_proc *H_PROC[NPROCS];
struct h_pin h_pins[H_MAX_PINS];
unsigned int h_npins;
struct access *h_accesses[H_MAX_ACCESSES];
bool h_pins_tracked;
bool h_pinned_vm_drift;

static uint8_t *arena;
static int real_memfd = -1, real_null = -1;
static int real_event[N_EVENTFDS];
static int fd_probe0;
static uint32_t memory_limit0;

void h_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n*** iommufd-emu invariant broken: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* ---- the arena ---- */

struct region {
	uint32_t first, n;
	unsigned int flags;
	enum iemu_vma_kind kind;
};

#define R IEMU_VMA_READ
#define W IEMU_VMA_WRITE
#define S IEMU_VMA_SHARED
static const struct region regions[] = {
	{ AR_RW_FIRST, AR_RW_PAGES, R | W, IEMU_VMA_ANON },
	{ AR_RO_FIRST, AR_RO_PAGES, R, IEMU_VMA_ANON },
	/* AR_HOLE: nothing */
	{ AR_IO_FIRST, AR_IO_PAGES, R | W | S, IEMU_VMA_IO },
	{ AR_FILE_FIRST, AR_FILE_PAGES, R | W | S, IEMU_VMA_FILE },
	{ AR_SHM_FIRST, AR_SHM_PAGES, R | W | S, IEMU_VMA_SHMEM },
	{ AR_SCRATCH_FIRST, AR_SCRATCH_PAGES, R | W, IEMU_VMA_ANON },
};
#undef R
#undef W
#undef S
#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

static uint64_t region_start(const struct region *r)
{
	return ARENA_VA(r->first);
}

static uint64_t region_end(const struct region *r)
{
	return ARENA_VA(r->first + r->n);
}

void *arena_ptr(uint64_t va)
{
	if (va < ARENA_BASE || va >= ARENA_BASE + ARENA_SIZE)
		h_fail("arena_ptr(%#llx) outside the arena", (unsigned long long)va);
	return arena + (va - ARENA_BASE);
}

/* Pages of the arena written since the input began: put back to zeros
 * before the next, so that an input's data never depends on the inputs
 * before it (a finding then replays alone). */
static uint64_t arena_dirty[ARENA_PAGES / 64];

static void arena_written(uint64_t va, size_t len)
{
	for (uint64_t pg = (va - ARENA_BASE) / HPG; pg <= (va - ARENA_BASE + len - 1) / HPG; pg++)
		arena_dirty[pg / 64] |= 1ULL << (pg % 64);
}

static void arena_clean(void)
{
	for (unsigned int w = 0; w < ARENA_PAGES / 64; w++)
		for (uint64_t bits = arena_dirty[w]; bits; bits &= bits - 1)
			memset(arena + (w * 64 + (unsigned int)__builtin_ctzll(bits)) * HPG, 0, HPG);
	memset(arena_dirty, 0, sizeof(arena_dirty));
}

void arena_put(uint64_t va, const void *src, size_t len)
{
	if (!len)
		return;
	memcpy(arena_ptr(va), src, len);
	arena_written(va, len);
}

void arena_get(uint64_t va, void *dst, size_t len)
{
	if (len)
		memcpy(dst, arena_ptr(va), len);
}

bool arena_accessible(uint64_t va, uint64_t len, bool write)
{
	unsigned int need = write ? IEMU_VMA_WRITE : IEMU_VMA_READ;
	uint64_t end;

	if (!len)
		return true;
	if (__builtin_add_overflow(va, len, &end))
		return false;
	for (size_t i = 0; i < NREGIONS && va < end; i++) {
		const struct region *r = &regions[i];

		if (va < region_start(r))
			return false;
		if (va >= region_end(r))
			continue;
		if (!(r->flags & need))
			return false;
		va = region_end(r);
	}
	return va >= end;
}

static int ar_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	(void)opaque;
	if (!arena_accessible(addr, len, false))
		return -EFAULT;
	memcpy(buf, arena + (addr - ARENA_BASE), len);
	return 0;
}

static int ar_write(void *opaque, uint64_t addr, const void *buf, size_t len)
{
	(void)opaque;
	if (!arena_accessible(addr, len, true))
		return -EFAULT;
	memcpy(arena + (addr - ARENA_BASE), buf, len);
	if (len)
		arena_written(addr, len);
	return 0;
}

static int ar_copy(void *opaque, uint64_t dst, uint64_t src, size_t len)
{
	(void)opaque;
	if (!arena_accessible(src, len, false) || !arena_accessible(dst, len, true))
		return -EFAULT;
	memmove(arena + (dst - ARENA_BASE), arena + (src - ARENA_BASE), len);
	if (len)
		arena_written(dst, len);
	return 0;
}

static int ar_vma_at(void *opaque, uint64_t addr, struct iemu_vma *out)
{
	(void)opaque;
	for (size_t i = 0; i < NREGIONS; i++) {
		if (addr < region_end(&regions[i])) {
			*out = (struct iemu_vma){ .start = region_start(&regions[i]),
						  .end = region_end(&regions[i]),
						  .flags = regions[i].flags,
						  .kind = regions[i].kind };
			return 0;
		}
	}
	return -ENOENT;
}

/* Whether the emulator got one of our eventfds this input (then it may
 * have signalled it). */
static bool eventfds_given;
/* The emulator holds a copy of the memfd (only then can it resize it). */
static bool memfd_given;

static int ar_dup_fd(void *opaque, int fd)
{
	int real = -1, copy;

	(void)opaque;
	if (fd == FD_MEMFD)
		real = real_memfd, memfd_given = true;
	else if (fd >= FD_EVENT0 && fd < FD_EVENT0 + N_EVENTFDS)
		real = real_event[fd - FD_EVENT0], eventfds_given = true;
	else if (fd == FD_NULL)
		real = real_null;
	if (real < 0)
		return -EBADF;
	copy = fcntl(real, F_DUPFD_CLOEXEC, 0);
	return copy < 0 ? -EBADF : copy;
}

static uint64_t ar_memlock(void *opaque)
{
	(void)opaque;
	return UINT64_MAX;
}

static uint64_t ar_mlocked(void *opaque)
{
	(void)opaque;
	return 0;
}

static const struct iemu_proc_ops arena_ops = {
	.read = ar_read,
	.write = ar_write,
	.vma_at = ar_vma_at,
	.dup_fd = ar_dup_fd,
	.memlock_limit = ar_memlock,
	.mlocked_pages = ar_mlocked,
	.copy = ar_copy,
};

/* ---- set-up ---- */

static int resolve(void *opaque, struct iemu_proc *caller, int fd, struct iemu_ctx **out)
{
	(void)opaque;
	(void)caller;
	if (fd >= FD_CTX0 && fd < FD_CTX0 + NCTX && H_CTX[fd - FD_CTX0]) {
		*out = iemu_ctx_get(H_CTX[fd - FD_CTX0]);
		return 0;
	}
	if (fd == FD_MEMFD || fd == FD_NULL || (fd >= FD_EVENT0 && fd < FD_EVENT0 + N_EVENTFDS))
		return -EBADFD;
	return -EBADF;
}

static const char *const specs[NDEVS] = {
	[DEV_DMATEST] = "dmatest,queues=2",
	[DEV_EDU] = "edu,dma_delay=0",
	[DEV_EMULATED] = "dmatest,queues=1,emulated",
	[DEV_SWPT] = "edu,noiommu=swpt,dma_delay=0",
	[DEV_REFUSE] = "edu,noiommu,dma_delay=0",
	[DEV_NOOP] = "edu,noiommu=noop-attach,dma_delay=0",
};

static void noop_handler(void *arg)
{
	(void)arg;
}

static int lowest_free_fd(void)
{
	int fd = fcntl(real_null, F_DUPFD, 0);

	if (fd < 0)
		h_fail("fcntl: %s", strerror(errno));
	close(fd);
	return fd;
}

void harness_init(void)
{
	static const struct {
		pid_t pid;
		uid_t uid;
		uint64_t caps;
		uint64_t memlock;
	} procs[NPROCS] = {
		{ 100, 1000, 1ULL << IEMU_CAP_SYS_RAWIO | 1ULL << IEMU_CAP_SYS_RESOURCE, 256 * HPG },
		{ 101, 1001, 0, 48 * HPG },
		{ 102, 1000, 1ULL << IEMU_CAP_IPC_LOCK | 1ULL << IEMU_CAP_SYS_RAWIO, UINT64_MAX },
	};
	struct irqfd *w;
	char err[256];
	int rc;

	if (H_EMU)
		return;
	arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (arena == MAP_FAILED)
		h_fail("mmap of the arena failed");
	real_memfd = memfd_create("iemu-fuzz", MFD_CLOEXEC);
	if (real_memfd < 0 || ftruncate(real_memfd, MEMFD_SIZE))
		h_fail("memfd: %s", strerror(errno));
	for (int i = 0; i < N_EVENTFDS; i++) {
		real_event[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (real_event[i] < 0)
			h_fail("eventfd: %s", strerror(errno));
	}
	real_null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (real_null < 0)
		h_fail("/dev/null: %s", strerror(errno));

	/* With the selftest's mock IOMMU: the only model with nesting,
	 * vIOMMUs, HW queues and vEVENTQs. */
	rc = iemu_create(&(struct iemu_config){ .selftest_mock = true }, &H_EMU);
	if (rc)
		h_fail("iemu_create: %d", rc);
	for (int i = 0; i < NPROCS; i++) {
		struct iemu_proc_desc desc = { .pid = procs[i].pid, .uid = procs[i].uid,
					       .caps = procs[i].caps, .ops = &arena_ops };

		rc = iemu_proc_create(H_EMU, &desc, &H_PROC[i]);
		if (rc)
			h_fail("iemu_proc_create: %d", rc);
		iemu_proc_set_memlock(H_PROC[i], procs[i].memlock);
	}
	iemu_set_fd_resolver(H_EMU, resolve, NULL);
	for (int i = 0; i < NDEVS; i++) {
		rc = iemu_device_add(H_EMU, specs[i], &H_DEV[i], err, sizeof(err));
		if (rc)
			h_fail("%s: %s", specs[i], err);
	}
	/* Start the emulator's eventfd poller now, so that its fds are there
	 * before the first probe. */
	rc = irqfd_add(H_EMU, eventfd(0, EFD_CLOEXEC), noop_handler, NULL, &w);
	if (rc)
		h_fail("irqfd_add: %d", rc);
	irqfd_remove(w);
	memory_limit0 = H_EMU->selftest_memory_limit;
}

void harness_begin_input(void)
{
	fd_probe0 = lowest_free_fd();
	arena_clean();
}

int harness_memfd(void)
{
	return real_memfd;
}

bool harness_is_memfd(uint64_t dev, uint64_t ino)
{
	static struct stat st;

	if (!st.st_ino && fstat(real_memfd, &st))
		h_fail("fstat of the memfd: %s", strerror(errno));
	return dev == (uint64_t)st.st_dev && ino == (uint64_t)st.st_ino;
}

static unsigned int devices_used;

void harness_device_used(int dev)
{
	devices_used |= 1u << dev;
}

void harness_reset_devices(void)
{
	for (int i = 0; i < NDEVS; i++) {
		if (!(devices_used & (1u << i)))
			continue;
		pcifn_set_intx(H_DEV[i]->fn, false);
		pcifn_reset(H_DEV[i]->fn);
	}
	devices_used = 0;
}

void harness_drain_eventfds(void)
{
	eventfd_t v;

	if (!eventfds_given)
		return;
	eventfds_given = false;
	for (int i = 0; i < N_EVENTFDS; i++)
		while (eventfd_read(real_event[i], &v) == 0)
			;
}

/* ---- checks of one context ---- */

/* One past the highest id in use: the slot loops stop there (a context
 * has a few objects in a table of at least 64 slots, and the checks run
 * after every operation). */
size_t slot_end(const struct iemu_ctx *ctx)
{
	size_t words = (ctx->nslots + 63) / 64;

	if (words > ctx->ids.nwords)
		words = ctx->ids.nwords;
	while (words && !ctx->ids.used[words - 1])
		words--;
	if (!words)
		return 0;
	words = (words - 1) * 64 + 64 - (size_t)__builtin_clzll(ctx->ids.used[words - 1]);
	return words < ctx->nslots ? words : ctx->nslots;
}

int ctx_for_each_area(struct iemu_ctx *ctx, int (*fn)(void *arg, struct area *a), void *arg)
{
	for (size_t id = 1, end = slot_end(ctx); id < end; id++) {
		struct obj *o = ctx->slots[id];
		int rc;

		if (!o || o->type != OBJ_IOAS)
			continue;
		rc = iopt_for_each_area(&((struct ioas *)o)->iopt, fn, arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* An access whose pins the harness cannot list (a HW queue's internal
 * access, the selftest's CREATE_ACCESS): the pins live in access.c.  While
 * one pins pages, pin counts are checked against the page sets' own
 * covers only, not against their holders. */
static bool harness_access(const struct access *a);

static bool foreign_pins_on(const struct ioas *ioas)
{
	for (const struct access *a = ioas->accesses; a; a = a->next)
		if (a->pins && !harness_access(a))
			return true;
	return false;
}

static bool any_foreign_pins(void)
{
	for (struct iemu_ctx *c = H_EMU->ctxs; c; c = c->next)
		for (size_t id = 1, end = slot_end(c); id < end; id++) {
			struct obj *o = c->slots[id];

			if (o && o->type == OBJ_IOAS && foreign_pins_on((struct ioas *)o))
				return true;
		}
	return false;
}

static struct iemu_device *device_of_idev(const struct idev *idev)
{
	for (int i = 0; i < NDEVS; i++)
		if (H_DEV[i]->idev == idev)
			return H_DEV[i];
	return NULL;
}

static struct iemu_device *device_of_access(const struct access *a)
{
	for (int i = 0; i < NDEVS; i++)
		if (H_DEV[i]->access == a)
			return H_DEV[i];
	return NULL;
}

static bool harness_access(const struct access *a)
{
	for (unsigned int i = 0; i < H_MAX_ACCESSES; i++)
		if (h_accesses[i] == a)
			return true;
	return false;
}

static uint64_t expected_alignment(const struct iopt *iopt)
{
	uint64_t align = iopt->disable_large_pages || iopt->page_accesses ? PAGE_SIZE : 1;

	for (size_t i = 0; i < iopt->ndomains; i++)
		if (pt_min_page(iopt->domains[i]) > align)
			align = pt_min_page(iopt->domains[i]);
	return align;
}

/* How many of the harness's pins touch area a. */
static unsigned int pins_on_area(const struct ioas *ioas, const struct area *a)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < h_npins; i++) {
		const struct h_pin *p = &h_pins[i];
		uint64_t last = p->iova + p->length - 1;

		if (p->ioas == ioas && p->iova <= a->last && last >= a->iova)
			n++;
	}
	return n;
}

static void check_areas(struct ioas *ioas)
{
	bool foreign = foreign_pins_on(ioas);
	struct iopt *iopt = &ioas->iopt;
	uint64_t bytes = 0, align = iopt->iova_alignment;
	struct imap_iter it;
	struct imap_entry e;

	for (bool ok = imap_iter_first(&iopt->areas, 0, UINT64_MAX, &it, &e); ok;
	     ok = imap_iter_next(&it, &e)) {
		struct area *a = (struct area *)(uintptr_t)e.val;
		uint64_t len = a->last - a->iova + 1;

		H_CHECK(a && a->iova == e.start && a->last == e.last,
			"IOAS %u: area at %#llx does not match its map entry", ioas->obj.id,
			(unsigned long long)e.start);
		H_CHECK(a->pages && a->pages->refs > 0, "IOAS %u: area %#llx without pages",
			ioas->obj.id, (unsigned long long)a->iova);
		H_CHECK(a->start_byte + len <= a->pages->npages * PAGE_SIZE &&
				a->start_byte + len > a->start_byte,
			"IOAS %u: area %#llx-%#llx runs past its page set (%llu pages, byte %#llx)",
			ioas->obj.id, (unsigned long long)a->iova, (unsigned long long)a->last,
			(unsigned long long)a->pages->npages, (unsigned long long)a->start_byte);
		/* VFIO_IOMMU_MAP_DMA takes flags 0: such an area cannot be in a domain. */
		H_CHECK(!(a->prot & ~(PT_READ | PT_WRITE)) && (a->prot || !iopt->ndomains),
			"IOAS %u: area %#llx with prot %#x in %zu domains", ioas->obj.id,
			(unsigned long long)a->iova, a->prot, iopt->ndomains);
		H_CHECK(!(a->prot & PT_WRITE) || a->pages->writable,
			"IOAS %u: writable area %#llx over read-only pages", ioas->obj.id,
			(unsigned long long)a->iova);
		H_CHECK(!(a->iova & (align - 1)) && !(len & (align - 1)) &&
				!((a->start_byte % PAGE_SIZE) & (align - 1)),
			"IOAS %u: area %#llx+%#llx (byte %#llx) breaks the IOVA alignment %#llx",
			ioas->obj.id, (unsigned long long)a->iova, (unsigned long long)len,
			(unsigned long long)a->start_byte, (unsigned long long)align);
		H_CHECK(a->pinned == (iopt->ndomains > 0),
			"IOAS %u: area %#llx pinned=%d with %zu domains", ioas->obj.id,
			(unsigned long long)a->iova, a->pinned, iopt->ndomains);
		for (size_t i = 0; i < iopt->nresv; i++)
			H_CHECK(iopt->resv[i].last < a->iova || iopt->resv[i].start > a->last,
				"IOAS %u: area %#llx-%#llx overlaps reserved %#llx-%#llx",
				ioas->obj.id, (unsigned long long)a->iova,
				(unsigned long long)a->last,
				(unsigned long long)iopt->resv[i].start,
				(unsigned long long)iopt->resv[i].last);
		if (h_pins_tracked && !foreign) {
			unsigned int n = pins_on_area(ioas, a);

			H_CHECK(a->num_accesses == n,
				"IOAS %u: area %#llx has num_accesses %u, %u pins on it",
				ioas->obj.id, (unsigned long long)a->iova, a->num_accesses, n);
		}
		/* Only an internal access (a HW queue's) locks areas. */
		H_CHECK(a->num_locks == 0 || foreign, "IOAS %u: area %#llx locked", ioas->obj.id,
			(unsigned long long)a->iova);
		bytes += len;
	}
	H_CHECK(bytes == iopt->mapped_bytes, "IOAS %u: mapped_bytes %llu, areas hold %llu",
		ioas->obj.id, (unsigned long long)iopt->mapped_bytes, (unsigned long long)bytes);
}

static uint64_t area_pa(const struct area *a)
{
	return a->pages->phys + a->start_byte;
}

/* One leaf of a domain: every byte of it lies in an area, with the area's
 * permission and physical address.  A leaf may run over several areas: a
 * type1 cut splits an area and leaves the page table alone (as the
 * kernel's iopt_area_split), and an UNMAP_DMA that then fails keeps both
 * halves under the one leaf. */
static void check_leaf(struct ioas *ioas, struct hwpt *hwpt, const struct imap_entry *e)
{
	uint64_t pa = e->val & ~(uint64_t)(PT_READ | PT_WRITE);
	unsigned int prot = e->val & (PT_READ | PT_WRITE);
	struct iopt_contig c;

	for (struct area *a = iopt_contig_first(&c, &ioas->iopt, e->start, e->last); a;
	     a = iopt_contig_next(&c)) {
		H_CHECK(prot == a->prot, "HWPT %u: leaf %#llx has prot %#x, area %#llx %#x",
			hwpt->obj.id, (unsigned long long)e->start, prot,
			(unsigned long long)a->iova, a->prot);
		H_CHECK(pa + (c.cur - e->start) == area_pa(a) + (c.cur - a->iova),
			"HWPT %u: leaf %#llx maps PA %#llx at %#llx, its area says %#llx",
			hwpt->obj.id, (unsigned long long)e->start,
			(unsigned long long)(pa + (c.cur - e->start)), (unsigned long long)c.cur,
			(unsigned long long)(area_pa(a) + (c.cur - a->iova)));
	}
	H_CHECK(c.done, "HWPT %u: leaf %#llx-%#llx maps IOVAs no area of IOAS %u holds",
		hwpt->obj.id, (unsigned long long)e->start, (unsigned long long)e->last,
		ioas->obj.id);
}

/* Every leaf of the domain lies in the areas (check_leaf), inside the
 * aperture; together they cover exactly the areas. */
static void check_domain(struct ioas *ioas, struct pt *pt)
{
	struct iopt *iopt = &ioas->iopt;
	struct hwpt *hwpt = hwpt_of_pt(pt);
	uint64_t bytes = 0;
	struct imap_iter it;
	struct imap_entry e;

	H_CHECK(hwpt->ioas == ioas, "HWPT %u is a domain of IOAS %u but points elsewhere",
		hwpt->obj.id, ioas->obj.id);
	for (bool ok = imap_iter_first(&pt->leaves, 0, UINT64_MAX, &it, &e); ok;
	     ok = imap_iter_next(&it, &e)) {
		check_leaf(ioas, hwpt, &e);
		H_CHECK(e.start >= pt->aperture_start && e.last <= pt->aperture_last,
			"HWPT %u: leaf %#llx outside the aperture", hwpt->obj.id,
			(unsigned long long)e.start);
		bytes += e.last - e.start + 1;
	}
	H_CHECK(bytes == iopt->mapped_bytes, "HWPT %u maps %llu bytes, IOAS %u has %llu",
		hwpt->obj.id, (unsigned long long)bytes, ioas->obj.id,
		(unsigned long long)iopt->mapped_bytes);
	H_CHECK(!pt->dirty_tracking || pt->dirty_supported,
		"HWPT %u tracks dirty bits without support", hwpt->obj.id);
}

/* Reserved ranges: domain apertures and the attached devices' windows
 * (ndev of them). */
static void check_resv(struct iemu_ctx *ctx, struct ioas *ioas, unsigned int ndev)
{
	struct iopt *iopt = &ioas->iopt;
	size_t expect = ndev;

	for (size_t i = 0; i < iopt->ndomains; i++) {
		struct pt *pt = iopt->domains[i];

		expect += (pt->aperture_start != 0) + (pt->aperture_last != UINT64_MAX);
	}
	/* The selftest's ADD_RESERVED: permanent ranges, owned by nobody. */
	for (size_t i = 0; i < iopt->nresv; i++)
		expect += iopt->resv[i].owner == NULL;
	H_CHECK(iopt->nresv == expect, "IOAS %u: %zu reserved ranges, expected %zu",
		ioas->obj.id, iopt->nresv, expect);
	for (size_t i = 0; i < iopt->nresv; i++) {
		const struct resv *r = &iopt->resv[i];
		bool owned = false;

		H_CHECK(r->start <= r->last, "IOAS %u: reserved range %zu reversed", ioas->obj.id, i);
		H_CHECK(!i || iopt->resv[i - 1].start <= r->start,
			"IOAS %u: reserved ranges unsorted", ioas->obj.id);
		owned = r->owner == NULL;
		for (size_t k = 0; k < iopt->ndomains && !owned; k++)
			owned = r->owner == iopt->domains[k];
		if (!owned) {
			const struct idev *idev = r->owner;
			struct obj *o = obj_find(ctx, idev->obj.id, OBJ_DEVICE);

			H_CHECK(o == &idev->obj && idev->hwpt && idev->hwpt->ioas == ioas,
				"IOAS %u: reserved range %#llx-%#llx of an owner that is gone",
				ioas->obj.id, (unsigned long long)r->start,
				(unsigned long long)r->last);
		}
	}
}

/* Per-id tallies of one pass over a context's objects. */
struct tally {
	unsigned int users;   /* holders of the object */
	unsigned int domains; /* IOAS: HWPTs on it */
	unsigned int paccess; /* IOAS: attached accesses that pin pages */
	unsigned int resv;    /* IOAS: attachments with a reserved window */
};

/* Object id of o in ctx, checked to be there (a holder's target). */
static uint32_t held(struct iemu_ctx *ctx, const struct obj *o, enum obj_type type,
		     const struct obj *by)
{
	H_CHECK(o && o->id < ctx->nslots && ctx->slots[o->id] == o &&
			(type == OBJ_ANY || o->type == type),
		"object %u (type %d) holds an object that is gone", by->id, by->type);
	return o->id;
}

static bool selftest_owns(struct iemu_ctx *ctx, const struct idev *idev)
{
	for (size_t id = 1, end = slot_end(ctx); id < end; id++) {
		const struct obj *o = ctx->slots[id];

		if (o && o->type == OBJ_SELFTEST &&
		    ((const struct selftest_obj *)o)->mock.idev == idev)
			return idev->mock == &((const struct selftest_obj *)o)->mock;
	}
	return false;
}

static bool hw_queue_owns(struct iemu_ctx *ctx, const struct access *a)
{
	for (size_t id = 1, end = slot_end(ctx); id < end; id++) {
		const struct obj *o = ctx->slots[id];

		if (o && o->type == OBJ_HW_QUEUE && ((const struct hw_queue *)o)->access == a)
			return true;
	}
	return false;
}

/* One attachment of a device: the HWPT's users, the device's own (each
 * attachment holds it), a reserved window for a paging domain at the RID. */
static void tally_attach(struct iemu_ctx *ctx, struct idev *idev, struct hwpt *h, bool rid,
			 struct tally *t)
{
	uint32_t hid = held(ctx, &h->obj, OBJ_ANY, &idev->obj);

	H_CHECK(h->obj.type == OBJ_HWPT_PAGING || h->obj.type == OBJ_HWPT_NESTED,
		"DEVICE %u attached to object %u of type %d", idev->obj.id, hid, h->obj.type);
	t[hid].users++;
	t[idev->obj.id].users++;
	if (rid && h->obj.type == OBJ_HWPT_PAGING && idev->model && !idev_noiommu(idev) &&
	    idev->model->resv_last)
		t[h->ioas->obj.id].resv++;
}

static void tally_device(struct iemu_ctx *ctx, struct idev *idev, struct tally *t)
{
	struct iemu_device *d = device_of_idev(idev);

	if (idev->mock)
		H_CHECK(!d && selftest_owns(ctx, idev), "mock DEVICE %u without its owner",
			idev->obj.id);
	else
		H_CHECK(d && d->bound && d->ctx == ctx && idev->ctx == ctx && idev->dev == d,
			"DEVICE %u belongs to no bound device", idev->obj.id);
	t[idev->obj.id].users++; /* the binder's (VFIO device or mock) */
	if (idev->hwpt)
		tally_attach(ctx, idev, idev->hwpt, true, t);
	for (struct idev_attach *a = idev->pasids; a; a = a->next) {
		H_CHECK(a->pasid, "DEVICE %u: a PASID attachment at PASID 0", idev->obj.id);
		tally_attach(ctx, idev, a->hwpt, false, t);
	}
	if (idev->vdev)
		H_CHECK(idev->vdev->idev == idev &&
				held(ctx, &idev->vdev->obj, OBJ_VDEVICE, &idev->obj),
			"DEVICE %u's vDEVICE is another's", idev->obj.id);
}

static void tally_access(struct iemu_ctx *ctx, struct access *a, struct tally *t)
{
	struct access *l;

	H_CHECK(a->ctx == ctx, "ACCESS %u of another context", a->obj.id);
	/* Creators: a device, the harness, a HW queue (internal), or else the
	 * selftest's CREATE_ACCESS file. */
	H_CHECK(device_of_access(a) || harness_access(a) ||
			(a->internal ? hw_queue_owns(ctx, a) : H_EMU->cfg.selftest_mock),
		"ACCESS %u has no creator", a->obj.id);
	t[a->obj.id].users++; /* its creator's */
	if (!a->ioas)
		return;
	held(ctx, &a->ioas->obj, OBJ_IOAS, &a->obj);
	t[a->ioas->obj.id].users++;
	t[a->ioas->obj.id].paccess += a->ops->needs_pin_pages;
	for (l = a->ioas->accesses; l && l != a; l = l->next)
		;
	H_CHECK(l, "ACCESS %u is not in its IOAS's list", a->obj.id);
}

static void tally_hwpt(struct iemu_ctx *ctx, struct hwpt *h, struct tally *t)
{
	if (h->fault)
		t[held(ctx, &h->fault->obj, OBJ_FAULT, &h->obj)].users++;
	if (h->obj.type == OBJ_HWPT_PAGING) {
		uint32_t ioas = held(ctx, &h->ioas->obj, OBJ_IOAS, &h->obj);

		t[ioas].users++;
		t[ioas].domains++;
		return;
	}
	H_CHECK(h->parent && h->parent->obj.type == OBJ_HWPT_PAGING && h->parent->nest_parent,
		"nested HWPT %u on a parent that is not a nesting parent", h->obj.id);
	/* Through a vIOMMU, the vIOMMU holds the parent. */
	if (h->viommu)
		t[held(ctx, &h->viommu->obj, OBJ_VIOMMU, &h->obj)].users++;
	else
		t[held(ctx, &h->parent->obj, OBJ_HWPT_PAGING, &h->obj)].users++;
}

/* vIOMMUs, vDEVICEs, HW queues, event queues, selftest objects. */
static void tally_other(struct iemu_ctx *ctx, struct obj *o, struct tally *t)
{
	switch (o->type) {
	case OBJ_VIOMMU: {
		struct viommu *v = (struct viommu *)o;

		H_CHECK(v->ctx == ctx && v->hwpt->nest_parent, "vIOMMU %u on a wrong HWPT", o->id);
		t[held(ctx, &v->hwpt->obj, OBJ_HWPT_PAGING, o)].users++;
		for (struct eventq *q = v->veventqs; q; q = q->next)
			H_CHECK(q->viommu == v && held(ctx, &q->obj, OBJ_VEVENTQ, o),
				"vIOMMU %u lists a vEVENTQ of another", o->id);
		for (struct vdevice *vd = v->vdevs; vd; vd = vd->next)
			H_CHECK(vd->viommu == v && held(ctx, &vd->obj, OBJ_VDEVICE, o),
				"vIOMMU %u lists a vDEVICE of another", o->id);
		break;
	}
	case OBJ_VDEVICE: {
		struct vdevice *vd = (struct vdevice *)o;

		t[held(ctx, &vd->viommu->obj, OBJ_VIOMMU, o)].users++;
		H_CHECK(held(ctx, &vd->idev->obj, OBJ_DEVICE, o) && vd->idev->vdev == vd,
			"vDEVICE %u: its device does not know it", o->id);
		break;
	}
	case OBJ_HW_QUEUE: {
		struct hw_queue *q = (struct hw_queue *)o;

		t[held(ctx, &q->viommu->obj, OBJ_VIOMMU, o)].users++;
		H_CHECK(q->access && q->access->internal &&
				held(ctx, &q->access->obj, OBJ_ACCESS, o),
			"HW queue %u without its internal access", o->id);
		break;
	}
	case OBJ_VEVENTQ:
		t[held(ctx, &((struct eventq *)o)->viommu->obj, OBJ_VIOMMU, o)].users++;
		/* fall through */
	case OBJ_FAULT: {
		struct eventq *q = (struct eventq *)o;

		H_CHECK(q->ctx == ctx, "event queue %u of another context", o->id);
		t[o->id].users += q->file != NULL; /* the open file's */
		break;
	}
	case OBJ_SELFTEST: {
		struct selftest_obj *s = (struct selftest_obj *)o;

		H_CHECK(!s->mock.idev || (held(ctx, &s->mock.idev->obj, OBJ_DEVICE, o) &&
					  s->mock.idev->mock == &s->mock),
			"selftest object %u: its mock device is another's", o->id);
		break;
	}
	default:
		break;
	}
}

void check_ctx(struct iemu_ctx *ctx)
{
	static struct tally small[512];
	struct tally *t = ctx->nslots <= 512 ? small : calloc(ctx->nslots, sizeof(*t));
	unsigned int nobjs = 0;

	if (!t)
		h_fail("out of memory");
	if (t == small)
		memset(t, 0, ctx->nslots * sizeof(*t));
	for (size_t id = 1, end = slot_end(ctx); id < end; id++) {
		struct obj *o = ctx->slots[id];

		if (!o)
			continue;
		nobjs++;
		H_CHECK(o->id == id, "slot %zu holds object %u", id, o->id);
		H_CHECK(o->type > OBJ_ANY && o->type < OBJ_TYPES, "object %u of type %d", o->id,
			o->type);
		H_CHECK(idalloc_used(&ctx->ids, o->id), "object %u's id is free", o->id);
		t[id].users++;
		switch (o->type) {
		case OBJ_HWPT_PAGING:
		case OBJ_HWPT_NESTED:
			tally_hwpt(ctx, (struct hwpt *)o, t);
			break;
		case OBJ_DEVICE:
			tally_device(ctx, (struct idev *)o, t);
			break;
		case OBJ_ACCESS:
			tally_access(ctx, (struct access *)o, t);
			break;
		default:
			tally_other(ctx, o, t);
			break;
		}
	}
	H_CHECK(nobjs == ctx->nobjs, "context counts %u objects, holds %u", ctx->nobjs, nobjs);
	H_CHECK(!ctx->vfio_ioas || (ctx->vfio_ioas->obj.id < ctx->nslots &&
				    ctx->slots[ctx->vfio_ioas->obj.id] == &ctx->vfio_ioas->obj),
		"the VFIO compatibility IOAS is gone");
	for (size_t id = 1, end = slot_end(ctx); id < end; id++) {
		struct obj *o = ctx->slots[id];
		struct ioas *ioas = (struct ioas *)o;

		if (!o)
			continue;
		/* A HW queue another depends on (the mock driver's choice) has
		 * holders the harness cannot see. */
		H_CHECK(o->users == t[id].users ||
				(o->type == OBJ_HW_QUEUE && o->users >= t[id].users),
			"object %u (type %d) has users %u, holders %u", o->id, o->type, o->users,
			t[id].users);
		if (o->type != OBJ_IOAS)
			continue;
		check_areas(ioas);
		for (struct access *l = ioas->accesses; l; l = l->next)
			H_CHECK(l->ioas == ioas, "IOAS %u lists an access attached elsewhere", o->id);
		H_CHECK(ioas->iopt.ndomains == t[id].domains,
			"IOAS %u has %zu domains, %u HWPTs on it", o->id, ioas->iopt.ndomains,
			t[id].domains);
		H_CHECK(ioas->iopt.page_accesses == t[id].paccess,
			"IOAS %u counts %u page accesses, %u attached", o->id,
			ioas->iopt.page_accesses, t[id].paccess);
		for (size_t k = 0; k < ioas->iopt.ndomains; k++)
			check_domain(ioas, ioas->iopt.domains[k]);
		H_CHECK(ioas->iopt.iova_alignment == expected_alignment(&ioas->iopt),
			"IOAS %u: IOVA alignment %#llx, its domains and accesses ask %#llx", o->id,
			(unsigned long long)ioas->iopt.iova_alignment,
			(unsigned long long)expected_alignment(&ioas->iopt));
		check_resv(ctx, ioas, t[id].resv);
	}
	if (t != small)
		free(t);
}

/* The trees of areas and leaves are sound.  A walk of every node: done at
 * the end of an input (check_all), not after each operation, where it
 * cost a fifth of the checks; a broken tree also shows in the walks
 * above. */
static void check_maps(struct iemu_ctx *ctx)
{
	for (size_t id = 1, end = slot_end(ctx); id < end; id++) {
		struct ioas *ioas = (struct ioas *)ctx->slots[id];

		if (!ioas || ioas->obj.type != OBJ_IOAS)
			continue;
		H_CHECK(imap_verify(&ioas->iopt.areas) == 0, "IOAS %u: area map corrupt",
			ioas->obj.id);
		for (size_t k = 0; k < ioas->iopt.ndomains; k++)
			H_CHECK(imap_verify(&ioas->iopt.domains[k]->leaves) == 0,
				"HWPT %u: leaf map corrupt",
				hwpt_of_pt(ioas->iopt.domains[k])->obj.id);
	}
}

/* ---- page sets and accounting, over every context ---- */

#define MAX_SETS 256
#define MAX_IVALS 1024

struct ival {
	uint64_t first, last;
};

struct set_info {
	struct pages *p;
	struct ival *iv;
	size_t niv, cap;
};

static struct set_info sets[MAX_SETS];
static size_t nsets;

static struct set_info *set_of(struct pages *p)
{
	for (size_t i = 0; i < nsets; i++)
		if (sets[i].p == p)
			return &sets[i];
	if (nsets == MAX_SETS)
		h_fail("more than %d page sets", MAX_SETS);
	sets[nsets].p = p;
	sets[nsets].niv = 0;
	return &sets[nsets++];
}

static void add_ival(struct pages *p, uint64_t first, uint64_t last)
{
	struct set_info *s = set_of(p);

	if (first > last)
		return;
	if (s->niv == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->iv = realloc(s->iv, s->cap * sizeof(*s->iv));
		if (!s->iv)
			h_fail("out of memory");
	}
	s->iv[s->niv++] = (struct ival){ first, last };
}

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static uint64_t union_len(struct ival *iv, size_t n)
{
	uint64_t total = 0, cs = 0, cl = 0;
	bool open = false;

	if (!n)
		return 0;
	qsort(iv, n, sizeof(*iv), cmp_ival);
	for (size_t i = 0; i < n; i++) {
		if (open && (cl == UINT64_MAX || iv[i].first <= cl + 1)) {
			if (iv[i].last > cl)
				cl = iv[i].last;
			continue;
		}
		if (open)
			total += cl - cs + 1;
		cs = iv[i].first;
		cl = iv[i].last;
		open = true;
	}
	if (open)
		total += cl - cs + 1;
	return total;
}

/* An area's page set, with the pages it pins. */
static int collect_area(void *arg, struct area *a)
{
	(void)arg;
	set_of(a->pages);
	if (a->pinned)
		add_ival(a->pages, a->start_byte / PAGE_SIZE,
			 (a->start_byte + (a->last - a->iova)) / PAGE_SIZE);
	return 0;
}

static void collect_pins(void)
{
	for (unsigned int i = 0; i < h_npins; i++) {
		const struct h_pin *p = &h_pins[i];
		struct iopt_contig c;
		struct area *ar;

		H_CHECK(p->ioas, "a pin outlived its attachment");
		for (ar = iopt_contig_first(&c, &p->ioas->iopt, p->iova, p->iova + p->length - 1);
		     ar; ar = iopt_contig_next(&c))
			add_ival(ar->pages, area_byte(ar, c.cur) / PAGE_SIZE,
				 area_byte(ar, iopt_contig_last(&c)) / PAGE_SIZE);
		H_CHECK(c.done, "pinned range %#llx+%#llx is no longer mapped",
			(unsigned long long)p->iova, (unsigned long long)p->length);
	}
}

struct seg_sum {
	uint64_t covered, weighted;
};

static void sum_cover(const struct imap *m, struct seg_sum *s)
{
	struct imap_iter it;
	struct imap_entry e;

	*s = (struct seg_sum){ 0 };
	for (bool ok = imap_iter_first(m, 0, UINT64_MAX, &it, &e); ok;
	     ok = imap_iter_next(&it, &e)) {
		H_CHECK(e.val > 0, "cover segment with count 0");
		s->covered += e.last - e.start + 1;
		s->weighted += (e.last - e.start + 1) * e.val;
	}
}

static struct iemu_proc *extra_proc;

void harness_extra_proc(struct iemu_proc *p)
{
	extra_proc = p;
}

#define MAX_PROCS (NPROCS + 1)

/* The processes whose charges are checked: ours, and the extra one. */
static unsigned int all_procs(struct iemu_proc **out)
{
	unsigned int n = 0;

	for (int k = 0; k < NPROCS; k++)
		out[n++] = H_PROC[k];
	if (extra_proc)
		out[n++] = extra_proc;
	return n;
}

/* pins_known: every pin is an area's or one of the harness's, so that the
 * pin counts must add up to them exactly. */
static void check_sets(bool pins_known)
{
	struct iemu_proc *procs[MAX_PROCS];
	unsigned int np = all_procs(procs);
	uint64_t pinned[MAX_PROCS] = { 0 }, locked[MAX_PROCS] = { 0 }, user[MAX_PROCS] = { 0 };
	size_t with_phys = 0;

	for (size_t i = 0; i < nsets; i++) {
		struct pages *p = sets[i].p;
		struct seg_sum s;
		uint64_t weighted = 0;
		int who = -1;

		for (size_t k = 0; k < sets[i].niv; k++)
			weighted += sets[i].iv[k].last - sets[i].iv[k].first + 1;
		sum_cover(&p->pinned, &s);
		H_CHECK(s.covered == p->npinned,
			"page set %p: npinned %llu, its cover holds %llu pages", (void *)p,
			(unsigned long long)p->npinned, (unsigned long long)s.covered);
		H_CHECK(!pins_known || union_len(sets[i].iv, sets[i].niv) == p->npinned,
			"page set %p: %llu pages pinned, areas and pins hold %llu", (void *)p,
			(unsigned long long)p->npinned,
			(unsigned long long)union_len(sets[i].iv, sets[i].niv));
		H_CHECK(!pins_known || s.weighted == weighted,
			"page set %p: pin counts add up to %llu, areas and pins to %llu", (void *)p,
			(unsigned long long)s.weighted, (unsigned long long)weighted);
		if (p->npinned) {
			void *owner;
			uint64_t off;

			with_phys++;
			H_CHECK(physmem_resolve(&H_EMU->phys, p->phys, &owner, &off) &&
					owner == p && off == 0,
				"page set %p: its physical memory is not its own", (void *)p);
		}
		for (unsigned int k = 0; k < np; k++)
			if (p->source == procs[k])
				who = k;
		H_CHECK(who >= 0, "page set %p of an unknown process", (void *)p);
		pinned[who] += p->npinned;
		if (p->account == ACCOUNT_MM)
			locked[who] += p->npinned;
		else if (p->account == ACCOUNT_USER)
			user[who] += p->npinned;
	}
	H_CHECK(imap_count(&H_EMU->phys.extents) == with_phys,
		"%zu physical extents, %zu pinned page sets",
		imap_count(&H_EMU->phys.extents), with_phys);
	for (unsigned int k = 0; k < np; k++) {
		uint64_t charged = 0, held;
		bool seen = false;

		/* Read directly: the checks run between operations, and the
		 * API's lock for each would cost more than the check. */
		H_CHECK(procs[k]->pinned_vm == pinned[k] || h_pinned_vm_drift,
			"proc %u: pinned_vm %llu, its page sets pin %llu", k,
			(unsigned long long)procs[k]->pinned_vm, (unsigned long long)pinned[k]);
		H_CHECK(procs[k]->locked_vm == locked[k],
			"proc %u: locked_vm %llu, its page sets lock %llu", k,
			(unsigned long long)procs[k]->locked_vm, (unsigned long long)locked[k]);
		/* A user's charge: the page sets of all its processes (once per
		 * user). */
		for (unsigned int j = 0; j < k; j++)
			seen |= procs[j]->uid == procs[k]->uid;
		if (seen)
			continue;
		for (unsigned int j = k; j < np; j++)
			if (procs[j]->uid == procs[k]->uid)
				charged += user[j];
		held = iemu_user_locked_pages(H_EMU, procs[k]->uid);
		H_CHECK(held == charged, "uid %u: %llu pages charged, page sets hold %llu",
			(unsigned int)procs[k]->uid, (unsigned long long)held,
			(unsigned long long)charged);
	}
}

/* ---- devices ---- */

static bool ctx_live(struct iemu_ctx *ctx)
{
	for (struct iemu_ctx *c = H_EMU->ctxs; c; c = c->next)
		if (c == ctx)
			return true;
	return false;
}

static void check_device(struct iemu_device *d)
{
	if (!d->bound) {
		H_CHECK(!d->ctx && !d->idev && !d->access && !d->binder,
			"%s: unbound but holds a context or an object", d->name);
		H_CHECK(!d->dma_pt && !d->dma_access, "%s: unbound but DMA translates", d->name);
		H_CHECK(!d->attached && !d->pasid0 && d->pt_id == 0, "%s: unbound but attached",
			d->name);
		return;
	}
	H_CHECK(d->ctx && ctx_live(d->ctx), "%s: bound to a context that is gone", d->name);
	H_CHECK(d->binder, "%s: bound by nobody", d->name);
	if (d->emulated) {
		H_CHECK(d->access && !d->idev, "%s: emulated without its access", d->name);
		H_CHECK(obj_find(d->ctx, d->devid, OBJ_ACCESS) == &d->access->obj,
			"%s: devid %u is not its ACCESS", d->name, d->devid);
		H_CHECK(d->dma_access == (d->access->ioas ? d->access : NULL),
			"%s: DMA goes through the wrong access", d->name);
		H_CHECK(!d->dma_pt, "%s: emulated with a domain", d->name);
		H_CHECK(d->attached == (d->access->ioas != NULL), "%s: attached=%d, access on %p",
			d->name, d->attached, (void *)d->access->ioas);
		return;
	}
	H_CHECK(d->idev && !d->access, "%s: bound without its DEVICE", d->name);
	H_CHECK(obj_find(d->ctx, d->devid, OBJ_DEVICE) == &d->idev->obj,
		"%s: devid %u is not its DEVICE", d->name, d->devid);
	/* A nested HWPT's stage 1 is the guest's: DMA is blocked (NULL).  Only
	 * mock devices and, in Linux 7.3, noiommu ones reach one. */
	H_CHECK(d->dma_pt == (d->idev->hwpt && d->idev->hwpt->obj.type == OBJ_HWPT_PAGING ?
				      &d->idev->hwpt->pt :
				      NULL),
		"%s: DMA translates through the wrong table", d->name);
	H_CHECK(!d->dma_access, "%s: DMA through an access", d->name);
	if (d->noiommu != IEMU_NOIOMMU_NOOP_ATTACH)
		H_CHECK((d->attached || d->pasid0) == (d->idev->hwpt != NULL),
			"%s: attached=%d pasid0=%d, HWPT %p", d->name, d->attached, d->pasid0,
			(void *)d->idev->hwpt);
	H_CHECK(!(d->attached && d->pasid0), "%s: attached twice", d->name);
}

unsigned int live_contexts(struct iemu_ctx **out, unsigned int max)
{
	unsigned int n = 0;

	for (struct iemu_ctx *c = H_EMU->ctxs; c && n < max; c = c->next)
		out[n++] = c;
	return n;
}

void check_accounting(void)
{
	struct iemu_ctx *ctxs[16];
	unsigned int n = live_contexts(ctxs, 16);

	nsets = 0;
	for (unsigned int i = 0; i < n; i++)
		ctx_for_each_area(ctxs[i], collect_area, NULL);
	if (h_pins_tracked)
		collect_pins();
	check_sets(!any_foreign_pins());
}

void check_devices(void)
{
	for (int k = 0; k < NDEVS; k++)
		check_device(H_DEV[k]);
}

/* References other than the harness's and the devices': each open event
 * queue file, each selftest access (its file holds the context). */
static unsigned int file_refs(struct iemu_ctx *ctx)
{
	unsigned int n = 0;

	for (struct iemu_ctx *c = H_EMU->ctxs; c; c = c->next)
		for (size_t id = 1, end = slot_end(c); id < end; id++) {
			struct obj *o = c->slots[id];

			if (!o)
				continue;
			if ((o->type == OBJ_FAULT || o->type == OBJ_VEVENTQ) &&
			    ((struct eventq *)o)->file && ((struct eventq *)o)->ctx == ctx)
				n++;
			if (o->type == OBJ_ACCESS && ((struct access *)o)->ctx == ctx &&
			    !((struct access *)o)->internal && !harness_access((struct access *)o) &&
			    !device_of_access((struct access *)o))
				n++;
		}
	return n;
}

void check_all(void)
{
	struct iemu_ctx *ctxs[16];
	unsigned int n = live_contexts(ctxs, 16);

	for (unsigned int i = 0; i < n; i++) {
		unsigned int refs = file_refs(ctxs[i]);

		check_ctx(ctxs[i]);
		check_maps(ctxs[i]);
		for (int k = 0; k < NCTX; k++)
			refs += H_CTX[k] == ctxs[i];
		for (int k = 0; k < NDEVS; k++)
			refs += H_DEV[k]->bound && H_DEV[k]->ctx == ctxs[i];
		for (unsigned int k = 0; k < H_MAX_ACCESSES; k++)
			refs += h_accesses[k] && h_accesses[k]->ctx == ctxs[i];
		H_CHECK(ctxs[i]->refs == refs, "context %p: %u references, %u holders",
			(void *)ctxs[i], ctxs[i]->refs, refs);
	}
	check_accounting();
	check_devices();
}

void harness_close_anon(void)
{
	for (size_t i = 0; i < H_EMU->anon_slots; i++)
		if (H_EMU->anon_table[i])
			iemu_anon_close(H_EMU, IEMU_ANON_FD_BASE + (int)i);
}

void harness_end_input(void)
{
	/* SET_TEMP_MEMORY_LIMIT is global: no input sees another's. */
	H_EMU->selftest_memory_limit = memory_limit0;
	if (!h_pinned_vm_drift)
		return;
	pthread_mutex_lock(&H_EMU->lock);
	for (int k = 0; k < NPROCS; k++)
		H_PROC[k]->pinned_vm = 0;
	if (extra_proc)
		extra_proc->pinned_vm = 0;
	pthread_mutex_unlock(&H_EMU->lock);
	h_pinned_vm_drift = false;
}

void check_idle(void)
{
	for (int k = 0; k < NDEVS; k++) {
		struct iemu_device *d = H_DEV[k];

		check_device(d);
		H_CHECK(!d->bound, "%s: still bound", d->name);
		H_CHECK(d->files == 0, "%s: %u files still open", d->name, d->files);
		H_CHECK(d->irq.type == VFIO_IRQ_NONE && d->irq.intx_trigger < 0 &&
				d->irq.err_trigger < 0 && d->irq.req_trigger < 0 &&
				!d->irq.intx_unmask,
			"%s: interrupts still set up", d->name);
		for (unsigned int v = 0; v < d->irq.nvectors; v++)
			H_CHECK(d->irq.vectors[v] < 0, "%s: vector %u still has an eventfd", d->name, v);
		H_CHECK(!d->ioeventfds && !d->nioeventfds && d->pm_wake_fd < 0,
			"%s: eventfds still held", d->name);
	}
	for (size_t i = 0; i < H_EMU->anon_slots; i++)
		H_CHECK(!H_EMU->anon_table[i], "anonymous file fd %#zx still open",
			IEMU_ANON_FD_BASE + i);
	H_CHECK(!H_EMU->ctxs, "a context is still alive");
	if (memfd_given) {
		struct stat st;

		memfd_given = false;
		H_CHECK(!fstat(real_memfd, &st) && st.st_size == MEMFD_SIZE,
			"the memfd behind FD_MEMFD changed size: %lld bytes",
			(long long)st.st_size);
		/* Its data back to zeros, as the arena's (arena_clean), when an
		 * input wrote any. */
		if (st.st_blocks && (ftruncate(real_memfd, 0) || ftruncate(real_memfd, MEMFD_SIZE)))
			h_fail("ftruncate of the memfd: %s", strerror(errno));
	}
	H_CHECK(imap_count(&H_EMU->phys.extents) == 0, "%zu physical extents left",
		imap_count(&H_EMU->phys.extents));
	{
		struct iemu_proc *procs[MAX_PROCS];
		unsigned int np = all_procs(procs);

		for (unsigned int k = 0; k < np; k++) {
			struct iemu_proc_stats st;

			iemu_proc_stats(procs[k], &st);
			H_CHECK(!st.pinned_vm && !st.locked_vm, "proc %u: %llu pinned, %llu locked left",
				k, (unsigned long long)st.pinned_vm, (unsigned long long)st.locked_vm);
			H_CHECK(iemu_user_locked_pages(H_EMU, procs[k]->uid) == 0,
				"uid %u: pages still charged", (unsigned int)procs[k]->uid);
			/* Ours, and the emulator's own for its in-process caller. */
			H_CHECK(atomic_load(&procs[k]->refs) == (procs[k] == H_EMU->self ? 2 : 1),
				"proc %u: %d references left", k, atomic_load(&procs[k]->refs));
		}
	}
	H_CHECK(lowest_free_fd() == fd_probe0, "an fd leaked: the lowest free fd is %d, was %d",
		lowest_free_fd(), fd_probe0);
}
