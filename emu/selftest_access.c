// SPDX-License-Identifier: MIT
/*
 * The selftest's accesses (the kernel's selftest_access): CREATE_ACCESS
 * makes an access object attached to an IOAS and hands back a file whose
 * fd names it in the other ops and whose close destroys it.  ACCESS_PAGES
 * pins a range as an item (checked against the caller's VA), unmaps of the
 * IOAS remove the items they cross, ACCESS_RW copies through the access.
 * With MOCK_FLAGS_ACCESS_SYZ an IOVA is an (area number, offset) pair, as
 * syzkaller gives it.
 */
#include <errno.h>
#include <stdlib.h>

#include "access.h"
#include "anon.h"
#include "ctx.h"
#include "emu.h"
#include "ioas.h"
#include "pageid.h"
#include "pages.h"
#include "selftest.h"
#include "uaccess.h"
#include "ucmd.h"

#define ACCESS_MAX_LENGTH (16ULL << 20)

struct staccess_item {
	uint64_t iova;
	uint64_t length;
	uint32_t id;
	struct staccess_item *next;
};

struct staccess {
	struct iemu_ctx *ctx;         /* a reference */
	struct access *access;        /* NULL until created */
	struct staccess_item *items;
	uint32_t next_id;
};

/* ---- items ---- */

static void drop_item(struct staccess *sa, struct staccess_item **pp)
{
	struct staccess_item *it = *pp;

	*pp = it->next;
	access_unpin(sa->access, it->iova, it->length);
	free(it);
}

/* The unmap callback: every item crossing the range goes. */
static void staccess_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct staccess *sa = data;
	uint64_t last = iova + length - 1;
	struct staccess_item **pp = &sa->items;

	while (*pp) {
		struct staccess_item *it = *pp;

		if (iova > it->iova + it->length - 1 || last < it->iova)
			pp = &it->next;
		else
			drop_item(sa, pp);
	}
}

static const struct access_ops pin_ops = {
	.needs_pin_pages = true,
	.unmap = staccess_unmap,
};

static const struct access_ops rw_ops = {
	.unmap = staccess_unmap,
};

/* ---- the file ---- */

static void staccess_release(void *data)
{
	struct staccess *sa = data;

	if (sa->access) {
		pthread_mutex_lock(&sa->ctx->lock);
		staccess_unmap(sa, 0, UINT64_MAX);
		pthread_mutex_unlock(&sa->ctx->lock);
		access_destroy(sa->access);
	}
	iemu_ctx_close(sa->ctx);
	free(sa);
}

static const struct anon_ops staccess_file_ops = {
	.name = "[iommufd_test_staccess]",
	.release = staccess_release,
};

/* The access behind caller's fd number: -EBADFD for anything else. */
static int staccess_get(struct ucmd *u, int fd, struct iemu_anon **f, struct staccess **out)
{
	if (anon_resolve(u->ctx->emu, u->caller, fd, &staccess_file_ops, f))
		return -EBADFD;
	*out = (*f)->data;
	return 0;
}

int selftest_create_access(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = u->cmd;
	uint32_t flags = cmd->create_access.flags;
	struct staccess *sa;
	struct iemu_anon *f;
	int fd, rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	sa->ctx = iemu_ctx_get(u->ctx);
	rc = anon_create(u->ctx->emu, &staccess_file_ops, sa, &f);
	if (rc) {
		iemu_ctx_close(sa->ctx);
		free(sa);
		return rc;
	}
	/* From here the file's release undoes whatever was done. */
	rc = access_create(u->ctx, flags ? &pin_ops : &rw_ops, sa, &sa->access);
	if (!rc)
		rc = access_attach(sa->access, cmd->id);
	fd = rc ? rc : anon_install(f, u->caller);
	if (fd >= 0) {
		cmd->create_access.out_access_fd = (uint32_t)fd;
		rc = ucmd_respond(u, sizeof(*cmd));
		if (rc)
			anon_withdraw(f, u->caller, fd);
	} else {
		rc = fd;
	}
	iemu_anon_put(f);
	return rc;
}

/* ---- pinning ---- */

/* The IOVA that a syzkaller-style (area number, offset) pair names, or 0. */
struct syz_walk {
	uint32_t nth;
	uint32_t offset;
	uint64_t iova;
};

static int syz_area(void *arg, struct area *a)
{
	struct syz_walk *w = arg;

	if (w->nth--)
		return 0;
	w->iova = a->iova + w->offset;
	return 1;
}

static uint64_t syz_iova(struct ioas *ioas, uint64_t pair)
{
	struct syz_walk w = { .nth = (uint32_t)pair, .offset = (uint32_t)(pair >> 32) };

	if (ioas)
		iopt_for_each_area(&ioas->iopt, syz_area, &w);
	return w.iova;
}

/* Whether the pinned pages from iova are the pages behind uptr. */
static int check_pages(struct ucmd *u, struct ioas *ioas, uint64_t iova, uint64_t npages,
		       uint64_t uptr)
{
	for (uint64_t i = 0; i < npages; i++) {
		struct area *a = iopt_area_at(&ioas->iopt, iova + i * PAGE_SIZE);
		struct pageid want, got;
		int rc = pageid_of_user(u->caller, uptr + i * PAGE_SIZE, &want);

		if (rc)
			return rc;
		if (!a || pageid_of_pages(a->pages, area_byte(a, iova + i * PAGE_SIZE), &got) ||
		    !pageid_equal(&want, &got))
			return -EBADE;
	}
	return 0;
}

static int pin_item(struct ucmd *u, struct staccess *sa, uint64_t iova, uint64_t length,
		    uint32_t flags)
{
	struct iommu_test_cmd *cmd = u->cmd;
	uint64_t down = iova & ~(PAGE_SIZE - 1);
	uint64_t npages = ((iova + length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) - down;
	struct staccess_item *it;
	int rc;

	rc = access_pin(sa->access, iova, length, flags & MOCK_FLAGS_ACCESS_WRITE);
	if (rc)
		return rc;
	/* With no uptr (syzkaller's), there is nothing to compare. */
	if (cmd->access_pages.uptr)
		rc = check_pages(u, sa->access->ioas, down, npages / PAGE_SIZE,
				 cmd->access_pages.uptr - (iova - down));
	if (!rc && !(it = malloc(sizeof(*it))))
		rc = -ENOMEM;
	if (!rc) {
		*it = (struct staccess_item){ .iova = iova, .length = length,
					      .id = sa->next_id++, .next = sa->items };
		sa->items = it;
		cmd->access_pages.out_access_pages_id = it->id;
		rc = ucmd_respond(u, sizeof(*cmd));
		if (rc)
			drop_item(sa, &sa->items);
		return rc;
	}
	access_unpin(sa->access, iova, length);
	return rc;
}

int selftest_access_pages(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = u->cmd;
	uint32_t flags = cmd->access_pages.flags;
	uint64_t iova = cmd->access_pages.iova;
	struct staccess *sa;
	struct iemu_anon *f;
	int rc;

	if (cmd->access_pages.length > ACCESS_MAX_LENGTH)
		return -ENOMEM;
	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	rc = staccess_get(u, (int)cmd->id, &f, &sa);
	if (rc)
		return rc;
	if (sa->access->ops != &pin_ops) {
		iemu_anon_put(f);
		return -EOPNOTSUPP;
	}
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = syz_iova(sa->access->ioas, iova);
	rc = pin_item(u, sa, iova, cmd->access_pages.length, flags);
	iemu_anon_put(f);
	return rc;
}

int selftest_destroy_access_pages(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = u->cmd;
	struct staccess_item **pp;
	struct staccess *sa;
	struct iemu_anon *f;
	int rc = staccess_get(u, (int)cmd->id, &f, &sa);

	if (rc)
		return rc;
	rc = -ENOENT;
	for (pp = &sa->items; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == cmd->destroy_access_pages.access_pages_id) {
			drop_item(sa, pp);
			rc = 0;
			break;
		}
	}
	iemu_anon_put(f);
	return rc;
}

/* ---- copies and replacement ---- */

int selftest_access_rw(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = u->cmd;
	uint32_t flags = cmd->access_rw.flags;
	uint64_t length = cmd->access_rw.length, iova = cmd->access_rw.iova;
	bool write = flags & MOCK_ACCESS_RW_WRITE;
	struct staccess *sa;
	struct iemu_anon *f;
	void *tmp;
	int rc;

	if (length > ACCESS_MAX_LENGTH)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	rc = staccess_get(u, (int)cmd->id, &f, &sa);
	if (rc)
		return rc;
	tmp = calloc(1, length ? length : 1);
	if (!tmp) {
		iemu_anon_put(f);
		return -ENOMEM;
	}
	if (write && copy_from_user(u->caller, tmp, cmd->access_rw.uptr, length))
		rc = -EFAULT;
	if (!rc && (flags & MOCK_FLAGS_ACCESS_SYZ))
		iova = syz_iova(sa->access->ioas, iova);
	/* The slow path (copying page by page) gives the same bytes. */
	if (!rc)
		rc = access_rw(sa->access, iova, tmp, length, write);
	if (!rc && !write && copy_to_user(u->caller, cmd->access_rw.uptr, tmp, length))
		rc = -EFAULT;
	free(tmp);
	iemu_anon_put(f);
	return rc;
}

int selftest_access_replace_ioas(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = u->cmd;
	struct staccess *sa;
	struct iemu_anon *f;
	int rc = staccess_get(u, (int)cmd->id, &f, &sa);

	if (rc)
		return rc;
	rc = access_replace(sa->access, cmd->access_replace_ioas.ioas_id);
	iemu_anon_put(f);
	return rc;
}
