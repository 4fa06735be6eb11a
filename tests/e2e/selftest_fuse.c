// SPDX-License-Identifier: MIT
/*
 * IOMMU_TEST_CMD through a real mount, as the kernel's selftest reaches it:
 * a plain client run under `iommufd-emu run --selftest-mock`, opening
 * /dev/iommu.  What only the mount can get wrong is checked here: the fds
 * that ioctls return are real fds of this process (read, write, poll,
 * close), the iommufd can be mmapped, /proc/self/status shows the pins, the
 * server reads and writes this process's memory, and a client killed with
 * everything open leaves the server working.  The op-by-op semantics are in
 * tests/unit/test_selftest.c.
 *
 *   selftest_fuse        under run --selftest-mock
 *   selftest_fuse off    under plain run: IOMMU_TEST_CMD is ENOTTY
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/iommufd_test.h"

#define PG 4096ULL
#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static int fd;

/* 0 or -errno, as the kernel's return seen through errno. */
static long ioc(unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static long test_cmd(struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return ioc(IOMMU_TEST_CMD, c);
}

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	assert_int_equal(ioc(IOMMU_IOAS_ALLOC, &a), 0);
	return a.out_ioas_id;
}

static long destroy(uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioc(IOMMU_DESTROY, &d);
}

static long map_at(uint32_t ioas, void *p, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .length = len,
				    .user_va = (uintptr_t)p, .iova = iova,
				    .flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA };

	return ioc(IOMMU_IOAS_MAP, &m);
}

static long unmap(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	return ioc(IOMMU_IOAS_UNMAP, &u);
}

static void *buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	memset(p, 0, len);
	return p;
}

struct mock {
	uint32_t stdev, hwpt, idev;
};

static struct mock mock_domain(uint32_t pt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = pt };

	assert_int_equal(test_cmd(&c), 0);
	return (struct mock){ c.mock_domain.out_stdev_id, c.mock_domain.out_hwpt_id,
			      c.mock_domain.out_idev_id };
}

static long hwpt_alloc(uint32_t dev, uint32_t pt, uint32_t flags, uint32_t type, void *data,
		       uint32_t len, uint32_t fault, uint32_t *out)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = dev,
				      .pt_id = pt, .data_type = type, .data_len = len,
				      .data_uptr = (uintptr_t)data, .fault_id = fault };
	long rc = ioc(IOMMU_HWPT_ALLOC, &a);

	*out = a.out_hwpt_id;
	return rc;
}

static long check_refs(void *p, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS,
				    .check_refs = { .length = len, .uptr = (uintptr_t)p,
						    .refs = refs } };

	return test_cmd(&c);
}

/* A real descriptor of this process, not a token of the server's. */
static void assert_real_fd(int nfd)
{
	char path[64], target[256];
	ssize_t n;

	assert_true(nfd >= 0 && nfd < (1 << 20));
	assert_true(fcntl(nfd, F_GETFD) >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", nfd);
	n = readlink(path, target, sizeof(target) - 1);
	assert_true(n > 0);
}

static void test_mock_domain_reads_client_memory(void **state)
{
	uint32_t ioas = ioas_alloc();
	struct mock m = mock_domain(ioas);
	uint8_t *p = buffer(4 * PG), *q = buffer(PG);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = m.hwpt };
	struct iommu_test_hw_info info;
	struct iommu_hw_info hi = { .size = sizeof(hi), .dev_id = m.idev,
				    .data_len = sizeof(info), .data_uptr = (uintptr_t)&info };

	(void)state;
	assert_int_equal(ioc(IOMMU_GET_HW_INFO, &hi), 0);
	assert_int_equal(hi.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	assert_int_equal(info.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	for (unsigned int i = 0; i < 4 * PG; i++)
		p[i] = (uint8_t)(i * 7);
	assert_int_equal(map_at(ioas, p, 4 * PG, MOCK_APERTURE_START), 0);
	/* check_map compares the domain's bytes with this process's. */
	c.check_map = (typeof(c.check_map)){ .iova = MOCK_APERTURE_START + MOCK_PAGE_SIZE,
					     .length = 2 * PG,
					     .uptr = (uintptr_t)(p + MOCK_PAGE_SIZE) };
	assert_int_equal(test_cmd(&c), 0);
	c.check_map.uptr = (uintptr_t)q;
	c.check_map.length = MOCK_PAGE_SIZE;
	assert_int_equal(test_cmd(&c), -EINVAL);
	assert_int_equal(check_refs(p, 4 * PG, 1), 0);
	assert_int_equal(check_refs(q, PG, 0), 0);
	assert_int_equal(unmap(ioas, MOCK_APERTURE_START, 4 * PG), 0);
	assert_int_equal(check_refs(p, 4 * PG, 0), 0);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_ADD_RESERVED, .id = ioas,
				     .add_reserved = { .start = MOCK_APERTURE_START,
						       .length = PG } };
	assert_int_equal(test_cmd(&c), 0);
	assert_int_equal(map_at(ioas, p, PG, MOCK_APERTURE_START), -EINVAL);
	assert_int_equal(destroy(m.stdev), 0);
	assert_int_equal(destroy(ioas), 0);
	munmap(p, 4 * PG);
	munmap(q, PG);
}

static long vm_status(const char *tag)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long val = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, tag, strlen(tag)))
			val = strtol(line + strlen(tag), NULL, 10);
	fclose(f);
	return val;
}

static void test_proc_status_shows_pins(void **state)
{
	uint32_t ioas = ioas_alloc();
	struct mock m = mock_domain(ioas);
	uint8_t *p = buffer(16 * PG);
	long before = vm_status("VmPin:");

	(void)state;
	assert_true(before >= 0);
	assert_int_equal(map_at(ioas, p, 16 * PG, MOCK_APERTURE_START), 0);
	/* The default accounting charges the user and the mm's pinned_vm. */
	assert_int_equal(vm_status("VmPin:"), before + 64);
	assert_int_equal(unmap(ioas, MOCK_APERTURE_START, 16 * PG), 0);
	assert_int_equal(vm_status("VmPin:"), before);
	assert_int_equal(destroy(m.stdev), 0);
	assert_int_equal(destroy(ioas), 0);
	munmap(p, 16 * PG);
}

static uint32_t create_access(uint32_t ioas, uint32_t flags)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
				    .create_access.flags = flags };

	assert_int_equal(test_cmd(&c), 0);
	assert_real_fd((int)c.create_access.out_access_fd);
	return c.create_access.out_access_fd;
}

static void test_access_fd(void **state)
{
	uint32_t ioas = ioas_alloc(), afd, id;
	uint8_t *p = buffer(2 * PG), tmp[32];
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_PAGES };

	(void)state;
	afd = create_access(ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	assert_int_equal(map_at(ioas, p, 2 * PG, MOCK_APERTURE_START), 0);
	c.id = afd;
	c.access_pages = (typeof(c.access_pages)){ .iova = MOCK_APERTURE_START, .length = PG,
						   .uptr = (uintptr_t)p };
	assert_int_equal(test_cmd(&c), 0);
	id = c.access_pages.out_access_pages_id;
	assert_int_equal(check_refs(p, PG, 1), 0);
	/* ACCESS_RW writes into this process's page through the IOVA. */
	memset(tmp, 0x5a, sizeof(tmp));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_ACCESS_RW, .id = afd,
				     .access_rw = { .iova = MOCK_APERTURE_START + PG - 16,
						    .length = sizeof(tmp),
						    .uptr = (uintptr_t)tmp,
						    .flags = MOCK_ACCESS_RW_WRITE } };
	assert_int_equal(test_cmd(&c), 0);
	assert_int_equal(p[PG - 16], 0x5a);
	assert_int_equal(p[PG + 15], 0x5a);
	/* The open access holds its IOAS; unmapping asks it to drop the pages. */
	assert_int_equal(destroy(ioas), -EBUSY);
	assert_int_equal(unmap(ioas, MOCK_APERTURE_START, 2 * PG), 0);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, .id = afd,
				     .destroy_access_pages.access_pages_id = id };
	assert_int_equal(test_cmd(&c), -ENOENT);
	/* Not an access: the iommufd itself. */
	c.id = (uint32_t)fd;
	assert_int_equal(test_cmd(&c), -EBADFD);
	/* close() lets go at once. */
	assert_int_equal(close((int)afd), 0);
	assert_int_equal(destroy(ioas), 0);
	munmap(p, 2 * PG);
}

static void fault_alloc(uint32_t *id, int *ffd)
{
	struct iommu_fault_alloc a = { .size = sizeof(a) };

	assert_int_equal(ioc(IOMMU_FAULT_QUEUE_ALLOC, &a), 0);
	assert_real_fd((int)a.out_fault_fd);
	*id = a.out_fault_id;
	*ffd = (int)a.out_fault_fd;
}

static short poll_fd(int pfd)
{
	struct pollfd p = { .fd = pfd, .events = POLLIN | POLLOUT };

	assert_int_equal(poll(&p, 1, 1000), 1);
	return p.revents;
}

static void test_fault_fd(void **state)
{
	uint32_t ioas = ioas_alloc(), parent, iopf, fid;
	struct mock m = mock_domain(ioas);
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = m.stdev };
	struct iommu_hwpt_pgfault pf[2];
	struct iommu_hwpt_page_response resp = { .code = IOMMUFD_PAGE_RESP_SUCCESS };
	struct pollfd pw;
	int ffd;

	(void)state;
	fault_alloc(&fid, &ffd);
	assert_int_equal(poll_fd(ffd), POLLOUT);
	assert_int_equal(hwpt_alloc(m.idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &parent), 0);
	assert_int_equal(hwpt_alloc(m.idev, parent, IOMMU_HWPT_FAULT_ID_VALID,
				    IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), fid, &iopf), 0);
	c.mock_domain_replace.pt_id = iopf;
	assert_int_equal(test_cmd(&c), 0);
	/* A poll that sleeps is woken by the fault. */
	if (fork() == 0) {
		struct iommu_test_cmd t = { .op = IOMMU_TEST_OP_TRIGGER_IOPF,
					    .trigger_iopf = { .dev_id = m.idev, .pasid = 1,
							      .grpid = 2, .addr = 0xdeadbeaf,
							      .perm = IOMMU_PGFAULT_PERM_READ } };

		usleep(100 * 1000);
		_exit(test_cmd(&t) ? 1 : 0);
	}
	pw = (struct pollfd){ .fd = ffd, .events = POLLIN };
	assert_int_equal(poll(&pw, 1, 5000), 1);
	assert_true(pw.revents & POLLIN);
	assert_int_equal(wait(NULL) > 0, 1);
	/* Not a whole number of records. */
	assert_int_equal(read(ffd, pf, 5), -1);
	assert_int_equal(errno, ESPIPE);
	assert_int_equal(read(ffd, pf, sizeof(pf)), sizeof(pf[0]));
	assert_int_equal(pf[0].dev_id, m.idev);
	assert_int_equal(pf[0].addr, 0xdeadbeaf);
	assert_int_equal(pf[0].grpid, 2);
	resp.cookie = pf[0].cookie + 1;
	assert_int_equal(write(ffd, &resp, sizeof(resp)), -1);
	assert_int_equal(errno, EINVAL);
	resp.cookie = pf[0].cookie;
	assert_int_equal(write(ffd, &resp, sizeof(resp)), sizeof(resp));
	c.mock_domain_replace.pt_id = ioas;
	assert_int_equal(test_cmd(&c), 0);
	assert_int_equal(destroy(iopf), 0);
	/* The open file holds the queue until close() returns. */
	assert_int_equal(destroy(fid), -EBUSY);
	assert_int_equal(close(ffd), 0);
	assert_int_equal(destroy(fid), 0);
}

struct vsetup {
	uint32_t ioas, parent, viommu;
	struct mock m;
};

static void viommu_setup(struct vsetup *v, struct iommu_viommu_selftest *data)
{
	struct iommu_viommu_alloc a = { .size = sizeof(a), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
					.data_len = data ? sizeof(*data) : 0,
					.data_uptr = (uintptr_t)data };

	v->ioas = ioas_alloc();
	v->m = mock_domain(v->ioas);
	assert_int_equal(hwpt_alloc(v->m.idev, v->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &v->parent), 0);
	a.dev_id = v->m.idev;
	a.hwpt_id = v->parent;
	assert_int_equal(ioc(IOMMU_VIOMMU_ALLOC, &a), 0);
	v->viommu = a.out_viommu_id;
}

static void test_veventq_fd(void **state)
{
	struct vsetup v;
	struct iommu_veventq_alloc q = { .size = sizeof(q), .type = IOMMU_VEVENTQ_TYPE_SELFTEST,
					 .veventq_depth = 2 };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .virt_id = 0x77 };
	struct iommu_test_cmd trig = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };
	struct iommu_test_cmd rep = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t nested;
	struct {
		struct iommufd_vevent_header hdr;
		struct iommu_viommu_event_selftest ev;
	} buf[4];
	int qfd;

	(void)state;
	viommu_setup(&v, NULL);
	q.viommu_id = v.viommu;
	assert_int_equal(ioc(IOMMU_VEVENTQ_ALLOC, &q), 0);
	qfd = (int)q.out_veventq_fd;
	assert_real_fd(qfd);
	vd.viommu_id = v.viommu;
	vd.dev_id = v.m.idev;
	assert_int_equal(ioc(IOMMU_VDEVICE_ALLOC, &vd), 0);
	/* Events come from a device attached to a nested domain of the vIOMMU. */
	assert_int_equal(hwpt_alloc(v.m.idev, v.viommu, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, &nested), 0);
	rep.id = v.m.stdev;
	rep.mock_domain_replace.pt_id = nested;
	assert_int_equal(test_cmd(&rep), 0);
	trig.trigger_vevent.dev_id = v.m.idev;
	for (int i = 0; i < 3; i++)
		assert_int_equal(test_cmd(&trig), 0);
	assert_true(poll_fd(qfd) & POLLIN);
	/* Two events, then the header that says one was lost. */
	assert_int_equal(read(qfd, buf, sizeof(buf)), 2 * sizeof(buf[0]) + sizeof(buf[0].hdr));
	assert_int_equal(buf[0].ev.virt_id, 0x77);
	assert_int_equal(buf[1].hdr.sequence, 1);
	assert_int_equal(((struct iommufd_vevent_header *)&buf[2])->flags,
			 IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	assert_int_equal(write(qfd, buf, 8), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(destroy(q.out_veventq_id), -EBUSY);
	assert_int_equal(close(qfd), 0);
	assert_int_equal(destroy(q.out_veventq_id), 0);
	assert_int_equal(destroy(v.m.stdev), 0);
}

static void test_mmap_of_the_iommufd(void **state)
{
	struct vsetup v;
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	uint32_t *page;

	(void)state;
	viommu_setup(&v, &data);
	assert_int_equal(data.out_data, 0xbeef);
	assert_int_equal(data.out_mmap_length, 2 * PG);
	page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		    (off_t)data.out_mmap_offset);
	assert_true(page == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)data.out_mmap_offset + PG);
	assert_true(page == MAP_FAILED);
	assert_int_equal(errno, ENXIO);
	page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)data.out_mmap_offset);
	assert_true(page != MAP_FAILED);
	assert_int_equal(page[0], 0xbeef);
	/* The mapping holds the vIOMMU. */
	assert_int_equal(destroy(v.viommu), -EBUSY);
	assert_int_equal(munmap(page, 2 * PG), 0);
	assert_int_equal(destroy(v.viommu), 0);
	assert_int_equal(destroy(v.m.stdev), 0);
}

static void test_dirty_bitmap_into_client_memory(void **state)
{
	uint32_t ioas = ioas_alloc(), hwpt;
	struct mock m = mock_domain(ioas);
	struct iommu_hwpt_selftest cfg = { .pagetable_type = MOCK_IOMMUPT_DEFAULT };
	uint8_t *p = buffer(8 * PG);
	uint64_t bits = 0x11, out = 0;
	struct iommu_hwpt_set_dirty_tracking t = { .size = sizeof(t),
						   .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .iova = MOCK_APERTURE_START,
						 .length = 8 * PG, .page_size = MOCK_PAGE_SIZE,
						 .data = (uintptr_t)&out };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY,
				    .dirty = { .iova = MOCK_APERTURE_START, .length = 8 * PG,
					       .page_size = MOCK_PAGE_SIZE,
					       .uptr = (uintptr_t)&bits } };

	(void)state;
	assert_int_equal(map_at(ioas, p, 8 * PG, MOCK_APERTURE_START), 0);
	assert_int_equal(hwpt_alloc(m.idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				    IOMMU_HWPT_DATA_SELFTEST, &cfg, sizeof(cfg), 0, &hwpt), 0);
	t.hwpt_id = hwpt;
	assert_int_equal(ioc(IOMMU_HWPT_SET_DIRTY_TRACKING, &t), 0);
	c.id = hwpt;
	assert_int_equal(test_cmd(&c), 0);
	assert_int_equal(c.dirty.out_nr_dirty, 2);
	g.hwpt_id = hwpt;
	assert_int_equal(ioc(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	assert_int_equal(out, 0x33);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
				     .memory_limit.limit = 11 };
	assert_int_equal(test_cmd(&c), -EINVAL);
	assert_int_equal(destroy(m.stdev), 0);
	assert_int_equal(destroy(hwpt), 0);
	assert_int_equal(destroy(ioas), 0);
	munmap(p, 8 * PG);
}

static long op2(uint32_t op, uint32_t id, uint32_t a, uint32_t b)
{
	struct iommu_test_cmd c = { .op = op, .id = id, .pasid_attach = { a, b } };

	return test_cmd(&c);
}

/* The ops not above, one round each: flags, PASIDs, IOTLB and device
 * caches, access replace, dma-bufs. */
static void test_remaining_ops(void **state)
{
	struct vsetup v;
	uint32_t s2, s2b, nested, ioas2 = ioas_alloc(), afd;
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest inv = { .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL };
	struct iommu_hwpt_invalidate hi = { .size = sizeof(hi), .data_type =
					    IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					    .data_uptr = (uintptr_t)&inv,
					    .entry_len = sizeof(inv), .entry_num = 1 };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .virt_id = 5 };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS };
	struct iommu_ioas_map_file mf = { .size = sizeof(mf), .flags = IOMMU_IOAS_MAP_READABLE,
					  .length = 2 * PG };
	uint8_t *p = buffer(PG), tmp[8];
	struct mock m;
	int dfd;

	(void)state;
	viommu_setup(&v, NULL);
	c.id = v.ioas;
	c.mock_domain_flags.dev_flags = MOCK_FLAGS_DEVICE_PASID;
	assert_int_equal(test_cmd(&c), 0);
	m = (struct mock){ c.mock_domain_flags.out_stdev_id, c.mock_domain_flags.out_hwpt_id,
			   c.mock_domain_flags.out_idev_id };
	assert_int_equal(hwpt_alloc(m.idev, v.ioas, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_NONE,
				    NULL, 0, 0, &s2), 0);
	assert_int_equal(hwpt_alloc(m.idev, v.ioas, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_NONE,
				    NULL, 0, 0, &s2b), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, m.stdev, s2, 0), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_PASID_ATTACH, m.stdev, 7, s2), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_PASID_REPLACE, m.stdev, 7, s2b), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_PASID_CHECK_HWPT, m.stdev, 7, s2b), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_PASID_CHECK_HWPT, m.stdev, 7, s2), -EINVAL);
	assert_int_equal(op2(IOMMU_TEST_OP_PASID_DETACH, m.stdev, 7, 0), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_PASID_CHECK_HWPT, m.stdev, 7, 0), 0);

	/* A nested domain's IOTLB, flushed by HWPT_INVALIDATE. */
	assert_int_equal(hwpt_alloc(v.m.idev, v.parent, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, &nested), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_MD_CHECK_IOTLB, nested, 2, IOMMU_TEST_IOTLB_DEFAULT), 0);
	hi.hwpt_id = nested;
	assert_int_equal(ioc(IOMMU_HWPT_INVALIDATE, &hi), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_MD_CHECK_IOTLB, nested, 2, 0), 0);
	/* A vDEVICE's cache, as the vIOMMU left it. */
	vd.viommu_id = v.viommu;
	vd.dev_id = v.m.idev;
	assert_int_equal(ioc(IOMMU_VDEVICE_ALLOC, &vd), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_DEV_CHECK_CACHE, v.m.idev, 1,
			     IOMMU_TEST_DEV_CACHE_DEFAULT), 0);

	/* An access moves to another IOAS and reads there. */
	afd = create_access(v.ioas, 0);
	memset(p, 0x42, PG);
	assert_int_equal(map_at(ioas2, p, PG, MOCK_APERTURE_START), 0);
	assert_int_equal(op2(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, afd, ioas2, 0), 0);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_ACCESS_RW, .id = afd,
				     .access_rw = { .iova = MOCK_APERTURE_START, .length = 8,
						    .uptr = (uintptr_t)tmp } };
	assert_int_equal(test_cmd(&c), 0);
	assert_int_equal(tmp[7], 0x42);
	assert_int_equal(close((int)afd), 0);

	/* A dma-buf is a real fd that IOAS_MAP_FILE takes, until revoked. */
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DMABUF_GET,
				     .dmabuf_get = { .length = 2 * PG, .open_flags = O_CLOEXEC } };
	c.size = sizeof(c);
	dfd = ioctl(fd, IOMMU_TEST_CMD, &c);
	assert_real_fd(dfd);
	mf.ioas_id = ioas2;
	mf.fd = dfd;
	assert_int_equal(ioc(IOMMU_IOAS_MAP_FILE, &mf), 0);
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DMABUF_REVOKE,
				     .dmabuf_revoke = { .dmabuf_fd = dfd, .revoked = 1 } };
	assert_int_equal(test_cmd(&c), 0);
	assert_int_equal(ioc(IOMMU_IOAS_MAP_FILE, &mf), -ENODEV);
	assert_int_equal(close(dfd), 0);
	munmap(p, PG);
}

/* Everything open, pins held, a poll sleeping: then SIGKILL. */
static void doomed_client(void)
{
	struct vsetup v;
	struct iommu_viommu_selftest data = { .in_data = 1 };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_PAGES };
	uint8_t *p = buffer(4 * PG);
	uint32_t afd, fid;
	int ffd;
	struct pollfd pw;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0)
		_exit(2);
	viommu_setup(&v, &data);
	afd = create_access(v.ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	if (map_at(v.ioas, p, 4 * PG, MOCK_APERTURE_START))
		_exit(3);
	c.id = afd;
	c.access_pages = (typeof(c.access_pages)){ .iova = MOCK_APERTURE_START, .length = PG,
						   .uptr = (uintptr_t)p };
	if (test_cmd(&c))
		_exit(4);
	fault_alloc(&fid, &ffd);
	pw = (struct pollfd){ .fd = ffd, .events = POLLIN };
	if (mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, (off_t)data.out_mmap_offset) ==
	    MAP_FAILED)
		_exit(5);
	kill(getppid(), SIGUSR1);
	poll(&pw, 1, -1);
	_exit(6);
}

static volatile sig_atomic_t doomed_ready;

static void on_ready(int sig)
{
	(void)sig;
	doomed_ready = 1;
}

static void test_client_killed_with_everything_open(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	doomed_ready = 0;
	signal(SIGUSR1, on_ready);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		doomed_client();
	for (int i = 0; i < 500 && !doomed_ready; i++)
		usleep(10 * 1000);
	assert_true(doomed_ready);
	usleep(50 * 1000);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	/* The server lives on and serves this client as before. */
	test_mock_domain_reads_client_memory(state);
}

static int open_iommufd(void **state)
{
	(void)state;
	fd = open("/dev/iommu", O_RDWR);
	return fd < 0 ? -1 : 0;
}

static int close_iommufd(void **state)
{
	(void)state;
	return close(fd);
}

static void test_off_by_default(void **state)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas_alloc() };

	(void)state;
	assert_int_equal(test_cmd(&c), -ENOTTY);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest on[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, open_iommufd, close_iommufd)
		T(test_mock_domain_reads_client_memory),
		T(test_proc_status_shows_pins),
		T(test_access_fd),
		T(test_fault_fd),
		T(test_veventq_fd),
		T(test_mmap_of_the_iommufd),
		T(test_dirty_bitmap_into_client_memory),
		T(test_remaining_ops),
		T(test_client_killed_with_everything_open),
	};
	const struct CMUnitTest off[] = {
		T(test_off_by_default),
#undef T
	};

	if (argc > 1 && !strcmp(argv[1], "off"))
		return cmocka_run_group_tests_name("selftest protocol off, over FUSE", off,
						   NULL, NULL);
	return cmocka_run_group_tests_name("selftest protocol over FUSE", on, NULL, NULL);
}
