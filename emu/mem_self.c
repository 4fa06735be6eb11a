// SPDX-License-Identifier: MIT
/*
 * The in-process backend: the caller's own memory, reached with memcpy.
 *
 * A system call per argument copy would cost more than the whole emulated
 * ioctl, so copies are checked against a snapshot of /proc/self/maps that is
 * re-read when an address is not found in it.  The kernel answers EFAULT for
 * unmapped or protected memory; so does this backend, as long as the caller
 * does not unmap memory between two requests without a new request touching
 * an unknown address (the snapshot only learns of new mappings lazily).
 * Pin checks do not use the snapshot: they query the live map.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "proc.h"
#include "vma.h"

struct mem_self {
	int maps_fd;
	pthread_rwlock_t lock;
	struct iemu_vma *snap;
	size_t n;
};

void *mem_self_open(void)
{
	struct mem_self *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->maps_fd = vma_open_maps(0);
	if (m->maps_fd < 0) {
		free(m);
		return NULL;
	}
	pthread_rwlock_init(&m->lock, NULL);
	return m;
}

static void mem_self_release(void *opaque)
{
	struct mem_self *m = opaque;

	close(m->maps_fd);
	pthread_rwlock_destroy(&m->lock);
	free(m->snap);
	free(m);
}

/* Index of the first region ending above addr. */
static size_t lower_bound(const struct mem_self *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->snap[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool covered(const struct mem_self *m, uint64_t addr, uint64_t end,
		    unsigned int need)
{
	for (size_t i = lower_bound(m, addr); addr < end; i++) {
		if (i == m->n || m->snap[i].start > addr ||
		    (m->snap[i].flags & need) != need)
			return false;
		addr = m->snap[i].end;
	}
	return true;
}

static int check(struct mem_self *m, uint64_t addr, size_t len,
		 unsigned int need)
{
	bool ok;

	pthread_rwlock_rdlock(&m->lock);
	ok = covered(m, addr, addr + len, need);
	pthread_rwlock_unlock(&m->lock);
	if (ok)
		return 0;

	pthread_rwlock_wrlock(&m->lock);
	free(m->snap);
	m->snap = NULL;
	m->n = 0;
	if (vma_snapshot(m->maps_fd, &m->snap, &m->n) == 0)
		ok = covered(m, addr, addr + len, need);
	pthread_rwlock_unlock(&m->lock);
	return ok ? 0 : -EFAULT;
}

static int self_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	int rc = check(opaque, addr, len, IEMU_VMA_READ);

	if (!rc)
		memcpy(buf, (const void *)(uintptr_t)addr, len);
	return rc;
}

static int self_write(void *opaque, uint64_t addr, const void *buf, size_t len)
{
	int rc = check(opaque, addr, len, IEMU_VMA_WRITE);

	if (!rc)
		memcpy((void *)(uintptr_t)addr, buf, len);
	return rc;
}

static int self_vma_at(void *opaque, uint64_t addr, struct iemu_vma *out)
{
	struct mem_self *m = opaque;

	return vma_query(m->maps_fd, addr, out);
}

static int self_dup_fd(void *opaque, int fd)
{
	int copy;

	(void)opaque;
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return copy < 0 ? -EBADF : copy;
}

static uint64_t self_memlock_limit(void *opaque)
{
	struct rlimit rl;

	(void)opaque;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return rl.rlim_cur;
}

static uint64_t self_mlocked_pages(void *opaque)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/self/status", "re");

	(void)opaque;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 4;
}

const struct iemu_proc_ops mem_self_ops = {
	.read = self_read,
	.write = self_write,
	.vma_at = self_vma_at,
	.dup_fd = self_dup_fd,
	.memlock_limit = self_memlock_limit,
	.mlocked_pages = self_mlocked_pages,
	.release = mem_self_release,
};
