/* SPDX-License-Identifier: MIT */
/*
 * Copies between the emulator and a process's memory, with the kernel's
 * semantics: all or nothing with -EFAULT, and copy_struct_from_user's rule
 * for extensible structs.
 */
#ifndef IEMU_UACCESS_H
#define IEMU_UACCESS_H

#include <stddef.h>
#include <stdint.h>

struct iemu_proc;

int copy_from_user(struct iemu_proc *p, void *dst, uint64_t src, size_t len);
int copy_to_user(struct iemu_proc *p, uint64_t dst, const void *src, size_t len);

/* 1 if [addr, addr+len) is all zero, 0 if a non-zero byte comes before any
 * unreadable page, -EFAULT otherwise. */
int check_zeroed_user(struct iemu_proc *p, uint64_t addr, uint64_t len);

/* Copy a user struct of usize bytes into a kernel struct of ksize bytes:
 * shorter is zero-extended, longer must have an all-zero tail (-E2BIG). */
int copy_struct_from_user(struct iemu_proc *p, void *dst, size_t ksize,
			  uint64_t src, size_t usize);

#endif
