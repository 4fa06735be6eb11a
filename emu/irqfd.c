// SPDX-License-Identifier: MIT
/*
 * The eventfd poller (see irqfd.h).  Watches are found by a key stored in
 * the epoll event, never by pointer, so that an event still in flight for a
 * watch being removed finds nothing instead of freed memory.
 *
 * Several watches may share one eventfd (two ioeventfds on one eventfd, an
 * ioeventfd and an unmask eventfd): in the kernel each is a waiter on the
 * eventfd's wait queue and a signal wakes them all, newest first.  Here the
 * first watch to see the signal consumes the count, so it runs the handlers
 * of every watch on the same file (kcmp() tells), newest first.
 */
#include "irqfd.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <linux/kcmp.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "emu.h"

struct irqfd {
	struct irqfd_set *set;
	uint64_t key;
	uint64_t file; /* the key of the oldest watch on the same eventfd */
	int fd;
	void (*handler)(void *arg);
	void *arg;
	bool running;
	struct irqfd *next;
	struct irqfd *fire_next; /* the watches one signal runs, in order */
};

struct irqfd_set {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	pthread_t thread;
	int epfd;
	int stopfd;
	uint64_t next_key;
	struct irqfd *watches;
};

#define STOP_KEY 0

static struct irqfd *lookup(struct irqfd_set *s, uint64_t key)
{
	for (struct irqfd *w = s->watches; w; w = w->next)
		if (w->key == key)
			return w;
	return NULL;
}

/* Consume the count without blocking: the fd's file is shared with the
 * client, whose flags must not change, and the client may read it first. */
static bool consume(int fd)
{
	uint64_t count;
	struct iovec iov = { .iov_base = &count, .iov_len = sizeof(count) };

	return preadv2(fd, &iov, 1, -1, RWF_NOWAIT) == sizeof(count);
}

/* The key of a watch already on fd's file, or key when there is none. */
static uint64_t file_of(struct irqfd_set *s, int fd, uint64_t key)
{
	pid_t self = getpid();

	for (struct irqfd *w = s->watches; w; w = w->next)
		if (syscall(SYS_kcmp, self, self, KCMP_FILE, w->fd, fd) == 0)
			return w->file;
	return key;
}

static void fire(struct irqfd_set *s, uint64_t key)
{
	struct irqfd *w, *first = NULL, **tail = &first;

	pthread_mutex_lock(&s->lock);
	w = lookup(s, key);
	if (!w || !consume(w->fd)) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	/* The list is newest first, as the kernel's wait queue. */
	for (struct irqfd *o = s->watches; o; o = o->next) {
		if (o->file != w->file)
			continue;
		o->running = true;
		*tail = o;
		tail = &o->fire_next;
	}
	*tail = NULL;
	pthread_mutex_unlock(&s->lock);
	/* Running watches are not freed (irqfd_remove waits), so the chain holds. */
	for (struct irqfd *o = first; o; o = o->fire_next)
		o->handler(o->arg);
	pthread_mutex_lock(&s->lock);
	for (struct irqfd *o = first; o; o = o->fire_next)
		o->running = false;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
}

static void *poll_loop(void *arg)
{
	struct irqfd_set *s = arg;
	struct epoll_event ev[16];

	for (;;) {
		int n = epoll_wait(s->epfd, ev, 16, -1);

		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == STOP_KEY)
				return NULL;
			fire(s, ev[i].data.u64);
		}
	}
}

static int set_start(struct irqfd_set **out)
{
	struct irqfd_set *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = STOP_KEY };
	int rc;

	if (!s)
		return -ENOMEM;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->epfd < 0 || s->stopfd < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stopfd, &ev)) {
		rc = -errno;
		goto fail;
	}
	s->next_key = STOP_KEY + 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	rc = -pthread_create(&s->thread, NULL, poll_loop, s);
	if (!rc) {
		*out = s;
		return 0;
	}
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
fail:
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->stopfd >= 0)
		close(s->stopfd);
	free(s);
	return rc;
}

static int get_set(struct iemu *emu, struct irqfd_set **out)
{
	int rc = 0;

	pthread_mutex_lock(&emu->lock);
	if (!emu->irqfds)
		rc = set_start(&emu->irqfds);
	*out = emu->irqfds;
	pthread_mutex_unlock(&emu->lock);
	return rc;
}

int irqfd_add(struct iemu *emu, int fd, void (*handler)(void *arg), void *arg,
	      struct irqfd **out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct irqfd_set *s;
	struct irqfd *w;
	int rc = get_set(emu, &s);

	if (rc)
		return rc;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct irqfd){ .set = s, .fd = fd, .handler = handler, .arg = arg };
	pthread_mutex_lock(&s->lock);
	w->key = s->next_key++;
	w->file = file_of(s, fd, w->key);
	ev.data.u64 = w->key;
	w->next = s->watches;
	s->watches = w;
	/* Level-triggered: an eventfd signalled before now fires at once. */
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		rc = -errno;
		s->watches = w->next;
		pthread_mutex_unlock(&s->lock);
		free(w);
		return rc;
	}
	pthread_mutex_unlock(&s->lock);
	*out = w;
	return 0;
}

void irqfd_remove(struct irqfd *w)
{
	struct irqfd_set *s = w->set;
	struct irqfd **pp;

	pthread_mutex_lock(&s->lock);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	for (pp = &s->watches; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	while (w->running)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	close(w->fd);
	free(w);
}

void irqfd_shutdown(struct iemu *emu)
{
	struct irqfd_set *s = emu->irqfds;

	if (!s)
		return;
	eventfd_write(s->stopfd, 1);
	pthread_join(s->thread, NULL);
	close(s->epfd);
	close(s->stopfd);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
	free(s);
	emu->irqfds = NULL;
}
