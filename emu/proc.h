/* SPDX-License-Identifier: MIT */
/*
 * Processes on whose behalf requests run: the "current" of the kernel's
 * checks (capabilities, RLIMIT_MEMLOCK, mm and user accounting) and the
 * owner of the user memory that arguments and mapped pages live in.
 */
#ifndef IEMU_PROC_H
#define IEMU_PROC_H

#include <stdatomic.h>

#include "iommufd_emu.h"

/* Capability numbers of <linux/capability.h> the checks use. */
#define IEMU_CAP_IPC_LOCK 14
#define IEMU_CAP_SYS_RAWIO 17
#define IEMU_CAP_SYS_RESOURCE 24

struct iemu_proc {
	struct iemu *emu;
	atomic_int refs;
	pid_t pid;
	uid_t uid;
	_Atomic uint64_t caps;
	atomic_bool caps_fixed;  /* iemu_proc_set_caps: caps, not the live ones */
	_Atomic uint64_t memlock_override;
	atomic_bool exited;
	const struct iemu_proc_ops *ops;
	void *opaque;
	/* Accounting, under the emulator's lock: the mm's locked_vm and pinned_vm. */
	uint64_t locked_vm;
	uint64_t pinned_vm;
	struct iemu_proc *next;
};

/* Whether the process holds capability cap (with the emulator's added ones). */
bool proc_capable(const struct iemu_proc *p, unsigned int cap);

/* RLIMIT_MEMLOCK in pages, as task_rlimit() >> PAGE_SHIFT. */
uint64_t proc_memlock_pages(struct iemu_proc *p);

/* Copy from / to the process: 0 or -EFAULT. */
int proc_read(struct iemu_proc *p, uint64_t addr, void *buf, size_t len);
int proc_write(struct iemu_proc *p, uint64_t addr, const void *buf, size_t len);

/* The process's eventfd fd as a new fd of ours, as eventfd_ctx_fdget()
 * takes one: 0, -EBADF (no such fd), -EINVAL (not an eventfd). */
int proc_eventfd(struct iemu_proc *p, int fd, int *out);

/* The effective capabilities of the calling process (bit n = capability n). */
uint64_t proc_own_caps(void);

/* The in-process backend (mem_self.c): its ops and per-process state. */
extern const struct iemu_proc_ops mem_self_ops;
void *mem_self_open(void);

#endif
