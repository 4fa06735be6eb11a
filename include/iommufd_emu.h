/* SPDX-License-Identifier: MIT */
/*
 * iommufd-emu: the C API of a userspace emulator of Linux's /dev/iommu
 * (iommufd) and VFIO device cdevs.
 *
 * An emulator (struct iemu) owns global state: policy, locked-memory
 * accounting per user, the fake physical address space, devices.  Each open
 * of /dev/iommu is a context (struct iemu_ctx).  Every request names the
 * process that makes it (struct iemu_proc): its memory is where ioctl
 * arguments are read and written, where mapped pages live, and whose
 * credentials and limits the kernel's checks use.
 *
 * In-process callers (unit tests, fuzzers, a driver linked against the
 * library) use iemu_proc_self(); the FUSE server uses one iemu_proc per
 * client process; anything else can supply its own iemu_proc_ops.
 *
 * All functions returning int return 0 or a negative errno value; ioctls
 * return what the kernel's ioctl returns (>= 0) or a negative errno value.
 */
#ifndef IOMMUFD_EMU_H
#define IOMMUFD_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library builds with hidden symbols; this marks its public API. */
#define IEMU_API __attribute__((visibility("default")))

struct iemu;
struct iemu_ctx;
struct iemu_proc;

/* Kernel versions whose behaviour can be selected. */
#define IEMU_KVER(major, minor) (((major) << 8) | (minor))
#define IEMU_KERNEL_6_12 IEMU_KVER(6, 12)
#define IEMU_KERNEL_7_3 IEMU_KVER(7, 3)

/* Accounting mode of new contexts (what IOMMU_OPTION_RLIMIT_MODE reports). */
enum iemu_account {
	IEMU_ACCOUNT_USER = 0, /* per-user locked_vm, the /dev/iommu default */
	IEMU_ACCOUNT_MM = 1,   /* per-process locked_vm, the /dev/vfio/vfio default */
};

struct iemu_config {
	/* Behave as this kernel (IEMU_KERNEL_7_3 when 0). */
	unsigned int kernel;
	/* Serve the IOMMU_TEST_CMD selftest protocol (off, as in the kernel). */
	bool selftest_mock;
};

/* Create an emulator; cfg may be NULL for the defaults. */
IEMU_API int iemu_create(const struct iemu_config *cfg, struct iemu **out);

/* Destroy an emulator whose contexts are all closed. */
IEMU_API void iemu_destroy(struct iemu *emu);

/* ---- processes: whose memory, credentials and limits a request uses ---- */

/* Region flags reported by iemu_proc_ops.vma_at. */
#define IEMU_VMA_READ (1u << 0)
#define IEMU_VMA_WRITE (1u << 1)
#define IEMU_VMA_EXEC (1u << 2)
#define IEMU_VMA_SHARED (1u << 3)

/* What backs a region, as far as pin_user_pages cares. */
enum iemu_vma_kind {
	IEMU_VMA_ANON,   /* anonymous memory */
	IEMU_VMA_SHMEM,  /* shmem, memfd, tmpfs, hugetlbfs, SysV shm */
	IEMU_VMA_FILE,   /* a file that needs dirty tracking (ext4, ...) */
	IEMU_VMA_IO,     /* VM_IO / VM_PFNMAP: device memory, [vvar] */
};

/* One mapping of a process's address space, [start, end). */
struct iemu_vma {
	uint64_t start;
	uint64_t end;
	unsigned int flags;
	enum iemu_vma_kind kind;
};

/* How to reach a process.  read/write/vma_at are required. */
struct iemu_proc_ops {
	/* Copy len bytes of the process at addr; 0 or -EFAULT (all or nothing). */
	int (*read)(void *opaque, uint64_t addr, void *buf, size_t len);
	int (*write)(void *opaque, uint64_t addr, const void *buf, size_t len);
	/* The region containing addr, else the next one above: 0, -ENOENT, -ESRCH. */
	int (*vma_at)(void *opaque, uint64_t addr, struct iemu_vma *out);
	/* A new fd of ours for the process's fd number fd: fd, -EBADF, -EPERM. */
	int (*dup_fd)(void *opaque, int fd);
	/* RLIMIT_MEMLOCK in bytes (UINT64_MAX when unlimited). */
	uint64_t (*memlock_limit)(void *opaque);
	/* Pages the process has mlock()ed itself (its VmLck). */
	uint64_t (*mlocked_pages)(void *opaque);
	/* Called when the last reference to the process goes. */
	void (*release)(void *opaque);
	/* A request of this process starts / ends on the calling thread:
	 * copies read during it may be reused until it ends (optional). */
	void (*begin)(void *opaque);
	void (*end)(void *opaque);
};

struct iemu_proc_desc {
	pid_t pid;
	uid_t uid;
	uint64_t caps; /* effective capabilities, bit n = capability n */
	const struct iemu_proc_ops *ops;
	void *opaque;
};

/* The calling process itself, reached with plain memory accesses. */
IEMU_API int iemu_proc_self(struct iemu *emu, struct iemu_proc **out);

/* Another process, reached with process_vm_readv/writev, PROCMAP_QUERY and
 * pidfd_getfd (the FUSE server's clients).  Needs ptrace access to it:
 * -EPERM when that is refused, -ESRCH when it does not exist. */
IEMU_API int iemu_proc_open_pid(struct iemu *emu, pid_t pid,
				struct iemu_proc **out);

/* A process reached through the given ops (e.g. a fuzzer's arena). */
IEMU_API int iemu_proc_create(struct iemu *emu, const struct iemu_proc_desc *desc,
		     struct iemu_proc **out);

/* Take and drop references. */
IEMU_API struct iemu_proc *iemu_proc_get(struct iemu_proc *proc);
IEMU_API void iemu_proc_put(struct iemu_proc *proc);

/* Replace the effective capabilities the checks see (bit n = capability n). */
IEMU_API void iemu_proc_set_caps(struct iemu_proc *proc, uint64_t caps);

/* Use this RLIMIT_MEMLOCK (bytes) instead of the process's own;
 * UINT64_MAX means unlimited, IEMU_MEMLOCK_PROCESS goes back to the process's. */
#define IEMU_MEMLOCK_PROCESS ((uint64_t)-2)
IEMU_API void iemu_proc_set_memlock(struct iemu_proc *proc, uint64_t bytes);

/* The process has exited: its memory can no longer be pinned or copied. */
IEMU_API void iemu_proc_exited(struct iemu_proc *proc);

/* Pinned-memory counters of a process, in pages. */
struct iemu_proc_stats {
	uint64_t locked_vm; /* charged in per-process (MM) mode */
	uint64_t pinned_vm; /* pinned by any mode */
};
IEMU_API void iemu_proc_stats(struct iemu_proc *proc, struct iemu_proc_stats *out);

/* Pages charged to a user in per-user mode (the kernel's user->locked_vm). */
IEMU_API uint64_t iemu_user_locked_pages(struct iemu *emu, uid_t uid);

/* ---- contexts: one per open of /dev/iommu ---- */

/* Open a context on behalf of opener. */
IEMU_API int iemu_ctx_open(struct iemu *emu, struct iemu_proc *opener,
		  struct iemu_ctx **out);

/* Run an iommufd ioctl whose argument is at address arg in caller's memory. */
IEMU_API long iemu_ctx_ioctl(struct iemu_ctx *ctx, struct iemu_proc *caller,
		    unsigned int cmd, uint64_t arg);

/* Release the context, destroying its objects as the kernel's close does. */
IEMU_API void iemu_ctx_close(struct iemu_ctx *ctx);

/* Counts of what a context holds (for status views and tests). */
struct iemu_ctx_stats {
	unsigned int objects;
	unsigned int ioas;
	unsigned int hwpt;
	unsigned int devices;
	unsigned int accesses;
	uint64_t areas;
	uint64_t mapped_bytes;
	uint64_t pinned_pages;
};
IEMU_API void iemu_ctx_stats(struct iemu_ctx *ctx, struct iemu_ctx_stats *out);

/* The name of an ioctl number ("IOMMU_IOAS_MAP"), or NULL.  VFIO reuses
 * numbers between containers and devices, so the kind of file matters. */
enum iemu_file_kind {
	IEMU_FILE_IOMMU,  /* /dev/iommu: iommufd and the VFIO container ioctls */
	IEMU_FILE_DEVICE, /* /dev/vfio/devices/vfioN */
};
IEMU_API const char *iemu_ioctl_name(enum iemu_file_kind kind, unsigned int cmd);

/* Convenience for in-process callers: ioctl with the caller's own memory. */
IEMU_API long iemu_ioctl(struct iemu_ctx *ctx, unsigned int cmd, void *arg);

#ifdef __cplusplus
}
#endif

#endif
