// SPDX-License-Identifier: MIT
/*
 * The IOAS ioctls: ALLOC, IOVA_RANGES, ALLOW_IOVAS, MAP, MAP_FILE, COPY,
 * UNMAP and CHANGE_PROCESS, with the order of checks of the kernel's ioas.c
 * so that every bad argument gets the kernel's errno.
 */
#include "ioas.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "access.h"
#include "check.h"
#include "ctx.h"
#include "emu.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "pages.h"
#include "proc.h"
#include "pt.h"
#include "selftest.h"
#include "ucmd.h"

#define MAP_FLAGS \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | \
	 IOMMU_IOAS_MAP_READABLE)
#define MAP_RW (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)

struct ioas *ioas_find(struct iemu_ctx *ctx, uint32_t id)
{
	return (struct ioas *)obj_find(ctx, id, OBJ_IOAS);
}

static void area_gone(void *arg, uint64_t first, uint64_t last)
{
	struct ioas *ioas = arg;

	check_unmap(ioas->ctx->emu, ioas, first, last);
}

int ioas_create(struct iemu_ctx *ctx, struct ioas **out)
{
	struct obj *obj;
	int rc = obj_alloc(ctx, sizeof(struct ioas), OBJ_IOAS, &obj);

	if (rc)
		return rc;
	*out = (struct ioas *)obj;
	iopt_init(&(*out)->iopt);
	(*out)->ctx = ctx;
	(*out)->iopt.notify_unmap = access_notify_unmap;
	(*out)->iopt.area_gone = area_gone;
	(*out)->iopt.notify_arg = *out;
	return 0;
}

void ioas_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	(void)ctx;
	iopt_destroy(&((struct ioas *)obj)->iopt);
}

int ioas_alloc_ioctl(struct ucmd *u)
{
	struct iommu_ioas_alloc *cmd = u->cmd;
	struct ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	rc = ioas_create(u->ctx, &ioas);
	if (rc)
		return rc;
	cmd->out_ioas_id = ioas->obj.id;
	/* The id is only published once the caller has been told it. */
	rc = ucmd_respond(u, sizeof(*cmd));
	if (rc) {
		iopt_destroy(&ioas->iopt);
		obj_abort(u->ctx, &ioas->obj);
		return rc;
	}
	obj_finalize(u->ctx, &ioas->obj);
	return 0;
}

struct ranges_out {
	struct ucmd *u;
	uint32_t max, num;
	uint64_t uptr;
};

static int put_range(void *arg, uint64_t start, uint64_t last)
{
	struct ranges_out *r = arg;
	struct iommu_iova_range elm = { .start = start, .last = last };

	if (r->num < r->max &&
	    copy_to_user(r->u->caller, r->uptr + (uint64_t)r->num * sizeof(elm),
			 &elm, sizeof(elm)))
		return -EFAULT;
	r->num++;
	return 0;
}

int ioas_iova_ranges_ioctl(struct ucmd *u)
{
	struct iommu_ioas_iova_ranges *cmd = u->cmd;
	struct ranges_out r = { .u = u };
	struct ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioas_find(u->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	r.max = cmd->num_iovas;
	r.uptr = cmd->allowed_iovas;
	rc = iopt_for_each_usable(&ioas->iopt, put_range, &r);
	if (rc)
		return rc;
	cmd->num_iovas = r.num;
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	rc = ucmd_respond(u, sizeof(*cmd));
	if (rc)
		return rc;
	return r.num > r.max ? -EMSGSIZE : 0;
}

static int load_allowed(struct ucmd *u, uint64_t uptr, uint32_t num,
			struct imap *out)
{
	for (uint32_t i = 0; i < num; i++) {
		struct iommu_iova_range range;
		int rc;

		if (copy_from_user(u->caller, &range, uptr + (uint64_t)i * sizeof(range),
				   sizeof(range)))
			return -EFAULT;
		if (range.start >= range.last)
			return -EINVAL;
		rc = imap_insert(out, range.start, range.last, 0);
		if (rc)
			return rc == -EEXIST ? -EINVAL : rc;
	}
	return 0;
}

int ioas_allow_iovas_ioctl(struct ucmd *u)
{
	struct iommu_ioas_allow_iovas *cmd = u->cmd;
	struct ioas *ioas;
	struct imap allowed;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioas_find(u->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	imap_init(&allowed);
	rc = load_allowed(u, cmd->allowed_iovas, cmd->num_iovas, &allowed);
	if (!rc)
		rc = iopt_set_allowed(&ioas->iopt, &allowed);
	imap_destroy(&allowed);
	return rc;
}

static unsigned int map_prot(uint32_t flags)
{
	return (flags & IOMMU_IOAS_MAP_WRITEABLE ? PT_WRITE : 0) |
	       (flags & IOMMU_IOAS_MAP_READABLE ? PT_READ : 0);
}

/* Map a fresh page set, whose creation reference is dropped here. */
static int map_new_pages(struct ucmd *u, struct ioas *ioas, struct pages *pages,
			 uint64_t start_byte, uint64_t length, uint64_t *iova,
			 uint32_t flags)
{
	struct pages_piece piece = { pages, start_byte, length };
	int rc;

	if (u->ctx->account_mode == ACCOUNT_MM && pages->account == ACCOUNT_USER)
		pages->account = ACCOUNT_MM;
	rc = iopt_map_pieces(&ioas->iopt, &piece, 1, length, iova,
			     map_prot(flags),
			     flags & IOMMU_IOAS_MAP_FIXED_IOVA ? 0 : IOPT_ALLOC_IOVA);
	pages_put(pages);
	return rc;
}

int ioas_map_ioctl(struct ucmd *u)
{
	struct iommu_ioas_map *cmd = u->cmd;
	uint64_t iova = cmd->iova, start_byte;
	struct pages *pages;
	struct ioas *ioas;
	int rc;

	if ((cmd->flags & ~MAP_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & MAP_RW))
		return -EINVAL;
	ioas = ioas_find(u->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	rc = pages_alloc_user(u->caller, cmd->user_va, cmd->length,
			      cmd->flags & IOMMU_IOAS_MAP_WRITEABLE, &pages,
			      &start_byte);
	if (rc)
		return rc;
	rc = map_new_pages(u, ioas, pages, start_byte, cmd->length, &iova,
			   cmd->flags);
	if (rc)
		return rc;
	cmd->iova = iova;
	return ucmd_respond(u, sizeof(*cmd));
}

/* Our own fd of the file to map: the selftest's dma-bufs first (the
 * kernel tries dma_buf_get() before a memfd), then the caller's fd. */
static int map_file_fd(struct ucmd *u, const struct iommu_ioas_map_file *cmd)
{
	int fd = -ENOENT;

	if (u->ctx->emu->cfg.selftest_mock)
		fd = selftest_dmabuf_memfd(u->ctx->emu, u->caller, cmd->fd, cmd->start,
					   cmd->length);
	if (fd != -ENOENT)
		return fd;
	fd = u->caller->ops->dup_fd ? u->caller->ops->dup_fd(u->caller->opaque, cmd->fd) :
				      -EBADF;
	return fd == -ENOENT ? -EBADF : fd;
}

int ioas_map_file_ioctl(struct ucmd *u)
{
	struct iommu_ioas_map_file *cmd = u->cmd;
	uint64_t iova = cmd->iova, start_byte, last;
	struct pages *pages;
	struct ioas *ioas;
	int rc, fd;

	if (cmd->flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & MAP_RW))
		return -EINVAL;
	ioas = ioas_find(u->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	if (!cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->start, cmd->length - 1, &last))
		return -EOVERFLOW;
	fd = map_file_fd(u, cmd);
	if (fd < 0)
		return fd;
	rc = pages_alloc_file(u->caller, fd, cmd->start, cmd->length,
			      cmd->flags & IOMMU_IOAS_MAP_WRITEABLE, &pages,
			      &start_byte);
	if (rc) {
		close(fd);
		return rc;
	}
	rc = map_new_pages(u, ioas, pages, start_byte, cmd->length, &iova,
			   cmd->flags);
	if (rc)
		return rc;
	cmd->iova = iova;
	return ucmd_respond(u, sizeof(*cmd));
}

int ioas_copy_ioctl(struct ucmd *u)
{
	struct iommu_ioas_copy *cmd = u->cmd;
	struct pages_piece *pieces;
	struct ioas *src, *dst;
	uint64_t iova;
	size_t n;
	int rc;

	if (cmd->flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length >= UINT64_MAX || cmd->src_iova >= UINT64_MAX ||
	    cmd->dst_iova >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & MAP_RW))
		return -EINVAL;
	src = ioas_find(u->ctx, cmd->src_ioas_id);
	if (!src)
		return -ENOENT;
	rc = iopt_get_pieces(&src->iopt, cmd->src_iova, cmd->length, &pieces, &n);
	if (rc)
		return rc;
	dst = ioas_find(u->ctx, cmd->dst_ioas_id);
	if (!dst) {
		free(pieces);
		return -ENOENT;
	}
	iova = cmd->dst_iova;
	rc = iopt_map_pieces(&dst->iopt, pieces, n, cmd->length, &iova,
			     map_prot(cmd->flags),
			     cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA ? 0 : IOPT_ALLOC_IOVA);
	free(pieces);
	if (rc)
		return rc;
	cmd->dst_iova = iova;
	return ucmd_respond(u, sizeof(*cmd));
}

int ioas_unmap_ioctl(struct ucmd *u)
{
	struct iommu_ioas_unmap *cmd = u->cmd;
	uint64_t unmapped = 0;
	struct ioas *ioas;
	int rc;

	ioas = ioas_find(u->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
		if (rc)
			return rc;
	} else {
		if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
			return -EOVERFLOW;
		rc = iopt_unmap(&ioas->iopt, cmd->iova, cmd->length, &unmapped);
		if (rc)
			return rc;
		if (!unmapped)
			return -ENOENT;
	}
	cmd->length = unmapped;
	return ucmd_respond(u, sizeof(*cmd));
}

/* ---- CHANGE_PROCESS ---- */

struct change {
	struct iemu_proc *caller;
	unsigned int visit;
	uint64_t npinned[ACCOUNT_MODES];
	int rc;
};

static bool same_process(const struct iemu_proc *a, const struct iemu_proc *b)
{
	return a == b || a->pid == b->pid;
}

static bool needs_recharge(const struct pages *p, const struct iemu_proc *caller)
{
	switch (p->account) {
	case ACCOUNT_MM:
		return !same_process(p->source, caller);
	case ACCOUNT_USER:
		return p->source->uid != caller->uid ||
		       !same_process(p->source, caller);
	default:
		return false;
	}
}

static int area_is_file(void *arg, struct area *a)
{
	(void)arg;
	return a->pages->type == PAGES_FILE ? 0 : -EINVAL;
}

static int sum_area(void *arg, struct area *a)
{
	struct change *c = arg;

	if (a->pages->visit != c->visit) {
		a->pages->visit = c->visit;
		if (needs_recharge(a->pages, c->caller))
			c->npinned[a->pages->account] += a->pages->npinned;
	}
	return 0;
}

static int move_area(void *arg, struct area *a)
{
	struct change *c = arg;
	struct pages *p = a->pages;

	if (p->visit != c->visit) {
		p->visit = c->visit;
		if (needs_recharge(p, c->caller))
			account_uncharge(p->source, p->account, p->npinned);
		pages_set_source(p, c->caller);
	}
	return 0;
}

struct ioas_walk {
	int (*fn)(void *arg, struct area *a);
	void *arg;
	int rc;
};

static void walk_ioas(void *arg, struct obj *obj)
{
	struct ioas_walk *w = arg;

	if (obj->type == OBJ_IOAS && !w->rc)
		w->rc = iopt_for_each_area(&((struct ioas *)obj)->iopt, w->fn, w->arg);
}

static int for_each_area(struct iemu_ctx *ctx,
			 int (*fn)(void *arg, struct area *a), void *arg)
{
	struct ioas_walk w = { fn, arg, 0 };

	obj_for_each(ctx, walk_ioas, &w);
	return w.rc;
}

static int charge_caller(struct change *c)
{
	int mode, rc;

	for (mode = 0; mode < ACCOUNT_MODES; mode++) {
		if (!c->npinned[mode])
			continue;
		rc = account_charge(c->caller, mode, c->npinned[mode]);
		if (rc)
			goto undo;
	}
	return 0;
undo:
	while (mode--)
		if (c->npinned[mode])
			account_uncharge(c->caller, mode, c->npinned[mode]);
	return rc;
}

int ioas_change_process_ioctl(struct ucmd *u)
{
	struct iommu_ioas_change_process *cmd = u->cmd;
	struct change c = { .caller = u->caller };
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	rc = for_each_area(u->ctx, area_is_file, NULL);
	if (rc)
		return rc;
	c.visit = ++u->ctx->visit;
	for_each_area(u->ctx, sum_area, &c);
	rc = charge_caller(&c);
	if (rc)
		return rc;
	c.visit = ++u->ctx->visit;
	for_each_area(u->ctx, move_area, &c);
	return 0;
}
