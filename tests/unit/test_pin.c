// SPDX-License-Identifier: MIT
/*
 * User memory as pin_user_pages sees it: pinning is lazy (a domain or an
 * access pins), unusable memory fails with EFAULT exactly when the kernel
 * would pin it, and pinned pages are charged once per page set against
 * RLIMIT_MEMLOCK in the kernel's accounting modes.  Also IOMMU_IOAS_MAP_FILE
 * (memfd) and IOMMU_IOAS_CHANGE_PROCESS.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <valgrind/valgrind.h>

#include "helpers.h"
#include "proc.h"
#include "vma.h"

#define IEMU_TEST_CAP_IPC_LOCK 14
#define IEMU_TEST_CAP_SYS_RESOURCE 24

static uint64_t user_locked(struct fx *f)
{
	return iemu_user_locked_pages(f->emu, geteuid());
}

static uint64_t pinned(struct fx *f)
{
	struct iemu_ctx_stats st;

	iemu_ctx_stats(f->ctx, &st);
	return st.pinned_pages;
}

static uint64_t mapped_areas(struct fx *f)
{
	struct iemu_ctx_stats st;

	iemu_ctx_stats(f->ctx, &st);
	return st.areas;
}

static void *hole(size_t n)
{
	void *p = pages(n);

	munmap(p, n * PG);
	return p;
}

static void test_unmapped_memory_maps_lazily_and_fails_at_attach(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	void *gone = hole(4);
	struct iommu_iova_range r;
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = 1,
		.allowed_iovas = (uintptr_t)&r,
	};

	assert_int_equal(map_at(f, ioas, gone, 4 * PG, 0x10000, RW), 0);
	assert_int_equal(pinned(f), 0);
	/* The domain's attach is when the kernel pins, and fails. */
	assert_int_equal(add_domain(f, ioas, NULL), -EFAULT);
	assert_int_equal(ioc(f, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	assert_int_equal(q.out_iova_alignment, 1);
	assert_int_equal(r.last, UINT64_MAX);
	assert_int_equal(user_locked(f), 0);
	assert_int_equal(unmap(f, ioas, 0, UINT64_MAX, NULL), 0);
	assert_true(add_domain(f, ioas, NULL) > 0);
}

static void test_map_into_a_domain_pins_at_once(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = pages(3);

	assert_true(add_domain(f, ioas, NULL) > 0);
	assert_int_equal(map_at(f, ioas, hole(2), 2 * PG, 0x10000, RW), -EFAULT);
	/* A hole in the middle of the range. */
	munmap(buf + PG, PG);
	assert_int_equal(map_at(f, ioas, buf, 3 * PG, 0x10000, RW), -EFAULT);
	assert_int_equal(mapped_areas(f), 0);
	assert_int_equal(map_at(f, ioas, buf, PG, 0x10000, RW), 0);
	assert_int_equal(pinned(f), 1);
	assert_int_equal(user_locked(f), 1);
	munmap(buf, 3 * PG);
}

static void test_writeable_map_of_read_only_memory(void **state)
{
	struct fx *f = *state;
	uint32_t lazy = ioas_alloc(f), eager = ioas_alloc(f);
	char *ro = pages(2);

	assert_int_equal(mprotect(ro, 2 * PG, PROT_READ), 0);
	assert_true(add_domain(f, eager, NULL) > 0);
	assert_int_equal(map_at(f, eager, ro, 2 * PG, 0x10000, RW), -EFAULT);
	assert_int_equal(map_at(f, eager, ro, 2 * PG, 0x10000,
				IOMMU_IOAS_MAP_READABLE), 0);
	/* Without a domain nothing is checked until one arrives. */
	assert_int_equal(map_at(f, lazy, ro, 2 * PG, 0x10000, RW), 0);
	assert_int_equal(add_domain(f, lazy, NULL), -EFAULT);
	munmap(ro, 2 * PG);
}

static void test_inaccessible_memory_cannot_be_pinned_at_all(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *none = pages(1);

	assert_int_equal(mprotect(none, PG, PROT_NONE), 0);
	assert_true(add_domain(f, ioas, NULL) > 0);
	assert_int_equal(map_at(f, ioas, none, PG, 0x10000,
				IOMMU_IOAS_MAP_READABLE), -EFAULT);
	munmap(none, PG);
}

static bool on_shmem(const char *path)
{
	struct statfs s;

	assert_int_equal(statfs(path, &s), 0);
	return s.f_type == TMPFS_MAGIC || s.f_type == RAMFS_MAGIC;
}

/* A long-term writeable pin of a shared mapping of a file that needs dirty
 * tracking is refused (writable_file_mapping_allowed); shmem is fine. */
static void test_shared_file_mappings(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char path[] = "iommufd-emu-test-XXXXXX";
	int fd = mkstemp(path);
	int mfd = memfd_create("shm", 0);
	char *shared, *private, *shm;

	assert_true(fd >= 0 && mfd >= 0);
	assert_int_equal(ftruncate(fd, PG), 0);
	assert_int_equal(ftruncate(mfd, PG), 0);
	shared = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	private = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	shm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	assert_true(shared != MAP_FAILED && private != MAP_FAILED && shm != MAP_FAILED);
	assert_true(add_domain(f, ioas, NULL) > 0);
	assert_int_equal(map_at(f, ioas, shared, PG, 0x10000, RW),
			 on_shmem(path) ? 0 : -EFAULT);
	assert_int_equal(map_at(f, ioas, shared, PG, 0x20000,
				IOMMU_IOAS_MAP_READABLE), 0);
	assert_int_equal(map_at(f, ioas, private, PG, 0x30000, RW), 0);
	assert_int_equal(map_at(f, ioas, shm, PG, 0x40000, RW), 0);
	munmap(shared, PG);
	munmap(private, PG);
	munmap(shm, PG);
	close(fd);
	close(mfd);
	unlink(path);
}

static uint64_t resident_pages(void)
{
	unsigned long size, resident;
	FILE *s = fopen("/proc/self/statm", "r");

	assert_non_null(s);
	assert_int_equal(fscanf(s, "%lu %lu", &size, &resident), 2);
	fclose(s);
	return resident;
}

/* valgrind cannot reserve 64 GiB of address space: 4 GiB there, 64 GiB in
 * the sanitizer run. */
static void test_64gib_pins_without_touching_a_page(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	const uint64_t len = RUNNING_ON_VALGRIND ? 4ULL << 30 : 64ULL << 30;
	char *big = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t before, iova;

	assert_true(big != MAP_FAILED);
	assert_true(add_domain(f, ioas, NULL) > 0);
	before = resident_pages();
	assert_int_equal(map_any(f, ioas, big, len, RW, &iova), 0);
	assert_int_equal(pinned(f), len / PG);
	assert_int_equal(user_locked(f), len / PG);
	assert_true(resident_pages() < before + 64);
	assert_int_equal(unmap(f, ioas, iova, len, NULL), 0);
	assert_int_equal(user_locked(f), 0);
	munmap(big, len);
}

static void test_memlock_limit_in_user_mode(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f), lazy = ioas_alloc(f);
	char *buf = pages(20);

	iemu_proc_set_memlock(f->self, 16 * PG);
	assert_true(add_domain(f, ioas, NULL) > 0);
	assert_int_equal(map_at(f, ioas, buf, 16 * PG, 0x100000, RW), 0);
	assert_int_equal(user_locked(f), 16);
	assert_int_equal(map_at(f, ioas, buf + 16 * PG, PG, 0x200000, RW), -ENOMEM);
	assert_int_equal(mapped_areas(f), 1);
	/* Memory that cannot be pinned fails with EFAULT before the limit. */
	assert_int_equal(map_at(f, ioas, hole(1), PG, 0x200000, RW), -EFAULT);
	assert_int_equal(unmap(f, ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(user_locked(f), 0);
	/* A lazy IOAS hits the limit when its domain arrives. */
	assert_int_equal(map_at(f, lazy, buf, 17 * PG, 0x100000, RW), 0);
	assert_int_equal(add_domain(f, lazy, NULL), -ENOMEM);
	assert_int_equal(user_locked(f), 0);
	munmap(buf, 20 * PG);
}

static void test_page_set_is_charged_once_across_copies(void **state)
{
	struct fx *f = *state;
	uint32_t a = ioas_alloc(f), b = ioas_alloc(f);
	char *buf = pages(8);
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA,
		.dst_ioas_id = b, .src_ioas_id = a, .length = 8 * PG,
		.dst_iova = 0x500000, .src_iova = 0x100000,
	};

	assert_true(add_domain(f, a, NULL) > 0);
	assert_true(add_domain(f, b, NULL) > 0);
	assert_int_equal(map_at(f, a, buf, 8 * PG, 0x100000, RW), 0);
	assert_int_equal(ioc(f, IOMMU_IOAS_COPY, &c), 0);
	assert_int_equal(user_locked(f), 8);
	/* Two domains on one IOAS do not pin twice either. */
	assert_true(add_domain(f, a, NULL) > 0);
	assert_int_equal(user_locked(f), 8);
	assert_int_equal(unmap(f, a, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(user_locked(f), 8);
	assert_int_equal(unmap(f, b, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(user_locked(f), 0);
	munmap(buf, 8 * PG);
}

static void test_cap_ipc_lock_is_not_charged(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char *buf = pages(4);
	struct iemu_proc_stats ps;

	iemu_proc_set_caps(f->self, CAP(IEMU_TEST_CAP_IPC_LOCK));
	iemu_proc_set_memlock(f->self, 0);
	assert_true(add_domain(f, ioas, NULL) > 0);
	assert_int_equal(map_at(f, ioas, buf, 4 * PG, 0x100000, RW), 0);
	assert_int_equal(user_locked(f), 0);
	iemu_proc_stats(f->self, &ps);
	assert_int_equal(ps.pinned_vm, 4);
	assert_int_equal(ps.locked_vm, 0);
	munmap(buf, 4 * PG);
}

static long set_rlimit_mode(struct fx *f, uint64_t val)
{
	struct iommu_option o = {
		.size = sizeof(o), .option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET, .val64 = val,
	};

	return ioc(f, IOMMU_OPTION, &o);
}

static void test_per_process_accounting_mode(void **state)
{
	struct fx *f = *state;
	char *buf = pages(4);
	struct iemu_proc_stats ps;
	uint32_t ioas;

	assert_int_equal(set_rlimit_mode(f, 1), -EPERM);
	iemu_proc_set_caps(f->self, CAP(IEMU_TEST_CAP_SYS_RESOURCE));
	assert_int_equal(set_rlimit_mode(f, 2), -EINVAL);
	assert_int_equal(set_rlimit_mode(f, 1), 0);
	ioas = ioas_alloc(f);
	assert_int_equal(set_rlimit_mode(f, 0), -EBUSY);
	iemu_proc_set_memlock(f->self, 3 * PG);
	assert_true(add_domain(f, ioas, NULL) > 0);
	assert_int_equal(map_at(f, ioas, buf, 4 * PG, 0x100000, RW), -ENOMEM);
	assert_int_equal(map_at(f, ioas, buf, 2 * PG, 0x100000, RW), 0);
	iemu_proc_stats(f->self, &ps);
	assert_int_equal(ps.locked_vm, 2);
	assert_int_equal(user_locked(f), 0);
	munmap(buf, 4 * PG);
}

static long map_file(struct fx *f, uint32_t ioas, int fd, uint64_t start,
		     uint64_t len, uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map_file m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas, .fd = fd,
		.start = start, .length = len, .iova = *iova,
	};
	long rc = ioc(f, IOMMU_IOAS_MAP_FILE, &m);

	*iova = m.iova;
	return rc;
}

static void test_map_file(void **state)
{
	struct fx *f = *state;
	uint32_t lazy = ioas_alloc(f), eager = ioas_alloc(f);
	int mfd = memfd_create("dma", 0);
	uint64_t iova = 0;
	struct iommu_ioas_map_file m = { .size = sizeof(m), .flags = 8 };

	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, 4 * PG), 0);
	assert_int_equal(ioc(f, IOMMU_IOAS_MAP_FILE, &m), -EOPNOTSUPP);
	assert_int_equal(map_file(f, 99, mfd, 0, 0, &iova, RW), -ENOENT);
	assert_int_equal(map_file(f, lazy, mfd, 0, 0, &iova, RW), -EINVAL);
	assert_int_equal(map_file(f, lazy, mfd, UINT64_MAX - 1, 3, &iova, RW),
			 -EOVERFLOW);
	assert_int_equal(map_file(f, lazy, -1, 0, PG, &iova, RW), -EBADF);
	assert_int_equal(map_file(f, lazy, 1000, 0, PG, &iova, RW), -EBADF);
	/* Allocated IOVA aligned like the file offset (0: by the length). */
	assert_int_equal(map_file(f, lazy, mfd, 0, 4 * PG, &iova, RW), 0);
	assert_int_equal(iova, 0x4000);
	/* Beyond the end of the file: accepted lazily, refused when pinned. */
	iova = 0x100000;
	assert_int_equal(map_file(f, lazy, mfd, 2 * PG, 4 * PG, &iova,
				  RW | IOMMU_IOAS_MAP_FIXED_IOVA), 0);
	assert_int_equal(add_domain(f, lazy, NULL), -EINVAL);
	assert_true(add_domain(f, eager, NULL) > 0);
	assert_int_equal(map_file(f, eager, mfd, 2 * PG, 4 * PG, &iova, RW),
			 -EINVAL);
	assert_int_equal(map_file(f, eager, mfd, PG, 3 * PG, &iova, RW), 0);
	assert_int_equal(user_locked(f), 3);
	/* The emulator holds its own reference to the file. */
	close(mfd);
	assert_int_equal(unmap(f, eager, iova, 3 * PG, NULL), 0);
	assert_int_equal(user_locked(f), 0);
}

static void test_map_file_of_a_non_shmem_file(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	char path[] = "iommufd-emu-test-XXXXXX";
	int fd = mkstemp(path);
	uint64_t iova = 0;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * PG), 0);
	assert_int_equal(map_file(f, ioas, fd, 0, 4 * PG, &iova, RW), 0);
	assert_int_equal(add_domain(f, ioas, NULL), on_shmem(path) ? 2 : -EINVAL);
	close(fd);
	unlink(path);
}

/* A second process: same memory (the test's own), another pid and uid. */
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

static struct iemu_proc *other_proc(struct fx *f, int *maps_fd, uid_t uid)
{
	struct iemu_proc_desc d = {
		.pid = 424242, .uid = uid, .ops = &other_ops, .opaque = maps_fd,
	};
	struct iemu_proc *p;

	*maps_fd = vma_open_maps(0);
	assert_int_equal(iemu_proc_create(f->emu, &d, &p), 0);
	return p;
}

static long change_process(struct fx *f, struct iemu_proc *p)
{
	struct iommu_ioas_change_process c = { .size = sizeof(c) };

	return iemu_ctx_ioctl(f->ctx, p, IOMMU_IOAS_CHANGE_PROCESS, (uintptr_t)&c);
}

static void test_change_process(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	int mfd = memfd_create("dma", 0), maps_fd;
	struct iemu_proc *other = other_proc(f, &maps_fd, 4242);
	struct iommu_ioas_change_process bad = { .size = sizeof(bad), .__reserved = 1 };
	char *buf = pages(1);
	uint64_t iova = 0x100000;

	assert_int_equal(ftruncate(mfd, 4 * PG), 0);
	assert_true(add_domain(f, ioas, NULL) > 0);
	assert_int_equal(ioc(f, IOMMU_IOAS_CHANGE_PROCESS, &bad), -EOPNOTSUPP);
	assert_int_equal(map_file(f, ioas, mfd, 0, 4 * PG, &iova,
				  RW | IOMMU_IOAS_MAP_FIXED_IOVA), 0);
	assert_int_equal(map_at(f, ioas, buf, PG, 0x200000, RW), 0);
	/* Only MAP_FILE mappings can move. */
	assert_int_equal(change_process(f, other), -EINVAL);
	assert_int_equal(unmap(f, ioas, 0x200000, PG, NULL), 0);
	assert_int_equal(user_locked(f), 4);
	/* Over the new owner's limit: nothing moves. */
	iemu_proc_set_memlock(other, 2 * PG);
	assert_int_equal(change_process(f, other), -ENOMEM);
	assert_int_equal(user_locked(f), 4);
	iemu_proc_set_memlock(other, UINT64_MAX);
	assert_int_equal(change_process(f, other), 0);
	assert_int_equal(user_locked(f), 0);
	assert_int_equal(iemu_user_locked_pages(f->emu, 4242), 4);
	/* Unpinning now uncharges the new owner. */
	assert_int_equal(unmap(f, ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(iemu_user_locked_pages(f->emu, 4242), 0);
	iemu_proc_put(other);
	close(maps_fd);
	close(mfd);
	munmap(buf, PG);
}

static void test_exited_process_memory_cannot_be_pinned(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	int maps_fd;
	struct iemu_proc *other = other_proc(f, &maps_fd, 4242);
	char *buf = pages(1);
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas, .user_va = (uintptr_t)buf, .length = PG,
		.iova = 0x100000,
	};

	assert_int_equal(iemu_ctx_ioctl(f->ctx, other, IOMMU_IOAS_MAP,
					(uintptr_t)&m), 0);
	iemu_proc_exited(other);
	assert_int_equal(add_domain(f, ioas, NULL), -EFAULT);
	assert_int_equal(unmap(f, ioas, 0, UINT64_MAX, NULL), 0);
	iemu_proc_put(other);
	close(maps_fd);
	munmap(buf, PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unmapped_memory_maps_lazily_and_fails_at_attach, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_map_into_a_domain_pins_at_once, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_writeable_map_of_read_only_memory, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inaccessible_memory_cannot_be_pinned_at_all, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shared_file_mappings, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_64gib_pins_without_touching_a_page, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_memlock_limit_in_user_mode, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_page_set_is_charged_once_across_copies, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cap_ipc_lock_is_not_charged, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_per_process_accounting_mode, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_map_file, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_map_file_of_a_non_shmem_file, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_change_process, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_exited_process_memory_cannot_be_pinned, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
