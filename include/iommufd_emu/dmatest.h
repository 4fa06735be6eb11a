/* SPDX-License-Identifier: MIT */
/*
 * dmatest: the register interface of iommufd-emu's DMA test device, for
 * drivers that program it.  It is this project's own device (no hardware
 * implements it): descriptor queues that live in IOVA space, doorbells, a
 * completion record per descriptor, MSI-X with one vector per queue and
 * INTx when MSI-X is off.
 *
 * PCI function: vendor:device DMATEST_VENDOR:DMATEST_DEVICE, class 0x088000
 * (other system peripheral).  BAR0: 64-bit memory, 16 KiB of registers.
 * BAR2: 32-bit memory, 4 KiB, the MSI-X table (offset 0) and PBA (0x800).
 * Capabilities: power management (a D3hot->D0 transition resets the
 * function, so VFIO_DEVICE_RESET works) and MSI-X.  VFIO region 9 is a
 * read-only vendor region (type VFIO_REGION_TYPE_PCI_VENDOR_TYPE | vendor,
 * subtype DMATEST_REGION_STATS) holding struct dmatest_stats.
 *
 * Registers are 32 bits wide unless named 64; 64-bit registers take one
 * 8-byte access or two 4-byte accesses (low half first).  Other sizes read
 * as all ones and are ignored on write.
 *
 * Queue life: with CTRL.ENABLE clear, program RING and SIZE; set ENABLE
 * (HEAD and TAIL become 0, errors clear).  Write descriptors at RING +
 * 32 * i and then the index after the last one to TAIL (the doorbell).  The
 * device fetches descriptors from HEAD up to TAIL, executes each, writes its
 * completion record, then advances HEAD.  A descriptor fetch that faults, a
 * TAIL beyond SIZE or a completion record it cannot write halts the queue
 * (STATUS.HALTED, STATUS.ERROR); clear ENABLE to recover.
 *
 * Interrupts: a queue raises its interrupt when a descriptor with
 * DMATEST_DESC_IRQ completes or the queue halts, if CTRL.IRQ_ENABLE is set:
 * bit q of IRQ_STATUS is set, and MSI-X vector q fires (if MSI-X is
 * enabled), else INTx is asserted while IRQ_STATUS is not zero.  Write ones
 * to IRQ_STATUS to acknowledge.
 */
#ifndef IOMMUFD_EMU_DMATEST_H
#define IOMMUFD_EMU_DMATEST_H

#include <stdint.h>

#define DMATEST_VENDOR 0x1234
#define DMATEST_DEVICE 0xd7e5
#define DMATEST_CLASS 0x088000
#define DMATEST_ID 0xd7e50001u /* value of DMATEST_REG_ID: device, version 1 */

#define DMATEST_BAR_REGS 0
#define DMATEST_BAR_REGS_SIZE 0x4000
#define DMATEST_BAR_MSIX 2
#define DMATEST_BAR_MSIX_SIZE 0x1000
#define DMATEST_MSIX_TABLE 0x000
#define DMATEST_MSIX_PBA 0x800

#define DMATEST_MAX_QUEUES 16
#define DMATEST_MAX_RING 4096          /* descriptors per queue */
#define DMATEST_MAX_LEN (64u << 20)    /* bytes per descriptor */

/* Global registers (BAR0). */
#define DMATEST_REG_ID 0x000           /* RO */
#define DMATEST_REG_NQUEUES 0x004      /* RO */
#define DMATEST_REG_IRQ_STATUS 0x008   /* RW1C, bit q: queue q */
#define DMATEST_REG_RESET 0x00c        /* WO: DMATEST_RESET_MAGIC resets the device */
#define DMATEST_REG_FAULTS 0x010       /* RO: DMA transfers refused so far */
#define DMATEST_REG_FAULT_ADDR 0x018   /* RO 64: address of the last refused one */
#define DMATEST_RESET_MAGIC 0x52534554u

/* Queue q's registers start at DMATEST_QUEUE(q). */
#define DMATEST_QUEUE(q) (0x100u + 0x40u * (q))
#define DMATEST_Q_RING 0x00            /* RW 64: IOVA of the ring, 32-byte aligned */
#define DMATEST_Q_SIZE 0x08            /* RW: entries, a power of two 1..4096 */
#define DMATEST_Q_CTRL 0x0c            /* RW */
#define DMATEST_Q_TAIL 0x10            /* RW: doorbell */
#define DMATEST_Q_HEAD 0x14            /* RO */
#define DMATEST_Q_STATUS 0x18          /* RO */
#define DMATEST_Q_COMPLETED 0x20       /* RO 64: descriptors completed */

#define DMATEST_CTRL_ENABLE (1u << 0)
#define DMATEST_CTRL_IRQ_ENABLE (1u << 1)

#define DMATEST_STATUS_BUSY (1u << 0)
#define DMATEST_STATUS_HALTED (1u << 1)
#define DMATEST_STATUS_ERROR(s) (((s) >> 8) & 0xff)

/* Why a queue halted. */
enum dmatest_error {
	DMATEST_ERR_NONE = 0,
	DMATEST_ERR_FETCH = 1,     /* a descriptor could not be read */
	DMATEST_ERR_DOORBELL = 2,  /* TAIL written with a value >= SIZE */
	DMATEST_ERR_RING = 3,      /* RING misaligned or SIZE invalid at enable */
	DMATEST_ERR_COMPL = 4,     /* a completion record could not be written */
};

enum dmatest_op {
	DMATEST_OP_NOP = 0,
	DMATEST_OP_COPY = 1,       /* dst <- src, len bytes */
	DMATEST_OP_FILL = 2,       /* dst <- the 8-byte pattern in src, repeated */
	DMATEST_OP_COMPARE = 3,    /* compare len bytes at src and dst */
};

#define DMATEST_DESC_IRQ (1u << 0)

struct dmatest_desc {
	uint8_t op;
	uint8_t flags;
	uint16_t rsvd;
	uint32_t len;
	uint64_t src;
	uint64_t dst;
	uint64_t compl;            /* IOVA of a struct dmatest_compl, 0: none */
};

enum dmatest_compl_status {
	DMATEST_ST_PENDING = 0,    /* what the driver writes before submitting */
	DMATEST_ST_OK = 1,
	DMATEST_ST_MISMATCH = 2,   /* COMPARE found a difference */
	DMATEST_ST_FAULT = 3,      /* a data transfer was refused (IOMMU fault) */
	DMATEST_ST_BAD_DESC = 4,   /* unknown op, len 0 or above DMATEST_MAX_LEN */
};

struct dmatest_compl {
	uint32_t status;
	uint32_t rsvd;
	uint64_t result;           /* bytes done; COMPARE: offset of the first difference */
};

/* VFIO region 9. */
#define DMATEST_REGION_STATS 1
struct dmatest_stats {
	uint64_t descriptors;      /* completed, all queues */
	uint64_t bytes;            /* data bytes moved */
	uint64_t faults;           /* transfers refused */
	uint64_t resets;           /* device resets */
	uint64_t queue_completed[DMATEST_MAX_QUEUES];
};

#endif
