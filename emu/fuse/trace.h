/* SPDX-License-Identifier: MIT */
/*
 * --trace FILE: one JSON line per request the server handles, complete
 * enough for `iommufd-emu replay` to re-issue it.
 *
 * The first line a server writes describes it (devices, kernel, fault
 * injection), so that a replayer can build the same emulator:
 *   {"iommufd_emu_trace":1,"t":...,"kernel":"7.3","seed":0,
 *    "devices":["edu","dmatest,queues=2"],"inject":[]}
 * ("selftest_mock":true too, with --selftest-mock).
 * Then one line per request: time it started to run (after the wait for
 * the client's own earlier close, see fs.c), pid, thread, file, the open
 * file's serial, the operation, the ioctl and its argument decoded and in
 * bytes (see capture.h), the result, the duration.  Lines are written when
 * requests end, so they are in the order requests took effect.  "mem"
 * lines carry what the client wrote into memory a device may read (see
 * snapshot.h); "note" lines what the trace could not capture.
 */
#ifndef IEMU_FUSE_TRACE_H
#define IEMU_FUSE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iommufd_emu.h"

struct options;

/* Start writing to path (appending); 0 or -errno. */
int trace_open(const char *path);
void trace_close(void);
bool trace_on(void);

/* The line that describes the server. */
void trace_header(const struct options *o);

/* One request: op is "open", "release", "read", "write" or "ioctl"; for
 * ioctls, cmd and arg are given and kind names the number. */
struct trace_req {
	pid_t pid, tid;
	const char *file;
	unsigned int serial; /* of the open file (0: none, a failed open) */
	const char *op;
	enum iemu_file_kind kind;
	unsigned int cmd;
	unsigned long arg;
	long result;      /* >= 0, or -errno */
	double start_us;  /* from trace_now_us() */
	const char *args; /* JSON members (",\"k\":v...") describing the request */
	const char *outs; /* JSON members describing what it gave back */
};

double trace_now_us(void);
void trace_request(const struct trace_req *r);

/* A "mem" line: the len bytes at va of process pid are now data. */
void trace_mem(pid_t pid, uint64_t va, const void *data, size_t len);

/* A "note" line, for what the trace could not capture. */
void trace_note(const char *text);

#endif
