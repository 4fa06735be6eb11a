// SPDX-License-Identifier: MIT
/*
 * Anonymous files (see anon.h): references, fd numbers through the front
 * end's handlers or the in-process table, and the public file operations.
 */
#include "anon.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

int anon_create(struct iemu *emu, const struct anon_ops *ops, void *data,
		struct iemu_anon **out)
{
	struct iemu_anon *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->emu = emu;
	f->ops = ops;
	f->data = data;
	atomic_init(&f->refs, 1);
	pthread_mutex_init(&f->notify_lock, NULL);
	*out = f;
	return 0;
}

struct iemu_anon *iemu_anon_get(struct iemu_anon *f)
{
	atomic_fetch_add(&f->refs, 1);
	return f;
}

void iemu_anon_put(struct iemu_anon *f)
{
	if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	f->ops->release(f->data);
	pthread_mutex_destroy(&f->notify_lock);
	free(f);
}

const char *iemu_anon_name(const struct iemu_anon *f)
{
	return f->ops->name;
}

ssize_t iemu_anon_read(struct iemu_anon *f, void *buf, size_t len, uint64_t off)
{
	if (!f->ops->read)
		return -EINVAL;
	if (off)
		return -ESPIPE;
	return f->ops->read(f->data, buf, len);
}

ssize_t iemu_anon_write(struct iemu_anon *f, const void *buf, size_t len, uint64_t off)
{
	if (!f->ops->write)
		return -EINVAL;
	if (off)
		return -ESPIPE;
	return f->ops->write(f->data, buf, len);
}

unsigned int iemu_anon_poll(struct iemu_anon *f)
{
	/* A file without poll is always ready, as the VFS's default mask. */
	if (!f->ops->poll)
		return POLLIN | POLLRDNORM | POLLOUT;
	return f->ops->poll(f->data);
}

void iemu_anon_set_notify(struct iemu_anon *f, iemu_anon_notify_fn fn, void *opaque)
{
	pthread_mutex_lock(&f->notify_lock);
	f->notify = fn;
	f->notify_opaque = opaque;
	pthread_mutex_unlock(&f->notify_lock);
}

void anon_notify(struct iemu_anon *f)
{
	pthread_mutex_lock(&f->notify_lock);
	if (f->notify)
		f->notify(f->notify_opaque);
	pthread_mutex_unlock(&f->notify_lock);
}

/* ---- the in-process table ---- */

static int table_install(struct iemu *emu, struct iemu_anon *f)
{
	size_t i;

	pthread_mutex_lock(&emu->lock);
	for (i = 0; i < emu->anon_slots && emu->anon_table[i]; i++)
		;
	if (i == emu->anon_slots) {
		size_t n = emu->anon_slots ? emu->anon_slots * 2 : 16;
		struct iemu_anon **bigger = NULL;

		if (n <= (size_t)INT32_MAX - IEMU_ANON_FD_BASE)
			bigger = realloc(emu->anon_table, n * sizeof(*bigger));
		if (!bigger) {
			pthread_mutex_unlock(&emu->lock);
			return -EMFILE;
		}
		memset(bigger + emu->anon_slots, 0, (n - emu->anon_slots) * sizeof(*bigger));
		emu->anon_table = bigger;
		emu->anon_slots = n;
	}
	emu->anon_table[i] = iemu_anon_get(f);
	pthread_mutex_unlock(&emu->lock);
	return IEMU_ANON_FD_BASE + (int)i;
}

/* Take the table's entry for fd out: the file, or NULL. */
static struct iemu_anon *table_take(struct iemu *emu, int fd)
{
	size_t i = (size_t)fd - IEMU_ANON_FD_BASE;
	struct iemu_anon *f = NULL;

	pthread_mutex_lock(&emu->lock);
	if (fd >= IEMU_ANON_FD_BASE && i < emu->anon_slots) {
		f = emu->anon_table[i];
		emu->anon_table[i] = NULL;
	}
	pthread_mutex_unlock(&emu->lock);
	return f;
}

struct iemu_anon *iemu_anon_lookup(struct iemu *emu, int fd)
{
	size_t i = (size_t)fd - IEMU_ANON_FD_BASE;
	struct iemu_anon *f = NULL;

	pthread_mutex_lock(&emu->lock);
	if (fd >= IEMU_ANON_FD_BASE && i < emu->anon_slots && emu->anon_table[i])
		f = iemu_anon_get(emu->anon_table[i]);
	pthread_mutex_unlock(&emu->lock);
	return f;
}

int iemu_anon_close(struct iemu *emu, int fd)
{
	struct iemu_anon *f = table_take(emu, fd);

	if (!f)
		return -EBADF;
	iemu_anon_put(f);
	return 0;
}

void anon_table_destroy(struct iemu *emu)
{
	for (size_t i = 0; i < emu->anon_slots; i++)
		iemu_anon_close(emu, IEMU_ANON_FD_BASE + (int)i);
	free(emu->anon_table);
	emu->anon_table = NULL;
	emu->anon_slots = 0;
}

/* ---- fd numbers ---- */

void iemu_set_anon_handlers(struct iemu *emu, const struct iemu_anon_handlers *h,
			    void *opaque)
{
	pthread_mutex_lock(&emu->lock);
	emu->anon_handlers = h ? *h : (struct iemu_anon_handlers){ 0 };
	emu->anon_opaque = opaque;
	pthread_mutex_unlock(&emu->lock);
}

/* The handlers in force: NULL members mean the table. */
static struct iemu_anon_handlers handlers(struct iemu *emu, void **opaque)
{
	struct iemu_anon_handlers h;

	pthread_mutex_lock(&emu->lock);
	h = emu->anon_handlers;
	*opaque = emu->anon_opaque;
	pthread_mutex_unlock(&emu->lock);
	return h;
}

int anon_install(struct iemu_anon *f, struct iemu_proc *caller)
{
	void *opaque;
	struct iemu_anon_handlers h = handlers(f->emu, &opaque);

	if (h.install)
		return h.install(opaque, caller, f);
	return table_install(f->emu, f);
}

void anon_withdraw(struct iemu_anon *f, struct iemu_proc *caller, int fd)
{
	void *opaque;
	struct iemu_anon_handlers h = handlers(f->emu, &opaque);

	if (h.withdraw)
		h.withdraw(opaque, caller, fd);
	else
		iemu_anon_close(f->emu, fd);
}

int anon_resolve(struct iemu *emu, struct iemu_proc *caller, int fd,
		 const struct anon_ops *ops, struct iemu_anon **out)
{
	void *opaque;
	struct iemu_anon_handlers h = handlers(emu, &opaque);
	struct iemu_anon *f;
	int rc;

	if (h.resolve) {
		rc = h.resolve(opaque, caller, fd, &f);
		if (rc)
			return rc;
	} else {
		f = iemu_anon_lookup(emu, fd);
		if (!f)
			return -EBADF;
	}
	if (f->ops != ops) {
		iemu_anon_put(f);
		return -EBADFD;
	}
	*out = f;
	return 0;
}
