/* SPDX-License-Identifier: MIT */
/*
 * Scenario programs: plain C drivers of /dev/iommu and VFIO devices that
 * print one line per step, "<step> ret=<r> errno=<NAME> [key=value ...]".
 * They use only open/ioctl/close, so the same source runs against a real
 * kernel (in a VM), against the emulator over FUSE (under iommufd-emu run),
 * and in-process (linked with shim.c), and the outputs can be compared.
 *
 * Buffers come from a 2 MiB-aligned arena so that IOVAs the kernel chooses
 * (which follow the source address's alignment) are the same every run.
 */
#ifndef IEMU_SCENARIO_H
#define IEMU_SCENARIO_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

#define PG 4096ULL
#define MB2 (2ULL << 20)

static unsigned int scenario_steps;

/* Print one step: its name, result, errno, then any key=value pairs. */
static inline void step(const char *name, long ret, int err, const char *fmt, ...)
{
	va_list ap;

	printf("%s ret=%ld errno=%s", name, ret, ret < 0 ? strerrorname_np(err) : "0");
	if (fmt && *fmt) {
		putchar(' ');
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	putchar('\n');
	fflush(stdout);
	scenario_steps++;
}

/* ioctl that keeps errno next to the result. */
static inline long xioctl(int fd, unsigned long cmd, void *arg, int *err)
{
	long r;

	errno = 0;
	r = ioctl(fd, cmd, arg);
	*err = errno;
	return r;
}

#define IOC(name, fd, cmd, arg, ...)                                   \
	do {                                                           \
		int _e;                                                \
		long _r = xioctl(fd, cmd, arg, &_e);                   \
		step(name, _r, _e, "" __VA_ARGS__);                    \
	} while (0)

/* A region of n pages at a 2 MiB-aligned address, with a guard page of
 * PROT_NONE right after it. */
static inline char *arena(size_t pages)
{
	size_t len = pages * PG + PG + MB2;
	char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	if (raw == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	p = (char *)(((uintptr_t)raw + MB2 - 1) & ~(MB2 - 1));
	mprotect(p + pages * PG, PG, PROT_NONE);
	return p;
}

/* `scenario --devices` prints the emulator devices the scenario needs
 * (";"-separated --device specs, empty for none) and exits. */
static inline void scenario_devices(int argc, char **argv, const char *devices)
{
	if (argc > 1 && !strcmp(argv[1], "--devices")) {
		puts(devices);
		exit(0);
	}
}

static inline int open_iommu(void)
{
	const char *path = getenv("IOMMU_PATH") ? getenv("IOMMU_PATH") : "/dev/iommu";
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

#endif
