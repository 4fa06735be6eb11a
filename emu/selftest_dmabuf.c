// SPDX-License-Identifier: MIT
/*
 * The selftest's dma-buf exporter: DMABUF_GET makes a dma-buf of up to 512
 * pages (its memory a memfd of the emulator's) and returns its fd as the
 * ioctl's result; DMABUF_REVOKE revokes or restores it.  IOMMU_IOAS_MAP_FILE
 * maps one (ENODEV while revoked).  A revocation does not take existing
 * mappings out of the domains, as the kernel's importer does: DMA through
 * them keeps working.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anon.h"
#include "ctx.h"
#include "emu.h"
#include "selftest.h"
#include "ucmd.h"

#define DMABUF_MAX_PAGES 512

struct dmabuf {
	int memfd;
	uint64_t length;
	bool revoked;
};

static void dmabuf_release(void *data)
{
	struct dmabuf *b = data;

	close(b->memfd);
	free(b);
}

static const struct anon_ops dmabuf_ops = {
	.name = "dmabuf",
	.release = dmabuf_release,
};

int selftest_dmabuf_get(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = u->cmd;
	uint64_t len = ((uint64_t)cmd->dmabuf_get.length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	struct iemu_anon *f;
	struct dmabuf *b;
	int fd, rc;

	if (!len || len > DMABUF_MAX_PAGES * PAGE_SIZE)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->length = len;
	b->memfd = memfd_create("iommufd-emu-dmabuf", MFD_CLOEXEC);
	if (b->memfd < 0 || ftruncate(b->memfd, (off_t)len)) {
		rc = -ENOMEM;
		if (b->memfd >= 0)
			close(b->memfd);
		free(b);
		return rc;
	}
	rc = anon_create(u->ctx->emu, &dmabuf_ops, b, &f);
	if (rc) {
		dmabuf_release(b);
		return rc;
	}
	fd = anon_install(f, u->caller);
	iemu_anon_put(f);
	return fd;
}

int selftest_dmabuf_revoke(struct ucmd *u)
{
	struct iommu_test_cmd *cmd = u->cmd;
	struct iemu_anon *f;
	int rc = anon_resolve(u->ctx->emu, u->caller, cmd->dmabuf_revoke.dmabuf_fd,
			      &dmabuf_ops, &f);

	/* dma_buf_get(): no such fd, or not a dma-buf. */
	if (rc)
		return rc == -EBADFD ? -EINVAL : rc;
	((struct dmabuf *)f->data)->revoked = cmd->dmabuf_revoke.revoked;
	iemu_anon_put(f);
	return 0;
}

int selftest_dmabuf_memfd(struct iemu *emu, struct iemu_proc *caller, int fd,
			  uint64_t start, uint64_t length)
{
	struct iemu_anon *f;
	struct dmabuf *b;
	int rc;

	if (anon_resolve(emu, caller, fd, &dmabuf_ops, &f))
		return -ENOENT;
	b = f->data;
	if (b->revoked)
		rc = -ENODEV;
	else if (start > b->length || length > b->length - start)
		rc = -EINVAL;
	else if ((rc = fcntl(b->memfd, F_DUPFD_CLOEXEC, 0)) < 0)
		rc = -errno;
	iemu_anon_put(f);
	return rc;
}
