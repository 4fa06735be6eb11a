// SPDX-License-Identifier: MIT
/*
 * dmatest: the DMA test device whose register interface
 * include/iommufd_emu/dmatest.h specifies.  Drivers fill descriptor rings in
 * IOVA space and ring doorbells; the device executes the descriptors on its
 * worker thread, through the DMA engine, as hardware would.
 *
 * Processing: a doorbell schedules its queue's job (worker key = queue
 * index) after delay= microseconds.  A job runs up to JOB_BATCH descriptors
 * (one when there is a delay, so that each descriptor waits it) and then
 * reschedules itself while work remains, so that busy queues take turns.  A
 * descriptor is fetched, executed and its completion record written without
 * the lock; then, under the lock, HEAD advances or the queue halts.  A queue
 * halted by a descriptor fetch or completion record keeps HEAD on that
 * descriptor, so the driver can tell which one it was.
 *
 * Locking: one mutex, d->lock, guards the registers and the statistics.  DMA
 * is never made with it held, so register reads do not wait for a 64 MiB
 * copy.  d->inflight names the queue whose descriptor the worker is
 * executing; turning a queue on or off, and a reset, first stop the queues
 * concerned from starting anything new, then wait on d->idle until none of
 * their descriptors is in flight: when the register write or the reset
 * returns, the device makes no more DMA for them.  Lock order: d->lock, then
 * fn->lock (taken by the pcifn_* calls, interrupt delivery included), then
 * the worker's lock.  Because those waits depend on the worker finishing a
 * DMA, their callers must not hold a lock the DMA engine needs.
 *
 * Choices the header leaves open:
 * - FILL's pattern is the src field itself: byte i of dst gets byte i % 8 of
 *   the descriptor's src field as stored in memory.
 * - A COPY the DMA engine refuses reports src in FAULT_ADDR: the engine does
 *   not say which side it refused, and probing would log a second fault.
 * - FAULTS and FAULT_ADDR count every refused transfer, descriptor fetches
 *   and completion records included.
 * - The statistics of the vendor region are cumulative across resets (a
 *   reset clears registers, not history); bytes adds the len of each COPY,
 *   FILL and COMPARE that completes without a fault.
 * - The halves of a 64-bit register are independent: no latching.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_emu/dmatest.h"
#include "model.h"
#include "worker.h"

#define MSIX_BAR_OFFSET 0x10000u       /* BAR2's host address, past BAR0 */
#define QUEUE_STRIDE (DMATEST_QUEUE(1) - DMATEST_QUEUE(0))
#define JOB_BATCH 64
#define COMPARE_CHUNK (64u << 10)
#define STATS_REGION_SIZE 4096
#define MAX_DELAY_US 10000000

struct dmatest;

struct queue {
	struct dmatest *dev;
	unsigned int index;
	uint64_t ring;
	uint32_t size, ctrl, tail, head;
	bool halted;
	uint8_t error;             /* enum dmatest_error, kept until enable */
	bool scheduled;            /* its job is pending or running */
	uint64_t completed;
};

struct dmatest {
	struct pcifn fn;
	pthread_mutex_t lock;
	pthread_cond_t idle;       /* signalled when inflight becomes NULL */
	struct worker *worker;
	unsigned int nqueues;
	uint64_t delay_us;
	struct queue *inflight;    /* whose descriptor the worker is executing */
	uint32_t irq_status;
	uint32_t faults;
	uint64_t fault_addr;
	struct dmatest_stats stats;
	struct queue q[DMATEST_MAX_QUEUES];
	uint8_t cmp[2][COMPARE_CHUNK]; /* the worker's COMPARE buffers */
};

static struct dmatest *dmatest_of(struct pcifn *fn)
{
	return (struct dmatest *)fn;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static bool queue_enabled(const struct queue *q)
{
	return q->ctrl & DMATEST_CTRL_ENABLE;
}

static bool queue_busy(const struct queue *q)
{
	return queue_enabled(q) && !q->halted && q->head != q->tail;
}

/* What the queue commits the device to: its ring while it has work (slot
 * q), the buffers of the descriptor it executes (slots 16+q, 32+q). */
static void note_ring(struct dmatest *d, struct queue *q)
{
	pcifn_dma_inflight(&d->fn, q->index, q->ring,
			   queue_busy(q) ? (uint64_t)q->size * sizeof(struct dmatest_desc) : 0);
}

static void note_buffers(struct dmatest *d, const struct queue *q,
			 const struct dmatest_desc *desc)
{
	bool copies = desc && (desc->op == DMATEST_OP_COPY || desc->op == DMATEST_OP_COMPARE);
	bool writes = desc && desc->op != DMATEST_OP_NOP;

	pcifn_dma_inflight(&d->fn, DMATEST_MAX_QUEUES + q->index, copies ? desc->src : 0,
			   copies ? desc->len : 0);
	pcifn_dma_inflight(&d->fn, 2 * DMATEST_MAX_QUEUES + q->index, writes ? desc->dst : 0,
			   writes ? desc->len : 0);
}

static uint32_t queue_status(const struct queue *q)
{
	return (queue_busy(q) ? DMATEST_STATUS_BUSY : 0) |
	       (q->halted ? DMATEST_STATUS_HALTED : 0) | (uint32_t)q->error << 8;
}

/* IRQ_STATUS records the cause; MSI-X sends one message per event, while
 * INTx is a level that stays up until IRQ_STATUS is acknowledged. */
static void raise_irq(struct dmatest *d, struct queue *q)
{
	if (!(q->ctrl & DMATEST_CTRL_IRQ_ENABLE))
		return;
	d->irq_status |= 1u << q->index;
	if (pcifn_msix_enabled(&d->fn))
		pcifn_notify(&d->fn, q->index);
	else
		pcifn_set_intx(&d->fn, true);
}

static void ack_irq(struct dmatest *d, uint32_t bits)
{
	d->irq_status &= ~bits;
	if (!d->irq_status)
		pcifn_set_intx(&d->fn, false);
}

/* Callers report the cause with pcifn_error first. */
static void halt(struct dmatest *d, struct queue *q, enum dmatest_error err)
{
	q->halted = true;
	q->error = err;
	note_ring(d, q);
	raise_irq(d, q);
}

static void queue_job(void *arg);

/* Only an idle queue is scheduled: rescheduling a pending job would push
 * its deadline back, and doorbells faster than delay= would starve it. */
static void kick(struct dmatest *d, struct queue *q)
{
	if (q->scheduled || !queue_busy(q))
		return;
	q->scheduled = true;
	worker_schedule(d->worker, q->index, d->delay_us, queue_job, q);
}

/* The worker starts nothing new on q; a descriptor in flight finishes. */
static void stop_queue(struct dmatest *d, struct queue *q)
{
	q->ctrl &= ~DMATEST_CTRL_ENABLE;
	q->scheduled = false;
	worker_cancel(d->worker, q->index);
}

/* Until no descriptor of q (of any queue, if q is NULL) is in flight. */
static void wait_idle(struct dmatest *d, const struct queue *q)
{
	while (d->inflight && (!q || d->inflight == q))
		pthread_cond_wait(&d->idle, &d->lock);
}

/* DMA through the engine; a refusal is counted where the transfer began. */
static void note_fault(struct dmatest *d, uint64_t addr)
{
	pthread_mutex_lock(&d->lock);
	d->faults++;
	d->fault_addr = addr;
	d->stats.faults++;
	pthread_mutex_unlock(&d->lock);
}

static int dev_read(struct dmatest *d, uint64_t addr, void *buf, uint64_t len)
{
	int rc = pcifn_dma_read(&d->fn, addr, buf, len);

	if (rc)
		note_fault(d, addr);
	return rc;
}

static int dev_write(struct dmatest *d, uint64_t addr, const void *buf, uint64_t len)
{
	int rc = pcifn_dma_write(&d->fn, addr, buf, len);

	if (rc)
		note_fault(d, addr);
	return rc;
}

static int dev_copy(struct dmatest *d, uint64_t dst, uint64_t src, uint64_t len)
{
	int rc = pcifn_dma_copy(&d->fn, dst, src, len);

	if (rc)
		note_fault(d, src);
	return rc;
}

static struct dmatest_compl outcome(uint32_t status, uint64_t result)
{
	return (struct dmatest_compl){ .status = status, .result = result };
}

static bool desc_valid(const struct dmatest_desc *desc)
{
	return desc->op <= DMATEST_OP_COMPARE && desc->len <= DMATEST_MAX_LEN &&
	       (desc->len || desc->op == DMATEST_OP_NOP);
}

/* The whole fill is built in one buffer and written by one transfer, which
 * the DMA engine makes all or nothing: a fault anywhere in dst leaves all of
 * it unchanged, which writing chunk by chunk could not promise.  len is at
 * most DMATEST_MAX_LEN. */
static struct dmatest_compl do_fill(struct dmatest *d, const struct dmatest_desc *desc)
{
	uint8_t *buf = malloc(desc->len);
	uint64_t n;
	int rc;

	if (!buf) {
		pcifn_error(&d->fn, "dmatest: no memory for a FILL of %u bytes",
			    desc->len);
		return outcome(DMATEST_ST_FAULT, 0);
	}
	memcpy(buf, &desc->src, min_u64(sizeof(desc->src), desc->len));
	for (n = sizeof(desc->src); n < desc->len; n *= 2)
		memcpy(buf + n, buf, min_u64(n, desc->len - n));
	rc = dev_write(d, desc->dst, buf, desc->len);
	free(buf);
	return rc ? outcome(DMATEST_ST_FAULT, 0) : outcome(DMATEST_ST_OK, desc->len);
}

/* Offset of the first differing byte, or n. */
static uint64_t first_difference(const uint8_t *a, const uint8_t *b, uint64_t n)
{
	uint64_t i = 0;

	if (!memcmp(a, b, n))
		return n;
	while (a[i] == b[i])
		i++;
	return i;
}

/* Both buffers are read to the end, even past a difference, so that a fault
 * anywhere in them gives FAULT whatever the data; reads change nothing, so
 * chunks are safe. */
static struct dmatest_compl do_compare(struct dmatest *d, const struct dmatest_desc *desc)
{
	uint64_t first = desc->len, off, n, i;

	for (off = 0; off < desc->len; off += n) {
		n = min_u64(COMPARE_CHUNK, desc->len - off);
		if (dev_read(d, desc->src + off, d->cmp[0], n) ||
		    dev_read(d, desc->dst + off, d->cmp[1], n))
			return outcome(DMATEST_ST_FAULT, 0);
		i = first_difference(d->cmp[0], d->cmp[1], n);
		if (first == desc->len && i < n)
			first = off + i;
	}
	if (first == desc->len)
		return outcome(DMATEST_ST_OK, desc->len);
	return outcome(DMATEST_ST_MISMATCH, first);
}

static struct dmatest_compl execute(struct dmatest *d, const struct dmatest_desc *desc)
{
	if (!desc_valid(desc))
		return outcome(DMATEST_ST_BAD_DESC, 0);
	switch (desc->op) {
	case DMATEST_OP_COPY:
		if (dev_copy(d, desc->dst, desc->src, desc->len))
			return outcome(DMATEST_ST_FAULT, 0);
		return outcome(DMATEST_ST_OK, desc->len);
	case DMATEST_OP_FILL:
		return do_fill(d, desc);
	case DMATEST_OP_COMPARE:
		return do_compare(d, desc);
	}
	return outcome(DMATEST_ST_OK, 0); /* NOP */
}

/* HEAD moves past a descriptor that completed, whatever its status. */
static void retire(struct dmatest *d, struct queue *q, const struct dmatest_desc *desc,
		   const struct dmatest_compl *c, uint32_t size)
{
	q->head = (q->head + 1) & (size - 1);
	q->completed++;
	d->stats.descriptors++;
	d->stats.queue_completed[q->index]++;
	if (desc->op != DMATEST_OP_NOP &&
	    (c->status == DMATEST_ST_OK || c->status == DMATEST_ST_MISMATCH))
		d->stats.bytes += desc->len;
	if (desc->flags & DMATEST_DESC_IRQ)
		raise_irq(d, q);
}

/* Fetch, execute and retire the descriptor at HEAD: false when q has
 * nothing to run or halted. */
static bool run_one(struct dmatest *d, struct queue *q)
{
	struct dmatest_desc desc;
	struct dmatest_compl c;
	uint32_t head, size;
	uint64_t at;
	bool fetched, recorded = true;

	pthread_mutex_lock(&d->lock);
	if (!queue_busy(q)) {
		pthread_mutex_unlock(&d->lock);
		return false;
	}
	d->inflight = q;
	head = q->head;
	size = q->size;
	at = q->ring + (uint64_t)head * sizeof(desc);
	pthread_mutex_unlock(&d->lock);

	fetched = !dev_read(d, at, &desc, sizeof(desc));
	if (fetched) {
		note_buffers(d, q, &desc);
		c = execute(d, &desc);
		if (desc.compl)
			recorded = !dev_write(d, desc.compl, &c, sizeof(c));
		note_buffers(d, q, NULL);
	}

	pthread_mutex_lock(&d->lock);
	if (!fetched) {
		pcifn_error(&d->fn, "dmatest: queue %u halted: descriptor %u at IOVA %#llx "
			    "could not be read", q->index, head, (unsigned long long)at);
		halt(d, q, DMATEST_ERR_FETCH);
	} else if (!recorded) {
		pcifn_error(&d->fn, "dmatest: queue %u halted: completion record of "
			    "descriptor %u at IOVA %#llx could not be written", q->index,
			    head, (unsigned long long)desc.compl);
		halt(d, q, DMATEST_ERR_COMPL);
	} else {
		retire(d, q, &desc, &c, size);
	}
	note_ring(d, q);
	d->inflight = NULL;
	pthread_cond_broadcast(&d->idle);
	pthread_mutex_unlock(&d->lock);
	return fetched && recorded;
}

static void queue_job(void *arg)
{
	struct queue *q = arg;
	struct dmatest *d = q->dev;
	unsigned int batch = d->delay_us ? 1 : JOB_BATCH;

	for (unsigned int i = 0; i < batch && run_one(d, q); i++)
		;
	pthread_mutex_lock(&d->lock);
	q->scheduled = false;
	kick(d, q);
	pthread_mutex_unlock(&d->lock);
}

static bool ring_valid(const struct queue *q)
{
	return !(q->ring % sizeof(struct dmatest_desc)) && q->size &&
	       q->size <= DMATEST_MAX_RING && !(q->size & (q->size - 1));
}

static void start_queue(struct dmatest *d, struct queue *q)
{
	q->ctrl |= DMATEST_CTRL_ENABLE;
	q->head = q->tail = 0;
	q->halted = false;
	q->error = DMATEST_ERR_NONE;
	if (ring_valid(q))
		return;
	pcifn_error(&d->fn, "dmatest: queue %u halted: RING %#llx (32-byte aligned) or "
		    "SIZE %u (a power of two up to %u) invalid at enable", q->index,
		    (unsigned long long)q->ring, q->size, DMATEST_MAX_RING);
	halt(d, q, DMATEST_ERR_RING);
}

static void write_ctrl(struct dmatest *d, struct queue *q, uint32_t val)
{
	bool on = val & DMATEST_CTRL_ENABLE;

	/* IRQ_ENABLE first: a halt at enable interrupts if it is being set. */
	q->ctrl = (q->ctrl & DMATEST_CTRL_ENABLE) | (val & DMATEST_CTRL_IRQ_ENABLE);
	if (on == queue_enabled(q))
		return;
	/* Switching waits out the queue's descriptor in flight, so that no DMA
	 * for the old configuration follows the write. */
	stop_queue(d, q);
	wait_idle(d, q);
	q->halted = false;
	if (on)
		start_queue(d, q);
	note_ring(d, q);
}

static void write_tail(struct dmatest *d, struct queue *q, uint32_t val)
{
	if (!queue_enabled(q) || q->halted)
		return;
	if (val >= q->size) {
		pcifn_error(&d->fn, "dmatest: queue %u halted: TAIL %u written, SIZE is %u",
			    q->index, val, q->size);
		halt(d, q, DMATEST_ERR_DOORBELL);
		return;
	}
	q->tail = val;
	note_ring(d, q);
	kick(d, q);
}

/* Width of the register at BAR0 offset off: 4, 8, or 0 for reserved space. */
static unsigned int reg_width(const struct dmatest *d, uint64_t off)
{
	if (off >= DMATEST_QUEUE(0)) {
		if (off >= DMATEST_QUEUE(d->nqueues))
			return 0;
		switch ((off - DMATEST_QUEUE(0)) % QUEUE_STRIDE) {
		case DMATEST_Q_RING:
		case DMATEST_Q_COMPLETED:
			return 8;
		case DMATEST_Q_SIZE:
		case DMATEST_Q_CTRL:
		case DMATEST_Q_TAIL:
		case DMATEST_Q_HEAD:
		case DMATEST_Q_STATUS:
			return 4;
		}
		return 0;
	}
	switch (off) {
	case DMATEST_REG_ID:
	case DMATEST_REG_NQUEUES:
	case DMATEST_REG_IRQ_STATUS:
	case DMATEST_REG_RESET:
	case DMATEST_REG_FAULTS:
		return 4;
	case DMATEST_REG_FAULT_ADDR:
		return 8;
	}
	return 0;
}

enum access { ACCESS_BAD, ACCESS_RESERVED, ACCESS_REG };

/* Which register an access reaches (its offset in *reg): a 64-bit register
 * takes 8 bytes or either 4-byte half, a 32-bit one exactly 4 bytes.  Other
 * accesses to registers are bad (all ones); aligned ones elsewhere reach
 * reserved space (zero). */
static enum access decode(const struct dmatest *d, uint64_t off, unsigned int size,
			  uint64_t *reg)
{
	if ((size != 4 && size != 8) || off % size || off > DMATEST_BAR_REGS_SIZE - size)
		return ACCESS_BAD;
	*reg = off;
	if (reg_width(d, off) == 8 || reg_width(d, off) == size)
		return ACCESS_REG;
	if (size == 4 && off % 8 == 4 && reg_width(d, off - 4) == 8) {
		*reg = off - 4;
		return ACCESS_REG;
	}
	if (reg_width(d, off) || (size == 8 && reg_width(d, off + 4)))
		return ACCESS_BAD;
	return ACCESS_RESERVED;
}

static struct queue *queue_at(struct dmatest *d, uint64_t reg)
{
	return &d->q[(reg - DMATEST_QUEUE(0)) / QUEUE_STRIDE];
}

static uint64_t global_read(struct dmatest *d, uint64_t reg)
{
	switch (reg) {
	case DMATEST_REG_ID: return DMATEST_ID;
	case DMATEST_REG_NQUEUES: return d->nqueues;
	case DMATEST_REG_IRQ_STATUS: return d->irq_status;
	case DMATEST_REG_FAULTS: return d->faults;
	case DMATEST_REG_FAULT_ADDR: return d->fault_addr;
	}
	return 0; /* RESET is write-only */
}

static uint64_t queue_read(const struct queue *q, uint64_t r)
{
	switch (r) {
	case DMATEST_Q_RING: return q->ring;
	case DMATEST_Q_SIZE: return q->size;
	case DMATEST_Q_CTRL: return q->ctrl;
	case DMATEST_Q_TAIL: return q->tail;
	case DMATEST_Q_HEAD: return q->head;
	case DMATEST_Q_STATUS: return queue_status(q);
	case DMATEST_Q_COMPLETED: return q->completed;
	}
	return 0;
}

static uint64_t all_ones(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static uint64_t dmatest_read(struct pcifn *fn, int bar, uint64_t off, unsigned int size)
{
	struct dmatest *d = dmatest_of(fn);
	uint64_t reg, val;

	/* The VFIO layer serves the MSI-X table itself; the PBA reads empty. */
	if (bar == DMATEST_BAR_MSIX)
		return 0;
	if (bar != DMATEST_BAR_REGS)
		return all_ones(size);
	switch (decode(d, off, size, &reg)) {
	case ACCESS_BAD:
		return all_ones(size);
	case ACCESS_RESERVED:
		return 0;
	case ACCESS_REG:
		break;
	}
	pthread_mutex_lock(&d->lock);
	if (reg < DMATEST_QUEUE(0))
		val = global_read(d, reg);
	else
		val = queue_read(queue_at(d, reg), (reg - DMATEST_QUEUE(0)) % QUEUE_STRIDE);
	pthread_mutex_unlock(&d->lock);
	val >>= 8 * (off - reg);
	return size == 4 ? (uint32_t)val : val;
}

/* val and mask are aligned on the register: mask covers the bytes written. */
static void queue_write(struct dmatest *d, struct queue *q, uint64_t r, uint64_t val,
			uint64_t mask)
{
	switch (r) {
	case DMATEST_Q_RING:
		if (!queue_enabled(q))
			q->ring = (q->ring & ~mask) | val;
		break;
	case DMATEST_Q_SIZE:
		if (!queue_enabled(q))
			q->size = (uint32_t)val;
		break;
	case DMATEST_Q_CTRL:
		write_ctrl(d, q, (uint32_t)val);
		break;
	case DMATEST_Q_TAIL:
		write_tail(d, q, (uint32_t)val);
		break;
	}
}

static void dmatest_reset(struct pcifn *fn);

static void dmatest_write(struct pcifn *fn, int bar, uint64_t off, unsigned int size,
			  uint64_t val)
{
	struct dmatest *d = dmatest_of(fn);
	unsigned int shift;
	uint64_t reg, mask;

	if (bar != DMATEST_BAR_REGS || decode(d, off, size, &reg) != ACCESS_REG)
		return;
	shift = 8 * (off - reg);
	mask = (size == 8 ? ~0ULL : 0xffffffffULL) << shift;
	val = (val << shift) & mask;
	if (reg == DMATEST_REG_RESET) {
		if (val == DMATEST_RESET_MAGIC)
			dmatest_reset(fn);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (reg == DMATEST_REG_IRQ_STATUS)
		ack_irq(d, (uint32_t)val);
	else if (reg >= DMATEST_QUEUE(0))
		queue_write(d, queue_at(d, reg), (reg - DMATEST_QUEUE(0)) % QUEUE_STRIDE,
			    val, mask);
	pthread_mutex_unlock(&d->lock);
}

static void clear_queue(struct dmatest *d, struct queue *q)
{
	stop_queue(d, q);
	q->ring = 0;
	q->size = q->ctrl = q->tail = q->head = 0;
	q->halted = false;
	q->error = DMATEST_ERR_NONE;
	q->completed = 0;
	note_ring(d, q);
}

/* Queues stop first, so that the worker finishes at most the descriptor in
 * flight; the registers are cleared once it has, so that it cannot leave a
 * HEAD, a fault or an interrupt behind. */
static void dmatest_reset(struct pcifn *fn)
{
	struct dmatest *d = dmatest_of(fn);

	pthread_mutex_lock(&d->lock);
	for (unsigned int i = 0; i < d->nqueues; i++)
		stop_queue(d, &d->q[i]);
	wait_idle(d, NULL);
	for (unsigned int i = 0; i < d->nqueues; i++)
		clear_queue(d, &d->q[i]);
	d->faults = 0;
	d->fault_addr = 0;
	d->stats.resets++;
	ack_irq(d, d->irq_status);
	pthread_mutex_unlock(&d->lock);
}

/* A snapshot of struct dmatest_stats; the rest of the region reads zero. */
static void dmatest_vendor_read(struct pcifn *fn, uint64_t off, void *buf, uint64_t len)
{
	struct dmatest *d = dmatest_of(fn);
	struct dmatest_stats snap;

	pthread_mutex_lock(&d->lock);
	snap = d->stats;
	pthread_mutex_unlock(&d->lock);
	memset(buf, 0, len);
	if (off < sizeof(snap))
		memcpy(buf, (uint8_t *)&snap + off, min_u64(len, sizeof(snap) - off));
}

static void dmatest_destroy(struct pcifn *fn)
{
	struct dmatest *d = dmatest_of(fn);

	worker_stop(d->worker);
	pthread_cond_destroy(&d->idle);
	pthread_mutex_destroy(&d->lock);
	pcifn_fini(fn);
	free(d);
}

static const struct pcifn_ops dmatest_ops = {
	.bar_read = dmatest_read,
	.bar_write = dmatest_write,
	.reset = dmatest_reset,
	.vendor_read = dmatest_vendor_read,
	.destroy = dmatest_destroy,
};

static void dmatest_init_fn(struct dmatest *d, uint64_t bar_base)
{
	struct pcifn *fn = &d->fn;

	pcifn_init(fn, &dmatest_ops, "dmatest", DMATEST_VENDOR, DMATEST_DEVICE, 0x01,
		   DMATEST_CLASS);
	pcifn_add_bar(fn, DMATEST_BAR_REGS, DMATEST_BAR_REGS_SIZE, true, bar_base);
	pcifn_add_bar(fn, DMATEST_BAR_MSIX, DMATEST_BAR_MSIX_SIZE, false,
		      bar_base + MSIX_BAR_OFFSET);
	/* No_Soft_Reset clear: D3hot->D0 resets, which VFIO_DEVICE_RESET uses. */
	pcifn_add_pm(fn, false);
	pcifn_add_msix(fn, d->nqueues, DMATEST_BAR_MSIX, DMATEST_MSIX_TABLE,
		       DMATEST_MSIX_PBA);
	fn->vendor_region_size = STATS_REGION_SIZE;
	fn->vendor_region_subtype = DMATEST_REGION_STATS;
}

static int dmatest_create(struct model_opts *o, uint64_t bar_base, struct pcifn **out)
{
	uint64_t nqueues, delay;
	struct dmatest *d;
	int rc;

	rc = model_opt_u64(o, "queues", 2, 1, DMATEST_MAX_QUEUES, &nqueues);
	if (!rc)
		rc = model_opt_u64(o, "delay", 0, 0, MAX_DELAY_US, &delay);
	if (!rc)
		rc = model_opts_check(o, "dmatest");
	if (rc)
		return rc;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	rc = worker_start(&d->worker);
	if (rc) {
		free(d);
		return rc;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->idle, NULL);
	d->nqueues = nqueues;
	d->delay_us = delay;
	for (unsigned int i = 0; i < DMATEST_MAX_QUEUES; i++) {
		d->q[i].dev = d;
		d->q[i].index = i;
	}
	dmatest_init_fn(d, bar_base);
	*out = &d->fn;
	return 0;
}

const struct model dmatest_model = {
	.name = "dmatest",
	.help = "DMA test device (1234:d7e5): descriptor queues of copy/fill/compare, "
		"MSI-X; options queues=N (1-16, default 2), delay=US per descriptor",
	.create = dmatest_create,
};
