/* SPDX-License-Identifier: MIT */
/*
 * What a trace line says about a request, read from the client's memory and
 * file table, enough to re-issue it (replay.c reads these members back):
 *
 *   "in":{...}     the argument decoded as the client passed it
 *   "raw":"hex"    its bytes, from the size/argsz field (capped at 4 KiB);
 *   "raw_fault":N  where reading them faulted (a guard page follows N bytes)
 *   "raw_ro":true  the struct could not be written back (read-only memory)
 *   "bufs":[...]   the buffers its pointers reference, as passed in:
 *                  {"field","addr","len","hex"[,"fault"][,"ro"]}
 *   "mem":[...]    user memory it maps, as regions of the client's address
 *                  space: {"field","addr","len","vmas":[{"off","len",
 *                  "prot":"rw-p","kind":"anon|shmem|file|io"}]}
 *   "fds":[...]    the fds it passes: {"field","fd","is":"eventfd|memfd|
 *                  file|other|EBADF"[,"size"]}
 *   "bind_iommu"   BIND: the serial of the iommu file its fd resolved to,
 *                  or the errno the resolution gave
 *   "out":{...}    the argument decoded as the ioctl left it
 *   "bufs_out":[]  output buffers afterwards: {"field","hex"}
 * and, for opens, the client's "caps" and "memlock"; for region I/O the
 * offset, region, length and data.
 */
#ifndef IEMU_FUSE_CAPTURE_H
#define IEMU_FUSE_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "iommufd_emu.h"
#include "json.h"

/* Bytes of a struct: the largest argument, SET_IRQS with 2048 MSI-X
 * eventfds, is 8 KiB. */
#define CAPTURE_RAW_MAX (16u << 10)
#define CAPTURE_BUF_MAX (64u << 10)   /* bytes of a buffer it points to */
#define CAPTURE_DATA_MAX (64u << 10)  /* bytes of region I/O */
#define CAPTURE_VMAS_MAX 16           /* regions of memory it maps */

/* What BIND's fd resolved to: the iommu file's serial, or an error. */
struct bind_seen {
	bool seen;
	int rc;
	unsigned int serial;
};

/* One pointer or fd of the argument, and what it refers to. */
struct capture_ref {
	struct iemu_ioctl_ref ref;
	uint8_t *bytes;          /* a buffer: its first min(len, CAPTURE_BUF_MAX) */
	size_t got;              /* bytes of them that could be read */
	bool fault;
	const char *is;          /* an fd: "eventfd", "memfd", "file", "other" */
	uint64_t size;
	int err;                 /* or why it could not be had */
	struct iemu_vma *vmas;   /* memory: its regions */
	unsigned int nvmas;
};

struct capture {
	struct iemu_proc *proc;
	enum iemu_file_kind kind;
	unsigned int cmd;
	uint64_t arg;
	struct iemu_ioctl_arg shape;
	bool known;              /* the decoder knows the ioctl */
	uint8_t raw[CAPTURE_RAW_MAX];
	size_t got;
	bool fault;
	struct capture_ref *refs;
	unsigned int nrefs;
	struct jbuf args, outs;  /* the members for the trace line */
};

/* Before the ioctl: read its argument and what it refers to. */
void capture_begin(struct capture *c, struct iemu_proc *proc, enum iemu_file_kind kind,
		   unsigned int cmd, uint64_t arg);

/* After it: read what it wrote back, and fill c->args and c->outs.  A
 * successful map of user memory starts watching it (snapshot.h). */
void capture_end(struct capture *c, long result, const struct bind_seen *bind, pid_t pid);

void capture_free(struct capture *c);

/* An open's members: the client's effective capabilities and
 * RLIMIT_MEMLOCK, which the emulator's checks use. */
void capture_client(struct jbuf *j, pid_t pid);

/* Region I/O's members: offset, region, length, and data (written data
 * with the request, read data with the result). */
void capture_region_io(struct jbuf *j, uint64_t off, size_t len);
void capture_data(struct jbuf *j, const void *data, size_t len);

#endif
