// SPDX-License-Identifier: MIT
/*
 * Devices without an IOMMU, under each noiommu policy: refuse (the default:
 * a cdev that binds but never attaches), nocdev (no cdev, as Linux 6.6 to
 * 6.19), noop-attach (attach succeeds and means nothing), and swpt (Linux
 * 7.3: a software page table behind an automatic HWPT, physical DMA, and
 * IOMMU_IOAS_NOIOMMU_GET_PA to learn the physical addresses).
 */
#include "devices.h"
#include "pt.h"
#include "vma.h"

#define CAP_SYS_RAWIO CAP(17)
#define BUF_IOVA 0x100000ULL

static const char *const swpt[] = { "edu,noiommu=swpt,dma_mask=64,dma_delay=0", NULL };

/* ---- helpers ---- */

static long hw_info(struct dfx *d, uint32_t dev_id)
{
	struct iommu_hw_info h = { .size = sizeof(h), .dev_id = dev_id };

	return ioc(&d->fx, IOMMU_GET_HW_INFO, &h);
}

static long hwpt_alloc(struct dfx *d, uint32_t dev, uint32_t pt, uint32_t flags)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = dev,
				      .pt_id = pt };
	long rc = ioc(&d->fx, IOMMU_HWPT_ALLOC, &a);

	return rc ? rc : (long)a.out_hwpt_id;
}

static long iova_ranges(struct dfx *d, uint32_t ioas, struct iommu_iova_range *r,
			uint32_t n, uint64_t *alignment)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
					    .num_iovas = n, .allowed_iovas = (uintptr_t)r };
	long rc = ioc(&d->fx, IOMMU_IOAS_IOVA_RANGES, &q);

	*alignment = q.out_iova_alignment;
	return rc ? rc : q.num_iovas;
}

static long get_pa(struct dfx *d, struct iommu_ioas_noiommu_get_pa *g)
{
	g->size = sizeof(*g);
	return ioc(&d->fx, IOMMU_IOAS_NOIOMMU_GET_PA, g);
}

/* The physical address of iova (CAP_SYS_RAWIO granted for the call). */
static uint64_t pa_of(struct dfx *d, uint32_t ioas, uint64_t iova)
{
	struct iommu_ioas_noiommu_get_pa g = { .ioas_id = ioas, .iova = iova, .length = 1 };

	iemu_proc_set_caps(d->fx.self, CAP_SYS_RAWIO);
	assert_int_equal(get_pa(d, &g), 0);
	iemu_proc_set_caps(d->fx.self, 0);
	return g.out_phys;
}

/* An edu transfer between RAM (a physical address here) and its buffer,
 * waited for. */
static void edu_dma(struct dfx *d, uint64_t ram, uint64_t dev_addr, uint64_t len,
		    bool to_ram)
{
	bar_write(d, 0, 0x80, 8, to_ram ? dev_addr : ram);
	bar_write(d, 0, 0x88, 8, to_ram ? ram : dev_addr);
	bar_write(d, 0, 0x90, 8, len);
	bar_write(d, 0, 0x98, 8, 0x1 | (to_ram ? 0x2 : 0));
	WAIT_FOR(!(bar_read(d, 0, 0x98, 8) & 0x1));
}

static void assert_bytes(const uint8_t *p, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			fail_msg("byte %zu is %#x, expected %#x", i, p[i], v);
}

/* A swpt device bound (devid 2) and attached (HWPT 3) to IOAS 1, with
 * three pages mapped at BUF_IOVA. */
static struct dfx *swpt_rig(uint8_t **buf)
{
	struct dfx *d = dfx_new(swpt);

	assert_non_null(d->file);
	assert_int_equal(ioas_alloc(&d->fx), 1);
	assert_int_equal(bind(d), 2);
	assert_int_equal(attach(d, 1), 3);
	*buf = pages(3);
	assert_int_equal(map_at(&d->fx, 1, *buf, 3 * PG, BUF_IOVA, RW), 0);
	enable_device(d);
	return d;
}

/* ---- refuse ---- */

static void check_refuse(const char *spec)
{
	const char *const specs[] = { spec, NULL };
	struct dfx *d = dfx_new(specs);
	struct iemu_device_info info;
	struct iemu_devfile *f;
	uint32_t ioas = ioas_alloc(&d->fx);

	iemu_device_info(d->dev, &info);
	assert_string_equal(info.name, "noiommu-vfio0");
	assert_int_equal(info.noiommu, IEMU_NOIOMMU_REFUSE);
	assert_true(info.has_cdev);
	assert_ptr_equal(iemu_device_find(d->fx.emu, "noiommu-vfio0"), d->dev);
	assert_null(iemu_device_find(d->fx.emu, "vfio0"));
	/* Opening takes CAP_SYS_RAWIO (the fixture had it). */
	assert_non_null(d->file);
	assert_int_equal(iemu_devfile_open(d->dev, d->fx.self, &f), -EPERM);
	/* It binds, to a DEVICE object... */
	assert_int_equal(bind(d), 2);
	assert_int_equal(destroy(&d->fx, 2), -EBUSY);
	/* ...that never attaches. */
	assert_int_equal(attach(d, ioas), -EINVAL);
	assert_int_equal(detach(d), -EINVAL);
	assert_int_equal(destroy(&d->fx, 3), -ENOENT);
	iemu_device_info(d->dev, &info);
	assert_int_equal(info.pt_id, 0);
	assert_int_equal(hw_info(d, 2), -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(d, 2, ioas, 0), -ENODEV);
	assert_int_equal(destroy(&d->fx, ioas), 0);
	dfx_free(d);
}

static void test_refuse_is_the_default(void **state)
{
	(void)state;
	check_refuse("edu,noiommu");
}

static void test_refuse(void **state)
{
	(void)state;
	check_refuse("edu,noiommu=refuse");
}

/* ---- nocdev ---- */

static void test_nocdev_has_no_cdev(void **state)
{
	static const char *const specs[] = { "edu,noiommu=nocdev", NULL };
	struct dfx *d = dfx_new(specs);
	struct iemu_device_info info;
	struct iemu_devfile *f;

	(void)state;
	assert_null(d->file);
	iemu_proc_set_caps(d->fx.self, CAP_SYS_RAWIO);
	assert_int_equal(iemu_devfile_open(d->dev, d->fx.self, &f), -ENODEV);
	iemu_device_info(d->dev, &info);
	assert_false(info.has_cdev);
	assert_int_equal(info.noiommu, IEMU_NOIOMMU_NOCDEV);
	assert_null(iemu_device_find(d->fx.emu, info.name));
	assert_null(iemu_device_find(d->fx.emu, "vfio0"));
	assert_null(iemu_device_find(d->fx.emu, "noiommu-vfio0"));
	dfx_free(d);
}

/* ---- noop-attach ---- */

static void test_noop_attach_associates_nothing(void **state)
{
	static const char *const specs[] = {
		"edu,noiommu=noop-attach,dma_mask=64,dma_delay=0", NULL };
	struct dfx *d = dfx_new(specs);
	struct iemu_device_info info;
	uint32_t ioas = ioas_alloc(&d->fx);
	uint8_t *buf = pages(1);

	(void)state;
	iemu_device_info(d->dev, &info);
	assert_string_equal(info.name, "noiommu-vfio0");
	assert_int_equal(bind(d), 2);
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, BUF_IOVA, RW), 0);
	/* Success, pt_id as given, and no HWPT behind it. */
	assert_int_equal(attach(d, ioas), ioas);
	assert_int_equal(attach(d, 0xdead), 0xdead);
	assert_int_equal(destroy(&d->fx, 3), -ENOENT);
	assert_int_equal(hw_info(d, 2), -EOPNOTSUPP);
	/* The device's addresses are physical; none backs the IOVA. */
	memset(buf, 0xee, PG);
	enable_device(d);
	edu_dma(d, BUF_IOVA, 0x40000, 64, true);
	assert_int_equal(nfaults(d), 2);
	assert_int_equal(fault_no(d, 1).kind, IEMU_FAULT_WILD_PHYS);
	assert_int_equal(fault_no(d, 1).addr, BUF_IOVA);
	assert_int_equal(fault_no(d, 1).write, true);
	assert_int_equal(fault_no(d, 2).kind, IEMU_FAULT_DEVICE);
	assert_bytes(buf, 0xee, PG);
	/* The IOAS is not held. */
	assert_int_equal(destroy(&d->fx, ioas), 0);
	assert_int_equal(detach(d), 0);
	assert_int_equal(detach(d), 0);
	dfx_free(d);
	munmap(buf, PG);
}

/* ---- swpt: attach ---- */

static void test_swpt_attach_makes_an_automatic_hwpt(void **state)
{
	struct dfx *d = dfx_new(swpt);
	struct iommu_iova_range r[2];
	struct iemu_device_info info;
	uint64_t align;
	uint32_t ioas = ioas_alloc(&d->fx);

	(void)state;
	iemu_device_info(d->dev, &info);
	assert_string_equal(info.name, "noiommu-vfio0");
	assert_int_equal(info.noiommu, IEMU_NOIOMMU_SWPT);
	assert_int_equal(bind(d), 2);
	assert_int_equal(iova_ranges(d, ioas, r, 2, &align), 1);
	assert_int_equal(align, 1);
	assert_int_equal(attach(d, ioas), 3);
	iemu_device_info(d->dev, &info);
	assert_int_equal(info.pt_id, 3);
	assert_int_equal(destroy(&d->fx, 3), -EBUSY);
	assert_int_equal(destroy(&d->fx, ioas), -EBUSY);
	/* A 64-bit aperture and no interrupt window: still everything; the
	 * table's 4K pages set the alignment. */
	assert_int_equal(iova_ranges(d, ioas, r, 2, &align), 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, UINT64_MAX);
	assert_int_equal(align, PG);
	/* GET_HW_INFO knows no IOMMU to describe. */
	assert_int_equal(hw_info(d, 2), -EOPNOTSUPP);
	assert_int_equal(detach(d), 0);
	assert_int_equal(destroy(&d->fx, 3), -ENOENT);
	assert_int_equal(iova_ranges(d, ioas, r, 2, &align), 1);
	assert_int_equal(align, 1);
	dfx_free(d);
}

static void test_swpt_hwpt_alloc(void **state)
{
	struct dfx *d = dfx_new(swpt);
	uint32_t ioas = ioas_alloc(&d->fx);

	(void)state;
	assert_int_equal(bind(d), 2);
	assert_int_equal(hwpt_alloc(d, 2, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING), -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(d, 2, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT), -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(d, 2, ioas, IOMMU_HWPT_ALLOC_PASID), -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(d, 2, ioas, 1u << 9), -EOPNOTSUPP);
	/* The table is made without the fault flag, then fault_id 0 is no
	 * fault queue (hw_pagetable.c). */
	assert_int_equal(hwpt_alloc(d, 2, ioas, IOMMU_HWPT_FAULT_ID_VALID), -ENOENT);
	/* Linux 7.3 makes one without flags, and the device attaches to it. */
	assert_int_equal(hwpt_alloc(d, 2, ioas, 0), 3);
	assert_int_equal(attach(d, 3), 3);
	/* Nested on it: the software table has no nesting. */
	assert_int_equal(hwpt_alloc(d, 2, 3, 0), -EOPNOTSUPP);
	assert_int_equal(detach(d), 0);
	assert_int_equal(destroy(&d->fx, 3), 0);
	dfx_free(d);
}

/* ---- swpt: IOMMU_IOAS_NOIOMMU_GET_PA ---- */

static void test_get_pa_errors(void **state)
{
	uint8_t *buf;
	struct dfx *d = swpt_rig(&buf);
	struct iommu_ioas_noiommu_get_pa g = { .ioas_id = 1, .iova = BUF_IOVA, .length = PG };

	(void)state;
	assert_int_equal(get_pa(d, &g), -EPERM);
	iemu_proc_set_caps(d->fx.self, CAP_SYS_RAWIO);
	g.flags = 1;
	assert_int_equal(get_pa(d, &g), -EOPNOTSUPP);
	g.flags = 0;
	g.__reserved = 1;
	assert_int_equal(get_pa(d, &g), -EOPNOTSUPP);
	g.__reserved = 0;
	g.length = 0;
	assert_int_equal(get_pa(d, &g), -EINVAL);
	g.length = PG;
	g.iova = UINT64_MAX;
	assert_int_equal(get_pa(d, &g), -EOVERFLOW);
	g.iova = BUF_IOVA;
	g.ioas_id = 99;
	assert_int_equal(get_pa(d, &g), -ENOENT);
	g.ioas_id = 3; /* the HWPT: not an IOAS */
	assert_int_equal(get_pa(d, &g), -ENOENT);
	g.ioas_id = 1;
	g.iova = BUF_IOVA + 3 * PG;
	assert_int_equal(get_pa(d, &g), -ENOENT);
	g.iova = BUF_IOVA - 1;
	assert_int_equal(get_pa(d, &g), -ENOENT);
	/* Nothing was written back on the way. */
	assert_int_equal(g.length, PG);
	assert_int_equal(g.out_phys, 0);
	dfx_free(d);
	munmap(buf, 3 * PG);
}

static void test_get_pa_values(void **state)
{
	uint8_t *buf;
	struct dfx *d = swpt_rig(&buf);
	struct iommu_ioas_noiommu_get_pa g = { .ioas_id = 1, .iova = BUF_IOVA,
					       .length = UINT64_MAX };
	uint64_t pa;

	(void)state;
	iemu_proc_set_caps(d->fx.self, CAP_SYS_RAWIO);
	assert_int_equal(get_pa(d, &g), 0);
	pa = g.out_phys;
	assert_int_equal(pa % PG, 0);
	assert_true(pa >= 4ULL << 30); /* fake RAM starts at 4 GiB */
	assert_int_equal(g.length, 3 * PG);
	/* Mid-page: the address follows, the length runs to the area's end. */
	g = (struct iommu_ioas_noiommu_get_pa){ .ioas_id = 1, .iova = BUF_IOVA + 5,
						.length = UINT64_MAX };
	assert_int_equal(get_pa(d, &g), 0);
	assert_int_equal(g.out_phys, pa + 5);
	assert_int_equal(g.length, 3 * PG - 5);
	/* Capped at the length asked for. */
	g.length = 10;
	assert_int_equal(get_pa(d, &g), 0);
	assert_int_equal(g.out_phys, pa + 5);
	assert_int_equal(g.length, 10);
	g.iova = BUF_IOVA + 2 * PG + 7;
	g.length = PG;
	assert_int_equal(get_pa(d, &g), 0);
	assert_int_equal(g.out_phys, pa + 2 * PG + 7);
	assert_int_equal(g.length, PG - 7);
	dfx_free(d);
	munmap(buf, 3 * PG);
}

static void test_get_pa_needs_a_noiommu_domain(void **state)
{
	static const char *const specs[] = { "edu", NULL };
	struct dfx *d = dfx_new(specs);
	struct iommu_ioas_noiommu_get_pa g = { .ioas_id = 1, .iova = BUF_IOVA, .length = PG };
	uint8_t *buf = pages(1);

	(void)state;
	iemu_proc_set_caps(d->fx.self, CAP_SYS_RAWIO);
	assert_int_equal(ioas_alloc(&d->fx), 1);
	assert_int_equal(map_at(&d->fx, 1, buf, PG, BUF_IOVA, RW), 0);
	/* No domain at all: the area is stored nowhere. */
	assert_int_equal(get_pa(d, &g), -EOPNOTSUPP);
	/* A VT-d domain is no noiommu one. */
	assert_int_equal(bind(d), 2);
	assert_int_equal(attach(d, 1), 3);
	assert_int_equal(get_pa(d, &g), -EOPNOTSUPP);
	/* The area is looked up first. */
	g.iova = 0;
	assert_int_equal(get_pa(d, &g), -ENOENT);
	dfx_free(d);
	munmap(buf, PG);
}

/* The area's pages live in the IOAS's first domain (the kernel's
 * storage_domain): GET_PA answers only while that is a noiommu one. */
static void test_get_pa_follows_the_storage_domain(void **state)
{
	static const char *const specs[] = {
		"edu,noiommu=swpt,dma_mask=64,dma_delay=0", "edu", NULL };
	struct dfx *d = dfx_new(specs);
	struct iemu_devfile *sw = d->file, *vtd;
	struct iommu_ioas_noiommu_get_pa g = { .ioas_id = 1, .iova = BUF_IOVA, .length = PG };
	uint8_t *buf = pages(1);

	(void)state;
	assert_int_equal(iemu_devfile_open(iemu_device_next(d->fx.emu, d->dev), d->fx.self,
					   &vtd), 0);
	iemu_proc_set_caps(d->fx.self, CAP_SYS_RAWIO);
	assert_int_equal(ioas_alloc(&d->fx), 1);
	assert_int_equal(map_at(&d->fx, 1, buf, PG, BUF_IOVA, RW), 0);
	assert_int_equal(bind(d), 2);
	assert_int_equal(bind_file(d, vtd, 0), 3);
	/* The software table first: the VT-d device gets a domain of its own. */
	assert_int_equal(attach(d, 1), 4);
	d->file = vtd;
	assert_int_equal(attach(d, 1), 5);
	assert_int_equal(get_pa(d, &g), 0);
	/* The software table goes: the VT-d domain holds the pages now. */
	d->file = sw;
	assert_int_equal(detach(d), 0);
	assert_int_equal(destroy(&d->fx, 4), -ENOENT);
	assert_int_equal(get_pa(d, &g), -EOPNOTSUPP);
	/* A noiommu device takes any automatic domain (its attach never
	 * reaches an IOMMU), so it now shares the VT-d one. */
	assert_int_equal(attach(d, 1), 5);
	assert_int_equal(get_pa(d, &g), -EOPNOTSUPP);
	iemu_devfile_close(vtd);
	dfx_free(d);
	munmap(buf, PG);
}

static void test_get_pa_6_12_does_not_exist(void **state)
{
	static const char *const specs[] = { "edu", NULL };
	struct dfx *d = dfx_new_kernel(IEMU_KERNEL_6_12, specs);
	struct iommu_ioas_noiommu_get_pa g = { .ioas_id = 1, .iova = BUF_IOVA, .length = PG };

	(void)state;
	iemu_proc_set_caps(d->fx.self, CAP_SYS_RAWIO);
	assert_int_equal(ioas_alloc(&d->fx), 1);
	assert_int_equal(get_pa(d, &g), -ENOTTY);
	dfx_free(d);
}

/* ---- swpt: DMA to physical addresses ---- */

static void test_swpt_dma_reaches_the_buffer(void **state)
{
	uint8_t *buf;
	struct dfx *d = swpt_rig(&buf);
	uint64_t pa = pa_of(d, 1, BUF_IOVA);
	struct iemu_device_info info;

	(void)state;
	memset(buf, 0x5a, 100);
	memset(buf + PG, 0, 2 * PG);
	/* RAM to the device, then back to RAM at another page. */
	edu_dma(d, pa, 0x40000, 100, false);
	edu_dma(d, pa_of(d, 1, BUF_IOVA + 2 * PG) - 10, 0x40000, 100, true);
	assert_bytes(buf + 2 * PG - 10, 0x5a, 100);
	assert_bytes(buf + PG, 0, PG - 10);
	assert_bytes(buf + 2 * PG + 90, 0, PG - 90);
	assert_int_equal(nfaults(d), 0);
	iemu_device_info(d->dev, &info);
	assert_int_equal(info.dma_bytes, 200);
	dfx_free(d);
	munmap(buf, 3 * PG);
}

static void test_swpt_wild_physical_address(void **state)
{
	uint8_t *buf;
	struct dfx *d = swpt_rig(&buf);
	uint64_t pa = pa_of(d, 1, BUF_IOVA);

	(void)state;
	memset(buf, 0xee, 3 * PG);
	/* The IOVA is no physical address... */
	edu_dma(d, BUF_IOVA, 0x40000, 64, true);
	assert_int_equal(nfaults(d), 2);
	assert_int_equal(fault_no(d, 1).kind, IEMU_FAULT_WILD_PHYS);
	assert_int_equal(fault_no(d, 1).addr, BUF_IOVA);
	assert_int_equal(fault_no(d, 1).len, 64);
	assert_int_equal(fault_no(d, 2).kind, IEMU_FAULT_DEVICE);
	/* ...and a transfer running past the buffer's memory is refused whole. */
	edu_dma(d, pa + 3 * PG - 8, 0x40000, 16, true);
	assert_int_equal(nfaults(d), 4);
	assert_int_equal(fault_no(d, 3).kind, IEMU_FAULT_WILD_PHYS);
	assert_int_equal(fault_no(d, 3).addr, pa + 3 * PG);
	assert_int_equal(fault_no(d, 3).write, true);
	assert_bytes(buf, 0xee, 3 * PG);
	/* Fake physical addresses exist while pages are pinned: once the
	 * mapping goes, so does the address. */
	assert_int_equal(unmap(&d->fx, 1, BUF_IOVA, 3 * PG, NULL), 0);
	edu_dma(d, pa, 0x40000, 16, true);
	assert_int_equal(nfaults(d), 6);
	assert_int_equal(fault_no(d, 5).kind, IEMU_FAULT_WILD_PHYS);
	assert_int_equal(fault_no(d, 5).addr, pa);
	assert_bytes(buf, 0xee, 3 * PG);
	dfx_free(d);
	munmap(buf, 3 * PG);
}

/* Another process: the test's own memory under another pid. */
static int other_read(void *o, uint64_t a, void *b, size_t l)
{
	(void)o;
	memcpy(b, (void *)(uintptr_t)a, l);
	return 0;
}

static int other_write(void *o, uint64_t a, const void *b, size_t l)
{
	(void)o;
	memcpy((void *)(uintptr_t)a, b, l);
	return 0;
}

static int other_vma(void *o, uint64_t a, struct iemu_vma *v)
{
	return vma_query(*(int *)o, a, v);
}

static const struct iemu_proc_ops other_ops = {
	.read = other_read, .write = other_write, .vma_at = other_vma,
};

static void test_swpt_dma_into_another_process_is_foreign(void **state)
{
	uint8_t *buf, *theirs = pages(1);
	struct dfx *d = swpt_rig(&buf);
	int maps_fd = vma_open_maps(0);
	struct iemu_proc_desc desc = { .pid = 424242, .uid = 4242, .ops = &other_ops,
				       .opaque = &maps_fd };
	struct iemu_proc *other;
	struct fx them = { .emu = d->fx.emu };
	struct pt_xlate t;
	struct hwpt *hwpt;
	long hwpt_id;
	uint64_t pa = pa_of(d, 1, BUF_IOVA);

	(void)state;
	/* The other process maps its page into a domain: it gets an address. */
	assert_int_equal(iemu_proc_create(d->fx.emu, &desc, &other), 0);
	iemu_proc_set_memlock(other, UINT64_MAX);
	them.self = other;
	assert_int_equal(iemu_ctx_open(d->fx.emu, other, &them.ctx), 0);
	assert_int_equal(ioas_alloc(&them), 1);
	assert_int_equal(map_at(&them, 1, theirs, PG, BUF_IOVA, RW), 0);
	hwpt_id = add_domain(&them, 1, NULL);
	assert_true(hwpt_id > 0);
	hwpt = hwpt_of(&them, hwpt_id);
	pt_read_lock(&hwpt->pt);
	assert_int_equal(pt_translate(&hwpt->pt, BUF_IOVA, &t), 0);
	pt_read_unlock(&hwpt->pt);
	/* Our device writes there: done, as hardware would, and reported. */
	memset(buf, 0x77, 64);
	memset(theirs, 0, PG);
	edu_dma(d, pa, 0x40000, 64, false);
	edu_dma(d, t.pa + 8, 0x40000, 64, true);
	assert_bytes(theirs + 8, 0x77, 64);
	assert_bytes(theirs, 0, 8);
	assert_int_equal(nfaults(d), 1);
	assert_int_equal(fault_no(d, 1).kind, IEMU_FAULT_FOREIGN_PHYS);
	assert_int_equal(fault_no(d, 1).addr, t.pa + 8);
	assert_int_equal(fault_no(d, 1).len, 64);
	assert_int_equal(fault_no(d, 1).write, true);
	/* Reading it is not reported. */
	edu_dma(d, t.pa, 0x40000, 64, false);
	assert_int_equal(nfaults(d), 1);
	iemu_ctx_close(them.ctx);
	iemu_proc_put(other);
	close(maps_fd);
	dfx_free(d);
	munmap(buf, 3 * PG);
	munmap(theirs, PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuse_is_the_default),
		cmocka_unit_test(test_refuse),
		cmocka_unit_test(test_nocdev_has_no_cdev),
		cmocka_unit_test(test_noop_attach_associates_nothing),
		cmocka_unit_test(test_swpt_attach_makes_an_automatic_hwpt),
		cmocka_unit_test(test_swpt_hwpt_alloc),
		cmocka_unit_test(test_get_pa_errors),
		cmocka_unit_test(test_get_pa_values),
		cmocka_unit_test(test_get_pa_needs_a_noiommu_domain),
		cmocka_unit_test(test_get_pa_follows_the_storage_domain),
		cmocka_unit_test(test_get_pa_6_12_does_not_exist),
		cmocka_unit_test(test_swpt_dma_reaches_the_buffer),
		cmocka_unit_test(test_swpt_wild_physical_address),
		cmocka_unit_test(test_swpt_dma_into_another_process_is_foreign),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
