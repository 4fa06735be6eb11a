// SPDX-License-Identifier: MIT
/*
 * vfio-pci interrupts (see vfio_irq.h), following Linux's vfio_pci_intrs.c:
 * which actions each index takes, when INTx, MSI or MSI-X may be enabled,
 * the errno of every refusal.  The function's INTx disable bit is touched
 * only with the lock dropped: writing it can re-enter through the INTx pin.
 */
#include "vfio_irq.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"
#include "device.h"
#include "irqfd.h"
#include "proc.h"

void vfio_irq_init(struct vfio_irq *q)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	q->type = VFIO_IRQ_NONE;
	q->intx_trigger = q->err_trigger = q->req_trigger = -1;
}

void vfio_irq_fini(struct vfio_irq *q)
{
	free(q->vectors);
	pthread_mutex_destroy(&q->lock);
}

int vfio_irq_type(struct vfio_irq *q)
{
	int type;

	pthread_mutex_lock(&q->lock);
	type = q->type;
	pthread_mutex_unlock(&q->lock);
	return type;
}

unsigned int vfio_irq_count(struct iemu_device *d, unsigned int index)
{
	struct pcifn *fn = d->fn;
	uint16_t flags;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return d->cfg.v[PCI_INTERRUPT_PIN] ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		if (!fn->msi_cap)
			return 0;
		flags = pcifn_cfg_read(fn, fn->msi_cap + PCI_MSI_FLAGS, 2);
		return 1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (!fn->msix_cap)
			return 0;
		flags = pcifn_cfg_read(fn, fn->msix_cap + PCI_MSIX_FLAGS, 2);
		return (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	case VFIO_PCI_ERR_IRQ_INDEX:
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

/* ---- eventfds ---- */

static void signal_fd(struct vfio_irq *q, int fd)
{
	if (fd >= 0 && eventfd_write(fd, 1) == 0)
		q->signals++;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- INTx ---- */

static void send_intx(struct vfio_irq *q)
{
	if (q->type == VFIO_IRQ_INTX && !q->virq_disabled)
		signal_fd(q, q->intx_trigger);
}

/* Mask INTx (ioctl, config space or the pin): true if it changed. */
static bool intx_mask(struct iemu_device *d)
{
	struct vfio_irq *q = &d->irq;
	bool changed = false, hw = true;

	pthread_mutex_lock(&q->lock);
	if (q->type == VFIO_IRQ_INTX) {
		changed = !q->intx_masked;
		hw = changed;
		q->intx_masked = true;
	}
	pthread_mutex_unlock(&q->lock);
	if (hw)
		pcifn_intx_disable(d->fn, true);
	return changed;
}

/* Unmask INTx; a line still asserted is signalled again and stays masked. */
static void intx_unmask(struct iemu_device *d)
{
	struct vfio_irq *q = &d->irq;
	bool clear = false;

	pthread_mutex_lock(&q->lock);
	if (q->type != VFIO_IRQ_INTX) {
		clear = true;
	} else if (q->intx_masked && !q->virq_disabled) {
		if (pcifn_intx_asserted(d->fn)) {
			send_intx(q);
		} else {
			q->intx_masked = false;
			clear = true;
		}
	}
	pthread_mutex_unlock(&q->lock);
	if (clear)
		pcifn_intx_disable(d->fn, false);
}

void vfio_irq_intx_pin(void *opaque, bool level)
{
	struct iemu_device *d = opaque;
	struct vfio_irq *q = &d->irq;
	bool mask = false;

	if (!level)
		return;
	pthread_mutex_lock(&q->lock);
	if (q->type == VFIO_IRQ_INTX && !q->intx_masked) {
		q->intx_masked = true;
		mask = true;
		send_intx(q);
	}
	pthread_mutex_unlock(&q->lock);
	if (mask)
		pcifn_intx_disable(d->fn, true);
}

void vfio_irq_intx_virt_mask(struct iemu_device *d, bool disabled)
{
	struct vfio_irq *q = &d->irq;

	pthread_mutex_lock(&q->lock);
	q->virq_disabled = disabled;
	pthread_mutex_unlock(&q->lock);
	if (disabled)
		intx_mask(d);
	else
		intx_unmask(d);
}

static int intx_enable(struct iemu_device *d, int trigger)
{
	struct vfio_irq *q = &d->irq;
	bool masked, fire = false;

	pthread_mutex_lock(&q->lock);
	if (q->type != VFIO_IRQ_NONE) {
		pthread_mutex_unlock(&q->lock);
		return -EINVAL;
	}
	q->intx_trigger = trigger;
	q->intx_masked = masked = q->virq_disabled;
	q->type = VFIO_IRQ_INTX;
	pthread_mutex_unlock(&q->lock);
	pcifn_intx_disable(d->fn, masked);
	/* A line already asserted fires as soon as the handler is installed. */
	pthread_mutex_lock(&q->lock);
	if (!q->intx_masked && pcifn_intx_asserted(d->fn)) {
		q->intx_masked = fire = true;
		send_intx(q);
	}
	pthread_mutex_unlock(&q->lock);
	if (fire)
		pcifn_intx_disable(d->fn, true);
	return 0;
}

static void intx_unmask_fd_fired(void *arg)
{
	intx_unmask(arg);
}

static void intx_disable(struct iemu_device *d)
{
	struct vfio_irq *q = &d->irq;

	if (q->intx_unmask)
		irqfd_remove(q->intx_unmask);
	pthread_mutex_lock(&q->lock);
	q->intx_unmask = NULL;
	close_fd(&q->intx_trigger);
	q->type = VFIO_IRQ_NONE;
	pthread_mutex_unlock(&q->lock);
}

static int set_intx_unmask(struct iemu_device *d, struct iemu_proc *caller,
			   unsigned int start, unsigned int count, uint32_t flags,
			   const void *data)
{
	struct vfio_irq *q = &d->irq;
	int fd = -1, rc;

	if (vfio_irq_type(q) != VFIO_IRQ_INTX || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		intx_unmask(d);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(const uint8_t *)data)
			intx_unmask(d);
	} else if (*(const int32_t *)data >= 0) {
		rc = proc_eventfd(caller, *(const int32_t *)data, &fd);
		if (!rc && q->intx_unmask)
			rc = -EBUSY;
		if (!rc)
			rc = irqfd_add(d->emu, fd, intx_unmask_fd_fired, d, &q->intx_unmask);
		if (rc && fd >= 0)
			close(fd);
		return rc;
	} else if (q->intx_unmask) {
		irqfd_remove(q->intx_unmask);
		q->intx_unmask = NULL;
	}
	return 0;
}

static int set_intx_mask(struct iemu_device *d, unsigned int start, unsigned int count,
			 uint32_t flags, const void *data)
{
	if (vfio_irq_type(&d->irq) != VFIO_IRQ_INTX || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_NONE)
		intx_mask(d);
	else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(const uint8_t *)data)
			intx_mask(d);
	} else {
		return -ENOTTY; /* not implemented by vfio-pci either */
	}
	return 0;
}

static int set_intx_trigger(struct iemu_device *d, struct iemu_proc *caller,
			    unsigned int start, unsigned int count, uint32_t flags,
			    const void *data)
{
	struct vfio_irq *q = &d->irq;
	int type = vfio_irq_type(q), fd = -1, rc;

	if (type == VFIO_IRQ_INTX && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		intx_disable(d);
		return 0;
	}
	if ((type != VFIO_IRQ_INTX && type != VFIO_IRQ_NONE) || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		if (*(const int32_t *)data >= 0) {
			rc = proc_eventfd(caller, *(const int32_t *)data, &fd);
			if (rc)
				return rc;
		}
		if (type == VFIO_IRQ_NONE) {
			rc = intx_enable(d, fd);
			if (rc && fd >= 0)
				close(fd);
			return rc;
		}
		pthread_mutex_lock(&q->lock);
		close_fd(&q->intx_trigger);
		q->intx_trigger = fd;
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	if (type != VFIO_IRQ_INTX)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(const uint8_t *)data)
		send_intx(q);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

/* ---- MSI and MSI-X ---- */

static unsigned int log2_up(unsigned int n)
{
	unsigned int l = 0;

	while ((1u << l) < n)
		l++;
	return l;
}

static int msi_enable(struct iemu_device *d, unsigned int nvec, bool msix)
{
	struct vfio_irq *q = &d->irq;
	unsigned int slots = vfio_irq_count(d, msix ? VFIO_IRQ_MSIX : VFIO_IRQ_MSI);
	int *vectors = malloc(slots * sizeof(*vectors));

	if (!vectors)
		return -ENOMEM;
	for (unsigned int i = 0; i < slots; i++)
		vectors[i] = -1;
	/* The host kernel disables INTx while MSI is on. */
	pcifn_intx_disable(d->fn, true);
	if (msix)
		pcifn_msix_control(d->fn, true);
	else
		pcifn_msi_control(d->fn, true, log2_up(nvec));
	pthread_mutex_lock(&q->lock);
	free(q->vectors);
	q->vectors = vectors;
	q->nvectors = slots;
	q->nalloc = nvec;
	q->type = msix ? VFIO_IRQ_MSIX : VFIO_IRQ_MSI;
	pthread_mutex_unlock(&q->lock);
	if (!msix)
		d->cfg.msi_qmax = log2_up(nvec);
	return 0;
}

static void msi_disable(struct iemu_device *d, bool msix)
{
	struct vfio_irq *q = &d->irq;

	pthread_mutex_lock(&q->lock);
	for (unsigned int i = 0; i < q->nvectors; i++)
		close_fd(&q->vectors[i]);
	/* Nothing of the vectors outlives the disable (vfio_msi_disable
	 * frees each vector's context): a refused enable leaves no trace. */
	free(q->vectors);
	q->vectors = NULL;
	q->nvectors = q->nalloc = 0;
	q->type = VFIO_IRQ_NONE;
	pthread_mutex_unlock(&q->lock);
	if (msix)
		pcifn_msix_control(d->fn, false);
	else
		pcifn_msi_control(d->fn, false, 0);
	pcifn_intx_disable(d->fn, false);
}

static int set_vector(struct iemu_device *d, struct iemu_proc *caller,
		      unsigned int v, int fd, bool msix)
{
	struct vfio_irq *q = &d->irq;
	bool had;
	int ours, rc;

	pthread_mutex_lock(&q->lock);
	had = q->vectors[v] >= 0;
	close_fd(&q->vectors[v]);
	pthread_mutex_unlock(&q->lock);
	if (fd < 0)
		return 0;
	/* MSI vectors beyond those enabled cannot be added; MSI-X can grow. */
	if (!had && !msix && v >= q->nalloc)
		return -EINVAL;
	rc = proc_eventfd(caller, fd, &ours);
	if (rc)
		return rc;
	pthread_mutex_lock(&q->lock);
	q->vectors[v] = ours;
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static int set_block(struct iemu_device *d, struct iemu_proc *caller,
		     unsigned int start, unsigned int count, const int32_t *fds,
		     bool msix)
{
	unsigned int i, j;
	int rc = 0;

	for (i = 0, j = start; i < count && !rc; i++, j++)
		rc = set_vector(d, caller, j, fds ? fds[i] : -1, msix);
	if (rc)
		for (i = start; i < j; i++)
			set_vector(d, caller, i, -1, msix);
	return rc;
}

static int set_msi_trigger(struct iemu_device *d, struct iemu_proc *caller,
			   unsigned int index, unsigned int start, unsigned int count,
			   uint32_t flags, const void *data)
{
	struct vfio_irq *q = &d->irq;
	bool msix = index == VFIO_IRQ_MSIX;
	int type = vfio_irq_type(q), rc;

	if (type == (int)index && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		msi_disable(d, msix);
		return 0;
	}
	if (type != (int)index && type != VFIO_IRQ_NONE)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		if (type == (int)index)
			return set_block(d, caller, start, count, data, msix);
		rc = msi_enable(d, start + count, msix);
		if (rc)
			return rc;
		rc = set_block(d, caller, start, count, data, msix);
		if (rc)
			msi_disable(d, msix);
		return rc;
	}
	if (type != (int)index)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	for (unsigned int i = start; i < start + count; i++)
		if ((flags & VFIO_IRQ_SET_DATA_NONE) || ((const uint8_t *)data)[i - start])
			signal_fd(q, q->vectors[i]);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static void vector_fired(struct iemu_device *d, int type, unsigned int v)
{
	struct vfio_irq *q = &d->irq;

	pthread_mutex_lock(&q->lock);
	if (q->type == type && v < q->nvectors)
		signal_fd(q, q->vectors[v]);
	pthread_mutex_unlock(&q->lock);
}

void vfio_irq_msi_pin(void *opaque, unsigned int vector)
{
	vector_fired(opaque, VFIO_IRQ_MSI, vector);
}

void vfio_irq_msix_pin(void *opaque, unsigned int vector)
{
	vector_fired(opaque, VFIO_IRQ_MSIX, vector);
}

/* ---- error and request ---- */

static int set_single(struct iemu_device *d, struct iemu_proc *caller, int *slot,
		      unsigned int start, unsigned int count, uint32_t flags,
		      const void *data)
{
	struct vfio_irq *q = &d->irq;
	int fd, ours, rc = 0;

	if (start != 0 || count > 1)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (*slot < 0)
			rc = -EINVAL;
		else if (count)
			signal_fd(q, *slot);
		else
			close_fd(slot);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (!count)
			rc = -EINVAL;
		else if (*(const uint8_t *)data)
			signal_fd(q, *slot);
	} else if (!count) {
		rc = -EINVAL;
	} else if ((fd = *(const int32_t *)data) == -1) {
		close_fd(slot);
	} else if (fd < 0) {
		rc = -EINVAL;
	} else {
		pthread_mutex_unlock(&q->lock);
		rc = proc_eventfd(caller, fd, &ours);
		pthread_mutex_lock(&q->lock);
		if (!rc) {
			close_fd(slot);
			*slot = ours;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static bool signal_single(struct iemu_device *d, int *slot)
{
	struct vfio_irq *q = &d->irq;
	bool sent;

	pthread_mutex_lock(&q->lock);
	sent = *slot >= 0;
	signal_fd(q, *slot);
	pthread_mutex_unlock(&q->lock);
	return sent;
}

bool vfio_irq_request(struct iemu_device *d)
{
	return signal_single(d, &d->irq.req_trigger);
}

bool vfio_irq_error(struct iemu_device *d)
{
	return signal_single(d, &d->irq.err_trigger);
}

/* ---- dispatch ---- */

int vfio_irq_set(struct iemu_device *d, struct iemu_proc *caller, uint32_t flags,
		 unsigned int index, unsigned int start, unsigned int count,
		 const void *data)
{
	uint32_t action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			return set_intx_mask(d, start, count, flags, data);
		if (action == VFIO_IRQ_SET_ACTION_UNMASK)
			return set_intx_unmask(d, caller, start, count, flags, data);
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return set_intx_trigger(d, caller, start, count, flags, data);
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return set_msi_trigger(d, caller, index, start, count, flags, data);
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return set_single(d, caller, &d->irq.err_trigger, start, count,
					  flags, data);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return set_single(d, caller, &d->irq.req_trigger, start, count,
					  flags, data);
		break;
	}
	return -ENOTTY;
}

/* Whether an eventfd holds a count nobody read. */
static bool unread(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&p, 1, 0) == 1;
}

static void report_unacked(struct iemu_device *d, const char *which, unsigned int v)
{
	check_report(d->emu, IEMU_REPORT_IRQ_UNACKED, d->binder ? d->binder->pid : 0, d->name,
		     which, 0, 0, 0, "%s interrupt %u was signalled and never consumed from "
		     "its eventfd", which, v);
}

/* Under --check, at close: interrupts the driver never took. */
static void check_unacked(struct iemu_device *d)
{
	struct vfio_irq *q = &d->irq;

	if (!check_on(d->emu))
		return;
	pthread_mutex_lock(&q->lock);
	if (q->type == VFIO_IRQ_INTX && (unread(q->intx_trigger) ||
					 (q->intx_masked && pcifn_intx_asserted(d->fn))))
		report_unacked(d, "INTx", 0);
	for (unsigned int i = 0; i < q->nvectors && q->type != VFIO_IRQ_INTX &&
	     q->type != VFIO_IRQ_NONE; i++)
		if (unread(q->vectors[i]))
			report_unacked(d, q->type == VFIO_IRQ_MSI ? "MSI" : "MSI-X", i);
	pthread_mutex_unlock(&q->lock);
}

void vfio_irq_disable_all(struct iemu_device *d)
{
	struct vfio_irq *q = &d->irq;
	int type = vfio_irq_type(q);

	check_unacked(d);

	if (type == VFIO_IRQ_INTX)
		intx_disable(d);
	else if (type == VFIO_IRQ_MSI || type == VFIO_IRQ_MSIX)
		msi_disable(d, type == VFIO_IRQ_MSIX);
	pthread_mutex_lock(&q->lock);
	close_fd(&q->err_trigger);
	close_fd(&q->req_trigger);
	q->virq_disabled = false;
	pthread_mutex_unlock(&q->lock);
}
