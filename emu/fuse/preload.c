// SPDX-License-Identifier: MIT
/*
 * libiommufd-emu-preload.so: makes an unmodified program find the emulator
 * at the kernel's paths.  With IOMMUFD_EMU_MOUNT set to the server's mount:
 *
 *   /dev/iommu                     -> $MOUNT/iommu
 *   /dev/vfio/devices[/...]        -> $MOUNT/vfio/devices[/...]
 *   /sys/class/vfio-dev[/...]      -> $MOUNT/sys/class/vfio-dev[/...]
 *   /sys/class/misc/iommu[/...]    -> $MOUNT/sys/class/misc/iommu[/...]
 *   /sys/bus/pci/devices/BDF[/...] -> $MOUNT/sys/bus/pci/devices/BDF[/...]
 *                                     (emulated devices only)
 *   /proc/PID/status, /proc/self/status -> $MOUNT/.proc/PID/status
 *                                     (VmLck, VmPin with the emulator's pins)
 *
 * for open, fopen, the stat family, access, opendir, readlink and xattrs.  A stat of an
 * emulated node (by path or by fd) reports a character device whose
 * major:minor is the one its sysfs "dev" file gives, as clients such as
 * QEMU check.  At load it lets the server trace it (PR_SET_PTRACER), which
 * Yama's ptrace_scope=1 requires of a client that is not its descendant.
 * preload_fds.c adds the fds and mmaps of the iommufd.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_NODES 64

struct emulated {
	dev_t dev;
	ino_t ino;
	dev_t rdev;
};

static const char *mnt;
static struct emulated nodes[MAX_NODES];
static int nnodes;

/* The real functions, found once. */
#define REAL(ret, name, ...)                                              \
	static ret (*real_##name)(__VA_ARGS__);                           \
	static void find_##name(void)                                     \
	{                                                                 \
		if (!real_##name)                                         \
			real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
	}

REAL(int, open, const char *, int, ...)
REAL(int, open64, const char *, int, ...)
REAL(int, openat, int, const char *, int, ...)
REAL(int, openat64, int, const char *, int, ...)
REAL(int, __open_2, const char *, int)
REAL(int, __open64_2, const char *, int)
REAL(int, __openat_2, int, const char *, int)
REAL(int, __openat64_2, int, const char *, int)
REAL(FILE *, fopen, const char *, const char *)
REAL(FILE *, fopen64, const char *, const char *)
REAL(int, stat, const char *, struct stat *)
REAL(int, lstat, const char *, struct stat *)
REAL(int, fstat, int, struct stat *)
REAL(int, fstatat, int, const char *, struct stat *, int)
REAL(int, stat64, const char *, struct stat64 *)
REAL(int, lstat64, const char *, struct stat64 *)
REAL(int, fstat64, int, struct stat64 *)
REAL(int, fstatat64, int, const char *, struct stat64 *, int)
REAL(int, __xstat, int, const char *, struct stat *)
REAL(int, __lxstat, int, const char *, struct stat *)
REAL(int, __fxstat, int, int, struct stat *)
REAL(int, __fxstatat, int, int, const char *, struct stat *, int)
REAL(int, __xstat64, int, const char *, struct stat64 *)
REAL(int, __lxstat64, int, const char *, struct stat64 *)
REAL(int, __fxstat64, int, int, struct stat64 *)
REAL(int, __fxstatat64, int, int, const char *, struct stat64 *, int)
REAL(int, statx, int, const char *, int, unsigned int, struct statx *)
REAL(int, access, const char *, int)
REAL(int, faccessat, int, const char *, int, int)
REAL(int, euidaccess, const char *, int)
REAL(DIR *, opendir, const char *)
REAL(ssize_t, readlink, const char *, char *, size_t)
REAL(ssize_t, getxattr, const char *, const char *, void *, size_t)
REAL(ssize_t, lgetxattr, const char *, const char *, void *, size_t)
REAL(ssize_t, listxattr, const char *, char *, size_t)
REAL(ssize_t, llistxattr, const char *, char *, size_t)

/* ---- which paths are emulated ---- */

static bool prefix(const char *path, const char *p, const char **rest)
{
	size_t n = strlen(p);

	if (strncmp(path, p, n) || (path[n] && path[n] != '/'))
		return false;
	*rest = path + n;
	return true;
}

/* An emulated PCI function under /sys/bus/pci/devices/: its BDF is a
 * directory of the mount. */
static bool emulated_bdf(const char *path, char *out, size_t len)
{
	const char *bdf = path + strlen("/sys/bus/pci/devices/");
	size_t n = strcspn(bdf, "/");
	struct stat st;

	if (!n || n > 32)
		return false;
	snprintf(out, len, "%s/sys/bus/pci/devices/%.*s", mnt, (int)n, bdf);
	find_stat();
	if (real_stat(out, &st))
		return false;
	snprintf(out, len, "%s/sys/bus/pci/devices/%s", mnt, bdf);
	return true;
}

/* /proc/<pid>/status (or /proc/self/status): the mount's copy, whose VmLck
 * and VmPin count what the emulator pins, as the kernel's would. */
static bool proc_status(const char *path, char *buf, size_t len)
{
	const char *p = path + strlen("/proc/");
	char *end;
	long pid;

	if (!strncmp(p, "self/status", 12)) {
		pid = getpid();
	} else {
		pid = strtol(p, &end, 10);
		if (end == p || pid <= 0 || strcmp(end, "/status"))
			return false;
	}
	snprintf(buf, len, "%s/.proc/%ld/status", mnt, pid);
	return true;
}

/* Where path really is: its place in the mount, or path itself. */
static const char *map(const char *path, char *buf, size_t len)
{
	static const char *const trees[][2] = {
		{ "/dev/iommu", "/iommu" },
		{ "/dev/vfio/devices", "/vfio/devices" },
		{ "/sys/class/vfio-dev", "/sys/class/vfio-dev" },
		{ "/sys/class/misc/iommu", "/sys/class/misc/iommu" },
	};
	const char *rest;

	if (!mnt || !path || path[0] != '/')
		return path;
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		if (prefix(path, trees[i][0], &rest)) {
			snprintf(buf, len, "%s%s%s", mnt, trees[i][1], rest);
			return buf;
		}
	}
	if (!strncmp(path, "/sys/bus/pci/devices/", 21) && emulated_bdf(path, buf, len))
		return buf;
	if (!strncmp(path, "/proc/", 6) && proc_status(path, buf, len))
		return buf;
	return path;
}

#define MAPPED(path) map(path, (char[PATH_MAX]){ 0 }, PATH_MAX)

/* ---- emulated nodes look like character devices ---- */

static bool read_devno(const char *sysfs_dev, dev_t *rdev)
{
	unsigned int major, minor;
	FILE *f;
	bool ok;

	find_fopen();
	f = real_fopen(sysfs_dev, "re");
	if (!f)
		return false;
	ok = fscanf(f, "%u:%u", &major, &minor) == 2;
	fclose(f);
	*rdev = makedev(major, minor);
	return ok;
}

static void learn(const char *file, const char *sysfs_dev)
{
	struct stat st;

	find_stat();
	if (nnodes == MAX_NODES || real_stat(file, &st) ||
	    !read_devno(sysfs_dev, &nodes[nnodes].rdev))
		return;
	nodes[nnodes].dev = st.st_dev;
	nodes[nnodes].ino = st.st_ino;
	nnodes++;
}

static void learn_nodes(void)
{
	char file[PATH_MAX], dev[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	snprintf(file, sizeof(file), "%s/iommu", mnt);
	snprintf(dev, sizeof(dev), "%s/sys/class/misc/iommu/dev", mnt);
	learn(file, dev);
	snprintf(file, sizeof(file), "%s/vfio/devices", mnt);
	find_opendir();
	dir = real_opendir(file);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/vfio/devices/%s", mnt, e->d_name);
		snprintf(dev, sizeof(dev), "%s/sys/class/vfio-dev/%s/dev", mnt, e->d_name);
		learn(file, dev);
	}
	if (dir)
		closedir(dir);
}

static const struct emulated *emulated_node(dev_t dev, ino_t ino)
{
	for (int i = 0; i < nnodes; i++)
		if (nodes[i].dev == dev && nodes[i].ino == ino)
			return &nodes[i];
	return NULL;
}

#define AS_CHAR_DEVICE(st)                                                 \
	do {                                                               \
		const struct emulated *n = emulated_node((st)->st_dev, (st)->st_ino); \
		if (n) {                                                   \
			(st)->st_mode = S_IFCHR | ((st)->st_mode & 07777); \
			(st)->st_rdev = n->rdev;                           \
			(st)->st_size = 0;                                 \
		}                                                          \
	} while (0)

static int fixed(int rc, struct stat *st)
{
	if (!rc)
		AS_CHAR_DEVICE(st);
	return rc;
}

static int fixed64(int rc, struct stat64 *st)
{
	if (!rc)
		AS_CHAR_DEVICE(st);
	return rc;
}

/* The server's pid from the first line of its status view. */
static pid_t server_pid(void)
{
	const char *env = getenv("IOMMUFD_EMU_SERVER_PID");
	char path[PATH_MAX];
	int pid = 0;
	FILE *f;

	if (env)
		return atoi(env);
	snprintf(path, sizeof(path), "%s/status", mnt);
	find_fopen();
	f = real_fopen(path, "re");
	if (f) {
		if (fscanf(f, "server pid=%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

__attribute__((constructor)) static void preload_init(void)
{
	pid_t server;

	mnt = getenv("IOMMUFD_EMU_MOUNT");
	if (!mnt || !*mnt) {
		mnt = NULL;
		return;
	}
	server = server_pid();
	if (server > 0)
		prctl(PR_SET_PTRACER, server, 0, 0, 0);
	learn_nodes();
}

/* ---- the wrappers ---- */

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	find_open();
	return real_open(MAPPED(path), flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	find_open64();
	return real_open64(MAPPED(path), flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	find_openat();
	return real_openat(dirfd, MAPPED(path), flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	find_openat64();
	return real_openat64(dirfd, MAPPED(path), flags, mode);
}

EXPORT int __open_2(const char *path, int flags)
{
	find___open_2();
	return real___open_2(MAPPED(path), flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
	find___open64_2();
	return real___open64_2(MAPPED(path), flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	find___openat_2();
	return real___openat_2(dirfd, MAPPED(path), flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	find___openat64_2();
	return real___openat64_2(dirfd, MAPPED(path), flags);
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	find_fopen();
	return real_fopen(MAPPED(path), mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
	find_fopen64();
	return real_fopen64(MAPPED(path), mode);
}

EXPORT int stat(const char *path, struct stat *st)
{
	find_stat();
	return fixed(real_stat(MAPPED(path), st), st);
}

EXPORT int lstat(const char *path, struct stat *st)
{
	find_lstat();
	return fixed(real_lstat(MAPPED(path), st), st);
}

EXPORT int fstat(int fd, struct stat *st)
{
	find_fstat();
	return fixed(real_fstat(fd, st), st);
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	find_fstatat();
	return fixed(real_fstatat(dirfd, MAPPED(path), st, flags), st);
}

EXPORT int stat64(const char *path, struct stat64 *st)
{
	find_stat64();
	return fixed64(real_stat64(MAPPED(path), st), st);
}

EXPORT int lstat64(const char *path, struct stat64 *st)
{
	find_lstat64();
	return fixed64(real_lstat64(MAPPED(path), st), st);
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
	find_fstat64();
	return fixed64(real_fstat64(fd, st), st);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	find_fstatat64();
	return fixed64(real_fstatat64(dirfd, MAPPED(path), st, flags), st);
}

EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	find___xstat();
	return fixed(real___xstat(ver, MAPPED(path), st), st);
}

EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	find___lxstat();
	return fixed(real___lxstat(ver, MAPPED(path), st), st);
}

EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	find___fxstat();
	return fixed(real___fxstat(ver, fd, st), st);
}

EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	find___fxstatat();
	return fixed(real___fxstatat(ver, dirfd, MAPPED(path), st, flags), st);
}

EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	find___xstat64();
	return fixed64(real___xstat64(ver, MAPPED(path), st), st);
}

EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	find___lxstat64();
	return fixed64(real___lxstat64(ver, MAPPED(path), st), st);
}

EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	find___fxstat64();
	return fixed64(real___fxstat64(ver, fd, st), st);
}

EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st,
			int flags)
{
	find___fxstatat64();
	return fixed64(real___fxstatat64(ver, dirfd, MAPPED(path), st, flags), st);
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask,
		 struct statx *stx)
{
	const struct emulated *n;
	int rc;

	find_statx();
	rc = real_statx(dirfd, MAPPED(path), flags, mask, stx);
	if (rc)
		return rc;
	n = emulated_node(makedev(stx->stx_dev_major, stx->stx_dev_minor), stx->stx_ino);
	if (n) {
		stx->stx_mode = S_IFCHR | (stx->stx_mode & 07777);
		stx->stx_rdev_major = major(n->rdev);
		stx->stx_rdev_minor = minor(n->rdev);
		stx->stx_size = 0;
	}
	return 0;
}

EXPORT int access(const char *path, int mode)
{
	find_access();
	return real_access(MAPPED(path), mode);
}

EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	find_faccessat();
	return real_faccessat(dirfd, MAPPED(path), mode, flags);
}

EXPORT int euidaccess(const char *path, int mode)
{
	find_euidaccess();
	return real_euidaccess(MAPPED(path), mode);
}

EXPORT int eaccess(const char *path, int mode)
{
	return euidaccess(path, mode);
}

EXPORT DIR *opendir(const char *path)
{
	find_opendir();
	return real_opendir(MAPPED(path));
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	find_readlink();
	return real_readlink(MAPPED(path), buf, len);
}

EXPORT ssize_t getxattr(const char *path, const char *name, void *value, size_t len)
{
	find_getxattr();
	return real_getxattr(MAPPED(path), name, value, len);
}

EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value, size_t len)
{
	find_lgetxattr();
	return real_lgetxattr(MAPPED(path), name, value, len);
}

EXPORT ssize_t listxattr(const char *path, char *list, size_t len)
{
	find_listxattr();
	return real_listxattr(MAPPED(path), list, len);
}

EXPORT ssize_t llistxattr(const char *path, char *list, size_t len)
{
	find_llistxattr();
	return real_llistxattr(MAPPED(path), list, len);
}
