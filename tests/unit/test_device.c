// SPDX-License-Identifier: MIT
/*
 * Device files and the device side of iommufd: specs, open, BIND with every
 * refusal, ATTACH/DETACH (automatic and manual HWPTs, replace, PASID),
 * GET_HW_INFO, HWPT_ALLOC, dirty tracking, INVALIDATE, and the edu flow.
 */
#include "devices.h"

static const char *const edu[] = { "edu", NULL };
static const char *const two[] = { "edu", "dmatest,queues=2", NULL };

/* ---- specs ---- */

static void add_fails(const char *spec, const char *want)
{
	struct iemu *emu;
	char err[256] = "";

	assert_int_equal(iemu_create(NULL, &emu), 0);
	assert_int_equal(iemu_device_add(emu, spec, NULL, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("%s: '%s' does not say '%s'", spec, err, want);
	iemu_destroy(emu);
}

static void test_spec_errors(void **state)
{
	(void)state;
	add_fails("", "empty");
	add_fails("nic", "unknown device model 'nic'");
	add_fails("edu,bdf=00:04.0", "bdf=00:04.0");
	add_fails("edu,bdf=0000:00:20.0", "bdf=");
	add_fails("edu,noiommu=maybe", "noiommu=maybe");
	add_fails("edu,name=a/b", "name=a/b");
	add_fails("edu,colour=red", "edu has no option 'colour'");
	add_fails("edu,dma_delay=x", "dma_delay=x");
	add_fails("dmatest,queues=0", "queues=0");
	add_fails("dmatest,queues=17", "queues=17");
	add_fails("edu,emulated,noiommu", "exclude");
	add_fails("edu,fast", "not an option");
}

static void test_spec_names(void **state)
{
	struct iemu *emu;
	struct iemu_device *a, *b, *c, *n;
	struct iemu_device_info info;
	char err[128];

	(void)state;
	assert_int_equal(iemu_create(NULL, &emu), 0);
	assert_int_equal(iemu_device_add(emu, "edu", &a, err, sizeof(err)), 0);
	assert_int_equal(iemu_device_add(emu, "edu,noiommu=swpt,bdf=0000:00:1F.7,name=x-1",
					 &b, err, sizeof(err)), 0);
	assert_int_equal(iemu_device_add(emu, "dmatest,noiommu=nocdev", &c, err,
					 sizeof(err)), 0);
	assert_int_equal(iemu_device_add(emu, "edu,bdf=0000:00:1f.7", &n, err, sizeof(err)),
			 -EINVAL);
	iemu_device_info(a, &info);
	assert_string_equal(info.name, "vfio0");
	assert_string_equal(info.bdf, "0000:00:04.0");
	assert_string_equal(info.label, "edu");
	assert_int_equal(info.vendor, 0x1234);
	assert_int_equal(info.device, 0x11e8);
	assert_int_equal(info.class_code, 0x00ff00);
	assert_int_equal(info.revision, 0x10);
	assert_int_equal(info.subsystem_vendor, 0x1af4);
	assert_int_equal(info.irq_pin, 1);
	assert_true(info.has_cdev);
	iemu_device_info(b, &info);
	assert_string_equal(info.name, "noiommu-vfio1");
	assert_string_equal(info.bdf, "0000:00:1f.7");
	assert_string_equal(info.label, "x-1");
	assert_int_equal(info.noiommu, IEMU_NOIOMMU_SWPT);
	iemu_device_info(c, &info);
	assert_false(info.has_cdev);
	assert_int_equal(info.vendor, DMATEST_VENDOR);
	assert_ptr_equal(iemu_device_find(emu, "noiommu-vfio1"), b);
	assert_null(iemu_device_find(emu, "vfio2"));
	assert_ptr_equal(iemu_device_next(emu, NULL), a);
	assert_ptr_equal(iemu_device_next(emu, a), b);
	assert_ptr_equal(iemu_device_next(emu, c), NULL);
	iemu_destroy(emu);
}

/* ---- open and the unbound file ---- */

static void test_open_policy(void **state)
{
	static const char *const specs[] = { "edu,noiommu", "edu,noiommu=nocdev", NULL };
	struct dfx *d = dfx_new(specs);
	struct iemu_device *nocdev = iemu_device_next(d->fx.emu, d->dev);
	struct iemu_devfile *f;

	(void)state;
	assert_int_equal(iemu_devfile_open(d->dev, d->fx.self, &f), -EPERM);
	iemu_proc_set_caps(d->fx.self, CAP(17));
	assert_int_equal(iemu_devfile_open(d->dev, d->fx.self, &f), 0);
	iemu_devfile_close(f);
	assert_int_equal(iemu_devfile_open(nocdev, d->fx.self, &f), -ENODEV);
	dfx_free(d);
}

static void test_unbound_refuses(void **state)
{
	struct dfx *d = dfx_new(edu);
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_device_feature ft = { .argsz = sizeof(ft) };
	uint32_t v;

	(void)state;
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
	assert_int_equal(dioc(d, VFIO_DEVICE_GET_REGION_INFO, &ri), -EINVAL);
	assert_int_equal(dioc(d, VFIO_DEVICE_FEATURE, &ft), -EINVAL);
	assert_int_equal(attach(d, 1), -EINVAL);
	assert_int_equal(detach(d), -EINVAL);
	assert_int_equal(dioc(d, VFIO_DEVICE_RESET, NULL), -EINVAL);
	assert_int_equal(dioc(d, _IO(';', 99), NULL), -EINVAL);
	assert_int_equal(iemu_devfile_read(d->file, &v, 4, 0), -EINVAL);
	assert_int_equal(iemu_devfile_read(d->file, &v, 0, 0), -EINVAL);
	assert_int_equal(iemu_devfile_write(d->file, &v, 4, REGION(7)), -EINVAL);
	dfx_free(d);
}

/* ---- BIND ---- */

static void test_bind_errors(void **state)
{
	struct dfx *d = dfx_new(edu);
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = IOMMUFD_FD };
	struct {
		struct vfio_device_bind_iommufd b;
		uint32_t tail;
	} big = { .b = b, .tail = 1 };
	uint8_t uuid[16] = { 1 };

	(void)state;
	b.argsz = 15;
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.argsz = sizeof(b);
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, (void *)8), -EFAULT);
	big.b.argsz = sizeof(big);
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &big), -E2BIG);
	b.iommufd = -1;
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.iommufd = IOMMUFD_FD;
	b.flags = 2;
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	/* A token: the pointer is read first (EFAULT, as the rig's kernel
	 * answered), then refused for a function that is no VF or PF. */
	b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EFAULT);
	b.token_uuid_ptr = (uintptr_t)uuid;
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.flags = 0;
	b.iommufd = 999;
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EBADF);
	b.iommufd = 0; /* stdin: open, but not an iommufd */
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EBADFD);
	/* Nothing of that left a trace: a proper bind gets id 1. */
	assert_int_equal(bind(d), 1);
	dfx_free(d);
}

static void test_bind_once(void **state)
{
	struct dfx *d = dfx_new(edu);
	struct iemu_devfile *f2;
	struct iemu_device_info info;

	(void)state;
	assert_int_equal(iemu_devfile_open(d->dev, d->fx.self, &f2), 0);
	assert_int_equal(ioas_alloc(&d->fx), 1);
	assert_int_equal(bind(d), 2);
	iemu_device_info(d->dev, &info);
	assert_true(info.bound);
	assert_int_equal(info.devid, 2);
	assert_int_equal(bind(d), -EINVAL);            /* this file again */
	assert_int_equal(bind_file(d, f2, 0), -EINVAL); /* another file */
	/* The DEVICE object is held by the device. */
	assert_int_equal(destroy(&d->fx, 2), -EBUSY);
	/* Closing the bound file frees the device for the other one. */
	iemu_devfile_close(d->file);
	d->file = f2;
	assert_int_equal(destroy(&d->fx, 2), -ENOENT);
	assert_int_equal(bind(d), 2);
	dfx_free(d);
}

static void test_bind_out_fault(void **state)
{
	struct dfx *d = dfx_new(edu);
	struct vfio_device_bind_iommufd b = { .argsz = 16, .iommufd = IOMMUFD_FD };
	uint8_t *page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	/* out_devid lies on a read-only page: the bind is undone. */
	memcpy(page + PG - 12, &b, 12);
	assert_int_equal(mprotect(page + PG, PG, PROT_READ), 0);
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, page + PG - 12), -EFAULT);
	assert_int_equal(destroy(&d->fx, 1), -ENOENT);
	assert_int_equal(bind(d), 1);
	munmap(page, 2 * PG);
	dfx_free(d);
}

static void test_bind_6_12(void **state)
{
	struct dfx *d = dfx_new_kernel(IEMU_KERNEL_6_12, edu);
	struct {
		struct vfio_device_bind_iommufd b;
		uint32_t tail;
	} big = { .b = { .argsz = sizeof(big), .iommufd = IOMMUFD_FD }, .tail = 7 };

	(void)state;
	/* Before 6.17: no token flag, and bytes beyond 16 are never read. */
	big.b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &big), -EINVAL);
	big.b.flags = 0;
	assert_int_equal(dioc(d, VFIO_DEVICE_BIND_IOMMUFD, &big), 0);
	assert_int_equal(big.b.out_devid, 1);
	dfx_free(d);
}

static void test_ctx_outlives_close(void **state)
{
	struct dfx *d = dfx_new(edu);
	struct iemu_ctx_stats st;

	(void)state;
	assert_int_equal(ioas_alloc(&d->fx), 1);
	assert_int_equal(bind(d), 2);
	assert_int_equal(attach(d, 1), 3);
	/* Closing /dev/iommu while the device is bound keeps the context. */
	iemu_ctx_close(d->fx.ctx);
	d->fx.ctx = NULL;
	d->ctxs[0] = NULL;
	iemu_device_info(d->dev, &(struct iemu_device_info){ 0 });
	assert_int_equal(detach(d), 0);
	assert_int_equal(attach(d, 1), 3);
	(void)st;
	/* The device's close releases the context (valgrind sees any leak). */
	dfx_free(d);
}

/* ---- ATTACH and DETACH ---- */

static long iova_ranges(struct dfx *d, uint32_t ioas, struct iommu_iova_range *r,
			uint32_t n)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
					    .num_iovas = n, .allowed_iovas = (uintptr_t)r };
	long rc = ioc(&d->fx, IOMMU_IOAS_IOVA_RANGES, &q);

	return rc ? rc : q.num_iovas;
}

static void test_attach_ioas(void **state)
{
	struct dfx *d = dfx_new(edu);
	struct iommu_iova_range r[4];
	struct iemu_device_info info;
	uint32_t ioas, ioas2;

	(void)state;
	ioas = ioas_alloc(&d->fx);
	assert_int_equal(bind(d), 2);
	assert_int_equal(attach(d, 0xdead), -ENOENT);
	assert_int_equal(attach(d, 2), -EINVAL); /* the device itself */
	assert_int_equal(attach(d, ioas), 3);
	iemu_device_info(d->dev, &info);
	assert_int_equal(info.pt_id, 3);
	/* The IOMMU's aperture and the interrupt window now shape the IOAS. */
	assert_int_equal(iova_ranges(d, ioas, r, 4), 2);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, 0xfedfffff);
	assert_int_equal(r[1].start, 0xfef00000);
	assert_int_equal(r[1].last, (1ULL << 48) - 1);
	/* Attached: the HWPT and the IOAS are busy. */
	assert_int_equal(destroy(&d->fx, 3), -EBUSY);
	assert_int_equal(destroy(&d->fx, ioas), -EBUSY);
	/* Attaching again replaces, here by the same automatic HWPT. */
	assert_int_equal(attach(d, ioas), 3);
	/* Another IOAS: a new automatic HWPT; the old one goes away. */
	ioas2 = ioas_alloc(&d->fx);
	assert_int_equal(attach(d, ioas2), 5);
	assert_int_equal(destroy(&d->fx, 3), -ENOENT);
	assert_int_equal(iova_ranges(d, ioas, r, 4), 1);
	assert_int_equal(detach(d), 0);
	assert_int_equal(detach(d), 0);
	assert_int_equal(destroy(&d->fx, 5), -ENOENT);
	iemu_device_info(d->dev, &info);
	assert_int_equal(info.pt_id, 0);
	assert_int_equal(destroy(&d->fx, ioas2), 0);
	dfx_free(d);
}

static long hwpt_alloc(struct dfx *d, uint32_t dev, uint32_t pt, uint32_t flags)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = dev,
				      .pt_id = pt };
	long rc = ioc(&d->fx, IOMMU_HWPT_ALLOC, &a);

	return rc ? rc : (long)a.out_hwpt_id;
}

static void test_attach_hwpt(void **state)
{
	struct dfx *d = dfx_new(two);
	struct iemu_devfile *f1 = d->file, *f2;
	struct iemu_device *dm = iemu_device_next(d->fx.emu, d->dev);
	uint32_t ioas = ioas_alloc(&d->fx);
	long hwpt;

	(void)state;
	assert_int_equal(iemu_devfile_open(dm, d->fx.self, &f2), 0);
	assert_int_equal(bind(d), 2);
	assert_int_equal(bind_file(d, f2, 0), 3);
	hwpt = hwpt_alloc(d, 2, ioas, 0);
	assert_int_equal(hwpt, 4);
	/* A manual HWPT is never chosen automatically. */
	assert_int_equal(attach(d, ioas), 5);
	d->file = f2;
	assert_int_equal(attach(d, ioas), 5); /* the automatic one is shared */
	assert_int_equal(attach(d, 4), 4);    /* replaced by the manual one */
	d->file = f1;
	assert_int_equal(detach(d), 0);       /* the last user: the auto HWPT goes */
	assert_int_equal(destroy(&d->fx, 5), -ENOENT);
	assert_int_equal(destroy(&d->fx, 4), -EBUSY);
	d->file = f2;
	assert_int_equal(detach(d), 0);
	assert_int_equal(destroy(&d->fx, 4), 0);
	iemu_devfile_close(f2);
	d->file = f1;
	dfx_free(d);
}

static void test_attach_reserved_conflict(void **state)
{
	struct dfx *d = dfx_new(edu);
	uint32_t ioas = ioas_alloc(&d->fx);
	void *buf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_int_equal(bind(d), 2);
	/* A mapping in the interrupt window: the device cannot join. */
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, 0xfee00000, RW), 0);
	assert_int_equal(attach(d, ioas), -EADDRINUSE);
	assert_int_equal(unmap(&d->fx, ioas, 0xfee00000, PG, NULL), 0);
	assert_int_equal(attach(d, ioas), 3);
	/* And nothing can be mapped there while it is attached: a fixed IOVA
	 * on a reserved range is EINVAL (iopt_check_iova). */
	assert_int_equal(map_at(&d->fx, ioas, buf, PG, 0xfee00000, RW), -EINVAL);
	munmap(buf, PG);
	dfx_free(d);
}

static void test_attach_pasid(void **state)
{
	struct dfx *d = dfx_new(edu);
	uint32_t ioas = ioas_alloc(&d->fx);
	struct vfio_device_attach_iommufd_pt a = { .argsz = 12, .flags = 1, .pt_id = ioas };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = 12, .flags = 1 };

	(void)state;
	assert_int_equal(bind(d), 2);
	a.flags = 2;
	assert_int_equal(dioc(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	a.flags = VFIO_DEVICE_ATTACH_PASID;
	assert_int_equal(dioc(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL); /* argsz */
	a.argsz = sizeof(a);
	a.pasid = 5;
	assert_int_equal(dioc(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	/* PASID 0 is the device itself, as the rig's kernel showed: it
	 * attaches, and then a plain attach finds it busy. */
	a.pasid = 0;
	assert_int_equal(dioc(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	assert_int_equal(a.pt_id, 3);
	assert_int_equal(attach(d, ioas), -EBUSY);
	/* A plain detach does not undo a PASID attachment... */
	assert_int_equal(detach(d), 0);
	assert_int_equal(destroy(&d->fx, 3), -EBUSY);
	/* ...a PASID detach does. */
	assert_int_equal(dioc(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	assert_int_equal(destroy(&d->fx, 3), -ENOENT);
	dt.argsz = 8;
	assert_int_equal(dioc(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -EINVAL);
	dt.argsz = 7;
	dt.flags = 0;
	assert_int_equal(dioc(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -EINVAL);
	dfx_free(d);
}

static void test_attach_out_fault(void **state)
{
	struct dfx *d = dfx_new(edu);
	uint32_t ioas = ioas_alloc(&d->fx);
	struct vfio_device_attach_iommufd_pt *a;
	uint8_t *page = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);

	(void)state;
	assert_int_equal(bind(d), 2);
	a = (void *)page;
	*a = (struct vfio_device_attach_iommufd_pt){ .argsz = 12, .pt_id = ioas };
	assert_int_equal(mprotect(page, PG, PROT_READ), 0);
	assert_int_equal(dioc(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, a), -EFAULT);
	/* Undone: the automatic HWPT (id 3) is gone. */
	assert_int_equal(destroy(&d->fx, 3), -ENOENT);
	munmap(page, PG);
	dfx_free(d);
}

/* ---- GET_HW_INFO ---- */

static void test_hw_info(void **state)
{
	struct dfx *d = dfx_new(edu);
	struct iommu_hw_info h = { .size = sizeof(h) };
	uint8_t data[40];

	(void)state;
	assert_int_equal(bind(d), 1);
	memset(data, 0xaa, sizeof(data));
	h.dev_id = 1;
	h.data_len = sizeof(data);
	h.data_uptr = (uintptr_t)data;
	assert_int_equal(ioc(&d->fx, IOMMU_GET_HW_INFO, &h), 0);
	assert_int_equal(h.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	assert_int_equal(h.data_len, sizeof(struct iommu_hw_info_vtd));
	assert_int_equal(h.out_capabilities,
			 IOMMU_HW_CAP_DIRTY_TRACKING | IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED);
	assert_int_equal(((struct iommu_hw_info_vtd *)data)->cap_reg, 0xd2008c222f0686ULL);
	for (size_t i = 24; i < sizeof(data); i++)
		assert_int_equal(data[i], 0);
	h.flags = 2;
	assert_int_equal(ioc(&d->fx, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
	h.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	h.in_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	assert_int_equal(ioc(&d->fx, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
	h.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	assert_int_equal(ioc(&d->fx, IOMMU_GET_HW_INFO, &h), 0);
	h.flags = 0;
	h.__reserved[1] = 1;
	assert_int_equal(ioc(&d->fx, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
	h.__reserved[1] = 0;
	h.dev_id = 7;
	assert_int_equal(ioc(&d->fx, IOMMU_GET_HW_INFO, &h), -ENOENT);
	h.dev_id = 1;
	h.data_uptr = 8;
	assert_int_equal(ioc(&d->fx, IOMMU_GET_HW_INFO, &h), -EFAULT);
	dfx_free(d);
}

/* ---- HWPT_ALLOC ---- */

static void test_hwpt_alloc_errors(void **state)
{
	struct dfx *d = dfx_new(edu);
	uint32_t ioas = ioas_alloc(&d->fx);
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .dev_id = 2, .pt_id = 1 };
	struct iommu_hwpt_vtd_s1 s1 = { 0 };

	(void)state;
	assert_int_equal(bind(d), 2);
	a.__reserved = 1;
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_ALLOC, &a), -EOPNOTSUPP);
	a.__reserved = 0;
	a.data_type = IOMMU_HWPT_DATA_VTD_S1;
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_ALLOC, &a), -EINVAL);
	a.data_type = 0;
	a.data_len = sizeof(s1);
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_ALLOC, &a), -EINVAL);
	a.data_len = 0;
	assert_int_equal(hwpt_alloc(d, 9, ioas, 0), -ENOENT);
	assert_int_equal(hwpt_alloc(d, 1, ioas, 0), -ENOENT); /* an IOAS is no device */
	assert_int_equal(hwpt_alloc(d, 2, 42, 0), -EINVAL);
	assert_int_equal(hwpt_alloc(d, 2, 2, 0), -EINVAL);
	assert_int_equal(hwpt_alloc(d, 2, ioas, 1u << 7), -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(d, 2, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT), -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(d, 2, ioas, IOMMU_HWPT_FAULT_ID_VALID), -ENOENT);
	assert_int_equal(hwpt_alloc(d, 2, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING), 3);
	/* Nested on a paging parent: without data, unsupported; with data,
	 * the parent is no nesting parent. */
	assert_int_equal(hwpt_alloc(d, 2, 3, 0), -EOPNOTSUPP);
	a.pt_id = 3;
	a.data_type = IOMMU_HWPT_DATA_VTD_S1;
	a.data_len = sizeof(s1);
	a.data_uptr = (uintptr_t)&s1;
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_ALLOC, &a), -EINVAL);
	/* Paging with data on an IOAS: the VT-d driver takes none. */
	a.pt_id = ioas;
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_ALLOC, &a), -EOPNOTSUPP);
	dfx_free(d);
}

static void test_invalidate(void **state)
{
	struct dfx *d = dfx_new(edu);
	uint32_t ioas = ioas_alloc(&d->fx);
	struct iommu_hwpt_invalidate inv = { .size = sizeof(inv), .entry_num = 3 };

	(void)state;
	assert_int_equal(bind(d), 2);
	inv.hwpt_id = hwpt_alloc(d, 2, ioas, 0);
	/* entry_num is written back (0 handled) on every path. */
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_INVALIDATE, &inv), -EINVAL);
	assert_int_equal(inv.entry_num, 0);
	inv.entry_num = 0;
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_INVALIDATE, &inv), -EINVAL);
	inv.hwpt_id = 77;
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_INVALIDATE, &inv), -ENOENT);
	inv.__reserved = 1;
	inv.entry_num = 5;
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_INVALIDATE, &inv), -EOPNOTSUPP);
	assert_int_equal(inv.entry_num, 0);
	dfx_free(d);
}

/* 6.12 (as recorded on the real kernel): no fault queue on a paging HWPT,
 * and INVALIDATE finds nested HWPTs only. */
static void test_hwpt_6_12(void **state)
{
	struct dfx *d = dfx_new_kernel(IEMU_KERNEL_6_12, edu);
	uint32_t ioas = ioas_alloc(&d->fx);
	struct iommu_hwpt_invalidate inv = { .size = sizeof(inv) };

	(void)state;
	assert_int_equal(bind(d), 2);
	assert_int_equal(hwpt_alloc(d, 2, ioas, IOMMU_HWPT_FAULT_ID_VALID), -EOPNOTSUPP);
	inv.hwpt_id = hwpt_alloc(d, 2, ioas, 0);
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_INVALIDATE, &inv), -ENOENT);
	inv.hwpt_id = ioas;
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_INVALIDATE, &inv), -ENOENT);
	inv.entry_num = 1;
	assert_int_equal(ioc(&d->fx, IOMMU_HWPT_INVALIDATE, &inv), -EINVAL);
	dfx_free(d);
}

/* ---- the edu flow: DMA through the IOMMU, MSI ---- */

static void edu_dma(struct dfx *d, uint64_t ram, uint64_t dev_addr, uint64_t len,
		    bool to_ram)
{
	bar_write(d, 0, 0x80, 8, to_ram ? dev_addr : ram);
	bar_write(d, 0, 0x88, 8, to_ram ? ram : dev_addr);
	bar_write(d, 0, 0x90, 8, len);
	bar_write(d, 0, 0x98, 8, 0x1 | (to_ram ? 0x2 : 0) | 0x4);
}

static void test_edu_flow(void **state)
{
	static const char *const fast[] = { "edu,dma_delay=0", NULL };
	struct dfx *d = dfx_new(fast);
	uint32_t ioas = ioas_alloc(&d->fx);
	uint8_t *buf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int efd = eventfd(0, EFD_CLOEXEC);

	(void)state;
	assert_int_equal(bind(d), 2);
	assert_int_equal(attach(d, ioas), 3);
	assert_int_equal(map_at(&d->fx, ioas, buf, 2 * PG, 0x100000, RW), 0);
	enable_device(d);
	assert_int_equal(bar_read(d, 0, 0, 4), 0x010000ed);
	assert_int_equal(set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, 0, efd), 0);
	/* RAM to device, then device to RAM at another place. */
	memset(buf, 0x5a, 100);
	edu_dma(d, 0x100000, 0x40000, 100, false);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	assert_int_equal(bar_read(d, 0, 0x24, 4) & 0x100, 0x100);
	bar_write(d, 0, 0x64, 4, 0x100);
	edu_dma(d, 0x100000 + PG + 10, 0x40000, 100, true);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf[PG + 10 + i], 0x5a);
	/* An unmapped IOVA: a fault, recorded, and memory unchanged. */
	memset(buf + PG, 0, PG);
	edu_dma(d, 0x300000, 0x40000, 64, true);
	assert_int_equal(wait_eventfd(efd, 5000), 1);
	WAIT_FOR(iemu_device_faults(d->dev, NULL, 0, NULL) >= 2);
	assert_int_equal(last_fault(d->dev).kind, IEMU_FAULT_DEVICE);
	close(efd);
	munmap(buf, 2 * PG);
	dfx_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_spec_names),
		cmocka_unit_test(test_open_policy),
		cmocka_unit_test(test_unbound_refuses),
		cmocka_unit_test(test_bind_errors),
		cmocka_unit_test(test_bind_once),
		cmocka_unit_test(test_bind_out_fault),
		cmocka_unit_test(test_bind_6_12),
		cmocka_unit_test(test_ctx_outlives_close),
		cmocka_unit_test(test_attach_ioas),
		cmocka_unit_test(test_attach_hwpt),
		cmocka_unit_test(test_attach_reserved_conflict),
		cmocka_unit_test(test_attach_pasid),
		cmocka_unit_test(test_attach_out_fault),
		cmocka_unit_test(test_hw_info),
		cmocka_unit_test(test_hwpt_alloc_errors),
		cmocka_unit_test(test_invalidate),
		cmocka_unit_test(test_hwpt_6_12),
		cmocka_unit_test(test_edu_flow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
