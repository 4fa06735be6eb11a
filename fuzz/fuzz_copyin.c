// SPDX-License-Identifier: MIT
/*
 * The argument copy-in target: ioctls whose argument structs come straight
 * from the input (sizes, extensible-struct tails, reserved fields, flags),
 * placed where the input says in the caller's memory (inside a page,
 * across the end of a writable page into a read-only one, across the end
 * of memory into nothing, inside a read-only page or a hole), with their
 * pointer fields (allowed_iovas arrays, hw info data, dirty bitmaps,
 * invalidation arrays, the BIND token, MAP's user_va) aimed at good,
 * read-only, unmapped or page-crossing memory, and their fd fields at the
 * harness's fds.  Every iommufd ioctl and VFIO container ioctl on
 * /dev/iommu, every VFIO device ioctl, and region reads and writes.
 *
 * The caller is either the arena process of the harness (custom ops) or
 * the fuzzer's own process (iemu_proc_self, the in-process backend with its
 * fault guard) over a real mapping with read-only, PROT_NONE and unmapped
 * pages.
 *
 * Each input starts from the same state (a context with an IOAS, a
 * mapping, a bound and attached dmatest; a second context; an open edu and
 * an open emulated dmatest); after each call the invariants are checked,
 * and a call that fails must leave the emulator's state as it was, except
 * where the kernel itself changes state before failing (listed below).
 * At the end everything is closed and must be gone.
 *
 * Encoding of a call: kind, selector, caller/target, placement, size rule,
 * four patch selectors, length, then that many bytes of argument.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "access.h"
#include "ctx.h"
#include "device.h"
#include "emu.h"
#include "harness.h"
#include "hwpt.h"
#include "idev.h"
#include "ioas.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/iommufd_test.h"
#include "iommufd_emu/uapi/vfio.h"
#include "pages.h"
#include "physmem.h"
#include "proc.h"
#include "pt.h"

#define MAX_CALLS 32
#define ARG_MAX 256
#define NFILES 3
#define REGION(i) ((uint64_t)(i) << 40)

/* ---- the input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* ---- the fields worth aiming ---- */

enum patch_kind { P_NONE, P_PTR, P_VA, P_FD, P_CTXFD, P_ID };

struct patch {
	uint8_t off;
	uint8_t kind;
};

struct cmd {
	unsigned int nr;
	uint32_t size;     /* the struct's full size (0: no size field) */
	uint32_t min;      /* its minimum */
	struct patch patch[3];
};

#define P(o, k) { o, k }

/* iommufd ioctls and the VFIO container ioctls on /dev/iommu. */
static const struct cmd ctx_cmds[] = {
	{ IOMMU_DESTROY, 8, 8, { P(4, P_ID) } },
	{ IOMMU_IOAS_ALLOC, 12, 12, { { 0, 0 } } },
	{ IOMMU_IOAS_ALLOW_IOVAS, 24, 24, { P(4, P_ID), P(16, P_PTR) } },
	{ IOMMU_IOAS_COPY, 40, 40, { P(8, P_ID), P(12, P_ID) } },
	{ IOMMU_IOAS_IOVA_RANGES, 32, 32, { P(4, P_ID), P(16, P_PTR) } },
	{ IOMMU_IOAS_MAP, 40, 40, { P(8, P_ID), P(16, P_VA) } },
	{ IOMMU_IOAS_UNMAP, 24, 24, { P(4, P_ID) } },
	{ IOMMU_OPTION, 24, 24, { P(12, P_ID) } },
	{ IOMMU_VFIO_IOAS, 16, 16, { P(4, P_ID) } },
	{ IOMMU_HWPT_ALLOC, 44, 24, { P(8, P_ID), P(12, P_ID), P(24, P_PTR) } },
	{ IOMMU_GET_HW_INFO, 32, 32, { P(8, P_ID), P(16, P_PTR) } },
	{ IOMMU_HWPT_SET_DIRTY_TRACKING, 16, 16, { P(8, P_ID) } },
	{ IOMMU_HWPT_GET_DIRTY_BITMAP, 48, 48, { P(4, P_ID), P(40, P_PTR) } },
	{ IOMMU_HWPT_INVALIDATE, 32, 32, { P(4, P_ID), P(8, P_PTR) } },
	{ IOMMU_IOAS_MAP_FILE, 40, 40, { P(8, P_ID), P(12, P_FD) } },
	{ IOMMU_IOAS_CHANGE_PROCESS, 8, 8, { { 0, 0 } } },
	{ IOMMU_IOAS_NOIOMMU_GET_PA, 40, 40, { P(8, P_ID) } },
	/* Their fds come from the emulator's in-process table; teardown
	 * closes them. */
	{ IOMMU_FAULT_QUEUE_ALLOC, 16, 16, { { 0, 0 } } },
	{ IOMMU_VIOMMU_ALLOC, 40, 24, { P(12, P_ID), P(16, P_ID), P(32, P_PTR) } },
	{ IOMMU_VDEVICE_ALLOC, 24, 24, { P(4, P_ID), P(8, P_ID) } },
	{ IOMMU_VEVENTQ_ALLOC, 32, 28, { P(8, P_ID) } },
	{ IOMMU_HW_QUEUE_ALLOC, 40, 40, { P(8, P_ID) } },
	/* The selftest protocol (the harness's emulator serves it). */
	{ IOMMU_TEST_CMD, sizeof(struct iommu_test_cmd), sizeof(struct iommu_test_cmd),
	  { P(8, P_ID), P(16, P_ID), P(32, P_PTR) } },
	{ _IO(IOMMUFD_TYPE, 0x96), 16, 8, { { 0, 0 } } },
	{ _IO(IOMMUFD_TYPE, 0x7f), 16, 8, { { 0, 0 } } },
	{ _IOW(IOMMUFD_TYPE, 0x85, struct iommu_ioas_map), 40, 40, { P(16, P_VA) } },
	{ VFIO_GET_API_VERSION, 0, 0, { { 0, 0 } } },
	{ VFIO_CHECK_EXTENSION, 0, 0, { { 0, 0 } } },
	{ VFIO_SET_IOMMU, 0, 0, { { 0, 0 } } },
	{ VFIO_IOMMU_GET_INFO, 24, 16, { { 0, 0 } } },
	{ VFIO_IOMMU_MAP_DMA, 32, 32, { P(8, P_VA) } },
	{ VFIO_IOMMU_UNMAP_DMA, 24, 24, { { 0, 0 } } },
};

/* VFIO device ioctls. */
static const struct cmd dev_cmds[] = {
	{ VFIO_DEVICE_BIND_IOMMUFD, 24, 16, { P(8, P_CTXFD), P(16, P_PTR) } },
	{ VFIO_DEVICE_ATTACH_IOMMUFD_PT, 16, 12, { P(8, P_ID) } },
	{ VFIO_DEVICE_DETACH_IOMMUFD_PT, 16, 8, { { 0, 0 } } },
	{ VFIO_DEVICE_GET_INFO, 24, 16, { { 0, 0 } } },
	{ VFIO_DEVICE_GET_REGION_INFO, 32, 32, { { 0, 0 } } },
	{ VFIO_DEVICE_GET_IRQ_INFO, 16, 16, { { 0, 0 } } },
	{ VFIO_DEVICE_SET_IRQS, 20, 20, { P(20, P_FD), P(24, P_FD) } },
	{ VFIO_DEVICE_RESET, 0, 0, { { 0, 0 } } },
	{ VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 12, 12, { { 0, 0 } } },
	{ VFIO_DEVICE_PCI_HOT_RESET, 12, 12, { P(12, P_FD) } },
	{ VFIO_DEVICE_IOEVENTFD, 32, 32, { P(24, P_FD) } },
	{ VFIO_DEVICE_FEATURE, 8, 8, { P(8, P_FD) } },
	{ _IO(VFIO_TYPE, VFIO_BASE + 20), 16, 8, { { 0, 0 } } },
	{ VFIO_GET_API_VERSION, 0, 0, { { 0, 0 } } },
};

#define NCTX_CMDS (sizeof(ctx_cmds) / sizeof(ctx_cmds[0]))
#define NDEV_CMDS (sizeof(dev_cmds) / sizeof(dev_cmds[0]))

/* ---- the two callers and their memory ---- */

/* Pages of the fuzzer's own memory for the self process: read-write,
 * read-only, read-write, PROT_NONE, unmapped, read-write, and a PROT_NONE
 * guard.  The emulator writes the self process's memory for real: an
 * output run past the last read-write page (a 450 MB data_len zeroed from
 * there) would go on into whatever the fuzzer mapped next, so the guard
 * stops it, and a pointer the input gives raw stays inside these pages. */
#define SELF_PAGES 40
#define S_RW 0
#define S_RO 16
#define S_RW1 20
#define S_NONE 24
#define S_HOLE 28
#define S_RW2 30
#define S_GUARD 32

static uint8_t *self_mem;
static struct iemu_proc *self_proc;

/* Addresses of a caller's memory kinds. */
struct mem {
	struct iemu_proc *proc;
	uint64_t base, span;     /* where a raw pointer is confined (span 0: not) */
	uint64_t rw, rw_end;     /* a read-write run, and where it meets read-only */
	uint64_t ro;             /* read-only, followed by a hole */
	uint64_t hole;           /* nothing */
	uint64_t end;            /* last writable byte + 1 before nothing */
	uint64_t data;           /* read-write memory to map */
};

static struct mem mem_of(bool self)
{
	if (self)
		return (struct mem){
			.proc = self_proc,
			.base = (uintptr_t)self_mem,
			.span = SELF_PAGES * HPG,
			.rw = (uintptr_t)self_mem,
			.rw_end = (uintptr_t)self_mem + S_RO * HPG,
			.ro = (uintptr_t)self_mem + S_RO * HPG,
			.hole = (uintptr_t)self_mem + S_HOLE * HPG,
			.end = (uintptr_t)self_mem + S_NONE * HPG,
			.data = (uintptr_t)self_mem + 4 * HPG,
		};
	return (struct mem){
		.proc = H_PROC[0],
		.rw = ARENA_VA(AR_SCRATCH_FIRST),
		.rw_end = ARENA_VA(AR_RO_FIRST),
		.ro = ARENA_VA(AR_RO_FIRST),
		.hole = ARENA_VA(AR_HOLE_FIRST),
		.end = ARENA_VA(ARENA_PAGES),
		.data = ARENA_VA(16),
	};
}

/* Write into the caller's memory as the process itself would. */
static void put(bool self, uint64_t va, const void *src, size_t len)
{
	if (self)
		memcpy((void *)(uintptr_t)va, src, len);
	else
		arena_put(va, src, len);
}

/* Where to place an argument of len bytes, and how much of it can be
 * written there (the rest lies in memory the process cannot write). */
static uint64_t place(const struct mem *m, uint8_t how, size_t len, size_t *writable)
{
	*writable = len;
	switch (how % 8) {
	case 1: /* across the end of read-write memory into read-only */
		*writable = len / 2;
		return m->rw_end - len / 2;
	case 2: /* across the end of memory into nothing */
		*writable = len / 2;
		return m->end - len / 2;
	case 3: /* read-only */
		*writable = 0;
		return m->ro;
	case 4: /* nothing there */
		*writable = 0;
		return m->hole;
	case 5: /* misaligned */
		return m->rw + 0x103;
	default:
		return m->rw + 0x800;
	}
}

static uint64_t aim_ptr(const struct mem *m, uint8_t b, uint64_t raw)
{
	switch (b % 8) {
	case 0:
		return m->span ? m->base + raw % m->span : raw;
	case 1:
		return m->rw + 2 * HPG;
	case 2:
		return m->rw_end - 8;
	case 3:
		return m->ro;
	case 4:
		return m->hole;
	case 5:
		return 0;
	case 6:
		return m->end - 12;
	default:
		return m->data + (b >> 3) * HPG;
	}
}

static int32_t aim_fd(uint8_t b, int32_t raw)
{
	static const int32_t fds[] = { FD_MEMFD, FD_EVENT0, FD_EVENT0 + 1, FD_EVENT0 + 2,
				       FD_NULL, -1, 99, INT32_MIN };

	return b & 0x80 ? (raw >= 0 && raw < 16 ? raw : -1) : fds[b % 8];
}

/* ---- the state a failed call must leave alone ---- */

struct digest {
	uint64_t h;
};

static void mix(struct digest *d, uint64_t v)
{
	d->h = (d->h ^ v) * 0x100000001b3ULL;
}

static void digest_ioas(struct digest *d, struct ioas *ioas)
{
	struct iopt *iopt = &ioas->iopt;
	struct imap_iter it;
	struct imap_entry e;

	mix(d, iopt->iova_alignment);
	mix(d, iopt->disable_large_pages);
	mix(d, iopt->ndomains);
	mix(d, iopt->nresv);
	for (size_t i = 0; i < iopt->nresv; i++) {
		mix(d, iopt->resv[i].start);
		mix(d, iopt->resv[i].last);
	}
	for (bool ok = imap_iter_first(&iopt->areas, 0, UINT64_MAX, &it, &e); ok;
	     ok = imap_iter_next(&it, &e)) {
		struct area *a = (struct area *)(uintptr_t)e.val;

		mix(d, e.start);
		mix(d, e.last);
		mix(d, a->prot);
		mix(d, a->start_byte);
		mix(d, (uintptr_t)a->pages);
		mix(d, a->pages->npinned);
		mix(d, a->pages->account);
		mix(d, (uintptr_t)a->pages->source);
	}
	for (bool ok = imap_iter_first(&iopt->allowed, 0, UINT64_MAX, &it, &e); ok;
	     ok = imap_iter_next(&it, &e)) {
		mix(d, e.start);
		mix(d, e.last);
	}
}

/* waking: a device in low power with a wake eventfd that the call may
 * wake (its low-power fields are left out; see wakes()). */
static uint64_t digest_state(const struct iemu_device *waking)
{
	struct digest d = { 0xcbf29ce484222325ULL };
	struct iemu_ctx *ctxs[16];
	unsigned int n = live_contexts(ctxs, 16);

	for (unsigned int i = 0; i < n; i++) {
		struct iemu_ctx *ctx = ctxs[i];

		mix(&d, (uintptr_t)ctx);
		mix(&d, ctx->nobjs);
		mix(&d, ctx->account_mode);
		mix(&d, ctx->vfio_ioas ? ctx->vfio_ioas->obj.id : 0);
		for (size_t id = 1, end = slot_end(ctx); id < end; id++) {
			struct obj *o = ctx->slots[id];

			if (!o)
				continue;
			mix(&d, id);
			mix(&d, o->type);
			mix(&d, o->users);
			if (o->type == OBJ_IOAS)
				digest_ioas(&d, (struct ioas *)o);
			if (o->type == OBJ_HWPT_PAGING)
				mix(&d, ((struct hwpt *)o)->pt.dirty_tracking);
			if (o->type == OBJ_DEVICE)
				mix(&d, (uintptr_t)((struct idev *)o)->hwpt);
			if (o->type == OBJ_ACCESS)
				mix(&d, (uintptr_t)((struct access *)o)->ioas);
		}
	}
	for (int k = 0; k < NDEVS; k++) {
		struct iemu_device *dev = H_DEV[k];

		mix(&d, (uintptr_t)dev->bound);
		mix(&d, (uintptr_t)dev->ctx);
		mix(&d, dev->pt_id);
		mix(&d, dev->attached);
		mix(&d, dev->pasid0);
		mix(&d, dev->irq.type);
		mix(&d, dev->irq.intx_trigger >= 0);
		mix(&d, dev->irq.err_trigger >= 0);
		mix(&d, dev->irq.req_trigger >= 0);
		mix(&d, dev->irq.intx_unmask != NULL);
		for (unsigned int v = 0; v < dev->irq.nvectors; v++)
			mix(&d, dev->irq.vectors[v] >= 0);
		mix(&d, dev->nioeventfds);
		if (dev != waking) {
			mix(&d, dev->pm_engaged);
			mix(&d, dev->pm_wake_fd >= 0);
		}
		mix(&d, dev->power_state);
	}
	for (int k = 0; k < NPROCS; k++) {
		mix(&d, H_PROC[k]->locked_vm);
		mix(&d, H_PROC[k]->pinned_vm);
	}
	mix(&d, imap_count(&H_EMU->phys.extents));
	return d.h;
}

/* Linux resumes a device for every ioctl of a bound file (BIND aside) and
 * every access to a region that exists, before the call can fail
 * (vfio_device_fops_unl_ioctl, vfio_pci_rw); the resume of a device in
 * low power with a wake eventfd signals it and ends low power.  So such a
 * device may wake even when the call fails: the device, or NULL. */
static const struct iemu_device *wakes(const struct iemu_devfile *f)
{
	return f->dev->pm_engaged && f->dev->pm_wake_fd >= 0 ? f->dev : NULL;
}

/* A device that may have woken did so whole, or not at all. */
static void check_woken(const struct iemu_device *d)
{
	if (d)
		H_CHECK(d->pm_engaged == (d->pm_wake_fd >= 0),
			"%s: half out of low power (engaged %d, wake fd %d)", d->name,
			d->pm_engaged, d->pm_wake_fd);
}

/* Failures after which the kernel has changed state all the same. */
static bool may_fail_with_changes(bool dev, unsigned int nr, long rc, bool msi_on)
{
	/* Unmapping stops at the first area it cannot take (EBUSY, ENOENT
	 * for a partial one, EDEADLOCK) after unmapping the ones before;
	 * type1's unmap splits areas first. */
	if (!dev && (nr == IOMMU_IOAS_UNMAP || nr == VFIO_IOMMU_UNMAP_DMA))
		return true;
	/* Handlers that answer after the work is done and do not undo it
	 * when the answer cannot be written (iommufd_ioas_map, _copy,
	 * _map_file, iommufd_option): the mapping or the option stays.
	 * GET_DIRTY_BITMAP clears the bits it reported before the write
	 * that failed; the selftest's commands do what the test needs. */
	if (!dev)
		return rc == -EFAULT &&
		       (nr == IOMMU_IOAS_MAP || nr == IOMMU_IOAS_MAP_FILE || nr == IOMMU_IOAS_COPY ||
			nr == IOMMU_OPTION || nr == IOMMU_HWPT_GET_DIRTY_BITMAP ||
			nr == IOMMU_TEST_CMD);
	/* A block of vectors set on MSI or MSI-X already enabled that fails
	 * part way clears the block's vectors up to the one that failed,
	 * triggers they had before included (vfio_msi_set_block's unwind). */
	if (nr == VFIO_DEVICE_SET_IRQS && msi_on)
		return true;
	/* An attach that replaced, then could not write pt_id back, is
	 * undone by a detach (vfio_df_ioctl_attach_pt's out_detach). */
	return nr == VFIO_DEVICE_ATTACH_IOMMUFD_PT && rc == -EFAULT;
}

/* ---- per-input state ---- */

static struct iemu_devfile *files[NFILES];
static const int file_dev[NFILES] = { DEV_DMATEST, DEV_EDU, DEV_EMULATED };
static bool trace;

static long ioctl_of(bool self, struct iemu_ctx *ctx, uint32_t cmd, const void *arg, size_t len)
{
	uint64_t at = mem_of(self).rw + 0x800;

	put(self, at, arg, len);
	return iemu_ctx_ioctl(ctx, mem_of(self).proc, cmd, at);
}

/* The same starting point for every input. */
static void setup(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = 1,
		.user_va = ARENA_VA(16),
		.length = 16 * HPG,
		.iova = 0x100000,
	};
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = FD_CTX0 };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = 1 };
	long rc;

	for (int i = 0; i < 2; i++)
		if (iemu_ctx_open(H_EMU, H_PROC[0], &H_CTX[i]))
			h_fail("iemu_ctx_open");
	rc = ioctl_of(false, H_CTX[0], IOMMU_IOAS_ALLOC, &a, sizeof(a));
	if (!rc)
		rc = ioctl_of(false, H_CTX[0], IOMMU_IOAS_MAP, &m, sizeof(m));
	for (int i = 0; i < NFILES && !rc; i++) {
		harness_device_used(file_dev[i]);
		rc = iemu_devfile_open(H_DEV[file_dev[i]], H_PROC[0], &files[i]);
	}
	if (!rc) {
		arena_put(ARENA_VA(AR_SCRATCH_FIRST), &b, sizeof(b));
		rc = iemu_devfile_ioctl(files[0], H_PROC[0], VFIO_DEVICE_BIND_IOMMUFD,
					ARENA_VA(AR_SCRATCH_FIRST));
	}
	if (!rc) {
		arena_put(ARENA_VA(AR_SCRATCH_FIRST), &at, sizeof(at));
		rc = iemu_devfile_ioctl(files[0], H_PROC[0], VFIO_DEVICE_ATTACH_IOMMUFD_PT,
					ARENA_VA(AR_SCRATCH_FIRST));
	}
	if (rc)
		h_fail("set-up failed: %ld", rc);
}

static void teardown(void)
{
	harness_close_anon();
	for (int i = 0; i < NFILES; i++) {
		if (files[i])
			iemu_devfile_close(files[i]);
		files[i] = NULL;
	}
	for (int i = 0; i < NCTX; i++) {
		if (H_CTX[i])
			iemu_ctx_close(H_CTX[i]);
		H_CTX[i] = NULL;
	}
}

/* The size field's value: as given, exact, the minimum, shorter, longer
 * with a zero tail, longer with a non-zero tail, zero, huge. */
static uint32_t size_rule(uint8_t b, const struct cmd *c, uint32_t raw, size_t *len,
			  uint8_t *arg)
{
	if (!c->size)
		return raw;
	switch (b % 8) {
	case 1:
		return c->size;
	case 2:
		return c->min;
	case 3:
		return c->min - 1;
	case 4:
		if (*len < c->size + 16u)
			*len = c->size + 16;
		memset(arg + c->size, 0, 16);
		return c->size + 16;
	case 5:
		if (*len < c->size + 16u)
			*len = c->size + 16;
		arg[c->size + 15] = 1;
		return c->size + 16;
	case 6:
		return 0;
	case 7:
		return 0x10000;
	default:
		return raw;
	}
}

/* The selftest's MD_CHECK_MAP and MD_CHECK_REFS look at each page of the
 * caller's range, as the kernel's do with get_user_pages: over the
 * terabytes an ASan process maps for its shadow, that is minutes, in
 * Linux too.  Keep their lengths to 1 MiB (and the call to memory that
 * holds them, see one_call). */
#define TEST_WALK_BYTES (offsetof(struct iommu_test_cmd, check_map.length) + 8)

static void bound_test_walk(uint8_t *arg, size_t *len)
{
	size_t off;
	uint32_t op;
	uint64_t n;

	memcpy(&op, arg + offsetof(struct iommu_test_cmd, op), sizeof(op));
	if (op == IOMMU_TEST_OP_MD_CHECK_MAP)
		off = offsetof(struct iommu_test_cmd, check_map.length);
	else if (op == IOMMU_TEST_OP_MD_CHECK_REFS)
		off = offsetof(struct iommu_test_cmd, check_refs.length);
	else
		return;
	/* The field is in the bytes the call places, not in stale memory. */
	if (*len < off + 8)
		*len = off + 8;
	memcpy(&n, arg + off, 8);
	if (n > (1u << 20))
		n &= (1u << 20) - 1;
	memcpy(arg + off, &n, 8);
}

static void one_call(struct in *in)
{
	/* One declarator at a time: the bytes are read in this order. */
	uint8_t kind = u8(in), sel = u8(in), who = u8(in), how = u8(in), srule = u8(in);
	uint8_t aim0 = u8(in), aim1 = u8(in), aim2 = u8(in);
	uint8_t extra = u8(in);
	uint8_t aims[3] = { aim0, aim1, aim2 };
	size_t len = u8(in) % (ARG_MAX - 32), writable;
	bool self = who & 0x80, dev = kind % 3 == 1;
	struct mem m = mem_of(self);
	uint8_t arg[ARG_MAX] = { 0 };
	const struct cmd *c;
	uint64_t at, before;
	const struct iemu_device *waking;
	bool msi_on;
	struct iemu_ctx *ctx;
	struct iemu_devfile *f;
	long rc;

	for (size_t i = 0; i < len; i++)
		arg[i] = u8(in);
	if (kind % 3 == 2) {
		/* Region I/O: a buffer of the emulator's caller, any offset. */
		uint8_t buf[64] = { 0 };
		uint64_t off = REGION(sel % 11) + (arg[0] | (uint64_t)arg[1] << 8 |
						   (uint64_t)(extra & 0x3f) << 16);
		size_t n = arg[2] % 65;

		f = files[who % NFILES];
		memcpy(buf, arg + 3, sizeof(buf) < len ? sizeof(buf) : len);
		waking = wakes(f);
		before = digest_state(waking);
		/* Writes to BAR0 may start work on a model's thread; config
		 * space, other BARs and reads are synchronous. */
		if ((extra & 0x80) && (sel % 11 == VFIO_PCI_CONFIG_REGION_INDEX || sel % 11 > 0))
			rc = iemu_devfile_write(f, buf, n, off);
		else
			rc = iemu_devfile_read(f, buf, n, off);
		if (trace)
			fprintf(stderr, "  %s %#llx+%zu -> %ld\n", extra & 0x80 ? "write" : "read",
				(unsigned long long)off, n, rc);
		H_CHECK(rc <= (long)n && rc > -4096, "region I/O of %zu returned %ld", n, rc);
		check_woken(waking);
		if (rc < 0)
			H_CHECK(digest_state(waking) == before,
				"a refused region access changed state");
		return;
	}
	c = dev ? &dev_cmds[sel % NDEV_CMDS] : &ctx_cmds[sel % NCTX_CMDS];
	if (c->size) {
		uint32_t size;

		memcpy(&size, arg, 4);
		size = size_rule(srule, c, size, &len, arg);
		memcpy(arg, &size, 4);
	}
	for (int i = 0; i < 3; i++) {
		const struct patch *p = &c->patch[i];
		uint64_t v64;
		int32_t v32;

		if (!p->kind || aims[i] >= 0xf0)
			continue;
		if (len < p->off + 8u)
			len = p->off + 8u;
		switch (p->kind) {
		case P_PTR:
			memcpy(&v64, arg + p->off, 8);
			v64 = aim_ptr(&m, aims[i], v64);
			memcpy(arg + p->off, &v64, 8);
			break;
		case P_VA:
			v64 = m.data + (aims[i] % 16) * HPG + (aims[i] & 0x10 ? 0x800 : 0);
			if (aims[i] & 0x20)
				v64 = aim_ptr(&m, aims[i], v64);
			memcpy(arg + p->off, &v64, 8);
			break;
		case P_FD:
			memcpy(&v32, arg + p->off, 4);
			v32 = aim_fd(aims[i], v32);
			memcpy(arg + p->off, &v32, 4);
			break;
		case P_CTXFD:
			v32 = aims[i] < 0xc0 ? FD_CTX0 + aims[i] % NCTX : aim_fd(aims[i], 0);
			memcpy(arg + p->off, &v32, 4);
			break;
		case P_ID:
			v32 = aims[i] % 8;
			memcpy(arg + p->off, &v32, 4);
			break;
		}
	}
	if (!dev && c->nr == IOMMU_TEST_CMD)
		bound_test_walk(arg, &len);
	at = place(&m, how, len ? len : 1, &writable);
	/* Placed across into memory we cannot write, the selftest's op and
	 * lengths would be what an earlier call left there, unbounded. */
	if (!dev && c->nr == IOMMU_TEST_CMD && writable < TEST_WALK_BYTES)
		return;
	put(self, at, arg, len < writable ? len : writable);
	/* What cannot be written stays as the memory holds it (zeros, or
	 * nothing at all). */
	f = dev ? files[who % NFILES] : NULL;
	waking = f ? wakes(f) : NULL;
	msi_on = f && (f->dev->irq.type == VFIO_IRQ_MSI || f->dev->irq.type == VFIO_IRQ_MSIX);
	before = digest_state(waking);
	if (dev) {
		rc = iemu_devfile_ioctl(f, m.proc, c->nr, at);
	} else {
		ctx = H_CTX[who % 2];
		rc = iemu_ctx_ioctl(ctx, m.proc, c->nr,
				    c->size || c->nr == VFIO_IOMMU_GET_INFO ? at : arg[0] % 12);
	}
	if (trace)
		fprintf(stderr, "  %s %s%s at %#llx len %zu -> %ld\n", self ? "self" : "arena",
			dev ? "file " : "ctx ",
			iemu_ioctl_name(dev ? IEMU_FILE_DEVICE : IEMU_FILE_IOMMU, c->nr) ?: "?",
			(unsigned long long)at, len, rc);
	H_CHECK(rc > -4096, "%s returned %ld",
		iemu_ioctl_name(dev ? IEMU_FILE_DEVICE : IEMU_FILE_IOMMU, c->nr) ?: "?", rc);
	check_woken(waking);
	if (rc < 0 && !may_fail_with_changes(dev, c->nr, rc, msi_on))
		H_CHECK(digest_state(waking) == before, "%s failed (%ld) and changed the state",
			iemu_ioctl_name(dev ? IEMU_FILE_DEVICE : IEMU_FILE_IOMMU, c->nr) ?: "?",
			rc);
}

/* The hole in the self pages is a real gap in the address space, which a
 * later mapping of the fuzzer's could fill; the emulator would then write
 * that mapping.  Seen at the start of each input (mincore: ENOMEM for a
 * range with an unmapped page). */
static void self_hole_check(void)
{
	unsigned char vec[S_RW2 - S_HOLE];

	H_CHECK(mincore(self_mem + S_HOLE * HPG, (S_RW2 - S_HOLE) * HPG, vec) < 0 &&
			errno == ENOMEM,
		"a mapping of the fuzzer's fills the self pages' hole: a harness limit, "
		"not a finding");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	harness_init();
	trace = getenv("IEMU_FUZZ_TRACE") != NULL;
	self_mem = mmap(NULL, SELF_PAGES * HPG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (self_mem == MAP_FAILED ||
	    mprotect(self_mem + S_RO * HPG, (S_RW1 - S_RO) * HPG, PROT_READ) ||
	    mprotect(self_mem + S_NONE * HPG, (S_HOLE - S_NONE) * HPG, PROT_NONE) ||
	    munmap(self_mem + S_HOLE * HPG, (S_RW2 - S_HOLE) * HPG) ||
	    mprotect(self_mem + S_GUARD * HPG, (SELF_PAGES - S_GUARD) * HPG, PROT_NONE))
		h_fail("the self arena");
	if (iemu_proc_self(H_EMU, &self_proc))
		h_fail("iemu_proc_self");
	/* No CAP_IPC_LOCK: its pins are charged to its user. */
	iemu_proc_set_caps(self_proc, 1ULL << IEMU_CAP_SYS_RAWIO);
	iemu_proc_set_memlock(self_proc, 64 * HPG);
	harness_extra_proc(self_proc);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };

	if (!H_EMU)
		LLVMFuzzerInitialize(NULL, NULL);
	harness_begin_input();
	self_hole_check();
	setup();
	check_all();
	for (unsigned int n = 0; in.n && n < MAX_CALLS; n++) {
		one_call(&in);
		check_all();
	}
	teardown();
	harness_drain_eventfds();
	harness_reset_devices();
	harness_end_input();
	check_idle();
	return 0;
}
