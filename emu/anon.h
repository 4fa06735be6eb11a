/* SPDX-License-Identifier: MIT */
/*
 * Anonymous files (struct iemu_anon, see iommufd_emu.h): what the kernel
 * makes with anon_inode_getfile() for a fault queue, a vEVENTQ or a selftest
 * access.  A module supplies the file operations; this module counts
 * references, hands out fd numbers through the front end's handlers (or an
 * in-process table) and resolves them back.
 */
#ifndef IEMU_ANON_H
#define IEMU_ANON_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "iommufd_emu.h"

struct anon_ops {
	const char *name; /* the kernel's anon inode name */
	/* NULL read or write: -EINVAL, as a file without that operation. */
	ssize_t (*read)(void *data, void *buf, size_t len);
	ssize_t (*write)(void *data, const void *buf, size_t len);
	unsigned int (*poll)(void *data);
	/* The last reference went: undo what the file held. */
	void (*release)(void *data);
};

struct iemu_anon {
	struct iemu *emu;
	const struct anon_ops *ops;
	void *data;
	atomic_int refs;
	pthread_mutex_t notify_lock;
	iemu_anon_notify_fn notify;
	void *notify_opaque;
};

/* A new file with one reference, the creator's. */
int anon_create(struct iemu *emu, const struct anon_ops *ops, void *data,
		struct iemu_anon **out);

/* Give caller an fd number for f (the fd takes its own reference): the
 * number or a negative errno.  anon_withdraw undoes it after a failure. */
int anon_install(struct iemu_anon *f, struct iemu_proc *caller);
void anon_withdraw(struct iemu_anon *f, struct iemu_proc *caller, int fd);

/* The file of kind ops behind caller's fd number, with a reference:
 * 0, -EBADF (no such fd) or -EBADFD (another kind of file). */
int anon_resolve(struct iemu *emu, struct iemu_proc *caller, int fd,
		 const struct anon_ops *ops, struct iemu_anon **out);

/* What poll answers may have changed: tell whoever waits. */
void anon_notify(struct iemu_anon *f);

/* The in-process table, freed with the emulator. */
void anon_table_destroy(struct iemu *emu);

#endif
