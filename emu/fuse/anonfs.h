/* SPDX-License-Identifier: MIT */
/*
 * Files of the mount that no kernel path names, which the preload library
 * opens on a client's behalf:
 *
 *   .fd/<token>         the anonymous file (fault queue, vEVENTQ, selftest
 *                       access or dma-buf) an ioctl just created for the
 *                       client; the ioctl wrote <token> where the fd number
 *                       belongs, the preload library opens this and puts the
 *                       real fd there.  A token opens once, by its client.
 *   .proc/<pid>/status  /proc/<pid>/status with VmLck and VmPin counting the
 *                       memory the emulator pins for that process, as the
 *                       kernel's would.
 *
 * Inode numbers live above the fixed tree's: 1 << 32 + token, 2 << 32 +
 * pid (a .proc directory), 3 << 32 + pid (its status).
 */
#ifndef IEMU_FUSE_ANONFS_H
#define IEMU_FUSE_ANONFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct iemu;
struct iemu_anon;

/* Hand out tokens for emu's new files; dirs_ino is the first free inode
 * number, for the two directories. */
void anonfs_init(struct iemu *emu, const char *mount, uint64_t dirs_ino);
void anonfs_fini(void);

/* Whether the inode number is one of these files. */
bool anonfs_owns(uint64_t ino);

/* The child name of parent (the root is 1): 0 and its inode and
 * attributes, or -ENOENT. */
int anonfs_lookup(uint64_t parent, const char *name, uint64_t *ino, struct stat *st);
int anonfs_getattr(uint64_t ino, struct stat *st);

/* Open for client pid: an anonymous file (*f, a reference) or the status
 * text (*text, malloc'ed, *len).  -ENOENT (token gone or another
 * client's), -EISDIR, -ENOMEM. */
int anonfs_open(uint64_t ino, pid_t pid, struct iemu_anon **f, char **text, size_t *len);

/* The anonymous file open through our fd (a copy of a client's fd), with a
 * reference: 0, or -EBADFD when it is not one of the mount's. */
int anonfs_file_of(int fd, struct iemu_anon **out);

/* An anonymous file was opened (inode ino) or released, for anonfs_file_of. */
void anonfs_opened(uint64_t ino, struct iemu_anon *f);
void anonfs_released(struct iemu_anon *f);

#endif
