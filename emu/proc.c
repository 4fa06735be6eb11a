// SPDX-License-Identifier: MIT
/*
 * Processes: creation, references, the self process, limits.
 */
#include "proc.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emu.h"

uint64_t proc_own_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return (uint64_t)data[1].effective << 32 | data[0].effective;
}

int iemu_proc_create(struct iemu *emu, const struct iemu_proc_desc *desc,
		     struct iemu_proc **out)
{
	struct iemu_proc *p;

	if (!desc->ops || !desc->ops->read || !desc->ops->write ||
	    !desc->ops->vma_at)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->emu = emu;
	atomic_init(&p->refs, 1);
	p->pid = desc->pid;
	p->uid = desc->uid;
	atomic_init(&p->caps, desc->caps);
	atomic_init(&p->memlock_override, IEMU_MEMLOCK_PROCESS);
	p->ops = desc->ops;
	p->opaque = desc->opaque;
	pthread_mutex_lock(&emu->lock);
	p->next = emu->procs;
	emu->procs = p;
	pthread_mutex_unlock(&emu->lock);
	*out = p;
	return 0;
}

int iemu_proc_self(struct iemu *emu, struct iemu_proc **out)
{
	struct iemu_proc_desc desc = {
		.pid = getpid(),
		.uid = geteuid(),
		.caps = proc_own_caps(),
		.ops = &mem_self_ops,
	};
	struct iemu_proc *p;
	int rc;

	pthread_mutex_lock(&emu->lock);
	p = emu->self;
	pthread_mutex_unlock(&emu->lock);
	if (p) {
		*out = iemu_proc_get(p);
		return 0;
	}
	desc.opaque = mem_self_open();
	if (!desc.opaque)
		return -ENOMEM;
	rc = iemu_proc_create(emu, &desc, &p);
	if (rc) {
		mem_self_ops.release(desc.opaque);
		return rc;
	}
	pthread_mutex_lock(&emu->lock);
	if (emu->self) {
		/* Another thread won the race; use its process. */
		pthread_mutex_unlock(&emu->lock);
		iemu_proc_put(p);
		return iemu_proc_self(emu, out);
	}
	emu->self = p;
	pthread_mutex_unlock(&emu->lock);
	*out = iemu_proc_get(p);
	return 0;
}

struct iemu_proc *iemu_proc_get(struct iemu_proc *proc)
{
	atomic_fetch_add(&proc->refs, 1);
	return proc;
}

static void unlink_proc(struct iemu_proc *p)
{
	struct iemu_proc **pp;

	pthread_mutex_lock(&p->emu->lock);
	for (pp = &p->emu->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	pthread_mutex_unlock(&p->emu->lock);
}

void iemu_proc_put(struct iemu_proc *proc)
{
	if (!proc || atomic_fetch_sub(&proc->refs, 1) != 1)
		return;
	unlink_proc(proc);
	if (proc->ops->release)
		proc->ops->release(proc->opaque);
	free(proc);
}

void iemu_proc_set_caps(struct iemu_proc *proc, uint64_t caps)
{
	atomic_store(&proc->caps, caps);
	atomic_store(&proc->caps_fixed, true);
}

bool proc_capable(const struct iemu_proc *p, unsigned int cap)
{
	uint64_t caps = atomic_load(&p->caps);

	if (!atomic_load(&p->caps_fixed) && p->ops->caps)
		caps = p->ops->caps(p->opaque);
	return ((caps | p->emu->cfg.add_caps) >> cap) & 1;
}

void iemu_proc_set_memlock(struct iemu_proc *proc, uint64_t bytes)
{
	atomic_store(&proc->memlock_override, bytes);
}

void iemu_proc_exited(struct iemu_proc *proc)
{
	atomic_store(&proc->exited, true);
}

void iemu_proc_stats(struct iemu_proc *proc, struct iemu_proc_stats *out)
{
	pthread_mutex_lock(&proc->emu->lock);
	out->locked_vm = proc->locked_vm;
	out->pinned_vm = proc->pinned_vm;
	pthread_mutex_unlock(&proc->emu->lock);
}

pid_t iemu_proc_pid(const struct iemu_proc *proc)
{
	return proc->pid;
}

int iemu_pid_stats(struct iemu *emu, pid_t pid, struct iemu_proc_stats *out)
{
	int rc = -ESRCH;

	*out = (struct iemu_proc_stats){ 0 };
	pthread_mutex_lock(&emu->lock);
	for (struct iemu_proc *p = emu->procs; p; p = p->next) {
		if (p->pid != pid)
			continue;
		out->locked_vm += p->locked_vm;
		out->pinned_vm += p->pinned_vm;
		rc = 0;
	}
	pthread_mutex_unlock(&emu->lock);
	return rc;
}

uint64_t proc_memlock_pages(struct iemu_proc *p)
{
	uint64_t bytes = atomic_load(&p->memlock_override);

	if (bytes == IEMU_MEMLOCK_PROCESS)
		bytes = p->ops->memlock_limit ? p->ops->memlock_limit(p->opaque) :
						UINT64_MAX;
	return bytes >> PAGE_SHIFT;
}

int proc_read(struct iemu_proc *p, uint64_t addr, void *buf, size_t len)
{
	if (!len)
		return 0;
	if (addr + len < addr)
		return -EFAULT;
	return p->ops->read(p->opaque, addr, buf, len);
}

int proc_write(struct iemu_proc *p, uint64_t addr, const void *buf, size_t len)
{
	if (!len)
		return 0;
	if (addr + len < addr)
		return -EFAULT;
	return p->ops->write(p->opaque, addr, buf, len);
}

int proc_eventfd(struct iemu_proc *p, int fd, int *out)
{
	char path[64], target[32];
	ssize_t n;
	int ours;

	ours = iemu_proc_dup_fd(p, fd);
	if (ours < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ours);
	n = readlink(path, target, sizeof(target) - 1);
	if (n >= 0)
		target[n] = 0;
	if (n < 0 || strcmp(target, "anon_inode:[eventfd]")) {
		close(ours);
		return -EINVAL;
	}
	*out = ours;
	return 0;
}

int iemu_proc_dup_fd(struct iemu_proc *p, int fd)
{
	return p->ops->dup_fd ? p->ops->dup_fd(p->opaque, fd) : -EBADF;
}

int iemu_proc_read(struct iemu_proc *p, uint64_t addr, void *buf, size_t len)
{
	return proc_read(p, addr, buf, len);
}

int iemu_proc_vma_at(struct iemu_proc *p, uint64_t addr, struct iemu_vma *out)
{
	return p->ops->vma_at(p->opaque, addr, out);
}
