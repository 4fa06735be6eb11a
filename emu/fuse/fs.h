/* SPDX-License-Identifier: MIT */
/*
 * The FUSE filesystem: iommu (each open a context), vfio/devices/, the
 * sysfs views drivers read, and status.  Runs the FUSE session on threads.
 */
#ifndef IEMU_FUSE_FS_H
#define IEMU_FUSE_FS_H

#include <stdbool.h>

struct iemu;

struct fs_options {
	const char *mountpoint;
	bool allow_other;
	bool signals;        /* stop on SIGINT/SIGTERM/SIGHUP */
};

/* Mount; the filesystem then answers once fs_run starts.  0 or -errno,
 * with a one-line explanation printed. */
int fs_mount(struct iemu *emu, const struct fs_options *o);

/* Serve until fs_stop or a signal; returns 0 or -errno. */
int fs_run(void);

/* Make fs_run return (safe from any thread). */
void fs_stop(void);

/* Unmount and free everything; closes the contexts still open. */
void fs_unmount(void);

#endif
