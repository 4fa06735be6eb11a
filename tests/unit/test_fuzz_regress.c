// SPDX-License-Identifier: MIT
/*
 * Regressions found by the fuzzers (fuzz/): each test names the behaviour
 * that broke, builds the smallest state that showed it, and asserts what
 * Linux 7.3 does.  The fuzzer input that found it is noted above the test.
 */
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "devices.h"
#include "access.h"
#include "dma.h"
#include "iommufd_emu/uapi/vfio.h"
#include "iopt.h"
#include "pt.h"

/* ---- VFIO_IOMMU_MAP_DMA with neither READ nor WRITE ----
 *
 * fuzz_ops: IOAS_ALLOC, VFIO_IOAS SET, a domain on the IOAS, MAP_DMA with
 * flags 0.  The kernel builds an area with IOMMU_CACHE only; a domain's
 * page table cannot hold an entry that is neither readable nor writable
 * (generic_pt's map_pages and VT-d's set_prot return -EINVAL), so the map
 * fails while the IOAS has a domain, and a domain cannot be added while
 * such an area exists.  The emulator mapped a leaf with no permission. */

static long map_dma(struct fx *f, void *va, uint64_t size, uint64_t iova, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .vaddr = (uintptr_t)va, .size = size,
		.iova = iova,
	};

	return ioc(f, VFIO_IOMMU_MAP_DMA, &m);
}

static uint32_t compat_ioas(struct fx *f)
{
	uint32_t id = ioas_alloc(f);
	struct iommu_vfio_ioas v = { .size = sizeof(v), .ioas_id = id, .op = IOMMU_VFIO_IOAS_SET };

	assert_int_equal(ioc(f, IOMMU_VFIO_IOAS, &v), 0);
	return id;
}

static void test_map_dma_without_permission_into_a_domain_is_einval(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = compat_ioas(f);
	void *buf = pages(2);
	struct hwpt *hwpt;
	long hwpt_id;

	hwpt_id = add_domain(f, ioas, NULL);
	assert_true(hwpt_id > 0);
	hwpt = hwpt_of(f, hwpt_id);
	assert_int_equal(map_dma(f, buf, 2 * PG, 0x100000, 0), -EINVAL);
	/* Nothing is left: no area, no leaf, no pinned page. */
	assert_null(iopt_area_at(&ioas_find(f->ctx, ioas)->iopt, 0x100000));
	assert_int_equal(pt_leaves(&hwpt->pt), 0);
	/* With a permission it maps. */
	assert_int_equal(map_dma(f, buf, 2 * PG, 0x100000, VFIO_DMA_MAP_FLAG_READ), 0);
	assert_int_equal(pt_leaves(&hwpt->pt), 1);
	munmap(buf, 2 * PG);
}

static void test_domain_refuses_an_area_without_permission(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = compat_ioas(f);
	void *buf = pages(2);
	struct iemu_ctx_stats st;

	/* Without a domain the area is only recorded, as in the kernel. */
	assert_int_equal(map_dma(f, buf, 2 * PG, 0x100000, 0), 0);
	assert_non_null(iopt_area_at(&ioas_find(f->ctx, ioas)->iopt, 0x100000));
	/* Filling a domain with it fails, and leaves nothing pinned. */
	assert_int_equal(add_domain(f, ioas, NULL), -EINVAL);
	iemu_ctx_stats(f->ctx, &st);
	assert_int_equal(st.hwpt, 0);
	assert_int_equal(st.pinned_pages, 0);
	munmap(buf, 2 * PG);
}

/* ---- an access copying past the end of a mapped file ----
 *
 * fuzz_ops: MAP_FILE of the 1 MiB memfd with a length of 1 TiB (allowed:
 * nothing checks the file until pages are pinned), an access attached to
 * the IOAS, access_rw writing 2 KiB at 1.3 MiB into the file.  The kernel
 * reads file pages through memfd_pin_folios, which refuses a range past
 * the end of the file (EINVAL); the emulator wrote with pwrite, which grew
 * the caller's memfd, and reported success. */

static void nothing_to_unmap(void *data, uint64_t iova, uint64_t length)
{
	(void)data;
	(void)iova;
	(void)length;
}

static const struct access_ops plain_ops = {
	.needs_pin_pages = true,
	.unmap = nothing_to_unmap,
};

/* A new IOAS with length bytes of fd mapped at IOVA 1 MiB, and an access
 * attached to it. */
static struct access *file_access(struct fx *f, int fd, uint64_t length, uint32_t *ioas)
{
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | RW,
		.ioas_id = ioas_alloc(f),
		.fd = fd,
		.length = length,
		.iova = 0x100000,
	};
	struct access *a;

	assert_true(fd >= 0);
	assert_int_equal(ioc(f, IOMMU_IOAS_MAP_FILE, &m), 0);
	assert_int_equal(access_create(f->ctx, &plain_ops, NULL, &a), 0);
	assert_int_equal(access_attach(a, m.ioas_id), 0);
	*ioas = m.ioas_id;
	return a;
}

static void test_access_past_the_end_of_a_file_is_einval(void **state)
{
	struct fx *f = *state;
	int fd = memfd_create("regress", 0);
	uint8_t buf[64] = { 0x5a };
	struct access *a;
	struct stat st;
	uint32_t ioas;

	assert_int_equal(ftruncate(fd, PG), 0);
	a = file_access(f, fd, 4 * PG, &ioas);
	/* Inside the file: fine. */
	assert_int_equal(access_rw(a, 0x100000, buf, sizeof(buf), true), 0);
	/* Past its end: refused, and the file keeps its size. */
	assert_int_equal(access_rw(a, 0x100000 + 2 * PG, buf, sizeof(buf), true), -EINVAL);
	assert_int_equal(access_rw(a, 0x100000 + 2 * PG, buf, sizeof(buf), false), -EINVAL);
	assert_int_equal(access_rw(a, 0x100000 + PG - 8, buf, 16, true), -EINVAL);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, PG);
	access_destroy(a);
	close(fd);
}

/* ---- an access through a mapped file that is not a memfd ----
 *
 * fuzz_ops (corpus/ops/regress-access-eventfd-file): MAP_FILE takes any
 * fd (Linux only fgets it; the file is looked at when pages are pinned),
 * here an eventfd; an access then reads through the area.  Linux reaches
 * file pages only through memfd_pin_folios, which refuses a file that is
 * neither shmem nor hugetlbfs: EINVAL.  The emulator checked only the
 * file's size (an eventfd's is 0: EINVAL by luck), so a regular file
 * would have been read and written with pread/pwrite. */

static void test_access_through_a_non_shmem_file_is_einval(void **state)
{
	struct fx *f = *state;
	int fd = eventfd(0, EFD_CLOEXEC);
	uint8_t buf[64] = { 0x5a };
	uint32_t ioas;
	struct access *a = file_access(f, fd, 2 * PG, &ioas);

	assert_int_equal(access_rw(a, 0x100000, buf, sizeof(buf), false), -EINVAL);
	assert_int_equal(access_rw(a, 0x100000, buf, sizeof(buf), true), -EINVAL);
	/* Nor can a domain pin it. */
	assert_int_equal(add_domain(f, ioas, NULL), -EINVAL);
	access_destroy(a);
	close(fd);
}

/* ---- an emulated device's DMA refused half way ----
 *
 * fuzz_ops: an emulated dmatest attached to an IOAS with two mappings back
 * to back, the second over memory that is not there (a file past its end,
 * or process memory that was unmapped: nothing pins it, as an access does
 * not), and a DMA write across both.  The engine checked permissions
 * before moving a byte but not the memory, so the copy wrote the first
 * mapping and then failed: a refused transfer had changed memory. */

static void test_emulated_dma_refused_midway_changes_nothing(void **state)
{
	static const char *const specs[] = { "dmatest,emulated", NULL };
	struct dfx *d = dfx_new(specs);
	uint8_t *mem = pages(2), buf[2 * PG];
	uint32_t ioas = ioas_alloc(&d->fx);
	struct iemu_fault fault;

	(void)state;
	memset(mem, 0x11, PG);
	/* The second page is gone by the time the device writes. */
	assert_int_equal(map_at(&d->fx, ioas, mem, 2 * PG, 0x100000, RW), 0);
	assert_int_equal(munmap(mem + PG, PG), 0);
	assert_true(bind(d) > 0);
	assert_int_equal(attach(d, ioas), ioas);
	enable_device(d);

	memset(buf, 0x22, sizeof(buf));
	assert_int_equal(dma_rw(d->dev, 0x100000, buf, sizeof(buf), true), -EFAULT);
	for (size_t i = 0; i < PG; i++)
		if (mem[i] != 0x11)
			fail_msg("byte %zu changed by a refused DMA", i);
	fault = last_fault(d->dev);
	assert_int_equal(fault.kind, IEMU_FAULT_BACKING);
	assert_int_equal(fault.addr, 0x100000 + PG);
	/* The page that is there still takes DMA. */
	assert_int_equal(dma_rw(d->dev, 0x100000, buf, PG, true), 0);
	assert_int_equal(mem[0], 0x22);
	munmap(mem, PG);
	dfx_free(d);
}

/* ---- a guarded copy under a signal handler that chains to the guard's ----
 *
 * fuzz_copyin (libFuzzer + ASan): the copy-in target calls as the fuzzer's
 * own process.  A copy from memory that the emulator's map snapshot still
 * thinks readable faults, and the guard turns the fault into EFAULT by
 * jumping out of its signal handler.  libFuzzer installs its SIGSEGV
 * handler after the emulator's and calls the emulator's from its own,
 * which runs with SIGSEGV blocked: the jump skipped that handler's return,
 * SIGSEGV stayed blocked, and the next fault killed the fuzzer with no
 * report and no crash file (exit 139, dozens of times an hour). */

/* The guard's handler, as the first in-process caller installed it
 * (main() takes it before cmocka puts its own around each test). */
static struct sigaction guard_action;

/* What libFuzzer's SegvHandler does: no SA_NODEFER, call the old one. */
static void chaining_handler(int sig, siginfo_t *si, void *uc)
{
	guard_action.sa_sigaction(sig, si, uc);
}

static void test_guarded_fault_under_a_chaining_handler_leaves_sigsegv_unblocked(void **state)
{
	struct fx *f = *state;
	struct sigaction sa = { .sa_sigaction = chaining_handler, .sa_flags = SA_SIGINFO }, old;
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	uint8_t *p = pages(1);
	sigset_t mask;

	memcpy(p, &a, sizeof(a));
	/* Readable: the emulator's snapshot of the map now holds the page. */
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, p), 0);
	assert_int_equal(mprotect(p, PG, PROT_NONE), 0);
	assert_true(guard_action.sa_flags & SA_SIGINFO);
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	/* The copy faults under the guard: EFAULT, and SIGSEGV is not left
	 * blocked. */
	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, p), -EFAULT);
	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &mask), 0);
	assert_false(sigismember(&mask, SIGSEGV));
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
	munmap(p, PG);
}

/* Install the emulator's fault guard (the first in-process caller does)
 * and keep its handler. */
static int take_guard_action(void)
{
	struct iemu_proc *self;
	struct iemu *emu;

	if (iemu_create(NULL, &emu))
		return -1;
	if (iemu_proc_self(emu, &self)) {
		iemu_destroy(emu);
		return -1;
	}
	iemu_proc_put(self);
	iemu_destroy(emu);
	return sigaction(SIGSEGV, NULL, &guard_action);
}

int main(void)
{
	if (take_guard_action())
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_dma_without_permission_into_a_domain_is_einval,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_domain_refuses_an_area_without_permission,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_access_through_a_non_shmem_file_is_einval,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_access_past_the_end_of_a_file_is_einval,
						fx_setup, fx_teardown),
		cmocka_unit_test(test_emulated_dma_refused_midway_changes_nothing),
		cmocka_unit_test_setup_teardown(
			test_guarded_fault_under_a_chaining_handler_leaves_sigsegv_unblocked, fx_setup,
			fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
