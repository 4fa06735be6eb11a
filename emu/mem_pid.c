// SPDX-License-Identifier: MIT
/*
 * The backend for another process (a client of the FUSE server): its memory
 * through process_vm_readv/writev, its map through /proc/<pid>/maps, its fds
 * through pidfd_getfd, its limits through prlimit and /proc.
 *
 * A FUSE ioctl costs about 12 us of transport; each system call here costs
 * about 1 us, so reads made during one request share a window: the first
 * read fetches up to 256 bytes, and the reads that follow within it (an
 * ioctl reads its size, then its struct) cost nothing.  The window lives on
 * the serving thread and dies with the request, so nothing read is ever
 * reused across requests.
 */
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proc.h"
#include "vma.h"

#define WINDOW 256

struct mem_pid {
	pid_t pid;
	int pidfd;
	int maps_fd;
};

struct window {
	const struct mem_pid *owner; /* set between begin and end only */
	uint64_t addr;
	size_t len;
	unsigned char data[WINDOW];
};

static __thread struct window win;

static int remote_read(const struct mem_pid *m, uint64_t addr, void *buf,
		       size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);

	return n < 0 ? -errno : (int)n;
}

static int pid_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	struct mem_pid *m = opaque;
	int n;

	if (win.owner == m && addr >= win.addr && addr + len <= win.addr + win.len) {
		memcpy(buf, win.data + (addr - win.addr), len);
		return 0;
	}
	if (win.owner != m || len > WINDOW) {
		n = remote_read(m, addr, buf, len);
		return n == (int)len ? 0 : -EFAULT;
	}
	/* A partial read stops at the first fault: only what was asked for
	 * has to be readable. */
	n = remote_read(m, addr, win.data, WINDOW);
	if (n < (int)len) {
		win.len = 0;
		return -EFAULT;
	}
	win.addr = addr;
	win.len = (size_t)n;
	memcpy(buf, win.data, len);
	return 0;
}

static int pid_write(void *opaque, uint64_t addr, const void *buf, size_t len)
{
	struct mem_pid *m = opaque;
	struct iovec local = { (void *)buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_writev(m->pid, &local, 1, &remote, 1, 0);
	uint64_t s, e;

	if (n != (ssize_t)len)
		return -EFAULT;
	/* Keep the window what the process now holds. */
	if (win.owner == m && win.len) {
		s = addr > win.addr ? addr : win.addr;
		e = addr + len < win.addr + win.len ? addr + len : win.addr + win.len;
		if (s < e)
			memcpy(win.data + (s - win.addr), (const char *)buf + (s - addr), e - s);
	}
	return 0;
}

static void pid_begin(void *opaque)
{
	win.owner = opaque;
	win.len = 0;
}

static void pid_end(void *opaque)
{
	(void)opaque;
	win.owner = NULL;
	win.len = 0;
}

static int pid_vma_at(void *opaque, uint64_t addr, struct iemu_vma *out)
{
	struct mem_pid *m = opaque;

	return vma_query(m->maps_fd, addr, out);
}

static uint64_t pid_caps(void *opaque)
{
	struct mem_pid *m = opaque;
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = m->pid,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return (uint64_t)data[1].effective << 32 | data[0].effective;
}

static int pid_dup_fd(void *opaque, int fd)
{
	struct mem_pid *m = opaque;
	int copy = (int)syscall(SYS_pidfd_getfd, m->pidfd, fd, 0);

	if (copy >= 0) {
		fcntl(copy, F_SETFD, FD_CLOEXEC);
		return copy;
	}
	return errno == EBADF ? -EBADF : -errno;
}

static uint64_t pid_memlock_limit(void *opaque)
{
	struct mem_pid *m = opaque;
	struct rlimit rl;

	if (prlimit(m->pid, RLIMIT_MEMLOCK, NULL, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return rl.rlim_cur;
}

static uint64_t pid_mlocked_pages(void *opaque)
{
	struct mem_pid *m = opaque;
	char path[64], line[256];
	unsigned long long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)m->pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 4;
}

static void pid_release(void *opaque)
{
	struct mem_pid *m = opaque;

	close(m->pidfd);
	close(m->maps_fd);
	free(m);
}

static const struct iemu_proc_ops mem_pid_ops = {
	.read = pid_read,
	.write = pid_write,
	.vma_at = pid_vma_at,
	.dup_fd = pid_dup_fd,
	.caps = pid_caps,
	.memlock_limit = pid_memlock_limit,
	.mlocked_pages = pid_mlocked_pages,
	.release = pid_release,
	.begin = pid_begin,
	.end = pid_end,
};

/* Effective capabilities and real uid from /proc/<pid>/status. */
static int read_status(pid_t pid, uint64_t *caps, uid_t *uid)
{
	char path[64], line[256];
	unsigned long long c;
	unsigned int u;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &c) == 1)
			*caps = c;
		else if (sscanf(line, "Uid: %u", &u) == 1)
			*uid = u;
	}
	fclose(f);
	return 0;
}

int iemu_proc_open_pid(struct iemu *emu, pid_t pid, struct iemu_proc **out)
{
	struct iemu_proc_desc desc = { .pid = pid, .ops = &mem_pid_ops };
	struct mem_pid *m = calloc(1, sizeof(*m));
	char path[64];
	int rc, probe;

	if (!m)
		return -ENOMEM;
	m->pid = pid;
	m->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (m->pidfd < 0) {
		rc = -errno;
		free(m);
		return rc;
	}
	m->maps_fd = vma_open_maps(pid);
	rc = m->maps_fd < 0 ? m->maps_fd : read_status(pid, &desc.caps, &desc.uid);
	if (!rc) {
		/* Opening /proc/<pid>/mem needs the same ptrace access as
		 * process_vm_readv: find out now, not at the first ioctl. */
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		probe = open(path, O_RDONLY | O_CLOEXEC);
		if (probe < 0)
			rc = errno == ENOENT ? -ESRCH : -EPERM;
		else
			close(probe);
	}
	if (rc) {
		if (m->maps_fd >= 0)
			close(m->maps_fd);
		close(m->pidfd);
		free(m);
		return rc;
	}
	desc.opaque = m;
	rc = iemu_proc_create(emu, &desc, out);
	if (rc)
		pid_release(m);
	return rc;
}
