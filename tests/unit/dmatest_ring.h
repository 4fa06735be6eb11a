/* SPDX-License-Identifier: MIT */
/*
 * Queue 0 of a dmatest device driven from unit tests: one ring page at
 * RING_IOVA, descriptors at its start, completion records at COMPL_OFF.
 */
#ifndef IEMU_TEST_DMATEST_RING_H
#define IEMU_TEST_DMATEST_RING_H

#include "devices.h"

#define RING_IOVA 0x10000ULL
#define NDESC 16u
#define COMPL_OFF 0x800u
#define QREG(r) (DMATEST_QUEUE(0) + (r))

struct ring {
	struct dfx *d;
	uint8_t *mem;        /* descriptors at 0, completion records at COMPL_OFF */
	unsigned int tail;   /* the driver's copy of TAIL */
	struct dmatest_compl last;
};

/* (Re)enable queue 0: HEAD and TAIL go back to 0, a halt clears. */
static inline void ring_enable(struct ring *r)
{
	bar_write(r->d, 0, QREG(DMATEST_Q_CTRL), 4, 0);
	bar_write(r->d, 0, QREG(DMATEST_Q_RING), 8, RING_IOVA);
	bar_write(r->d, 0, QREG(DMATEST_Q_SIZE), 4, NDESC);
	bar_write(r->d, 0, QREG(DMATEST_Q_CTRL), 4, DMATEST_CTRL_ENABLE);
	r->tail = 0;
}

/* The ring page mapped at RING_IOVA of ioas, the device enabled (decode
 * and bus mastering), queue 0 running. */
static inline void ring_init(struct ring *r, struct dfx *d, uint32_t ioas)
{
	r->d = d;
	r->mem = pages(1);
	assert_int_equal(map_at(&d->fx, ioas, r->mem, PG, RING_IOVA, RW), 0);
	enable_device(d);
	ring_enable(r);
}

static inline void ring_fini(struct ring *r)
{
	munmap(r->mem, PG);
}

/* Submit one descriptor and wait until the device retired it: its
 * completion status (the record in r->last), or -1 if the queue halted. */
static inline int submit(struct ring *r, uint8_t op, uint64_t dst, uint64_t src, uint32_t len)
{
	struct dmatest_desc *desc = (struct dmatest_desc *)r->mem + r->tail;
	struct dmatest_compl *c = (struct dmatest_compl *)(r->mem + COMPL_OFF) + r->tail;
	unsigned int next = (r->tail + 1) % NDESC;

	*desc = (struct dmatest_desc){
		.op = op, .len = len, .src = src, .dst = dst,
		.compl = RING_IOVA + COMPL_OFF + r->tail * sizeof(*c),
	};
	*c = (struct dmatest_compl){ .status = DMATEST_ST_PENDING };
	bar_write(r->d, 0, QREG(DMATEST_Q_TAIL), 4, next);
	WAIT_FOR(bar_read(r->d, 0, QREG(DMATEST_Q_HEAD), 4) == next ||
		 (bar_read(r->d, 0, QREG(DMATEST_Q_STATUS), 4) & DMATEST_STATUS_HALTED));
	if (bar_read(r->d, 0, QREG(DMATEST_Q_STATUS), 4) & DMATEST_STATUS_HALTED)
		return -1;
	r->tail = next;
	r->last = *c;
	return (int)c->status;
}

#endif
