// SPDX-License-Identifier: MIT
/*
 * The mount's hidden files: tokens for anonymous files, and the emulated
 * /proc/<pid>/status (see anonfs.h).
 */
#include "anonfs.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommufd_emu.h"

#define TOKEN_INO (1ULL << 32)
#define PROC_DIR_INO (2ULL << 32)
#define STATUS_INO (3ULL << 32)
#define KIND(ino) ((ino) >> 32)

struct pending {
	int token;
	pid_t pid;
	struct iemu_anon *f;
	struct pending *next;
};

struct opened {
	uint64_t ino;
	struct iemu_anon *f;
	struct opened *next;
};

static struct {
	struct iemu *emu;
	uint64_t fd_dir, proc_dir;
	pthread_mutex_t lock;
	struct pending *pending;
	struct opened *opened;
	unsigned int next;
} a = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- tokens ---- */

static int install(void *opaque, struct iemu_proc *caller, struct iemu_anon *f)
{
	struct pending *p = malloc(sizeof(*p));

	(void)opaque;
	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&a.lock);
	p->token = IEMU_ANON_FD_BASE + (int)(a.next++ % (INT32_MAX - IEMU_ANON_FD_BASE));
	p->pid = iemu_proc_pid(caller);
	p->f = iemu_anon_get(f);
	p->next = a.pending;
	a.pending = p;
	pthread_mutex_unlock(&a.lock);
	return p->token;
}

/* Take the pending token out (pid 0: whoever's). */
static struct iemu_anon *take(int token, pid_t pid)
{
	struct pending **pp, *p;
	struct iemu_anon *f = NULL;

	pthread_mutex_lock(&a.lock);
	for (pp = &a.pending; (p = *pp); pp = &p->next) {
		if (p->token == token && (!pid || p->pid == pid)) {
			*pp = p->next;
			f = p->f;
			free(p);
			break;
		}
	}
	pthread_mutex_unlock(&a.lock);
	return f;
}

static void withdraw(void *opaque, struct iemu_proc *caller, int fd)
{
	(void)opaque;
	iemu_anon_put(take(fd, iemu_proc_pid(caller)));
}

static int resolve(void *opaque, struct iemu_proc *caller, int fd, struct iemu_anon **out);

static const struct iemu_anon_handlers handlers = {
	.install = install,
	.withdraw = withdraw,
	.resolve = resolve,
};

static dev_t mount_dev;
static const char *mount_path;

void anonfs_init(struct iemu *emu, const char *mount, uint64_t dirs_ino)
{
	a.emu = emu;
	mount_path = mount;
	a.fd_dir = dirs_ino;
	a.proc_dir = dirs_ino + 1;
	iemu_set_anon_handlers(emu, &handlers, NULL);
}

void anonfs_fini(void)
{
	struct pending *p;

	iemu_set_anon_handlers(a.emu, NULL, NULL);
	while ((p = a.pending)) {
		a.pending = p->next;
		iemu_anon_put(p->f);
		free(p);
	}
}

/* ---- the nodes ---- */

bool anonfs_owns(uint64_t ino)
{
	return ino == a.fd_dir || ino == a.proc_dir || (KIND(ino) >= 1 && KIND(ino) <= 3);
}

static bool pending(int token)
{
	bool found = false;

	pthread_mutex_lock(&a.lock);
	for (struct pending *p = a.pending; p && !found; p = p->next)
		found = p->token == token;
	pthread_mutex_unlock(&a.lock);
	return found;
}

int anonfs_getattr(uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = geteuid();
	st->st_gid = getegid();
	st->st_nlink = 1;
	if (ino == a.fd_dir || ino == a.proc_dir || KIND(ino) == 2) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (KIND(ino) == 1) {
		/* As the kernel's anonymous inodes. */
		st->st_mode = S_IFREG | 0600;
	} else if (KIND(ino) == 3) {
		st->st_mode = S_IFREG | 0444;
	} else {
		return -ENOENT;
	}
	return 0;
}

static bool parse_number(const char *name, long long lo, long long hi, long long *out)
{
	char *end;

	*out = strtoll(name, &end, 10);
	return *name && !*end && *out >= lo && *out <= hi;
}

int anonfs_lookup(uint64_t parent, const char *name, uint64_t *ino, struct stat *st)
{
	long long n;

	if (parent == 1 && !strcmp(name, ".fd"))
		*ino = a.fd_dir;
	else if (parent == 1 && !strcmp(name, ".proc"))
		*ino = a.proc_dir;
	else if (parent == a.fd_dir && parse_number(name, IEMU_ANON_FD_BASE, INT32_MAX, &n) &&
		 pending((int)n))
		*ino = TOKEN_INO + (uint64_t)n;
	else if (parent == a.proc_dir && parse_number(name, 1, INT32_MAX, &n))
		*ino = PROC_DIR_INO + (uint64_t)n;
	else if (KIND(parent) == 2 && !strcmp(name, "status"))
		*ino = STATUS_INO + (parent & 0xffffffff);
	else
		return -ENOENT;
	return anonfs_getattr(*ino, st);
}

/* ---- /proc/<pid>/status ---- */

static char *read_text(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	FILE *f = fopen(path, "re");
	size_t got;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The line "Tag:\t N kB" with the emulator's pages added. */
static void add_kb(char *line, size_t cap, const char *tag, uint64_t pages)
{
	unsigned long long kb;

	if (strncmp(line, tag, strlen(tag)) ||
	    sscanf(line + strlen(tag), " %llu kB", &kb) != 1)
		return;
	snprintf(line, cap, "%s\t%8llu kB\n", tag, kb + pages * 4);
}

static char *render_status(pid_t pid, size_t *len)
{
	struct iemu_proc_stats st;
	char path[64], *in, *out, *line, *save = NULL;
	size_t n, used = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	in = read_text(path, &n);
	if (!in)
		return NULL;
	iemu_pid_stats(a.emu, pid, &st);
	out = malloc(n + 256);
	for (line = out ? strtok_r(in, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char buf[256];

		snprintf(buf, sizeof(buf), "%s\n", line);
		add_kb(buf, sizeof(buf), "VmLck:", st.locked_vm);
		add_kb(buf, sizeof(buf), "VmPin:", st.pinned_vm);
		if (used + strlen(buf) >= n + 256)
			break;
		memcpy(out + used, buf, strlen(buf));
		used += strlen(buf);
	}
	free(in);
	if (out)
		out[used] = '\0';
	*len = used;
	return out;
}

int anonfs_open(uint64_t ino, pid_t pid, struct iemu_anon **f, char **text, size_t *len)
{
	*f = NULL;
	*text = NULL;
	if (KIND(ino) == 1) {
		*f = take((int)(ino - TOKEN_INO), pid);
		return *f ? 0 : -ENOENT;
	}
	if (KIND(ino) == 3) {
		*text = render_status((pid_t)(ino - STATUS_INO), len);
		return *text ? 0 : -ENOENT;
	}
	return -EISDIR;
}

/* ---- which anonymous file a client's fd is ---- */

void anonfs_opened(uint64_t ino, struct iemu_anon *f)
{
	struct opened *o = malloc(sizeof(*o));

	if (!o)
		return; /* only resolving it by fd fails */
	*o = (struct opened){ .ino = ino, .f = f };
	pthread_mutex_lock(&a.lock);
	o->next = a.opened;
	a.opened = o;
	pthread_mutex_unlock(&a.lock);
}

void anonfs_released(struct iemu_anon *f)
{
	struct opened **pp, *o;

	pthread_mutex_lock(&a.lock);
	for (pp = &a.opened; (o = *pp); pp = &o->next) {
		if (o->f == f) {
			*pp = o->next;
			free(o);
			break;
		}
	}
	pthread_mutex_unlock(&a.lock);
}

int anonfs_file_of(int fd, struct iemu_anon **out)
{
	struct stat st;
	int rc = -EBADFD;

	/* Learnt once serving: a stat of the mount needs a worker to answer. */
	if (!mount_dev && !stat(mount_path, &st))
		mount_dev = st.st_dev;
	if (fstat(fd, &st) || st.st_dev != mount_dev || KIND((uint64_t)st.st_ino) != 1)
		return -EBADFD;
	pthread_mutex_lock(&a.lock);
	for (struct opened *o = a.opened; o; o = o->next) {
		if (o->ino == (uint64_t)st.st_ino) {
			*out = iemu_anon_get(o->f);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&a.lock);
	return rc;
}

static int resolve(void *opaque, struct iemu_proc *caller, int fd, struct iemu_anon **out)
{
	int ours = iemu_proc_dup_fd(caller, fd);
	int rc;

	(void)opaque;
	if (ours < 0)
		return -EBADF;
	rc = anonfs_file_of(ours, out);
	close(ours);
	return rc;
}
