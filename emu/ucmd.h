/* SPDX-License-Identifier: MIT */
/*
 * One iommufd ioctl in flight: the kernel-side copy of the argument struct
 * and where the user's struct lives, as the kernel's iommufd_ucmd.
 */
#ifndef IEMU_UCMD_H
#define IEMU_UCMD_H

#include <stdint.h>

#include "uaccess.h"

struct iemu_ctx;
struct iemu_proc;

struct ucmd {
	struct iemu_ctx *ctx;
	struct iemu_proc *caller;
	uint64_t ubuffer;
	uint32_t user_size;
	void *cmd;
};

/* Write back the first len bytes of the kernel struct, as much of it as the
 * user's struct holds. */
static inline int ucmd_respond(struct ucmd *u, uint32_t len)
{
	return copy_to_user(u->caller, u->ubuffer, u->cmd,
			    u->user_size < len ? u->user_size : len);
}

/* The iommufd file's ioctl: dispatch, size rule, copy-in. */
long iommufd_ioctl(struct iemu_ctx *ctx, struct iemu_proc *caller,
		   unsigned int cmd, uint64_t arg);

#endif
