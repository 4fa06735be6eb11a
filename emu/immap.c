// SPDX-License-Identifier: MIT
/*
 * mmap regions of the iommufd (see immap.h) and the public mmap and munmap.
 */
#include "immap.h"

#include <errno.h>
#include <stdlib.h>

#include "ctx.h"
#include "emu.h"
#include "obj.h"
#include "proc.h"

struct immap {
	struct obj *owner;
	const void *buf;
	uint64_t length;
};

int immap_alloc(struct iemu_ctx *ctx, struct obj *owner, const void *buf,
		uint64_t length, uint64_t *offset)
{
	struct immap *m;
	uint64_t gs, gl;
	int rc;

	if (!length || length % PAGE_SIZE)
		return -EINVAL;
	if (!imap_next_gap(&ctx->mmaps, PAGE_SIZE, UINT64_MAX, length, &gs, &gl))
		return -ENOSPC;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	*m = (struct immap){ .owner = owner, .buf = buf, .length = length };
	rc = imap_insert(&ctx->mmaps, gs, gs + length - 1, (uintptr_t)m);
	if (rc) {
		free(m);
		return rc;
	}
	*offset = gs;
	return 0;
}

void immap_destroy(struct iemu_ctx *ctx, uint64_t offset)
{
	struct imap_entry e;

	if (imap_remove(&ctx->mmaps, offset, &e))
		free((struct immap *)(uintptr_t)e.val);
}

/* The region that starts at offset and is length long, or NULL. */
static struct immap *exact(struct iemu_ctx *ctx, uint64_t offset, uint64_t length)
{
	struct imap_entry e;

	if (!imap_find(&ctx->mmaps, offset, &e) || e.start != offset ||
	    e.last - e.start + 1 != length)
		return NULL;
	return (struct immap *)(uintptr_t)e.val;
}

int iemu_ctx_mmap(struct iemu_ctx *ctx, struct iemu_proc *caller, uint64_t offset,
		  uint64_t length, bool shared, bool exec, uint64_t addr)
{
	struct immap *m;
	int rc = 0;

	if (length % PAGE_SIZE || !shared)
		return -EINVAL;
	if (exec)
		return -EPERM;
	pthread_mutex_lock(&ctx->lock);
	m = exact(ctx, offset, length);
	if (!m)
		rc = -ENXIO;
	else if (proc_write(caller, addr, m->buf, length))
		rc = -EFAULT;
	else
		m->owner->users++;
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

void iemu_ctx_munmap(struct iemu_ctx *ctx, uint64_t offset, uint64_t length)
{
	struct immap *m;

	pthread_mutex_lock(&ctx->lock);
	m = exact(ctx, offset, length);
	if (m)
		m->owner->users--;
	pthread_mutex_unlock(&ctx->lock);
}
