// SPDX-License-Identifier: MIT
/*
 * The operation target: an input is a sequence of operations over three
 * contexts, their IOASes, HWPTs and accesses, four device files on six
 * devices, DMA commands, and the selftest's mock IOMMU (mock devices,
 * nested HWPTs, vIOMMUs, vDEVICEs, HW queues, fault queues and vEVENTQs
 * with their fds); after each operation every invariant is checked
 * (harness.c), and at the end of the input everything is closed and must
 * be back to nothing.
 *
 * Encoding: one opcode byte (taken modulo the number of operations), then
 * the operation's argument bytes; a missing byte reads as 0 and ends the
 * input after that operation.  Selectors turn a byte or two into the
 * values worth trying: an object of the right type (or a raw id), an
 * arena address (read-write, read-only, hole, I/O, shared file, shmem,
 * page offsets, outside), a length, an IOVA (page multiples, the VT-d MSI
 * window, the ends of the aperture and of the address space).
 *
 * DMA is the engine called directly (dma_rw/dma_copy, the models' port),
 * never a model's worker thread, so that an input always runs the same
 * way; BAR writes that would start work on a model's thread are left out.
 * DMA results are checked against the areas: a transfer succeeds exactly
 * when the bytes are mapped with the permission it needs (and bus
 * mastering is on), data lands where the areas say, and a refused
 * transfer changes nothing.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "ctx.h"
#include "device.h"
#include "dma.h"
#include "emu.h"
#include "fuzz_ops.h"
#include "harness.h"
#include "hwpt.h"
#include "idev.h"
#include "ioas.h"
#include "iommufd_emu/dmatest.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/iommufd_test.h"
#include "iommufd_emu/uapi/vfio.h"
#include "pages.h"
#include "pt.h"
#include "viommu.h"

#define SCRATCH ARENA_VA(AR_SCRATCH_FIRST)
#define SCRATCH2 ARENA_VA(AR_SCRATCH_FIRST + 8)
#define NFILES 4
#define MAX_OPS 256
#define DMA_MAX (16u << 10)
#define REGION(i) ((uint64_t)(i) << 40)

/* ---- reading the input ---- */

struct in {
	const uint8_t *p;
	size_t n;
	bool ended;
};

static uint8_t u8(struct in *in)
{
	if (!in->n) {
		in->ended = true;
		return 0;
	}
	in->n--;
	return *in->p++;
}

/* An operation reads its argument bytes first, in order, into a[]: the
 * order the C compiler evaluates an initializer list in is unspecified, so
 * no byte is read inside one. */
static void take(struct in *in, uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = u8(in);
}

#define ARGS(n)           \
	uint8_t av[n];    \
	take(in, av, n)
#define A8(i) (av[i])
#define A16(i) ((uint16_t)(av[i] | av[(i) + 1] << 8))
#define A32(i) ((uint32_t)A16(i) | (uint32_t)A16((i) + 2) << 16)

/* ---- per-input state ---- */

struct file {
	struct iemu_devfile *f;
	int dev;
};

static struct file files[NFILES];

/* What the harness's accesses are for (their unmap callbacks). */
struct acc_slot {
	struct iemu_ctx *ctx;
};

static struct acc_slot acc[H_MAX_ACCESSES];

/* What the current operation touched, for the checks that follow it. */
static struct iemu_ctx *touched[8];
static unsigned int ntouched;
static bool touched_devices;

static void touch(struct iemu_ctx *ctx)
{
	for (unsigned int i = 0; i < ntouched; i++)
		if (touched[i] == ctx)
			return;
	if (ctx && ntouched < 8)
		touched[ntouched++] = ctx;
}

static struct iemu_ctx *ctx_at(uint8_t b)
{
	unsigned int slot = b % NCTX;

	if (!H_CTX[slot] && iemu_ctx_open(H_EMU, H_PROC[0], &H_CTX[slot]))
		h_fail("iemu_ctx_open failed");
	touch(H_CTX[slot]);
	return H_CTX[slot];
}

static struct iemu_proc *proc_at(uint8_t b)
{
	return H_PROC[b % NPROCS];
}

/* An object of the given type (OBJ_ANY: any), chosen by b; b >= 0xf0 or
 * none of that type: a raw id 0..15. */
static uint32_t pick_id(struct iemu_ctx *ctx, enum obj_type type, uint8_t b)
{
	uint32_t ids[64];
	unsigned int n = 0;

	if (b < 0xf0) {
		for (size_t id = 1, end = slot_end(ctx); id < end && n < 64; id++) {
			struct obj *o = ctx->slots[id];

			if (o && (type == OBJ_ANY || o->type == type))
				ids[n++] = o->id;
		}
		if (n)
			return ids[b % n];
	}
	return b & 0xf;
}

static uint64_t sel_va(uint16_t v)
{
	static const uint64_t special[] = {
		0, 8, ARENA_BASE - HPG, ARENA_BASE + ARENA_SIZE, UINT64_MAX - HPG + 1,
		ARENA_BASE + ARENA_SIZE - HPG, UINT64_MAX, 1ULL << 47,
	};
	static const uint64_t offs[8] = { 0, 0, 0, 0, 0x800, 1, 0xfff, 0x10 };
	uint64_t page = v & 0x1ff;

	if ((v >> 12) == 0xf)
		return special[v % 8];
	return ARENA_VA(page) + offs[(v >> 9) & 7];
}

static uint64_t sel_len(uint8_t v)
{
	static const uint64_t special[] = {
		0, 1, 0x800, HPG + 0x800, 2ULL << 20, 1ULL << 30, 1ULL << 48, UINT64_MAX,
		UINT64_MAX - HPG + 1, HPG - 1, 8 * HPG - 1, 512 * HPG, 64 * HPG, 1ULL << 40,
		3 * HPG, 0x10,
	};

	if (v < 0xe0)
		return (v % 32 + 1) * HPG;
	return special[v % 16];
}

static uint64_t sel_iova(uint16_t v)
{
	uint64_t page = v & 0x3ff;

	switch (v >> 10) {
	case 0 ... 47:
		return page * HPG;
	case 48 ... 55:
		return page * HPG + 0x800;
	case 56:
		return 0xfee00000ULL - 0x10000 + page * HPG;
	case 57:
		return (1ULL << 48) - (page + 1) * HPG;
	case 58:
		return (1ULL << 48) + page * HPG;
	case 59:
		return UINT64_MAX - (page + 1) * HPG + 1;
	case 60:
		return page << 21;
	case 61:
		return UINT64_MAX - page;
	case 62:
		return (1ULL << 32) + page * HPG;
	default:
		return page;
	}
}

static uint64_t area_pa_of(const struct area *a, uint64_t iova);

/* ---- calling the emulator with arguments in the arena ---- */

/* IEMU_FUZZ_TRACE=1: one line per ioctl, with its argument as 64-bit words
 * before the call, the result, and the words after. */
static bool trace;

static void trace_words(const char *tag, const void *arg, size_t size)
{
	const uint8_t *p = arg;

	fprintf(stderr, " %s", tag);
	for (size_t i = 0; i < size; i += 8) {
		uint64_t w = 0;

		memcpy(&w, p + i, size - i < 8 ? size - i : 8);
		fprintf(stderr, " %#llx", (unsigned long long)w);
	}
}

static void trace_call(enum iemu_file_kind kind, const void *who, unsigned int cmd,
		       const void *before, const void *after, size_t size, long rc)
{
	const char *name = iemu_ioctl_name(kind, cmd);

	fprintf(stderr, "  %s %p %s", kind == IEMU_FILE_IOMMU ? "ctx" : "file", who,
		name ? name : "?");
	trace_words("in", before, size);
	fprintf(stderr, " -> %ld", rc);
	trace_words("out", after, size);
	fprintf(stderr, "\n");
}

/* How the current operation's ioctls went (see skip_checks()). */
static unsigned int ioctls_ok, ioctls_failed;

static void count_ioctl(long rc)
{
	if (rc < 0)
		ioctls_failed++;
	else
		ioctls_ok++;
}

static long ctx_ioctl(struct iemu_ctx *ctx, struct iemu_proc *p, unsigned int cmd, void *arg,
		      size_t size)
{
	uint8_t before[256];
	long rc;

	if (trace)
		memcpy(before, arg, size < sizeof(before) ? size : sizeof(before));
	arena_put(SCRATCH, arg, size);
	rc = iemu_ctx_ioctl(ctx, p, cmd, SCRATCH);
	count_ioctl(rc);
	arena_get(SCRATCH, arg, size);
	if (trace)
		trace_call(IEMU_FILE_IOMMU, ctx, cmd, before, arg,
			   size < sizeof(before) ? size : sizeof(before), rc);
	return rc;
}

static long dev_ioctl(struct file *f, struct iemu_proc *p, unsigned int cmd, void *arg,
		      size_t size)
{
	uint8_t before[256];
	long rc;

	if (trace)
		memcpy(before, arg, size < sizeof(before) ? size : sizeof(before));
	arena_put(SCRATCH, arg, size);
	rc = iemu_devfile_ioctl(f->f, p, cmd, SCRATCH);
	count_ioctl(rc);
	arena_get(SCRATCH, arg, size);
	if (trace)
		trace_call(IEMU_FILE_DEVICE, f->f, cmd, before, arg,
			   size < sizeof(before) ? size : sizeof(before), rc);
	return rc;
}

static void expect_errno(long rc, const char *what)
{
	H_CHECK(rc <= 0 && rc > -4096, "%s returned %ld", what, rc);
}

/* ---- the IOAS operations ---- */

static void op_ioas_alloc(struct in *in)
{
	ARGS(2);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	long rc = ctx_ioctl(ctx, proc_at(A8(1)), IOMMU_IOAS_ALLOC, &a, sizeof(a));

	expect_errno(rc, "IOAS_ALLOC");
	if (!rc)
		H_CHECK(obj_find(ctx, a.out_ioas_id, OBJ_IOAS), "IOAS_ALLOC's id %u is unknown",
			a.out_ioas_id);
}

static void op_destroy(struct in *in)
{
	ARGS(2);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	struct iommu_destroy d = { .size = sizeof(d), .id = pick_id(ctx, OBJ_ANY, A8(1)) };
	long rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_DESTROY, &d, sizeof(d));

	expect_errno(rc, "DESTROY");
	if (!rc)
		H_CHECK(!obj_find(ctx, d.id, OBJ_ANY), "destroyed id %u is still known", d.id);
}

static uint32_t map_flags(uint8_t b)
{
	uint32_t f = 0;

	if (b & 1)
		f |= IOMMU_IOAS_MAP_FIXED_IOVA;
	if (!(b & 2))
		f |= IOMMU_IOAS_MAP_WRITEABLE;
	if (!(b & 4))
		f |= IOMMU_IOAS_MAP_READABLE;
	if ((b & 0x38) == 0x38)
		f |= 1u << (8 + (b >> 6));
	return f;
}

/* A mapping that succeeded: an area of the right permission at its IOVA. */
static void check_mapped(struct iemu_ctx *ctx, uint32_t ioas_id, uint64_t iova, uint64_t len,
			 uint32_t flags)
{
	struct ioas *ioas = ioas_find(ctx, ioas_id);
	struct iopt_contig c;
	unsigned int prot = (flags & IOMMU_IOAS_MAP_WRITEABLE ? PT_WRITE : 0) |
			    (flags & IOMMU_IOAS_MAP_READABLE ? PT_READ : 0);

	H_CHECK(ioas, "mapped into IOAS %u, which is unknown", ioas_id);
	for (struct area *a = iopt_contig_first(&c, &ioas->iopt, iova, iova + len - 1); a;
	     a = iopt_contig_next(&c))
		H_CHECK(a->prot == prot, "new area %#llx has prot %#x, asked %#x",
			(unsigned long long)a->iova, a->prot, prot);
	H_CHECK(c.done, "mapping %#llx+%#llx is not all there", (unsigned long long)iova,
		(unsigned long long)len);
}

static void op_map(struct in *in)
{
	ARGS(9);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.ioas_id = pick_id(ctx, OBJ_IOAS, A8(1)),
		.flags = map_flags(A8(2)),
		.user_va = sel_va(A16(3)),
		.length = sel_len(A8(5)),
		.iova = sel_iova(A16(6)),
	};
	long rc = ctx_ioctl(ctx, proc_at(A8(8)), IOMMU_IOAS_MAP, &m, sizeof(m));

	expect_errno(rc, "IOAS_MAP");
	if (!rc)
		check_mapped(ctx, m.ioas_id, m.iova, m.length, m.flags);
}

static void op_map_file(struct in *in)
{
	ARGS(9);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t fsel = A8(1);
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.ioas_id = pick_id(ctx, OBJ_IOAS, A8(2)),
		.flags = map_flags(A8(3)),
		.fd = fsel < 0xf0 ? FD_MEMFD : (int)(fsel & 0xf) - 1,
		.start = (A8(4) % 300) * HPG,
		.length = sel_len(A8(5)),
		.iova = sel_iova(A16(6)),
	};
	long rc;

	if (fsel & 1)
		m.start += 0x800;
	rc = ctx_ioctl(ctx, proc_at(A8(8)), IOMMU_IOAS_MAP_FILE, &m, sizeof(m));
	expect_errno(rc, "IOAS_MAP_FILE");
	if (!rc)
		check_mapped(ctx, m.ioas_id, m.iova, m.length, m.flags);
}

static void op_copy(struct in *in)
{
	ARGS(10);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	struct iommu_ioas_copy c = {
		.size = sizeof(c),
		.dst_ioas_id = pick_id(ctx, OBJ_IOAS, A8(1)),
		.src_ioas_id = pick_id(ctx, OBJ_IOAS, A8(2)),
		.flags = map_flags(A8(3)),
		.length = sel_len(A8(4)),
		.src_iova = sel_iova(A16(5)),
		.dst_iova = sel_iova(A16(7)),
	};
	long rc = ctx_ioctl(ctx, proc_at(A8(9)), IOMMU_IOAS_COPY, &c, sizeof(c));

	expect_errno(rc, "IOAS_COPY");
	if (!rc)
		check_mapped(ctx, c.dst_ioas_id, c.dst_iova, c.length, c.flags);
}

static void op_unmap(struct in *in)
{
	ARGS(6);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	bool all = A8(1) & 1;
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = pick_id(ctx, OBJ_IOAS, A8(2)),
		.iova = all ? 0 : sel_iova(A16(3)),
		.length = all ? UINT64_MAX : sel_len(A8(5)),
	};
	uint64_t first = u.iova, last;
	struct imap_entry e;
	struct ioas *ioas;
	long rc;

	if (__builtin_add_overflow(first, u.length - 1, &last))
		last = UINT64_MAX;
	rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_IOAS_UNMAP, &u, sizeof(u));
	expect_errno(rc, "IOAS_UNMAP");
	ioas = ioas_find(ctx, u.ioas_id);
	/* Success unmapped every area in the range (partial ones fail). */
	if (!rc && ioas)
		H_CHECK(!imap_first(&ioas->iopt.areas, first, last, &e),
			"IOAS_UNMAP succeeded and left an area at %#llx", (unsigned long long)e.start);
}

static void op_allow_iovas(struct in *in)
{
	ARGS(15);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t n = A8(1) % 5;
	struct iommu_iova_range r[4] = { { 0 } };
	struct iommu_ioas_allow_iovas a = {
		.size = sizeof(a),
		.ioas_id = pick_id(ctx, OBJ_IOAS, A8(2)),
		.num_iovas = n,
		.allowed_iovas = SCRATCH2,
	};
	long rc;

	for (unsigned int i = 0; i < n && i < 4; i++) {
		r[i].start = sel_iova(A16(3 + 3 * i));
		r[i].last = r[i].start + sel_len(A8(5 + 3 * i)) - 1;
	}
	arena_put(SCRATCH2, r, sizeof(r));
	rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_IOAS_ALLOW_IOVAS, &a, sizeof(a));
	expect_errno(rc, "IOAS_ALLOW_IOVAS");
}

static void op_iova_ranges(struct in *in)
{
	ARGS(3);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = pick_id(ctx, OBJ_IOAS, A8(1)),
		.num_iovas = A8(2) % 6,
		.allowed_iovas = SCRATCH2,
	};
	struct ioas *ioas = ioas_find(ctx, q.ioas_id);
	long rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_IOAS_IOVA_RANGES, &q, sizeof(q));

	expect_errno(rc, "IOAS_IOVA_RANGES");
	if ((!rc || rc == -EMSGSIZE) && ioas)
		H_CHECK(q.out_iova_alignment == ioas->iopt.iova_alignment,
			"IOVA_RANGES reports alignment %#llx, IOAS has %#llx",
			(unsigned long long)q.out_iova_alignment,
			(unsigned long long)ioas->iopt.iova_alignment);
}

static void op_option(struct in *in)
{
	ARGS(4);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t b = A8(1);
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = b & 1,
		.op = (b >> 1) & 1,
		.object_id = (b & 4) ? 0 : pick_id(ctx, OBJ_IOAS, A8(2)),
		.val64 = (b >> 3) & 3,
	};
	long rc = ctx_ioctl(ctx, proc_at(A8(3)), IOMMU_OPTION, &o, sizeof(o));

	expect_errno(rc, "OPTION");
}

/* An area of pinned pages charged to nobody that caller (arg) does not own. */
static int uncharged_not_callers(void *arg, struct area *a)
{
	const struct pages *p = a->pages;

	return p->account == ACCOUNT_NONE && p->npinned && p->source != arg;
}

/* Whether ctx maps pinned pages charged to nobody that caller does not own. */
static bool moves_uncharged(struct iemu_ctx *ctx, struct iemu_proc *caller)
{
	return ctx_for_each_area(ctx, uncharged_not_callers, caller);
}

static void op_change_process(struct in *in)
{
	ARGS(2);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	struct iemu_proc *p = proc_at(A8(1));
	struct iommu_ioas_change_process c = { .size = sizeof(c) };
	bool drift = moves_uncharged(ctx, p);
	long rc = ctx_ioctl(ctx, p, IOMMU_IOAS_CHANGE_PROCESS, &c, sizeof(c));

	expect_errno(rc, "IOAS_CHANGE_PROCESS");
	if (!rc && drift)
		h_pinned_vm_drift = true;
}

static void op_vfio_ioas(struct in *in)
{
	ARGS(3);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t b = A8(1);
	struct iommu_vfio_ioas v = {
		.size = sizeof(v),
		.ioas_id = pick_id(ctx, OBJ_IOAS, A8(2)),
		.op = b % 4,
	};
	long rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_VFIO_IOAS, &v, sizeof(v));

	expect_errno(rc, "VFIO_IOAS");
}

/* The VFIO type1 container ioctls on /dev/iommu. */
static void op_compat(struct in *in)
{
	ARGS(16);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t which = A8(1);
	struct iemu_proc *p = proc_at(A8(2));
	long rc;

	switch (which % 6) {
	case 0: {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = A8(3) & 3,
			.vaddr = sel_va(A16(4)),
			.size = sel_len(A8(6)),
			.iova = sel_iova(A16(7)),
		};

		rc = ctx_ioctl(ctx, p, VFIO_IOMMU_MAP_DMA, &m, sizeof(m));
		break;
	}
	case 1: {
		uint8_t f = A8(9);
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u),
			.flags = f & 1 ? VFIO_DMA_UNMAP_FLAG_ALL : 0,
			.iova = f & 2 ? 0 : sel_iova(A16(10)),
			.size = f & 4 ? 0 : sel_len(A8(12)),
		};

		rc = ctx_ioctl(ctx, p, VFIO_IOMMU_UNMAP_DMA, &u, sizeof(u));
		break;
	}
	case 2:
		rc = iemu_ctx_ioctl(ctx, p, VFIO_SET_IOMMU, A8(13) % 10);
		break;
	case 3: {
		uint8_t buf[256] = { 0 };
		uint32_t argsz = 16 + A8(14);

		memcpy(buf, &argsz, 4);
		arena_put(SCRATCH, buf, sizeof(buf));
		rc = iemu_ctx_ioctl(ctx, p, VFIO_IOMMU_GET_INFO, SCRATCH);
		break;
	}
	case 4:
		rc = iemu_ctx_ioctl(ctx, p, VFIO_CHECK_EXTENSION, A8(15) % 12);
		H_CHECK(rc >= -4095 && rc <= 1, "CHECK_EXTENSION returned %ld", rc);
		return;
	default:
		rc = iemu_ctx_ioctl(ctx, p, VFIO_GET_API_VERSION, 0);
		H_CHECK(rc == VFIO_API_VERSION, "GET_API_VERSION returned %ld", rc);
		return;
	}
	expect_errno(rc, "a VFIO container ioctl");
}

static void op_hwpt_alloc(struct in *in)
{
	ARGS(4);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t f = A8(1);
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h),
		.dev_id = pick_id(ctx, OBJ_DEVICE, A8(2)),
		.pt_id = pick_id(ctx, f & 0x80 ? OBJ_ANY : OBJ_IOAS, A8(3)),
		.flags = f & 0x3f,
		.fault_id = pick_id(ctx, OBJ_FAULT, A8(3)),
	};
	long rc;

	if (f & 0x40) {
		h.data_type = IOMMU_HWPT_DATA_VTD_S1;
		h.data_len = 16;
		h.data_uptr = SCRATCH2;
	}
	rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_HWPT_ALLOC, &h, sizeof(h));
	expect_errno(rc, "HWPT_ALLOC");
	if (!rc)
		H_CHECK(obj_find(ctx, h.out_hwpt_id, OBJ_HWPT_PAGING) ||
				obj_find(ctx, h.out_hwpt_id, OBJ_HWPT_NESTED),
			"HWPT_ALLOC's id %u is unknown", h.out_hwpt_id);
}

static void op_dirty(struct in *in)
{
	ARGS(9);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t b = A8(1);
	uint32_t id = pick_id(ctx, OBJ_HWPT_PAGING, A8(2));
	long rc;

	if (!(b & 1)) {
		struct iommu_hwpt_set_dirty_tracking t = {
			.size = sizeof(t), .hwpt_id = id, .flags = (b >> 1) & 3,
		};

		rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_HWPT_SET_DIRTY_TRACKING, &t, sizeof(t));
		expect_errno(rc, "SET_DIRTY_TRACKING");
		return;
	}
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g),
		.hwpt_id = id,
		.flags = (b >> 1) & 3,
		.iova = sel_iova(A16(3)),
		.length = sel_len(A8(5)),
		.page_size = 1ULL << (A8(6) % 40),
		.data = b & 0x80 ? SCRATCH2 : sel_va(A16(7)),
	};

	rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_HWPT_GET_DIRTY_BITMAP, &g, sizeof(g));
	expect_errno(rc, "GET_DIRTY_BITMAP");
}

static void op_info(struct in *in)
{
	ARGS(14);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t b = A8(1);
	struct iemu_proc *p = proc_at(A8(2));
	long rc;

	switch (b % 3) {
	case 0: {
		struct iommu_hw_info h = {
			.size = sizeof(h),
			.dev_id = pick_id(ctx, OBJ_DEVICE, A8(3)),
			.data_len = A8(4),
			.data_uptr = b & 8 ? SCRATCH2 : sel_va(A16(5)),
			.flags = (b >> 4) & 1,
			.in_data_type = (b >> 5) & 3,
		};

		rc = ctx_ioctl(ctx, p, IOMMU_GET_HW_INFO, &h, sizeof(h));
		expect_errno(rc, "GET_HW_INFO");
		break;
	}
	case 1: {
		struct iommu_ioas_noiommu_get_pa g = {
			.size = sizeof(g),
			.ioas_id = pick_id(ctx, OBJ_IOAS, A8(7)),
			.iova = sel_iova(A16(8)),
			.length = sel_len(A8(10)),
		};
		struct ioas *ioas = ioas_find(ctx, g.ioas_id);
		uint64_t iova = g.iova;

		rc = ctx_ioctl(ctx, p, IOMMU_IOAS_NOIOMMU_GET_PA, &g, sizeof(g));
		expect_errno(rc, "NOIOMMU_GET_PA");
		if (!rc) {
			struct area *a = ioas ? iopt_area_at(&ioas->iopt, iova) : NULL;

			H_CHECK(a && a->pinned, "GET_PA answered for an IOVA no pinned area maps");
			H_CHECK(g.out_phys == area_pa_of(a, iova),
				"GET_PA says %#llx for %#llx, the area %#llx",
				(unsigned long long)g.out_phys, (unsigned long long)iova,
				(unsigned long long)area_pa_of(a, iova));
			H_CHECK(g.length && g.length <= a->last - iova + 1,
				"GET_PA length %#llx beyond the area", (unsigned long long)g.length);
		}
		break;
	}
	default: {
		struct iommu_hwpt_invalidate v = {
			.size = sizeof(v),
			.hwpt_id = pick_id(ctx, OBJ_ANY, A8(11)),
			.data_uptr = SCRATCH2,
			.entry_len = A8(12),
			.entry_num = A8(13) % 4,
		};

		rc = ctx_ioctl(ctx, p, IOMMU_HWPT_INVALIDATE, &v, sizeof(v));
		expect_errno(rc, "HWPT_INVALIDATE");
		break;
	}
	}
}

/* A domain made without a device, with a geometry of the input's choice
 * (the internal API unit tests use). */
static void op_test_domain(struct in *in)
{
	ARGS(3);
	static const struct hwpt_geometry geos[] = {
		{ 0, (1ULL << 48) - 1, (1ULL << 12) | (1ULL << 21) | (1ULL << 30), true },
		{ 0x100000, (1ULL << 39) - 1, 1ULL << 12, false },
		{ 0, UINT64_MAX, ~(HPG - 1), false },
		{ 0, (1ULL << 32) - 1, 1ULL << 16, false },
		{ HPG, (1ULL << 48) - 1, 1ULL << 12, true },
	};
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t g = A8(1);
	struct ioas *ioas = ioas_find(ctx, pick_id(ctx, OBJ_IOAS, A8(2)));
	struct hwpt *hwpt;

	if (!ioas)
		return;
	pthread_mutex_lock(&ctx->lock);
	if (!hwpt_paging_create(ctx, ioas, &geos[g % 5], &hwpt))
		obj_finalize(ctx, &hwpt->obj);
	pthread_mutex_unlock(&ctx->lock);
}

static void op_ctx_close(struct in *in)
{
	ARGS(1);
	unsigned int slot = A8(0) % NCTX;

	if (H_CTX[slot]) {
		iemu_ctx_close(H_CTX[slot]);
		H_CTX[slot] = NULL;
	}
}

/* ---- device files ---- */

static struct file *file_at(uint8_t b)
{
	struct file *f = &files[b % NFILES];

	if (!f->f)
		return NULL;
	touched_devices = true;
	touch(H_DEV[f->dev]->ctx);
	return f;
}

static void op_file_open(struct in *in)
{
	ARGS(3);
	struct file *f = &files[A8(0) % NFILES];
	int dev = A8(1) % NDEVS;
	struct iemu_proc *p = proc_at(A8(2));
	int rc;

	if (f->f)
		return;
	harness_device_used(dev);
	rc = iemu_devfile_open(H_DEV[dev], p, &f->f);
	expect_errno(rc, "devfile_open");
	if (rc)
		f->f = NULL;
	f->dev = dev;
}

static void op_file_close(struct in *in)
{
	ARGS(1);
	struct file *f = file_at(A8(0));

	if (!f)
		return;
	iemu_devfile_close(f->f);
	f->f = NULL;
}

static void op_bind(struct in *in)
{
	ARGS(3);
	struct file *f = file_at(A8(0));
	uint8_t b = A8(1);
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = b < 0xf0 ? FD_CTX0 + b % NCTX : (int)(b & 0xf) - 2,
	};
	struct iemu_device *d;
	long rc;

	if (!f)
		return;
	if (b < 0xf0)
		ctx_at(b);
	if (b & 0x10) {
		bind.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
		bind.token_uuid_ptr = SCRATCH2;
	}
	rc = dev_ioctl(f, proc_at(A8(2)), VFIO_DEVICE_BIND_IOMMUFD, &bind, sizeof(bind));
	expect_errno(rc, "BIND");
	d = H_DEV[f->dev];
	touch(d->ctx);
	if (!rc)
		H_CHECK(d->bound == f->f && bind.out_devid == d->devid,
			"BIND succeeded, the device says otherwise");
}

static void op_attach(struct in *in)
{
	ARGS(3);
	struct file *f = file_at(A8(0));
	uint8_t b = A8(1), idb = A8(2);
	struct iemu_device *d;
	long rc;

	if (!f)
		return;
	d = H_DEV[f->dev];
	if (!(b & 1)) {
		struct vfio_device_attach_iommufd_pt a = {
			.argsz = sizeof(a),
			.flags = b & 2 ? VFIO_DEVICE_ATTACH_PASID : 0,
			.pasid = b & 4 ? (b >> 4) : 0,
			.pt_id = d->ctx ? pick_id(d->ctx, b & 8 ? OBJ_HWPT_PAGING : OBJ_IOAS, idb)
					: idb & 0xf,
		};

		rc = dev_ioctl(f, H_PROC[0], VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a, sizeof(a));
		expect_errno(rc, "ATTACH");
		/* Where the attach went: the RID, or the PASID (0 is the RID;
		 * Linux 7.3 takes any PASID on a noiommu device, as bookkeeping). */
		if (!rc && !d->emulated && d->noiommu != IEMU_NOIOMMU_NOOP_ATTACH) {
			uint32_t pasid = a.flags & VFIO_DEVICE_ATTACH_PASID ? a.pasid : 0;
			struct hwpt *h = d->idev ? idev_attached(d->idev, pasid) : NULL;

			H_CHECK(h && h->obj.id == a.pt_id,
				"%s: ATTACH at PASID %u wrote back %u, the device is on %u", d->name,
				pasid, a.pt_id, h ? h->obj.id : 0);
		}
	} else {
		struct vfio_device_detach_iommufd_pt a = {
			.argsz = sizeof(a),
			.flags = b & 2 ? VFIO_DEVICE_DETACH_PASID : 0,
			.pasid = b & 4 ? (b >> 4) : 0,
		};

		rc = dev_ioctl(f, H_PROC[0], VFIO_DEVICE_DETACH_IOMMUFD_PT, &a, sizeof(a));
		expect_errno(rc, "DETACH");
	}
}

static void cfg_write(struct file *f, unsigned int off, unsigned int n, uint32_t v)
{
	ssize_t rc = iemu_devfile_write(f->f, &v, n, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off);

	H_CHECK(rc == (ssize_t)n || rc < 0, "config write of %u returned %zd", n, rc);
}

static void op_cfg(struct in *in)
{
	ARGS(7);
	struct file *f = file_at(A8(0));
	uint8_t b = A8(1);
	unsigned int off = A8(2), n = 1u << (b % 3);
	uint32_t v = A32(3);
	ssize_t rc;

	if (!f)
		return;
	if ((b & 0x18) == 0) {
		/* Decode and bus mastering on, as a driver does first. */
		uint16_t cmd = 0;

		rc = iemu_devfile_read(f->f, &cmd, 2, REGION(VFIO_PCI_CONFIG_REGION_INDEX) +
						       PCI_COMMAND);
		cfg_write(f, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		return;
	}
	if (b & 0x20) {
		rc = iemu_devfile_read(f->f, &v, n, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off);
		H_CHECK(rc == (ssize_t)n || rc < 0, "config read of %u returned %zd", n, rc);
		return;
	}
	cfg_write(f, off, n, v);
}

static bool overlaps(uint64_t off, unsigned int n, uint64_t reg, unsigned int size)
{
	return off < reg + size && reg < off + n;
}

/* BAR writes of n bytes at off that start no work on a model's thread:
 * not dmatest's doorbells (TAIL), not edu's factorial or DMA start. */
static bool bar_write_safe(int dev, int bar, uint64_t off, unsigned int n)
{
	if (bar != 0)
		return true;
	if (dev == DEV_DMATEST || dev == DEV_EMULATED) {
		for (unsigned int q = 0; q < DMATEST_MAX_QUEUES; q++)
			if (overlaps(off, n, DMATEST_QUEUE(q) + DMATEST_Q_TAIL, 4))
				return false;
		return true;
	}
	return !overlaps(off, n, 0x08, 4) && !overlaps(off, n, 0x98, 8);
}

static void op_bar(struct in *in)
{
	ARGS(8);
	struct file *f = file_at(A8(0));
	uint8_t b = A8(1);
	unsigned int bar = b % 3 == 2 ? 9 : (b % 3) * 2;
	uint64_t off = A16(2);
	unsigned int n = 1u << ((b >> 2) & 3);
	uint64_t v = A32(4);
	uint8_t buf[8];
	ssize_t rc;

	if (!f)
		return;
	if (b & 0x80)
		off &= 0xfc;
	memcpy(buf, &v, 4);
	memset(buf + 4, 0, 4);
	if ((b & 0x40) && bar_write_safe(f->dev, bar, off, n)) {
		rc = iemu_devfile_write(f->f, buf, n, REGION(bar) + off);
	} else {
		rc = iemu_devfile_read(f->f, buf, n, REGION(bar) + off);
	}
	H_CHECK(rc <= (ssize_t)n && rc > -4096, "BAR access of %u returned %zd", n, rc);
}

static void op_set_irqs(struct in *in)
{
	ARGS(7);
	struct file *f = file_at(A8(0));
	uint8_t b = A8(1), c = A8(2);
	struct {
		struct vfio_irq_set s;
		int32_t fds[4];
	} a = { .s = { .argsz = sizeof(a), .index = b % 6, .start = (c >> 4) & 3,
		       .count = c & 7 } };
	static const uint32_t data[] = { VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
					 VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_EVENTFD };
	static const uint32_t action[] = { VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_TRIGGER,
					   VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK };
	long rc;

	if (!f)
		return;
	a.s.flags = data[(b >> 3) & 3] | action[(b >> 5) & 3];
	for (int i = 0; i < 4; i++) {
		uint8_t s = A8(3 + i);

		a.fds[i] = (a.s.flags & VFIO_IRQ_SET_DATA_BOOL) ? s & 1 :
			   s < 0xc0 ? FD_EVENT0 + s % N_EVENTFDS :
			   s < 0xe0 ? -1 : (int)(s & 0xf) - 1;
	}
	if (a.s.flags & VFIO_IRQ_SET_DATA_BOOL) {
		uint8_t bools[4] = { (uint8_t)a.fds[0], (uint8_t)a.fds[1], (uint8_t)a.fds[2],
				     (uint8_t)a.fds[3] };

		memcpy(a.fds, bools, sizeof(bools));
	}
	rc = dev_ioctl(f, H_PROC[0], VFIO_DEVICE_SET_IRQS, &a, sizeof(a));
	expect_errno(rc, "SET_IRQS");
}

static void op_dev_misc(struct in *in)
{
	ARGS(8);
	struct file *f = file_at(A8(0));
	uint8_t b = A8(1), c = A8(2);
	uint8_t buf[128] = { 0 };
	uint32_t argsz = sizeof(buf);
	long rc;

	if (!f)
		return;
	memcpy(buf, &argsz, 4);
	switch (b % 8) {
	case 0:
		rc = dev_ioctl(f, H_PROC[0], VFIO_DEVICE_GET_INFO, buf, sizeof(buf));
		break;
	case 1: {
		struct vfio_region_info *r = (void *)buf;

		r->argsz = c & 1 ? sizeof(*r) : sizeof(buf);
		r->index = c >> 4;
		rc = dev_ioctl(f, H_PROC[0], VFIO_DEVICE_GET_REGION_INFO, buf, sizeof(buf));
		break;
	}
	case 2: {
		struct vfio_irq_info *q = (void *)buf;

		q->index = c % 6;
		rc = dev_ioctl(f, H_PROC[0], VFIO_DEVICE_GET_IRQ_INFO, buf, sizeof(buf));
		break;
	}
	case 3:
		rc = dev_ioctl(f, H_PROC[0], VFIO_DEVICE_RESET, buf, 0);
		break;
	case 4: {
		struct vfio_device_feature *ft = (void *)buf;
		static const uint32_t feats[] = {
			VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
			VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
			VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, VFIO_DEVICE_FEATURE_MIGRATION,
		};
		int32_t fd = c & 0x80 ? -1 : FD_EVENT0 + c % N_EVENTFDS;

		ft->argsz = sizeof(*ft) + (c & 0x40 ? 0 : 8);
		ft->flags = feats[c % 4] | ((c >> 2) & 3) << 16;
		memcpy(ft->data, &fd, sizeof(fd));
		rc = dev_ioctl(f, H_PROC[0], VFIO_DEVICE_FEATURE, buf, sizeof(buf));
		break;
	}
	case 5: {
		struct vfio_device_ioeventfd io = {
			.argsz = sizeof(io),
			.flags = 1u << (c & 3),
			.offset = REGION((c >> 2) & 3) + (uint64_t)A8(3) * 4,
			.data = A32(4),
			.fd = c & 0x40 ? -1 : FD_EVENT0 + (c >> 4) % N_EVENTFDS,
		};

		/* An ioeventfd fires on the poller's thread: only where a write
		 * starts nothing. */
		if (!bar_write_safe(f->dev, (int)((c >> 2) & 3), io.offset & 0xffffffff, 8))
			return;
		rc = dev_ioctl(f, H_PROC[0], VFIO_DEVICE_IOEVENTFD, &io, sizeof(io));
		break;
	}
	case 6: {
		struct vfio_pci_hot_reset_info *h = (void *)buf;

		h->argsz = sizeof(buf);
		rc = dev_ioctl(f, H_PROC[0], c & 1 ? VFIO_DEVICE_GET_PCI_HOT_RESET_INFO :
						     VFIO_DEVICE_PCI_HOT_RESET,
			       buf, sizeof(buf));
		break;
	}
	default:
		rc = dev_ioctl(f, H_PROC[0], _IO(VFIO_TYPE, VFIO_BASE + (c % 32)), buf,
			       sizeof(buf));
		break;
	}
	expect_errno(rc, "a device ioctl");
}

/* ---- DMA, with its oracle ---- */

/* The fake physical address an area maps iova to. */
static uint64_t area_pa_of(const struct area *a, uint64_t iova)
{
	return a->pages->phys + a->start_byte + (iova - a->iova);
}

/* The IOAS whose areas a device's DMA goes through, or NULL. */
static struct ioas *dma_ioas(struct iemu_device *d)
{
	if (d->dma_access)
		return d->dma_access->ioas;
	if (d->dma_pt && !device_is_noiommu(d))
		return hwpt_of_pt(d->dma_pt)->ioas;
	return NULL;
}

/* Whether the memory behind n bytes of area a at iova can be reached:
 * the process's pages are there (an access does not pin them first), the
 * file is our memfd and that long. */
static bool reach(const struct area *a, uint64_t iova, uint64_t n, bool write)
{
	const struct pages *p = a->pages;
	uint64_t byte = area_byte(a, iova);

	if (p->type == PAGES_USER)
		return arena_accessible(p->uptr + byte, n, write);
	return harness_is_memfd(p->dev, p->ino) && p->start + byte + n <= MEMFD_SIZE &&
	       p->start + byte + n > p->start + byte;
}

/* Whether [addr, addr+len) is mapped with perm through ioas; for an
 * access (which copies without pinning) also whether the memory is there. */
static bool mapped(struct ioas *ioas, uint64_t addr, uint64_t len, unsigned int perm,
		   bool access)
{
	struct iopt_contig c;
	uint64_t last;

	if (__builtin_add_overflow(addr, len - 1, &last))
		return false;
	for (struct area *a = iopt_contig_first(&c, &ioas->iopt, addr, last); a;
	     a = iopt_contig_next(&c)) {
		if ((perm && !(a->prot & perm)) || (access && a->prevent_access))
			return false;
		if (access && !reach(a, c.cur, iopt_contig_last(&c) - c.cur + 1, perm == PT_WRITE))
			return false;
	}
	return c.done;
}

/* Copy [addr, addr+len) of what ioas maps (it must be mapped) out to buf;
 * pieces whose memory cannot be reached read as zeros. */
static void gather(struct ioas *ioas, uint64_t addr, uint64_t len, uint8_t *buf)
{
	struct iopt_contig c;

	for (struct area *a = iopt_contig_first(&c, &ioas->iopt, addr, addr + len - 1); a;
	     a = iopt_contig_next(&c)) {
		uint64_t n = iopt_contig_last(&c) - c.cur + 1;
		uint8_t *to = buf + (c.cur - addr);
		const struct pages *p = a->pages;

		if (!reach(a, c.cur, n, false))
			memset(to, 0, n);
		else if (p->type == PAGES_USER)
			memcpy(to, arena_ptr(p->uptr + area_byte(a, c.cur)), n);
		else if (pread(harness_memfd(), to, n, p->start + area_byte(a, c.cur)) != (ssize_t)n)
			h_fail("pread of the memfd");
	}
}

/* Where the bytes behind [cur, last] of area a live: the arena (user
 * pages: 0) or a file (its inode), as [*from, *to] of that space. */
static uint64_t backing(const struct area *a, uint64_t cur, uint64_t last, uint64_t *from,
			uint64_t *to)
{
	const struct pages *p = a->pages;

	*from = (p->type == PAGES_USER ? p->uptr : p->start) + area_byte(a, cur);
	*to = *from + (last - cur);
	return p->type == PAGES_USER ? 0 : p->ino;
}

/* Whether two IOVA ranges of len bytes share memory: two mappings of the
 * same user pages or file range alias, whatever their page sets.  With
 * a1 == a2, whether two different pieces of the one range do. */
static bool aliased(struct ioas *ioas, uint64_t a1, uint64_t a2, uint64_t len)
{
	struct iopt_contig c1, c2;
	uint64_t f1, t1, f2, t2;

	for (struct area *a = iopt_contig_first(&c1, &ioas->iopt, a1, a1 + len - 1); a;
	     a = iopt_contig_next(&c1)) {
		uint64_t k1 = backing(a, c1.cur, iopt_contig_last(&c1), &f1, &t1);

		for (struct area *b = iopt_contig_first(&c2, &ioas->iopt, a2, a2 + len - 1); b;
		     b = iopt_contig_next(&c2))
			if ((a1 != a2 || c2.cur != c1.cur) &&
			    backing(b, c2.cur, iopt_contig_last(&c2), &f2, &t2) == k1 &&
			    f1 <= t2 && f2 <= t1)
				return true;
	}
	return false;
}

/* An offset inside (or just past) a mapping: pages, half pages, bytes. */
static uint64_t area_off(uint16_t v)
{
	return (v & 7) * HPG + (v & 8 ? 0x800 : 0) + (v & 0x10 ? 0x10 : 0) +
	       (v & 0x20 ? HPG - 0x10 : 0);
}

/* The first 32 areas of a walk (with pinned pages only, if asked), for
 * a selector byte to choose from. */
struct area_pick {
	bool pinned_only;
	unsigned int n;
	struct area *v[32];
};

static int pick_area(void *arg, struct area *a)
{
	struct area_pick *k = arg;

	if (!k->pinned_only || a->pages->npinned)
		k->v[k->n++] = a;
	return k->n == 32;
}

/* An address in one of the IOAS's areas (chosen by b), else from v. */
static uint64_t area_addr(struct ioas *ioas, uint8_t b, uint16_t v)
{
	struct area_pick k = { .pinned_only = false };

	iopt_for_each_area(&ioas->iopt, pick_area, &k);
	if (!k.n)
		return sel_iova(v);
	return k.v[b % k.n]->iova + area_off(v);
}

static uint64_t dma_addr(struct iemu_device *d, uint8_t b, uint16_t v)
{
	struct ioas *ioas = dma_ioas(d);
	struct area_pick k = { .pinned_only = true };

	if (b >= 0xc0 || (!ioas && !device_is_noiommu(d)))
		return sel_iova(v);
	if (ioas)
		return area_addr(ioas, b, v);
	/* noiommu: a physical address inside some pinned page set. */
	if (!d->ctx)
		return sel_iova(v);
	ctx_for_each_area(d->ctx, pick_area, &k);
	if (!k.n)
		return sel_iova(v);
	return k.v[b % k.n]->pages->phys + area_off(v);
}

static uint64_t dma_len(uint8_t v)
{
	if (v < 0xc0)
		return (v % 16 + 1) * 256;
	if (v < 0xf0)
		return (v % 16 + 1) * HPG > DMA_MAX ? DMA_MAX : (v % 4 + 1) * HPG;
	return v & 0xf;
}

static void op_dma(struct in *in)
{
	ARGS(9);
	static uint8_t buf[DMA_MAX], before[DMA_MAX], after[DMA_MAX], src[DMA_MAX];
	struct iemu_device *d = H_DEV[A8(0) % NDEVS];
	uint8_t kind = A8(1), b1 = A8(2), b2 = A8(3);
	uint16_t v1 = A16(4), v2 = A16(6);
	uint64_t len = dma_len(A8(8));
	uint64_t addr = dma_addr(d, b1, v1), saddr = dma_addr(d, b2, v2);
	struct ioas *ioas = dma_ioas(d);
	bool master = pcifn_bus_master(d->fn), access = d->dma_access != NULL;
	bool expect, write = (kind % 3) == 1;
	int rc;

	memset(buf, kind, len);
	/* What should happen, from the areas alone. */
	if (!len || !ioas) {
		expect = !len;
	} else if (kind % 3 == 2) {
		expect = master && mapped(ioas, addr, len, PT_WRITE, access) &&
			 mapped(ioas, saddr, len, PT_READ, access);
	} else {
		expect = master && mapped(ioas, addr, len, write ? PT_WRITE : PT_READ, access);
	}
	if (ioas && len && mapped(ioas, addr, len, 0, false))
		gather(ioas, addr, len, before);
	if (ioas && len && kind % 3 == 2 && mapped(ioas, saddr, len, 0, false))
		gather(ioas, saddr, len, src);

	if (kind % 3 == 2)
		rc = dma_copy(d, addr, saddr, len);
	else
		rc = dma_rw(d, addr, buf, len, write);
	H_CHECK(rc == 0 || rc == -EFAULT, "DMA returned %d", rc);
	if (!ioas && !device_is_noiommu(d)) {
		H_CHECK(rc == (len ? -EFAULT : 0), "DMA with no translation returned %d", rc);
		return;
	}
	if (!ioas)
		return; /* noiommu: physical addresses, no oracle */
	H_CHECK((rc == 0) == expect,
		"%s: DMA %s of %#llx bytes at %#llx (src %#llx) returned %d, the areas say %s",
		d->name, kind % 3 == 2 ? "copy" : write ? "write" : "read",
		(unsigned long long)len, (unsigned long long)addr, (unsigned long long)saddr, rc,
		expect ? "it is allowed" : "it faults");
	if (!len)
		return;
	if (rc) {
		/* A refused transfer changes nothing. */
		if (mapped(ioas, addr, len, 0, false)) {
			gather(ioas, addr, len, after);
			H_CHECK(!memcmp(before, after, len), "a refused DMA changed memory");
		}
		return;
	}
	gather(ioas, addr, len, after);
	if (kind % 3 == 0) {
		H_CHECK(!memcmp(buf, after, len), "DMA read returned other bytes than memory holds");
	} else if (write) {
		H_CHECK(!memcmp(buf, after, len), "DMA write did not land where the areas say");
	} else {
		/* Overlapping copies are not defined byte by byte, nor is a copy
		 * into a range that maps some memory twice (the later write
		 * wins, and both IOVAs show it). */
		if (!aliased(ioas, addr, saddr, len) && !aliased(ioas, addr, addr, len) &&
		    memcmp(src, after, len)) {
			uint64_t i = 0;

			while (src[i] == after[i])
				i++;
			h_fail("%s: DMA copy of %#llx bytes from %#llx to %#llx (%s) did not copy: "
			       "byte %#llx is %#x, the source had %#x", d->name,
			       (unsigned long long)len, (unsigned long long)saddr,
			       (unsigned long long)addr, access ? "access" : "domain",
			       (unsigned long long)i, after[i], src[i]);
		}
	}
	if (d->dma_pt && write && d->dma_pt->dirty_tracking) {
		struct imap_entry e;

		H_CHECK(imap_find(&d->dma_pt->dirty, addr, &e) &&
				imap_find(&d->dma_pt->dirty, addr + len - 1, &e),
			"DMA write with dirty tracking on left a page clean");
	}
}

/* Interrupts the models raise synchronously: MSI/MSI-X vectors, INTx
 * (as edu's raise register does), device errors. */
static void op_irq(struct in *in)
{
	ARGS(2);
	int dev = A8(0) % NDEVS;
	struct iemu_device *d = H_DEV[dev];
	uint8_t b = A8(1);

	harness_device_used(dev);
	switch (b % 4) {
	case 0:
		pcifn_notify(d->fn, (b >> 2) % 4);
		break;
	case 1:
		pcifn_set_intx(d->fn, true);
		break;
	case 2:
		pcifn_set_intx(d->fn, false);
		break;
	default:
		pcifn_error(d->fn, "fuzz: error %u", b);
		break;
	}
}

/* ---- anonymous files: fault queues, vEVENTQs, selftest accesses ---- */

#define MAX_ANON 8

/* The fd numbers the emulator's in-process table handed this input. */
static int anon_fds[MAX_ANON];
static unsigned int nanon;

static void anon_keep(long rc, uint32_t fd)
{
	if (rc)
		return;
	H_CHECK(fd >= IEMU_ANON_FD_BASE, "an anonymous file got fd %u", fd);
	if (nanon < MAX_ANON)
		anon_fds[nanon++] = (int)fd;
}

/* A file of this input (b < 0xf0), else a number no file has. */
static int anon_fd(uint8_t b)
{
	if (b < 0xf0 && nanon)
		return anon_fds[b % nanon];
	return b & 1 ? -1 : IEMU_ANON_FD_BASE + 100;
}

/* Reads and writes at the sizes worth trying: nothing, a byte, one or
 * two records of the fault queue (32 bytes) or of the vEVENTQ (header 8
 * and event 4), a record and a half. */
static size_t anon_len(uint8_t b)
{
	static const size_t lens[] = { 0, 1, 8, 12, 32, 64, 48, 256 };

	return lens[b % 8];
}

static void op_anon(struct in *in)
{
	ARGS(5);
	uint8_t which = A8(0), b = A8(2), c = A8(3), d = A8(4);
	int fd = anon_fd(A8(1));
	struct iemu_anon *f = fd >= 0 ? iemu_anon_lookup(H_EMU, fd) : NULL;
	uint8_t buf[256];
	ssize_t rc;

	if (!f)
		return;
	if (which % 4 == 3) {
		iemu_anon_put(f);
		H_CHECK(iemu_anon_close(H_EMU, fd) == 0, "closing fd %d failed", fd);
		for (unsigned int i = 0; i < nanon; i++)
			if (anon_fds[i] == fd)
				anon_fds[i] = anon_fds[--nanon];
		/* The file's context is known only to the objects: check all. */
		check_all();
		return;
	}
	if (which % 4 == 2) {
		H_CHECK(!(iemu_anon_poll(f) & ~(POLLIN | POLLRDNORM | POLLOUT)),
			"poll answered unknown bits");
	} else if (which % 4 == 1) {
		struct iommu_hwpt_page_response r[4];

		for (unsigned int i = 0; i < 4; i++)
			r[i] = (struct iommu_hwpt_page_response){ .cookie = (c + i) % 8,
								  .code = (d >> (2 * i)) % 3 };
		memcpy(buf, r, sizeof(r));
		rc = iemu_anon_write(f, buf, anon_len(b) > sizeof(r) ? sizeof(r) : anon_len(b),
				     which & 0x80 ? 1 : 0);
		H_CHECK(rc <= (ssize_t)sizeof(r) && rc > -4096, "anon write returned %zd", rc);
	} else {
		rc = iemu_anon_read(f, buf, anon_len(b), which & 0x80 ? 1 : 0);
		H_CHECK(rc <= (ssize_t)anon_len(b) && rc > -4096, "anon read returned %zd", rc);
	}
	iemu_anon_put(f);
}

static void op_fault_alloc(struct in *in)
{
	ARGS(2);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	struct iommu_fault_alloc a = { .size = sizeof(a), .flags = A8(1) >= 0xf0 };
	long rc;

	if (nanon == MAX_ANON)
		return;
	rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_FAULT_QUEUE_ALLOC, &a, sizeof(a));
	expect_errno(rc, "FAULT_QUEUE_ALLOC");
	anon_keep(rc, a.out_fault_fd);
	if (!rc)
		H_CHECK(obj_find(ctx, a.out_fault_id, OBJ_FAULT), "FAULT %u is unknown",
			a.out_fault_id);
}

/* ---- the selftest protocol: mock devices, their PASIDs, IOPFs, events ---- */

static long test_cmd(struct iemu_ctx *ctx, struct iommu_test_cmd *t)
{
	t->size = sizeof(*t);
	return ctx_ioctl(ctx, H_PROC[0], IOMMU_TEST_CMD, t, sizeof(*t));
}

static uint32_t sel_pasid(uint8_t b)
{
	static const uint32_t pasids[] = { 1, 2, 3, IOMMU_TEST_PASID_RESERVED, 0, 1u << 20,
					   (1u << 20) - 1, 7 };

	return pasids[b % 8];
}

/* A paging or nested HWPT, or an IOAS (b & 0x40), for an attach. */
static uint32_t pick_pt(struct iemu_ctx *ctx, uint8_t b)
{
	static const enum obj_type types[] = { OBJ_IOAS, OBJ_HWPT_PAGING, OBJ_HWPT_NESTED,
					       OBJ_ANY };

	return pick_id(ctx, types[(b >> 6) & 3], b);
}

static void op_mock(struct in *in)
{
	ARGS(8);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t which = A8(1), b2 = A8(2), b3 = A8(3), b4 = A8(4);
	struct iommu_test_cmd t = { .op = 0 };
	uint32_t stdev = pick_id(ctx, OBJ_SELFTEST, b2);
	long rc;

	switch (which % 12) {
	case 0:
	case 1:
		t.op = which % 12 ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS : IOMMU_TEST_OP_MOCK_DOMAIN;
		t.id = pick_pt(ctx, b2);
		t.mock_domain_flags.dev_flags = b4 & 0x85;
		break;
	case 2:
		t.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
		t.id = stdev;
		t.mock_domain_replace.pt_id = pick_pt(ctx, b3);
		break;
	case 3:
		t.op = IOMMU_TEST_OP_PASID_ATTACH;
		t.id = stdev;
		t.pasid_attach.pasid = sel_pasid(b4);
		t.pasid_attach.pt_id = pick_pt(ctx, b3);
		break;
	case 4:
		t.op = IOMMU_TEST_OP_PASID_REPLACE;
		t.id = stdev;
		t.pasid_replace.pasid = sel_pasid(b4);
		t.pasid_replace.pt_id = pick_pt(ctx, b3);
		break;
	case 5:
		t.op = IOMMU_TEST_OP_PASID_DETACH;
		t.id = stdev;
		t.pasid_detach.pasid = sel_pasid(b4);
		break;
	case 6:
		t.op = IOMMU_TEST_OP_TRIGGER_IOPF;
		t.trigger_iopf.dev_id = pick_id(ctx, OBJ_DEVICE, b2);
		t.trigger_iopf.pasid = b4 & 0x80 ? sel_pasid(b4) : 0;
		t.trigger_iopf.grpid = b3 % 4;
		t.trigger_iopf.perm = (b4 >> 2) & 7;
		t.trigger_iopf.addr = sel_iova(A16(5));
		break;
	case 7:
		t.op = IOMMU_TEST_OP_TRIGGER_VEVENT;
		t.trigger_vevent.dev_id = pick_id(ctx, OBJ_DEVICE, b2);
		break;
	case 8:
		t.op = IOMMU_TEST_OP_ADD_RESERVED;
		t.id = pick_id(ctx, OBJ_IOAS, b2);
		t.add_reserved.start = sel_iova(A16(5));
		t.add_reserved.length = sel_len(b3);
		break;
	case 9:
		t.op = IOMMU_TEST_OP_PASID_CHECK_HWPT;
		t.id = stdev;
		t.pasid_check.pasid = sel_pasid(b4);
		t.pasid_check.hwpt_id = pick_pt(ctx, b3);
		break;
	case 10:
		t.op = IOMMU_TEST_OP_DIRTY;
		t.id = pick_id(ctx, OBJ_HWPT_PAGING, b2);
		t.dirty.iova = sel_iova(A16(5));
		t.dirty.length = sel_len(b3);
		t.dirty.page_size = b4 & 1 ? MOCK_PAGE_SIZE : HPG;
		t.dirty.uptr = SCRATCH2;
		break;
	default:
		t.op = IOMMU_TEST_OP_MD_CHECK_MAP;
		t.id = pick_id(ctx, OBJ_HWPT_PAGING, b2);
		t.check_map.iova = sel_iova(A16(5));
		t.check_map.length = sel_len(b3) & ~(HPG - 1);
		t.check_map.uptr = sel_va(A16(6));
		break;
	}
	rc = test_cmd(ctx, &t);
	expect_errno(rc, "TEST_CMD");
	if (!rc && t.op == IOMMU_TEST_OP_MOCK_DOMAIN)
		H_CHECK(obj_find(ctx, t.mock_domain.out_stdev_id, OBJ_SELFTEST) &&
				obj_find(ctx, t.mock_domain.out_idev_id, OBJ_DEVICE),
			"MOCK_DOMAIN's ids %u and %u are unknown", t.mock_domain.out_stdev_id,
			t.mock_domain.out_idev_id);
}

/* The selftest's accesses: a file whose number is the access's id. */
static void op_staccess(struct in *in)
{
	ARGS(8);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t which = A8(1), b2 = A8(2), b3 = A8(3);
	struct iommu_test_cmd t = { .op = 0 };
	long rc;

	t.id = (uint32_t)anon_fd(b2);
	switch (which & 7) {
	case 0:
		if (nanon == MAX_ANON)
			return;
		t.op = IOMMU_TEST_OP_CREATE_ACCESS;
		t.id = pick_id(ctx, OBJ_IOAS, b2);
		t.create_access.flags = which & 0x10 ? MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES : 0;
		break;
	case 1:
		t.op = IOMMU_TEST_OP_ACCESS_PAGES;
		t.access_pages.flags = which & 0x10 ? MOCK_FLAGS_ACCESS_WRITE : 0;
		t.access_pages.iova = sel_iova(A16(4));
		t.access_pages.length = sel_len(b3);
		t.access_pages.uptr = sel_va(A16(6));
		break;
	case 2:
		t.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES;
		t.destroy_access_pages.access_pages_id = b3 % 4;
		break;
	case 3:
		t.op = IOMMU_TEST_OP_ACCESS_RW;
		t.access_rw.iova = sel_iova(A16(4));
		t.access_rw.length = dma_len(b3);
		t.access_rw.uptr = SCRATCH2;
		t.access_rw.flags = (which >> 4) & (MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH);
		break;
	default:
		t.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS;
		t.access_replace_ioas.ioas_id = pick_id(ctx, OBJ_IOAS, b3);
		break;
	}
	rc = test_cmd(ctx, &t);
	expect_errno(rc, "TEST_CMD (access)");
	if (t.op == IOMMU_TEST_OP_CREATE_ACCESS)
		anon_keep(rc, t.create_access.out_access_fd);
}

/* ---- vIOMMUs, vDEVICEs, vEVENTQs, HW queues, nested HWPTs ---- */

static void op_viommu(struct in *in)
{
	ARGS(8);
	struct iemu_ctx *ctx = ctx_at(A8(0));
	uint8_t which = A8(1), b2 = A8(2), b3 = A8(3), b4 = A8(4), b5 = A8(5);
	uint16_t v = A16(6);
	long rc;

	switch (which & 7) {
	case 0: {
		struct iommu_viommu_selftest data = { .in_data = b5 };
		struct iommu_viommu_alloc a = {
			.size = sizeof(a),
			.type = b4 < 0xf0 ? IOMMU_VIOMMU_TYPE_SELFTEST : b4 & 3,
			.dev_id = pick_id(ctx, OBJ_DEVICE, b2),
			.hwpt_id = pick_id(ctx, OBJ_HWPT_PAGING, b3),
			.data_len = which & 0x80 ? 0 : sizeof(data) - (which & 0x40 ? 4 : 0),
			.data_uptr = SCRATCH2,
		};

		arena_put(SCRATCH2, &data, sizeof(data));
		rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_VIOMMU_ALLOC, &a, sizeof(a));
		expect_errno(rc, "VIOMMU_ALLOC");
		if (!rc)
			H_CHECK(obj_find(ctx, a.out_viommu_id, OBJ_VIOMMU), "vIOMMU %u unknown",
				a.out_viommu_id);
		return;
	}
	case 1: {
		struct iommu_vdevice_alloc a = {
			.size = sizeof(a),
			.viommu_id = pick_id(ctx, OBJ_VIOMMU, b2),
			.dev_id = pick_id(ctx, OBJ_DEVICE, b3),
			.virt_id = b4 % 4,
		};

		rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_VDEVICE_ALLOC, &a, sizeof(a));
		expect_errno(rc, "VDEVICE_ALLOC");
		return;
	}
	case 2: {
		struct iommu_veventq_alloc a = {
			.size = sizeof(a),
			.viommu_id = pick_id(ctx, OBJ_VIOMMU, b2),
			.type = b4 < 0xf0 ? IOMMU_VEVENTQ_TYPE_SELFTEST : b4 & 3,
			.veventq_depth = b5 < 0xf0 ? b5 % 4 : 1u << (b5 & 0xf),
		};

		if (nanon == MAX_ANON)
			return;
		rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_VEVENTQ_ALLOC, &a, sizeof(a));
		expect_errno(rc, "VEVENTQ_ALLOC");
		anon_keep(rc, a.out_veventq_fd);
		return;
	}
	case 3: {
		struct viommu *vi = (struct viommu *)obj_find(ctx, pick_id(ctx, OBJ_VIOMMU, b2),
							     OBJ_VIOMMU);
		struct iommu_hw_queue_alloc a = {
			.size = sizeof(a),
			.viommu_id = vi ? vi->obj.id : b2 & 0xf,
			.type = b4 < 0xf0 ? IOMMU_HW_QUEUE_TYPE_SELFTEST : b4 & 3,
			.index = b5 % 3,
			.nesting_parent_iova =
				vi && b3 < 0xc0 ? area_addr(vi->hwpt->ioas, b3, v) : sel_iova(v),
			.length = sel_len(b3),
		};

		rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_HW_QUEUE_ALLOC, &a, sizeof(a));
		expect_errno(rc, "HW_QUEUE_ALLOC");
		return;
	}
	case 4: {
		struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT,
						    .pagetable_type = b5 >= 0xf0 };
		struct iommu_hwpt_alloc h = {
			.size = sizeof(h),
			.flags = b4 & (IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID |
				       IOMMU_HWPT_ALLOC_NEST_PARENT),
			.dev_id = pick_id(ctx, OBJ_DEVICE, b2),
			.pt_id = pick_id(ctx, which & 0x80 ? OBJ_VIOMMU : OBJ_HWPT_PAGING, b3),
			.data_type = b5 < 0xf0 ? IOMMU_HWPT_DATA_SELFTEST : b5 & 3,
			.data_len = sizeof(data),
			.data_uptr = SCRATCH2,
			.fault_id = pick_id(ctx, OBJ_FAULT, b5),
		};

		arena_put(SCRATCH2, &data, sizeof(data));
		rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_HWPT_ALLOC, &h, sizeof(h));
		expect_errno(rc, "HWPT_ALLOC (nested)");
		return;
	}
	default: {
		struct iommu_viommu_invalidate_selftest e[2] = {
			{ .flags = b4 & 1, .vdev_id = b4 >> 4 & 3, .cache_id = b5 % 5 },
			{ .flags = b5 & 3, .vdev_id = b5 >> 4 & 3, .cache_id = b4 % 5 },
		};
		struct iommu_hwpt_invalidate iv = {
			.size = sizeof(iv),
			.hwpt_id = pick_id(ctx, which & 0x80 ? OBJ_VIOMMU : OBJ_HWPT_NESTED, b2),
			.data_uptr = SCRATCH2,
			.data_type = which & 0x40 ? IOMMU_HWPT_INVALIDATE_DATA_SELFTEST :
						    IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
			.entry_len = b3 & 1 ? sizeof(e[0]) : 8,
			.entry_num = b3 >> 1 & 3,
		};

		arena_put(SCRATCH2, e, sizeof(e));
		rc = ctx_ioctl(ctx, H_PROC[0], IOMMU_HWPT_INVALIDATE, &iv, sizeof(iv));
		expect_errno(rc, "HWPT_INVALIDATE (selftest)");
		return;
	}
	}
}

/* ---- the harness's own access objects ---- */

static void drop_pin(unsigned int i)
{
	h_pins[i] = h_pins[--h_npins];
}

/* The unmap callback of a well-behaved user: unpin what overlaps. */
static void acc_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct access *a = *(struct access **)data;
	uint64_t last = iova + length - 1;

	for (unsigned int i = 0; i < h_npins;) {
		struct h_pin *p = &h_pins[i];

		if (p->a == a && p->iova <= last && p->iova + p->length - 1 >= iova) {
			access_unpin(a, p->iova, p->length);
			drop_pin(i);
		} else {
			i++;
		}
	}
}

static const struct access_ops acc_ops = {
	.needs_pin_pages = true,
	.unmap = acc_unmap,
};

static void op_acc_create(struct in *in)
{
	ARGS(2);
	unsigned int slot = A8(0) % H_MAX_ACCESSES;
	struct iemu_ctx *ctx = ctx_at(A8(1));

	if (h_accesses[slot])
		return;
	if (access_create(ctx, &acc_ops, &h_accesses[slot], &h_accesses[slot]))
		return;
	acc[slot].ctx = iemu_ctx_get(ctx);
}

static void acc_destroy(unsigned int slot)
{
	struct access *a = h_accesses[slot];
	uint32_t id = a->obj.id;
	struct iemu_ctx *ctx = acc[slot].ctx;

	touch(ctx);
	access_destroy(a);
	for (unsigned int i = 0; i < h_npins; i++)
		H_CHECK(h_pins[i].a != a, "a pin survived access_destroy");
	h_accesses[slot] = NULL;
	H_CHECK(!obj_find(ctx, id, OBJ_ANY), "destroyed ACCESS %u is still known", id);
	iemu_ctx_close(ctx);
	acc[slot].ctx = NULL;
}

static void op_acc_destroy(struct in *in)
{
	ARGS(1);
	unsigned int slot = A8(0) % H_MAX_ACCESSES;

	if (h_accesses[slot])
		acc_destroy(slot);
}

static void op_acc_attach(struct in *in)
{
	ARGS(3);
	unsigned int slot = A8(0) % H_MAX_ACCESSES;
	uint8_t how = A8(1), idb = A8(2);
	struct access *a = h_accesses[slot];
	int rc;

	if (a)
		touch(a->ctx);
	if (!a)
		return;
	switch (how % 3) {
	case 0:
		rc = access_attach(a, pick_id(acc[slot].ctx, OBJ_IOAS, idb));
		break;
	case 1:
		rc = access_replace(a, pick_id(acc[slot].ctx, OBJ_IOAS, idb));
		break;
	default:
		access_detach(a);
		rc = 0;
		break;
	}
	expect_errno(rc, "access attach");
	for (unsigned int i = 0; i < h_npins; i++)
		H_CHECK(h_pins[i].a != a || h_pins[i].ioas == a->ioas,
			"a pin survived its access's move");
}

static void op_acc_pin(struct in *in)
{
	ARGS(5);
	unsigned int slot = A8(0) % H_MAX_ACCESSES;
	uint8_t b = A8(1);
	uint16_t v = A16(2);
	uint64_t len = sel_len(A8(4));
	struct access *a = h_accesses[slot];
	uint64_t iova;
	int rc;

	if (a)
		touch(a->ctx);
	if (!a || h_npins == H_MAX_PINS)
		return;
	iova = a->ioas && b < 0xc0 ? area_addr(a->ioas, b, v) : sel_iova(v);
	rc = access_pin(a, iova, len, b & 1);
	expect_errno(rc, "access_pin");
	if (!rc)
		h_pins[h_npins++] = (struct h_pin){ a, a->ioas, iova, len };
}

static void op_acc_unpin(struct in *in)
{
	ARGS(1);
	unsigned int i = A8(0);

	if (!h_npins)
		return;
	i %= h_npins;
	touch(h_pins[i].a->ctx);
	access_unpin(h_pins[i].a, h_pins[i].iova, h_pins[i].length);
	drop_pin(i);
}

static void op_acc_rw(struct in *in)
{
	ARGS(5);
	static uint8_t buf[DMA_MAX], mem[DMA_MAX];
	unsigned int slot = A8(0) % H_MAX_ACCESSES;
	uint8_t b = A8(1);
	uint16_t v = A16(2);
	uint64_t len = dma_len(A8(4));
	struct access *a = h_accesses[slot];
	uint64_t iova;
	bool write = b & 1, ok;
	int rc;

	if (a)
		touch(a->ctx);
	if (!a)
		return;
	iova = a->ioas && b < 0xc0 ? area_addr(a->ioas, b, v) : sel_iova(v);
	ok = a->ioas && len && mapped(a->ioas, iova, len, write ? PT_WRITE : PT_READ, true);
	memset(buf, b, len);
	rc = access_rw(a, iova, buf, len, write);
	expect_errno(rc, "access_rw");
	if (!len)
		return;
	H_CHECK(!rc == ok, "access_rw at %#llx+%#llx returned %d, the areas say %s",
		(unsigned long long)iova, (unsigned long long)len, rc, ok ? "allowed" : "refused");
	if (!rc) {
		gather(a->ioas, iova, len, mem);
		H_CHECK(!memcmp(buf, mem, len), "access_rw moved other bytes than memory holds");
	}
}

/* ---- the driver ---- */

typedef void (*op_fn)(struct in *in);

#define OP(x) [OPC_##x] = { op_##x, #x }
static const struct {
	op_fn fn;
	const char *name;
} ops[OPC_COUNT] = {
	OP(ioas_alloc), OP(destroy),     OP(map),        OP(map_file),    OP(copy),
	OP(unmap),      OP(allow_iovas), OP(iova_ranges), OP(option),     OP(change_process),
	OP(vfio_ioas),  OP(compat),      OP(hwpt_alloc), OP(dirty),       OP(info),
	OP(test_domain), OP(ctx_close),  OP(file_open),  OP(file_close),  OP(bind),
	OP(attach),     OP(cfg),         OP(bar),        OP(set_irqs),    OP(dev_misc),
	OP(dma),        OP(irq),         OP(acc_create), OP(acc_destroy), OP(acc_attach),
	OP(acc_pin),    OP(acc_unpin),   OP(acc_rw),
	OP(anon),       OP(fault_alloc), OP(mock),       OP(staccess),    OP(viommu),
	/* The common ones twice as likely. */
	[OPC_ioas_alloc2] = { op_ioas_alloc, "ioas_alloc" },
	[OPC_map2] = { op_map, "map" },
	[OPC_file_open2] = { op_file_open, "file_open" },
	[OPC_bind2] = { op_bind, "bind" },
	[OPC_attach2] = { op_attach, "attach" },
	[OPC_dma2] = { op_dma, "dma" },
};

#define NOPS OPC_COUNT

/* IEMU_FUZZ_FULL=1: every check after every operation (slower); by
 * default what an operation touched, and everything at the end. */
static bool full_checks;

/* Operations that reach the emulator only through ctx_ioctl/dev_ioctl
 * (opening an empty context aside), with ioctls that Linux leaves without
 * effect when they fail.  Not IOAS_UNMAP, VFIO_IOMMU_UNMAP_DMA (they stop
 * half way) or ATTACH (undone by a detach when it cannot write back). */
static const bool fail_keeps_state[OPC_COUNT] = {
	[OPC_ioas_alloc] = true,  [OPC_ioas_alloc2] = true, [OPC_destroy] = true,
	[OPC_map] = true,	  [OPC_map2] = true,	    [OPC_map_file] = true,
	[OPC_copy] = true,	  [OPC_allow_iovas] = true, [OPC_iova_ranges] = true,
	[OPC_option] = true,	  [OPC_change_process] = true, [OPC_vfio_ioas] = true,
	[OPC_hwpt_alloc] = true,  [OPC_dirty] = true,	    [OPC_info] = true,
	[OPC_bind] = true,	  [OPC_bind2] = true,	    [OPC_set_irqs] = true,
	[OPC_dev_misc] = true,	  [OPC_fault_alloc] = true, [OPC_mock] = true,
	[OPC_staccess] = true,	  [OPC_viommu] = true,
};

/* Operations that cannot change pins or charges: no accounting check
 * after them. */
static const bool pins_unchanged[OPC_COUNT] = {
	[OPC_ioas_alloc] = true,  [OPC_ioas_alloc2] = true, [OPC_dma] = true,
	[OPC_dma2] = true,	  [OPC_irq] = true,	    [OPC_cfg] = true,
	[OPC_bar] = true,	  [OPC_set_irqs] = true,    [OPC_dev_misc] = true,
	[OPC_iova_ranges] = true, [OPC_info] = true,	    [OPC_dirty] = true,
	[OPC_vfio_ioas] = true,	  [OPC_file_open] = true,   [OPC_file_open2] = true,
	[OPC_acc_rw] = true,
};

/* Most operations the fuzzer makes are refused.  A refused ioctl changes
 * nothing (the copy-in target checks exactly that, with a digest of the
 * whole state), so the checks after such an operation would only repeat
 * the last ones: skip them, the end of the input checks everything. */
static bool skip_checks(unsigned int op)
{
	return fail_keeps_state[op] && ioctls_failed && !ioctls_ok;
}

static void close_all(void)
{
	/* First the files, which hold objects and contexts. */
	harness_close_anon();
	nanon = 0;
	for (unsigned int i = 0; i < H_MAX_ACCESSES; i++)
		if (h_accesses[i])
			acc_destroy(i);
	for (unsigned int i = 0; i < NFILES; i++) {
		if (files[i].f)
			iemu_devfile_close(files[i].f);
		files[i].f = NULL;
	}
	for (unsigned int i = 0; i < NCTX; i++) {
		if (H_CTX[i])
			iemu_ctx_close(H_CTX[i]);
		H_CTX[i] = NULL;
	}
}

/* Each operation reads exactly op_nargs[] bytes (the seed generator
 * relies on it): run each on zeros, with one byte to spare. */
static void check_op_sizes(void)
{
	uint8_t zeros[32] = { 0 };

	for (unsigned int op = 0; op < OPC_COUNT; op++) {
		struct in in = { zeros, op_nargs[op] + 1u, false };

		ops[op].fn(&in);
		if (in.n != 1)
			h_fail("op %s reads %zu bytes, op_nargs says %u", ops[op].name,
			       op_nargs[op] + 1u - in.n, op_nargs[op]);
	}
	close_all();
	harness_reset_devices();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	harness_init();
	h_pins_tracked = true;
	check_op_sizes();
	full_checks = getenv("IEMU_FUZZ_FULL") != NULL;
	trace = getenv("IEMU_FUZZ_TRACE") != NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, false };
	struct iemu_ctx *live[16];
	unsigned int n = 0, nlive;

	if (!H_EMU)
		LLVMFuzzerInitialize(NULL, NULL);
	harness_begin_input();
	while (in.n && !in.ended && n++ < MAX_OPS) {
		unsigned int op = u8(&in) % NOPS;

		if (trace)
			fprintf(stderr, "op %u: %s\n", n, ops[op].name);
		ntouched = 0;
		touched_devices = false;
		ioctls_ok = ioctls_failed = 0;
		ops[op].fn(&in);
		if (full_checks) {
			check_all();
			continue;
		}
		if (skip_checks(op))
			continue;
		/* What the operation touched (a context may be gone by now). */
		nlive = live_contexts(live, 16);
		for (unsigned int i = 0; i < ntouched; i++)
			for (unsigned int k = 0; k < nlive; k++)
				if (live[k] == touched[i])
					check_ctx(live[k]);
		if (ntouched && !pins_unchanged[op])
			check_accounting();
		if (touched_devices)
			check_devices();
	}
	check_all();
	close_all();
	harness_drain_eventfds();
	harness_reset_devices();
	harness_end_input();
	check_idle();
	return 0;
}
