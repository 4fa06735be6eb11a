// SPDX-License-Identifier: MIT
/*
 * The in-process backend: the caller's own memory, reached with memcpy.
 *
 * A system call per argument copy would cost more than the whole emulated
 * ioctl, so copies are checked against a snapshot of /proc/self/maps that is
 * re-read when an address is not found in it.  The kernel answers EFAULT for
 * unmapped or protected memory; so does this backend.  The snapshot can be
 * stale (the caller may have unmapped or protected memory since), so each
 * copy also runs under a fault guard: a SIGSEGV or SIGBUS inside it jumps
 * back, the copy fails with EFAULT and the snapshot is re-read.  The guard's
 * handler is installed once and hands every other fault to the handler that
 * was there before.  Pin checks do not use the snapshot: they query the
 * live map.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
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

/* ---- the fault guard ---- */

/* volatile: the stores around memcpy must not be merged away */
static __thread sigjmp_buf *volatile guard;
static __thread int guard_sig; /* the signal that jumped back */
static struct sigaction old_segv, old_bus;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;

	if (guard) {
		guard_sig = sig;
		siglongjmp(*guard, 1);
	}
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
	} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
	} else {
		/* Not ours: let the fault happen again with the old action. */
		sigaction(sig, old, NULL);
	}
}

static void install_guard(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault,
				.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}

/* memmove that turns a fault into -EFAULT (ranges may overlap: a device
 * copying inside one buffer).  SA_NODEFER leaves the signal unblocked in
 * our handler, so the copy saves no mask (a system call per copy).  But a
 * handler installed after ours may run ours from its own, with the signal
 * blocked (libFuzzer's does): the jump skips its return, so unblock the
 * signal here, or the next fault kills the process. */
static int guarded_copy(void *dst, const void *src, size_t len)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0)) {
		sigset_t set;

		guard = NULL;
		sigemptyset(&set);
		sigaddset(&set, guard_sig);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		return -EFAULT;
	}
	guard = &jb;
	memmove(dst, src, len);
	guard = NULL;
	return 0;
}

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
	pthread_once(&guard_once, install_guard);
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

static void refresh(struct mem_self *m)
{
	pthread_rwlock_wrlock(&m->lock);
	free(m->snap);
	m->snap = NULL;
	m->n = 0;
	vma_snapshot(m->maps_fd, &m->snap, &m->n);
	pthread_rwlock_unlock(&m->lock);
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

	refresh(m);
	pthread_rwlock_rdlock(&m->lock);
	ok = covered(m, addr, addr + len, need);
	pthread_rwlock_unlock(&m->lock);
	return ok ? 0 : -EFAULT;
}

static int self_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	int rc = check(opaque, addr, len, IEMU_VMA_READ);

	if (rc)
		return rc;
	rc = guarded_copy(buf, (const void *)(uintptr_t)addr, len);
	if (rc)
		refresh(opaque);
	return rc;
}

static int self_write(void *opaque, uint64_t addr, const void *buf, size_t len)
{
	int rc = check(opaque, addr, len, IEMU_VMA_WRITE);

	if (rc)
		return rc;
	rc = guarded_copy((void *)(uintptr_t)addr, buf, len);
	if (rc)
		refresh(opaque);
	return rc;
}

static int self_copy(void *opaque, uint64_t dst, uint64_t src, size_t len)
{
	int rc = check(opaque, src, len, IEMU_VMA_READ);

	if (!rc)
		rc = check(opaque, dst, len, IEMU_VMA_WRITE);
	if (rc)
		return rc;
	rc = guarded_copy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, len);
	if (rc)
		refresh(opaque);
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

static uint64_t self_caps(void *opaque)
{
	(void)opaque;
	return proc_own_caps();
}

const struct iemu_proc_ops mem_self_ops = {
	.read = self_read,
	.write = self_write,
	.vma_at = self_vma_at,
	.dup_fd = self_dup_fd,
	.memlock_limit = self_memlock_limit,
	.mlocked_pages = self_mlocked_pages,
	.release = mem_self_release,
	.copy = self_copy,
	.caps = self_caps,
};
