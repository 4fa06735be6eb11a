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
	/* Capabilities every process has on top of its own (bit n =
	 * capability n): to run what needs root, such as the kernel's
	 * selftests, without it. */
	uint64_t add_caps;
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
	/* The file behind it (ino 0: none, anonymous memory) and the file
	 * offset of start: shared mappings of one file offset are the same
	 * physical memory in every process. */
	uint64_t dev;         /* makedev(major, minor) */
	uint64_t ino;
	uint64_t pgoff;       /* in bytes */
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
	/* Copy len bytes from src to dst inside the process, the fast path of
	 * a device's memory-to-memory DMA (optional): 0 or -EFAULT. */
	int (*copy)(void *opaque, uint64_t dst, uint64_t src, size_t len);
	/* The process's effective capabilities now (optional; else those of
	 * iemu_proc_desc): asked at each check, as capable() looks at the
	 * current credentials, which the process may have changed. */
	uint64_t (*caps)(void *opaque);
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

/* The process's id. */
IEMU_API pid_t iemu_proc_pid(const struct iemu_proc *proc);

/* Take and drop references. */
IEMU_API struct iemu_proc *iemu_proc_get(struct iemu_proc *proc);
IEMU_API void iemu_proc_put(struct iemu_proc *proc);

/* Replace the effective capabilities the checks see (bit n = capability n),
 * from now on instead of the process's own. */
IEMU_API void iemu_proc_set_caps(struct iemu_proc *proc, uint64_t caps);

/* Use this RLIMIT_MEMLOCK (bytes) instead of the process's own;
 * UINT64_MAX means unlimited, IEMU_MEMLOCK_PROCESS goes back to the process's. */
#define IEMU_MEMLOCK_PROCESS ((uint64_t)-2)
IEMU_API void iemu_proc_set_memlock(struct iemu_proc *proc, uint64_t bytes);

/* A new fd of the caller's for the process's fd number fd (its ops'
 * dup_fd): the fd, -EBADF, or -EPERM. */
IEMU_API int iemu_proc_dup_fd(struct iemu_proc *proc, int fd);

/* Copy len bytes of the process's memory at addr into buf, as the
 * emulator's own copies do (its ops' read): 0 or -EFAULT, all or nothing. */
IEMU_API int iemu_proc_read(struct iemu_proc *proc, uint64_t addr, void *buf, size_t len);

/* The region of the process's address space containing addr, else the next
 * one above (its ops' vma_at): 0, -ENOENT (none above) or -ESRCH. */
IEMU_API int iemu_proc_vma_at(struct iemu_proc *proc, uint64_t addr, struct iemu_vma *out);

/* The process has exited: its memory can no longer be pinned or copied. */
IEMU_API void iemu_proc_exited(struct iemu_proc *proc);

/* Pinned-memory counters of a process, in pages. */
struct iemu_proc_stats {
	uint64_t locked_vm; /* charged in per-process (MM) mode */
	uint64_t pinned_vm; /* pinned by any mode */
};
IEMU_API void iemu_proc_stats(struct iemu_proc *proc, struct iemu_proc_stats *out);

/* The same for every process object of pid (its VmLck and VmPin as the
 * emulator adds to them): 0, or -ESRCH (none) with zeros. */
IEMU_API int iemu_pid_stats(struct iemu *emu, pid_t pid, struct iemu_proc_stats *out);

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

/* The number of an ioctl name, and the files it applies to (a mask of
 * 1 << enum iemu_file_kind): 0 or -ENOENT. */
IEMU_API int iemu_ioctl_number(const char *name, unsigned int *cmd, unsigned int *kinds);

/* The i-th ioctl the emulator knows (from 0), with its number and files,
 * or NULL past the last: to list them all. */
IEMU_API const char *iemu_ioctl_at(unsigned int i, unsigned int *cmd, unsigned int *kinds);

/* ---- decoding requests: traces and replay ---- */

/* What an ioctl's argument is. */
enum iemu_arg_kind {
	IEMU_ARG_NONE,   /* ignored */
	IEMU_ARG_INT,    /* an integer (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU) */
	IEMU_ARG_STRUCT, /* a pointer to a struct */
	IEMU_ARG_STRING, /* a pointer to a NUL-terminated string */
};

struct iemu_ioctl_arg {
	enum iemu_arg_kind kind;
	const char *type;  /* "struct iommu_ioas_map", or NULL */
	uint32_t size;     /* the struct's size in this ABI */
	bool sized;        /* its first __u32 (size, argsz) says how long it is */
};

/* The argument of an ioctl: 0, or -ENOENT for an ioctl without a decoder. */
IEMU_API int iemu_ioctl_arg(enum iemu_file_kind kind, unsigned int cmd,
			    struct iemu_ioctl_arg *out);

/* Decode an ioctl's argument as the members of a JSON object, without the
 * braces: each field by its ABI name, ids and sizes in decimal, addresses
 * as "0x..." strings, flags and enums by name ("flags":"FIXED_IOVA|READABLE",
 * "index":"MSI"), what follows the fixed part (SET_IRQS data, FEATURE data,
 * capability chains) by element or in hex ("tail").  data holds the bytes
 * (len of them; fields past len are left out), the string's bytes for
 * IEMU_ARG_STRING, or for IEMU_ARG_INT the integer as a uint64_t.  Returns
 * the length written (NUL-terminated), -ENOENT (no decoder) or -ENOSPC
 * (outlen too small). */
IEMU_API int iemu_ioctl_decode(enum iemu_file_kind kind, unsigned int cmd,
			       const void *data, size_t len, char *out, size_t outlen);

/* What a field of an argument refers to outside the argument itself. */
enum iemu_ref_kind {
	IEMU_REF_IN,      /* a buffer the ioctl reads (ALLOW_IOVAS' array) */
	IEMU_REF_OUT,     /* a buffer it writes (IOVA_RANGES' array) */
	IEMU_REF_INOUT,   /* both (the dirty bitmap: bits are only set) */
	IEMU_REF_MEMORY,  /* user memory it maps: pinned, not copied */
	IEMU_REF_EVENTFD, /* an fd number of an eventfd (-1: none) */
	IEMU_REF_FILE,    /* an fd number of a file to map (a memfd) */
	IEMU_REF_IOMMUFD, /* an fd number of an iommufd */
	IEMU_REF_FD_OUT,  /* an fd number the ioctl gives the caller */
};

struct iemu_ioctl_ref {
	enum iemu_ref_kind kind;
	const char *field; /* the field's name, as iemu_ioctl_decode gives it */
	uint32_t offset;   /* of the pointer or fd within the argument */
	uint32_t size;     /* of that field: 8 for pointers, 4 for fds */
	uint64_t value;    /* the pointer, or the fd number sign-extended */
	uint64_t len;      /* bytes the buffer or memory spans (0 for fds) */
};

/* The pointers and fds in an argument of len bytes (fields past len are
 * left out), in a fixed order: how many there are (the first max are
 * stored; out may be NULL when max is 0), or -ENOENT for an ioctl without
 * a decoder. */
IEMU_API int iemu_ioctl_refs(enum iemu_file_kind kind, unsigned int cmd, const void *data,
			     size_t len, struct iemu_ioctl_ref *out, unsigned int max);

/* The name of a vfio-pci region index ("BAR0", "CONFIG"), or NULL. */
IEMU_API const char *iemu_region_name(unsigned int index);

/* Convenience for in-process callers: ioctl with the caller's own memory. */
IEMU_API long iemu_ioctl(struct iemu_ctx *ctx, unsigned int cmd, void *arg);

/* Take and drop a reference to a context.  The open file is one reference
 * (iemu_ctx_close drops it); a device bound to the context holds another,
 * so the context's objects live until the last of them goes, as the
 * kernel's iommufd file lives while a VFIO device holds it. */
IEMU_API struct iemu_ctx *iemu_ctx_get(struct iemu_ctx *ctx);

/* VFIO_DEVICE_BIND_IOMMUFD names an iommufd by a file descriptor number of
 * the caller.  The resolver turns it into the context behind it, with a
 * reference taken (iemu_ctx_get): 0, -EBADF (no such fd) or -EBADFD (an fd
 * that is not an iommufd).  Without a resolver every fd is -EBADF. */
typedef int (*iemu_fd_resolver)(void *opaque, struct iemu_proc *caller, int fd,
				struct iemu_ctx **out);
IEMU_API void iemu_set_fd_resolver(struct iemu *emu, iemu_fd_resolver fn,
				   void *opaque);

/* ---- anonymous files: the fds some ioctls return ---- */

/* IOMMU_FAULT_QUEUE_ALLOC, IOMMU_VEVENTQ_ALLOC and the selftest's
 * CREATE_ACCESS and DMABUF_GET hand the caller a new file, an anonymous
 * inode in the kernel ("[iommufd-pgfault]", ...).  The emulator creates a
 * struct iemu_anon and asks the front end to give the caller an fd number
 * for it.  Every function here takes the emulator's locks as needed. */
struct iemu_anon;

/* The kernel's anon inode name of the file ("[iommufd-pgfault]"). */
IEMU_API const char *iemu_anon_name(const struct iemu_anon *f);

/* read(2) and write(2) on the file, through a buffer of the caller's:
 * bytes done or a negative errno value (-ESPIPE when off is not 0). */
IEMU_API ssize_t iemu_anon_read(struct iemu_anon *f, void *buf, size_t len, uint64_t off);
IEMU_API ssize_t iemu_anon_write(struct iemu_anon *f, const void *buf, size_t len,
				 uint64_t off);

/* poll(2): a mask of POLLIN, POLLRDNORM and POLLOUT. */
IEMU_API unsigned int iemu_anon_poll(struct iemu_anon *f);

/* Call fn (on any thread) whenever what poll answers may have changed;
 * NULL to stop. */
typedef void (*iemu_anon_notify_fn)(void *opaque);
IEMU_API void iemu_anon_set_notify(struct iemu_anon *f, iemu_anon_notify_fn fn,
				   void *opaque);

/* Take and drop references.  The fd the installer hands out is one
 * reference; dropping the last is the file's release (the last close). */
IEMU_API struct iemu_anon *iemu_anon_get(struct iemu_anon *f);
IEMU_API void iemu_anon_put(struct iemu_anon *f);

/* Front ends: install gives caller an fd number for a new file, taking a
 * reference (iemu_anon_get) for it: the number (>= 0) or a negative errno.
 * withdraw undoes an install whose ioctl then failed, dropping that
 * reference.  resolve turns an fd number of caller back into the file, with
 * a reference taken: 0, -EBADF (no such fd) or -EBADFD (not such a file).
 * Without handlers, numbers come from a table of the emulator's, starting
 * at IEMU_ANON_FD_BASE, for in-process callers (iemu_anon_lookup). */
struct iemu_anon_handlers {
	int (*install)(void *opaque, struct iemu_proc *caller, struct iemu_anon *f);
	void (*withdraw)(void *opaque, struct iemu_proc *caller, int fd);
	int (*resolve)(void *opaque, struct iemu_proc *caller, int fd,
		       struct iemu_anon **out);
};
IEMU_API void iemu_set_anon_handlers(struct iemu *emu, const struct iemu_anon_handlers *h,
				     void *opaque);

#define IEMU_ANON_FD_BASE (1 << 30)

/* In-process: the file behind a number the table handed out, with a
 * reference taken, or NULL.  iemu_anon_close drops the table's reference,
 * as close(2) of the fd would. */
IEMU_API struct iemu_anon *iemu_anon_lookup(struct iemu *emu, int fd);
IEMU_API int iemu_anon_close(struct iemu *emu, int fd);

/* ---- mmap of the iommufd (vIOMMU pages a driver exposes to userspace) ---- */

/* mmap(2) of length bytes of the iommufd at offset: checks it as the kernel
 * does (-EINVAL: length not page aligned or the mapping not shared; -EPERM:
 * executable; -ENXIO: not exactly one region the context offers), copies
 * the region's contents into caller's memory at addr (where the caller
 * mapped length bytes of shared memory) and holds the region's owner busy
 * until iemu_ctx_munmap with the same offset and length. */
IEMU_API int iemu_ctx_mmap(struct iemu_ctx *ctx, struct iemu_proc *caller, uint64_t offset,
			   uint64_t length, bool shared, bool exec, uint64_t addr);
IEMU_API void iemu_ctx_munmap(struct iemu_ctx *ctx, uint64_t offset, uint64_t length);

/* ---- devices: VFIO cdevs in front of emulated PCI functions ---- */

struct iemu_device;
struct iemu_devfile;

/* Add a device from a spec: "MODEL[,OPTION]...", e.g. "edu",
 * "dmatest,queues=4", "edu,noiommu", "edu,noiommu=swpt,bdf=0000:00:05.0".
 * Options of every device: bdf=DDDD:BB:DD.F, name=LABEL, noiommu[=refuse|
 * nocdev|noop-attach|swpt] (no IOMMU in front of it; refuse is the default
 * policy), emulated (an mdev-like device whose DMA goes through an access
 * object).  Other options belong to the model (iemu_model_help).  On
 * -EINVAL, err (if not NULL) receives a one-line reason. */
IEMU_API int iemu_device_add(struct iemu *emu, const char *spec,
			     struct iemu_device **out, char *err, size_t errlen);

/* The first device (prev NULL) or the one after prev, in creation order. */
IEMU_API struct iemu_device *iemu_device_next(struct iemu *emu,
					      struct iemu_device *prev);

/* The device whose cdev is named name ("vfio0", "noiommu-vfio1"), or NULL. */
IEMU_API struct iemu_device *iemu_device_find(struct iemu *emu, const char *name);

/* noiommu policies (see README). */
enum iemu_noiommu {
	IEMU_NOIOMMU_OFF,         /* behind the emulated IOMMU */
	IEMU_NOIOMMU_REFUSE,      /* cdev, binds; attach and detach -EINVAL */
	IEMU_NOIOMMU_NOCDEV,      /* no cdev (Linux 6.6 to 6.19) */
	IEMU_NOIOMMU_NOOP_ATTACH, /* attach succeeds, associates nothing */
	IEMU_NOIOMMU_SWPT,        /* software page table, physical DMA */
};

struct iemu_device_info {
	char name[32];        /* cdev name: vfioN or noiommu-vfioN */
	char bdf[16];         /* PCI address, DDDD:BB:DD.F */
	char label[32];       /* name= of the spec, else the model's name */
	const char *model;
	unsigned int minor;   /* N of vfioN: the cdev's minor number */
	bool has_cdev;        /* false with noiommu=nocdev */
	bool emulated;
	enum iemu_noiommu noiommu;
	uint16_t vendor, device, subsystem_vendor, subsystem_device;
	uint32_t class_code;
	uint8_t revision;
	uint8_t irq_pin;      /* 0: none, 1: INTA# ... */
	bool bound;           /* a device file is bound to a context */
	uint32_t devid;       /* its DEVICE (or ACCESS) object id while bound */
	uint32_t pt_id;       /* attached HWPT or IOAS id, 0 when detached */
	uint64_t dma_bytes;   /* bytes moved by DMA so far */
	uint64_t faults;      /* faults and device errors so far */
};
IEMU_API void iemu_device_info(struct iemu_device *dev, struct iemu_device_info *out);

/* A BAR as the host kernel placed it (size 0: not implemented). */
struct iemu_bar_info {
	uint64_t addr;
	uint64_t size;
	bool is64;
	bool prefetch;
};
IEMU_API void iemu_device_bars(struct iemu_device *dev, struct iemu_bar_info out[6]);

/* The cdev's major number: Linux's "vfio-dev" region is dynamic; this is
 * the one the emulator reports (in sysfs dev files and faked stat). */
#define IEMU_VFIO_DEV_MAJOR 511

/* What went wrong in a device's DMA or model.  Every kind but FOREIGN_PHYS
 * means the transfer was refused and memory is unchanged. */
enum iemu_fault_kind {
	IEMU_FAULT_UNMAPPED,    /* IOVA not mapped in the attached domain */
	IEMU_FAULT_PERM,        /* write to a read-only mapping, or the reverse */
	IEMU_FAULT_BLOCKED,     /* no domain attached: DMA blocked */
	IEMU_FAULT_NO_MASTER,   /* bus mastering off in the command register */
	IEMU_FAULT_WILD_PHYS,   /* noiommu: physical address backed by nothing */
	IEMU_FAULT_FOREIGN_PHYS,/* noiommu: DMA done, into another process's memory */
	IEMU_FAULT_BACKING,     /* mapped, but its memory is gone (unmapped, exited) */
	IEMU_FAULT_INJECTED,    /* failed by a fault injection rule */
	IEMU_FAULT_DEVICE,      /* the model reports an error of its own */
};

struct iemu_fault {
	uint64_t seq;          /* 1, 2, ... per device */
	enum iemu_fault_kind kind;
	uint64_t addr;         /* IOVA (or physical address) of the first bad byte */
	uint64_t len;          /* length of the refused transfer */
	bool write;            /* device to memory */
	char what[120];        /* one line for humans */
};

/* Copy up to n of the device's most recent faults (oldest first) into out;
 * returns how many faults happened in total.  The log keeps the last 16. */
IEMU_API uint64_t iemu_device_faults(struct iemu_device *dev, struct iemu_fault *out,
				     unsigned int n, unsigned int *copied);

/* The kind's name ("unmapped", ...). */
IEMU_API const char *iemu_fault_kind_name(enum iemu_fault_kind kind);

/* One line per model: its name, what it is and its options. */
IEMU_API const char *iemu_model_help(unsigned int i);

/* ---- checks: driver mistakes a real machine tolerates silently ---- */

enum iemu_report_kind {
	IEMU_REPORT_DMA_UNMAPPED,    /* device DMA to an IOVA nothing maps */
	IEMU_REPORT_DMA_PERMISSION,  /* device write to a read-only mapping (or the reverse) */
	IEMU_REPORT_DMA_BLOCKED,     /* device DMA while no domain is attached */
	IEMU_REPORT_DMA_NO_MASTER,   /* device DMA with bus mastering off */
	IEMU_REPORT_DMA_PHYSICAL,    /* noiommu DMA to nothing, or to another process */
	IEMU_REPORT_STALE_PIN,       /* DMA through a mapping whose memory was unmapped
				      * or remapped since it was mapped */
	IEMU_REPORT_UNMAP_IN_FLIGHT, /* unmap of a range a device DMA is using */
	IEMU_REPORT_IRQ_UNACKED,     /* an interrupt signalled and never consumed */
	IEMU_REPORT_LEFT_BEHIND,     /* objects, mappings or a bound device at exit */
	IEMU_REPORT_DEVICE_ERROR,    /* the device refused what the driver programmed */
	IEMU_REPORT_INJECTED,        /* a fault injection rule fired */
};

struct iemu_report {
	enum iemu_report_kind kind;
	pid_t pid;             /* the driver's process (0 if unknown) */
	const char *device;    /* cdev name, or NULL */
	const char *what;      /* the ioctl or DMA involved ("IOMMU_IOAS_UNMAP", "DMA write") */
	uint64_t iova;         /* the IOVA (or physical address), 0 if none */
	uint64_t va;           /* the process's address, 0 if none */
	uint64_t len;
	const char *text;      /* one explanatory sentence */
};

typedef void (*iemu_report_fn)(void *opaque, const struct iemu_report *r);

/* Turn the checks on (fn receives each report, on any thread) or off. */
IEMU_API void iemu_set_checks(struct iemu *emu, iemu_report_fn fn, void *opaque);

/* The kind's short name ("dma-unmapped"). */
IEMU_API const char *iemu_report_kind_name(enum iemu_report_kind kind);

/* ---- fault injection: provoke the failures a driver must survive ---- */

enum iemu_inject_kind {
	IEMU_INJECT_IOCTL,      /* an ioctl fails with err, having done nothing */
	IEMU_INJECT_DMA_DROP,   /* a device DMA is lost: the device believes it done */
	IEMU_INJECT_DMA_ERROR,  /* a device DMA fails, as an IOMMU fault would */
	IEMU_INJECT_PIN_LIMIT,  /* pinning beyond pages pages in all fails with ENOMEM */
};

struct iemu_inject {
	enum iemu_inject_kind kind;
	unsigned int cmd;       /* IOCTL: the ioctl number, 0 for any */
	unsigned int files;     /* IOCTL: files it applies to (1 << iemu_file_kind), 0: all */
	char device[32];        /* DMA: the cdev name, "" for any */
	uint64_t nth;           /* fire on the nth matching event only (from 1) */
	double probability;     /* or, with nth 0, on each with this probability */
	int err;                /* IOCTL: the errno (positive) */
	uint64_t pages;         /* PIN_LIMIT */
};

/* Add a rule: 0, -EINVAL (nothing to fire on), -ENOMEM. */
IEMU_API int iemu_inject_add(struct iemu *emu, const struct iemu_inject *rule);

/* Seed the probabilities (rules added later and counts restart): the same
 * seed and the same sequence of events fire the same rules. */
IEMU_API void iemu_inject_seed(struct iemu *emu, uint64_t seed);

/* Parse a rule: "ioctl=IOMMU_IOAS_MAP,nth=3,errno=ENOMEM",
 * "ioctl=*,p=0.01,errno=EIO", "dma=vfio0,drop,nth=2", "dma=*,error,p=0.1",
 * "pin-limit=1024" (pages).  -EINVAL with a one-line reason in err. */
IEMU_API int iemu_inject_parse(const char *text, struct iemu_inject *out, char *err,
			       size_t errlen);

/* How many times the rules fired in all. */
IEMU_API uint64_t iemu_inject_fired(struct iemu *emu);

/* Open the device's cdev on behalf of opener: -ENODEV (no cdev), -EPERM
 * (noiommu device, opener lacks CAP_SYS_RAWIO). */
IEMU_API int iemu_devfile_open(struct iemu_device *dev, struct iemu_proc *opener,
			       struct iemu_devfile **out);

/* A VFIO device ioctl whose argument is at address arg of caller's memory. */
IEMU_API long iemu_devfile_ioctl(struct iemu_devfile *f, struct iemu_proc *caller,
				 unsigned int cmd, uint64_t arg);

/* pread/pwrite at off (region index << 40 | offset) into/from a buffer of
 * the emulator's: bytes done or a negative errno value. */
IEMU_API ssize_t iemu_devfile_read(struct iemu_devfile *f, void *buf, size_t len,
				   uint64_t off);
IEMU_API ssize_t iemu_devfile_write(struct iemu_devfile *f, const void *buf,
				    size_t len, uint64_t off);

/* The device's information, with bound telling whether this file holds it. */
IEMU_API void iemu_devfile_info(struct iemu_devfile *f, struct iemu_device_info *out);

/* Close the file: unbinds it if bound (detach, close the device). */
IEMU_API void iemu_devfile_close(struct iemu_devfile *f);

/* Convenience for in-process callers: a device ioctl on the caller's memory. */
IEMU_API long iemu_dev_ioctl(struct iemu_devfile *f, unsigned int cmd, void *arg);

#ifdef __cplusplus
}
#endif

#endif
