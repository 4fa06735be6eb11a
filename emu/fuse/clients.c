// SPDX-License-Identifier: MIT
/*
 * The client table (see clients.h).  Threads map to their thread group
 * through /proc/<tid>/status once, then through a hash; a pidfd per client
 * tells the monitor thread when it exits, which marks the emulator's process
 * exited (its memory can no longer be pinned) and forgets the client.
 *
 * A cached thread id could in theory be reused by another process while its
 * first owner lives on (after the pid space wraps); the emulator does not
 * guard against that.
 */
#include "clients.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uthash.h>

#include "iommufd_emu.h"

struct client {
	pid_t pid;
	int refs;
	int pidfd;
	char comm[17];
	struct iemu_proc *proc;
	bool denied_logged;
	bool gone;
	unsigned int contexts;
	UT_hash_handle hh;
};

struct thread_entry {
	pid_t tid;
	struct client *client;
	UT_hash_handle hh;
};

static struct {
	struct iemu *emu;
	pthread_mutex_t lock;
	struct client *by_pid;
	struct thread_entry *by_tid;
	int epfd, stopfd;
	pthread_t monitor;
} t = { .lock = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .stopfd = -1 };

static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	int tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

static void read_comm(pid_t pid, char *comm)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	strcpy(comm, "?");
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, 17, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
}

/* Drop a client from the tables (lock held). */
static void forget(struct client *c)
{
	struct thread_entry *e, *tmp;

	HASH_ITER(hh, t.by_tid, e, tmp) {
		if (e->client == c) {
			HASH_DEL(t.by_tid, e);
			free(e);
		}
	}
	HASH_DEL(t.by_pid, c);
	c->gone = true;
	if (c->proc)
		iemu_proc_exited(c->proc);
	if (c->pidfd >= 0) {
		epoll_ctl(t.epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
		close(c->pidfd);
		c->pidfd = -1;
	}
}

static void put_locked(struct client *c)
{
	if (--c->refs)
		return;
	if (c->proc)
		iemu_proc_put(c->proc);
	free(c);
}

void client_put(struct client *c)
{
	pthread_mutex_lock(&t.lock);
	put_locked(c);
	pthread_mutex_unlock(&t.lock);
}

static void *monitor(void *arg)
{
	struct epoll_event ev[16];

	(void)arg;
	for (;;) {
		int n = epoll_wait(t.epfd, ev, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		pthread_mutex_lock(&t.lock);
		for (int i = 0; i < n; i++) {
			struct client *c = ev[i].data.ptr;

			if (!c) {
				pthread_mutex_unlock(&t.lock);
				return NULL;
			}
			if (!c->gone) {
				forget(c);
				put_locked(c);
			}
		}
		pthread_mutex_unlock(&t.lock);
	}
}

int clients_init(struct iemu *emu)
{
	struct epoll_event ev = { .events = EPOLLIN };

	t.emu = emu;
	t.epfd = epoll_create1(EPOLL_CLOEXEC);
	t.stopfd = eventfd(0, EFD_CLOEXEC);
	if (t.epfd < 0 || t.stopfd < 0)
		return -errno;
	ev.data.ptr = NULL;
	if (epoll_ctl(t.epfd, EPOLL_CTL_ADD, t.stopfd, &ev))
		return -errno;
	return -pthread_create(&t.monitor, NULL, monitor, NULL);
}

void clients_fini(void)
{
	struct client *c, *tmp;

	if (eventfd_write(t.stopfd, 1) == 0)
		pthread_join(t.monitor, NULL);
	pthread_mutex_lock(&t.lock);
	HASH_ITER(hh, t.by_pid, c, tmp) {
		forget(c);
		put_locked(c);
	}
	pthread_mutex_unlock(&t.lock);
	close(t.epfd);
	close(t.stopfd);
}

static struct client *new_client(pid_t pid)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pid = pid;
	c->refs = 1; /* the table's */
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	read_comm(pid, c->comm);
	if (c->pidfd >= 0) {
		ev.data.ptr = c;
		epoll_ctl(t.epfd, EPOLL_CTL_ADD, c->pidfd, &ev);
	}
	HASH_ADD(hh, t.by_pid, pid, sizeof(pid), c);
	return c;
}

/* The client of thread tid, made on first sight if make is set. */
static struct client *find_client(pid_t tid, bool make)
{
	struct thread_entry *e;
	struct client *c;
	pid_t pid;

	pthread_mutex_lock(&t.lock);
	HASH_FIND(hh, t.by_tid, &tid, sizeof(tid), e);
	if (e) {
		c = e->client;
		c->refs++;
		pthread_mutex_unlock(&t.lock);
		return c;
	}
	pthread_mutex_unlock(&t.lock);

	pid = tgid_of(tid);
	if (!pid)
		pid = tid;
	pthread_mutex_lock(&t.lock);
	HASH_FIND(hh, t.by_pid, &pid, sizeof(pid), c);
	if (!c && make)
		c = new_client(pid);
	e = c ? calloc(1, sizeof(*e)) : NULL;
	if (e) {
		e->tid = tid;
		e->client = c;
		HASH_ADD(hh, t.by_tid, tid, sizeof(tid), e);
	}
	if (c)
		c->refs++;
	pthread_mutex_unlock(&t.lock);
	return c;
}

struct client *client_of_thread(pid_t tid)
{
	return find_client(tid, true);
}

struct client *client_known(pid_t tid)
{
	return find_client(tid, false);
}

struct iemu_proc *client_proc(struct client *c)
{
	struct iemu_proc *p;
	int rc;

	pthread_mutex_lock(&t.lock);
	p = c->proc;
	pthread_mutex_unlock(&t.lock);
	if (p || c->gone)
		return p;
	rc = iemu_proc_open_pid(t.emu, c->pid, &p);
	pthread_mutex_lock(&t.lock);
	if (!rc && !c->proc && !c->gone) {
		c->proc = p;
		p = NULL;
	}
	if (rc && !c->denied_logged) {
		c->denied_logged = true;
		if (rc == -EPERM)
			fprintf(stderr,
				"iommufd-emu: cannot reach the memory of pid %d (%s): ptrace access denied; "
				"start it with 'iommufd-emu run', or preload libiommufd-emu-preload.so "
				"(it calls prctl(PR_SET_PTRACER)), or give the server CAP_SYS_PTRACE\n",
				(int)c->pid, c->comm);
		else
			fprintf(stderr, "iommufd-emu: cannot reach the memory of pid %d (%s): %s\n",
				(int)c->pid, c->comm, strerror(-rc));
	}
	pthread_mutex_unlock(&t.lock);
	if (p)
		iemu_proc_put(p);
	pthread_mutex_lock(&t.lock);
	p = c->proc;
	pthread_mutex_unlock(&t.lock);
	return p;
}

pid_t client_pid(const struct client *c)
{
	return c->pid;
}

void client_add_context(struct client *c, int delta)
{
	pthread_mutex_lock(&t.lock);
	c->contexts += delta;
	pthread_mutex_unlock(&t.lock);
}

void clients_for_each(void (*fn)(void *arg, const struct client_info *info),
		      void *arg)
{
	struct client *c, *tmp;

	pthread_mutex_lock(&t.lock);
	HASH_ITER(hh, t.by_pid, c, tmp) {
		struct client_info info = {
			.pid = c->pid, .memory_ok = c->proc != NULL,
			.contexts = c->contexts, .proc = c->proc,
		};

		memcpy(info.comm, c->comm, sizeof(info.comm));
		fn(arg, &info);
	}
	pthread_mutex_unlock(&t.lock);
}
