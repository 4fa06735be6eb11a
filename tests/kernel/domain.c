// SPDX-License-Identifier: MIT
/*
 * Scenario: iommufd with a real domain behind it.  The edu device is bound
 * and attached, so the IOAS has a paging domain: hardware information and
 * its variants, HWPT allocation and its refusals, dirty tracking, cache
 * invalidation, fault queues (and their file) and the vIOMMU family (which
 * VT-d refuses: their error paths), and
 * pinning as it happens when a domain exists (mappings of unusable memory
 * fail at MAP time, not lazily).
 *
 * Steps named "~..." print values that depend on the IOMMU model (the
 * VT-d registers, the reserved IOVA ranges): only their return value and
 * errno are compared exactly (see rig/README.md).
 */
#include <poll.h>

#include "scenario.h"

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED IOMMU_IOAS_MAP_FIXED_IOVA

static int ifd, dev;
static uint32_t ioas, devid;
static char *buf;   /* 32 pages, 2 MiB aligned, guard page after */

static uint32_t ioas_alloc(const char *name)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	IOC(name, ifd, IOMMU_IOAS_ALLOC, &a, "id=%u", a.out_ioas_id);
	return a.out_ioas_id;
}

static void destroy(const char *name, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	IOC(name, ifd, IOMMU_DESTROY, &d);
}

static void map(const char *name, uint32_t id, uint32_t flags, const void *va, uint64_t len,
		uint64_t iova)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .flags = flags, .ioas_id = id,
				    .user_va = (uintptr_t)va, .length = len, .iova = iova };

	IOC(name, ifd, IOMMU_IOAS_MAP, &m, "iova=%#llx", (unsigned long long)m.iova);
}

static void unmap(const char *name, uint32_t id, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = id, .iova = iova,
				      .length = len };

	IOC(name, ifd, IOMMU_IOAS_UNMAP, &u, "length=%#llx", (unsigned long long)u.length);
}

static long attach_pt(uint32_t pt)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt };
	int e;
	long r = xioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a, &e);

	errno = e;
	return r;
}

static void setup(void)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	const char *path = getenv("VFIO_CDEV") ? getenv("VFIO_CDEV") : "/dev/vfio/devices/vfio0";

	ifd = open_iommu();
	ioas = ioas_alloc("ioas_alloc");
	dev = open(path, O_RDWR | O_CLOEXEC);
	step("open_cdev", dev < 0 ? -1 : 0, errno, NULL);
	if (dev < 0)
		exit(1);
	b.iommufd = ifd;
	IOC("bind", dev, VFIO_DEVICE_BIND_IOMMUFD, &b, "devid=%u", b.out_devid);
	devid = b.out_devid;
	step("attach_ioas", attach_pt(ioas), errno, NULL);
}

/* ---- hardware information ---- */

static long hw_info(uint32_t id, uint32_t flags, uint32_t type, void *data, uint32_t len,
		    struct iommu_hw_info *out)
{
	struct iommu_hw_info h = { .size = sizeof(h), .flags = flags, .dev_id = id,
				   .data_len = len, .data_uptr = (uintptr_t)data,
				   .in_data_type = type };
	int e;
	long r = xioctl(ifd, IOMMU_GET_HW_INFO, &h, &e);

	*out = h;
	errno = e;
	return r;
}

#define HW_INFO(name, ...)                                                         \
	do {                                                                       \
		struct iommu_hw_info _h;                                           \
		long _r = hw_info(__VA_ARGS__, &_h);                               \
		step(name, _r, errno, "type=%u len=%u", _r ? 0 : _h.out_data_type, \
		     _h.data_len);                                                 \
	} while (0)

static void hardware(void)
{
	struct iommu_hw_info_vtd vtd;
	unsigned char big[64];
	struct iommu_hw_info h;
	long r;

	memset(&vtd, 0xff, sizeof(vtd));
	r = hw_info(devid, 0, 0, &vtd, sizeof(vtd), &h);
	step("~hw_info_vtd", r, errno, "type=%u len=%u caps=0x%llx pasid_log2=%u flags=0x%x "
	     "cap=0x%llx ecap=0x%llx", h.out_data_type, h.data_len,
	     (unsigned long long)h.out_capabilities, h.out_max_pasid_log2, vtd.flags,
	     (unsigned long long)vtd.cap_reg, (unsigned long long)vtd.ecap_reg);
	HW_INFO("hw_info_len_0", devid, 0, 0, NULL, 0);
	memset(&vtd, 0xff, sizeof(vtd));
	r = hw_info(devid, 0, 0, &vtd, 8, &h);
	step("hw_info_len_8", r, errno, "len=%u ecap_untouched=%d", h.data_len,
	     vtd.ecap_reg == UINT64_MAX);
	memset(big, 0xff, sizeof(big));
	r = hw_info(devid, 0, 0, big, sizeof(big), &h);
	step("hw_info_len_64", r, errno, "len=%u tail_zeroed=%d", h.data_len,
	     big[sizeof(vtd)] == 0 && big[sizeof(big) - 1] == 0);
	HW_INFO("hw_info_bad_uptr", devid, 0, 0, (void *)16, sizeof(vtd));
	HW_INFO("hw_info_flag_2", devid, 2, 0, &vtd, sizeof(vtd));
	HW_INFO("hw_info_input_vtd", devid, IOMMU_HW_INFO_FLAG_INPUT_TYPE,
		IOMMU_HW_INFO_TYPE_INTEL_VTD, &vtd, sizeof(vtd));
	HW_INFO("hw_info_input_default", devid, IOMMU_HW_INFO_FLAG_INPUT_TYPE,
		IOMMU_HW_INFO_TYPE_DEFAULT, &vtd, sizeof(vtd));
	HW_INFO("hw_info_input_smmu", devid, IOMMU_HW_INFO_FLAG_INPUT_TYPE,
		IOMMU_HW_INFO_TYPE_ARM_SMMUV3, &vtd, sizeof(vtd));
	HW_INFO("hw_info_type_without_flag", devid, 0, IOMMU_HW_INFO_TYPE_ARM_SMMUV3, &vtd,
		sizeof(vtd));
	HW_INFO("hw_info_bad_dev", 99, 0, 0, &vtd, sizeof(vtd));
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = devid;
	h.__reserved[1] = 1;
	IOC("hw_info_reserved", ifd, IOMMU_GET_HW_INFO, &h);
}

/* ---- HWPT allocation ---- */

static long hwpt_alloc(uint32_t flags, uint32_t dev_id, uint32_t pt, uint32_t type, void *data,
		       uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = dev_id,
				      .pt_id = pt, .data_type = type, .data_len = len,
				      .data_uptr = (uintptr_t)data };
	int e;
	long r = xioctl(ifd, IOMMU_HWPT_ALLOC, &a, &e);

	*out = r ? 0 : a.out_hwpt_id;
	errno = e;
	return r;
}

#define HWPT(name, out, ...)                                                    \
	do {                                                                    \
		long _r = hwpt_alloc(__VA_ARGS__, out);                         \
		step(name, _r, errno, "id=%u", *(out));                         \
	} while (0)

static void hwpts(void)
{
	struct iommu_hwpt_vtd_s1 s1 = { .addr_width = 48 };
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .dev_id = 0, .pt_id = ioas };
	uint32_t plain = 0, parent = 0, id = 0, other;

	HWPT("hwpt_alloc", &plain, 0, devid, ioas, 0, NULL, 0);
	HWPT("hwpt_bad_dev", &id, 0, 99, ioas, 0, NULL, 0);
	HWPT("hwpt_dev_is_ioas", &id, 0, ioas, ioas, 0, NULL, 0);
	HWPT("hwpt_bad_pt", &id, 0, devid, 99, 0, NULL, 0);
	HWPT("hwpt_pt_is_device", &id, 0, devid, devid, 0, NULL, 0);
	HWPT("hwpt_fault_id_no_fault", &id, IOMMU_HWPT_FAULT_ID_VALID, devid, ioas, 0, NULL, 0);
	HWPT("hwpt_data_without_parent", &id, 0, devid, ioas, IOMMU_HWPT_DATA_VTD_S1, &s1,
	     sizeof(s1));
	HWPT("hwpt_data_type_99", &id, 0, devid, ioas, 99, &s1, sizeof(s1));
	HWPT("hwpt_nested_on_plain", &id, 0, devid, plain, IOMMU_HWPT_DATA_VTD_S1, &s1,
	     sizeof(s1));
	HWPT("~hwpt_nest_parent", &parent, IOMMU_HWPT_ALLOC_NEST_PARENT, devid, ioas, 0, NULL, 0);
	HWPT("~hwpt_pasid", &id, IOMMU_HWPT_ALLOC_PASID, devid, ioas, 0, NULL, 0);
	if (id)
		destroy("~hwpt_pasid_destroy", id);
	HWPT("~hwpt_nest_parent_pasid", &id, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
	     devid, ioas, 0, NULL, 0);
	if (id)
		destroy("~hwpt_nest_parent_pasid_destroy", id);
	a.__reserved = 1;
	a.dev_id = devid;
	IOC("hwpt_reserved", ifd, IOMMU_HWPT_ALLOC, &a);
	/* A second IOAS with its own domain, then the device moves between. */
	other = ioas_alloc("ioas_alloc_other");
	HWPT("hwpt_alloc_other", &id, 0, devid, other, 0, NULL, 0);
	step("attach_other_hwpt", attach_pt(id), errno, NULL);
	destroy("destroy_other_ioas_busy", other);
	step("attach_back", attach_pt(ioas), errno, NULL);
	destroy("destroy_other_hwpt", id);
	destroy("destroy_other_ioas", other);
	destroy("destroy_plain", plain);
	if (parent)
		destroy("~destroy_nest_parent", parent);
}

/* ---- dirty tracking ---- */

static void set_dirty(const char *name, uint32_t hwpt, uint32_t flags)
{
	struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s), .flags = flags,
						   .hwpt_id = hwpt };

	IOC(name, ifd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

static void get_bitmap(const char *name, uint32_t hwpt, uint32_t flags, uint64_t iova,
		       uint64_t len, uint64_t pgsize, void *data)
{
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .hwpt_id = hwpt,
						 .flags = flags, .iova = iova, .length = len,
						 .page_size = pgsize, .data = (uintptr_t)data };

	IOC(name, ifd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

static void dirty(void)
{
	uint64_t bitmap[4] = { 0 };
	uint32_t plain = 0, dt = 0;

	HWPT("dirty_plain_hwpt", &plain, 0, devid, ioas, 0, NULL, 0);
	set_dirty("dirty_set_on_plain", plain, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	set_dirty("dirty_set_bad_flag", plain, 2);
	set_dirty("dirty_set_bad_hwpt", 99, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	set_dirty("dirty_set_ioas", ioas, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	get_bitmap("dirty_bitmap_plain", plain, 0, 0x100000, 16 * PG, PG, bitmap);
	get_bitmap("dirty_bitmap_bad_flag", plain, 2, 0x100000, 16 * PG, PG, bitmap);
	get_bitmap("dirty_bitmap_bad_hwpt", 99, 0, 0x100000, 16 * PG, PG, bitmap);
	/* QEMU's VT-d has no SSADS: the kernel refuses such a domain there. */
	HWPT("dirty_tracking_hwpt", &dt, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, devid, ioas, 0, NULL, 0);
	if (dt) {
		map("dirty_on_map", ioas, RW | FIXED, buf, 16 * PG, 0x100000);
		set_dirty("dirty_on_enable", dt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
		get_bitmap("dirty_on_bitmap_page_size_0", dt, 0, 0x100000, 16 * PG, 0, bitmap);
		get_bitmap("dirty_on_bitmap_unaligned", dt, 0, 0x100800, 16 * PG, PG, bitmap);
		get_bitmap("dirty_on_bitmap_bad_data", dt, 0, 0x100000, 16 * PG, PG, (void *)16);
		get_bitmap("dirty_on_bitmap", dt, 0, 0x100000, 16 * PG, PG, bitmap);
		step("dirty_on_bits", 0, 0, "bitmap=0x%llx", (unsigned long long)bitmap[0]);
		set_dirty("dirty_on_disable", dt, 0);
		unmap("dirty_on_unmap", ioas, 0, UINT64_MAX);
		destroy("dirty_on_destroy", dt);
	}
	destroy("dirty_destroy_plain", plain);
}

/* ---- invalidation ---- */

static void invalidate(const char *name, uint32_t hwpt, uint32_t type, void *data,
		       uint32_t len, uint32_t num)
{
	struct iommu_hwpt_invalidate i = { .size = sizeof(i), .hwpt_id = hwpt,
					   .data_uptr = (uintptr_t)data, .data_type = type,
					   .entry_len = len, .entry_num = num };

	IOC(name, ifd, IOMMU_HWPT_INVALIDATE, &i, "entry_num=%u", i.entry_num);
}

static void invalidation(void)
{
	struct iommu_hwpt_vtd_s1_invalidate inv = { .addr = 0, .npages = 1 };
	struct iommu_hwpt_invalidate r = { .size = sizeof(r), .__reserved = 1 };
	uint32_t plain = 0;

	HWPT("inv_plain_hwpt", &plain, 0, devid, ioas, 0, NULL, 0);
	invalidate("inv_num_0", plain, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &inv, sizeof(inv), 0);
	invalidate("inv_paging_hwpt", plain, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &inv,
		   sizeof(inv), 1);
	invalidate("inv_len_0", plain, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &inv, 0, 1);
	invalidate("inv_bad_hwpt", 99, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &inv, sizeof(inv), 1);
	invalidate("inv_ioas", ioas, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &inv, sizeof(inv), 1);
	IOC("inv_reserved", ifd, IOMMU_HWPT_INVALIDATE, &r);
	destroy("inv_destroy", plain);
}

/* ---- fault queues, vIOMMUs and what hangs off them ---- */

static void rw_step(const char *name, ssize_t r)
{
	step(name, r, errno, NULL);
}

/* The fault queue's file: whole records only, nothing queued, writable. */
static void fault_file(int fd)
{
	struct iommu_hwpt_pgfault pf[2];
	struct iommu_hwpt_page_response r = { .cookie = 1, .code = IOMMUFD_PAGE_RESP_SUCCESS };
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	int n;

	errno = 0;
	rw_step("fault_read_partial", read(fd, pf, sizeof(pf[0]) - 1));
	errno = 0;
	rw_step("fault_read_empty", read(fd, pf, sizeof(pf)));
	errno = 0;
	rw_step("fault_pread", pread(fd, pf, sizeof(pf[0]), 0));
	errno = 0;
	rw_step("fault_lseek", lseek(fd, 0, SEEK_CUR));
	errno = 0;
	rw_step("fault_write_partial", write(fd, &r, sizeof(r) - 1));
	r.code = 7;
	errno = 0;
	rw_step("fault_write_bad_code", write(fd, &r, sizeof(r)));
	r.code = IOMMUFD_PAGE_RESP_INVALID;
	errno = 0;
	rw_step("fault_write_unknown_cookie", write(fd, &r, sizeof(r)));
	errno = 0;
	n = poll(&p, 1, 0);
	step("fault_poll", n, errno, "revents=0x%x", (unsigned int)p.revents);
}

static void viommu_errors(void)
{
	struct iommu_viommu_alloc v = { .size = sizeof(v), .flags = 1,
					.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3, .dev_id = devid,
					.hwpt_id = ioas };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .viommu_id = ioas, .dev_id = devid };
	struct iommu_veventq_alloc q = { .size = sizeof(q), .flags = 1, .viommu_id = 99,
					 .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, .veventq_depth = 1 };
	struct iommu_hw_queue_alloc hq = { .size = sizeof(hq), .flags = 1, .viommu_id = 99,
					   .type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV,
					   .length = PG };

	IOC("viommu_alloc_flags", ifd, IOMMU_VIOMMU_ALLOC, &v);
	v.flags = 0;
	v.dev_id = 99;
	IOC("viommu_alloc_bad_dev", ifd, IOMMU_VIOMMU_ALLOC, &v);
	v.dev_id = devid;
	/* VT-d has no vIOMMU of SMMUv3's kind (no get_viommu_size). */
	IOC("~viommu_alloc_smmuv3_on_vtd", ifd, IOMMU_VIOMMU_ALLOC, &v);
	IOC("vdevice_alloc_ioas_as_viommu", ifd, IOMMU_VDEVICE_ALLOC, &vd);
	IOC("veventq_alloc_flags", ifd, IOMMU_VEVENTQ_ALLOC, &q);
	q.flags = 0;
	q.__reserved = 1;
	IOC("veventq_alloc_reserved", ifd, IOMMU_VEVENTQ_ALLOC, &q);
	q.__reserved = 0;
	q.type = IOMMU_VEVENTQ_TYPE_DEFAULT;
	IOC("veventq_alloc_default_type", ifd, IOMMU_VEVENTQ_ALLOC, &q);
	q.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	q.veventq_depth = 0;
	IOC("veventq_alloc_depth_0", ifd, IOMMU_VEVENTQ_ALLOC, &q);
	q.veventq_depth = (1u << 19) + 1;
	IOC("veventq_alloc_depth_too_big", ifd, IOMMU_VEVENTQ_ALLOC, &q);
	IOC("hw_queue_alloc_flags", ifd, IOMMU_HW_QUEUE_ALLOC, &hq);
	hq.flags = 0;
	hq.type = IOMMU_HW_QUEUE_TYPE_DEFAULT;
	IOC("hw_queue_alloc_default_type", ifd, IOMMU_HW_QUEUE_ALLOC, &hq);
	hq.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV;
	hq.length = 0;
	IOC("hw_queue_alloc_length_0", ifd, IOMMU_HW_QUEUE_ALLOC, &hq);
	hq.length = 2;
	hq.nesting_parent_iova = UINT64_MAX;
	IOC("hw_queue_alloc_overflow", ifd, IOMMU_HW_QUEUE_ALLOC, &hq);
}

/* Fault queues on a paging HWPT, then the vIOMMU objects. */
static void other_objects(void)
{
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	struct iommu_viommu_alloc v = { .size = sizeof(v), .type = IOMMU_VIOMMU_TYPE_DEFAULT,
					.dev_id = devid, .hwpt_id = ioas };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .viommu_id = 99, .dev_id = devid };
	struct iommu_veventq_alloc q = { .size = sizeof(q), .viommu_id = 99, .type = 1,
					 .veventq_depth = 1 };
	struct iommu_hw_queue_alloc hq = { .size = sizeof(hq), .viommu_id = 99, .type = 1,
					   .length = PG };
	uint32_t id = 0;

	f.flags = 1;
	IOC("fault_alloc_flags", ifd, IOMMU_FAULT_QUEUE_ALLOC, &f);
	f.flags = 0;
	IOC("fault_alloc", ifd, IOMMU_FAULT_QUEUE_ALLOC, &f, "id=%u", f.out_fault_id);
	if (f.out_fault_id) {
		struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = IOMMU_HWPT_FAULT_ID_VALID,
					      .dev_id = devid, .pt_id = ioas,
					      .fault_id = f.out_fault_id };

		HWPT("fault_hwpt_fault_id_0", &id, IOMMU_HWPT_FAULT_ID_VALID, devid, ioas, 0, NULL,
		     0);
		IOC("~fault_hwpt_paging", ifd, IOMMU_HWPT_ALLOC, &a);
		id = a.out_hwpt_id;
		a.fault_id = ioas;
		a.out_hwpt_id = 0;
		IOC("fault_hwpt_fault_id_is_ioas", ifd, IOMMU_HWPT_ALLOC, &a);
		if (id)
			destroy("~fault_hwpt_destroy", id);
		fault_file(f.out_fault_fd);
		/* Its file holds a reference: busy until closed. */
		destroy("fault_destroy_file_open", f.out_fault_id);
		close(f.out_fault_fd);
		destroy("fault_destroy", f.out_fault_id);
	}
	IOC("viommu_alloc_default_type", ifd, IOMMU_VIOMMU_ALLOC, &v);
	IOC("vdevice_alloc_bad_viommu", ifd, IOMMU_VDEVICE_ALLOC, &vd);
	IOC("veventq_alloc_bad_viommu", ifd, IOMMU_VEVENTQ_ALLOC, &q);
	IOC("hw_queue_alloc_bad_viommu", ifd, IOMMU_HW_QUEUE_ALLOC, &hq);
	viommu_errors();
}

/* ---- pinning with a domain ---- */

/* An address with nothing mapped at it (a page mapped, then unmapped). */
static char *hole(void)
{
	char *p = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p, PG)) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static void pinning(void)
{
	char *guard = buf + 32 * PG;
	char *ro = buf + 28 * PG;
	struct iommu_iova_range r[4] = { 0 };
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 4,
					    .allowed_iovas = (uintptr_t)r };
	struct iommu_iova_range msi[] = { { 0xfee00000, 0xfeefffff } };
	struct iommu_ioas_allow_iovas al = { .size = sizeof(al), .ioas_id = ioas, .num_iovas = 1,
					     .allowed_iovas = (uintptr_t)msi };

	IOC("~iova_ranges_with_domain", ifd, IOMMU_IOAS_IOVA_RANGES, &q,
	    "num=%u align=%#llx [%#llx-%#llx] [%#llx-%#llx]", q.num_iovas,
	    (unsigned long long)q.out_iova_alignment, (unsigned long long)r[0].start,
	    (unsigned long long)r[0].last, (unsigned long long)r[1].start,
	    (unsigned long long)r[1].last);
	map("~map_in_msi_window", ioas, RW | FIXED, buf, PG, 0xfee00000);
	IOC("~allow_msi_window", ifd, IOMMU_IOAS_ALLOW_IOVAS, &al);
	map("~map_above_aperture", ioas, RW | FIXED, buf, PG, 1ULL << 57);
	map("map_unmapped_memory", ioas, RW | FIXED, hole(), PG, 0x200000);
	map("map_guard_page", ioas, RW | FIXED, guard, PG, 0x200000);
	map("map_across_guard", ioas, RW | FIXED, guard - PG, 2 * PG, 0x200000);
	mprotect(ro, 4 * PG, PROT_READ);
	map("map_readonly_memory_rw", ioas, RW | FIXED, ro, PG, 0x200000);
	map("map_readonly_memory_ro", ioas, IOMMU_IOAS_MAP_READABLE | FIXED, ro, PG, 0x200000);
	mprotect(ro, 4 * PG, PROT_READ | PROT_WRITE);
	map("map_rw", ioas, RW | FIXED, buf, 4 * PG, 0x300000);
	map("map_alloc_over_guard", ioas, RW, buf, MB2, 0);
	map("map_alloc", ioas, RW, buf, 16 * PG, 0);
	map("map_unaligned_source", ioas, RW | FIXED, buf + 0x10, PG, 0x400000);
	unmap("unmap_all", ioas, 0, UINT64_MAX);
}

static void files(void)
{
	struct iommu_ioas_map_file mf = { .size = sizeof(mf), .flags = RW | FIXED,
					  .ioas_id = ioas, .length = 4 * PG, .iova = 0x500000 };
	struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW | FIXED,
				     .dst_ioas_id = ioas, .src_ioas_id = ioas, .length = 4 * PG,
				     .src_iova = 0x500000, .dst_iova = 0x600000 };
	struct iommu_ioas_change_process cp = { .size = sizeof(cp) };
	int mfd = memfd_create("scenario", MFD_CLOEXEC), null = open("/dev/null", O_RDONLY);

	if (mfd < 0 || ftruncate(mfd, 8 * PG)) {
		perror("memfd");
		exit(2);
	}
	mf.fd = mfd;
	IOC("map_file", ifd, IOMMU_IOAS_MAP_FILE, &mf, "iova=%#llx", (unsigned long long)mf.iova);
	mf.start = 6 * PG;
	mf.iova = 0x700000;
	IOC("map_file_past_end", ifd, IOMMU_IOAS_MAP_FILE, &mf);
	mf.start = 0;
	mf.fd = null;
	IOC("map_file_dev_null", ifd, IOMMU_IOAS_MAP_FILE, &mf);
	IOC("copy_with_domain", ifd, IOMMU_IOAS_COPY, &c, "dst_iova=%#llx",
	    (unsigned long long)c.dst_iova);
	IOC("change_process_files_only", ifd, IOMMU_IOAS_CHANGE_PROCESS, &cp);
	unmap("unmap_files", ioas, 0, UINT64_MAX);
	close(null);
	close(mfd);
}

static void options(void)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
				  .op = IOMMU_OPTION_OP_SET, .object_id = ioas, .val64 = 0 };

	IOC("opt_huge_off_with_domain", ifd, IOMMU_OPTION, &o);
	o.op = IOMMU_OPTION_OP_GET;
	IOC("opt_huge_get_with_domain", ifd, IOMMU_OPTION, &o, "val=%llu",
	    (unsigned long long)o.val64);
}

int main(int argc, char **argv)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	scenario_devices(argc, argv, "edu");
	buf = arena(32);
	setup();
	hardware();
	hwpts();
	dirty();
	invalidation();
	other_objects();
	pinning();
	files();
	options();
	IOC("detach", dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
	destroy("destroy_device_bound", devid);
	close(dev);
	destroy("destroy_ioas", ioas);
	close(ifd);
	return 0;
}
