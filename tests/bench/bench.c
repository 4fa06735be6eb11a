// SPDX-License-Identifier: MIT
/*
 * make bench: the cost of in-process ioctls, how map+unmap scales with the
 * number of areas already present, and what mapping 64 GiB costs next to
 * 4 KiB.  Times are medians of several rounds; memory is heap growth.
 *
 * Targets (from the core issue): a simple ioctl <= 300 ns; per-op cost
 * within 2x from 1e3 to 1e6 areas; 64 GiB within 2x of 4 KiB.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ctx.h"
#include "hwpt.h"
#include "ioas.h"
#include "iommufd_emu.h"
#include "iommufd_emu/uapi/iommufd.h"

#define PG 4096ULL
#define ROUNDS 5

static struct iemu *emu;
static struct iemu_ctx *ctx;
static struct iemu_proc *self;
static char *buf;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void must(long rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "bench: %s failed: %s\n", what, strerror((int)-rc));
		exit(1);
	}
}

static long ioc(unsigned int cmd, void *arg)
{
	return iemu_ctx_ioctl(ctx, self, cmd, (uintptr_t)arg);
}

static uint32_t new_ioas(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	must(ioc(IOMMU_IOAS_ALLOC, &a), "IOAS_ALLOC");
	return a.out_ioas_id;
}

static long map(uint32_t ioas, uint64_t iova, uint64_t len, bool fixed,
		uint64_t *out)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)buf,
		.length = len, .iova = iova,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
	};
	long rc = ioc(IOMMU_IOAS_MAP, &m);

	if (out)
		*out = m.iova;
	return rc;
}

static long unmap(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
	};

	return ioc(IOMMU_IOAS_UNMAP, &u);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(*v), by_value);
	return v[ROUNDS / 2];
}

/* ---- single ioctls ---- */

static double alloc_destroy(int n)
{
	double t = now_ns();

	for (int i = 0; i < n; i++) {
		struct iommu_destroy d = { .size = sizeof(d), .id = new_ioas() };

		must(ioc(IOMMU_DESTROY, &d), "DESTROY");
	}
	return (now_ns() - t) / n;
}

static double map_unmap_one(int n)
{
	uint32_t ioas = new_ioas();
	struct iommu_destroy d = { .size = sizeof(d), .id = ioas };
	double t = now_ns();

	for (int i = 0; i < n; i++) {
		must(map(ioas, 0x100000, PG, true, NULL), "MAP");
		must(unmap(ioas, 0x100000, PG), "UNMAP");
	}
	t = (now_ns() - t) / n;
	must(ioc(IOMMU_DESTROY, &d), "DESTROY");
	return t;
}

static double iova_ranges(int n)
{
	uint32_t ioas = new_ioas();
	struct iommu_iova_range r;
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = 1,
		.allowed_iovas = (uintptr_t)&r,
	};
	struct iommu_destroy d = { .size = sizeof(d), .id = ioas };
	double t = now_ns();

	for (int i = 0; i < n; i++) {
		q.num_iovas = 1;
		must(ioc(IOMMU_IOAS_IOVA_RANGES, &q), "IOVA_RANGES");
	}
	t = (now_ns() - t) / n;
	must(ioc(IOMMU_DESTROY, &d), "DESTROY");
	return t;
}

static double measure(double (*fn)(int), int n)
{
	double v[ROUNDS];

	for (int r = 0; r < ROUNDS; r++)
		v[r] = fn(n);
	return median(v);
}

/* ---- scaling with the number of areas ---- */

static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

#define BASE 0x100000000ULL

struct scale_row {
	double fixed_hot, fixed_cold, alloc;
	double bytes_per_area;
};

static struct scale_row scale(uint64_t n)
{
	struct scale_row row;
	uint32_t spread = new_ioas(), packed = new_ioas();
	struct iommu_destroy d = { .size = sizeof(d) };
	size_t heap = mallinfo2().uordblks;
	int ops = n >= 1000000 ? 100000 : 200000;
	double v[3][ROUNDS];
	uint64_t iova;

	/* Areas one page apart (holes between them), and packed end to end. */
	for (uint64_t i = 0; i < n; i++) {
		must(map(spread, BASE + 2 * i * PG, PG, true, NULL), "MAP spread");
		must(map(packed, PG + i * PG, PG, true, NULL), "MAP packed");
	}
	row.bytes_per_area = (double)(mallinfo2().uordblks - heap) / (2.0 * n);
	for (int r = 0; r < ROUNDS; r++) {
		double t = now_ns();

		for (int i = 0; i < ops; i++) {
			must(map(spread, BASE + PG, PG, true, NULL), "MAP hot");
			must(unmap(spread, BASE + PG, PG), "UNMAP hot");
		}
		v[0][r] = (now_ns() - t) / ops;
		t = now_ns();
		for (int i = 0; i < ops; i++) {
			uint64_t hole = BASE + (2 * (rnd() % n) + 1) * PG;

			must(map(spread, hole, PG, true, NULL), "MAP cold");
			must(unmap(spread, hole, PG), "UNMAP cold");
		}
		v[1][r] = (now_ns() - t) / ops;
		/* The only free space is past all the packed areas. */
		t = now_ns();
		for (int i = 0; i < ops; i++) {
			must(map(packed, 0, PG, false, &iova), "MAP alloc");
			must(unmap(packed, iova, PG), "UNMAP alloc");
		}
		v[2][r] = (now_ns() - t) / ops;
	}
	row.fixed_hot = median(v[0]);
	row.fixed_cold = median(v[1]);
	row.alloc = median(v[2]);
	if (iova != PG + n * PG) {
		fprintf(stderr, "bench: allocated %#llx, expected %#llx\n",
			(unsigned long long)iova, (unsigned long long)(PG + n * PG));
		exit(1);
	}
	d.id = spread;
	must(ioc(IOMMU_DESTROY, &d), "DESTROY");
	d.id = packed;
	must(ioc(IOMMU_DESTROY, &d), "DESTROY");
	return row;
}

/* ---- 64 GiB against 4 KiB, with a domain so that pages get pinned ---- */

static const struct hwpt_geometry geo = {
	.aperture_last = (1ULL << 48) - 1,
	.pgsize_bitmap = (1ULL << 12) | (1ULL << 21) | (1ULL << 30),
};

struct size_row {
	double ns;
	double bytes;
};

static struct size_row map_size(char *mem, uint64_t len)
{
	uint32_t ioas = new_ioas();
	struct iommu_destroy d = { .size = sizeof(d) };
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)mem,
		.length = len, .iova = 1ULL << 40,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
	};
	struct size_row row;
	double v[ROUNDS], bytes = 0;
	struct hwpt *hwpt;

	pthread_mutex_lock(&ctx->lock);
	must(hwpt_paging_create(ctx, ioas_find(ctx, ioas), &geo, &hwpt), "HWPT");
	obj_finalize(ctx, &hwpt->obj);
	pthread_mutex_unlock(&ctx->lock);
	for (int r = 0; r < ROUNDS; r++) {
		size_t heap = mallinfo2().uordblks;
		double t = now_ns();

		for (int i = 0; i < 1000; i++) {
			must(ioc(IOMMU_IOAS_MAP, &m), "MAP");
			if (i == 0)
				bytes = (double)(mallinfo2().uordblks - heap);
			must(unmap(ioas, 1ULL << 40, len), "UNMAP");
		}
		v[r] = (now_ns() - t) / 1000;
	}
	row.ns = median(v);
	row.bytes = bytes;
	d.id = hwpt->obj.id;
	must(ioc(IOMMU_DESTROY, &d), "DESTROY");
	d.id = ioas;
	must(ioc(IOMMU_DESTROY, &d), "DESTROY");
	return row;
}

int main(void)
{
	static const uint64_t sizes[] = { 1000, 10000, 100000, 1000000 };
	struct scale_row rows[4];
	struct size_row small, big;
	char *huge;

	must(iemu_create(NULL, &emu), "create");
	must(iemu_proc_self(emu, &self), "self");
	/* Unprivileged accounting, without a limit in the way. */
	iemu_proc_set_caps(self, 0);
	iemu_proc_set_memlock(self, UINT64_MAX);
	must(iemu_ctx_open(emu, self, &ctx), "open");
	buf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	huge = mmap(NULL, 64ULL << 30, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED || huge == MAP_FAILED) {
		perror("bench: mmap");
		return 1;
	}

	printf("iommufd-emu benchmark (in-process, %s)\n\n", "median of 5 rounds");
	printf("%-44s %12s\n", "single ioctls", "ns");
	printf("%-44s %12.0f\n", "IOAS_ALLOC + DESTROY", measure(alloc_destroy, 200000));
	printf("%-44s %12.0f\n", "IOAS_MAP + UNMAP, one page, fixed IOVA",
	       measure(map_unmap_one, 200000));
	printf("%-44s %12.0f\n", "IOAS_IOVA_RANGES", measure(iova_ranges, 1000000));

	printf("\n%-10s %16s %16s %16s %14s\n", "areas", "fixed, same (ns)",
	       "fixed, random", "allocated", "bytes/area");
	for (int i = 0; i < 4; i++) {
		rows[i] = scale(sizes[i]);
		printf("%-10llu %16.0f %16.0f %16.0f %14.0f\n",
		       (unsigned long long)sizes[i], rows[i].fixed_hot,
		       rows[i].fixed_cold, rows[i].alloc, rows[i].bytes_per_area);
	}
	printf("%-10s %16.2f %16.2f %16.2f\n", "1e6/1e3", rows[3].fixed_hot / rows[0].fixed_hot,
	       rows[3].fixed_cold / rows[0].fixed_cold, rows[3].alloc / rows[0].alloc);

	small = map_size(buf, PG);
	big = map_size(huge, 64ULL << 30);
	printf("\n%-44s %12s %12s\n", "MAP + UNMAP with a domain (pins pages)", "ns",
	       "heap bytes");
	printf("%-44s %12.0f %12.0f\n", "4 KiB", small.ns, small.bytes);
	printf("%-44s %12.0f %12.0f\n", "64 GiB (MAP_NORESERVE, never touched)", big.ns,
	       big.bytes);
	printf("%-44s %12.2f %12.2f\n", "64 GiB / 4 KiB", big.ns / small.ns,
	       big.bytes / (small.bytes ? small.bytes : 1));

	munmap(huge, 64ULL << 30);
	munmap(buf, PG);
	iemu_ctx_close(ctx);
	iemu_proc_put(self);
	iemu_destroy(emu);
	return 0;
}
