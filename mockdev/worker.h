/* SPDX-License-Identifier: MIT */
/*
 * A device model's own thread: work that a device does after a delay (a DMA
 * that completes later, a computation), as hardware does it, off the thread
 * that wrote the register.  Jobs are keyed: scheduling a key again replaces
 * its pending job.
 */
#ifndef IEMU_MOCKDEV_WORKER_H
#define IEMU_MOCKDEV_WORKER_H

#include <stdint.h>

#define WORKER_KEYS 16

struct worker;

/* Start a worker thread: 0 or -errno. */
int worker_start(struct worker **out);

/* Stop the thread; pending jobs are dropped. */
void worker_stop(struct worker *w);

/* Run fn(arg) on the worker after delay_us microseconds. */
void worker_schedule(struct worker *w, unsigned int key, uint64_t delay_us,
		     void (*fn)(void *arg), void *arg);

/* Drop the pending job of key, if any. */
void worker_cancel(struct worker *w, unsigned int key);

#endif
