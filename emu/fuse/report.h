/* SPDX-License-Identifier: MIT */
/*
 * --check: where the emulator's reports of driver mistakes go: one line of
 * text each on standard error, and one JSON line each in --check-log FILE.
 */
#ifndef IEMU_FUSE_REPORT_H
#define IEMU_FUSE_REPORT_H

#include <stdbool.h>

#include "iommufd_emu.h"

/* Start reporting for emu (log may be NULL): 0 or -errno. */
int report_start(struct iemu *emu, const char *log);
void report_stop(void);

/* Whether reports are on, and how many were made. */
bool report_on(void);
unsigned long report_count(void);

/* A report of the front end's own (what a client left behind). */
void report_emit(const struct iemu_report *r);

#endif
