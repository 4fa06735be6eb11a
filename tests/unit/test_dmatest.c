// SPDX-License-Identifier: MIT
/*
 * The dmatest device model on its own: registers, descriptor execution,
 * completion records, halts, interrupts (INTx and MSI-X), resets, the
 * statistics region and options.  Its DMA port is a fake over a local arena
 * (IOVA = BASE + offset) with per-page permissions standing in for the
 * IOMMU; like the real DMA engine it is all or nothing.  The device works on
 * its own thread, so tests poll registers with a timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "iommufd_emu/dmatest.h"
#include "model.h"

#define PAGE 4096ULL
#define ARENA_PAGES 256ULL
#define ARENA_SIZE (ARENA_PAGES * PAGE)
#define BASE 0x40000000ULL
#define BAR_BASE 0xfe000000ULL
#define TIMEOUT_MS 10000

/* Arena layout: rings, completion records, source and destination data. */
#define RING_OFF(q) (0x400ULL * (q))
#define COMPL_OFF 0x4000ULL
#define SRC_OFF 0x10000ULL
#define DST_OFF 0x50000ULL
#define IOVA(off) (BASE + (off))
#define RING(q) IOVA(RING_OFF(q))
#define COMPL(i) IOVA(COMPL_OFF + 16ULL * (i))
#define SRC IOVA(SRC_OFF)
#define DST IOVA(DST_OFF)
#define QREG(q, r) (DMATEST_QUEUE(q) + (r))

enum perm { UNMAPPED, READONLY, READWRITE };

struct rig {
	struct pcifn *fn;
	uint8_t *mem;
	unsigned int next[DMATEST_MAX_QUEUES]; /* the driver's copy of TAIL */
	unsigned int size[DMATEST_MAX_QUEUES];

	pthread_mutex_t lock; /* everything below: the worker reaches it */
	uint8_t perm[ARENA_PAGES];
	unsigned int copy_sleep_us;   /* makes copies slow */
	unsigned int copies_started, copies_active, copies_done;
	bool intx;
	unsigned int msix[DMATEST_MAX_QUEUES];
	unsigned int errors;
	char last_error[256];
};

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000ULL + t.tv_nsec / 1000000;
}

/* The fake IOMMU: every page of the range mapped with the permission. */
static bool allowed(struct rig *r, uint64_t addr, uint64_t len, bool write)
{
	uint64_t off = addr - BASE;

	if (addr < BASE || off > ARENA_SIZE || len > ARENA_SIZE - off)
		return false;
	for (uint64_t p = off / PAGE; len && p <= (off + len - 1) / PAGE; p++)
		if (r->perm[p] < (write ? READWRITE : READONLY))
			return false;
	return true;
}

static int fake_rw(void *opaque, uint64_t addr, void *buf, uint64_t len, bool write)
{
	struct rig *r = opaque;
	int rc = -EFAULT;

	pthread_mutex_lock(&r->lock);
	if (allowed(r, addr, len, write)) {
		if (write)
			memcpy(r->mem + (addr - BASE), buf, len);
		else
			memcpy(buf, r->mem + (addr - BASE), len);
		rc = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int fake_copy(void *opaque, uint64_t dst, uint64_t src, uint64_t len)
{
	struct rig *r = opaque;
	unsigned int sleep_us;

	pthread_mutex_lock(&r->lock);
	if (!allowed(r, src, len, false) || !allowed(r, dst, len, true)) {
		pthread_mutex_unlock(&r->lock);
		return -EFAULT;
	}
	r->copies_started++;
	r->copies_active++;
	sleep_us = r->copy_sleep_us;
	pthread_mutex_unlock(&r->lock);
	usleep(sleep_us);
	pthread_mutex_lock(&r->lock);
	memmove(r->mem + (dst - BASE), r->mem + (src - BASE), len);
	r->copies_active--;
	r->copies_done++;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static void host_intx(void *opaque, bool level)
{
	struct rig *r = opaque;

	pthread_mutex_lock(&r->lock);
	r->intx = level;
	pthread_mutex_unlock(&r->lock);
}

static void host_msix(void *opaque, unsigned int vector)
{
	struct rig *r = opaque;

	pthread_mutex_lock(&r->lock);
	r->msix[vector]++;
	pthread_mutex_unlock(&r->lock);
}

static void host_error(void *opaque, const char *what)
{
	struct rig *r = opaque;

	pthread_mutex_lock(&r->lock);
	r->errors++;
	snprintf(r->last_error, sizeof(r->last_error), "%s", what);
	pthread_mutex_unlock(&r->lock);
}

/* Create the model from "key=val,key=val" as the emulator would. */
static int create(const char *spec, struct pcifn **fn, char *err, unsigned long errlen)
{
	struct model_opts o = { .n = 0, .err = err, .errlen = errlen };
	char *copy = strdup(spec), *save = NULL, *kv, *eq;
	int rc;

	assert_non_null(copy);
	for (kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		o.opt[o.n].key = kv;
		o.opt[o.n].val = eq ? eq + 1 : "";
		o.opt[o.n].used = false;
		o.n++;
	}
	rc = model_find("dmatest")->create(&o, BAR_BASE, fn);
	free(copy);
	return rc;
}

static struct rig *rig_new(const char *spec)
{
	struct rig *r = calloc(1, sizeof(*r));
	char err[128] = "";

	assert_non_null(r);
	assert_int_equal(create(spec, &r->fn, err, sizeof(err)), 0);
	r->mem = aligned_alloc(PAGE, ARENA_SIZE);
	assert_non_null(r->mem);
	memset(r->mem, 0, ARENA_SIZE);
	memset(r->perm, READWRITE, sizeof(r->perm));
	pthread_mutex_init(&r->lock, NULL);
	r->fn->dma = (struct dma_port){ .rw = fake_rw, .copy = fake_copy, .opaque = r };
	r->fn->host = (struct pcifn_host){ .intx = host_intx, .msix = host_msix,
					   .error = host_error, .opaque = r };
	pcifn_cfg_write(r->fn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return r;
}

static int setup_with(void **state, const char *spec)
{
	*state = rig_new(spec);
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, "");
}

static int setup_four_queues(void **state)
{
	return setup_with(state, "queues=4");
}

static int setup_delay(void **state)
{
	return setup_with(state, "delay=100000");
}

static int teardown(void **state)
{
	struct rig *r = *state;

	r->fn->ops->destroy(r->fn);
	pthread_mutex_destroy(&r->lock);
	free(r->mem);
	free(r);
	return 0;
}

static uint32_t r32(struct rig *r, uint64_t off)
{
	return (uint32_t)r->fn->ops->bar_read(r->fn, DMATEST_BAR_REGS, off, 4);
}

static uint64_t r64(struct rig *r, uint64_t off)
{
	return r->fn->ops->bar_read(r->fn, DMATEST_BAR_REGS, off, 8);
}

static void w32(struct rig *r, uint64_t off, uint32_t val)
{
	r->fn->ops->bar_write(r->fn, DMATEST_BAR_REGS, off, 4, val);
}

static void w64(struct rig *r, uint64_t off, uint64_t val)
{
	r->fn->ops->bar_write(r->fn, DMATEST_BAR_REGS, off, 8, val);
}

static void set_perm(struct rig *r, uint64_t off, uint64_t len, enum perm p)
{
	pthread_mutex_lock(&r->lock);
	memset(r->perm + off / PAGE, p, (len + PAGE - 1) / PAGE);
	pthread_mutex_unlock(&r->lock);
}

static unsigned int locked_read(struct rig *r, const unsigned int *field)
{
	unsigned int v;

	pthread_mutex_lock(&r->lock);
	v = *field;
	pthread_mutex_unlock(&r->lock);
	return v;
}

static bool intx_level(struct rig *r)
{
	bool v;

	pthread_mutex_lock(&r->lock);
	v = r->intx;
	pthread_mutex_unlock(&r->lock);
	return v;
}

/* Poll a register until (value & mask) == want, or time out. */
static bool poll_reg(struct rig *r, uint64_t off, uint32_t mask, uint32_t want)
{
	uint64_t end = now_ms() + TIMEOUT_MS;

	while ((r32(r, off) & mask) != want) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

static void wait_completed(struct rig *r, unsigned int q, uint32_t n)
{
	assert_true(poll_reg(r, QREG(q, DMATEST_Q_COMPLETED), ~0u, n));
}

static void wait_halted(struct rig *r, unsigned int q)
{
	assert_true(poll_reg(r, QREG(q, DMATEST_Q_STATUS), DMATEST_STATUS_HALTED,
			     DMATEST_STATUS_HALTED));
}

static void wait_copy_started(struct rig *r)
{
	uint64_t end = now_ms() + TIMEOUT_MS;

	while (!locked_read(r, &r->copies_started)) {
		assert_true(now_ms() <= end);
		usleep(1000);
	}
}

static void queue_on(struct rig *r, unsigned int q, unsigned int size, uint32_t ctrl)
{
	w64(r, QREG(q, DMATEST_Q_RING), RING(q));
	w32(r, QREG(q, DMATEST_Q_SIZE), size);
	w32(r, QREG(q, DMATEST_Q_CTRL), DMATEST_CTRL_ENABLE | ctrl);
	r->size[q] = size;
	r->next[q] = 0;
}

/* Write the descriptor at the driver's tail, then ring the doorbell. */
static void submit(struct rig *r, unsigned int q, struct dmatest_desc desc)
{
	memcpy(r->mem + RING_OFF(q) + sizeof(desc) * r->next[q], &desc, sizeof(desc));
	r->next[q] = (r->next[q] + 1) % r->size[q];
	w32(r, QREG(q, DMATEST_Q_TAIL), r->next[q]);
}

static struct dmatest_compl *compl_at(struct rig *r, unsigned int i)
{
	return (struct dmatest_compl *)(r->mem + COMPL_OFF + 16 * i);
}

static void fill_bytes(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

static struct dmatest_stats stats(struct rig *r)
{
	struct dmatest_stats s;

	r->fn->ops->vendor_read(r->fn, 0, &s, sizeof(s));
	return s;
}

static void test_identity_and_capabilities(void **state)
{
	struct rig *r = *state;
	struct pcifn *fn = r->fn;

	assert_int_equal(r32(r, DMATEST_REG_ID), DMATEST_ID);
	assert_int_equal(r32(r, DMATEST_REG_NQUEUES), 2);
	assert_int_equal(pcifn_cfg_read(fn, PCI_VENDOR_ID, 2), DMATEST_VENDOR);
	assert_int_equal(pcifn_cfg_read(fn, PCI_DEVICE_ID, 2), DMATEST_DEVICE);
	assert_int_equal(pcifn_cfg_read(fn, PCI_CLASS_REVISION, 4), DMATEST_CLASS << 8 | 0x01);
	assert_int_equal(pcifn_cfg_read(fn, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(fn->bar[DMATEST_BAR_REGS].size, DMATEST_BAR_REGS_SIZE);
	assert_true(fn->bar[DMATEST_BAR_REGS].is64);
	assert_int_equal(pcifn_cfg_read(fn, PCI_BASE_ADDRESS_0, 4),
			 (uint32_t)BAR_BASE | PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(fn->bar[DMATEST_BAR_MSIX].size, DMATEST_BAR_MSIX_SIZE);
	assert_false(fn->bar[DMATEST_BAR_MSIX].is64);
	assert_int_not_equal(fn->msix_cap, 0);
	assert_int_equal(fn->msix_vectors, 2);
	assert_int_equal(fn->msix_bar, DMATEST_BAR_MSIX);
	assert_int_equal(fn->msix_table, DMATEST_MSIX_TABLE);
	assert_int_equal(fn->msix_pba, DMATEST_MSIX_PBA);
	assert_int_not_equal(fn->pm_cap, 0);
	assert_true(fn->pm_reset);
	assert_int_equal(fn->vendor_region_size, 4096);
	assert_int_equal(fn->vendor_region_subtype, DMATEST_REGION_STATS);
}

static void test_access_sizes_and_reserved_space(void **state)
{
	struct rig *r = *state;
	struct pcifn *fn = r->fn;

	/* A 32-bit register takes only 4-byte accesses. */
	assert_int_equal(r64(r, DMATEST_REG_ID), ~0ULL);
	assert_int_equal(fn->ops->bar_read(fn, 0, DMATEST_REG_ID, 2), 0xffff);
	assert_int_equal(fn->ops->bar_read(fn, 0, DMATEST_REG_ID + 2, 4), 0xffffffff);
	/* A 64-bit register: 8 bytes or either half. */
	w32(r, QREG(0, DMATEST_Q_RING), 0x89abcde0);
	w32(r, QREG(0, DMATEST_Q_RING) + 4, 0x01234567);
	assert_int_equal(r64(r, QREG(0, DMATEST_Q_RING)), 0x0123456789abcde0ULL);
	w64(r, QREG(0, DMATEST_Q_RING), 0xfedcba9876543200ULL);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_RING)), 0x76543200);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_RING) + 4), 0xfedcba98);
	/* An 8-byte write across SIZE and CTRL is ignored. */
	w32(r, QREG(0, DMATEST_Q_SIZE), 8);
	w64(r, QREG(0, DMATEST_Q_SIZE), 0x0000000100000010ULL);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_SIZE)), 8);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_CTRL)), 0);
	/* Reserved space, and the registers of a queue that does not exist. */
	assert_int_equal(r32(r, 0x40), 0);
	assert_int_equal(r64(r, 0x40), 0);
	assert_int_equal(r32(r, DMATEST_REG_RESET), 0);
	w32(r, QREG(2, DMATEST_Q_SIZE), 8);
	assert_int_equal(r32(r, QREG(2, DMATEST_Q_SIZE)), 0);
	assert_int_equal(fn->ops->bar_read(fn, 0, DMATEST_BAR_REGS_SIZE - 4, 8), ~0ULL);
	assert_int_equal(fn->ops->bar_read(fn, 0, DMATEST_BAR_REGS_SIZE, 4), 0xffffffff);
	/* BAR2: the PBA reads empty, writes do nothing. */
	fn->ops->bar_write(fn, DMATEST_BAR_MSIX, DMATEST_MSIX_PBA, 8, ~0ULL);
	assert_int_equal(fn->ops->bar_read(fn, DMATEST_BAR_MSIX, DMATEST_MSIX_PBA, 8), 0);
}

static void test_copy_writes_record_and_advances_head(void **state)
{
	struct rig *r = *state;

	fill_bytes(r->mem + SRC_OFF, 10000, 7);
	queue_on(r, 0, 16, 0);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_HEAD)), 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COPY, .len = 10000,
					     .src = SRC, .dst = DST, .compl = COMPL(0) });
	wait_completed(r, 0, 1);
	assert_memory_equal(r->mem + DST_OFF, r->mem + SRC_OFF, 10000);
	assert_int_equal(r->mem[DST_OFF + 10000], 0);
	assert_int_equal(compl_at(r, 0)->status, DMATEST_ST_OK);
	assert_int_equal(compl_at(r, 0)->result, 10000);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_HEAD)), 1);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_TAIL)), 1);
	assert_int_equal(r64(r, QREG(0, DMATEST_Q_COMPLETED)), 1);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_STATUS)), 0);
	assert_int_equal(r32(r, DMATEST_REG_FAULTS), 0);
}

static void test_fill_repeats_the_pattern(void **state)
{
	struct rig *r = *state;
	uint64_t pattern = 0x8877665544332211ULL;
	const uint8_t bytes[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	uint32_t big = 200003; /* more than any chunk, not a multiple of 8 */

	memset(r->mem + DST_OFF, 0xee, 100 + big + 16);
	queue_on(r, 0, 16, 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_FILL, .len = 13,
					     .src = pattern, .dst = DST, .compl = COMPL(0) });
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_FILL, .len = big,
					     .src = pattern, .dst = DST + 100, .compl = COMPL(1) });
	wait_completed(r, 0, 2);
	assert_memory_equal(r->mem + DST_OFF, bytes, 8);
	assert_memory_equal(r->mem + DST_OFF + 8, bytes, 5);
	assert_int_equal(r->mem[DST_OFF + 13], 0xee);
	for (uint32_t i = 0; i < big; i++)
		if (r->mem[DST_OFF + 100 + i] != bytes[i % 8])
			fail_msg("byte %u of the fill is %#x", i, r->mem[DST_OFF + 100 + i]);
	assert_int_equal(r->mem[DST_OFF + 100 + big], 0xee);
	assert_int_equal(compl_at(r, 0)->status, DMATEST_ST_OK);
	assert_int_equal(compl_at(r, 0)->result, 13);
	assert_int_equal(compl_at(r, 1)->result, big);
}

static void test_compare_reports_the_first_difference(void **state)
{
	struct rig *r = *state;
	uint32_t len = 200000;

	fill_bytes(r->mem + SRC_OFF, len, 3);
	memcpy(r->mem + DST_OFF, r->mem + SRC_OFF, len);
	queue_on(r, 0, 16, 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COMPARE, .len = len,
					     .src = SRC, .dst = DST, .compl = COMPL(0) });
	wait_completed(r, 0, 1);
	assert_int_equal(compl_at(r, 0)->status, DMATEST_ST_OK);
	assert_int_equal(compl_at(r, 0)->result, len);

	/* Past the first 64 KiB, and a second difference after it. */
	r->mem[DST_OFF + 150001] ^= 1;
	r->mem[DST_OFF + 190000] ^= 1;
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COMPARE, .len = len,
					     .src = SRC, .dst = DST, .compl = COMPL(1) });
	wait_completed(r, 0, 2);
	assert_int_equal(compl_at(r, 1)->status, DMATEST_ST_MISMATCH);
	assert_int_equal(compl_at(r, 1)->result, 150001);
	/* The very first byte. */
	r->mem[DST_OFF] ^= 0x80;
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COMPARE, .len = len,
					     .src = SRC, .dst = DST, .compl = COMPL(2) });
	wait_completed(r, 0, 3);
	assert_int_equal(compl_at(r, 2)->status, DMATEST_ST_MISMATCH);
	assert_int_equal(compl_at(r, 2)->result, 0);

	/* A fault after the difference still makes the comparison FAULT. */
	set_perm(r, DST_OFF + 196608, PAGE, UNMAPPED);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COMPARE, .len = len,
					     .src = SRC, .dst = DST, .compl = COMPL(3) });
	wait_completed(r, 0, 4);
	assert_int_equal(compl_at(r, 3)->status, DMATEST_ST_FAULT);
	assert_int_equal(compl_at(r, 3)->result, 0);
	assert_int_equal(r32(r, DMATEST_REG_FAULTS), 1);
}

static void test_nop_and_a_descriptor_without_record(void **state)
{
	struct rig *r = *state;

	memset(r->mem + COMPL_OFF, 0xff, 64);
	compl_at(r, 0)->status = DMATEST_ST_PENDING;
	queue_on(r, 0, 16, 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .compl = COMPL(0) });
	fill_bytes(r->mem + SRC_OFF, 64, 1);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COPY, .len = 64,
					     .src = SRC, .dst = DST });
	wait_completed(r, 0, 2);
	assert_int_equal(compl_at(r, 0)->status, DMATEST_ST_OK);
	assert_int_equal(compl_at(r, 0)->rsvd, 0);
	assert_int_equal(compl_at(r, 0)->result, 0);
	assert_memory_equal(r->mem + DST_OFF, r->mem + SRC_OFF, 64);
	/* No record for the copy: the bytes after record 0 are untouched. */
	assert_int_equal(compl_at(r, 1)->status, 0xffffffff);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_HEAD)), 2);
}

static void test_bad_descriptors_complete_as_bad_desc(void **state)
{
	struct rig *r = *state;
	struct dmatest_desc bad[] = {
		{ .op = 9, .len = 8, .src = SRC, .dst = DST },
		{ .op = DMATEST_OP_COPY, .len = 0, .src = SRC, .dst = DST },
		{ .op = DMATEST_OP_FILL, .len = DMATEST_MAX_LEN + 1, .src = 1, .dst = DST },
		{ .op = DMATEST_OP_COMPARE, .len = 0, .src = SRC, .dst = DST },
	};

	fill_bytes(r->mem + SRC_OFF, 64, 5);
	queue_on(r, 0, 16, 0);
	for (unsigned int i = 0; i < 4; i++) {
		bad[i].compl = COMPL(i);
		compl_at(r, i)->result = 77;
		submit(r, 0, bad[i]);
	}
	wait_completed(r, 0, 4);
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(compl_at(r, i)->status, DMATEST_ST_BAD_DESC);
		assert_int_equal(compl_at(r, i)->result, 0);
	}
	assert_int_equal(r->mem[DST_OFF], 0);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_STATUS)), 0);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_HEAD)), 4);
	assert_int_equal(r32(r, DMATEST_REG_FAULTS), 0);
}

static void test_queues_run_independently(void **state)
{
	struct rig *r = *state;

	assert_int_equal(r32(r, DMATEST_REG_NQUEUES), 4);
	fill_bytes(r->mem + SRC_OFF, 8192, 9);
	queue_on(r, 0, 8, 0);
	queue_on(r, 3, 4, 0);
	submit(r, 3, (struct dmatest_desc){ .op = DMATEST_OP_COPY, .len = 4096,
					     .src = SRC, .dst = DST, .compl = COMPL(0) });
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COPY, .len = 4096,
					     .src = SRC + 4096, .dst = DST + 4096,
					     .compl = COMPL(1) });
	submit(r, 3, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .compl = COMPL(2) });
	wait_completed(r, 3, 2);
	wait_completed(r, 0, 1);
	assert_memory_equal(r->mem + DST_OFF, r->mem + SRC_OFF, 8192);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(compl_at(r, i)->status, DMATEST_ST_OK);
	assert_int_equal(r32(r, QREG(3, DMATEST_Q_HEAD)), 2);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_HEAD)), 1);
	assert_int_equal(r64(r, QREG(1, DMATEST_Q_COMPLETED)), 0);
	assert_int_equal(stats(r).queue_completed[3], 2);
	assert_int_equal(stats(r).queue_completed[0], 1);
}

static void test_ring_wraps_around(void **state)
{
	struct rig *r = *state;

	queue_on(r, 0, 4, 0);
	for (unsigned int i = 0; i < 3; i++)
		submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_FILL, .len = 8,
						     .src = i, .dst = DST + 8 * i,
						     .compl = COMPL(i) });
	wait_completed(r, 0, 3);
	/* A ring of 4 holds 3 outstanding descriptors; these wrap TAIL to 2. */
	for (unsigned int i = 3; i < 6; i++)
		submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_FILL, .len = 8,
						     .src = i, .dst = DST + 8 * i,
						     .compl = COMPL(i) });
	wait_completed(r, 0, 6);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_HEAD)), 2);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_TAIL)), 2);
	for (unsigned int i = 0; i < 6; i++) {
		assert_int_equal(r->mem[DST_OFF + 8 * i], i);
		assert_int_equal(compl_at(r, i)->status, DMATEST_ST_OK);
	}
}

static void test_data_fault_leaves_memory_unchanged(void **state)
{
	struct rig *r = *state;

	/* A fill over a writable page and a read-only one writes neither. */
	set_perm(r, DST_OFF + PAGE, PAGE, READONLY);
	memset(r->mem + DST_OFF, 0x5a, 2 * PAGE);
	queue_on(r, 0, 16, 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_FILL, .len = 2 * PAGE,
					     .src = 0, .dst = DST, .compl = COMPL(0) });
	wait_completed(r, 0, 1);
	assert_int_equal(compl_at(r, 0)->status, DMATEST_ST_FAULT);
	assert_int_equal(compl_at(r, 0)->result, 0);
	for (unsigned int i = 0; i < 2 * PAGE; i++)
		assert_int_equal(r->mem[DST_OFF + i], 0x5a);
	assert_int_equal(r32(r, DMATEST_REG_FAULTS), 1);
	assert_int_equal(r64(r, DMATEST_REG_FAULT_ADDR), DST);

	/* A copy from an unmapped source; the queue goes on afterwards. */
	set_perm(r, SRC_OFF + 2 * PAGE, PAGE, UNMAPPED);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COPY, .len = PAGE,
					     .src = SRC + 2 * PAGE, .dst = DST,
					     .compl = COMPL(1) });
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .compl = COMPL(2) });
	wait_completed(r, 0, 3);
	assert_int_equal(compl_at(r, 1)->status, DMATEST_ST_FAULT);
	assert_int_equal(r->mem[DST_OFF], 0x5a);
	assert_int_equal(compl_at(r, 2)->status, DMATEST_ST_OK);
	assert_int_equal(r32(r, DMATEST_REG_FAULTS), 2);
	assert_int_equal(r64(r, DMATEST_REG_FAULT_ADDR), SRC + 2 * PAGE);
	assert_int_equal(r32(r, DMATEST_REG_FAULT_ADDR + 4), (SRC + 2 * PAGE) >> 32);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_STATUS)), 0);
	assert_int_equal(locked_read(r, &r->errors), 0);
}

static void test_fetch_fault_halts_the_queue(void **state)
{
	struct rig *r = *state;

	set_perm(r, RING_OFF(0), PAGE, UNMAPPED);
	queue_on(r, 0, 16, 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .compl = COMPL(0) });
	wait_halted(r, 0);
	assert_int_equal(DMATEST_STATUS_ERROR(r32(r, QREG(0, DMATEST_Q_STATUS))),
			 DMATEST_ERR_FETCH);
	assert_false(r32(r, QREG(0, DMATEST_Q_STATUS)) & DMATEST_STATUS_BUSY);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_HEAD)), 0);
	assert_int_equal(r64(r, QREG(0, DMATEST_Q_COMPLETED)), 0);
	assert_int_equal(r32(r, DMATEST_REG_FAULTS), 1);
	assert_int_equal(r64(r, DMATEST_REG_FAULT_ADDR), RING(0));
	assert_int_equal(locked_read(r, &r->errors), 1);
	assert_non_null(strstr(r->last_error, "queue 0 halted"));
	/* A halted queue ignores its doorbell. */
	w32(r, QREG(0, DMATEST_Q_TAIL), 5);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_TAIL)), 1);

	/* Clearing ENABLE recovers; enabling again starts from 0, errors clear. */
	w32(r, QREG(0, DMATEST_Q_CTRL), 0);
	assert_false(r32(r, QREG(0, DMATEST_Q_STATUS)) & DMATEST_STATUS_HALTED);
	set_perm(r, RING_OFF(0), PAGE, READWRITE);
	queue_on(r, 0, 16, 0);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_STATUS)), 0);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_TAIL)), 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .compl = COMPL(0) });
	wait_completed(r, 0, 1);
	assert_int_equal(compl_at(r, 0)->status, DMATEST_ST_OK);
}

static void test_completion_fault_halts_the_queue(void **state)
{
	struct rig *r = *state;

	fill_bytes(r->mem + SRC_OFF, 256, 2);
	set_perm(r, COMPL_OFF, PAGE, READONLY);
	queue_on(r, 0, 16, 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COPY, .len = 256,
					     .src = SRC, .dst = DST, .compl = COMPL(0) });
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_FILL, .len = 8, .src = 1,
					     .dst = DST + 4096 });
	wait_halted(r, 0);
	assert_int_equal(DMATEST_STATUS_ERROR(r32(r, QREG(0, DMATEST_Q_STATUS))),
			 DMATEST_ERR_COMPL);
	/* The copy happened; HEAD stays on the descriptor that halted. */
	assert_memory_equal(r->mem + DST_OFF, r->mem + SRC_OFF, 256);
	assert_int_equal(compl_at(r, 0)->status, DMATEST_ST_PENDING);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_HEAD)), 0);
	assert_int_equal(r64(r, DMATEST_REG_FAULT_ADDR), COMPL(0));
	assert_int_equal(locked_read(r, &r->errors), 1);
	assert_int_equal(r->mem[DST_OFF + 4096], 0);
}

static void test_doorbell_beyond_size_halts_and_interrupts(void **state)
{
	struct rig *r = *state;

	queue_on(r, 1, 8, DMATEST_CTRL_IRQ_ENABLE);
	w32(r, QREG(1, DMATEST_Q_TAIL), 8);
	assert_int_equal(r32(r, QREG(1, DMATEST_Q_STATUS)),
			 DMATEST_STATUS_HALTED | DMATEST_ERR_DOORBELL << 8);
	assert_int_equal(r32(r, QREG(1, DMATEST_Q_TAIL)), 0);
	assert_int_equal(r32(r, DMATEST_REG_IRQ_STATUS), 1u << 1);
	assert_true(intx_level(r));
	assert_int_equal(locked_read(r, &r->errors), 1);
}

static void test_invalid_ring_halts_at_enable(void **state)
{
	struct rig *r = *state;
	struct { uint64_t ring; uint32_t size; } bad[] = {
		{ RING(0) + 8, 16 }, { RING(0), 3 }, { RING(0), 0 }, { RING(0), 8192 },
	};

	for (unsigned int i = 0; i < 4; i++) {
		w64(r, QREG(0, DMATEST_Q_RING), bad[i].ring);
		w32(r, QREG(0, DMATEST_Q_SIZE), bad[i].size);
		w32(r, QREG(0, DMATEST_Q_CTRL), DMATEST_CTRL_ENABLE);
		assert_int_equal(r32(r, QREG(0, DMATEST_Q_STATUS)),
				 DMATEST_STATUS_HALTED | DMATEST_ERR_RING << 8);
		w32(r, QREG(0, DMATEST_Q_CTRL), 0);
	}
	assert_int_equal(locked_read(r, &r->errors), 4);
	/* The largest ring is fine; RING and SIZE are frozen while enabled. */
	w64(r, QREG(0, DMATEST_Q_RING), RING(0));
	w32(r, QREG(0, DMATEST_Q_SIZE), DMATEST_MAX_RING);
	w32(r, QREG(0, DMATEST_Q_CTRL), DMATEST_CTRL_ENABLE);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_STATUS)), 0);
	w64(r, QREG(0, DMATEST_Q_RING), RING(1));
	w32(r, QREG(0, DMATEST_Q_SIZE), 4);
	assert_int_equal(r64(r, QREG(0, DMATEST_Q_RING)), RING(0));
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_SIZE)), DMATEST_MAX_RING);
	/* A disabled queue ignores its doorbell. */
	w32(r, QREG(1, DMATEST_Q_TAIL), 1);
	assert_int_equal(r32(r, QREG(1, DMATEST_Q_TAIL)), 0);
}

static void test_intx_follows_irq_status(void **state)
{
	struct rig *r = *state;

	queue_on(r, 0, 16, DMATEST_CTRL_IRQ_ENABLE);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_NOP });
	wait_completed(r, 0, 1);
	assert_int_equal(r32(r, DMATEST_REG_IRQ_STATUS), 0);
	assert_false(intx_level(r));
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .flags = DMATEST_DESC_IRQ });
	wait_completed(r, 0, 2);
	assert_int_equal(r32(r, DMATEST_REG_IRQ_STATUS), 1);
	assert_true(intx_level(r));
	assert_true(pcifn_cfg_read(r->fn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	assert_int_equal(locked_read(r, &r->msix[0]), 0);
	/* Writing a zero bit acknowledges nothing; writing the one lowers INTx. */
	w32(r, DMATEST_REG_IRQ_STATUS, 2);
	assert_true(intx_level(r));
	w32(r, DMATEST_REG_IRQ_STATUS, 1);
	assert_int_equal(r32(r, DMATEST_REG_IRQ_STATUS), 0);
	assert_false(intx_level(r));
}

static void test_msix_fires_the_queue_vector(void **state)
{
	struct rig *r = *state;

	pcifn_cfg_write(r->fn, r->fn->msix_cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	queue_on(r, 1, 16, DMATEST_CTRL_IRQ_ENABLE);
	submit(r, 1, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .flags = DMATEST_DESC_IRQ });
	submit(r, 1, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .flags = DMATEST_DESC_IRQ });
	wait_completed(r, 1, 2);
	assert_int_equal(locked_read(r, &r->msix[1]), 2);
	assert_int_equal(locked_read(r, &r->msix[0]), 0);
	assert_int_equal(r32(r, DMATEST_REG_IRQ_STATUS), 1u << 1);
	assert_false(intx_level(r));
	w32(r, DMATEST_REG_IRQ_STATUS, 1u << 1);
	assert_int_equal(r32(r, DMATEST_REG_IRQ_STATUS), 0);
}

static void test_no_interrupt_without_irq_enable(void **state)
{
	struct rig *r = *state;

	queue_on(r, 0, 16, 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .flags = DMATEST_DESC_IRQ });
	wait_completed(r, 0, 1);
	w32(r, QREG(0, DMATEST_Q_TAIL), 16); /* a halt */
	assert_true(r32(r, QREG(0, DMATEST_Q_STATUS)) & DMATEST_STATUS_HALTED);
	assert_int_equal(r32(r, DMATEST_REG_IRQ_STATUS), 0);
	assert_false(intx_level(r));
	pcifn_cfg_write(r->fn, r->fn->msix_cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	w32(r, QREG(0, DMATEST_Q_CTRL), 0);
	queue_on(r, 0, 16, 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .flags = DMATEST_DESC_IRQ });
	wait_completed(r, 0, 2);
	assert_int_equal(locked_read(r, &r->msix[0]), 0);
	assert_int_equal(r32(r, DMATEST_REG_IRQ_STATUS), 0);
}

/* Leave state behind: a completed descriptor, a fault, an interrupt. */
static void make_history(struct rig *r)
{
	set_perm(r, DST_OFF, PAGE, READONLY);
	queue_on(r, 0, 16, DMATEST_CTRL_IRQ_ENABLE);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_FILL, .len = 8, .src = 1,
					     .dst = DST, .flags = DMATEST_DESC_IRQ });
	wait_completed(r, 0, 1);
	assert_int_equal(r32(r, DMATEST_REG_FAULTS), 1);
	assert_true(intx_level(r));
}

static void assert_cleared(struct rig *r)
{
	for (unsigned int q = 0; q < 2; q++) {
		assert_int_equal(r64(r, QREG(q, DMATEST_Q_RING)), 0);
		assert_int_equal(r32(r, QREG(q, DMATEST_Q_SIZE)), 0);
		assert_int_equal(r32(r, QREG(q, DMATEST_Q_CTRL)), 0);
		assert_int_equal(r32(r, QREG(q, DMATEST_Q_TAIL)), 0);
		assert_int_equal(r32(r, QREG(q, DMATEST_Q_HEAD)), 0);
		assert_int_equal(r32(r, QREG(q, DMATEST_Q_STATUS)), 0);
		assert_int_equal(r64(r, QREG(q, DMATEST_Q_COMPLETED)), 0);
	}
	assert_int_equal(r32(r, DMATEST_REG_IRQ_STATUS), 0);
	assert_int_equal(r32(r, DMATEST_REG_FAULTS), 0);
	assert_int_equal(r64(r, DMATEST_REG_FAULT_ADDR), 0);
	assert_false(intx_level(r));
	assert_int_equal(r32(r, DMATEST_REG_ID), DMATEST_ID);
}

static void test_ops_reset_clears_registers(void **state)
{
	struct rig *r = *state;

	make_history(r);
	r->fn->ops->reset(r->fn);
	assert_cleared(r);
	assert_int_equal(stats(r).resets, 1);
	assert_int_equal(stats(r).descriptors, 1); /* history survives */
	assert_int_equal(stats(r).faults, 1);
}

static void test_reset_register_waits_for_the_descriptor_in_flight(void **state)
{
	struct rig *r = *state;

	make_history(r);
	w32(r, DMATEST_REG_RESET, DMATEST_RESET_MAGIC ^ 1);
	assert_int_equal(r32(r, DMATEST_REG_FAULTS), 1);
	set_perm(r, DST_OFF, PAGE, READWRITE);
	r->copy_sleep_us = 300000;
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COPY, .len = 64,
					     .src = SRC, .dst = DST, .compl = COMPL(0),
					     .flags = DMATEST_DESC_IRQ });
	wait_copy_started(r);
	w32(r, DMATEST_REG_RESET, DMATEST_RESET_MAGIC);
	assert_int_equal(locked_read(r, &r->copies_active), 0);
	assert_int_equal(locked_read(r, &r->copies_done), 1);
	assert_cleared(r);
	assert_int_equal(stats(r).resets, 1);
	assert_int_equal(stats(r).descriptors, 2);
}

static void test_disable_waits_for_the_descriptor_in_flight(void **state)
{
	struct rig *r = *state;

	r->copy_sleep_us = 300000;
	queue_on(r, 0, 16, 0);
	for (unsigned int i = 0; i < 2; i++)
		submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COPY, .len = 64,
						     .src = SRC, .dst = DST + 64 * i,
						     .compl = COMPL(i) });
	wait_copy_started(r);
	assert_true(r32(r, QREG(0, DMATEST_Q_STATUS)) & DMATEST_STATUS_BUSY);
	w32(r, QREG(0, DMATEST_Q_CTRL), 0);
	assert_int_equal(locked_read(r, &r->copies_active), 0);
	assert_int_equal(locked_read(r, &r->copies_started), 1);
	assert_int_equal(compl_at(r, 0)->status, DMATEST_ST_OK);
	assert_int_equal(compl_at(r, 1)->status, DMATEST_ST_PENDING);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_HEAD)), 1);
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_STATUS)), 0);
}

static void test_delay_precedes_each_descriptor(void **state)
{
	struct rig *r = *state;
	uint64_t start;

	queue_on(r, 0, 16, 0);
	start = now_ms();
	for (unsigned int i = 0; i < 3; i++)
		submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .compl = COMPL(i) });
	wait_completed(r, 0, 3);
	assert_true(now_ms() - start >= 300);
	assert_int_equal(compl_at(r, 2)->status, DMATEST_ST_OK);
}

static void test_pm_transition_resets_the_function(void **state)
{
	struct rig *r = *state;
	unsigned int pmctrl = r->fn->pm_cap + PCI_PM_CTRL;

	make_history(r);
	pcifn_cfg_write(r->fn, pmctrl, 2, 3); /* D3hot */
	assert_int_equal(r32(r, QREG(0, DMATEST_Q_CTRL)),
			 DMATEST_CTRL_ENABLE | DMATEST_CTRL_IRQ_ENABLE);
	assert_int_equal(stats(r).resets, 0);
	pcifn_cfg_write(r->fn, pmctrl, 2, 0); /* D0 */
	assert_cleared(r);
	assert_int_equal(stats(r).resets, 1);
}

/* Back to the saved state, by the batch or by 64 single writes, from
 * INTx masked with the line up and BAR 0 cleared, in D3hot or in D0. */
static void restore_from(struct rig *r, bool batch, bool d3)
{
	uint8_t saved[PCIFN_CFG_SIZE];

	pcifn_cfg_snapshot(r->fn, saved);
	if (d3)
		pcifn_cfg_write(r->fn, r->fn->pm_cap + PCI_PM_CTRL, 2, 3);
	pcifn_cfg_write(r->fn, PCI_COMMAND, 2,
			PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	pcifn_cfg_write(r->fn, PCI_BASE_ADDRESS_0, 4, 0);
	pcifn_set_intx(r->fn, true);
	assert_false(intx_level(r));
	if (batch) {
		pcifn_cfg_restore(r->fn, saved);
		return;
	}
	for (unsigned int off = 0; off < PCIFN_CFG_SIZE; off += 4)
		pcifn_cfg_write(r->fn, off, 4, saved[off] | saved[off + 1] << 8 |
						       saved[off + 2] << 16 |
						       (uint32_t)saved[off + 3] << 24);
}

static void restore_both_ways(struct rig *batch, bool d3)
{
	struct rig *single = rig_new("");
	uint8_t a[PCIFN_CFG_SIZE], b[PCIFN_CFG_SIZE];

	restore_from(batch, true, d3);
	restore_from(single, false, d3);
	pcifn_cfg_snapshot(batch->fn, a);
	pcifn_cfg_snapshot(single->fn, b);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(pcifn_cfg_read(batch->fn, PCI_COMMAND, 2),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_not_equal(pcifn_cfg_read(batch->fn, PCI_BASE_ADDRESS_0, 4), 0);
	assert_int_equal(stats(batch).resets, stats(single).resets);
	assert_int_equal(stats(batch).resets, d3);
	assert_int_equal(intx_level(batch), intx_level(single));
	teardown((void **)&single);
}

/* Unmasking INTx with the line up raises it at the host. */
static void test_cfg_restore_raises_unmasked_intx(void **state)
{
	struct rig *r = *state;

	restore_both_ways(r, false);
	assert_true(intx_level(r));
}

/* The D3hot->D0 dword resets the function (which lowers INTx) before the
 * dwords after it land. */
static void test_cfg_restore_from_d3hot_resets_in_order(void **state)
{
	struct rig *r = *state;

	restore_both_ways(r, true);
	assert_false(intx_level(r));
}

/* A dword already equal to its saved value is not written, as in Linux:
 * a write-1-to-clear status bit set in both stays set, while the dwords
 * that differ are written back. */
static void test_cfg_restore_leaves_equal_dwords_alone(void **state)
{
	struct rig *r = *state;
	uint8_t saved[PCIFN_CFG_SIZE];
	uint32_t bar0 = pcifn_cfg_read(r->fn, PCI_BASE_ADDRESS_0, 4);
	uint16_t status;

	pthread_mutex_lock(&r->fn->lock);
	r->fn->cfg[PCI_STATUS + 1] |= PCI_STATUS_REC_MASTER_ABORT >> 8;
	pthread_mutex_unlock(&r->fn->lock);
	pcifn_cfg_snapshot(r->fn, saved);
	pcifn_cfg_write(r->fn, PCI_BASE_ADDRESS_0, 4, 0);
	pcifn_cfg_restore(r->fn, saved);
	assert_int_equal(pcifn_cfg_read(r->fn, PCI_BASE_ADDRESS_0, 4), bar0);
	status = pcifn_cfg_read(r->fn, PCI_STATUS, 2);
	assert_true(status & PCI_STATUS_REC_MASTER_ABORT);
	/* Written, the same dword would clear it. */
	pcifn_cfg_write(r->fn, PCI_COMMAND, 4, pcifn_cfg_read(r->fn, PCI_COMMAND, 4));
	assert_false(pcifn_cfg_read(r->fn, PCI_STATUS, 2) & PCI_STATUS_REC_MASTER_ABORT);
}

static void test_vendor_region_holds_the_stats(void **state)
{
	struct rig *r = *state;
	uint8_t region[4096];
	struct dmatest_stats s;
	uint64_t pair[2];

	fill_bytes(r->mem + SRC_OFF, 5000, 4);
	memcpy(r->mem + DST_OFF + 8192, r->mem + SRC_OFF, 100);
	r->mem[DST_OFF + 8192 + 50] ^= 1;
	set_perm(r, DST_OFF + 16384, PAGE, UNMAPPED);
	queue_on(r, 0, 16, 0);
	queue_on(r, 1, 16, 0);
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COPY, .len = 5000,
					     .src = SRC, .dst = DST });
	submit(r, 0, (struct dmatest_desc){ .op = DMATEST_OP_COMPARE, .len = 100,
					     .src = SRC, .dst = DST + 8192 });
	submit(r, 1, (struct dmatest_desc){ .op = DMATEST_OP_FILL, .len = 1000,
					     .src = 7, .dst = DST + 12288 });
	submit(r, 1, (struct dmatest_desc){ .op = DMATEST_OP_FILL, .len = 8,
					     .src = 7, .dst = DST + 16384 });
	submit(r, 1, (struct dmatest_desc){ .op = DMATEST_OP_NOP, .len = 0 });
	wait_completed(r, 0, 2);
	wait_completed(r, 1, 3);

	memset(region, 0xcc, sizeof(region));
	r->fn->ops->vendor_read(r->fn, 0, region, sizeof(region));
	memcpy(&s, region, sizeof(s));
	assert_int_equal(s.descriptors, 5);
	assert_int_equal(s.bytes, 5000 + 100 + 1000);
	assert_int_equal(s.faults, 1);
	assert_int_equal(s.resets, 0);
	assert_int_equal(s.queue_completed[0], 2);
	assert_int_equal(s.queue_completed[1], 3);
	assert_int_equal(s.queue_completed[2], 0);
	for (size_t i = sizeof(s); i < sizeof(region); i++)
		assert_int_equal(region[i], 0);
	/* A read at an offset, and one past the structure. */
	r->fn->ops->vendor_read(r->fn, offsetof(struct dmatest_stats, bytes), pair,
				sizeof(pair));
	assert_int_equal(pair[0], 6100);
	assert_int_equal(pair[1], 1);
	memset(pair, 0xcc, sizeof(pair));
	r->fn->ops->vendor_read(r->fn, 4080, pair, sizeof(pair));
	assert_int_equal(pair[0], 0);
	assert_int_equal(pair[1], 0);
}

static void expect_refusal(const char *spec, const char *msg)
{
	struct pcifn *fn = NULL;
	char err[128] = "";

	assert_int_equal(create(spec, &fn, err, sizeof(err)), -EINVAL);
	assert_null(fn);
	assert_string_equal(err, msg);
}

static void test_options_are_checked(void **state)
{
	struct pcifn *fn;
	char err[128] = "";

	(void)state;
	expect_refusal("queues=0", "queues=0: expected a number from 1 to 16");
	expect_refusal("queues=17", "queues=17: expected a number from 1 to 16");
	expect_refusal("delay=10000001", "delay=10000001: expected a number from 0 to 10000000");
	expect_refusal("queues=2,colour=red", "dmatest has no option 'colour'");
	assert_int_equal(create("queues=16,delay=5", &fn, err, sizeof(err)), 0);
	assert_int_equal(fn->ops->bar_read(fn, 0, DMATEST_REG_NQUEUES, 4), 16);
	assert_int_equal(fn->msix_vectors, 16);
	fn->ops->bar_write(fn, 0, QREG(15, DMATEST_Q_SIZE), 4, 64);
	assert_int_equal(fn->ops->bar_read(fn, 0, QREG(15, DMATEST_Q_SIZE), 4), 64);
	fn->ops->destroy(fn);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_and_capabilities),
		T(test_access_sizes_and_reserved_space),
		T(test_copy_writes_record_and_advances_head),
		T(test_fill_repeats_the_pattern),
		T(test_compare_reports_the_first_difference),
		T(test_nop_and_a_descriptor_without_record),
		T(test_bad_descriptors_complete_as_bad_desc),
		cmocka_unit_test_setup_teardown(test_queues_run_independently,
						setup_four_queues, teardown),
		T(test_ring_wraps_around),
		T(test_data_fault_leaves_memory_unchanged),
		T(test_fetch_fault_halts_the_queue),
		T(test_completion_fault_halts_the_queue),
		T(test_doorbell_beyond_size_halts_and_interrupts),
		T(test_invalid_ring_halts_at_enable),
		T(test_intx_follows_irq_status),
		T(test_msix_fires_the_queue_vector),
		T(test_no_interrupt_without_irq_enable),
		T(test_ops_reset_clears_registers),
		T(test_reset_register_waits_for_the_descriptor_in_flight),
		T(test_disable_waits_for_the_descriptor_in_flight),
		cmocka_unit_test_setup_teardown(test_delay_precedes_each_descriptor,
						setup_delay, teardown),
		T(test_pm_transition_resets_the_function),
		T(test_cfg_restore_raises_unmasked_intx),
		T(test_cfg_restore_from_d3hot_resets_in_order),
		T(test_cfg_restore_leaves_equal_dwords_alone),
		T(test_vendor_region_holds_the_stats),
		cmocka_unit_test(test_options_are_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
