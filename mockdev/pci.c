// SPDX-License-Identifier: MIT
/*
 * PCI function hardware (see pci.h): a type-0 configuration header with
 * write masks, write-1-to-clear status bits, BAR address registers that size
 * themselves, and the MSI, MSI-X and power-management capabilities.
 */
#include "pci.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QEMU's default subsystem ids, which QEMU's own devices (edu) report. */
#define SUBSYS_VENDOR 0x1af4
#define SUBSYS_DEVICE 0x1100

static void put8(uint8_t *p, unsigned int off, uint8_t v)
{
	p[off] = v;
}

static void put16(uint8_t *p, unsigned int off, uint16_t v)
{
	p[off] = v & 0xff;
	p[off + 1] = v >> 8;
}

static void put32(uint8_t *p, unsigned int off, uint32_t v)
{
	put16(p, off, v & 0xffff);
	put16(p, off + 2, v >> 16);
}

static uint16_t get16(const uint8_t *p, unsigned int off)
{
	return p[off] | p[off + 1] << 8;
}

static uint32_t get32(const uint8_t *p, unsigned int off)
{
	return get16(p, off) | (uint32_t)get16(p, off + 2) << 16;
}

void pcifn_init(struct pcifn *fn, const struct pcifn_ops *ops, const char *model,
		uint16_t vendor, uint16_t device, uint8_t revision, uint32_t class_code)
{
	memset(fn, 0, sizeof(*fn));
	fn->ops = ops;
	fn->model = model;
	pthread_mutex_init(&fn->lock, NULL);
	put16(fn->cfg, PCI_VENDOR_ID, vendor);
	put16(fn->cfg, PCI_DEVICE_ID, device);
	put8(fn->cfg, PCI_REVISION_ID, revision);
	put8(fn->cfg, PCI_CLASS_PROG, class_code & 0xff);
	put16(fn->cfg, PCI_CLASS_DEVICE, class_code >> 8);
	put16(fn->cfg, PCI_SUBSYSTEM_VENDOR_ID, SUBSYS_VENDOR);
	put16(fn->cfg, PCI_SUBSYSTEM_ID, SUBSYS_DEVICE);
	put8(fn->cfg, PCI_INTERRUPT_PIN, 1);
	put8(fn->cfg, PCI_INTERRUPT_LINE, 11);
	/* Writable as in QEMU's PCI core, the reference platform: no parity
	 * checking (Parity Error Response reads 0), no latency timer (hardwired
	 * 0, as on PCI Express), and the device-specific dwords past the
	 * header are plain storage until a capability claims them. */
	put16(fn->wmask, PCI_COMMAND,
	      PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		      PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	memset(fn->wmask + PCI_STD_HEADER_SIZEOF, 0xff, PCIFN_CFG_SIZE - PCI_STD_HEADER_SIZEOF);
	put16(fn->w1c, PCI_STATUS,
	      PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
		      PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
		      PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
	put8(fn->wmask, PCI_CACHE_LINE_SIZE, 0xff);
	put8(fn->wmask, PCI_INTERRUPT_LINE, 0xff);
}

void pcifn_fini(struct pcifn *fn)
{
	pthread_mutex_destroy(&fn->lock);
}

void pcifn_add_bar(struct pcifn *fn, int n, uint64_t size, bool is64, uint64_t addr)
{
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * n;
	uint64_t mask = ~(size - 1);

	fn->bar[n] = (struct pci_bar){ .size = size, .is64 = is64 };
	put32(fn->cfg, reg, (uint32_t)(addr & mask) |
			    (is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0));
	put32(fn->wmask, reg, (uint32_t)mask & PCI_BASE_ADDRESS_MEM_MASK);
	if (is64) {
		put32(fn->cfg, reg + 4, (uint32_t)((addr & mask) >> 32));
		put32(fn->wmask, reg + 4, (uint32_t)(mask >> 32));
	}
}

/* Append a capability of len bytes to the list, in the next free dword. */
static unsigned int add_cap(struct pcifn *fn, uint8_t id, unsigned int len)
{
	unsigned int off = fn->cap_end ? fn->cap_end : 0x40, prev = PCI_CAPABILITY_LIST;

	while (fn->cfg[prev])
		prev = fn->cfg[prev] + PCI_CAP_LIST_NEXT;
	fn->cap_end = (off + len + 3) & ~3u;
	/* Read-only but for the bits the capability makes writable. */
	memset(fn->wmask + off, 0, len);
	fn->cfg[prev] = off;
	put8(fn->cfg, off + PCI_CAP_LIST_ID, id);
	put8(fn->cfg, off + PCI_CAP_LIST_NEXT, 0);
	put16(fn->cfg, PCI_STATUS, get16(fn->cfg, PCI_STATUS) | PCI_STATUS_CAP_LIST);
	return off;
}

unsigned int pcifn_add_msi(struct pcifn *fn, unsigned int vectors_log2, bool is64)
{
	unsigned int off = add_cap(fn, PCI_CAP_ID_MSI, is64 ? 14 : 10);

	put16(fn->cfg, off + PCI_MSI_FLAGS,
	      (is64 ? PCI_MSI_FLAGS_64BIT : 0) | (vectors_log2 << 1));
	put16(fn->wmask, off + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	put32(fn->wmask, off + PCI_MSI_ADDRESS_LO, 0xfffffffc);
	if (is64) {
		put32(fn->wmask, off + PCI_MSI_ADDRESS_HI, 0xffffffff);
		put16(fn->wmask, off + PCI_MSI_DATA_64, 0xffff);
	} else {
		put16(fn->wmask, off + PCI_MSI_DATA_32, 0xffff);
	}
	fn->msi_cap = off;
	return off;
}

unsigned int pcifn_add_msix(struct pcifn *fn, unsigned int vectors, int bar,
			    uint64_t table, uint64_t pba)
{
	unsigned int off = add_cap(fn, PCI_CAP_ID_MSIX, 12);

	put16(fn->cfg, off + PCI_MSIX_FLAGS, (vectors - 1) & PCI_MSIX_FLAGS_QSIZE);
	put16(fn->wmask, off + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	put32(fn->cfg, off + PCI_MSIX_TABLE, (uint32_t)table | bar);
	put32(fn->cfg, off + PCI_MSIX_PBA, (uint32_t)pba | bar);
	fn->msix_cap = off;
	fn->msix_bar = bar;
	fn->msix_vectors = vectors;
	fn->msix_table = table;
	fn->msix_pba = pba;
	return off;
}

unsigned int pcifn_add_pm(struct pcifn *fn, bool no_soft_reset)
{
	unsigned int off = add_cap(fn, PCI_CAP_ID_PM, 8);

	put16(fn->cfg, off + PCI_PM_PMC, 3); /* version 1.2 */
	put16(fn->cfg, off + PCI_PM_CTRL, no_soft_reset ? PCI_PM_CTRL_NO_SOFT_RESET : 0);
	put16(fn->wmask, off + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE);
	put16(fn->w1c, off + PCI_PM_CTRL, PCI_PM_CTRL_PME_STATUS);
	fn->pm_cap = off;
	fn->pm_reset = !no_soft_reset;
	return off;
}

uint32_t pcifn_cfg_read(struct pcifn *fn, unsigned int off, unsigned int size)
{
	uint32_t val = 0;

	if (off >= PCIFN_CFG_SIZE || off + size > PCIFN_CFG_SIZE)
		return ~0u;
	pthread_mutex_lock(&fn->lock);
	for (unsigned int i = 0; i < size; i++)
		val |= (uint32_t)fn->cfg[off + i] << (8 * i);
	pthread_mutex_unlock(&fn->lock);
	return val;
}

void pcifn_cfg_snapshot(struct pcifn *fn, uint8_t *out)
{
	pthread_mutex_lock(&fn->lock);
	memcpy(out, fn->cfg, PCIFN_CFG_SIZE);
	pthread_mutex_unlock(&fn->lock);
}

static unsigned int power_state(const struct pcifn *fn)
{
	return fn->pm_cap ? get16(fn->cfg, fn->pm_cap + PCI_PM_CTRL) & PCI_PM_CTRL_STATE_MASK : 0;
}

/* The INTx output: the line, unless the command register disables it. */
static bool intx_out(const struct pcifn *fn)
{
	return fn->intx_level && !(get16(fn->cfg, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
}

/* What a configuration write changed that acts outside the lock. */
struct cfg_effects {
	bool intx_changed, intx_out, reset;
};

/* One write of size bytes at off, under fn->lock. */
static struct cfg_effects cfg_write_locked(struct pcifn *fn, unsigned int off,
					   unsigned int size, uint32_t val)
{
	unsigned int old_state = power_state(fn);
	bool was = intx_out(fn);
	struct cfg_effects e;

	for (unsigned int i = 0; i < size; i++) {
		uint8_t b = val >> (8 * i);
		unsigned int o = off + i;

		fn->cfg[o] = (fn->cfg[o] & ~fn->wmask[o]) | (b & fn->wmask[o]);
		fn->cfg[o] &= ~(b & fn->w1c[o]);
	}
	e.intx_out = intx_out(fn);
	e.intx_changed = e.intx_out != was;
	/* D3hot to D0 without No_Soft_Reset resets the function. */
	e.reset = fn->pm_reset && old_state == 3 && power_state(fn) == 0;
	return e;
}

/* The effects of a write, after fn->lock is dropped. */
static void cfg_apply(struct pcifn *fn, struct cfg_effects e)
{
	if (e.intx_changed && fn->host.intx)
		fn->host.intx(fn->host.opaque, e.intx_out);
	if (e.reset && fn->ops->reset)
		fn->ops->reset(fn);
}

void pcifn_cfg_write(struct pcifn *fn, unsigned int off, unsigned int size,
		     uint32_t val)
{
	struct cfg_effects e;

	if (off >= PCIFN_CFG_SIZE || off + size > PCIFN_CFG_SIZE)
		return;
	pthread_mutex_lock(&fn->lock);
	e = cfg_write_locked(fn, off, size, val);
	pthread_mutex_unlock(&fn->lock);
	cfg_apply(fn, e);
}

void pcifn_cfg_restore(struct pcifn *fn, const uint8_t *saved)
{
	pthread_mutex_lock(&fn->lock);
	for (unsigned int off = 0; off < PCIFN_CFG_SIZE; off += 4) {
		uint32_t val = get32(saved, off);
		struct cfg_effects e;

		/* Linux writes only the dwords that differ
		 * (pci_restore_config_dword): a status bit set in both stays
		 * set.  Most are equal, so it is also the cheap way. */
		if (get32(fn->cfg, off) == val)
			continue;
		e = cfg_write_locked(fn, off, 4, val);
		if (!e.intx_changed && !e.reset)
			continue;
		/* As if each dword were its own write: the effect before the
		 * next dword (a reset must not undo the rest). */
		pthread_mutex_unlock(&fn->lock);
		cfg_apply(fn, e);
		pthread_mutex_lock(&fn->lock);
	}
	pthread_mutex_unlock(&fn->lock);
}

bool pcifn_bus_master(struct pcifn *fn)
{
	return pcifn_cfg_read(fn, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
}

bool pcifn_msi_enabled(struct pcifn *fn)
{
	return fn->msi_cap && (pcifn_cfg_read(fn, fn->msi_cap + PCI_MSI_FLAGS, 2) &
			       PCI_MSI_FLAGS_ENABLE);
}

bool pcifn_msix_enabled(struct pcifn *fn)
{
	return fn->msix_cap && (pcifn_cfg_read(fn, fn->msix_cap + PCI_MSIX_FLAGS, 2) &
				PCI_MSIX_FLAGS_ENABLE);
}

void pcifn_set_intx(struct pcifn *fn, bool level)
{
	uint16_t status;
	bool out, was;

	pthread_mutex_lock(&fn->lock);
	status = get16(fn->cfg, PCI_STATUS);
	status = level ? status | PCI_STATUS_INTERRUPT : status & ~PCI_STATUS_INTERRUPT;
	put16(fn->cfg, PCI_STATUS, status);
	was = intx_out(fn);
	fn->intx_level = level;
	out = intx_out(fn);
	pthread_mutex_unlock(&fn->lock);
	if (out != was && fn->host.intx)
		fn->host.intx(fn->host.opaque, out);
}

bool pcifn_intx_asserted(struct pcifn *fn)
{
	bool level;

	pthread_mutex_lock(&fn->lock);
	level = fn->intx_level;
	pthread_mutex_unlock(&fn->lock);
	return level;
}

void pcifn_intx_disable(struct pcifn *fn, bool disable)
{
	uint16_t cmd = pcifn_cfg_read(fn, PCI_COMMAND, 2);

	cmd = disable ? cmd | PCI_COMMAND_INTX_DISABLE : cmd & ~PCI_COMMAND_INTX_DISABLE;
	pcifn_cfg_write(fn, PCI_COMMAND, 2, cmd);
}

void pcifn_msi_control(struct pcifn *fn, bool enable, unsigned int log2_vectors)
{
	uint16_t flags;

	if (!fn->msi_cap)
		return;
	flags = pcifn_cfg_read(fn, fn->msi_cap + PCI_MSI_FLAGS, 2) &
		~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	if (enable)
		flags |= PCI_MSI_FLAGS_ENABLE | log2_vectors << 4;
	pcifn_cfg_write(fn, fn->msi_cap + PCI_MSI_FLAGS, 2, flags);
}

void pcifn_msix_control(struct pcifn *fn, bool enable)
{
	uint16_t flags;

	if (!fn->msix_cap)
		return;
	flags = pcifn_cfg_read(fn, fn->msix_cap + PCI_MSIX_FLAGS, 2) &
		~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	if (enable)
		flags |= PCI_MSIX_FLAGS_ENABLE;
	pcifn_cfg_write(fn, fn->msix_cap + PCI_MSIX_FLAGS, 2, flags);
}

void pcifn_notify(struct pcifn *fn, unsigned int vector)
{
	uint16_t flags;

	/* A message is a memory write: without bus mastering it never leaves. */
	if (!pcifn_bus_master(fn))
		return;

	if (pcifn_msix_enabled(fn)) {
		flags = pcifn_cfg_read(fn, fn->msix_cap + PCI_MSIX_FLAGS, 2);
		if (!(flags & PCI_MSIX_FLAGS_MASKALL) && vector < fn->msix_vectors &&
		    fn->host.msix)
			fn->host.msix(fn->host.opaque, vector);
	} else if (pcifn_msi_enabled(fn)) {
		flags = pcifn_cfg_read(fn, fn->msi_cap + PCI_MSI_FLAGS, 2);
		if (vector < (1u << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4)) && fn->host.msi)
			fn->host.msi(fn->host.opaque, vector);
	}
}

void pcifn_error(struct pcifn *fn, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fn->host.error)
		fn->host.error(fn->host.opaque, msg);
}

void pcifn_dma_inflight(struct pcifn *fn, unsigned int slot, uint64_t addr, uint64_t len)
{
	if (slot >= PCIFN_INFLIGHT)
		return;
	pthread_mutex_lock(&fn->lock);
	fn->inflight[slot].addr = addr;
	fn->inflight[slot].len = len;
	pthread_mutex_unlock(&fn->lock);
}

bool pcifn_inflight_overlap(struct pcifn *fn, uint64_t first, uint64_t last,
			    uint64_t *addr, uint64_t *len)
{
	bool found = false;

	pthread_mutex_lock(&fn->lock);
	for (unsigned int i = 0; i < PCIFN_INFLIGHT && !found; i++) {
		uint64_t a = fn->inflight[i].addr, n = fn->inflight[i].len;

		if (n && a <= last && a + n - 1 >= first) {
			*addr = a;
			*len = n;
			found = true;
		}
	}
	pthread_mutex_unlock(&fn->lock);
	return found;
}

int pcifn_dma_read(struct pcifn *fn, uint64_t addr, void *buf, uint64_t len)
{
	if (!fn->dma.rw)
		return -EFAULT;
	return fn->dma.rw(fn->dma.opaque, addr, buf, len, false);
}

int pcifn_dma_write(struct pcifn *fn, uint64_t addr, const void *buf, uint64_t len)
{
	if (!fn->dma.rw)
		return -EFAULT;
	return fn->dma.rw(fn->dma.opaque, addr, (void *)buf, len, true);
}

int pcifn_dma_copy(struct pcifn *fn, uint64_t dst, uint64_t src, uint64_t len)
{
	void *bounce;
	int rc;

	if (fn->dma.copy)
		return fn->dma.copy(fn->dma.opaque, dst, src, len);
	bounce = malloc(len ? len : 1);
	if (!bounce)
		return -ENOMEM;
	rc = pcifn_dma_read(fn, src, bounce, len);
	if (!rc)
		rc = pcifn_dma_write(fn, dst, bounce, len);
	free(bounce);
	return rc;
}

void pcifn_reset(struct pcifn *fn)
{
	uint8_t saved[PCIFN_CFG_SIZE];

	pthread_mutex_lock(&fn->lock);
	memcpy(saved, fn->cfg, sizeof(saved));
	pthread_mutex_unlock(&fn->lock);
	if (fn->ops->reset)
		fn->ops->reset(fn);
	pcifn_set_intx(fn, false);
	pthread_mutex_lock(&fn->lock);
	memcpy(fn->cfg, saved, sizeof(saved));
	put16(fn->cfg, PCI_STATUS, get16(fn->cfg, PCI_STATUS) & ~PCI_STATUS_INTERRUPT);
	pthread_mutex_unlock(&fn->lock);
}
