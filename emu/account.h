/* SPDX-License-Identifier: MIT */
/*
 * Locked-memory accounting of pinned pages, with the kernel's three modes:
 * none (the mapping process had CAP_IPC_LOCK), per user (user->locked_vm
 * against RLIMIT_MEMLOCK, the /dev/iommu default) and per process
 * (mm->locked_vm, VFIO type1's way).  pinned_vm is counted in every mode.
 */
#ifndef IEMU_ACCOUNT_H
#define IEMU_ACCOUNT_H

#include <stdint.h>

struct iemu;
struct iemu_proc;

enum account_mode {
	ACCOUNT_NONE = 0,
	ACCOUNT_USER = 1,
	ACCOUNT_MM = 2,
	ACCOUNT_MODES = 3,
};

/* Charge npages pinned from proc's memory; -ENOMEM beyond its limit. */
int account_charge(struct iemu_proc *proc, enum account_mode mode,
		   uint64_t npages);

/* Give back what account_charge took. */
void account_uncharge(struct iemu_proc *proc, enum account_mode mode,
		      uint64_t npages);

/* Free the per-user table. */
void account_destroy(struct iemu *emu);

#endif
