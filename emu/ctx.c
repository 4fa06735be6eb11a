// SPDX-License-Identifier: MIT
/*
 * Contexts: open, ioctl under the context's lock, release.
 */
#include "ctx.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "emu.h"
#include "ioas.h"
#include "obj.h"
#include "pages.h"
#include "proc.h"
#include "ucmd.h"

int iemu_ctx_open(struct iemu *emu, struct iemu_proc *opener,
		  struct iemu_ctx **out)
{
	struct iemu_ctx *ctx = calloc(1, sizeof(*ctx));
	pthread_mutexattr_t attr;

	(void)opener;
	if (!ctx)
		return -ENOMEM;
	ctx->emu = emu;
	ctx->refs = 1;
	ctx->account_mode = ACCOUNT_USER;
	idalloc_init(&ctx->ids, INT_MAX);
	imap_init(&ctx->mmaps);
	pthread_mutexattr_init(&attr);
	/* An access's unmap callback runs under the lock and may unpin. */
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&ctx->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_lock(&emu->lock);
	ctx->next = emu->ctxs;
	emu->ctxs = ctx;
	pthread_mutex_unlock(&emu->lock);
	*out = ctx;
	return 0;
}

long iemu_ctx_ioctl(struct iemu_ctx *ctx, struct iemu_proc *caller,
		    unsigned int cmd, uint64_t arg)
{
	long rc;

	rc = -inject_ioctl(ctx->emu, IEMU_FILE_IOMMU, cmd, caller->pid);
	if (rc)
		return rc;
	if (caller->ops->begin)
		caller->ops->begin(caller->opaque);
	pthread_mutex_lock(&ctx->lock);
	rc = iommufd_ioctl(ctx, caller, cmd, arg);
	pthread_mutex_unlock(&ctx->lock);
	if (caller->ops->end)
		caller->ops->end(caller->opaque);
	return rc;
}

long iemu_ioctl(struct iemu_ctx *ctx, unsigned int cmd, void *arg)
{
	struct iemu_proc *self;
	long rc;

	if (!ctx->self) {
		rc = iemu_proc_self(ctx->emu, &self);
		if (rc)
			return rc;
		pthread_mutex_lock(&ctx->lock);
		if (!ctx->self)
			ctx->self = self;
		else
			iemu_proc_put(self);
		pthread_mutex_unlock(&ctx->lock);
	}
	return iemu_ctx_ioctl(ctx, ctx->self, cmd, (uintptr_t)arg);
}

static void unlink_ctx(struct iemu_ctx *ctx)
{
	struct iemu_ctx **pp;

	pthread_mutex_lock(&ctx->emu->lock);
	for (pp = &ctx->emu->ctxs; *pp; pp = &(*pp)->next) {
		if (*pp == ctx) {
			*pp = ctx->next;
			break;
		}
	}
	pthread_mutex_unlock(&ctx->emu->lock);
}

struct iemu_ctx *iemu_ctx_get(struct iemu_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->refs++;
	pthread_mutex_unlock(&ctx->lock);
	return ctx;
}

void iemu_ctx_close(struct iemu_ctx *ctx)
{
	bool last;

	pthread_mutex_lock(&ctx->lock);
	last = --ctx->refs == 0;
	if (last)
		obj_release_all(ctx);
	pthread_mutex_unlock(&ctx->lock);
	if (!last)
		return;
	unlink_ctx(ctx);
	if (ctx->self)
		iemu_proc_put(ctx->self);
	idalloc_destroy(&ctx->ids);
	imap_destroy(&ctx->mmaps);
	free(ctx->slots);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

struct stats_walk {
	struct iemu_ctx_stats *st;
	unsigned int visit;
};

static int count_area(void *arg, struct area *a)
{
	struct stats_walk *w = arg;

	w->st->areas++;
	if (a->pages->visit != w->visit) {
		a->pages->visit = w->visit;
		w->st->pinned_pages += a->pages->npinned;
	}
	return 0;
}

static void count_obj(void *arg, struct obj *obj)
{
	struct stats_walk *w = arg;

	w->st->objects++;
	if (obj->type == OBJ_IOAS) {
		struct ioas *ioas = (struct ioas *)obj;

		w->st->ioas++;
		w->st->mapped_bytes += ioas->iopt.mapped_bytes;
		iopt_for_each_area(&ioas->iopt, count_area, w);
	} else if (obj->type == OBJ_HWPT_PAGING) {
		w->st->hwpt++;
	} else if (obj->type == OBJ_DEVICE) {
		w->st->devices++;
	} else if (obj->type == OBJ_ACCESS) {
		w->st->accesses++;
	}
}

void iemu_ctx_stats(struct iemu_ctx *ctx, struct iemu_ctx_stats *out)
{
	struct stats_walk w = { .st = out };

	*out = (struct iemu_ctx_stats){ 0 };
	pthread_mutex_lock(&ctx->lock);
	w.visit = ++ctx->visit;
	obj_for_each(ctx, count_obj, &w);
	pthread_mutex_unlock(&ctx->lock);
}
