/* SPDX-License-Identifier: MIT */
/*
 * Shared fixtures for the unit tests: an emulator, a context and the test
 * process itself as the caller, with no capabilities unless a test grants
 * them, and small wrappers that return the ioctl's result as -errno.
 */
#ifndef IEMU_TEST_HELPERS_H
#define IEMU_TEST_HELPERS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "iommufd_emu.h"
#include "iommufd_emu/uapi/iommufd.h"

#define PG 4096ULL
#define CAP(n) (1ULL << (n))

struct fx {
	struct iemu *emu;
	struct iemu_ctx *ctx;
	struct iemu_proc *self;
};

static inline int fx_setup_config(void **state, const struct iemu_config *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(iemu_create(cfg, &f->emu), 0);
	assert_int_equal(iemu_proc_self(f->emu, &f->self), 0);
	iemu_proc_set_caps(f->self, 0);
	iemu_proc_set_memlock(f->self, UINT64_MAX);
	assert_int_equal(iemu_ctx_open(f->emu, f->self, &f->ctx), 0);
	*state = f;
	return 0;
}

static inline int fx_setup_kernel(void **state, unsigned int kernel)
{
	struct iemu_config cfg = { .kernel = kernel };

	return fx_setup_config(state, &cfg);
}

static inline int fx_setup(void **state)
{
	return fx_setup_kernel(state, 0);
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f->ctx)
		iemu_ctx_close(f->ctx);
	iemu_proc_put(f->self);
	iemu_destroy(f->emu);
	free(f);
	return 0;
}

static inline long ioc(struct fx *f, unsigned int cmd, void *arg)
{
	return iemu_ctx_ioctl(f->ctx, f->self, cmd, (uintptr_t)arg);
}

static inline uint32_t ioas_alloc(struct fx *f)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	assert_int_equal(ioc(f, IOMMU_IOAS_ALLOC, &a), 0);
	return a.out_ioas_id;
}

static inline long map_at(struct fx *f, uint32_t ioas, const void *va,
			  uint64_t len, uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioc(f, IOMMU_IOAS_MAP, &m);
}

static inline long map_any(struct fx *f, uint32_t ioas, const void *va,
			   uint64_t len, uint32_t flags, uint64_t *iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
	};
	long rc = ioc(f, IOMMU_IOAS_MAP, &m);

	if (iova)
		*iova = m.iova;
	return rc;
}

static inline long unmap(struct fx *f, uint32_t ioas, uint64_t iova,
			 uint64_t len, uint64_t *out_len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	long rc = ioc(f, IOMMU_IOAS_UNMAP, &u);

	if (out_len)
		*out_len = u.length;
	return rc;
}

static inline long destroy(struct fx *f, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioc(f, IOMMU_DESTROY, &d);
}

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

/* Anonymous memory the test owns. */
static inline void *pages(size_t n)
{
	void *p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

#endif

/* ---- domains without devices: tests reach the internal HWPT API ---- */
#include "ctx.h"
#include "hwpt.h"
#include "ioas.h"

/* The geometry of a typical x86 IOMMU domain: 48-bit aperture, 4K/2M/1G. */
static const struct hwpt_geometry test_geo = {
	.aperture_start = 0,
	.aperture_last = (1ULL << 48) - 1,
	.pgsize_bitmap = (1ULL << 12) | (1ULL << 21) | (1ULL << 30),
	.dirty_supported = true,
};

/* Attach a new HWPT_PAGING to an IOAS: its id, or -errno. */
static inline long add_domain(struct fx *f, uint32_t ioas_id,
			      const struct hwpt_geometry *geo)
{
	struct ioas *ioas = ioas_find(f->ctx, ioas_id);
	struct hwpt *hwpt;
	int rc;

	assert_non_null(ioas);
	rc = hwpt_paging_create(f->ctx, ioas, geo ? geo : &test_geo, &hwpt);
	if (rc)
		return rc;
	obj_finalize(f->ctx, &hwpt->obj);
	return hwpt->obj.id;
}

static inline struct hwpt *hwpt_of(struct fx *f, uint32_t id)
{
	return (struct hwpt *)obj_find(f->ctx, id, OBJ_HWPT_PAGING);
}
