// SPDX-License-Identifier: MIT
/*
 * vfio-pci config space virtualisation (see vfio_config.h), following the
 * rules of Linux's vfio_pci_config.c: an access is cut into aligned pieces
 * of at most a dword that stay inside one capability; each piece is served
 * by the handler of the capability it falls in; virtualised bits come from
 * vconfig, the others from the hardware; writable bits go to vconfig or to
 * the hardware by the same split.
 */
#include "vfio_config.h"

#include <errno.h>
#include <string.h>

#include "device.h"
#include "vfio_irq.h"
#include "vfio_pci.h"

#define CAP_BASIC 0x00    /* the standard header, as vfio-pci names it */
#define CAP_INVALID 0xff  /* no capability: raw access to the hardware */
#define HEADER_SIZE 0x40

#define ALL 0xffffffffu

static uint32_t get(const uint8_t *p, unsigned int off, unsigned int n)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint32_t)p[off + i] << (8 * i);
	return v;
}

static void put(uint8_t *p, unsigned int off, unsigned int n, uint32_t v)
{
	for (unsigned int i = 0; i < n; i++)
		p[off + i] = v >> (8 * i);
}

/* Permission bits at absolute offset off, n bytes. */
static void perm(struct vfio_config *c, unsigned int off, unsigned int n,
		 uint32_t virt, uint32_t write)
{
	put(c->virt, off, n, virt);
	put(c->write, off, n, write);
}

/* ---- building the view ---- */

static void basic_perms(struct vfio_config *c)
{
	perm(c, PCI_VENDOR_ID, 2, ALL, 0);
	perm(c, PCI_DEVICE_ID, 2, ALL, 0);
	perm(c, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE, ALL);
	perm(c, PCI_STATUS, 2, PCI_STATUS_CAP_LIST, 0);
	perm(c, PCI_CACHE_LINE_SIZE, 1, 0, ALL);
	perm(c, PCI_LATENCY_TIMER, 1, 0, ALL);
	perm(c, PCI_BIST, 1, 0, ALL);
	for (unsigned int bar = PCI_BASE_ADDRESS_0; bar <= PCI_BASE_ADDRESS_5; bar += 4)
		perm(c, bar, 4, ALL, ALL);
	perm(c, PCI_ROM_ADDRESS, 4, ALL, ALL);
	perm(c, PCI_CAPABILITY_LIST, 1, ALL, 0);
	perm(c, PCI_INTERRUPT_LINE, 1, ALL, ALL);
	perm(c, PCI_INTERRUPT_PIN, 1, ALL, 0);
}

static void pm_perms(struct vfio_config *c, unsigned int pos)
{
	perm(c, pos + PCI_CAP_LIST_NEXT, 1, ALL, 0);
	perm(c, pos + PCI_PM_PMC, 2, PCI_PM_CAP_PME_MASK, 0);
	perm(c, pos + PCI_PM_CTRL, 4, PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS,
	     ~(uint32_t)(PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS |
			 PCI_PM_CTRL_STATE_MASK));
	/* PME cannot reach userspace: those bits read as clear. */
	put(c->v, pos + PCI_PM_PMC, 2, get(c->v, pos + PCI_PM_PMC, 2) & ~PCI_PM_CAP_PME_MASK);
	put(c->v, pos + PCI_PM_CTRL, 2, get(c->v, pos + PCI_PM_CTRL, 2) &
	    ~(PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS));
}

static void msi_perms(struct vfio_config *c, unsigned int pos, uint16_t flags)
{
	perm(c, pos + PCI_CAP_LIST_NEXT, 1, ALL, 0);
	/* Only the low byte of the flags: the high one is reserved. */
	perm(c, pos + PCI_MSI_FLAGS, 1, ALL, ALL);
	perm(c, pos + PCI_MSI_ADDRESS_LO, 4, ALL, ALL);
	if (flags & PCI_MSI_FLAGS_64BIT) {
		perm(c, pos + PCI_MSI_ADDRESS_HI, 4, ALL, ALL);
		perm(c, pos + PCI_MSI_DATA_64, 2, ALL, ALL);
		if (flags & PCI_MSI_FLAGS_MASKBIT) {
			perm(c, pos + PCI_MSI_MASK_64, 4, 0, ALL);
			perm(c, pos + PCI_MSI_PENDING_64, 4, 0, ALL);
		}
	} else {
		perm(c, pos + PCI_MSI_DATA_32, 2, ALL, ALL);
		if (flags & PCI_MSI_FLAGS_MASKBIT) {
			perm(c, pos + PCI_MSI_MASK_32, 4, 0, ALL);
			perm(c, pos + PCI_MSI_PENDING_32, 4, 0, ALL);
		}
	}
}

/* A field of a snapshot of the function's configuration space; all ones
 * past its end, as the function answers there. */
static uint32_t raw_get(const uint8_t *raw, unsigned int off, unsigned int n)
{
	return off + n <= PCIFN_CFG_SIZE ? get(raw, off, n) : ~0u;
}

/* The length vfio-pci gives a capability; 0 hides it. */
static unsigned int cap_len(const uint8_t *raw, uint8_t id, unsigned int pos)
{
	uint16_t flags;
	unsigned int len;

	switch (id) {
	case PCI_CAP_ID_PM:
		return PCI_PM_SIZEOF;
	case PCI_CAP_ID_MSIX:
		return PCI_CAP_MSIX_SIZEOF;
	case PCI_CAP_ID_VNDR:
		return raw_get(raw, pos + PCI_CAP_FLAGS, 1);
	case PCI_CAP_ID_MSI:
		flags = raw_get(raw, pos + PCI_MSI_FLAGS, 2);
		len = 10;
		if (flags & PCI_MSI_FLAGS_64BIT)
			len += 4;
		if (flags & PCI_MSI_FLAGS_MASKBIT)
			len += 10;
		return len;
	default:
		return 0;
	}
}

static void cap_init(struct vfio_config *c, const uint8_t *raw)
{
	uint8_t *prev = &c->v[PCI_CAPABILITY_LIST];
	unsigned int pos, loops = (PCIFN_CFG_SIZE - HEADER_SIZE) / PCI_CAP_SIZEOF;
	unsigned int caps = 0;

	if (!(raw_get(raw, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return;
	pos = raw_get(raw, PCI_CAPABILITY_LIST, 1);
	while (pos && pos + 1 < PCIFN_CFG_SIZE && loops--) {
		uint8_t id = raw_get(raw, pos, 1);
		uint8_t next = raw_get(raw, pos + PCI_CAP_LIST_NEXT, 1);
		unsigned int len = id ? cap_len(raw, id, pos) : 0;

		if (!len || len > PCIFN_CFG_SIZE - pos) {
			*prev = next;
			pos = next;
			continue;
		}
		memset(c->map + pos, id, len);
		memcpy(c->v + pos, raw + pos, len);
		if (id == PCI_CAP_ID_PM)
			pm_perms(c, pos);
		else if (id == PCI_CAP_ID_MSI)
			msi_perms(c, pos, get(c->v, pos + PCI_MSI_FLAGS, 2));
		prev = &c->v[pos + PCI_CAP_LIST_NEXT];
		pos = next;
		caps++;
	}
	if (!caps)
		put(c->v, PCI_STATUS, 2, get(c->v, PCI_STATUS, 2) & ~PCI_STATUS_CAP_LIST);
}

void vfio_config_init(struct vfio_config *c, struct pcifn *fn)
{
	uint8_t raw[PCIFN_CFG_SIZE];

	pcifn_cfg_snapshot(fn, raw);
	memset(c, 0, sizeof(*c));
	memset(c->map, CAP_BASIC, HEADER_SIZE);
	memset(c->map + HEADER_SIZE, CAP_INVALID, PCIFN_CFG_SIZE - HEADER_SIZE);
	memcpy(c->v, raw, HEADER_SIZE);
	basic_perms(c);
	c->bardirty = true;
	for (unsigned int i = 0; i < 6; i++)
		c->rbar[i] = get(c->v, PCI_BASE_ADDRESS_0 + 4 * i, 4);
	c->rbar[6] = get(c->v, PCI_ROM_ADDRESS, 4);
	cap_init(c, raw);
}

bool vfio_config_memory_enabled(const struct vfio_config *c)
{
	return get(c->v, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
}

/* ---- the generic handlers ---- */

static uint32_t mask_of(unsigned int n)
{
	return n == 4 ? ALL : (1u << (8 * n)) - 1;
}

static uint32_t default_read(struct iemu_device *d, unsigned int pos, unsigned int n)
{
	struct vfio_config *c = &d->cfg;
	uint32_t virt = get(c->virt, pos, n), val = get(c->v, pos, n);

	if (virt != mask_of(n))
		val = (pcifn_cfg_read(d->fn, pos, n) & ~virt) | (val & virt);
	return val;
}

static void default_write(struct iemu_device *d, unsigned int pos, unsigned int n,
			  uint32_t val)
{
	struct vfio_config *c = &d->cfg;
	uint32_t write = get(c->write, pos, n), virt = get(c->virt, pos, n);

	if (write & virt)
		put(c->v, pos, n, (get(c->v, pos, n) & ~(write & virt)) | (val & write & virt));
	if (write & ~virt)
		pcifn_cfg_write(d->fn, pos, n, (pcifn_cfg_read(d->fn, pos, n) &
						~(write & ~virt)) | (val & write & ~virt));
}

/* Hardware, but the capability's id and next pointer from vconfig. */
static uint32_t direct_read(struct iemu_device *d, unsigned int pos, unsigned int n,
			    unsigned int offset)
{
	uint32_t val = pcifn_cfg_read(d->fn, pos, n);
	uint8_t *v = d->cfg.v;

	if (offset == PCI_CAP_LIST_ID && n > 1)
		val = (val & ~0xffffu) | get(v, pos, 2);
	else if (offset == PCI_CAP_LIST_NEXT)
		val = (val & ~0xffu) | v[pos];
	return val;
}

/* ---- the standard header ---- */

static bool is_bar(unsigned int off)
{
	return (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_5 + 4) ||
	       off == PCI_ROM_ADDRESS;
}

/* BAR sizing: vconfig BARs keep only the bits a real BAR would keep. */
static void bar_fixup(struct iemu_device *d)
{
	struct vfio_config *c = &d->cfg;

	if (!c->bardirty)
		return;
	for (int i = 0; i < PCIFN_BARS; i++) {
		const struct pci_bar *b = &d->fn->bar[i];
		unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
		uint64_t mask = ~(b->size - 1);
		uint32_t flags = b->is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0;

		if (!b->size) {
			put(c->v, off, 4, 0);
			continue;
		}
		if (b->prefetch)
			flags |= PCI_BASE_ADDRESS_MEM_PREFETCH;
		put(c->v, off, 4, (get(c->v, off, 4) & (uint32_t)mask) | flags);
		if (b->is64) {
			put(c->v, off + 4, 4, get(c->v, off + 4, 4) & (uint32_t)(mask >> 32));
			i++;
		}
	}
	put(c->v, PCI_ROM_ADDRESS, 4, 0);
	c->bardirty = false;
}

static uint32_t basic_read(struct iemu_device *d, unsigned int pos, unsigned int n)
{
	if (is_bar(pos))
		bar_fixup(d);
	return default_read(d, pos, n);
}

/* A reset the emulator did not see (or a PM reset) left the BARs changed. */
static void bar_restore_if_needed(struct iemu_device *d, uint16_t new_cmd)
{
	struct vfio_config *c = &d->cfg;
	uint16_t phys = pcifn_cfg_read(d->fn, PCI_COMMAND, 2);
	uint16_t virt = get(c->v, PCI_COMMAND, 2);
	bool restore = (new_cmd & virt & ~phys & PCI_COMMAND_MEMORY) ||
		       (new_cmd & virt & ~phys & PCI_COMMAND_IO);

	for (int i = 0; i < 6 && !restore; i++)
		restore = c->rbar[i] &&
			  pcifn_cfg_read(d->fn, PCI_BASE_ADDRESS_0 + 4 * i, 4) != c->rbar[i];
	if (!restore)
		return;
	for (int i = 0; i < 6; i++)
		pcifn_cfg_write(d->fn, PCI_BASE_ADDRESS_0 + 4 * i, 4, c->rbar[i]);
	pcifn_cfg_write(d->fn, PCI_ROM_ADDRESS, 4, c->rbar[6]);
}

static void basic_write(struct iemu_device *d, unsigned int pos, unsigned int n,
			uint32_t val)
{
	struct vfio_config *c = &d->cfg;
	bool intx_disable;

	if (pos == PCI_COMMAND)
		bar_restore_if_needed(d, val);
	default_write(d, pos, n, val);
	if (pos == PCI_COMMAND) {
		uint16_t keep = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;

		/* Remember what userspace enabled, to detect resets later. */
		put(c->v, PCI_COMMAND, 2, (get(c->v, PCI_COMMAND, 2) & ~keep) | (val & keep));
		device_update_mem_ok(d);
	}
	if (pos <= PCI_COMMAND + 1 && pos + n > PCI_COMMAND) {
		intx_disable = get(c->v, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE;
		if (intx_disable != c->virq_disabled) {
			c->virq_disabled = intx_disable;
			vfio_irq_intx_virt_mask(d, intx_disable);
		}
	}
	if (is_bar(pos))
		c->bardirty = true;
}

/* ---- capabilities ---- */

static unsigned int cap_start(const struct vfio_config *c, unsigned int pos)
{
	uint8_t id = c->map[pos];

	if (id == CAP_BASIC)
		return 0;
	while (pos - 1 >= HEADER_SIZE && c->map[pos - 1] == id)
		pos--;
	return pos;
}

static void pm_write(struct iemu_device *d, unsigned int pos, unsigned int n,
		     unsigned int offset, uint32_t val)
{
	default_write(d, pos, n, val);
	if (offset == PCI_PM_CTRL)
		vfio_pci_set_power_state(d, val & PCI_PM_CTRL_STATE_MASK);
}

static uint32_t msi_read(struct iemu_device *d, unsigned int pos, unsigned int n,
			 unsigned int offset)
{
	struct vfio_config *c = &d->cfg;

	/* Userspace sees as many vectors as it last enabled as capable. */
	if (offset <= PCI_MSI_FLAGS && offset + n >= PCI_MSI_FLAGS) {
		unsigned int f = cap_start(c, pos) + PCI_MSI_FLAGS;

		put(c->v, f, 2, (get(c->v, f, 2) & ~PCI_MSI_FLAGS_QMASK) | c->msi_qmax << 1);
	}
	return default_read(d, pos, n);
}

static void msi_write(struct iemu_device *d, unsigned int pos, unsigned int n,
		      unsigned int offset, uint32_t val)
{
	struct vfio_config *c = &d->cfg;
	unsigned int f;
	uint16_t flags;

	default_write(d, pos, n, val);
	if (!(offset <= PCI_MSI_FLAGS && offset + n >= PCI_MSI_FLAGS))
		return;
	f = cap_start(c, pos) + PCI_MSI_FLAGS;
	flags = get(c->v, f, 2);
	/* MSI is enabled through VFIO_DEVICE_SET_IRQS, never by a config write. */
	if (vfio_irq_type(&d->irq) != VFIO_IRQ_MSI)
		flags &= ~PCI_MSI_FLAGS_ENABLE;
	if ((unsigned int)((flags & PCI_MSI_FLAGS_QSIZE) >> 4) > c->msi_qmax)
		flags = (flags & ~PCI_MSI_FLAGS_QSIZE) | c->msi_qmax << 4;
	put(c->v, f, 2, flags);
	pcifn_cfg_write(d->fn, f, 2, flags);
}

/* ---- one aligned piece ---- */

/* Bytes from pos to the end of its dword or of its capability. */
static unsigned int piece_len(const struct vfio_config *c, unsigned int pos, size_t count)
{
	unsigned int n = 1;

	while ((pos + n) % 4 && c->map[pos + n] == c->map[pos])
		n++;
	if (count < n)
		n = count;
	if (n >= 4 && !(pos % 4))
		return 4;
	if (n >= 2 && !(pos % 2))
		return 2;
	return 1;
}

static uint32_t piece_read(struct iemu_device *d, unsigned int pos, unsigned int n)
{
	uint8_t id = d->cfg.map[pos];
	unsigned int offset = pos - cap_start(&d->cfg, pos);

	switch (id) {
	case CAP_BASIC:
		return basic_read(d, pos, n);
	case CAP_INVALID:
		return pcifn_cfg_read(d->fn, pos, n);
	case PCI_CAP_ID_PM:
		return default_read(d, pos, n);
	case PCI_CAP_ID_MSI:
		return msi_read(d, pos, n, offset);
	default:
		return direct_read(d, pos, n, offset);
	}
}

static void piece_write(struct iemu_device *d, unsigned int pos, unsigned int n,
			uint32_t val)
{
	uint8_t id = d->cfg.map[pos];
	unsigned int offset = pos - cap_start(&d->cfg, pos);

	switch (id) {
	case CAP_BASIC:
		basic_write(d, pos, n, val);
		break;
	case CAP_INVALID:
	case PCI_CAP_ID_VNDR:
		pcifn_cfg_write(d->fn, pos, n, val);
		break;
	case PCI_CAP_ID_PM:
		pm_write(d, pos, n, offset, val);
		break;
	case PCI_CAP_ID_MSI:
		msi_write(d, pos, n, offset, val);
		break;
	default:
		break; /* read-only capabilities (MSI-X): writes dropped */
	}
}

ssize_t vfio_config_rw(struct iemu_device *d, void *buf, size_t count,
		       uint64_t pos, bool write)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (count) {
		unsigned int n;

		if (pos >= PCIFN_CFG_SIZE || pos + count > PCIFN_CFG_SIZE)
			return -EFAULT;
		n = piece_len(&d->cfg, pos, count);
		if (write)
			piece_write(d, pos, n, get(p, done, n));
		else
			put(p, done, n, piece_read(d, pos, n));
		pos += n;
		done += n;
		count -= n;
	}
	return done;
}
