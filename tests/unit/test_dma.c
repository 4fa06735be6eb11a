// SPDX-License-Identifier: MIT
/*
 * The DMA engine as devices see it: dmatest descriptors (COPY and FILL)
 * and edu transfers through the attached domain.  Data lands where the
 * mappings say; an unmapped IOVA, a permission the mapping lacks, no domain
 * or bus mastering off is a fault of the right kind at the first bad byte,
 * and memory stays unchanged.  Device writes set dirty bits, which
 * IOMMU_HWPT_GET_DIRTY_BITMAP reports as Linux 7.3 does.
 */
#include "devices.h"
#include "dmatest_ring.h"

static const char *const dmatest[] = { "dmatest,queues=2", NULL };
static const char *const edu[] = { "edu,dma_delay=0", NULL };

/* ---- data buffers, and the copy and fill descriptors (dmatest_ring.h) ---- */

#define DATA 0x200000ULL /* where tests map their buffers */
#define FILL_AB 0xababababababababULL

static int copy(struct ring *r, uint64_t dst, uint64_t src, uint32_t len)
{
	return submit(r, DMATEST_OP_COPY, dst, src, len);
}

static int fill(struct ring *r, uint64_t dst, uint64_t pattern, uint32_t len)
{
	return submit(r, DMATEST_OP_FILL, dst, pattern, len);
}

/* ---- small helpers ---- */

/* An emulator with devs, the first bound and (if attach) attached to a
 * fresh IOAS; *ioas receives the IOAS id. */
static struct dfx *setup_dev(const char *const *devs, bool do_attach, uint32_t *ioas)
{
	struct dfx *d = dfx_new(devs);

	*ioas = ioas_alloc(&d->fx);
	assert_int_equal(bind(d), 2);
	if (do_attach)
		assert_int_equal(attach(d, *ioas), 3);
	return d;
}

static void assert_fault(struct dfx *d, uint64_t seq, enum iemu_fault_kind kind,
			 uint64_t addr, uint64_t len, bool write)
{
	struct iemu_fault f = fault_no(d, seq);

	assert_int_equal(f.kind, kind);
	assert_int_equal(f.addr, addr);
	assert_int_equal(f.len, len);
	assert_int_equal(f.write, write);
}

static void assert_bytes(const uint8_t *p, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			fail_msg("byte %zu is %#x, expected %#x", i, p[i], v);
}

/* Bytes i of a buffer get (i * 7 + seed) & 0xff. */
static void pattern(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* ---- COPY: data lands where the mappings say ---- */

static void test_copy_within_mapping(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(4);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, 4 * PG, DATA, RW), 0);
	pattern(buf, PG, 1);
	memset(buf + 2 * PG, 0xee, PG);
	assert_int_equal(copy(&r, DATA + 2 * PG + 7, DATA + 16, 100), DMATEST_ST_OK);
	assert_int_equal(r.last.result, 100);
	assert_memory_equal(buf + 2 * PG + 7, buf + 16, 100);
	assert_bytes(buf + 2 * PG, 0xee, 7);
	assert_bytes(buf + 2 * PG + 107, 0xee, PG - 107);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, 4 * PG);
}

static void test_copy_across_page_boundary(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(6);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, 6 * PG, DATA, RW), 0);
	pattern(buf, 3 * PG, 3);
	memset(buf + 3 * PG, 0xee, 3 * PG);
	/* Both sides cross page boundaries, at different offsets. */
	assert_int_equal(copy(&r, DATA + 4 * PG - 10, DATA + PG - 300, PG + 600),
			 DMATEST_ST_OK);
	assert_memory_equal(buf + 4 * PG - 10, buf + PG - 300, PG + 600);
	assert_bytes(buf + 3 * PG, 0xee, PG - 10);
	assert_bytes(buf + 5 * PG + 590, 0xee, PG - 590);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, 6 * PG);
}

static void test_copy_across_two_mappings(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *a = pages(2), *b = pages(2), *dst = pages(2);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	/* Two buffers, back to back in IOVA space, apart in memory. */
	assert_int_equal(map_at(&d->fx, ioas, a, 2 * PG, DATA, RW), 0);
	assert_int_equal(map_at(&d->fx, ioas, b, 2 * PG, DATA + 2 * PG, RW), 0);
	assert_int_equal(map_at(&d->fx, ioas, dst, 2 * PG, DATA + 8 * PG, RW), 0);
	pattern(a, 2 * PG, 5);
	pattern(b, 2 * PG, 9);
	/* Out of the first into the second... */
	assert_int_equal(copy(&r, DATA + 8 * PG, DATA + 2 * PG - 1000, 3000), DMATEST_ST_OK);
	assert_memory_equal(dst, a + 2 * PG - 1000, 1000);
	assert_memory_equal(dst + 1000, b, 2000);
	/* ...and a destination that spans both. */
	assert_int_equal(copy(&r, DATA + 2 * PG - 100, DATA + 8 * PG, 300), DMATEST_ST_OK);
	assert_memory_equal(a + 2 * PG - 100, dst, 100);
	assert_memory_equal(b, dst + 100, 200);
	ring_fini(&r);
	dfx_free(d);
	munmap(a, 2 * PG);
	munmap(b, 2 * PG);
	munmap(dst, 2 * PG);
}

/* ---- refused transfers: the fault, and nothing written ---- */

static void test_unmapped_source_faults(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(2);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, 2 * PG, DATA, RW), 0);
	memset(buf, 0xee, 2 * PG);
	/* Entirely unmapped. */
	assert_int_equal(copy(&r, DATA, 0x400000, 64), DMATEST_ST_FAULT);
	assert_int_equal(r.last.result, 0);
	assert_int_equal(nfaults(d), 1);
	assert_fault(d, 1, IEMU_FAULT_UNMAPPED, 0x400000, 64, false);
	/* Mapped at first, running off the end: the first bad byte. */
	assert_int_equal(copy(&r, DATA, DATA + PG + 100, PG), DMATEST_ST_FAULT);
	assert_int_equal(nfaults(d), 2);
	assert_fault(d, 2, IEMU_FAULT_UNMAPPED, DATA + 2 * PG, PG, false);
	assert_bytes(buf, 0xee, 2 * PG);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, 2 * PG);
}

static void test_unmapped_destination_faults(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(2);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, 2 * PG, DATA, RW), 0);
	pattern(buf, PG, 2);
	memset(buf + PG, 0xee, PG);
	assert_int_equal(copy(&r, 0x400000, DATA, 64), DMATEST_ST_FAULT);
	assert_fault(d, 1, IEMU_FAULT_UNMAPPED, 0x400000, 64, true);
	/* Partly mapped: not even the mapped part is written. */
	assert_int_equal(copy(&r, DATA + PG + 96, DATA, PG), DMATEST_ST_FAULT);
	assert_fault(d, 2, IEMU_FAULT_UNMAPPED, DATA + 2 * PG, PG, true);
	assert_int_equal(fill(&r, DATA + 2 * PG - 8, FILL_AB, 16), DMATEST_ST_FAULT);
	assert_fault(d, 3, IEMU_FAULT_UNMAPPED, DATA + 2 * PG, 16, true);
	assert_int_equal(nfaults(d), 3);
	assert_bytes(buf + PG, 0xee, PG);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, 2 * PG);
}

static void test_write_to_read_only_mapping_is_perm(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(1), *ro = pages(1);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, DATA, RW), 0);
	assert_int_equal(map_at(&d->fx, ioas, ro, PG, DATA + PG, IOMMU_IOAS_MAP_READABLE), 0);
	pattern(buf, PG, 4);
	memset(ro, 0xee, PG);
	assert_int_equal(copy(&r, DATA + PG + 8, DATA, 32), DMATEST_ST_FAULT);
	assert_fault(d, 1, IEMU_FAULT_PERM, DATA + PG + 8, 32, true);
	assert_int_equal(fill(&r, DATA + PG, FILL_AB, PG), DMATEST_ST_FAULT);
	assert_fault(d, 2, IEMU_FAULT_PERM, DATA + PG, PG, true);
	assert_bytes(ro, 0xee, PG);
	/* Reading it is fine. */
	assert_int_equal(copy(&r, DATA, DATA + PG, 16), DMATEST_ST_OK);
	assert_bytes(buf, 0xee, 16);
	assert_int_equal(nfaults(d), 2);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, PG);
	munmap(ro, PG);
}

static void test_read_from_write_only_mapping_is_perm(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(1), *wo = pages(1);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, DATA, RW), 0);
	assert_int_equal(map_at(&d->fx, ioas, wo, PG, DATA + PG, IOMMU_IOAS_MAP_WRITEABLE), 0);
	memset(buf, 0xee, PG);
	pattern(wo, PG, 6);
	assert_int_equal(copy(&r, DATA, DATA + PG + 100, 50), DMATEST_ST_FAULT);
	assert_fault(d, 1, IEMU_FAULT_PERM, DATA + PG + 100, 50, false);
	assert_bytes(buf, 0xee, PG);
	/* Writing it is fine. */
	assert_int_equal(copy(&r, DATA + PG, DATA, 16), DMATEST_ST_OK);
	assert_bytes(wo, 0xee, 16);
	assert_int_equal(nfaults(d), 1);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, PG);
	munmap(wo, PG);
}

/* ---- no domain, no bus master ---- */

static void test_dma_blocked_before_attach_and_after_detach(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, false, &ioas);
	uint8_t *buf = pages(1);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, DATA, RW), 0);
	/* Bound, not attached: even the descriptor fetch is blocked, and the
	 * queue halts (a second fault: the device's own error). */
	assert_int_equal(copy(&r, DATA, DATA + 64, 64), -1);
	assert_int_equal(DMATEST_STATUS_ERROR(bar_read(d, 0, QREG(DMATEST_Q_STATUS), 4)),
			 DMATEST_ERR_FETCH);
	assert_fault(d, 1, IEMU_FAULT_BLOCKED, RING_IOVA, sizeof(struct dmatest_desc), false);
	assert_int_equal(fault_no(d, 2).kind, IEMU_FAULT_DEVICE);
	/* Attached, it works. */
	assert_int_equal(attach(d, ioas), 3);
	ring_enable(&r);
	pattern(buf, 64, 8);
	assert_int_equal(copy(&r, DATA + 64, DATA, 64), DMATEST_ST_OK);
	assert_memory_equal(buf + 64, buf, 64);
	/* Detached, blocked again. */
	assert_int_equal(detach(d), 0);
	assert_int_equal(copy(&r, DATA, DATA + 64, 64), -1);
	assert_fault(d, 3, IEMU_FAULT_BLOCKED, RING_IOVA + sizeof(struct dmatest_desc),
		     sizeof(struct dmatest_desc), false);
	assert_int_equal(nfaults(d), 4);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, PG);
}

static void edu_dma(struct dfx *d, uint64_t ram, uint64_t dev_addr, uint64_t len,
		    bool to_ram)
{
	bar_write(d, 0, 0x80, 8, to_ram ? dev_addr : ram);
	bar_write(d, 0, 0x88, 8, to_ram ? ram : dev_addr);
	bar_write(d, 0, 0x90, 8, len);
	bar_write(d, 0, 0x98, 8, 0x1 | (to_ram ? 0x2 : 0));
	WAIT_FOR(!(bar_read(d, 0, 0x98, 8) & 0x1));
}

static void test_edu_blocked_before_attach(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(edu, false, &ioas);
	uint8_t *buf = pages(1);

	(void)state;
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, DATA, RW), 0);
	memset(buf, 0xee, PG);
	enable_device(d);
	edu_dma(d, DATA, 0x40000, 128, true);
	/* The refused transfer, then edu's report of it. */
	assert_int_equal(nfaults(d), 2);
	assert_fault(d, 1, IEMU_FAULT_BLOCKED, DATA, 128, true);
	assert_int_equal(fault_no(d, 2).kind, IEMU_FAULT_DEVICE);
	assert_bytes(buf, 0xee, PG);
	dfx_free(d);
	munmap(buf, PG);
}

static void test_bus_master_off_is_no_master(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(1);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, DATA, RW), 0);
	cfg_write(d, PCI_COMMAND, 2, cfg_read(d, PCI_COMMAND, 2) & ~PCI_COMMAND_MASTER);
	assert_int_equal(copy(&r, DATA, DATA + 64, 64), -1);
	assert_fault(d, 1, IEMU_FAULT_NO_MASTER, RING_IOVA, sizeof(struct dmatest_desc), false);
	/* Mastering back on: the queue runs again. */
	enable_device(d);
	ring_enable(&r);
	assert_int_equal(copy(&r, DATA, DATA + 64, 64), DMATEST_ST_OK);
	assert_int_equal(nfaults(d), 2);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, PG);
}

static void test_edu_bus_master_off_is_no_master(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(edu, true, &ioas);
	uint8_t *buf = pages(1);

	(void)state;
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, DATA, RW), 0);
	memset(buf, 0xee, PG);
	enable_device(d);
	cfg_write(d, PCI_COMMAND, 2, cfg_read(d, PCI_COMMAND, 2) & ~PCI_COMMAND_MASTER);
	edu_dma(d, DATA + 8, 0x40000, 16, true);
	assert_int_equal(nfaults(d), 2);
	assert_fault(d, 1, IEMU_FAULT_NO_MASTER, DATA + 8, 16, true);
	assert_bytes(buf, 0xee, PG);
	dfx_free(d);
	munmap(buf, PG);
}

/* ---- memory behind the mappings ---- */

static void test_memfd_mapping_receives_device_writes(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(2), got[5000];
	int mfd = memfd_create("dma", 0);
	struct iommu_ioas_map_file m = {
		.size = sizeof(m), .ioas_id = ioas, .fd = mfd, .start = PG, .length = 3 * PG,
		.iova = DATA + 4 * PG,
		.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA,
	};
	struct ring r;

	(void)state;
	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, 4 * PG), 0);
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, 2 * PG, DATA, RW), 0);
	assert_int_equal(ioc(&d->fx, IOMMU_IOAS_MAP_FILE, &m), 0);
	pattern(buf, 2 * PG, 11);
	/* IOVA DATA + 4 pages is file offset 4096. */
	assert_int_equal(copy(&r, DATA + 4 * PG + 100, DATA + 3, 5000), DMATEST_ST_OK);
	assert_int_equal(pread(mfd, got, sizeof(got), PG + 100), sizeof(got));
	assert_memory_equal(got, buf + 3, sizeof(got));
	/* And reads come from the file. */
	memset(got, 0x3c, sizeof(got));
	assert_int_equal(pwrite(mfd, got, PG, 2 * PG), PG);
	assert_int_equal(copy(&r, DATA, DATA + 5 * PG, PG), DMATEST_ST_OK);
	assert_bytes(buf, 0x3c, PG);
	ring_fini(&r);
	dfx_free(d);
	close(mfd);
	munmap(buf, 2 * PG);
}

static void test_unmap_while_attached_then_dma_faults(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(1), *gone = pages(1);
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, DATA, RW), 0);
	assert_int_equal(map_at(&d->fx, ioas, gone, PG, DATA + PG, RW), 0);
	memset(gone, 0xee, PG);
	assert_int_equal(fill(&r, DATA + PG, FILL_AB, 8), DMATEST_ST_OK);
	assert_bytes(gone, 0xab, 8);
	assert_int_equal(unmap(&d->fx, ioas, DATA + PG, PG, NULL), 0);
	assert_int_equal(fill(&r, DATA + PG, 0, 64), DMATEST_ST_FAULT);
	assert_fault(d, 1, IEMU_FAULT_UNMAPPED, DATA + PG, 64, true);
	assert_bytes(gone, 0xab, 8);
	assert_bytes(gone + 8, 0xee, PG - 8);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, PG);
	munmap(gone, PG);
}

/* ---- dirty tracking ---- */

static long hwpt_alloc(struct dfx *d, uint32_t dev, uint32_t pt, uint32_t flags)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = dev,
				      .pt_id = pt };
	long rc = ioc(&d->fx, IOMMU_HWPT_ALLOC, &a);

	return rc ? rc : (long)a.out_hwpt_id;
}

static long set_dirty(struct dfx *d, uint32_t hwpt, uint32_t flags)
{
	struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s), .hwpt_id = hwpt,
						   .flags = flags };

	return ioc(&d->fx, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

static long get_dirty(struct dfx *d, uint32_t hwpt, uint64_t iova, uint64_t len,
		      uint64_t page_size, uint32_t flags, uint64_t *bitmap)
{
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g), .hwpt_id = hwpt, .flags = flags, .iova = iova,
		.length = len, .page_size = page_size, .data = (uintptr_t)bitmap,
	};

	return ioc(&d->fx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

/* 16 data pages at DATA, 4 more at DATA + 32 pages, and the device
 * attached to a HWPT with dirty tracking (id 3) on the IOAS. */
struct dirty_rig {
	struct dfx *d;
	struct ring r;
	uint8_t *data, *far;
};

static void dirty_rig_init(struct dirty_rig *x, bool enable)
{
	uint32_t ioas;

	x->d = setup_dev(dmatest, false, &ioas);
	assert_int_equal(hwpt_alloc(x->d, 2, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING), 3);
	assert_int_equal(attach(x->d, 3), 3);
	ring_init(&x->r, x->d, ioas);
	x->data = pages(16);
	x->far = pages(4);
	assert_int_equal(map_at(&x->d->fx, ioas, x->data, 16 * PG, DATA, RW), 0);
	assert_int_equal(map_at(&x->d->fx, ioas, x->far, 4 * PG, DATA + 32 * PG, RW), 0);
	if (enable)
		assert_int_equal(set_dirty(x->d, 3, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
}

static void dirty_rig_fini(struct dirty_rig *x)
{
	ring_fini(&x->r);
	dfx_free(x->d);
	munmap(x->data, 16 * PG);
	munmap(x->far, 4 * PG);
}

static void test_dirty_bits_of_device_writes(void **state)
{
	struct dirty_rig x;
	uint64_t bm = 0;

	(void)state;
	dirty_rig_init(&x, true);
	assert_int_equal(fill(&x.r, DATA + 5 * PG, FILL_AB, 3 * PG), DMATEST_ST_OK);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0x7ULL << 5);
	/* Read and cleared: nothing the second time. */
	bm = 0;
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0);
	/* A write that straddles two pages dirties both. */
	assert_int_equal(fill(&x.r, DATA + PG + 0x800, FILL_AB, PG), DMATEST_ST_OK);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0x6);
	dirty_rig_fini(&x);
}

static void test_dirty_no_clear_keeps_bits(void **state)
{
	struct dirty_rig x;
	uint64_t bm = 0;

	(void)state;
	dirty_rig_init(&x, true);
	assert_int_equal(fill(&x.r, DATA + 9 * PG, 0, 2 * PG), DMATEST_ST_OK);
	for (int i = 0; i < 2; i++) {
		bm = 0;
		assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG,
					   IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &bm), 0);
		assert_int_equal(bm, 0x3ULL << 9);
	}
	bm = 0;
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0x3ULL << 9);
	bm = 0;
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0);
	dirty_rig_fini(&x);
}

static void test_dirty_bits_are_only_ored(void **state)
{
	struct dirty_rig x;
	uint64_t bm = 1ULL << 0 | 1ULL << 15 | 1ULL << 40;

	(void)state;
	dirty_rig_init(&x, true);
	assert_int_equal(fill(&x.r, DATA + 3 * PG, 0, PG), DMATEST_ST_OK);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 1ULL << 0 | 1ULL << 3 | 1ULL << 15 | 1ULL << 40);
	dirty_rig_fini(&x);
}

static void test_dirty_device_reads_set_no_bits(void **state)
{
	struct dirty_rig x;
	uint64_t bm = 0, far_bm = 0;

	(void)state;
	dirty_rig_init(&x, true);
	/* From the data pages to the far ones: only the far ones are dirty. */
	assert_int_equal(copy(&x.r, DATA + 32 * PG, DATA + 2 * PG, 2 * PG), DMATEST_ST_OK);
	/* A COMPARE only reads. */
	assert_int_equal(submit(&x.r, DMATEST_OP_COMPARE, DATA + 32 * PG, DATA + 2 * PG,
				2 * PG), DMATEST_ST_OK);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0);
	assert_int_equal(get_dirty(x.d, 3, DATA + 32 * PG, 4 * PG, PG, 0, &far_bm), 0);
	assert_int_equal(far_bm, 0x3);
	dirty_rig_fini(&x);
}

static void test_dirty_tracking_off_reports_nothing(void **state)
{
	struct dirty_rig x;
	uint64_t bm = 0;

	(void)state;
	dirty_rig_init(&x, false);
	assert_int_equal(fill(&x.r, DATA, 0, PG), DMATEST_ST_OK);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0);
	/* Enabling starts clean: writes made before it do not show. */
	assert_int_equal(set_dirty(x.d, 3, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0);
	/* Enabling again while on also starts clean. */
	assert_int_equal(fill(&x.r, DATA + 3 * PG, 0, PG), DMATEST_ST_OK);
	assert_int_equal(set_dirty(x.d, 3, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0);
	/* Disabled again: writes are not tracked. */
	assert_int_equal(fill(&x.r, DATA + PG, 0, PG), DMATEST_ST_OK);
	assert_int_equal(set_dirty(x.d, 3, 0), 0);
	assert_int_equal(fill(&x.r, DATA + 2 * PG, 0, PG), DMATEST_ST_OK);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0);
	assert_int_equal(set_dirty(x.d, 3, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0);
	dirty_rig_fini(&x);
}

static void test_dirty_range_from_a_hole_reports_nothing(void **state)
{
	struct dirty_rig x;
	uint64_t bm[1] = { 0 };

	(void)state;
	dirty_rig_init(&x, true);
	assert_int_equal(fill(&x.r, DATA + 15 * PG, 0, PG), DMATEST_ST_OK);
	assert_int_equal(fill(&x.r, DATA + 33 * PG, 0, PG), DMATEST_ST_OK);
	/* Starting in the hole between the two mappings: the walk of the
	 * areas back to back from the start finds none. */
	assert_int_equal(get_dirty(x.d, 3, DATA + 16 * PG, 20 * PG, PG,
				   IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, bm), 0);
	assert_int_equal(bm[0], 0);
	/* Starting in the data pages: it stops at the hole. */
	assert_int_equal(get_dirty(x.d, 3, DATA + 8 * PG, 28 * PG, PG,
				   IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, bm), 0);
	assert_int_equal(bm[0], 1ULL << 7);
	/* The far pages on their own. */
	bm[0] = 0;
	assert_int_equal(get_dirty(x.d, 3, DATA + 32 * PG, 4 * PG, PG, 0, bm), 0);
	assert_int_equal(bm[0], 0x2);
	dirty_rig_fini(&x);
}

static void test_dirty_page_size_8k_merges_pages(void **state)
{
	struct dirty_rig x;
	uint64_t bm = 0;

	(void)state;
	dirty_rig_init(&x, true);
	assert_int_equal(fill(&x.r, DATA + 2 * PG, 0, 2 * PG), DMATEST_ST_OK);
	assert_int_equal(fill(&x.r, DATA + 5 * PG, 0, 8), DMATEST_ST_OK);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, 2 * PG, 0, &bm), 0);
	assert_int_equal(bm, 0x6);
	dirty_rig_fini(&x);
}

static void test_dirty_bitmap_nobody_can_receive_is_dropped(void **state)
{
	struct dirty_rig x;
	uint64_t bm = 0;

	(void)state;
	dirty_rig_init(&x, true);
	assert_int_equal(fill(&x.r, DATA + 4 * PG, 0, PG), DMATEST_ST_OK);
	/* The bitmap cannot be written: no error, and the bits are gone
	 * (the domain was read and cleared all the same). */
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, (uint64_t *)8), 0);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 0);
	dirty_rig_fini(&x);
}

static void test_dirty_tracking_needs_the_flag(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, false, &ioas);
	uint64_t bm = 0;

	(void)state;
	assert_int_equal(hwpt_alloc(d, 2, ioas, 0), 3);
	assert_int_equal(set_dirty(d, 3, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), -EOPNOTSUPP);
	assert_int_equal(set_dirty(d, 3, 0), -EOPNOTSUPP);
	assert_int_equal(get_dirty(d, 3, 0, PG, PG, 0, &bm), -EOPNOTSUPP);
	/* Flags are checked before the HWPT, the HWPT before the rest. */
	assert_int_equal(set_dirty(d, 99, 2), -EOPNOTSUPP);
	assert_int_equal(set_dirty(d, 99, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), -ENOENT);
	assert_int_equal(set_dirty(d, ioas, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), -ENOENT);
	dfx_free(d);
}

static void test_dirty_bitmap_errors(void **state)
{
	struct dirty_rig x;
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g), .hwpt_id = 3, .iova = DATA, .length = 16 * PG,
		.page_size = PG,
	};
	struct iommu_hwpt_set_dirty_tracking sd = {
		.size = sizeof(sd), .hwpt_id = 3, .__reserved = 1,
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};
	uint64_t bm = 0;

	(void)state;
	dirty_rig_init(&x, false);
	/* SET_DIRTY_TRACKING does not look at its __reserved. */
	assert_int_equal(ioc(&x.d->fx, IOMMU_HWPT_SET_DIRTY_TRACKING, &sd), 0);
	assert_int_equal(fill(&x.r, DATA, 0, PG), DMATEST_ST_OK);
	g.data = (uintptr_t)&bm;
	g.flags = 2;
	assert_int_equal(ioc(&x.d->fx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.flags = 0;
	g.__reserved = 1;
	assert_int_equal(ioc(&x.d->fx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.__reserved = 0;
	assert_int_equal(get_dirty(x.d, 99, DATA, 16 * PG, PG, 0, &bm), -ENOENT);
	assert_int_equal(get_dirty(x.d, 1, DATA, 16 * PG, PG, 0, &bm), -ENOENT);
	assert_int_equal(get_dirty(x.d, 3, DATA, 0, PG, 0, &bm), -EINVAL);
	assert_int_equal(get_dirty(x.d, 3, UINT64_MAX - PG + 1, 2 * PG, PG, 0, &bm),
			 -EOVERFLOW);
	/* The IOAS is 4K aligned (the VT-d domain), then page_size rules. */
	assert_int_equal(get_dirty(x.d, 3, DATA + 512, 16 * PG, PG, 0, &bm), -EINVAL);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG - 512, PG, 0, &bm), -EINVAL);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, 0, 0, &bm), -EINVAL);
	assert_int_equal(get_dirty(x.d, 3, DATA + PG, 16 * PG, 2 * PG, 0, &bm), -EINVAL);
	assert_int_equal(get_dirty(x.d, 3, DATA, 15 * PG, 2 * PG, 0, &bm), -EINVAL);
	/* None of that cleared the bit. */
	assert_int_equal(bm, 0);
	assert_int_equal(get_dirty(x.d, 3, DATA, 16 * PG, PG, 0, &bm), 0);
	assert_int_equal(bm, 1);
	dirty_rig_fini(&x);
}

/* ---- statistics ---- */

static void test_dma_bytes_grow(void **state)
{
	uint32_t ioas;
	struct dfx *d = setup_dev(dmatest, true, &ioas);
	uint8_t *buf = pages(2);
	struct iemu_device_info before, after;
	struct ring r;

	(void)state;
	ring_init(&r, d, ioas);
	assert_int_equal(map_at(&d->fx, ioas, buf, 2 * PG, DATA, RW), 0);
	iemu_device_info(d->dev, &before);
	assert_int_equal(copy(&r, DATA + PG, DATA, PG), DMATEST_ST_OK);
	iemu_device_info(d->dev, &after);
	/* The descriptor read, both sides of the copy, the completion record. */
	assert_int_equal(after.dma_bytes - before.dma_bytes,
			 sizeof(struct dmatest_desc) + 2 * PG + sizeof(struct dmatest_compl));
	/* A refused transfer moves nothing: only the fetch and the record. */
	assert_int_equal(copy(&r, DATA, 0x400000, PG), DMATEST_ST_FAULT);
	iemu_device_info(d->dev, &before);
	assert_int_equal(before.dma_bytes - after.dma_bytes,
			 sizeof(struct dmatest_desc) + sizeof(struct dmatest_compl));
	assert_int_equal(before.faults, 1);
	ring_fini(&r);
	dfx_free(d);
	munmap(buf, 2 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_within_mapping),
		cmocka_unit_test(test_copy_across_page_boundary),
		cmocka_unit_test(test_copy_across_two_mappings),
		cmocka_unit_test(test_unmapped_source_faults),
		cmocka_unit_test(test_unmapped_destination_faults),
		cmocka_unit_test(test_write_to_read_only_mapping_is_perm),
		cmocka_unit_test(test_read_from_write_only_mapping_is_perm),
		cmocka_unit_test(test_dma_blocked_before_attach_and_after_detach),
		cmocka_unit_test(test_edu_blocked_before_attach),
		cmocka_unit_test(test_bus_master_off_is_no_master),
		cmocka_unit_test(test_edu_bus_master_off_is_no_master),
		cmocka_unit_test(test_memfd_mapping_receives_device_writes),
		cmocka_unit_test(test_unmap_while_attached_then_dma_faults),
		cmocka_unit_test(test_dirty_bits_of_device_writes),
		cmocka_unit_test(test_dirty_no_clear_keeps_bits),
		cmocka_unit_test(test_dirty_bits_are_only_ored),
		cmocka_unit_test(test_dirty_device_reads_set_no_bits),
		cmocka_unit_test(test_dirty_tracking_off_reports_nothing),
		cmocka_unit_test(test_dirty_range_from_a_hole_reports_nothing),
		cmocka_unit_test(test_dirty_page_size_8k_merges_pages),
		cmocka_unit_test(test_dirty_bitmap_nobody_can_receive_is_dropped),
		cmocka_unit_test(test_dirty_tracking_needs_the_flag),
		cmocka_unit_test(test_dirty_bitmap_errors),
		cmocka_unit_test(test_dma_bytes_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
