// SPDX-License-Identifier: MIT
/*
 * Reading a process's memory map.  PROCMAP_QUERY (Linux 6.11+) answers one
 * address in O(log n) inside the kernel; older kernels fall back to parsing
 * the maps text.  The region kind says what pin_user_pages would think of it:
 * VM_IO/VM_PFNMAP regions refuse pins, shared writable file mappings that
 * need dirty tracking refuse long-term write pins, shmem accepts them.
 */
#include "vma.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* PROCMAP_QUERY of <linux/fs.h> 6.11+, defined here for older headers. */
struct vma_procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#define VMA_PROCMAP_QUERY _IOWR('f', 17, struct vma_procmap_query)
#define VMA_Q_READ 0x01
#define VMA_Q_WRITE 0x02
#define VMA_Q_EXEC 0x04
#define VMA_Q_SHARED 0x08
#define VMA_Q_COVERING_OR_NEXT 0x10

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

int vma_open_maps(pid_t pid)
{
	char path[64];
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static enum iemu_vma_kind file_kind(const char *name)
{
	char path[4096];
	const char *deleted = strstr(name, " (deleted)");
	size_t len = deleted ? (size_t)(deleted - name) : strlen(name);
	struct statfs sfs;
	struct stat st;

	if (has_prefix(name, "/memfd:") || has_prefix(name, "/dev/zero") ||
	    has_prefix(name, "/SYSV") || has_prefix(name, "/anon_hugepage"))
		return IEMU_VMA_SHMEM;
	if (len >= sizeof(path) || name[0] != '/')
		return IEMU_VMA_FILE;
	memcpy(path, name, len);
	path[len] = '\0';
	if (stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		return IEMU_VMA_IO;
	if (statfs(path, &sfs) == 0 &&
	    (sfs.f_type == TMPFS_MAGIC || sfs.f_type == (typeof(sfs.f_type))HUGETLBFS_MAGIC ||
	     sfs.f_type == RAMFS_MAGIC))
		return IEMU_VMA_SHMEM;
	return IEMU_VMA_FILE;
}

static enum iemu_vma_kind classify(uint64_t inode, const char *name)
{
	if (!strcmp(name, "[vvar]") || !strcmp(name, "[vvar_vclock]") ||
	    !strcmp(name, "[vsyscall]"))
		return IEMU_VMA_IO;
	if (!inode)
		return IEMU_VMA_ANON;
	return file_kind(name);
}

static unsigned int flags_from_query(uint64_t f)
{
	return (f & VMA_Q_READ ? IEMU_VMA_READ : 0) |
	       (f & VMA_Q_WRITE ? IEMU_VMA_WRITE : 0) |
	       (f & VMA_Q_EXEC ? IEMU_VMA_EXEC : 0) |
	       (f & VMA_Q_SHARED ? IEMU_VMA_SHARED : 0);
}

static int query_ioctl(int fd, uint64_t addr, struct iemu_vma *out)
{
	char name[4096] = "";
	struct vma_procmap_query q = {
		.size = sizeof(q),
		.query_flags = VMA_Q_COVERING_OR_NEXT,
		.query_addr = addr,
		.vma_name_size = sizeof(name),
		.vma_name_addr = (uintptr_t)name,
	};

	if (ioctl(fd, VMA_PROCMAP_QUERY, &q))
		return -errno;
	out->start = q.vma_start;
	out->end = q.vma_end;
	out->flags = flags_from_query(q.vma_flags);
	out->kind = classify(q.inode, q.vma_name_size ? name : "");
	out->dev = makedev(q.dev_major, q.dev_minor);
	out->ino = q.inode;
	out->pgoff = q.vma_offset;
	return 0;
}

/* Parse one maps line: "start-end perms offset dev inode [name]". */
static bool parse_line(char *line, struct iemu_vma *out)
{
	uint64_t start, end, inode, pgoff;
	unsigned int major, minor;
	char perms[8];
	int name_at = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n",
		   &start, &end, perms, &pgoff, &major, &minor, &inode, &name_at) < 7)
		return false;
	out->start = start;
	out->end = end;
	out->dev = makedev(major, minor);
	out->ino = inode;
	out->pgoff = pgoff;
	out->flags = (perms[0] == 'r' ? IEMU_VMA_READ : 0) |
		     (perms[1] == 'w' ? IEMU_VMA_WRITE : 0) |
		     (perms[2] == 'x' ? IEMU_VMA_EXEC : 0) |
		     (perms[3] == 's' ? IEMU_VMA_SHARED : 0);
	line[strcspn(line, "\n")] = '\0';
	out->kind = classify(inode, name_at ? line + name_at : "");
	return true;
}

static char *read_all(int fd)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf) {
		n = pread(fd, buf + len, cap - len - 1, (off_t)len);
		if (n < 0) {
			free(buf);
			return NULL;
		}
		len += (size_t)n;
		if (n == 0)
			break;
		if (cap - len - 1 == 0) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				free(buf);
			buf = bigger;
			cap *= 2;
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

int vma_snapshot(int maps_fd, struct iemu_vma **out, size_t *count)
{
	char *text = read_all(maps_fd), *line, *save = NULL;
	struct iemu_vma *v = NULL, *bigger;
	size_t n = 0, cap = 0;

	if (!text)
		return -ESRCH;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			bigger = realloc(v, cap * sizeof(*v));
			if (!bigger) {
				free(v);
				free(text);
				return -ENOMEM;
			}
			v = bigger;
		}
		if (parse_line(line, &v[n]))
			n++;
	}
	free(text);
	*out = v;
	*count = n;
	return 0;
}

static int query_text(int fd, uint64_t addr, struct iemu_vma *out)
{
	struct iemu_vma *v;
	size_t n;
	int rc = vma_snapshot(fd, &v, &n);

	if (rc)
		return rc;
	rc = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (v[i].end > addr) {
			*out = v[i];
			rc = 0;
			break;
		}
	}
	free(v);
	return rc;
}

int vma_query(int maps_fd, uint64_t addr, struct iemu_vma *out)
{
	int rc = query_ioctl(maps_fd, addr, out);

	if (rc == -ENOTTY || rc == -EINVAL)
		rc = query_text(maps_fd, addr, out);
	return rc;
}
