/* SPDX-License-Identifier: MIT */
/*
 * A PCI function as hardware: its configuration registers (what the host
 * kernel reads and writes, before any VFIO virtualisation), its BARs, its
 * interrupt pins (INTx level, MSI and MSI-X messages) and its DMA port.
 *
 * Device models fill in a pcifn and implement the ops; the VFIO layer of the
 * emulator drives the function through the pcifn_* calls and receives its
 * interrupts and error reports through a pcifn_host.  Every DMA a model makes goes through the
 * dma port, which the emulator points at its DMA engine.
 */
#ifndef IEMU_MOCKDEV_PCI_H
#define IEMU_MOCKDEV_PCI_H

#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PCIFN_CFG_SIZE 256
#define PCIFN_BARS 6
#define PCIFN_INFLIGHT 48

struct pcifn;

struct pci_bar {
	uint64_t size;   /* 0: not implemented */
	bool is64;
	bool prefetch;
};

/* What the function signals to the host (the VFIO layer): its INTx output
 * (the line gated by the command register's INTx disable) when it changes,
 * MSI and MSI-X messages, and device errors a real device would only show
 * as misbehaviour. */
struct pcifn_host {
	void (*intx)(void *opaque, bool level);
	void (*msi)(void *opaque, unsigned int vector);
	void (*msix)(void *opaque, unsigned int vector);
	void (*error)(void *opaque, const char *what);
	void *opaque;
};

/* Where the function's DMA goes (the emulator's DMA engine).  Each call is
 * all or nothing: 0, or -EFAULT when any byte is refused (an IOMMU fault, no
 * bus mastering, ...), in which case memory is unchanged. */
struct dma_port {
	int (*rw)(void *opaque, uint64_t addr, void *buf, uint64_t len, bool write);
	/* Memory to memory, src to dst (optional: without it, a bounce buffer). */
	int (*copy)(void *opaque, uint64_t dst, uint64_t src, uint64_t len);
	void *opaque;
};

struct pcifn_ops {
	/* MMIO of a BAR, sizes 1, 2, 4 or 8, offset inside the BAR. */
	uint64_t (*bar_read)(struct pcifn *fn, int bar, uint64_t off, unsigned int size);
	void (*bar_write)(struct pcifn *fn, int bar, uint64_t off, unsigned int size,
			  uint64_t val);
	/* Reset the device's own state (a function reset or a power cycle). */
	void (*reset)(struct pcifn *fn);
	/* Read the vendor region (see pcifn.vendor_region_size), optional. */
	void (*vendor_read)(struct pcifn *fn, uint64_t off, void *buf, uint64_t len);
	/* Stop threads and free the model. */
	void (*destroy)(struct pcifn *fn);
};

struct pcifn {
	const struct pcifn_ops *ops;
	const char *model;
	uint8_t cfg[PCIFN_CFG_SIZE];
	uint8_t wmask[PCIFN_CFG_SIZE];  /* bits software may write */
	uint8_t w1c[PCIFN_CFG_SIZE];    /* bits cleared by writing 1 */
	struct pci_bar bar[PCIFN_BARS];
	unsigned int msi_cap, msix_cap, pm_cap;
	unsigned int cap_end;          /* first free byte after the capabilities */
	unsigned int msix_bar, msix_vectors;
	uint64_t msix_table, msix_pba; /* offsets in the MSI-X BAR */
	bool pm_reset;                 /* D3hot->D0 resets the function */
	/* A read-only device-specific region VFIO exposes after the standard
	 * ones (type VFIO_REGION_TYPE_PCI_VENDOR_TYPE | vendor), 0: none. */
	uint64_t vendor_region_size;
	uint32_t vendor_region_subtype;
	pthread_mutex_t lock;          /* config registers, interrupt pins, in flight */
	bool intx_level;
	/* Bus address ranges the device is committed to use (a started DMA,
	 * a queue with work), so that unmapping them can be caught. */
	struct {
		uint64_t addr, len;
	} inflight[PCIFN_INFLIGHT];
	struct pcifn_host host;
	struct dma_port dma;
};

/* Set up an empty type-0 header with the given identity and class. */
void pcifn_init(struct pcifn *fn, const struct pcifn_ops *ops, const char *model,
		uint16_t vendor, uint16_t device, uint8_t revision, uint32_t class_code);
void pcifn_fini(struct pcifn *fn);

/* Declare BAR n of size bytes (a power of two) and give it a host address. */
void pcifn_add_bar(struct pcifn *fn, int n, uint64_t size, bool is64, uint64_t addr);

/* Add capabilities; each returns its offset in configuration space. */
unsigned int pcifn_add_msi(struct pcifn *fn, unsigned int vectors_log2, bool is64);
unsigned int pcifn_add_msix(struct pcifn *fn, unsigned int vectors, int bar,
			    uint64_t table, uint64_t pba);
unsigned int pcifn_add_pm(struct pcifn *fn, bool no_soft_reset);

/* Configuration access as the host kernel makes it (sizes 1, 2, 4). */
uint32_t pcifn_cfg_read(struct pcifn *fn, unsigned int off, unsigned int size);
/* The whole configuration space at one instant (out: PCIFN_CFG_SIZE
 * bytes), as pci_save_state reads it, under one lock rather than one per
 * byte. */
void pcifn_cfg_snapshot(struct pcifn *fn, uint8_t *out);
void pcifn_cfg_write(struct pcifn *fn, unsigned int off, unsigned int size,
		     uint32_t val);
/* Write back a snapshot (PCIFN_CFG_SIZE bytes) dword by dword, as
 * pci_restore_state does: a dword that differs from its saved value is
 * written as pcifn_cfg_write would, one already equal is left alone; under
 * one lock unless a write has an effect outside it. */
void pcifn_cfg_restore(struct pcifn *fn, const uint8_t *saved);

/* Helpers for models: the state of the command register and of MSI. */
bool pcifn_bus_master(struct pcifn *fn);
bool pcifn_msi_enabled(struct pcifn *fn);
bool pcifn_msix_enabled(struct pcifn *fn);

/* Interrupts from the model: the INTx line, or a message on vector v
 * (delivered through MSI-X or MSI, whichever the host enabled). */
void pcifn_set_intx(struct pcifn *fn, bool level);
void pcifn_notify(struct pcifn *fn, unsigned int vector);

/* The host side (the emulator's VFIO layer), as the host kernel drives the
 * function: the INTx line's level, the INTx disable bit, and MSI / MSI-X
 * enable (with 2^log2_vectors MSI vectors). */
bool pcifn_intx_asserted(struct pcifn *fn);
void pcifn_intx_disable(struct pcifn *fn, bool disable);
void pcifn_msi_control(struct pcifn *fn, bool enable, unsigned int log2_vectors);
void pcifn_msix_control(struct pcifn *fn, bool enable);

/* A device error the model wants the emulator to report (printf-style). */
void pcifn_error(struct pcifn *fn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A range the device will DMA to or from until the slot is cleared (len 0):
 * a transfer it was told to start, a ring it works through. */
void pcifn_dma_inflight(struct pcifn *fn, unsigned int slot, uint64_t addr, uint64_t len);

/* The in-flight range of slot that overlaps [first, last], if any. */
bool pcifn_inflight_overlap(struct pcifn *fn, uint64_t first, uint64_t last,
			    uint64_t *addr, uint64_t *len);

/* DMA from the model through its port. */
int pcifn_dma_read(struct pcifn *fn, uint64_t addr, void *buf, uint64_t len);
int pcifn_dma_write(struct pcifn *fn, uint64_t addr, const void *buf, uint64_t len);
int pcifn_dma_copy(struct pcifn *fn, uint64_t dst, uint64_t src, uint64_t len);

/* A function reset, as the host kernel's PM or FLR reset would do it:
 * config space saved and restored around the model's reset. */
void pcifn_reset(struct pcifn *fn);

#endif
