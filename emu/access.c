// SPDX-License-Identifier: MIT
/*
 * Access objects (see access.h), after the kernel's device.c and pages.c:
 * pins and copies walk the areas that cover a range back to back, and stop
 * with ENOENT at the first hole.
 */
#include "access.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctx.h"
#include "emu.h"
#include "ioas.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "pages.h"
#include "proc.h"
#include "pt.h"

struct access_pin {
	uint64_t iova;
	uint64_t length;
	/* Where it was pinned, as the kernel's ioas_unpin: the unmap callback
	 * of a detach or replace may still unpin it there; NULL once that
	 * attachment has ended. */
	struct ioas *ioas;
	struct access_pin *next;
};

static bool prot_ok(const struct area *a, bool write)
{
	return a->prot & (write ? PT_WRITE : PT_READ);
}

/* ---- lifetime ---- */

int access_create(struct iemu_ctx *ctx, const struct access_ops *ops, void *data,
		  struct access **out)
{
	struct obj *obj;
	struct access *a;
	int rc;

	pthread_mutex_lock(&ctx->lock);
	rc = obj_alloc(ctx, sizeof(*a), OBJ_ACCESS, &obj);
	if (!rc) {
		a = (struct access *)obj;
		a->ctx = ctx;
		a->ops = ops;
		a->data = data;
		obj_finalize(ctx, obj);
		/* The creator holds it until access_destroy. */
		obj->users++;
		*out = a;
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

static const struct access_ops internal_ops = {
	.needs_pin_pages = true,
};

int access_create_internal(struct iemu_ctx *ctx, struct access **out)
{
	int rc = access_create(ctx, &internal_ops, NULL, out);

	if (!rc)
		(*out)->internal = true;
	return rc;
}

static void unlink_from(struct ioas *ioas, struct access *a)
{
	struct access **pp;

	for (pp = &ioas->accesses; *pp && *pp != a; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = a->next;
	a->next = NULL;
}

/* Move the access to new (which may be NULL): the kernel's change_ioas. */
static int change_ioas(struct access *a, struct ioas *new)
{
	struct ioas *cur = a->ioas;
	int rc;

	if (cur == new)
		return 0;
	if (new) {
		if (a->ops->needs_pin_pages) {
			rc = iopt_add_page_access(&new->iopt);
			if (rc)
				return rc;
		}
		new->obj.users++;
	}
	if (cur) {
		struct access_pin *p;

		/* New pins fail from here on; the callback can still unpin. */
		a->ioas = NULL;
		if (a->ops->unmap)
			a->ops->unmap(a->data, 0, UINT64_MAX);
		/* What it kept stays pinned, as in the kernel (which WARNs). */
		for (p = a->pins; p; p = p->next)
			if (p->ioas == cur)
				p->ioas = NULL;
		unlink_from(cur, a);
		if (a->ops->needs_pin_pages)
			iopt_remove_page_access(&cur->iopt);
		cur->obj.users--;
	}
	a->ioas = new;
	if (new) {
		a->next = new->accesses;
		new->accesses = a;
	}
	return 0;
}

void access_destroy(struct access *a)
{
	struct iemu_ctx *ctx = a->ctx;

	pthread_mutex_lock(&ctx->lock);
	change_ioas(a, NULL);
	while (a->pins) {
		struct access_pin *p = a->pins;

		a->pins = p->next;
		free(p);
	}
	a->obj.users--;
	obj_remove(ctx, a->obj.id);
	pthread_mutex_unlock(&ctx->lock);
}

void access_obj_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	(void)ctx;
	(void)obj;
}

static int change_ioas_id(struct access *a, uint32_t id)
{
	struct ioas *ioas = ioas_find(a->ctx, id);

	return ioas ? change_ioas(a, ioas) : -ENOENT;
}

int access_attach_ioas(struct access *a, struct ioas *ioas)
{
	int rc = -EINVAL;

	pthread_mutex_lock(&a->ctx->lock);
	if (!a->ioas)
		rc = change_ioas(a, ioas);
	pthread_mutex_unlock(&a->ctx->lock);
	return rc;
}

int access_attach(struct access *a, uint32_t ioas_id)
{
	int rc = -EINVAL;

	pthread_mutex_lock(&a->ctx->lock);
	if (!a->ioas)
		rc = change_ioas_id(a, ioas_id);
	pthread_mutex_unlock(&a->ctx->lock);
	return rc;
}

int access_replace(struct access *a, uint32_t ioas_id)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&a->ctx->lock);
	if (a->ioas)
		rc = change_ioas_id(a, ioas_id);
	pthread_mutex_unlock(&a->ctx->lock);
	return rc;
}

void access_detach(struct access *a)
{
	pthread_mutex_lock(&a->ctx->lock);
	change_ioas(a, NULL);
	pthread_mutex_unlock(&a->ctx->lock);
}

void access_notify_unmap(void *arg, uint64_t iova, uint64_t length)
{
	struct ioas *ioas = arg;
	struct access *a, *next;

	for (a = ioas->accesses; a; a = next) {
		next = a->next;
		if (a->ops->unmap)
			a->ops->unmap(a->data, iova, length);
	}
}

/* ---- pins ---- */

static int check_range(struct access *a, uint64_t iova, uint64_t length, uint64_t *last)
{
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	return a->ioas ? 0 : -ENOENT;
}

/* Each piece must start on a page, and end on one unless it is the last. */
static bool piece_aligned(const struct iopt_contig *c)
{
	if (area_byte(c->area, c->cur) % PAGE_SIZE)
		return false;
	return c->done || area_byte(c->area, c->area->last) % PAGE_SIZE == PAGE_SIZE - 1;
}

static void unpin_pieces(struct access *a, struct ioas *ioas, uint64_t iova, uint64_t last)
{
	struct iopt_contig c;

	for (struct area *ar = iopt_contig_first(&c, &ioas->iopt, iova, last); ar;
	     ar = iopt_contig_next(&c)) {
		pages_unpin(ar->pages, area_byte(ar, c.cur) / PAGE_SIZE,
			    area_byte(ar, iopt_contig_last(&c)) / PAGE_SIZE);
		ar->num_accesses--;
		if (a->internal)
			ar->num_locks--;
	}
}

static int pin_locked(struct access *a, uint64_t iova, uint64_t length, bool write)
{
	struct access_pin *pin;
	uint64_t last;
	bool pinned = false;
	uint64_t pinned_to = 0;
	struct iopt_contig c;
	struct area *ar;
	int rc = check_range(a, iova, length, &last);

	if (rc)
		return rc;
	for (ar = iopt_contig_first(&c, &a->ioas->iopt, iova, last); ar; ar = iopt_contig_next(&c)) {
		if (ar->prevent_access || !piece_aligned(&c))
			rc = -EINVAL;
		else if (!prot_ok(ar, write))
			rc = -EPERM;
		else
			rc = pages_pin(ar->pages, area_byte(ar, c.cur) / PAGE_SIZE,
				       area_byte(ar, iopt_contig_last(&c)) / PAGE_SIZE);
		if (rc)
			break;
		ar->num_accesses++;
		if (a->internal)
			ar->num_locks++;
		pinned = true;
		pinned_to = iopt_contig_last(&c);
	}
	if (!rc && !c.done)
		rc = -ENOENT;
	if (!rc && !(pin = malloc(sizeof(*pin))))
		rc = -ENOMEM;
	if (rc) {
		if (pinned)
			unpin_pieces(a, a->ioas, iova, pinned_to);
		return rc;
	}
	*pin = (struct access_pin){ .iova = iova, .length = length, .ioas = a->ioas,
				    .next = a->pins };
	a->pins = pin;
	return 0;
}

int access_pin(struct access *a, uint64_t iova, uint64_t length, bool write)
{
	int rc;

	pthread_mutex_lock(&a->ctx->lock);
	rc = pin_locked(a, iova, length, write);
	pthread_mutex_unlock(&a->ctx->lock);
	return rc;
}

void access_unpin(struct access *a, uint64_t iova, uint64_t length)
{
	struct access_pin **pp, *p;

	pthread_mutex_lock(&a->ctx->lock);
	for (pp = &a->pins; (p = *pp); pp = &p->next) {
		if (p->iova == iova && p->length == length) {
			*pp = p->next;
			if (p->ioas)
				unpin_pieces(a, p->ioas, iova, iova + length - 1);
			free(p);
			break;
		}
	}
	pthread_mutex_unlock(&a->ctx->lock);
}

/* ---- copies ---- */

int access_rw(struct access *a, uint64_t iova, void *buf, uint64_t length, bool write)
{
	uint8_t *p = buf;
	uint64_t last;
	struct iopt_contig c;
	struct area *ar;
	int rc;

	pthread_mutex_lock(&a->ctx->lock);
	rc = check_range(a, iova, length, &last);
	for (ar = rc ? NULL : iopt_contig_first(&c, &a->ioas->iopt, iova, last); ar;
	     ar = iopt_contig_next(&c)) {
		uint64_t n = iopt_contig_last(&c) - c.cur + 1;

		if (ar->prevent_access)
			rc = -EINVAL;
		else if (!prot_ok(ar, write))
			rc = -EPERM;
		else
			rc = pages_rw(ar->pages, area_byte(ar, c.cur), p, n, write);
		if (rc)
			break;
		p += n;
	}
	if (!rc && !c.done)
		rc = -ENOENT;
	pthread_mutex_unlock(&a->ctx->lock);
	return rc;
}
