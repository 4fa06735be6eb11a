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
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clients.h"
#include "iommufd_emu.h"
#include "status.h"
#include "trace.h"

/* /dev/iommu is a misc device (major 10) with a dynamic minor. */
#define IOMMU_DEV "10:123"
#define TIMEOUT 86400.0

enum node_kind {
	NODE_DIR,
	NODE_IOMMU,
	NODE_STATUS,
	NODE_TEXT,
};

struct node {
	const char *name;
	fuse_ino_t parent;
	enum node_kind kind;
	mode_t mode;
	const char *text;
};

/* An open file.  A reply in flight holds a reference: the client can close
 * (and the release arrive on another thread) as soon as the kernel has the
 * reply, before the replying thread is done with the buffer. */
struct handle {
	atomic_int refs;
	enum node_kind kind;
	struct iemu_ctx *ctx;
	struct client *opener;
	unsigned int serial;
	char *text;
	size_t len;
	struct handle *prev, *next;
};

static struct {
	struct iemu *emu;
	char *mount;
	struct node *nodes;
	size_t nnodes;
	struct fuse_session *se;
	bool signals;
	pthread_mutex_t lock; /* open contexts */
	struct handle *open;
	unsigned int serial;
} fs = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- the tree ---- */

static fuse_ino_t add_node(fuse_ino_t parent, const char *name,
			   enum node_kind kind, mode_t mode, const char *text)
{
	struct node *bigger = realloc(fs.nodes, (fs.nnodes + 1) * sizeof(*bigger));

	if (!bigger)
		return 0;
	fs.nodes = bigger;
	fs.nodes[fs.nnodes] = (struct node){ name, parent, kind, mode, text };
	return ++fs.nnodes;
}

static int build_tree(void)
{
	fuse_ino_t root = add_node(0, "", NODE_DIR, 0755, NULL);
	fuse_ino_t vfio, sys, class, misc, iommu;

	add_node(root, "iommu", NODE_IOMMU, 0666, NULL);
	add_node(root, "status", NODE_STATUS, 0444, NULL);
	vfio = add_node(root, "vfio", NODE_DIR, 0755, NULL);
	add_node(vfio, "devices", NODE_DIR, 0755, NULL);
	sys = add_node(root, "sys", NODE_DIR, 0755, NULL);
	class = add_node(sys, "class", NODE_DIR, 0755, NULL);
	misc = add_node(class, "misc", NODE_DIR, 0755, NULL);
	iommu = add_node(misc, "iommu", NODE_DIR, 0755, NULL);
	return add_node(iommu, "dev", NODE_TEXT, 0444, IOMMU_DEV "\n") ? 0 : -ENOMEM;
}

static const struct node *node_of(fuse_ino_t ino)
{
	return ino >= 1 && ino <= fs.nnodes ? &fs.nodes[ino - 1] : NULL;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	const struct node *n = node_of(ino);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = geteuid();
	st->st_gid = getegid();
	if (n->kind == NODE_DIR) {
		st->st_mode = S_IFDIR | n->mode;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | n->mode;
		st->st_nlink = 1;
		st->st_size = n->text ? (off_t)strlen(n->text) : 0;
	}
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .attr_timeout = TIMEOUT, .entry_timeout = TIMEOUT };

	for (size_t i = 0; i < fs.nnodes; i++) {
		if (fs.nodes[i].parent == parent && !strcmp(fs.nodes[i].name, name)) {
			e.ino = i + 1;
			fill_attr(e.ino, &e.attr);
			fuse_reply_entry(req, &e);
			return;
		}
	}
	fuse_reply_err(req, ENOENT);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (!node_of(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, TIMEOUT);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	char *buf = calloc(1, size);
	size_t used = 0;
	off_t pos = 0;
	struct stat st;

	(void)fi;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = 0; i < fs.nnodes + 2; i++) {
		fuse_ino_t child = i < 2 ? ino : 0;
		const char *name = i == 0 ? "." : "..";
		size_t need;

		if (i >= 2) {
			if (fs.nodes[i - 2].parent != ino)
				continue;
			child = i - 1;
			name = fs.nodes[i - 2].name;
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

static void untrack(struct handle *h)
{
	pthread_mutex_lock(&fs.lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		fs.open = h->next;
	if (h->next)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&fs.lock);
}

static void each_ctx(void (*fn)(void *arg, const struct status_ctx *c), void *arg)
{
	pthread_mutex_lock(&fs.lock);
	for (struct handle *h = fs.open; h; h = h->next) {
		struct status_ctx c = {
			h->serial, client_pid(h->opener), h->ctx,
		};

		fn(arg, &c);
	}
	pthread_mutex_unlock(&fs.lock);
}

static void trace_simple(fuse_req_t req, const char *file, const char *op,
			 long result, double start)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	struct trace_req r = {
		.pid = c->pid, .tid = c->pid, .file = file, .op = op,
		.result = result, .start_us = start,
	};

	trace_request(&r);
}

static int open_iommu(fuse_req_t req, struct handle *h)
{
	struct client *c = client_of_thread(fuse_req_ctx(req)->pid);
	int rc;

	if (!c)
		return -ENOMEM;
	rc = iemu_ctx_open(fs.emu, client_proc(c), &h->ctx);
	if (rc) {
		client_put(c);
		return rc;
	}
	h->opener = c;
	client_add_context(c, 1);
	track(h);
	return 0;
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct node *n = node_of(ino);
	struct handle *h = calloc(1, sizeof(*h));
	double start = trace_now_us();
	int rc = 0;

	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	atomic_init(&h->refs, 1);
	h->kind = n->kind;
	if (n->kind == NODE_IOMMU) {
		rc = open_iommu(req, h);
	} else if (n->kind == NODE_STATUS) {
		h->text = status_render(fs.emu, fs.mount, each_ctx, &h->len);
		rc = h->text ? 0 : -ENOMEM;
	} else if (n->kind == NODE_TEXT) {
		h->text = strdup(n->text);
		h->len = strlen(n->text);
		rc = h->text ? 0 : -ENOMEM;
	}
	if (n->kind == NODE_IOMMU)
		trace_simple(req, n->name, "open", rc, start);
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

static void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	double start = trace_now_us();

	if (h->kind == NODE_IOMMU) {
		untrack(h);
		iemu_ctx_close(h->ctx);
		client_add_context(h->opener, -1);
		trace_simple(req, node_of(ino)->name, "release", 0, start);
		client_put(h->opener);
	}
	handle_put(h);
	fuse_reply_err(req, 0);
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)ino;
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
	(void)ino;
	(void)buf;
	(void)size;
	(void)off;
	(void)fi;
	fuse_reply_err(req, EINVAL);
}

static void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned int flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	struct trace_req r = {
		.pid = fc->pid, .tid = fc->pid, .file = node_of(ino)->name,
		.op = "ioctl", .kind = IEMU_FILE_IOMMU, .cmd = cmd,
		.arg = (unsigned long)arg, .start_us = trace_now_us(),
	};
	struct iemu_proc *proc;
	struct client *c;

	(void)in_buf;
	(void)in_bufsz;
	(void)out_bufsz;
	/* iommufd has no 32-bit compat_ioctl, and other files no ioctl. */
	if (h->kind != NODE_IOMMU || (flags & FUSE_IOCTL_COMPAT)) {
		r.result = -ENOTTY;
	} else if (!(c = client_of_thread(fc->pid))) {
		r.result = -ENOMEM;
	} else {
		r.pid = client_pid(c);
		proc = client_proc(c);
		r.result = proc ? iemu_ctx_ioctl(h->ctx, proc, cmd, (uintptr_t)arg) :
				  -EFAULT;
		client_put(c);
	}
	if (trace_on())
		trace_request(&r);
	if (r.result < 0)
		fuse_reply_err(req, (int)-r.result);
	else
		fuse_reply_ioctl(req, (int)r.result, NULL, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = fs_lookup,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.release = fs_release,
	.read = fs_read,
	.write = fs_write,
	.ioctl = fs_ioctl,
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
	rc = build_tree();
	if (rc)
		return rc;
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

void fs_unmount(void)
{
	struct handle *h;

	if (!fs.se)
		return;
	fuse_session_unmount(fs.se);
	if (fs.signals)
		fuse_remove_signal_handlers(fs.se);
	fuse_session_destroy(fs.se);
	fs.se = NULL;
	while ((h = fs.open)) {
		untrack(h);
		iemu_ctx_close(h->ctx);
		client_put(h->opener);
		handle_put(h);
	}
	free(fs.nodes);
	free(fs.mount);
}
