/* SPDX-License-Identifier: MIT */
/*
 * Eventfds the emulator waits on, as the kernel's virqfd: an INTx unmask
 * eventfd, an ioeventfd.  One thread per emulator polls them all; when one
 * is signalled its count is consumed and its handler runs on that thread,
 * with the handlers of every other watch on the same eventfd, newest first.
 * Handlers must not take a device's lock (removal runs under it).
 */
#ifndef IEMU_IRQFD_H
#define IEMU_IRQFD_H

struct iemu;
struct irqfd;

/* Watch fd (an eventfd of the emulator's, which the watch takes over):
 * handler(arg) runs each time it is signalled, and at once if it already
 * is.  0, -ENOMEM, or -errno of the thread's creation. */
int irqfd_add(struct iemu *emu, int fd, void (*handler)(void *arg), void *arg,
	      struct irqfd **out);

/* Stop watching and close the fd; returns once the handler is not running.
 * Never call from a handler. */
void irqfd_remove(struct irqfd *w);

/* Stop the emulator's thread (all watches must be gone). */
void irqfd_shutdown(struct iemu *emu);

#endif
