/* SPDX-License-Identifier: MIT */
/*
 * The memory map of a process, read from /proc/<pid>/maps: one region at an
 * address (PROCMAP_QUERY, else the text) for pin checks, or the whole map
 * for the in-process backend's fast validation of argument copies.
 */
#ifndef IEMU_VMA_H
#define IEMU_VMA_H

#include <stddef.h>

#include "iommufd_emu.h"

/* Open /proc/<pid>/maps (pid 0: self); the fd or a negative errno. */
int vma_open_maps(pid_t pid);

/* The region containing addr or the next above it: 0, -ENOENT. */
int vma_query(int maps_fd, uint64_t addr, struct iemu_vma *out);

/* Every region, sorted; the caller frees *out. */
int vma_snapshot(int maps_fd, struct iemu_vma **out, size_t *count);

#endif
