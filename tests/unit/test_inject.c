// SPDX-License-Identifier: MIT
/*
 * Fault injection: the rule syntax, nth and probability rules on iommufd
 * and device ioctls, determinism from the seed, lost and refused DMA, the
 * pin limit, and the reports the rules make.
 */
#include "devices.h"

static const char *const dmatest[] = { "dmatest,queues=1", NULL };

static void test_parse(void **state)
{
	struct iemu_inject r;
	char err[160];

	(void)state;
	assert_int_equal(iemu_inject_parse("ioctl=IOMMU_IOAS_MAP,nth=3,errno=ENOMEM", &r, err,
					   sizeof(err)), 0);
	assert_int_equal(r.kind, IEMU_INJECT_IOCTL);
	assert_int_equal(r.cmd, IOMMU_IOAS_MAP);
	assert_int_equal(r.nth, 3);
	assert_int_equal(r.err, ENOMEM);
	assert_int_equal(iemu_inject_parse("ioctl=*,p=0.25,errno=5", &r, err, sizeof(err)), 0);
	assert_int_equal(r.cmd, 0);
	assert_true(r.probability == 0.25);
	assert_int_equal(r.err, EIO);
	assert_int_equal(iemu_inject_parse("dma=vfio0,drop,nth=2", &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, IEMU_INJECT_DMA_DROP);
	assert_string_equal(r.device, "vfio0");
	assert_int_equal(iemu_inject_parse("dma=*,error,p=1", &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, IEMU_INJECT_DMA_ERROR);
	assert_string_equal(r.device, "");
	assert_int_equal(iemu_inject_parse("pin-limit=1024", &r, err, sizeof(err)), 0);
	assert_int_equal(r.pages, 1024);
	assert_int_equal(iemu_inject_parse("ioctl=IOMMU_FLY,nth=1,errno=EIO", &r, err,
					   sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no ioctl has that name"));
	assert_int_equal(iemu_inject_parse("ioctl=*,nth=1", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "errno="));
	assert_int_equal(iemu_inject_parse("dma=*,drop", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nth=N or p=P"));
	assert_int_equal(iemu_inject_parse("dma=*,error,p=1.5", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(iemu_inject_parse("ioctl=*,nth=1,errno=EWHAT", &r, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(iemu_inject_parse("wish=1", &r, err, sizeof(err)), -EINVAL);
}

static void test_nth_ioctl(void **state)
{
	struct fx *f = *state;
	struct iemu_inject r;

	assert_int_equal(iemu_inject_parse("ioctl=IOMMU_IOAS_ALLOC,nth=3,errno=ENOMEM", &r, NULL,
					   0), 0);
	assert_int_equal(iemu_inject_add(f->emu, &r), 0);
	assert_int_equal(ioas_alloc(f), 1);
	assert_int_equal(ioas_alloc(f), 2);
	{
		struct iommu_ioas_alloc a = { .size = sizeof(a) };

		assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, &a), -ENOMEM);
	}
	/* The failed call did nothing: the next id is 3. */
	assert_int_equal(ioas_alloc(f), 3);
	assert_int_equal(iemu_inject_fired(f->emu), 1);
}

/* Which of n calls of IOAS_IOVA_RANGES fail, as a bit string. */
static void pattern(struct fx *f, char *out, int n)
{
	for (int i = 0; i < n; i++) {
		struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = 1 };

		out[i] = ioc(f, IOMMU_IOAS_IOVA_RANGES, &q) == -EIO ? '1' : '0';
	}
	out[n] = 0;
}

static void test_probability_is_reproducible(void **state)
{
	struct fx *f = *state;
	struct iemu_inject r;
	char a[101], b[101], c[101];

	ioas_alloc(f);
	assert_int_equal(iemu_inject_parse("ioctl=IOMMU_IOAS_IOVA_RANGES,p=0.5,errno=EIO", &r,
					   NULL, 0), 0);
	iemu_inject_seed(f->emu, 42);
	assert_int_equal(iemu_inject_add(f->emu, &r), 0);
	pattern(f, a, 100);
	iemu_inject_seed(f->emu, 42);
	pattern(f, b, 100);
	iemu_inject_seed(f->emu, 43);
	pattern(f, c, 100);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	/* About half fail. */
	assert_true(strchr(a, '1') && strchr(a, '0'));
}

static void test_device_ioctl_rule(void **state)
{
	struct dfx *d = dfx_new(dmatest);
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct iemu_inject r;

	(void)state;
	assert_int_equal(bind(d), 1);
	assert_int_equal(iemu_inject_parse("ioctl=VFIO_DEVICE_GET_INFO,nth=2,errno=EAGAIN", &r,
					   NULL, 0), 0);
	assert_int_equal(iemu_inject_add(d->fx.emu, &r), 0);
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), -EAGAIN);
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), 0);
	dfx_free(d);
}

/* ---- DMA ---- */

struct ring {
	struct dmatest_desc desc[4];
	struct dmatest_compl compl[4];
	uint8_t src[PG], dst[PG];
};

static struct ring *dmatest_ready(struct dfx *d)
{
	struct ring *ring = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t ioas = ioas_alloc(&d->fx);

	assert_int_equal(bind(d), 2);
	assert_int_equal(attach(d, ioas), 3);
	assert_int_equal(map_at(&d->fx, ioas, ring, 4 * PG, 0x100000, RW), 0);
	enable_device(d);
	bar_write(d, 0, DMATEST_QUEUE(0) + DMATEST_Q_RING, 8, 0x100000);
	bar_write(d, 0, DMATEST_QUEUE(0) + DMATEST_Q_SIZE, 4, 4);
	bar_write(d, 0, DMATEST_QUEUE(0) + DMATEST_Q_CTRL, 4, DMATEST_CTRL_ENABLE);
	return ring;
}

/* Copy src to dst with descriptor slot; the completion status. */
static uint32_t copy(struct dfx *d, struct ring *ring, unsigned int slot)
{
	uint64_t base = 0x100000;

	ring->compl[slot].status = DMATEST_ST_PENDING;
	ring->desc[slot] = (struct dmatest_desc){
		.op = DMATEST_OP_COPY, .len = PG,
		.src = base + offsetof(struct ring, src), .dst = base + offsetof(struct ring, dst),
		.compl = base + offsetof(struct ring, compl) + slot * sizeof(struct dmatest_compl),
	};
	bar_write(d, 0, DMATEST_QUEUE(0) + DMATEST_Q_TAIL, 4, (slot + 1) % 4);
	WAIT_FOR(*(volatile uint32_t *)&ring->compl[slot].status != DMATEST_ST_PENDING);
	return ring->compl[slot].status;
}

static void test_dma_drop_and_error(void **state)
{
	struct dfx *d = dfx_new(dmatest);
	struct ring *ring;
	struct iemu_inject r;

	(void)state;
	ring = dmatest_ready(d);
	memset(ring->src, 0x5a, PG);
	/* The first DMA (a descriptor fetch) goes through; the second (the
	 * copy) is lost: the device reports success, nothing moved. */
	assert_int_equal(iemu_inject_parse("dma=vfio0,drop,nth=2", &r, NULL, 0), 0);
	assert_int_equal(iemu_inject_add(d->fx.emu, &r), 0);
	assert_int_equal(copy(d, ring, 0), DMATEST_ST_OK);
	assert_int_equal(ring->dst[0], 0);
	/* Refused DMA is a fault the device sees.  A rule counts from when it
	 * is added: its first match is this copy's fetch, its second the copy. */
	assert_int_equal(iemu_inject_parse("dma=vfio0,error,nth=2", &r, NULL, 0), 0);
	assert_int_equal(iemu_inject_add(d->fx.emu, &r), 0);
	assert_int_equal(copy(d, ring, 1), DMATEST_ST_FAULT);
	assert_int_equal(last_fault(d->dev).kind, IEMU_FAULT_INJECTED);
	assert_int_equal(ring->dst[0], 0);
	/* Rules for another device never fire here. */
	assert_int_equal(iemu_inject_parse("dma=vfio7,error,p=1", &r, NULL, 0), 0);
	assert_int_equal(iemu_inject_add(d->fx.emu, &r), 0);
	assert_int_equal(copy(d, ring, 2), DMATEST_ST_OK);
	assert_int_equal(ring->dst[0], 0x5a);
	munmap(ring, 4 * PG);
	dfx_free(d);
}

/* ---- the pin limit ---- */

static void test_pin_limit(void **state)
{
	struct dfx *d = dfx_new(dmatest);
	uint32_t ioas = ioas_alloc(&d->fx);
	char *buf = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	struct iemu_inject r;

	(void)state;
	assert_int_equal(iemu_inject_parse("pin-limit=8", &r, NULL, 0), 0);
	assert_int_equal(iemu_inject_add(d->fx.emu, &r), 0);
	assert_int_equal(bind(d), 2);
	assert_int_equal(attach(d, ioas), 3);
	assert_int_equal(map_at(&d->fx, ioas, buf, 6 * PG, 0x100000, RW), 0);
	assert_int_equal(map_at(&d->fx, ioas, buf + 6 * PG, 4 * PG, 0x200000, RW), -ENOMEM);
	assert_int_equal(map_at(&d->fx, ioas, buf + 6 * PG, 2 * PG, 0x200000, RW), 0);
	assert_int_equal(unmap(&d->fx, ioas, 0x100000, 6 * PG, NULL), 0);
	assert_int_equal(map_at(&d->fx, ioas, buf + 8 * PG, 6 * PG, 0x300000, RW), 0);
	munmap(buf, 16 * PG);
	dfx_free(d);
}

/* ---- reports ---- */

static struct iemu_report seen;
static int reports;

static void collect(void *opaque, const struct iemu_report *r)
{
	(void)opaque;
	seen = *r;
	seen.text = NULL;
	reports++;
}

static void test_reports(void **state)
{
	struct fx *f = *state;
	struct iemu_inject r;
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	iemu_set_checks(f->emu, collect, NULL);
	assert_int_equal(iemu_inject_parse("ioctl=*,nth=1,errno=EBUSY", &r, NULL, 0), 0);
	assert_int_equal(iemu_inject_add(f->emu, &r), 0);
	reports = 0;
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, &a), -EBUSY);
	assert_int_equal(reports, 1);
	assert_int_equal(seen.kind, IEMU_REPORT_INJECTED);
	assert_string_equal(seen.what, "IOMMU_IOAS_ALLOC");
	assert_int_equal(seen.pid, getpid());
	iemu_set_checks(f->emu, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_nth_ioctl, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_probability_is_reproducible, fx_setup,
						fx_teardown),
		cmocka_unit_test(test_device_ioctl_rule),
		cmocka_unit_test(test_dma_drop_and_error),
		cmocka_unit_test(test_pin_limit),
		cmocka_unit_test_setup_teardown(test_reports, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
