// SPDX-License-Identifier: MIT
/*
 * Core scenario: every iommufd ioctl that needs no device, with its error
 * paths, on /dev/iommu (or $IOMMU_PATH).  No domain exists, so pinning is
 * lazy throughout: unusable memory maps fine here.
 */
#include "scenario.h"

static int fd;
static char *buf;   /* 16 pages, 2 MiB aligned, guard page after */
static char *guard; /* the PROT_NONE page */

static uint32_t alloc_ioas(const char *name)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	IOC(name, fd, IOMMU_IOAS_ALLOC, &a, "id=%u", a.out_ioas_id);
	return a.out_ioas_id;
}

static void map(const char *name, uint32_t ioas, uint32_t flags, const void *va,
		uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.user_va = (uintptr_t)va, .length = len, .iova = iova,
	};

	IOC(name, fd, IOMMU_IOAS_MAP, &m, "iova=%#llx", (unsigned long long)m.iova);
}

static void unmap(const char *name, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
	};

	IOC(name, fd, IOMMU_IOAS_UNMAP, &u, "length=%#llx", (unsigned long long)u.length);
}

static void destroy(const char *name, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	IOC(name, fd, IOMMU_DESTROY, &d);
}

static void ranges(const char *name, uint32_t ioas, uint32_t num, void *array)
{
	struct iommu_iova_range *r = array;
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = num,
		.allowed_iovas = (uintptr_t)array,
	};
	int e;
	long ret = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q, &e);

	if (ret == 0)
		step(name, ret, e, "num=%u align=%#llx first=%#llx-%#llx", q.num_iovas,
		     (unsigned long long)q.out_iova_alignment,
		     (unsigned long long)r[0].start, (unsigned long long)r[0].last);
	else
		step(name, ret, e, "num=%u align=%#llx", q.num_iovas,
		     (unsigned long long)q.out_iova_alignment);
}

static void allow(const char *name, uint32_t ioas, const struct iommu_iova_range *r,
		  uint32_t n)
{
	struct iommu_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = ioas, .num_iovas = n,
		.allowed_iovas = (uintptr_t)r,
	};

	IOC(name, fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
}

static void copy(const char *name, uint32_t dst, uint32_t src, uint32_t flags,
		 uint64_t src_iova, uint64_t len, uint64_t dst_iova)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
		.src_ioas_id = src, .length = len, .dst_iova = dst_iova,
		.src_iova = src_iova,
	};

	IOC(name, fd, IOMMU_IOAS_COPY, &c, "dst_iova=%#llx", (unsigned long long)c.dst_iova);
}

static void option(const char *name, uint32_t id, uint16_t op, uint32_t obj,
		   uint64_t val, uint16_t reserved)
{
	struct iommu_option o = {
		.size = sizeof(o), .option_id = id, .op = op, .object_id = obj,
		.val64 = val, .__reserved = reserved,
	};

	IOC(name, fd, IOMMU_OPTION, &o, "val=%llu", (unsigned long long)o.val64);
}

static void vfio_ioas(const char *name, uint16_t op, uint32_t id)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .ioas_id = id, .op = op };

	IOC(name, fd, IOMMU_VFIO_IOAS, &v, "id=%u", v.ioas_id);
}

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED IOMMU_IOAS_MAP_FIXED_IOVA

static void dispatch(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	unsigned char big[64] = { 0 };
	struct iommu_ioas_alloc *ro;

	IOC("unknown_past_table", fd, _IO(IOMMUFD_TYPE, 0x96), NULL);
	IOC("unknown_below_table", fd, _IO(IOMMUFD_TYPE, 0x7f), NULL);
	IOC("foreign_type_null", fd, _IO('x', 0x85), NULL);
	IOC("foreign_type", fd, _IO('x', 0x85), &a);
	IOC("iowr_encoding", fd, _IOWR(IOMMUFD_TYPE, 0x81, struct iommu_ioas_alloc), &a);
	IOC("size_unreadable", fd, IOMMU_IOAS_ALLOC, NULL);
	a.size = 8;
	IOC("size_too_short", fd, IOMMU_IOAS_ALLOC, &a);
	a.size = sizeof(a);
	a.flags = 1;
	IOC("alloc_flags", fd, IOMMU_IOAS_ALLOC, &a);
	alloc_ioas("alloc_first");
	((struct iommu_ioas_alloc *)big)->size = sizeof(big);
	IOC("alloc_zero_tail", fd, IOMMU_IOAS_ALLOC, big, "id=%u",
	    ((struct iommu_ioas_alloc *)big)->out_ioas_id);
	big[60] = 1;
	IOC("alloc_nonzero_tail", fd, IOMMU_IOAS_ALLOC, big);
	ro = (void *)(guard - 16);
	memset(ro, 0, 16);
	ro->size = 32;
	IOC("alloc_tail_unreadable", fd, IOMMU_IOAS_ALLOC, ro);
	ro->size = 16;
	((unsigned char *)ro)[13] = 1;
	IOC("alloc_tail_nonzero_before_fault", fd, IOMMU_IOAS_ALLOC, ro);
	ro = (void *)(guard - 8);
	ro->size = sizeof(*ro);
	ro->flags = 0;
	IOC("alloc_crosses_guard", fd, IOMMU_IOAS_ALLOC, ro);
	ro = (void *)(buf + 15 * PG);
	memset(ro, 0, sizeof(*ro));
	ro->size = sizeof(*ro);
	mprotect(ro, PG, PROT_READ);
	IOC("alloc_readonly_struct", fd, IOMMU_IOAS_ALLOC, ro);
	mprotect(ro, PG, PROT_READ | PROT_WRITE);
	alloc_ioas("alloc_after_failed_write_back");
	destroy("destroy_2", 2);
	alloc_ioas("alloc_reuses_2");
	destroy("destroy_0", 0);
	destroy("destroy_unknown", 77);
	destroy("destroy_2_again", 2);
	destroy("destroy_3", 3);
}

static void iova_space(uint32_t ioas)
{
	struct iommu_iova_range r[2] = { 0 };
	struct iommu_iova_range bad[] = { { 0x2000, 0x1fff } };
	struct iommu_iova_range single[] = { { 0x2000, 0x2000 } };
	struct iommu_iova_range overlap[] = { { 0x1000, 0x2fff }, { 0x2000, 0x4fff } };
	struct iommu_iova_range win[] = { { 0x40000000, 0x400fffff } };
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .__reserved = 1 };
	struct iommu_ioas_allow_iovas al = { .size = sizeof(al), .ioas_id = ioas, .__reserved = 1 };

	ranges("ranges_probe", ioas, 0, NULL);
	ranges("ranges", ioas, 2, r);
	IOC("ranges_reserved", fd, IOMMU_IOAS_IOVA_RANGES, &q);
	ranges("ranges_bad_ioas", 99, 2, r);
	ranges("ranges_bad_array", ioas, 1, (void *)16);
	IOC("allow_reserved", fd, IOMMU_IOAS_ALLOW_IOVAS, &al);
	allow("allow_bad_ioas", 99, win, 1);
	allow("allow_reversed", ioas, bad, 1);
	allow("allow_single_byte", ioas, single, 1);
	allow("allow_overlap", ioas, overlap, 2);
	allow("allow_bad_array", ioas, (void *)8, 1);
	allow("allow_window", ioas, win, 1);
	map("map_alloc_in_window", ioas, RW, buf, PG, 0);
	map("map_fixed_outside_window", ioas, RW | FIXED, buf, PG, 0x1000);
	ranges("ranges_ignore_allowed", ioas, 2, r);
	allow("allow_clear", ioas, NULL, 0);
	map("map_alloc_after_clear", ioas, RW, buf, PG, 0);
	unmap("unmap_all_window", ioas, 0, UINT64_MAX);
}

static void maps(uint32_t ioas)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = RW | (1u << 3), .ioas_id = ioas,
		.user_va = (uintptr_t)buf, .length = PG,
	};

	IOC("map_unknown_flag", fd, IOMMU_IOAS_MAP, &m);
	m.flags = RW;
	m.__reserved = 1;
	IOC("map_reserved", fd, IOMMU_IOAS_MAP, &m);
	map("map_iova_max", ioas, RW | FIXED, buf, PG, UINT64_MAX);
	map("map_length_max", ioas, RW, buf, UINT64_MAX, 0);
	map("map_no_access", ioas, FIXED, buf, PG, 0x1000);
	map("map_bad_ioas", 99, RW, buf, PG, 0);
	map("map_length_zero", ioas, RW, buf, 0, 0);
	map("map_uptr_wraps", ioas, RW, (void *)(uintptr_t)(UINT64_MAX - PG + 1), PG, 0);
	map("map_length_huge", ioas, RW, NULL, UINT64_MAX - 1, 0);
	map("map_fixed", ioas, RW | FIXED, buf, 4 * PG, 0x100000);
	map("map_overlap_inside", ioas, RW | FIXED, buf, PG, 0x103000);
	map("map_overlap_before", ioas, RW | FIXED, buf, 2 * PG, 0xff000);
	map("map_iova_wraps", ioas, RW | FIXED, buf, 2 * PG, UINT64_MAX - PG);
	map("map_top_page", ioas, RW | FIXED, buf, PG, UINT64_MAX - PG + 1);
	map("map_bytes", ioas, RW | FIXED, buf + 3, 5, 0x1001);
	map("map_alloc_page", ioas, RW, buf, PG, 0);
	map("map_alloc_2m", ioas, RW, buf, MB2, 0);
	map("map_alloc_offset", ioas, RW, buf + 0x10, 0x100, 0);
	map("map_alloc_odd", ioas, RW, buf + 1, 3, 0);
	map("map_alloc_no_source", ioas, RW, NULL, 3 * PG, 0);
	map("map_alloc_too_long", ioas, RW, NULL, 1ULL << 63, 0);
	map("map_lazy_unmapped_memory", ioas, RW | FIXED, guard + 64 * PG, PG, 0x800000);
	map("map_lazy_guard_page", ioas, RW | FIXED, guard, PG, 0x801000);
	unmap("unmap_partial", ioas, 0x100000, PG);
	unmap("unmap_straddling", ioas, 0x101000, 4 * PG);
	unmap("unmap_zero_length", ioas, 0x100000, 0);
	unmap("unmap_iova_overflow", ioas, 1, UINT64_MAX);
	unmap("unmap_end_overflow", ioas, UINT64_MAX - 1, 3);
	unmap("unmap_nothing", ioas, 0x900000, PG);
	unmap("unmap_whole", ioas, 0x100000, 4 * PG);
	unmap("unmap_bad_ioas", 99, 0, UINT64_MAX);
	unmap("unmap_all", ioas, 0, UINT64_MAX);
	unmap("unmap_all_empty", ioas, 0, UINT64_MAX);
}

static void copies(uint32_t a, uint32_t b)
{
	struct iommu_ioas_copy c = { .size = sizeof(c), .flags = 1u << 3, .length = PG };

	IOC("copy_unknown_flag", fd, IOMMU_IOAS_COPY, &c);
	map("copy_src_rw", a, RW | FIXED, buf, 2 * PG, 0x10000);
	map("copy_src_ro", a, IOMMU_IOAS_MAP_READABLE | FIXED, buf + 2 * PG, 2 * PG, 0x12000);
	copy("copy_length_max", b, a, RW, 0x10000, UINT64_MAX, 0);
	copy("copy_src_iova_max", b, a, RW, UINT64_MAX, PG, 0);
	copy("copy_no_access", b, a, FIXED, 0x10000, PG, 0);
	copy("copy_bad_src", b, 99, RW, 0x10000, PG, 0);
	copy("copy_zero_length", b, a, RW, 0x10000, 0, 0);
	copy("copy_uncovered", b, a, RW, 0xf000, 2 * PG, 0);
	copy("copy_bad_dst", 99, a, RW, 0x10000, PG, 0);
	copy("copy_writeable_of_readonly", b, a, RW, 0x11000, 2 * PG, 0);
	copy("copy_across_areas", b, a, IOMMU_IOAS_MAP_READABLE, 0x11000, 2 * PG, 0);
	copy("copy_fixed", b, a, RW | FIXED, 0x10000, PG, 0x40000);
	copy("copy_fixed_overlap", b, a, RW | FIXED, 0x10000, PG, 0x40000);
	copy("copy_into_same_ioas", a, a, RW, 0x10000, 2 * PG, 0);
	unmap("copy_piece_unmaps_alone", b, 0x2000, PG);
	unmap("copy_unmap_all_b", b, 0, UINT64_MAX);
	unmap("copy_unmap_all_a", a, 0, UINT64_MAX);
}

static void options(uint32_t ioas)
{
	struct iommu_iova_range r[2];
	uint32_t fresh;

	option("opt_rlimit_get", IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, 9, 0);
	option("opt_rlimit_with_object", IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, ioas, 0, 0);
	option("opt_rlimit_bad_op", IOMMU_OPTION_RLIMIT_MODE, 2, 0, 0, 0);
	option("opt_rlimit_set_busy", IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 1, 0);
	option("opt_unknown", 2, IOMMU_OPTION_OP_GET, 0, 0, 0);
	option("opt_reserved", IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas, 0, 1);
	option("opt_huge_get", IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas, 7, 0);
	option("opt_huge_bad_object", IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 99, 0, 0);
	option("opt_huge_bad_value", IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas, 2, 0);
	fresh = alloc_ioas("opt_fresh_ioas");
	option("opt_huge_off", IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fresh, 0, 0);
	ranges("opt_ranges_page_aligned", fresh, 2, r);
	map("opt_map_unaligned", fresh, RW | FIXED, buf, 100, 0x10000);
	option("opt_huge_on", IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fresh, 1, 0);
	map("opt_map_bytes", fresh, RW | FIXED, buf, 100, 0x10000);
	option("opt_huge_off_busy", IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fresh, 0, 0);
	destroy("opt_destroy_fresh", fresh);
}

/* VFIO_CHECK_EXTENSION of the other types and features; an ioctl of the
 * type1 container the compatibility layer does not serve. */
static void extensions(void)
{
	static const struct {
		const char *name;
		unsigned long ext;
	} exts[] = {
		{ "vfio_ext_type1", VFIO_TYPE1_IOMMU },
		{ "vfio_ext_unmap_all", VFIO_UNMAP_ALL },
		{ "vfio_ext_noiommu", VFIO_NOIOMMU_IOMMU },
		{ "vfio_ext_nesting", __VFIO_RESERVED_TYPE1_NESTING_IOMMU },
		{ "vfio_ext_update_vaddr", VFIO_UPDATE_VADDR },
		{ "vfio_ext_unknown", 99 },
	};
	/* struct vfio_iommu_type1_dirty_bitmap, flags START (1 << 0) */
	struct { uint32_t argsz, flags; } db = { .argsz = sizeof(db), .flags = 1 };
	long r;

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		errno = 0;
		r = ioctl(fd, VFIO_CHECK_EXTENSION, exts[i].ext);
		step(exts[i].name, r, errno, NULL);
	}
	IOC("vfio_dirty_pages", fd, VFIO_IOMMU_DIRTY_PAGES, &db);
}

static void compat(uint32_t ioas)
{
	struct vfio_iommu_type1_dma_map dm = {
		.argsz = sizeof(dm), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf, .iova = 0x100000, .size = 4 * PG,
	};
	struct vfio_iommu_type1_dma_unmap du = {
		.argsz = sizeof(du), .iova = 0x101000, .size = PG,
	};
	unsigned char info_buf[256] = { 0 };
	struct vfio_iommu_type1_info *info = (void *)info_buf;
	struct iommu_vfio_ioas bad = { .size = sizeof(bad), .__reserved = 1 };
	int e;
	long r;

	vfio_ioas("vfio_ioas_get_none", IOMMU_VFIO_IOAS_GET, 0);
	vfio_ioas("vfio_ioas_set_bad", IOMMU_VFIO_IOAS_SET, 99);
	IOC("vfio_ioas_reserved", fd, IOMMU_VFIO_IOAS, &bad);
	vfio_ioas("vfio_ioas_bad_op", 3, ioas);
	r = xioctl(fd, VFIO_GET_API_VERSION, NULL, &e);
	step("vfio_api_version", r, e, NULL);
	r = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
	step("vfio_ext_type1v2", r, errno, NULL);
	r = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU);
	step("vfio_ext_cc_no_ioas", r, errno, NULL);
	extensions();
	IOC("vfio_map_no_ioas", fd, VFIO_IOMMU_MAP_DMA, &dm);
	vfio_ioas("vfio_ioas_set", IOMMU_VFIO_IOAS_SET, ioas);
	vfio_ioas("vfio_ioas_get", IOMMU_VFIO_IOAS_GET, 0);
	r = ioctl(fd, VFIO_SET_IOMMU, 7);
	step("vfio_set_iommu_bad", r, errno, NULL);
	r = ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	step("vfio_set_iommu_type1v2", r, errno, NULL);
	dm.argsz = 31;
	IOC("vfio_map_short_argsz", fd, VFIO_IOMMU_MAP_DMA, &dm);
	dm.argsz = sizeof(dm);
	IOC("vfio_map", fd, VFIO_IOMMU_MAP_DMA, &dm);
	IOC("vfio_map_again", fd, VFIO_IOMMU_MAP_DMA, &dm);
	IOC("vfio_unmap_partial", fd, VFIO_IOMMU_UNMAP_DMA, &du, "size=%#llx",
	    (unsigned long long)du.size);
	info->argsz = 16;
	IOC("vfio_info_small", fd, VFIO_IOMMU_GET_INFO, info, "argsz=%u flags=%#x pgsizes=%#llx",
	    info->argsz, info->flags, (unsigned long long)info->iova_pgsizes);
	info->argsz = sizeof(info_buf);
	IOC("vfio_info", fd, VFIO_IOMMU_GET_INFO, info, "argsz=%u cap_offset=%u",
	    info->argsz, info->cap_offset);
	du.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	du.iova = du.size = 0;
	IOC("vfio_unmap_all", fd, VFIO_IOMMU_UNMAP_DMA, &du, "size=%#llx",
	    (unsigned long long)du.size);
	vfio_ioas("vfio_ioas_clear", IOMMU_VFIO_IOAS_CLEAR, 0);
	vfio_ioas("vfio_ioas_get_cleared", IOMMU_VFIO_IOAS_GET, 0);
}

static void map_files(uint32_t ioas)
{
	struct iommu_ioas_map_file mf = { .size = sizeof(mf), .flags = 1u << 3 };
	struct iommu_ioas_change_process cp = { .size = sizeof(cp) };
	int mfd = memfd_create("scenario", MFD_CLOEXEC);

	if (mfd < 0 || ftruncate(mfd, 16 * PG)) {
		perror("memfd");
		exit(2);
	}
	IOC("map_file_unknown_flag", fd, IOMMU_IOAS_MAP_FILE, &mf);
	mf.flags = RW;
	mf.ioas_id = 99;
	IOC("map_file_bad_ioas", fd, IOMMU_IOAS_MAP_FILE, &mf);
	mf.ioas_id = ioas;
	IOC("map_file_zero_length", fd, IOMMU_IOAS_MAP_FILE, &mf);
	mf.length = PG;
	mf.fd = -1;
	IOC("map_file_bad_fd", fd, IOMMU_IOAS_MAP_FILE, &mf);
	mf.fd = mfd;
	mf.start = UINT64_MAX - 1;
	mf.length = 3;
	IOC("map_file_offset_wraps", fd, IOMMU_IOAS_MAP_FILE, &mf);
	mf.start = 0;
	mf.length = 16 * PG;
	IOC("map_file", fd, IOMMU_IOAS_MAP_FILE, &mf, "iova=%#llx", (unsigned long long)mf.iova);
	mf.start = 8 * PG;
	mf.iova = 0x1000000;
	mf.flags = RW | FIXED;
	IOC("map_file_past_end_lazy", fd, IOMMU_IOAS_MAP_FILE, &mf, "iova=%#llx",
	    (unsigned long long)mf.iova);
	cp.__reserved = 1;
	IOC("change_process_reserved", fd, IOMMU_IOAS_CHANGE_PROCESS, &cp);
	cp.__reserved = 0;
	IOC("change_process_files_only", fd, IOMMU_IOAS_CHANGE_PROCESS, &cp);
	map("map_user_memory", ioas, RW | FIXED, buf, PG, 0x2000000);
	IOC("change_process_with_user_memory", fd, IOMMU_IOAS_CHANGE_PROCESS, &cp);
	unmap("map_file_unmap_all", ioas, 0, UINT64_MAX);
	close(mfd);
}

int main(int argc, char **argv)
{
	uint32_t a, b;

	scenario_devices(argc, argv, "");
	buf = arena(16);
	guard = buf + 16 * PG;
	fd = open_iommu();
	dispatch();
	a = alloc_ioas("alloc_a");
	b = alloc_ioas("alloc_b");
	iova_space(a);
	maps(a);
	copies(a, b);
	options(a);
	compat(a);
	map_files(a);
	destroy("destroy_a", a);
	destroy("destroy_b", b);
	close(fd);
	printf("steps=%u\n", scenario_steps);
	return 0;
}
