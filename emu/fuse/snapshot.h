/* SPDX-License-Identifier: MIT */
/*
 * Memory snapshots for traces.  A device reads what the driver wrote into
 * mapped memory (descriptors, data to copy) and the driver's stores are no
 * requests: a replay would find zeros there.  So the trace watches the user
 * memory that clients map (IOMMU_IOAS_MAP, VFIO_IOMMU_MAP_DMA) and, before
 * each write to a device (the doorbell that starts its DMA), writes "mem"
 * lines with the bytes that changed since the previous look, which the
 * replayer stores into its own copy of that memory first.
 *
 * Watched memory is capped (SNAPSHOT_MAX_BYTES in all); what lies beyond is
 * not captured, and a note in the trace says so.
 */
#ifndef IEMU_FUSE_SNAPSHOT_H
#define IEMU_FUSE_SNAPSHOT_H

#include <stdint.h>
#include <sys/types.h>

struct iemu_proc;

#define SNAPSHOT_MAX_BYTES (256ULL << 20)

/* Watch [va, va + len) of process pid from now on. */
void snapshot_watch(pid_t pid, uint64_t va, uint64_t len);

/* Write "mem" lines for what changed in pid's watched memory. */
void snapshot_take(struct iemu_proc *proc, pid_t pid);

/* Forget everything (the trace is closed). */
void snapshot_reset(void);

#endif
