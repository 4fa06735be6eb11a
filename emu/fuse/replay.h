/* SPDX-License-Identifier: MIT */
/*
 * `iommufd-emu replay`: the replayer's stand-ins for what the traced client
 * had, so that its requests can be re-issued in-process (replay.c).
 *
 * Memory a client mapped (IOAS_MAP's user_va, MAP_DMA's vaddr) is re-created
 * once and kept, at the client's own addresses where the replayer has them
 * free (else elsewhere at the same offset modulo 2 MiB, as the kernel's IOVA
 * allocator follows the source address's alignment), with the client's
 * protections and kinds of memory and its holes; "mem" lines fill it.
 * Everything else a call needs (its struct, the buffers it points to, fresh
 * eventfds and memfds) lives until the call returns.
 */
#ifndef IEMU_FUSE_REPLAY_H
#define IEMU_FUSE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* ---- the client's mapped memory ---- */

/* Re-create the memory of a "mem" entry ({"addr","len","vmas":[...]});
 * *va is where the replayer has it: 0 or -errno. */
int rmem_establish(const struct jv *mem, uint64_t *va);

/* A "mem" line: the client's bytes at va are now data. */
void rmem_store(uint64_t va, const uint8_t *data, size_t len);

/* Unmap everything (a new session starts). */
void rmem_reset(void);

/* ---- what one call needs ---- */

struct rcall {
	struct rcall_map {
		void *p;
		size_t len;
	} *maps;
	unsigned int nmaps;
	int *fds;
	unsigned int nfds;
};

/* A buffer of n recorded bytes followed by zeros up to total, in pages of
 * its own; with fault, the n bytes end where a PROT_NONE page starts (the
 * client's read faulted there); ro: read-only.  NULL when out of memory. */
void *rcall_buffer(struct rcall *c, const uint8_t *bytes, size_t n, size_t total, bool fault,
		   bool ro);

/* A fresh fd standing for the client's: is is "eventfd", "memfd", "file"
 * (a memfd of size bytes), "other" (/dev/null), or an errno name (a number
 * that cannot be open).  -errno when it cannot be made. */
int rcall_fd(struct rcall *c, const char *is, uint64_t size);

/* Release what the call used (the emulator holds copies of the fds it keeps). */
void rcall_end(struct rcall *c);

/* `iommufd-emu replay FILE [--fast]` */
int replay_main(int argc, char **argv);

#endif
