// SPDX-License-Identifier: MIT
/*
 * The replayer's stand-ins for the client's memory and fds (see replay.h).
 *
 * Mapped memory is kept as areas: client ranges [start, end) found at
 * start + delta in the replayer.  The client's own addresses (delta 0) are
 * tried first with MAP_FIXED_NOREPLACE: addresses then match exactly, so do
 * IOVAs the kernel allocates, and two maps of the same buffer share it as
 * they did in the client.  Where the replayer has something of its own, the
 * whole map goes elsewhere, at the same offset modulo 2 MiB.
 */
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ULL
#define HUGE_ALIGN (2ULL << 20)
#define BUFFER_MAX (64ULL << 20)    /* of a call's buffer */
#define HOLE_PROBE_MAX (1ULL << 30) /* of a hole checked to be free */
/* An fd number no process can have open (above fs.nr_open's maximum). */
#define NEVER_OPEN_FD 0x3fff0000

static uint64_t page_down(uint64_t a)
{
	return a & ~(PAGE - 1);
}

static uint64_t page_up(uint64_t a)
{
	return (a + PAGE - 1) & ~(PAGE - 1);
}

/* ---- areas ---- */

struct area {
	uint64_t start, end;
	int64_t delta;
	struct area *next;
};

static struct area *areas;
static int self_mem = -1; /* /proc/self/mem: stores into read-only pages too */

static struct area *area_at(uint64_t a)
{
	for (struct area *x = areas; x; x = x->next)
		if (a >= x->start && a < x->end)
			return x;
	return NULL;
}

static int add_area(uint64_t start, uint64_t end, int64_t delta)
{
	struct area *x = malloc(sizeof(*x));

	if (!x)
		return -ENOMEM;
	*x = (struct area){ start, end, delta, areas };
	areas = x;
	return 0;
}

/* Forget [start, end) of the identity areas, cutting those that straddle. */
static void cut_identity(uint64_t start, uint64_t end)
{
	struct area **pp = &areas, *x;

	while ((x = *pp)) {
		if (x->delta || x->end <= start || x->start >= end) {
			pp = &x->next;
			continue;
		}
		if (x->start < start && x->end > end && add_area(end, x->end, 0))
			return;
		if (x->start < start) {
			x->end = start;
			pp = &x->next;
		} else if (x->end > end) {
			x->start = end;
			pp = &x->next;
		} else {
			*pp = x->next;
			free(x);
		}
	}
}

/* The first identity area overlapping [start, end), or NULL. */
static struct area *identity_in(uint64_t start, uint64_t end)
{
	struct area *best = NULL;

	for (struct area *x = areas; x; x = x->next)
		if (!x->delta && x->start < end && x->end > start &&
		    (!best || x->start < best->start))
			best = x;
	return best;
}

/* ---- one region of the client ---- */

struct seg {
	uint64_t start, end;  /* client addresses, page-aligned */
	int prot;
	bool shared;
	const char *kind;
};

static int parse_segs(const struct jv *mem, uint64_t addr, struct seg *segs, unsigned int max)
{
	const struct jv *vmas = json_get(mem, "vmas");
	unsigned int n = 0;

	for (size_t i = 0; i < json_count(vmas) && n < max; i++) {
		const struct jv *v = json_at(vmas, i);
		const char *prot = json_str(v, "prot"), *kind = json_str(v, "kind");
		uint64_t off, len;

		if (!prot || strlen(prot) < 4 || !kind || !json_get_u64(v, "off", &off) ||
		    !json_get_u64(v, "len", &len) || !len)
			return -EINVAL;
		segs[n++] = (struct seg){
			page_down(addr + off), page_up(addr + off + len),
			(prot[0] == 'r' ? PROT_READ : 0) | (prot[1] == 'w' ? PROT_WRITE : 0) |
				(prot[2] == 'x' ? PROT_EXEC : 0),
			prot[3] == 's', kind,
		};
	}
	return (int)n;
}

/* A file on a disk filesystem, for memory the client had from a file. */
static int disk_file(uint64_t len)
{
	static const char *const dirs[] = { "/var/tmp", "." };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

		if (fd < 0)
			continue;
		if (!ftruncate(fd, (off_t)len))
			return fd;
		close(fd);
	}
	return -1;
}

/* I/O memory (which cannot be pinned) is stood for by inaccessible memory,
 * which cannot be either. */
static int piece_prot(const struct seg *s)
{
	return strcmp(s->kind, "io") ? s->prot : PROT_NONE;
}

/* Map one piece of a region at addr: anonymous, shmem (a memfd), a file.
 * fixed: MAP_FIXED over a reservation of ours, else MAP_FIXED_NOREPLACE. */
static int map_piece(uint64_t addr, uint64_t len, const struct seg *s, bool fixed)
{
	int flags = (fixed ? MAP_FIXED : MAP_FIXED_NOREPLACE) | MAP_NORESERVE;
	int prot = piece_prot(s), fd = -1;
	void *p;

	if (!strcmp(s->kind, "shmem"))
		fd = memfd_create("iommufd-emu-replay", MFD_CLOEXEC);
	else if (!strcmp(s->kind, "file"))
		fd = disk_file(len);
	if (fd >= 0 && ftruncate(fd, (off_t)len)) {
		close(fd);
		return -errno;
	}
	flags |= fd >= 0 ? (s->shared ? MAP_SHARED : MAP_PRIVATE) : MAP_PRIVATE | MAP_ANONYMOUS;
	p = mmap((void *)(uintptr_t)addr, len, prot, flags, fd, 0);
	if (fd >= 0)
		close(fd);
	if (p == MAP_FAILED)
		return -errno;
	if ((uint64_t)(uintptr_t)p != addr) {
		/* A kernel without MAP_FIXED_NOREPLACE put it elsewhere. */
		munmap(p, len);
		return -EEXIST;
	}
	return 0;
}

/* Whether [start, end) is free in the replayer: try to map it. */
static bool range_free(uint64_t start, uint64_t end)
{
	void *p = mmap((void *)(uintptr_t)start, end - start, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return false;
	munmap(p, end - start);
	return (uint64_t)(uintptr_t)p == start;
}

struct undo {
	uint64_t start[64], end[64];
	unsigned int n;
};

static void undo_maps(struct undo *u)
{
	for (unsigned int i = 0; i < u->n; i++) {
		munmap((void *)(uintptr_t)u->start[i], u->end[i] - u->start[i]);
		cut_identity(u->start[i], u->end[i]);
	}
	u->n = 0;
}

/* The parts of [start, end) no identity area covers: mapped anew; the
 * covered parts take the segment's protection (the client may have
 * mprotect()ed the memory since an earlier map). */
static int identity_segment(const struct seg *s, struct undo *u)
{
	uint64_t at = s->start;

	while (at < s->end) {
		struct area *x = identity_in(at, s->end);
		uint64_t stop = x && x->start > at ? x->start : x ? at : s->end;

		if (stop > at) {
			if (u->n == 64 || map_piece(at, stop - at, s, false))
				return -EEXIST;
			u->start[u->n] = at;
			u->end[u->n++] = stop;
			if (add_area(at, stop, 0))
				return -ENOMEM;
			at = stop;
			continue;
		}
		stop = x->end < s->end ? x->end : s->end;
		mprotect((void *)(uintptr_t)at, stop - at, piece_prot(s));
		at = stop;
	}
	return 0;
}

/* A hole of the client's between regions: ours goes (the client unmapped
 * it since), anything else of the replayer's there makes the place unfit. */
static int identity_gap(uint64_t start, uint64_t end)
{
	struct area *x;

	if (start >= end)
		return 0;
	while ((x = identity_in(start, end))) {
		uint64_t s = x->start > start ? x->start : start, e = x->end < end ? x->end : end;

		munmap((void *)(uintptr_t)s, e - s);
		cut_identity(s, e);
	}
	return range_free(start, end) ? 0 : -EEXIST;
}

static int map_identity(const struct seg *segs, unsigned int n)
{
	struct undo u = { .n = 0 };
	int rc = 0;

	for (unsigned int i = 0; i < n && !rc; i++) {
		rc = identity_segment(&segs[i], &u);
		if (!rc && i + 1 < n)
			rc = identity_gap(segs[i].end, segs[i + 1].start);
	}
	if (rc)
		undo_maps(&u);
	return rc;
}

/* Elsewhere: a reservation at the same offset modulo 2 MiB, the segments
 * over it, the holes unmapped again. */
static int map_translated(const struct seg *segs, unsigned int n, int64_t *delta)
{
	uint64_t start = segs[0].start, end = segs[n - 1].end, span = end - start, base, raw_end;
	void *raw = mmap(NULL, span + HUGE_ALIGN, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t r = (uint64_t)(uintptr_t)raw;

	if (raw == MAP_FAILED)
		return -ENOMEM;
	base = (r & ~(HUGE_ALIGN - 1)) | (start & (HUGE_ALIGN - 1));
	if (base < r)
		base += HUGE_ALIGN;
	raw_end = r + span + HUGE_ALIGN;
	if (base > r)
		munmap(raw, base - r);
	if (raw_end > base + span)
		munmap((void *)(uintptr_t)(base + span), raw_end - base - span);
	*delta = (int64_t)(base - start);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t gap_end = i + 1 < n ? segs[i + 1].start : segs[i].end;
		uint64_t len = segs[i].end - segs[i].start;

		if (map_piece(segs[i].start + *delta, len, &segs[i], true)) {
			munmap((void *)(uintptr_t)base, span);
			return -ENOMEM;
		}
		if (gap_end > segs[i].end)
			munmap((void *)(uintptr_t)(segs[i].end + *delta), gap_end - segs[i].end);
	}
	return add_area(start, end, *delta);
}

/* An address with nothing mapped where the client had nothing: the
 * client's own if free in the replayer (ours there goes: the client
 * unmapped it), else a hole at the same offset modulo 2 MiB. */
static uint64_t hole_for(uint64_t addr, uint64_t len)
{
	uint64_t start = page_down(addr), probe = len < HOLE_PROBE_MAX ? len : HOLE_PROBE_MAX;
	uint64_t end = page_up(addr + probe), r;
	void *raw;

	if (!addr || addr + len < addr || end <= start || end < start)
		return addr; /* refused before memory is looked at */
	if (!identity_gap(start, end))
		return addr;
	raw = mmap(NULL, end - start + HUGE_ALIGN, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return addr;
	munmap(raw, end - start + HUGE_ALIGN);
	r = ((uint64_t)(uintptr_t)raw + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
	return r | (addr & (HUGE_ALIGN - 1));
}

int rmem_establish(const struct jv *mem, uint64_t *va)
{
	struct seg segs[32];
	uint64_t addr, len;
	int64_t delta;
	struct area *x;
	int n;

	if (!json_get_u64(mem, "addr", &addr) || !json_get_u64(mem, "len", &len))
		return -EINVAL;
	n = parse_segs(mem, addr, segs, 32);
	if (n < 0)
		return n;
	*va = addr;
	if (!addr)
		return 0; /* NULL stays NULL: the kernel treats it as no memory */
	if (!n) {
		*va = hole_for(addr, len);
		return 0;
	}
	/* Inside memory re-created elsewhere before: there again. */
	x = area_at(segs[0].start);
	if (x && x->delta && segs[n - 1].end <= x->end) {
		*va = addr + x->delta;
		return 0;
	}
	if (!map_identity(segs, n))
		return 0;
	if (map_translated(segs, n, &delta))
		return -ENOMEM;
	*va = addr + delta;
	return 0;
}

void rmem_store(uint64_t va, const uint8_t *data, size_t len)
{
	if (self_mem < 0)
		self_mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	while (len) {
		struct area *x = area_at(va);
		size_t n = len;

		if (x && x->end - va < n)
			n = x->end - va;
		if (!x) {
			/* Not memory the client mapped (any more): skip a page. */
			n = PAGE - (va & (PAGE - 1));
			n = n < len ? n : len;
		} else if (self_mem >= 0 && pwrite(self_mem, data, n, (off_t)(va + x->delta)) < 0) {
			/* Best effort: a store that fails leaves the replayer's bytes. */
		}
		va += n;
		data += n;
		len -= n;
	}
}

void rmem_reset(void)
{
	while (areas) {
		struct area *x = areas;

		areas = x->next;
		munmap((void *)(uintptr_t)(x->start + x->delta), x->end - x->start);
		free(x);
	}
	if (self_mem >= 0)
		close(self_mem);
	self_mem = -1;
}

/* ---- one call ---- */

void *rcall_buffer(struct rcall *c, const uint8_t *bytes, size_t n, size_t total, bool fault,
		   bool ro)
{
	struct rcall_map *maps = realloc(c->maps, (c->nmaps + 1) * sizeof(*maps));
	size_t pages, maplen;
	uint8_t *map, *p;

	if (!maps)
		return NULL;
	c->maps = maps;
	if (fault || total < n)
		total = n;
	if (total > BUFFER_MAX)
		total = BUFFER_MAX;
	pages = page_up(total ? total : 1);
	maplen = pages + (fault ? PAGE : 0);
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	c->maps[c->nmaps].p = map;
	c->maps[c->nmaps++].len = maplen;
	p = fault ? map + pages - n : map;
	memcpy(p, bytes, n < total ? n : total);
	if (fault)
		mprotect(map + pages, PAGE, PROT_NONE);
	if (ro)
		mprotect(map, pages, PROT_READ);
	return p;
}

int rcall_fd(struct rcall *c, const char *is, uint64_t size)
{
	int *fds = realloc(c->fds, (c->nfds + 1) * sizeof(*fds)), fd;

	if (!fds)
		return -ENOMEM;
	c->fds = fds;
	if (!strcmp(is, "eventfd")) {
		fd = eventfd(0, EFD_CLOEXEC);
	} else if (!strcmp(is, "memfd") || !strcmp(is, "file")) {
		fd = memfd_create("iommufd-emu-replay", MFD_CLOEXEC);
		if (fd >= 0 && ftruncate(fd, (off_t)size)) {
			close(fd);
			fd = -1;
		}
	} else if (!strcmp(is, "other")) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	} else {
		return NEVER_OPEN_FD; /* the client's number was not open */
	}
	if (fd < 0)
		return -errno;
	c->fds[c->nfds++] = fd;
	return fd;
}

void rcall_end(struct rcall *c)
{
	for (unsigned int i = 0; i < c->nmaps; i++)
		munmap(c->maps[i].p, c->maps[i].len);
	for (unsigned int i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	free(c->maps);
	free(c->fds);
	*c = (struct rcall){ 0 };
}
