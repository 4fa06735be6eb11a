// SPDX-License-Identifier: MIT
/*
 * Memory snapshots (see snapshot.h).  Each process's watched memory is a
 * list of disjoint page-aligned ranges, each with a shadow copy of what the
 * trace has told the replayer so far (zeros at first, as fresh memory is in
 * the replayer).  A snapshot reads a range in chunks and writes a line per
 * run of changed 64-byte blocks.
 */
#include "snapshot.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_emu.h"
#include "trace.h"

#define PAGE 4096ULL
#define CHUNK (64 * 1024)
#define BLOCK 64

struct range {
	pid_t pid;
	uint64_t start, end; /* page-aligned */
	uint8_t *shadow;
	struct range *next;
};

static struct {
	pthread_mutex_t lock;
	struct range *list;
	uint64_t bytes;
	bool noted;
} w = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void free_range(struct range *r)
{
	w.bytes -= r->end - r->start;
	free(r->shadow);
	free(r);
}

/* Take pid's ranges that touch [start, end) off the list, widening the
 * span to cover them. */
static struct range *take_touching(pid_t pid, uint64_t *start, uint64_t *end,
				   uint64_t *bytes)
{
	struct range **pp = &w.list, *taken = NULL, *r;

	*bytes = 0;

	while ((r = *pp)) {
		if (r->pid != pid || r->end < *start || r->start > *end) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		*start = r->start < *start ? r->start : *start;
		*end = r->end > *end ? r->end : *end;
		*bytes += r->end - r->start;
		r->next = taken;
		taken = r;
	}
	return taken;
}

static void note_cap(void)
{
	if (!w.noted)
		trace_note("mapped memory beyond the snapshot cap is not captured: a replay "
			   "may see other bytes there");
	w.noted = true;
}

void snapshot_watch(pid_t pid, uint64_t va, uint64_t len)
{
	uint64_t start = va & ~(PAGE - 1), end = (va + len + PAGE - 1) & ~(PAGE - 1);
	struct range *old, *r;
	uint64_t merged;

	if (!len || va + len < va || end <= start)
		return;
	pthread_mutex_lock(&w.lock);
	old = take_touching(pid, &start, &end, &merged);
	r = calloc(1, sizeof(*r));
	/* The merged ranges' bytes are counted already; the union replaces them. */
	if (r && end - start <= SNAPSHOT_MAX_BYTES &&
	    w.bytes - merged + (end - start) <= SNAPSHOT_MAX_BYTES)
		r->shadow = calloc(1, end - start);
	if (!r || !r->shadow) {
		/* Keep what was watched; this range is not captured. */
		free(r);
		while (old) {
			r = old->next;
			old->next = w.list;
			w.list = old;
			old = r;
		}
		note_cap();
		pthread_mutex_unlock(&w.lock);
		return;
	}
	*r = (struct range){ pid, start, end, r->shadow, w.list };
	while (old) {
		struct range *next = old->next;

		memcpy(r->shadow + (old->start - start), old->shadow, old->end - old->start);
		free_range(old);
		old = next;
	}
	w.bytes += end - start;
	w.list = r;
	pthread_mutex_unlock(&w.lock);
}

/* Read what can be read of [va, va + n): unreadable pages keep the shadow's
 * bytes, so they show no change. */
static void read_chunk(struct iemu_proc *proc, uint64_t va, uint8_t *buf,
		       const uint8_t *shadow, size_t n)
{
	if (!iemu_proc_read(proc, va, buf, n))
		return;
	for (size_t off = 0; off < n; off += PAGE) {
		size_t m = n - off < PAGE ? n - off : PAGE;

		if (iemu_proc_read(proc, va + off, buf + off, m))
			memcpy(buf + off, shadow + off, m);
	}
}

/* Lines for the runs of changed blocks in one chunk; the shadow follows. */
static void diff_chunk(pid_t pid, uint64_t va, const uint8_t *now, uint8_t *shadow, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start, end;

		while (i < n && !memcmp(now + i, shadow + i, n - i < BLOCK ? n - i : BLOCK))
			i += BLOCK;
		if (i >= n)
			break;
		start = i;
		while (i < n && memcmp(now + i, shadow + i, n - i < BLOCK ? n - i : BLOCK))
			i += BLOCK;
		end = i < n ? i : n;
		trace_mem(pid, va + start, now + start, end - start);
		memcpy(shadow + start, now + start, end - start);
	}
}

void snapshot_take(struct iemu_proc *proc, pid_t pid)
{
	uint8_t *buf = malloc(CHUNK);

	if (!buf)
		return;
	pthread_mutex_lock(&w.lock);
	for (struct range *r = w.list; r; r = r->next) {
		if (r->pid != pid)
			continue;
		for (uint64_t va = r->start; va < r->end; va += CHUNK) {
			size_t n = r->end - va < CHUNK ? r->end - va : CHUNK;
			uint8_t *shadow = r->shadow + (va - r->start);

			read_chunk(proc, va, buf, shadow, n);
			diff_chunk(pid, va, buf, shadow, n);
		}
	}
	pthread_mutex_unlock(&w.lock);
	free(buf);
}

void snapshot_reset(void)
{
	pthread_mutex_lock(&w.lock);
	while (w.list) {
		struct range *r = w.list;

		w.list = r->next;
		free_range(r);
	}
	w.noted = false;
	pthread_mutex_unlock(&w.lock);
}
