/* SPDX-License-Identifier: MIT */
/*
 * The in-process shim of the worked example: linked with
 * -Wl,--wrap=open,--wrap=close,--wrap=ioctl,--wrap=pread,--wrap=pwrite, it
 * turns the driver's opens of /dev/iommu and /dev/vfio/devices/NAME into
 * emulator contexts and device files, and their ioctls and region I/O into
 * library calls; every other file goes to the real system calls.  The
 * emulator and its devices are made once (shim_start) and live for the
 * whole fuzzing process, as a persistent fuzzer wants.
 */
#ifndef FUZZ_SHIM_H
#define FUZZ_SHIM_H

#include "iommufd_emu.h"

/* Make the emulator with these devices (NULL-terminated specs), once. */
void shim_start(const char *const *specs);

/* The emulator, the in-process caller, and the context behind an fd the
 * driver got from open("/dev/iommu") (NULL if it is not one). */
struct iemu *shim_emu(void);
struct iemu_proc *shim_self(void);
struct iemu_ctx *shim_ctx(int fd);

/* How many emulated files are open. */
unsigned int shim_open_files(void);

#endif
