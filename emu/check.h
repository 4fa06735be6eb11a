/* SPDX-License-Identifier: MIT */
/*
 * Checks (the DMA sanitizer): driver mistakes a real machine tolerates in
 * silence, reported when the emulator user asked for reports
 * (iemu_set_checks).  Cheap when off: one atomic load.
 */
#ifndef IEMU_CHECK_H
#define IEMU_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "iommufd_emu.h"

struct ioas;

/* Whether reports are wanted. */
bool check_on(struct iemu *emu);

/* Report one mistake (printf-style text). */
void check_report(struct iemu *emu, enum iemu_report_kind kind, pid_t pid,
		  const char *device, const char *what, uint64_t iova, uint64_t va,
		  uint64_t len, const char *fmt, ...) __attribute__((format(printf, 9, 10)));

/* [first, last] of an IOAS is being unmapped: report the devices whose DMA
 * on that range is in flight. */
void check_unmap(struct iemu *emu, const struct ioas *ioas, uint64_t first, uint64_t last);

#endif
