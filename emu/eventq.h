/* SPDX-License-Identifier: MIT */
/*
 * Event queues (the kernel's eventq.c): FAULT objects, which queue I/O page
 * faults of the devices attached to an IOPF-capable HWPT until userspace
 * reads them from the queue's fd and writes a response; and VEVENTQ
 * objects, which queue a vIOMMU's events of one type, up to a depth, with a
 * sequence number and a lost-events marker.  Each queue's fd (an anonymous
 * file) holds the object and its context until closed.
 */
#ifndef IEMU_EVENTQ_H
#define IEMU_EVENTQ_H

#include <stdint.h>

#include "obj.h"

struct iemu_anon;
struct iemu_ctx;
struct idev;
struct ucmd;
struct viommu;

struct eventq_item;

struct eventq {
	struct obj obj;              /* OBJ_FAULT or OBJ_VEVENTQ */
	struct iemu_ctx *ctx;
	struct iemu_anon *file;      /* while open; not a reference */
	struct eventq_item *head, *tail; /* to deliver */
	/* FAULT: read groups awaiting a response, by cookie */
	struct eventq_item *responses;
	/* VEVENTQ */
	struct viommu *viommu;
	uint32_t type;
	uint32_t depth;
	uint32_t nevents;            /* queued, not counting the lost marker */
	uint32_t sequence;           /* of the next event */
	struct eventq *next;         /* in the vIOMMU's list */
};

/* An I/O page fault as the device reports it. */
struct iopf {
	uint32_t flags;   /* IOMMU_PGFAULT_FLAGS_* */
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint64_t addr;
};

/* Queue a fault of idev at pasid for q (the fault queue of its domain). */
int fault_report(struct eventq *q, struct idev *idev, uint32_t pasid,
		 const struct iopf *f);

/* Answer INVALID every fault of idev at pasid still queued or awaiting a
 * response: the domain is leaving it. */
void fault_auto_respond(struct eventq *q, const struct idev *idev, uint32_t pasid);

/* The FAULT object with this id, or NULL. */
struct eventq *fault_find(struct iemu_ctx *ctx, uint32_t id);

/* Report an event of the given type to the vIOMMU's queue of that type:
 * 0, or -EOPNOTSUPP when there is none. */
int veventq_report(struct viommu *v, uint32_t type, const void *data, uint32_t len);

int fault_alloc_ioctl(struct ucmd *u);
int veventq_alloc_ioctl(struct ucmd *u);

#endif
