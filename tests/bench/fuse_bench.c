// SPDX-License-Identifier: MIT
/*
 * The FUSE part of `make bench`: microseconds per ioctl through a real
 * mount of iommufd-emu, beside a bare FUSE ioctl round trip (noop_fuse)
 * measured in the same run.  Target: ratio <= 1.15.
 *   fuse_bench IOMMUFD_EMU NOOP_FUSE
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_emu/uapi/iommufd.h"

#define ROUNDS 9
#define N 5000

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static pid_t start(char *const argv[], const char *file)
{
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	for (int i = 0; i < 1000 && access(file, F_OK); i++)
		usleep(10000);
	if (access(file, F_OK)) {
		fprintf(stderr, "fuse_bench: %s did not come up\n", argv[0]);
		exit(1);
	}
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(v[0]), cmp);
	return v[ROUNDS / 2];
}

/* Time per call of one round of fn, which makes calls calls. */
static double round_of(void (*fn)(int fd), int fd, int calls)
{
	double t = now_us();

	fn(fd);
	return (now_us() - t) / calls;
}

static void bare(int fd)
{
	struct iommu_destroy d = { .size = sizeof(d) };

	for (int i = 0; i < N; i++)
		if (ioctl(fd, IOMMU_DESTROY, &d))
			exit(1);
}

static void alloc_destroy(int fd)
{
	for (int i = 0; i < N; i++) {
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		struct iommu_destroy d = { .size = sizeof(d) };

		if (ioctl(fd, IOMMU_IOAS_ALLOC, &a))
			exit(1);
		d.id = a.out_ioas_id;
		if (ioctl(fd, IOMMU_DESTROY, &d))
			exit(1);
	}
}

static uint32_t ioas;
static char *page;

static void map_unmap(int fd)
{
	for (int i = 0; i < N; i++) {
		struct iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)page,
			.length = 4096, .iova = 0x100000,
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
		};
		struct iommu_ioas_unmap u = {
			.size = sizeof(u), .ioas_id = ioas, .iova = 0x100000, .length = 4096,
		};

		if (ioctl(fd, IOMMU_IOAS_MAP, &m) || ioctl(fd, IOMMU_IOAS_UNMAP, &u))
			exit(1);
	}
}

int main(int argc, char **argv)
{
	char dir1[] = "/tmp/iommufd-emu-bench.XXXXXX", dir2[] = "/tmp/iommufd-emu-bench.XXXXXX";
	char f1[64], f2[64];
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	double bare_v[ROUNDS], ad_v[ROUNDS], mu_v[ROUNDS], floor_us, ad, mu;
	pid_t noop, emu;
	int nfd, fd;

	if (argc != 3 || !mkdtemp(dir1) || !mkdtemp(dir2))
		return 2;
	snprintf(f1, sizeof(f1), "%s/f", dir1);
	snprintf(f2, sizeof(f2), "%s/iommu", dir2);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* Both servers up at once, rounds interleaved: this machine's FUSE
	 * latency drifts, and the ratio must compare like with like. */
	noop = start((char *[]){ argv[2], dir1, NULL }, f1);
	emu = start((char *[]){ argv[1], "serve", "--mount", dir2, NULL }, f2);
	nfd = open(f1, O_RDWR);
	fd = open(f2, O_RDWR);
	if (nfd < 0 || fd < 0 || ioctl(fd, IOMMU_IOAS_ALLOC, &a))
		return 1;
	ioas = a.out_ioas_id;
	bare(nfd);
	alloc_destroy(fd);
	for (int r = 0; r < ROUNDS; r++) {
		bare_v[r] = round_of(bare, nfd, N);
		ad_v[r] = round_of(alloc_destroy, fd, 2 * N);
		mu_v[r] = round_of(map_unmap, fd, 2 * N);
	}
	floor_us = median(bare_v);
	ad = median(ad_v);
	mu = median(mu_v);
	close(fd);
	close(nfd);
	stop(emu);
	stop(noop);
	rmdir(dir1);
	rmdir(dir2);

	printf("\n%-44s %12s %8s\n", "over FUSE (median of 9 rounds x 5000)", "us/ioctl", "ratio");
	printf("%-44s %12.2f %8.2f\n", "bare FUSE ioctl round trip (no-op server)", floor_us, 1.0);
	printf("%-44s %12.2f %8.2f\n", "IOAS_ALLOC + DESTROY", ad, ad / floor_us);
	printf("%-44s %12.2f %8.2f\n", "IOAS_MAP + UNMAP, one page", mu, mu / floor_us);
	return 0;
}
