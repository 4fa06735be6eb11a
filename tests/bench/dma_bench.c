// SPDX-License-Identifier: MIT
/*
 * DMA bandwidth of the emulated dmatest device: 2 MiB copies submitted in
 * batches through a descriptor ring, beside memcpy of the same 2 MiB in the
 * same process.  A plain VFIO/iommufd client: built as is it runs over FUSE
 * (under `iommufd-emu run --device dmatest`); linked with the shim it runs
 * against the library in-process.  Prints one line:
 *   dma <label> copy_gbps=X memcpy_gbps=Y ratio=Z latency_us=W
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_emu/dmatest.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

#define LEN (2u << 20)
#define PAIRS 4          /* buffers cycled so that not everything stays in cache */
#define RING 64
#define BATCH 32
#define ROUNDS 5
#define COPIES 256       /* per round */
#define RING_IOVA 0x100000ULL
#define BUF_IOVA 0x1000000ULL

static int ifd, dev;
static volatile struct dmatest_compl *compl;
static struct dmatest_desc *ring;
static uint8_t *bufs;
static uint32_t tail;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "dma_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reg(uint64_t off, unsigned int n, uint64_t v)
{
	if (pwrite(dev, &v, n, off) != (ssize_t)n)
		die("BAR write");
}

static void map(void *va, uint64_t len, uint64_t iova, uint32_t ioas)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)va,
				    .length = len, .iova = iova,
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE };

	if (ioctl(ifd, IOMMU_IOAS_MAP, &m))
		die("IOMMU_IOAS_MAP");
}

static void setup(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	ifd = open("/dev/iommu", O_RDWR);
	dev = open(getenv("DMATEST_CDEV") ? getenv("DMATEST_CDEV") : "/dev/vfio/devices/vfio0",
		   O_RDWR);
	if (ifd < 0 || dev < 0)
		die("open");
	b.iommufd = ifd;
	if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b) || ioctl(ifd, IOMMU_IOAS_ALLOC, &a))
		die("bind");
	at.pt_id = a.out_ioas_id;
	if (ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		die("attach");
	if (pwrite(dev, &cmd, 2, ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) + PCI_COMMAND) != 2)
		die("command register");
	ring = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bufs = mmap(NULL, 2 * PAIRS * (size_t)LEN, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ring == MAP_FAILED || bufs == MAP_FAILED)
		die("mmap");
	memset(bufs, 0x3c, 2 * PAIRS * (size_t)LEN);
	compl = (void *)((char *)ring + 4096);
	map(ring, 2 * 4096, RING_IOVA, a.out_ioas_id);
	map(bufs, 2 * PAIRS * (uint64_t)LEN, BUF_IOVA, a.out_ioas_id);
	reg(DMATEST_QUEUE(0) + DMATEST_Q_RING, 8, RING_IOVA);
	reg(DMATEST_QUEUE(0) + DMATEST_Q_SIZE, 4, RING);
	reg(DMATEST_QUEUE(0) + DMATEST_Q_CTRL, 4, DMATEST_CTRL_ENABLE);
}

/* n copies of 2 MiB, cycling through the buffer pairs; waits for the last. */
static void copies(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned int slot = tail, pair = i % PAIRS;

		compl[slot].status = DMATEST_ST_PENDING;
		ring[slot] = (struct dmatest_desc){
			.op = DMATEST_OP_COPY, .len = LEN,
			.src = BUF_IOVA + 2ULL * pair * LEN, .dst = BUF_IOVA + (2ULL * pair + 1) * LEN,
			.compl = RING_IOVA + 4096 + slot * sizeof(struct dmatest_compl),
		};
		tail = (tail + 1) % RING;
		if ((i + 1) % BATCH == 0 || i + 1 == n) {
			reg(DMATEST_QUEUE(0) + DMATEST_Q_TAIL, 4, tail);
			while (compl[slot].status == DMATEST_ST_PENDING)
				;
			if (compl[slot].status != DMATEST_ST_OK) {
				fprintf(stderr, "dma_bench: copy failed: status %u\n",
					compl[slot].status);
				exit(1);
			}
		}
	}
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), by_value);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	double dma[ROUNDS], cpy[ROUNDS], lat[ROUNDS], t;

	setup();
	copies(BATCH); /* warm up */
	for (int r = 0; r < ROUNDS; r++) {
		t = now();
		copies(COPIES);
		dma[r] = COPIES * (double)LEN / (now() - t) / 1e9;
		t = now();
		for (int i = 0; i < COPIES; i++) {
			unsigned int pair = i % PAIRS;

			memcpy(bufs + (2 * pair + 1) * (size_t)LEN, bufs + 2 * pair * (size_t)LEN, LEN);
		}
		cpy[r] = COPIES * (double)LEN / (now() - t) / 1e9;
		t = now();
		for (int i = 0; i < 16; i++)
			copies(1);
		lat[r] = (now() - t) / 16 * 1e6;
	}
	printf("dma %s copy_gbps=%.2f memcpy_gbps=%.2f ratio=%.2f latency_us=%.0f\n",
	       argc > 1 ? argv[1] : "run", median(dma, ROUNDS), median(cpy, ROUNDS),
	       median(dma, ROUNDS) / median(cpy, ROUNDS), median(lat, ROUNDS));
	close(dev);
	close(ifd);
	return 0;
}
