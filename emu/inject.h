/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (see iommufd_emu.h): rules that make an ioctl fail, a
 * device DMA be lost or refused, pinning stop at a limit.  Each rule counts
 * the events it matches and draws from its own generator, seeded from the
 * emulator's seed and its place, so that a run repeats exactly.
 */
#ifndef IEMU_INJECT_H
#define IEMU_INJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "iommufd_emu.h"

struct inject_rule;

struct injector {
	struct inject_rule *rules;
	unsigned int nrules;
	uint64_t seed;
	uint64_t fired;
	uint64_t pin_limit;   /* pages, UINT64_MAX for none */
};

void inject_init(struct injector *in);
void inject_destroy(struct injector *in);

/* Whether an ioctl of file kind fails: 0, or the positive errno. */
int inject_ioctl(struct iemu *emu, enum iemu_file_kind file, unsigned int cmd, pid_t pid);

/* What becomes of a device DMA: 0 (it happens), or IEMU_INJECT_DMA_DROP or
 * IEMU_INJECT_DMA_ERROR. */
int inject_dma(struct iemu *emu, const char *device, pid_t pid);

/* Pages that may be pinned in all. */
uint64_t inject_pin_limit(struct iemu *emu);

#endif
