// SPDX-License-Identifier: MIT
/*
 * Device worker threads (see worker.h): a few keyed job slots and one
 * thread that sleeps until the earliest deadline.
 */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct job {
	bool pending;
	struct timespec due;
	void (*fn)(void *arg);
	void *arg;
};

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	struct job jobs[WORKER_KEYS];
};

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The earliest pending job, or NULL. */
static struct job *next_job(struct worker *w)
{
	struct job *best = NULL;

	for (int i = 0; i < WORKER_KEYS; i++)
		if (w->jobs[i].pending && (!best || before(&w->jobs[i].due, &best->due)))
			best = &w->jobs[i];
	return best;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct timespec now;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct job *j = next_job(w);

		if (!j) {
			pthread_cond_wait(&w->wake, &w->lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (before(&now, &j->due)) {
			pthread_cond_timedwait(&w->wake, &w->lock, &j->due);
			continue;
		}
		j->pending = false;
		pthread_mutex_unlock(&w->lock);
		j->fn(j->arg);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int worker_start(struct worker **out)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t attr;
	int rc;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	rc = pthread_create(&w->thread, NULL, run, w);
	if (rc) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -rc;
	}
	*out = w;
	return 0;
}

void worker_stop(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void worker_schedule(struct worker *w, unsigned int key, uint64_t delay_us,
		     void (*fn)(void *arg), void *arg)
{
	struct job *j = &w->jobs[key % WORKER_KEYS];

	pthread_mutex_lock(&w->lock);
	clock_gettime(CLOCK_MONOTONIC, &j->due);
	j->due.tv_sec += delay_us / 1000000;
	j->due.tv_nsec += (delay_us % 1000000) * 1000;
	if (j->due.tv_nsec >= 1000000000) {
		j->due.tv_sec++;
		j->due.tv_nsec -= 1000000000;
	}
	j->fn = fn;
	j->arg = arg;
	j->pending = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void worker_cancel(struct worker *w, unsigned int key)
{
	pthread_mutex_lock(&w->lock);
	w->jobs[key % WORKER_KEYS].pending = false;
	pthread_mutex_unlock(&w->lock);
}
