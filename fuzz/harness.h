/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets share: one emulator with its devices, made once per
 * process (persistent mode); user memory as a fixed arena reached through
 * custom iemu_proc_ops, so that every address an input names means the same
 * thing in every run; fake fd numbers for BIND's iommufd, MAP_FILE's memfd
 * and eventfds; and the invariant checks, which read the emulator's
 * internals and abort() with a message when one breaks.
 *
 * The arena is a fake address space at ARENA_BASE: regions of pages with
 * permissions and kinds (anonymous, read-only, a hole, I/O memory, a shared
 * file, shmem), backed by one buffer of ours.  Reads and writes through the
 * ops obey the permissions, as copy_from_user/copy_to_user would.
 */
#ifndef IEMU_FUZZ_HARNESS_H
#define IEMU_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommufd_emu.h"

struct iemu_device;

#define HPG 4096ULL

/* ---- the arena ---- */

#define ARENA_BASE 0x10000000ULL
#define ARENA_PAGES 512u
#define ARENA_SIZE (ARENA_PAGES * HPG)

/* Page ranges of the arena (first page, number of pages). */
#define AR_RW_FIRST 0u      /* anonymous read-write: most mappings */
#define AR_RW_PAGES 384u
#define AR_RO_FIRST 384u    /* anonymous read-only */
#define AR_RO_PAGES 16u
#define AR_HOLE_FIRST 400u  /* nothing mapped */
#define AR_HOLE_PAGES 8u
#define AR_IO_FIRST 408u    /* VM_IO: never pinnable */
#define AR_IO_PAGES 8u
#define AR_FILE_FIRST 416u  /* a shared file mapping: not pinnable for write */
#define AR_FILE_PAGES 32u
#define AR_SHM_FIRST 448u   /* shmem read-write */
#define AR_SHM_PAGES 32u
#define AR_SCRATCH_FIRST 480u /* read-write: where harnesses build arguments */
#define AR_SCRATCH_PAGES 32u

#define ARENA_VA(page) (ARENA_BASE + (uint64_t)(page) * HPG)

/* Our pointer to the arena's byte at fake address va (which must be in it). */
void *arena_ptr(uint64_t va);

/* Copy in and out of the arena as the process would (permissions ignored). */
void arena_put(uint64_t va, const void *src, size_t len);
void arena_get(uint64_t va, void *dst, size_t len);

/* Whether [va, va+len) is readable (or writable) through the proc ops. */
bool arena_accessible(uint64_t va, uint64_t len, bool write);

/* ---- processes ---- */

#define NPROCS 3
/* proc 0: pid 100, uid 1000, CAP_SYS_RAWIO|CAP_SYS_RESOURCE, 256 pages of
 * RLIMIT_MEMLOCK; proc 1: pid 101, uid 1001, no capabilities, 48 pages;
 * proc 2: pid 102, uid 1000, CAP_IPC_LOCK|CAP_SYS_RAWIO, unlimited. */
extern struct iemu_proc *H_PROC[NPROCS];

/* One more process whose charges the checks follow (a target's
 * iemu_proc_self()). */
void harness_extra_proc(struct iemu_proc *p);

/* ---- fake fd numbers a process passes to the emulator ---- */

#define FD_MEMFD 3      /* a 1 MiB memfd (MAP_FILE) */
#define FD_EVENT0 4     /* eventfds 4, 5, 6 */
#define N_EVENTFDS 3
#define FD_NULL 7       /* /dev/null: neither a memfd nor an eventfd */
#define FD_CTX0 1000    /* BIND's iommufd: contexts 1000 + slot */
#define MEMFD_SIZE (1u << 20)

/* ---- the emulator ---- */

/* Devices, in creation order (index = vfio minor). */
enum {
	DEV_DMATEST,      /* dmatest,queues=2 behind VT-d */
	DEV_EDU,          /* edu behind VT-d */
	DEV_EMULATED,     /* dmatest,queues=1,emulated: an ACCESS object */
	DEV_SWPT,         /* edu,noiommu=swpt */
	DEV_REFUSE,       /* edu,noiommu (refuse) */
	DEV_NOOP,         /* edu,noiommu=noop-attach */
	NDEVS,
};

extern struct iemu *H_EMU;
extern struct iemu_device *H_DEV[NDEVS];

/* Contexts reachable as fake fd FD_CTX0 + slot by BIND. */
#define NCTX 3
extern struct iemu_ctx *H_CTX[NCTX];

/* Create everything once (idempotent); aborts on failure. */
void harness_init(void);

/* An input starts: note the lowest free fd, which must be free again once
 * the input's files are closed (check_idle).  Probed for each input: the
 * fuzzing engine opens files of its own between inputs. */
void harness_begin_input(void);

/* Our own fd of the memfd behind FD_MEMFD. */
int harness_memfd(void);

/* Whether dev/ino (a page set's file) is that memfd: MAP_FILE also takes
 * other files (an eventfd, /dev/null), as Linux does, whose pages cannot
 * be reached. */
bool harness_is_memfd(uint64_t dev, uint64_t ino);

/* Put the models an input used back as they were (function reset, INTx
 * line low), so that no input sees what an earlier one left in the
 * hardware. */
void harness_device_used(int dev);
void harness_reset_devices(void);

/* Drain the counts of our eventfds (the emulator may have signalled them). */
void harness_drain_eventfds(void);

/* ---- access objects a target drives itself (the in-kernel access API) ---- */

struct access;
struct ioas;

#define H_MAX_ACCESSES 4
#define H_MAX_PINS 64

/* A pin the target holds, where it pinned it. */
struct h_pin {
	struct access *a;
	struct ioas *ioas;
	uint64_t iova, length;
};

/* The target's accesses (NULL: free slot), its pins, and whether the pins
 * are tracked (then the checks demand that areas and page sets agree). */
extern struct access *h_accesses[H_MAX_ACCESSES];
extern struct h_pin h_pins[H_MAX_PINS];
extern unsigned int h_npins;
extern bool h_pins_tracked;

/* Set when a CHANGE_PROCESS moved page sets charged to nobody (a caller
 * with CAP_IPC_LOCK mapped them): like the kernel's need_charge_update(),
 * the emulator moves no pinned_vm for them, so the old process keeps the
 * count and the new one never had it.  Per-process pinned_vm is then not
 * checked, and harness_end_input() clears the drift. */
extern bool h_pinned_vm_drift;

/* Close every anonymous file (fault queues, vEVENTQs, selftest accesses
 * and dma-bufs) the in-process table handed out, as the process's exit
 * would. */
void harness_close_anon(void);

/* End of an input, everything closed: undo the pinned_vm drift above and
 * the selftest's global memory limit. */
void harness_end_input(void);

/* ---- invariant checks (abort with a message when broken) ---- */

/* Abort with a formatted message (a finding). */
__attribute__((noreturn, format(printf, 1, 2))) void h_fail(const char *fmt, ...);

#define H_CHECK(cond, ...)                  \
	do {                                \
		if (!(cond))                \
			h_fail(__VA_ARGS__); \
	} while (0)

/* Objects, users counts, areas against domains, reserved ranges, accesses
 * and page sets of one context. */
void check_ctx(struct iemu_ctx *ctx);

/* Page sets against the areas and pins that hold them, fake physical
 * memory, and the charges of every process and user. */
void check_accounting(void);

/* Every device's binding against its objects. */
void check_devices(void);

/* Every live context (the harness's and those only devices keep alive)
 * with its references, the accounting and the devices. */
void check_all(void);

/* Nothing is left: no context, no binding, no pinned page, no charge, no
 * fake physical memory, no fd of ours leaked.  Call after closing all. */
void check_idle(void);

/* One past the highest object id in use in ctx (loops over its slots). */
size_t slot_end(const struct iemu_ctx *ctx);

struct area;

/* Call fn on every area of every IOAS of ctx, by IOAS id then IOVA;
 * stops at fn's non-zero return and returns it. */
int ctx_for_each_area(struct iemu_ctx *ctx, int (*fn)(void *arg, struct area *a), void *arg);

/* The live contexts, including those closed by the harness but kept alive
 * by bound devices or accesses: up to max, returns how many. */
unsigned int live_contexts(struct iemu_ctx **out, unsigned int max);

#endif
