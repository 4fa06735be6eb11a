// SPDX-License-Identifier: MIT
/*
 * A tour of the emulator's IOAS engine, in-process: each step issues the
 * same ioctl a driver would issue on /dev/iommu and prints what came back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "iommufd_emu.h"
#include "iommufd_emu/uapi/iommufd.h"

static struct iemu_ctx *ctx;

static long step(const char *what, unsigned int cmd, void *arg)
{
	long rc = iemu_ioctl(ctx, cmd, arg);

	printf("  %-52s -> %s\n", what, rc < 0 ? strerrorname_np((int)-rc) : "ok");
	return rc;
}

int main(void)
{
	struct iemu *emu;
	struct iemu_proc *self;
	char *buf = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_iova_range range;
	struct iommu_ioas_iova_ranges ranges = { .size = sizeof(ranges), .num_iovas = 1,
						 .allowed_iovas = (uintptr_t)&range };
	struct iommu_ioas_map map = { .size = sizeof(map),
				      .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
				      .user_va = (uintptr_t)buf, .length = 1 << 21 };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };

	if (buf == MAP_FAILED || iemu_create(NULL, &emu) || iemu_proc_self(emu, &self) ||
	    iemu_ctx_open(emu, self, &ctx)) {
		fprintf(stderr, "demo: cannot start the emulator\n");
		return 1;
	}
	printf("iommufd-emu demo: the IOAS engine, in-process\n\n");
	step("IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC, &alloc);
	printf("      new IOAS id %u\n", alloc.out_ioas_id);
	ranges.ioas_id = map.ioas_id = unmap.ioas_id = alloc.out_ioas_id;
	step("IOMMU_IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES, &ranges);
	printf("      usable [%#llx, %#llx], alignment %llu\n",
	       (unsigned long long)range.start, (unsigned long long)range.last,
	       (unsigned long long)ranges.out_iova_alignment);
	step("IOMMU_IOAS_MAP 2 MiB, kernel chooses the IOVA", IOMMU_IOAS_MAP, &map);
	printf("      mapped at IOVA %#llx\n", (unsigned long long)map.iova);
	map.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	step("IOMMU_IOAS_MAP again at the same IOVA (overlap)", IOMMU_IOAS_MAP, &map);
	unmap.iova = map.iova;
	unmap.length = 4096;
	step("IOMMU_IOAS_UNMAP of one page of it (partial)", IOMMU_IOAS_UNMAP, &unmap);
	unmap.iova = 0;
	unmap.length = UINT64_MAX;
	step("IOMMU_IOAS_UNMAP of everything", IOMMU_IOAS_UNMAP, &unmap);
	printf("      %llu bytes unmapped\n", (unsigned long long)unmap.length);
	destroy.id = alloc.out_ioas_id;
	step("IOMMU_DESTROY of the IOAS", IOMMU_DESTROY, &destroy);
	step("IOMMU_DESTROY of it again", IOMMU_DESTROY, &destroy);

	iemu_ctx_close(ctx);
	iemu_proc_put(self);
	iemu_destroy(emu);
	munmap(buf, 1 << 21);
	return 0;
}
