// SPDX-License-Identifier: MIT
/*
 * FAULT and VEVENTQ objects and their files (see eventq.h), after the
 * kernel's eventq.c: reads return whole records or -EINVAL when the first
 * does not fit, an empty queue reads 0 (there is no blocking read), a
 * fault's cookie is the lowest free number from 1, and a full vEVENTQ
 * replaces what it cannot hold by one lost-events header at its tail.
 * Page requests arrive whole (a group of one, the last page): partial
 * groups are not emulated.
 */
#include "eventq.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "anon.h"
#include "ctx.h"
#include "hwpt.h"
#include "idalloc.h"
#include "idev.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "ucmd.h"
#include "viommu.h"

#define VEVENTQ_MAX_DEPTH (1u << 19)

struct eventq_item {
	struct eventq_item *next;
	/* a page fault */
	const struct idev *idev;
	uint32_t pasid;           /* of the attachment it was delivered for */
	uint32_t cookie;
	struct iopf fault;
	/* a vEVENT */
	struct iommufd_vevent_header hdr;
	uint32_t len;
	uint8_t data[];
};

struct fault_queue {
	struct eventq q;
	struct idalloc cookies;
};

struct veventq {
	struct eventq q;
	struct eventq_item lost; /* the lost-events header, queued or not */
};

/* ---- the delivery list ---- */

static void push(struct eventq *q, struct eventq_item *it)
{
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
}

static struct eventq_item *pop(struct eventq *q)
{
	struct eventq_item *it = q->head;

	if (it) {
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
	}
	return it;
}

static void push_front(struct eventq *q, struct eventq_item *it)
{
	it->next = q->head;
	q->head = it;
	if (!q->tail)
		q->tail = it;
}

static void notify(struct eventq *q)
{
	if (q->file)
		anon_notify(q->file);
}

/* ---- the file ---- */

static void file_release(void *data)
{
	struct eventq *q = data;
	struct iemu_ctx *ctx = q->ctx;

	pthread_mutex_lock(&ctx->lock);
	q->file = NULL;
	q->obj.users--;
	pthread_mutex_unlock(&ctx->lock);
	iemu_ctx_close(ctx);
}

static unsigned int eventq_poll(void *data)
{
	struct eventq *q = data;
	unsigned int mask = q->obj.type == OBJ_FAULT ? POLLOUT : 0;

	pthread_mutex_lock(&q->ctx->lock);
	if (q->head)
		mask |= POLLIN | POLLRDNORM;
	pthread_mutex_unlock(&q->ctx->lock);
	return mask;
}

/* Give the caller an fd for a new queue, which then holds the object and
 * the context: the fd number, or a negative errno with nothing held. */
static int open_file(struct ucmd *u, struct eventq *q, const struct anon_ops *ops)
{
	struct iemu_anon *f;
	int fd, rc = anon_create(u->ctx->emu, ops, q, &f);

	if (rc)
		return rc;
	q->ctx = iemu_ctx_get(u->ctx);
	q->obj.users++;
	q->file = f;
	fd = anon_install(f, u->caller);
	iemu_anon_put(f);
	return fd;
}

/* ---- FAULT ---- */

static struct fault_queue *to_fault(struct eventq *q)
{
	return (struct fault_queue *)q;
}

struct eventq *fault_find(struct iemu_ctx *ctx, uint32_t id)
{
	return (struct eventq *)obj_find(ctx, id, OBJ_FAULT);
}

int fault_report(struct eventq *q, struct idev *idev, uint32_t pasid,
		 const struct iopf *f)
{
	struct eventq_item *it = calloc(1, sizeof(*it));

	if (!it)
		return -ENOMEM;
	it->idev = idev;
	it->pasid = pasid;
	it->fault = *f;
	push(q, it);
	notify(q);
	return 0;
}

static void compose(const struct eventq_item *it, struct iommu_hwpt_pgfault *out)
{
	*out = (struct iommu_hwpt_pgfault){
		.flags = it->fault.flags,
		.dev_id = it->idev->obj.id,
		.pasid = it->fault.pasid,
		.grpid = it->fault.grpid,
		.perm = it->fault.perm,
		.addr = it->fault.addr,
		.cookie = it->cookie,
	};
}

static ssize_t fault_read(void *data, void *buf, size_t len)
{
	const size_t size = sizeof(struct iommu_hwpt_pgfault);
	struct eventq *q = data;
	struct fault_queue *fq = to_fault(q);
	struct eventq_item *it;
	size_t done = 0;
	int rc = 0;

	if (len % size)
		return -ESPIPE;
	pthread_mutex_lock(&q->ctx->lock);
	while (q->head) {
		int64_t cookie;

		if (done >= len || size > len - done) {
			if (!done)
				rc = -EINVAL;
			break;
		}
		cookie = idalloc_get(&fq->cookies);
		if (cookie < 0) {
			rc = (int)cookie;
			break;
		}
		it = pop(q);
		it->cookie = (uint32_t)cookie;
		compose(it, (struct iommu_hwpt_pgfault *)((char *)buf + done));
		it->next = q->responses;
		q->responses = it;
		done += size;
	}
	pthread_mutex_unlock(&q->ctx->lock);
	return done ? (ssize_t)done : rc;
}

/* Take the group awaiting a response with this cookie, or NULL. */
static struct eventq_item *take_response(struct eventq *q, uint32_t cookie)
{
	struct eventq_item **pp, *it;

	for (pp = &q->responses; (it = *pp); pp = &it->next) {
		if (it->cookie == cookie) {
			*pp = it->next;
			idalloc_put(&to_fault(q)->cookies, cookie);
			return it;
		}
	}
	return NULL;
}

static ssize_t fault_write(void *data, const void *buf, size_t len)
{
	const size_t size = sizeof(struct iommu_hwpt_page_response);
	struct eventq *q = data;
	size_t done = 0;
	int rc = 0;

	if (len % size)
		return -ESPIPE;
	pthread_mutex_lock(&q->ctx->lock);
	while (len > done) {
		struct iommu_hwpt_page_response r;
		struct eventq_item *it;

		memcpy(&r, (const char *)buf + done, size);
		if (r.code != IOMMUFD_PAGE_RESP_SUCCESS && r.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		it = take_response(q, r.cookie);
		if (!it) {
			rc = -EINVAL;
			break;
		}
		/* The device takes the response; the mock's is a no-op. */
		free(it);
		done += size;
	}
	pthread_mutex_unlock(&q->ctx->lock);
	return done ? (ssize_t)done : rc;
}

static const struct anon_ops fault_ops = {
	.name = "[iommufd-pgfault]",
	.read = fault_read,
	.write = fault_write,
	.poll = eventq_poll,
	.release = file_release,
};

/* Drop the items of list *pp that belong to idev at pasid. */
static void drop_of(struct eventq *q, struct eventq_item **pp, const struct idev *idev,
		    uint32_t pasid, bool answered)
{
	struct eventq_item *it;

	while ((it = *pp)) {
		if (it->idev != idev || it->pasid != pasid) {
			pp = &it->next;
			continue;
		}
		*pp = it->next;
		if (answered)
			idalloc_put(&to_fault(q)->cookies, it->cookie);
		free(it);
	}
}

void fault_auto_respond(struct eventq *q, const struct idev *idev, uint32_t pasid)
{
	drop_of(q, &q->head, idev, pasid, false);
	q->tail = NULL;
	for (struct eventq_item *it = q->head; it; it = it->next)
		q->tail = it;
	drop_of(q, &q->responses, idev, pasid, true);
}

int fault_alloc_ioctl(struct ucmd *u)
{
	struct iommu_fault_alloc *cmd = u->cmd;
	struct fault_queue *fq;
	struct obj *obj;
	int fd, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	rc = obj_alloc(u->ctx, sizeof(*fq), OBJ_FAULT, &obj);
	if (rc)
		return rc;
	fq = (struct fault_queue *)obj;
	idalloc_init(&fq->cookies, UINT32_MAX);
	fd = open_file(u, &fq->q, &fault_ops);
	if (fd < 0) {
		idalloc_destroy(&fq->cookies);
		obj_abort(u->ctx, obj);
		return fd;
	}
	cmd->out_fault_id = obj->id;
	cmd->out_fault_fd = (uint32_t)fd;
	rc = ucmd_respond(u, sizeof(*cmd));
	if (rc) {
		anon_withdraw(fq->q.file, u->caller, fd);
		idalloc_destroy(&fq->cookies);
		obj_abort(u->ctx, obj);
		return rc;
	}
	obj_finalize(u->ctx, obj);
	return 0;
}

/* ---- VEVENTQ ---- */

static struct veventq *to_veventq(struct eventq *q)
{
	return (struct veventq *)q;
}

int veventq_report(struct viommu *v, uint32_t type, const void *data, uint32_t len)
{
	struct eventq *q;
	struct veventq *vq;
	struct eventq_item *it = NULL;
	int rc = 0;

	for (q = v->veventqs; q && q->type != type; q = q->next)
		;
	if (!q)
		return -EOPNOTSUPP;
	vq = to_veventq(q);
	if (q->nevents < q->depth) {
		it = calloc(1, sizeof(*it) + len);
		if (it) {
			it->len = len;
			memcpy(it->data, data, len);
			q->nevents++;
		} else {
			rc = -ENOMEM;
		}
	}
	/* What the queue cannot hold becomes the lost-events header. */
	if (!it)
		it = &vq->lost;
	/* The lost-events header leaves the tail as the next event arrives
	 * (which may be itself again, with a new sequence number). */
	if (q->tail == &vq->lost) {
		struct eventq_item **pp = &q->head;

		while (*pp != &vq->lost)
			pp = &(*pp)->next;
		*pp = NULL;
		q->tail = NULL;
		for (struct eventq_item *i = q->head; i; i = i->next)
			q->tail = i;
	}
	it->hdr.sequence = q->sequence;
	q->sequence = (q->sequence + 1) & INT_MAX;
	push(q, it);
	notify(q);
	return rc;
}

static ssize_t veventq_read(void *data, void *buf, size_t len)
{
	const size_t hsz = sizeof(struct iommufd_vevent_header);
	struct eventq *q = data;
	struct veventq *vq = to_veventq(q);
	struct eventq_item *it;
	size_t done = 0;
	int rc = 0;

	if (len < hsz)
		return -EINVAL;
	pthread_mutex_lock(&q->ctx->lock);
	while ((it = pop(q))) {
		bool lost = it == &vq->lost;

		if (done >= len || hsz > len - done) {
			push_front(q, it);
			break;
		}
		if (!lost && hsz + it->len > len - done) {
			push_front(q, it);
			if (!done)
				rc = -EINVAL;
			break;
		}
		memcpy((char *)buf + done, &it->hdr, hsz);
		memcpy((char *)buf + done + hsz, it->data, it->len);
		done += hsz + it->len;
		if (!lost) {
			q->nevents--;
			free(it);
		}
	}
	pthread_mutex_unlock(&q->ctx->lock);
	return done ? (ssize_t)done : rc;
}

static const struct anon_ops veventq_ops = {
	.name = "[iommufd-viommu-event]",
	.read = veventq_read,
	.poll = eventq_poll,
	.release = file_release,
};

static bool has_type(const struct viommu *v, uint32_t type)
{
	for (const struct eventq *q = v->veventqs; q; q = q->next)
		if (q->type == type)
			return true;
	return false;
}

static void unlink_veventq(struct eventq *q)
{
	struct eventq **pp = &q->viommu->veventqs;

	while (*pp != q)
		pp = &(*pp)->next;
	*pp = q->next;
	q->viommu->obj.users--;
}

int veventq_alloc_ioctl(struct ucmd *u)
{
	struct iommu_veventq_alloc *cmd = u->cmd;
	struct veventq *vq;
	struct viommu *v;
	struct obj *obj;
	int fd, rc;

	if (cmd->flags || cmd->__reserved || cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth || cmd->veventq_depth > VEVENTQ_MAX_DEPTH)
		return -EINVAL;
	v = (struct viommu *)obj_find(u->ctx, cmd->viommu_id, OBJ_VIOMMU);
	if (!v)
		return -ENOENT;
	if (has_type(v, cmd->type))
		return -EEXIST;
	rc = obj_alloc(u->ctx, sizeof(*vq), OBJ_VEVENTQ, &obj);
	if (rc)
		return rc;
	vq = (struct veventq *)obj;
	vq->q.type = cmd->type;
	vq->q.depth = cmd->veventq_depth;
	vq->q.viommu = v;
	vq->q.next = v->veventqs;
	v->veventqs = &vq->q;
	v->obj.users++;
	vq->lost.hdr.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
	fd = open_file(u, &vq->q, &veventq_ops);
	if (fd < 0) {
		unlink_veventq(&vq->q);
		obj_abort(u->ctx, obj);
		return fd;
	}
	cmd->out_veventq_id = obj->id;
	cmd->out_veventq_fd = (uint32_t)fd;
	rc = ucmd_respond(u, sizeof(*cmd));
	if (rc) {
		anon_withdraw(vq->q.file, u->caller, fd);
		unlink_veventq(&vq->q);
		obj_abort(u->ctx, obj);
		return rc;
	}
	obj_finalize(u->ctx, obj);
	return 0;
}

/* ---- destruction (the file is closed: users is back to 1) ---- */

static void free_list(struct eventq_item *it, const struct eventq_item *keep)
{
	while (it) {
		struct eventq_item *next = it->next;

		if (it != keep)
			free(it);
		it = next;
	}
}

void eventq_destroy(struct iemu_ctx *ctx, struct obj *obj)
{
	struct eventq *q = (struct eventq *)obj;

	(void)ctx;
	if (obj->type == OBJ_FAULT) {
		free_list(q->head, NULL);
		free_list(q->responses, NULL);
		idalloc_destroy(&to_fault(q)->cookies);
		return;
	}
	free_list(q->head, &to_veventq(q)->lost);
	unlink_veventq(q);
}
