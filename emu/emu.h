/* SPDX-License-Identifier: MIT */
/*
 * The emulator instance: configuration and the state shared by all contexts
 * (processes, per-user accounting, the fake physical address space).
 */
#ifndef IEMU_EMU_H
#define IEMU_EMU_H

#include <pthread.h>
#include <stdatomic.h>

#include "inject.h"
#include "iommufd_emu.h"
#include "physmem.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)
/* Transparent huge page size of x86-64: caps automatic IOVA alignment. */
#define HPAGE_SIZE (2ULL << 20)

struct acct_user;
struct irqfd_set;
struct iemu_device;

struct iemu {
	struct iemu_config cfg;
	pthread_mutex_t lock; /* procs, self, users, ctx list */
	/* Every page set's pinned pages and recorded regions, for walks across
	 * contexts (pageid.c); taken inside a context's lock, outside the
	 * physical memory lock. */
	pthread_mutex_t pins_lock;
	struct iemu_proc *procs;
	struct iemu_proc *self;
	struct acct_user *users;
	struct iemu_ctx *ctxs;
	struct physmem phys;
	struct irqfd_set *irqfds;    /* the eventfd poller, started on first use */
	struct iemu_device *devices; /* in creation order; fixed once serving */
	unsigned int ndevices;
	iemu_fd_resolver resolve_fd;
	void *resolve_opaque;
	struct iemu_anon_handlers anon_handlers; /* install NULL: the table */
	void *anon_opaque;
	struct iemu_anon **anon_table; /* in-process fd numbers, under lock */
	size_t anon_slots;
	atomic_bool checks;          /* reports wanted (iemu_set_checks) */
	struct injector inject;      /* fault injection rules, under lock */
	_Atomic uint64_t pinned;     /* pages pinned in all, for the pin limit */
	iemu_report_fn report;
	void *report_opaque;
	uint32_t selftest_memory_limit; /* IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT */
};

/* Whether the emulated kernel is at least major.minor. */
static inline bool emu_kernel_at_least(const struct iemu *emu, unsigned int kver)
{
	return emu->cfg.kernel >= kver;
}

/* Report an allocation failure where no error can be returned, and stop. */
_Noreturn void emu_oom(const char *where);

#endif
