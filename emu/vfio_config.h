/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci's view of a function's configuration space, as userspace reads
 * and writes it through the config region: a virtual copy (vconfig) for the
 * fields vfio-pci owns (BARs, which size themselves; INTx disable, which it
 * emulates; the capability chain; MSI), per-bit virtualisation and write
 * permissions per capability, and the hardware underneath for the rest.
 * Capabilities vfio-pci does not know how to size are hidden.
 */
#ifndef IEMU_VFIO_CONFIG_H
#define IEMU_VFIO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pci.h"

struct iemu_device;

struct vfio_config {
	uint8_t v[PCIFN_CFG_SIZE];     /* vconfig */
	uint8_t map[PCIFN_CFG_SIZE];   /* capability id of each byte */
	uint8_t virt[PCIFN_CFG_SIZE];  /* bits served from vconfig */
	uint8_t write[PCIFN_CFG_SIZE]; /* bits userspace may write */
	uint32_t rbar[7];              /* BARs and ROM as enabled, for restore */
	bool bardirty;                 /* BAR sizing fixup pending */
	bool virq_disabled;            /* INTx disable as userspace set it */
	unsigned int msi_qmax;         /* log2 of the MSI vectors enabled */
};

/* Build vconfig from the function's registers (when the device opens). */
void vfio_config_init(struct vfio_config *c, struct pcifn *fn);

/* Userspace's pread/pwrite of the config region at pos: bytes done, or
 * -EFAULT for a range outside config space (even after a partial access). */
ssize_t vfio_config_rw(struct iemu_device *d, void *buf, size_t count,
		       uint64_t pos, bool write);

/* Memory decode as userspace enabled it in the command register. */
bool vfio_config_memory_enabled(const struct vfio_config *c);

#endif
