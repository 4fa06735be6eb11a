/* SPDX-License-Identifier: MIT */
/*
 * --trace FILE: one JSON line per request the server handles (time, pid,
 * thread, file, operation, ioctl name and argument, result, duration).
 */
#ifndef IEMU_FUSE_TRACE_H
#define IEMU_FUSE_TRACE_H

#include <stdbool.h>
#include <sys/types.h>

#include "iommufd_emu.h"

/* Start writing to path (appending); 0 or -errno. */
int trace_open(const char *path);
void trace_close(void);
bool trace_on(void);

/* One request: op is "open", "release", "read", "write" or "ioctl"; for
 * ioctls, cmd and arg are given and kind names the number. */
struct trace_req {
	pid_t pid, tid;
	const char *file;
	const char *op;
	enum iemu_file_kind kind;
	unsigned int cmd;
	unsigned long arg;
	long result;      /* >= 0, or -errno */
	double start_us;  /* from trace_now_us() */
};

double trace_now_us(void);
void trace_request(const struct trace_req *r);

#endif
