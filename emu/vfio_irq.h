/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci interrupts: the eventfds userspace hands over with
 * VFIO_DEVICE_SET_IRQS, and what the function's interrupt pins do to them.
 * INTx is level-triggered and automasked: an assertion masks the line (the
 * function's INTx disable bit) and signals the trigger; an unmask with the
 * line still asserted signals again instead.  MSI and MSI-X vectors signal
 * their eventfds.  The error and request indexes carry one eventfd each.
 */
#ifndef IEMU_VFIO_IRQ_H
#define IEMU_VFIO_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "iommufd_emu/uapi/vfio.h"

struct iemu_device;
struct iemu_proc;
struct irqfd;

/* The index in use for the function's interrupts (irq_type); NONE when
 * neither INTx nor MSI nor MSI-X is set up. */
#define VFIO_IRQ_INTX VFIO_PCI_INTX_IRQ_INDEX
#define VFIO_IRQ_MSI VFIO_PCI_MSI_IRQ_INDEX
#define VFIO_IRQ_MSIX VFIO_PCI_MSIX_IRQ_INDEX
#define VFIO_IRQ_NONE VFIO_PCI_NUM_IRQS

struct vfio_irq {
	pthread_mutex_t lock;   /* everything below; eventfds are signalled under it */
	int type;
	bool virq_disabled;     /* INTx disable as userspace set it in config space */
	bool intx_masked;
	int intx_trigger;       /* eventfds of the emulator's, -1 when unset */
	struct irqfd *intx_unmask;
	int *vectors;           /* MSI / MSI-X triggers */
	unsigned int nvectors;  /* slots in vectors */
	unsigned int nalloc;    /* vectors allocated at enable (MSI) */
	int err_trigger;
	int req_trigger;
	uint64_t signals;       /* eventfd signals sent, for the status view */
};

void vfio_irq_init(struct vfio_irq *q);
void vfio_irq_fini(struct vfio_irq *q);

/* The index in use (VFIO_IRQ_*). */
int vfio_irq_type(struct vfio_irq *q);

/* How many interrupts an index has (GET_IRQ_INFO's count). */
unsigned int vfio_irq_count(struct iemu_device *d, unsigned int index);

/* VFIO_DEVICE_SET_IRQS after the header was validated: data holds count
 * bools or fds (or nothing), as flags say.  Eventfds are taken from
 * caller.  Device lock held. */
int vfio_irq_set(struct iemu_device *d, struct iemu_proc *caller, uint32_t flags,
		 unsigned int index, unsigned int start, unsigned int count,
		 const void *data);

/* Tear down everything (device close). */
void vfio_irq_disable_all(struct iemu_device *d);

/* Userspace changed INTx disable in the command register. */
void vfio_irq_intx_virt_mask(struct iemu_device *d, bool disabled);

/* Signal the request eventfd (the emulator wants the device back) or the
 * error eventfd (the device reported an error); false if none is set. */
bool vfio_irq_request(struct iemu_device *d);
bool vfio_irq_error(struct iemu_device *d);

/* The function's pins (its pcifn_host callbacks; opaque is the device). */
void vfio_irq_intx_pin(void *opaque, bool level);
void vfio_irq_msi_pin(void *opaque, unsigned int vector);
void vfio_irq_msix_pin(void *opaque, unsigned int vector);

#endif
