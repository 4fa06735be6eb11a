// SPDX-License-Identifier: MIT
/*
 * The emulator instance: creation with defaults, destruction.
 */
#include "emu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "account.h"
#include "anon.h"
#include "device.h"
#include "irqfd.h"
#include "proc.h"

int iemu_create(const struct iemu_config *cfg, struct iemu **out)
{
	struct iemu *emu = calloc(1, sizeof(*emu));

	if (!emu)
		return -ENOMEM;
	if (cfg)
		emu->cfg = *cfg;
	if (!emu->cfg.kernel)
		emu->cfg.kernel = IEMU_KERNEL_7_3;
	pthread_mutex_init(&emu->lock, NULL);
	pthread_mutex_init(&emu->pins_lock, NULL);
	physmem_init(&emu->phys);
	inject_init(&emu->inject);
	*out = emu;
	return 0;
}

void iemu_set_fd_resolver(struct iemu *emu, iemu_fd_resolver fn, void *opaque)
{
	pthread_mutex_lock(&emu->lock);
	emu->resolve_fd = fn;
	emu->resolve_opaque = opaque;
	pthread_mutex_unlock(&emu->lock);
}

void iemu_destroy(struct iemu *emu)
{
	if (!emu)
		return;
	anon_table_destroy(emu);
	device_destroy_all(emu);
	irqfd_shutdown(emu);
	if (emu->self)
		iemu_proc_put(emu->self);
	account_destroy(emu);
	inject_destroy(&emu->inject);
	physmem_destroy(&emu->phys);
	pthread_mutex_destroy(&emu->pins_lock);
	pthread_mutex_destroy(&emu->lock);
	free(emu);
}

void emu_oom(const char *where)
{
	fprintf(stderr, "iommufd-emu: out of memory in %s\n", where);
	abort();
}
