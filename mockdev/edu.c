// SPDX-License-Identifier: MIT
/*
 * edu: register-compatible with QEMU's educational PCI device (1234:11e8),
 * so that one driver runs unchanged here and against QEMU behind a real
 * kernel.  Facts from ../shared/spec/edu.md; the code is this project's.
 *
 * BAR0 (1 MiB): identification, liveness, factorial (computed on the
 * device's thread), interrupt raise/acknowledge, and a DMA engine that moves
 * up to 4 KiB between an IOVA and the device's buffer (device addresses
 * 0x40000-0x40fff) some time after it is started.  Interrupts go through
 * MSI when the host enabled it, else INTx (level, until acknowledged).
 *
 * Where QEMU's device would corrupt itself (a DMA outside its buffer), this
 * one drops the transfer and reports a device error.  Every DMA goes through
 * the DMA engine: an IOMMU fault leaves memory untouched and is reported.
 *
 * Options: dma_delay=US (time from start to completion, default 1000; QEMU
 * uses 100 ms of virtual time), dma_mask=BITS (default 28).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "worker.h"

#define EDU_ID 0x010000edu
#define FACT_IRQ 0x00000001u
#define DMA_IRQ 0x00000100u
#define DMA_START 0x40000u
#define DMA_SIZE 4096u

#define STATUS_COMPUTING 0x01u
#define STATUS_IRQFACT 0x80u

#define DMA_RUN 0x1u
#define DMA_TO_RAM 0x2u /* direction bit: device to RAM */
#define DMA_IRQ_EN 0x4u

enum { JOB_FACT, JOB_DMA };

struct edu {
	struct pcifn fn;
	pthread_mutex_t lock;
	struct worker *worker;
	uint64_t dma_delay_us;
	uint64_t dma_mask;
	uint32_t addr4;
	uint32_t fact;
	uint32_t status;
	uint32_t irq_status;
	uint64_t src, dst, cnt, cmd;
	uint8_t buf[DMA_SIZE];
};

static struct edu *edu_of(struct pcifn *fn)
{
	return (struct edu *)fn;
}

/* Interrupt lines follow irq_status; with MSI each raise is a message. */
static void raise_irq(struct edu *e, uint32_t val)
{
	bool msi = pcifn_msi_enabled(&e->fn);

	e->irq_status |= val;
	if (!e->irq_status)
		return;
	if (msi)
		pcifn_notify(&e->fn, 0);
	else
		pcifn_set_intx(&e->fn, true);
}

static void lower_irq(struct edu *e, uint32_t val)
{
	e->irq_status &= ~val;
	if (!e->irq_status && !pcifn_msi_enabled(&e->fn))
		pcifn_set_intx(&e->fn, false);
}

static void fact_job(void *arg)
{
	struct edu *e = arg;
	uint32_t n, r = 1;

	pthread_mutex_lock(&e->lock);
	for (n = e->fact; n > 0; n--)
		r *= n;
	e->fact = r;
	e->status &= ~STATUS_COMPUTING;
	if (e->status & STATUS_IRQFACT)
		raise_irq(e, FACT_IRQ);
	pthread_mutex_unlock(&e->lock);
}

/* The device side of a transfer must lie inside the 4 KiB buffer. */
static bool in_buffer(uint64_t addr, uint64_t len)
{
	return addr >= DMA_START && len <= DMA_SIZE && addr - DMA_START <= DMA_SIZE - len;
}

static void dma_job(void *arg)
{
	struct edu *e = arg;
	bool to_ram;
	uint64_t dev, ram;
	int rc;

	pthread_mutex_lock(&e->lock);
	if (!(e->cmd & DMA_RUN)) {
		pthread_mutex_unlock(&e->lock);
		return;
	}
	to_ram = e->cmd & DMA_TO_RAM;
	dev = to_ram ? e->src : e->dst;
	ram = (to_ram ? e->dst : e->src) & e->dma_mask;
	if (!in_buffer(dev, e->cnt)) {
		pcifn_error(&e->fn, "edu: DMA of %#llx bytes at device address %#llx is "
			    "outside its buffer (0x40000-0x40fff); transfer dropped",
			    (unsigned long long)e->cnt, (unsigned long long)dev);
	} else if (to_ram) {
		rc = pcifn_dma_write(&e->fn, ram, e->buf + (dev - DMA_START), e->cnt);
		if (rc)
			pcifn_error(&e->fn, "edu: DMA write to IOVA %#llx failed",
				    (unsigned long long)ram);
	} else {
		rc = pcifn_dma_read(&e->fn, ram, e->buf + (dev - DMA_START), e->cnt);
		if (rc)
			pcifn_error(&e->fn, "edu: DMA read from IOVA %#llx failed",
				    (unsigned long long)ram);
	}
	e->cmd &= ~DMA_RUN;
	pcifn_dma_inflight(&e->fn, 0, 0, 0);
	if (e->cmd & DMA_IRQ_EN)
		raise_irq(e, DMA_IRQ);
	pthread_mutex_unlock(&e->lock);
}

/* Accesses below 0x80 are 4 bytes; from 0x80 up, 4 or 8. */
static bool size_ok(uint64_t off, unsigned int size)
{
	return off < 0x80 ? size == 4 : size == 4 || size == 8;
}

static uint64_t edu_read(struct pcifn *fn, int bar, uint64_t off, unsigned int size)
{
	struct edu *e = edu_of(fn);
	uint64_t val = ~0ULL;

	/* The bus refuses 1- and 2-byte accesses (QEMU's edu accepts 4 and 8
	 * only): they read 0 and never reach the registers. */
	if (size < 4)
		return 0;
	if (bar != 0 || !size_ok(off, size))
		return val;
	pthread_mutex_lock(&e->lock);
	switch (off) {
	case 0x00: val = EDU_ID; break;
	case 0x04: val = e->addr4; break;
	case 0x08: val = e->fact; break;
	case 0x20: val = e->status; break;
	case 0x24: val = e->irq_status; break;
	case 0x80: val = e->src; break;
	case 0x88: val = e->dst; break;
	case 0x90: val = e->cnt; break;
	case 0x98: val = e->cmd; break;
	}
	pthread_mutex_unlock(&e->lock);
	return size == 4 ? val & 0xffffffffu : val;
}

static void write_dma_reg(struct edu *e, uint64_t *reg, uint64_t val)
{
	if (!(e->cmd & DMA_RUN))
		*reg = val;
}

static void edu_write(struct pcifn *fn, int bar, uint64_t off, unsigned int size,
		      uint64_t val)
{
	struct edu *e = edu_of(fn);

	if (bar != 0 || !size_ok(off, size))
		return;
	if (size == 4)
		val &= 0xffffffffu;
	pthread_mutex_lock(&e->lock);
	switch (off) {
	case 0x04:
		e->addr4 = ~(uint32_t)val;
		break;
	case 0x08:
		if (e->status & STATUS_COMPUTING)
			break;
		e->fact = (uint32_t)val;
		e->status |= STATUS_COMPUTING;
		worker_schedule(e->worker, JOB_FACT, 0, fact_job, e);
		break;
	case 0x20:
		if (val & STATUS_IRQFACT)
			e->status |= STATUS_IRQFACT;
		else
			e->status &= ~STATUS_IRQFACT;
		break;
	case 0x60:
		raise_irq(e, (uint32_t)val);
		break;
	case 0x64:
		lower_irq(e, (uint32_t)val);
		break;
	case 0x80: write_dma_reg(e, &e->src, val); break;
	case 0x88: write_dma_reg(e, &e->dst, val); break;
	case 0x90: write_dma_reg(e, &e->cnt, val); break;
	case 0x98:
		if (!(val & DMA_RUN) || (e->cmd & DMA_RUN))
			break;
		e->cmd = val;
		/* The RAM side is committed from now until the transfer ends. */
		pcifn_dma_inflight(&e->fn, 0, ((val & DMA_TO_RAM) ? e->dst : e->src) & e->dma_mask,
				   e->cnt);
		worker_schedule(e->worker, JOB_DMA, e->dma_delay_us, dma_job, e);
		break;
	}
	pthread_mutex_unlock(&e->lock);
}

static void edu_reset(struct pcifn *fn)
{
	struct edu *e = edu_of(fn);

	worker_cancel(e->worker, JOB_DMA);
	pcifn_dma_inflight(&e->fn, 0, 0, 0);
	pthread_mutex_lock(&e->lock);
	e->addr4 = e->fact = e->status = e->irq_status = 0;
	e->src = e->dst = e->cnt = e->cmd = 0;
	memset(e->buf, 0, sizeof(e->buf));
	pthread_mutex_unlock(&e->lock);
}

static void edu_destroy(struct pcifn *fn)
{
	struct edu *e = edu_of(fn);

	worker_stop(e->worker);
	pthread_mutex_destroy(&e->lock);
	pcifn_fini(fn);
	free(e);
}

static const struct pcifn_ops edu_ops = {
	.bar_read = edu_read,
	.bar_write = edu_write,
	.reset = edu_reset,
	.destroy = edu_destroy,
};

static int edu_create(struct model_opts *o, uint64_t bar_base, struct pcifn **out)
{
	uint64_t delay, mask_bits;
	struct edu *e;
	int rc;

	rc = model_opt_u64(o, "dma_delay", 1000, 0, 10000000, &delay);
	if (!rc)
		rc = model_opt_u64(o, "dma_mask", 28, 12, 64, &mask_bits);
	if (!rc)
		rc = model_opts_check(o, "edu");
	if (rc)
		return rc;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	rc = worker_start(&e->worker);
	if (rc) {
		free(e);
		return rc;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->dma_delay_us = delay;
	e->dma_mask = mask_bits == 64 ? ~0ULL : (1ULL << mask_bits) - 1;
	/* Revision 0x10, one 1 MiB memory BAR, MSI.  QEMU's edu sets the word
	 * at 0x0a to "other" (0x00ff): sub-class 0xff under base class 0x00,
	 * class code 0x00ff00 (not 0xff0000), which drivers and lspci see. */
	pcifn_init(&e->fn, &edu_ops, "edu", 0x1234, 0x11e8, 0x10, 0x00ff00);
	pcifn_add_bar(&e->fn, 0, 1 << 20, false, bar_base);
	pcifn_add_msi(&e->fn, 0, true);
	*out = &e->fn;
	return 0;
}

const struct model edu_model = {
	.name = "edu",
	.help = "QEMU's educational device (1234:11e8): factorial, DMA, INTx/MSI; "
		"options dma_delay=US, dma_mask=BITS",
	.create = edu_create,
};
