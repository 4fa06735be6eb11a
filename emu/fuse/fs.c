// SPDX-License-Identifier: MIT
/*
 * The FUSE filesystem (see fs.h), on libfuse's low-level API.
 *
 * The tree is fixed when the server starts: a table of nodes whose inode
 * number is their index plus one.  Every operation is one small function;
 * each replies exactly once.  FUSE hands ioctls on a regular file over in
 * restricted mode: the command and the caller's raw pointer, nothing
 * copied; the emulator reads and writes the caller's memory itself, as the
 * process named by the request.
 */
#define FUSE_USE_VERSION 314

#include "fs.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anonfs.h"
#include "capture.h"
#include "clients.h"
#include "iommufd_emu.h"
#include "snapshot.h"
#include "status.h"
#include "report.h"
#include "private_ioctl.h"
#include "trace.h"
#include "tree.h"

#define TIMEOUT 86400.0


/* A region of an iommufd a client has mapped, held until unmapped or the
 * file is released. */
struct mapping {
	uint64_t offset, length;
	struct mapping *next;
};

/* An open file.  A reply in flight holds a reference: the client can close
 * (and the release arrive on another thread) as soon as the kernel has the
 * reply, before the replying thread is done with the buffer. */
struct handle {
	atomic_int refs;
	enum node_kind kind;
	struct iemu_ctx *ctx;         /* iommu */
	struct iemu_devfile *devfile; /* device */
	struct iemu_anon *anon;       /* anonymous file */
	struct fuse_pollhandle *ph;   /* anonymous file: who polls it */
	struct mapping *mappings;     /* iommu: its regions clients have mapped */
	const char *name;
	struct client *opener;
	struct client *closer;        /* who flushed it last, until it is released */
	double closed_at;
	bool at_exit;                 /* flushed by a client that was exiting */
	unsigned int serial;
	char *text;
	size_t len;
	struct handle *prev, *next;
};

static struct {
	struct iemu *emu;
	char *mount;
	dev_t st_dev;                 /* of the mount, to recognise our files */
	struct fuse_session *se;
	bool signals;
	pthread_mutex_t lock; /* open contexts and device files */
	pthread_cond_t released;
	struct handle *open;
	struct handle *closing;
	unsigned int serial;
} fs = { .lock = PTHREAD_MUTEX_INITIALIZER, .released = PTHREAD_COND_INITIALIZER };

/* How long a client's request waits for the RELEASE of a file it flushed
 * to arrive (none comes if a dup still holds the file); one that has
 * arrived is waited for to the end. */
#define RELEASE_WAIT_US 50000.0

/* ---- the tree ---- */

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	const struct node *n = tree_node(ino);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = geteuid();
	st->st_gid = getegid();
	st->st_nlink = 1;
	switch (n->kind) {
	case NODE_DIR:
		st->st_mode = S_IFDIR | n->mode;
		st->st_nlink = 2;
		break;
	case NODE_LINK:
		st->st_mode = S_IFLNK | n->mode;
		st->st_size = strlen(n->text);
		break;
	default:
		st->st_mode = S_IFREG | n->mode;
		st->st_size = n->text ? (off_t)strlen(n->text) : 0;
		break;
	}
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .attr_timeout = TIMEOUT, .entry_timeout = TIMEOUT };

	e.ino = tree_lookup(parent, name);
	if (!e.ino) {
		uint64_t ino;

		if (anonfs_lookup(parent, name, &ino, &e.attr)) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		/* Tokens come and go: nothing to cache. */
		e.ino = ino;
		e.attr_timeout = e.entry_timeout = 0;
		fuse_reply_entry(req, &e);
		return;
	}
	fill_attr(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (anonfs_owns(ino)) {
		if (anonfs_getattr(ino, &st))
			fuse_reply_err(req, ENOENT);
		else
			fuse_reply_attr(req, &st, 0);
		return;
	}
	if (!tree_node(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, TIMEOUT);
}

static void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	const struct node *n = tree_node(ino);

	if (!n || n->kind != NODE_LINK)
		fuse_reply_err(req, EINVAL);
	else
		fuse_reply_readlink(req, n->text);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	char *buf = calloc(1, size);
	size_t used = 0, n = tree_size();
	off_t pos = 0;
	struct stat st;

	(void)fi;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* The hidden directories list nothing (their entries come and go). */
	if (anonfs_owns(ino))
		n = 1;
	for (size_t i = 0; i < n + 1; i++) {
		fuse_ino_t child = i < 2 ? ino : i - 1;
		const char *name = i == 0 ? "." : "..";
		size_t need;

		if (i >= 2) {
			if (tree_node(child)->parent != ino)
				continue;
			name = tree_node(child)->name;
		}
		if (pos++ < off)
			continue;
		fill_attr(child, &st);
		need = fuse_add_direntry(req, buf + used, size - used, name, &st, pos);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/* ---- open files ---- */

static void track(struct handle *h)
{
	pthread_mutex_lock(&fs.lock);
	h->serial = ++fs.serial;
	h->next = fs.open;
	if (fs.open)
		fs.open->prev = h;
	fs.open = h;
	pthread_mutex_unlock(&fs.lock);
}

/* Take an open file off the list; until done_closing it is on the list of
 * files being released, which waiting clients look at too. */
static void untrack(struct handle *h)
{
	pthread_mutex_lock(&fs.lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		fs.open = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = NULL;
	h->next = fs.closing;
	fs.closing = h;
	pthread_mutex_unlock(&fs.lock);
}

static void done_closing(struct handle *h)
{
	struct handle **pp;

	pthread_mutex_lock(&fs.lock);
	for (pp = &fs.closing; *pp != h; pp = &(*pp)->next)
		;
	*pp = h->next;
	if (h->closer)
		client_put(h->closer);
	h->closer = NULL;
	pthread_cond_broadcast(&fs.released);
	pthread_mutex_unlock(&fs.lock);
}

static void each_ctx(void (*fn)(void *arg, const struct status_ctx *c), void *arg)
{
	pthread_mutex_lock(&fs.lock);
	for (struct handle *h = fs.open; h; h = h->next) {
		struct status_ctx c = {
			h->serial, client_pid(h->opener), h->ctx,
		};

		if (h->kind == NODE_IOMMU)
			fn(arg, &c);
	}
	pthread_mutex_unlock(&fs.lock);
}

static void trace_simple(fuse_req_t req, const struct handle *h, const char *op,
			 long result, double start, const struct jbuf *args,
			 const struct jbuf *outs)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	struct trace_req r = {
		.pid = c->pid, .tid = c->pid, .file = h->name, .serial = h->serial, .op = op,
		.result = result, .start_us = start, .args = args ? jb_text(args) : NULL,
		.outs = outs ? jb_text(outs) : NULL,
	};

	trace_request(&r);
}

static bool is_file_of_client(enum node_kind kind)
{
	return kind == NODE_IOMMU || kind == NODE_DEVICE || kind == NODE_ANON;
}

static bool own_thread(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	return access(path, F_OK) == 0;
}

/* Whether the task is in exit (PF_EXITING in /proc/TID/stat's flags): a
 * close then is the kernel closing what the program left open. */
static bool task_exiting(pid_t tid)
{
	char path[64], buf[512], *p;
	unsigned long flags = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* After the command name: state ppid pgrp session tty tpgid flags. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x4;
}

/* Under --check: what a program left for the kernel to clean up at exit. */
static void report_left_behind(struct handle *h)
{
	struct iemu_report r = { .kind = IEMU_REPORT_LEFT_BEHIND, .pid = client_pid(h->opener) };
	struct iemu_device_info info;
	struct iemu_ctx_stats st;
	char text[256];

	r.text = text;
	if (h->kind == NODE_IOMMU) {
		iemu_ctx_stats(h->ctx, &st);
		if (!st.objects)
			return;
		r.what = "close of /dev/iommu at exit";
		r.len = st.mapped_bytes;
		snprintf(text, sizeof(text), "the program exited with %u objects (%u IOAS, %u HWPT, "
			 "%u devices) and %llu mappings (%llu bytes) it never destroyed",
			 st.objects, st.ioas, st.hwpt, st.devices, (unsigned long long)st.areas,
			 (unsigned long long)st.mapped_bytes);
	} else {
		iemu_devfile_info(h->devfile, &info);
		if (!info.bound)
			return;
		r.device = h->name;
		r.what = "close of the device at exit";
		snprintf(text, sizeof(text), "the program exited with the device still bound "
			 "(device object %u%s%u); it never detached or closed it", info.devid,
			 info.pt_id ? ", attached to " : "", info.pt_id);
	}
	report_emit(&r);
}

/* close(2) is synchronous in the kernel: the device is unbound, the context
 * freed, before close returns.  FUSE sends FLUSH while close waits, but the
 * RELEASE that frees the file only afterwards, in the background.  So a
 * flush marks the file as closing, and the same client's next request waits
 * (briefly: the file may still be open through a dup) for that release,
 * which then looks synchronous to the client. */
static void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct client *c;

	(void)ino;
	/* The server's own copies (BIND's fd lookups) are no client's. */
	if (is_file_of_client(h->kind) && !own_thread(fuse_req_ctx(req)->pid) &&
	    (c = client_of_thread(fuse_req_ctx(req)->pid))) {
		bool exiting = report_on() && task_exiting(fuse_req_ctx(req)->pid);

		pthread_mutex_lock(&fs.lock);
		h->at_exit |= exiting;
		if (h->closer)
			client_put(h->closer);
		h->closer = c;
		h->closed_at = trace_now_us();
		pthread_mutex_unlock(&fs.lock);
	}
	fuse_reply_err(req, 0);
}

/* A file the client flushed that is not released yet; *started tells
 * whether its release is under way (it then ends without the client). */
static struct handle *closing_of(const struct client *c, bool *started)
{
	*started = true;
	for (struct handle *h = fs.closing; h; h = h->next)
		if (h->closer == c)
			return h;
	*started = false;
	for (struct handle *h = fs.open; h; h = h->next)
		if (h->closer == c)
			return h;
	return NULL;
}

static void forget_closer(struct handle *h)
{
	client_put(h->closer);
	h->closer = NULL;
}

static void wait_for_releases(struct client *c)
{
	struct handle *h;
	struct timespec until;
	bool started;

	pthread_mutex_lock(&fs.lock);
	while ((h = closing_of(c, &started))) {
		double left;

		if (started) {
			pthread_cond_wait(&fs.released, &fs.lock);
			continue;
		}
		left = h->closed_at + RELEASE_WAIT_US - trace_now_us();
		if (left <= 0) {
			/* Still open elsewhere: it was not the last close. */
			forget_closer(h);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(left * 1000);
		until.tv_sec += until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&fs.released, &fs.lock, &until);
	}
	pthread_mutex_unlock(&fs.lock);
}

/* Open a context or a device file on behalf of the calling client. */
static int open_file(fuse_req_t req, const struct node *n, struct handle *h)
{
	struct client *c = client_of_thread(fuse_req_ctx(req)->pid);
	struct iemu_proc *proc;
	int rc;

	if (!c)
		return -ENOMEM;
	wait_for_releases(c);
	proc = client_proc(c);
	if (!proc)
		rc = -EACCES;
	else if (n->kind == NODE_IOMMU)
		rc = iemu_ctx_open(fs.emu, proc, &h->ctx);
	else
		rc = iemu_devfile_open(n->dev, proc, &h->devfile);
	if (rc) {
		client_put(c);
		return rc;
	}
	h->opener = c;
	if (n->kind == NODE_IOMMU)
		client_add_context(c, 1);
	track(h);
	return 0;
}


/* A hidden file (anonfs.h): the client's new anonymous file, or the
 * status of a process. */
static void open_hidden(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct client *c = client_of_thread(fuse_req_ctx(req)->pid);
	struct handle *h = calloc(1, sizeof(*h));
	int rc = c && h ? 0 : -ENOMEM;

	if (!rc) {
		/* As any request of the client's: after its closes took effect. */
		wait_for_releases(c);
		rc = anonfs_open(ino, client_pid(c), &h->anon, &h->text, &h->len);
	}
	if (rc) {
		if (c)
			client_put(c);
		free(h);
		fuse_reply_err(req, -rc);
		return;
	}
	atomic_init(&h->refs, 1);
	if (h->anon) {
		h->kind = NODE_ANON;
		h->name = iemu_anon_name(h->anon);
		h->opener = c;
		anonfs_opened(ino, h->anon);
		track(h);
		fi->nonseekable = 1;
	} else {
		h->kind = NODE_TEXT;
		h->name = "status";
		client_put(c);
	}
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

/* A status read shows the reader's own closes done, as its other requests
 * see them; a process that is no client yet has none to wait for. */
static void status_after_own_closes(pid_t tid)
{
	struct client *c = client_known(tid);

	if (c) {
		wait_for_releases(c);
		client_put(c);
	}
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct node *n = tree_node(ino);
	struct handle *h = calloc(1, sizeof(*h));
	double start = trace_now_us();
	int rc = 0;

	if (anonfs_owns(ino)) {
		free(h);
		open_hidden(req, ino, fi);
		return;
	}
	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	atomic_init(&h->refs, 1);
	h->kind = n->kind;
	h->name = n->name;
	if (is_file_of_client(n->kind)) {
		rc = open_file(req, n, h);
		if (trace_on()) {
			/* The client's capabilities and limit drive the checks. */
			struct jbuf args = { 0 };

			capture_client(&args, fuse_req_ctx(req)->pid);
			trace_simple(req, h, "open", rc, start, &args, NULL);
			jb_free(&args);
		}
	} else if (n->kind == NODE_STATUS) {
		status_after_own_closes(fuse_req_ctx(req)->pid);
		h->text = status_render(fs.emu, fs.mount, each_ctx, &h->len);
		rc = h->text ? 0 : -ENOMEM;
	} else if (n->kind == NODE_TEXT) {
		h->text = strdup(n->text);
		h->len = strlen(n->text);
		rc = h->text ? 0 : -ENOMEM;
	}
	if (rc) {
		free(h);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;
	fi->nonseekable = n->kind == NODE_IOMMU;
	fuse_reply_open(req, fi);
}

static void handle_put(struct handle *h)
{
	if (atomic_fetch_sub(&h->refs, 1) != 1)
		return;
	free(h->text);
	free(h);
}

/* The regions a released iommufd still had mapped: as the kernel's VMAs
 * hold the file, the mappings end with it. */
static void unmap_all(struct handle *h)
{
	while (h->mappings) {
		struct mapping *m = h->mappings;

		h->mappings = m->next;
		iemu_ctx_munmap(h->ctx, m->offset, m->length);
		free(m);
	}
}

/* Close what a client file holds: device files first, as their binding
 * holds a context.  Clients waiting for the release wake up in
 * done_closing(), which the caller calls next. */
static void close_handle(struct handle *h)
{
	if (h->at_exit && report_on() && h->kind != NODE_ANON)
		report_left_behind(h);
	untrack(h);
	if (h->kind == NODE_IOMMU) {
		unmap_all(h);
		iemu_ctx_close(h->ctx);
		client_add_context(h->opener, -1);
	} else if (h->kind == NODE_ANON) {
		iemu_anon_set_notify(h->anon, NULL, NULL);
		anonfs_released(h->anon);
		iemu_anon_put(h->anon);
		if (h->ph)
			fuse_pollhandle_destroy(h->ph);
	} else {
		iemu_devfile_close(h->devfile);
	}
	client_put(h->opener);
}

static void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	double start = trace_now_us();

	(void)ino;
	if (is_file_of_client(h->kind)) {
		close_handle(h);
		/* Traced before the client's next request can go on, so that the
		 * trace has them in the order they took effect. */
		trace_simple(req, h, "release", 0, start, NULL, NULL);
		done_closing(h);
	}
	handle_put(h);
	fuse_reply_err(req, 0);
}

/* Under --trace, a write to a device may start its DMA: the memory it
 * will read goes into the trace first. */
static void snapshot_before_write(struct client *c)
{
	struct iemu_proc *proc = c ? client_proc(c) : NULL;

	if (proc)
		snapshot_take(proc, client_pid(c));
}

static void trace_rw(fuse_req_t req, struct handle *h, const void *buf, size_t size,
		     off_t off, bool write, ssize_t rc, double start)
{
	struct jbuf args = { 0 }, outs = { 0 };

	capture_region_io(&args, off, size);
	if (write)
		capture_data(&args, buf, size);
	else if (rc > 0)
		capture_data(&outs, buf, rc);
	trace_simple(req, h, write ? "write" : "read", rc, start, &args, &outs);
	jb_free(&args);
	jb_free(&outs);
}

/* Region I/O of a device file, with the result traced. */
static ssize_t device_rw(fuse_req_t req, struct handle *h, void *buf, size_t size,
			 off_t off, bool write)
{
	struct client *c = client_of_thread(fuse_req_ctx(req)->pid);
	bool traced = trace_on();
	double start;
	ssize_t rc;

	if (c)
		wait_for_releases(c);
	if (traced && write)
		snapshot_before_write(c);
	start = trace_now_us();
	if (c)
		client_put(c);
	rc = write ? iemu_devfile_write(h->devfile, buf, size, off) :
		     iemu_devfile_read(h->devfile, buf, size, off);
	if (traced)
		trace_rw(req, h, buf, size, off, write, rc, start);
	return rc;
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	ssize_t n;
	void *buf;

	(void)ino;
	if (h->kind == NODE_DEVICE || h->kind == NODE_ANON) {
		buf = malloc(size ? size : 1);
		if (!buf)
			n = -ENOMEM;
		else if (h->kind == NODE_ANON)
			n = iemu_anon_read(h->anon, buf, size, 0); /* a stream: no position */
		else
			n = device_rw(req, h, buf, size, off, false);
		if (n < 0)
			fuse_reply_err(req, (int)-n);
		else
			fuse_reply_buf(req, buf, n);
		free(buf);
		return;
	}
	/* The iommufd file has no read method: the kernel answers EINVAL. */
	if (!h->text) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((size_t)off >= h->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	atomic_fetch_add(&h->refs, 1);
	fuse_reply_buf(req, h->text + off,
		       size < h->len - (size_t)off ? size : h->len - (size_t)off);
	handle_put(h);
}

static void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	ssize_t n = -EINVAL;

	(void)ino;
	if (h->kind == NODE_DEVICE)
		n = device_rw(req, h, (void *)buf, size, off, true);
	else if (h->kind == NODE_ANON)
		n = iemu_anon_write(h->anon, buf, size, 0);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, n);
}

/* ---- poll ---- */

static void notify_poll(void *opaque)
{
	struct handle *h = opaque;

	pthread_mutex_lock(&fs.lock);
	if (h->ph)
		fuse_lowlevel_notify_poll(h->ph);
	pthread_mutex_unlock(&fs.lock);
}

static void fs_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct fuse_pollhandle *old = NULL;

	(void)ino;
	/* The files of the tree are always ready, as the kernel's without poll. */
	if (h->kind != NODE_ANON) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
		return;
	}
	if (ph) {
		pthread_mutex_lock(&fs.lock);
		old = h->ph;
		h->ph = ph;
		pthread_mutex_unlock(&fs.lock);
		if (old)
			fuse_pollhandle_destroy(old);
		iemu_anon_set_notify(h->anon, notify_poll, h);
	}
	fuse_reply_poll(req, iemu_anon_poll(h->anon));
}

/* ---- mmap of the iommufd, through the preload library ---- */

static long do_mmap(struct handle *h, struct iemu_proc *proc, const struct iemu_mmap_req *r)
{
	struct mapping *m = malloc(sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	rc = iemu_ctx_mmap(h->ctx, proc, r->offset, r->length, r->flags & IEMU_MMAP_SHARED,
			   r->flags & IEMU_MMAP_EXEC, r->addr);
	if (rc) {
		free(m);
		return rc;
	}
	*m = (struct mapping){ .offset = r->offset, .length = r->length };
	pthread_mutex_lock(&fs.lock);
	m->next = h->mappings;
	h->mappings = m;
	pthread_mutex_unlock(&fs.lock);
	return 0;
}

static long do_munmap(struct handle *h, const struct iemu_mmap_req *r)
{
	struct mapping **pp, *m;

	pthread_mutex_lock(&fs.lock);
	for (pp = &h->mappings; (m = *pp); pp = &m->next)
		if (m->offset == r->offset && m->length == r->length)
			break;
	if (m)
		*pp = m->next;
	pthread_mutex_unlock(&fs.lock);
	if (!m)
		return -EINVAL;
	iemu_ctx_munmap(h->ctx, m->offset, m->length);
	free(m);
	return 0;
}

/* The preload library's requests, not the kernel's: answered to the
 * client, never traced. */
static bool answer_read0(fuse_req_t req, struct handle *h, unsigned int cmd)
{
	ssize_t rc;

	if (h->kind != NODE_ANON || cmd != IEMU_IOCTL_READ0)
		return false;
	rc = iemu_anon_read(h->anon, NULL, 0, 0);
	if (rc < 0)
		fuse_reply_err(req, (int)-rc);
	else
		fuse_reply_ioctl(req, (int)rc, NULL, 0);
	return true;
}

static bool answer_mapping(fuse_req_t req, struct handle *h, unsigned int cmd, void *arg)
{
	struct iemu_mmap_req r;
	struct iemu_proc *proc;
	struct client *c;
	long rc;

	if (h->kind != NODE_IOMMU || (cmd != IEMU_IOCTL_MMAP && cmd != IEMU_IOCTL_MUNMAP))
		return false;
	c = client_of_thread(fuse_req_ctx(req)->pid);
	proc = c ? client_proc(c) : NULL;
	if (!proc)
		rc = -EFAULT;
	else if (iemu_proc_read(proc, (uintptr_t)arg, &r, sizeof(r)))
		rc = -EFAULT;
	else
		rc = cmd == IEMU_IOCTL_MMAP ? do_mmap(h, proc, &r) : do_munmap(h, &r);
	if (c)
		client_put(c);
	if (rc)
		fuse_reply_err(req, (int)-rc);
	else
		fuse_reply_ioctl(req, 0, NULL, 0);
	return true;
}

/* ---- which context an iommufd number of a client is ---- */

/* What BIND's fd resolved to, for the trace: the resolver runs inside the
 * ioctl, on the thread that serves it. */
static __thread struct bind_seen bind_seen;

/* The server's own question: the serial of the open iommu file. */
static bool answer_which_file(fuse_req_t req, struct handle *h, unsigned int cmd)
{
	uint64_t serial = h->serial;

	if (cmd != IEMU_IOCTL_WHICH_FILE || h->kind != NODE_IOMMU ||
	    !own_thread(fuse_req_ctx(req)->pid))
		return false;
	fuse_reply_ioctl(req, 0, &serial, sizeof(serial));
	return true;
}

static int ctx_of_serial(uint64_t serial, struct iemu_ctx **out)
{
	int rc = -EBADFD;

	pthread_mutex_lock(&fs.lock);
	for (struct handle *h = fs.open; h; h = h->next) {
		if (h->serial == serial && h->kind == NODE_IOMMU) {
			*out = iemu_ctx_get(h->ctx);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&fs.lock);
	return rc;
}

/* VFIO_DEVICE_BIND_IOMMUFD's fd: take a copy of the client's fd, check it
 * is our iommu file, and ask that file which one it is.  Our copy keeps
 * the file open meanwhile, so its context cannot go. */
static int resolve_fd(void *opaque, struct iemu_proc *caller, int fd, struct iemu_ctx **out)
{
	int ours = iemu_proc_dup_fd(caller, fd);
	uint64_t serial;
	struct stat st;
	int rc = -EBADFD;

	(void)opaque;
	if (ours < 0) {
		bind_seen = (struct bind_seen){ true, -EBADF, 0 };
		return -EBADF;
	}
	/* Learnt once serving: a stat of the mount needs a worker to answer. */
	if (!fs.st_dev && !stat(fs.mount, &st))
		fs.st_dev = st.st_dev;
	if (!fstat(ours, &st) && st.st_dev == fs.st_dev &&
	    st.st_ino == tree_lookup(1, "iommu") && !ioctl(ours, IEMU_IOCTL_WHICH_FILE, &serial))
		rc = ctx_of_serial(serial, out);
	close(ours);
	bind_seen = (struct bind_seen){ true, rc, rc ? 0 : (unsigned int)serial };
	return rc;
}

/* ---- ioctl ---- */

static long run_ioctl(struct handle *h, struct iemu_proc *proc, unsigned int cmd, uint64_t arg)
{
	if (h->kind == NODE_IOMMU)
		return iemu_ctx_ioctl(h->ctx, proc, cmd, arg);
	return iemu_devfile_ioctl(h->devfile, proc, cmd, arg);
}

/* Under --trace: the argument as the client passed it and as the ioctl
 * left it, read from the client around the call (see capture.h). */
static long traced_ioctl(struct handle *h, struct iemu_proc *proc, unsigned int cmd,
			 uint64_t arg, struct trace_req *r, struct capture *cap)
{
	long rc;

	capture_begin(cap, proc, r->kind, cmd, arg);
	bind_seen.seen = false;
	rc = run_ioctl(h, proc, cmd, arg);
	capture_end(cap, rc, &bind_seen, r->pid);
	r->args = jb_text(&cap->args);
	r->outs = jb_text(&cap->outs);
	return rc;
}

static void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned int flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	struct trace_req r = {
		.pid = fc->pid, .tid = fc->pid, .file = h->name, .serial = h->serial,
		.op = "ioctl", .kind = h->kind == NODE_DEVICE ? IEMU_FILE_DEVICE : IEMU_FILE_IOMMU,
		.cmd = cmd, .arg = (unsigned long)arg, .start_us = trace_now_us(),
	};
	struct capture *cap = NULL;
	struct iemu_proc *proc;
	struct client *c;

	(void)ino;
	(void)in_buf;
	(void)in_bufsz;
	(void)out_bufsz;
	if (answer_which_file(req, h, cmd) || answer_mapping(req, h, cmd, arg) ||
	    answer_read0(req, h, cmd))
		return;
	/* No 32-bit compat_ioctl here, and other files have no ioctl. */
	if (h->kind == NODE_ANON || !is_file_of_client(h->kind) || (flags & FUSE_IOCTL_COMPAT)) {
		r.result = -ENOTTY;
	} else if (!(c = client_of_thread(fc->pid))) {
		r.result = -ENOMEM;
	} else {
		r.pid = client_pid(c);
		wait_for_releases(c);
		r.start_us = trace_now_us();
		proc = client_proc(c);
		if (proc && trace_on())
			cap = malloc(sizeof(*cap));
		if (!proc)
			r.result = -EFAULT;
		else if (cap)
			r.result = traced_ioctl(h, proc, cmd, (uintptr_t)arg, &r, cap);
		else
			r.result = run_ioctl(h, proc, cmd, (uintptr_t)arg);
		client_put(c);
	}
	if (trace_on())
		trace_request(&r);
	if (cap) {
		capture_free(cap);
		free(cap);
	}
	if (r.result < 0)
		fuse_reply_err(req, (int)-r.result);
	else
		fuse_reply_ioctl(req, (int)r.result, NULL, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = fs_lookup,
	.getattr = fs_getattr,
	.readlink = fs_readlink,
	.readdir = fs_readdir,
	.open = fs_open,
	.flush = fs_flush,
	.release = fs_release,
	.read = fs_read,
	.write = fs_write,
	.ioctl = fs_ioctl,
	.poll = fs_poll,
};

/* ---- session ---- */

static int explain_mount_failure(const char *mountpoint)
{
	struct stat st;

	if (access("/dev/fuse", F_OK)) {
		fprintf(stderr, "iommufd-emu: /dev/fuse is missing: load the fuse module "
				"(modprobe fuse) or give the container the /dev/fuse device\n");
		return -ENODEV;
	}
	if (access("/dev/fuse", R_OK | W_OK) && geteuid() != 0 &&
	    access("/usr/bin/fusermount3", X_OK)) {
		fprintf(stderr, "iommufd-emu: /dev/fuse is not accessible and fusermount3 is "
				"missing: install fuse3 (it provides the setuid fusermount3)\n");
		return -EACCES;
	}
	if (stat(mountpoint, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "iommufd-emu: cannot mount on %s: not a directory\n", mountpoint);
		return -ENOTDIR;
	}
	fprintf(stderr, "iommufd-emu: mounting on %s was refused: the directory must be "
			"yours and empty, and fusermount3 (package fuse3) must be installed "
			"setuid root\n", mountpoint);
	return -EPERM;
}

int fs_mount(struct iemu *emu, const struct fs_options *o)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char opts[128];
	int rc;

	fs.emu = emu;
	fs.signals = o->signals;
	fs.mount = realpath(o->mountpoint, NULL);
	if (!fs.mount)
		return explain_mount_failure(o->mountpoint);
	rc = tree_build(emu);
	if (rc)
		return rc;
	iemu_set_fd_resolver(emu, resolve_fd, NULL);
	anonfs_init(emu, fs.mount, tree_size() + 1);
	snprintf(opts, sizeof(opts), "default_permissions,fsname=iommufd-emu,subtype=iommufd-emu%s",
		 o->allow_other ? ",allow_other" : "");
	if (fuse_opt_add_arg(&args, "iommufd-emu") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, opts))
		return -ENOMEM;
	fs.se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	fuse_opt_free_args(&args);
	if (!fs.se)
		return -ENOMEM;
	if (fs.signals && fuse_set_signal_handlers(fs.se)) {
		fuse_session_destroy(fs.se);
		return -EIO;
	}
	if (fuse_session_mount(fs.se, fs.mount)) {
		rc = explain_mount_failure(fs.mount);
		if (fs.signals)
			fuse_remove_signal_handlers(fs.se);
		fuse_session_destroy(fs.se);
		fs.se = NULL;
		return rc;
	}
	return 0;
}

int fs_run(void)
{
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	int rc;

	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, 1);
	fuse_loop_cfg_set_idle_threads(cfg, 8);
	fuse_loop_cfg_set_max_threads(cfg, 64);
	rc = fuse_session_loop_mt(fs.se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc < 0 ? rc : 0;
}

void fs_stop(void)
{
	fuse_session_exit(fs.se);
	/* Wake the workers blocked reading /dev/fuse. */
	fuse_session_unmount(fs.se);
}

/* Close the files clients still hold: device files first. */
static void close_all(enum node_kind kind)
{
	struct handle *h, *next;

	for (h = fs.open; h; h = next) {
		next = h->next;
		if (h->kind == kind) {
			close_handle(h);
			done_closing(h);
			handle_put(h);
		}
	}
}

void fs_unmount(void)
{
	if (!fs.se)
		return;
	fuse_session_unmount(fs.se);
	if (fs.signals)
		fuse_remove_signal_handlers(fs.se);
	fuse_session_destroy(fs.se);
	fs.se = NULL;
	close_all(NODE_ANON);
	close_all(NODE_DEVICE);
	close_all(NODE_IOMMU);
	anonfs_fini();
	iemu_set_fd_resolver(fs.emu, NULL, NULL);
	tree_free();
	free(fs.mount);
}
