// SPDX-License-Identifier: MIT
/*
 * End-to-end tests of `iommufd-emu serve` through a real FUSE mount: client
 * isolation, concurrent clients, a client killed mid-sequence, a descriptor
 * passed to another process, shutdown with clients attached; device files,
 * their sysfs views, BIND through the mount, a client killed with a device
 * bound and doing DMA; and `run`.  The server binary is argv[1],
 * paths_check argv[2].
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include <linux/pci_regs.h>
#include <poll.h>
#include <sys/eventfd.h>

#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

#define PG 4096ULL
#define EDU_BDF "0000:00:04.0"

static const char *server_bin;
static const char *paths_check_bin;
static char mnt[64];
static char iommu[96];
static pid_t server;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* The value of key= in the first status line starting with prefix. */
static long status_value(const char *prefix, const char *key)
{
	char path[128], line[512], field[64];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/status", mnt);
	snprintf(field, sizeof(field), " %s=", key);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *at = strstr(line, field);

		if (!strncmp(line, prefix, strlen(prefix)) && at &&
		    sscanf(at + strlen(field), "%ld", &val) == 1)
			break;
	}
	fclose(f);
	return val;
}

static bool wait_for(bool (*cond)(void), double seconds)
{
	double end = now() + seconds;

	while (now() < end) {
		if (cond())
			return true;
		usleep(10000);
	}
	return cond();
}

static bool mounted(void)
{
	return access(iommu, F_OK) == 0;
}

/* No context open; only this test process is still a known client. */
static bool idle(void)
{
	return status_value("total", "contexts") == 0 && status_value("total", "clients") <= 1;
}

static int start_server(void **state)
{
	(void)state;
	snprintf(mnt, sizeof(mnt), "/tmp/iommufd-emu-e2e.XXXXXX");
	assert_non_null(mkdtemp(mnt));
	snprintf(iommu, sizeof(iommu), "%s/iommu", mnt);
	server = fork();
	assert_true(server >= 0);
	if (server == 0) {
		execl(server_bin, server_bin, "serve", "--mount", mnt, "--device",
		      "edu,dma_delay=0", "--device", "dmatest,queues=2", (char *)NULL);
		_exit(127);
	}
	assert_true(wait_for(mounted, 10));
	return 0;
}

static bool in_mounts(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, mnt) != NULL;
	if (f)
		fclose(f);
	return found;
}

static int stop_server(void **state)
{
	int status;

	(void)state;
	kill(server, SIGTERM);
	assert_int_equal(waitpid(server, &status, 0), server);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(in_mounts());
	rmdir(mnt);
	return 0;
}

static int open_ctx(void)
{
	int fd = open(iommu, O_RDWR);

	assert_true(fd >= 0);
	return fd;
}

static long ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	long rc = ioctl(fd, IOMMU_IOAS_ALLOC, &a);

	*id = a.out_ioas_id;
	return rc ? -errno : 0;
}

static long map_fixed(int fd, uint32_t ioas, const void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)va,
		.length = len, .iova = iova,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &m) ? -errno : 0;
}

static long unmap_all(int fd, uint32_t ioas, uint64_t *len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .length = UINT64_MAX,
	};
	long rc = ioctl(fd, IOMMU_IOAS_UNMAP, &u) ? -errno : 0;

	*len = u.length;
	return rc;
}

static long destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &d) ? -errno : 0;
}

/* Run fn in a child process; its return value is the child's exit code. */
static pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- isolation ---- */

/* An address plain and ASan-instrumented processes both leave free. */
#define FOREIGN ((void *)0x3f0000000000ULL)

static int other_client(void *arg)
{
	int *pipes = arg;
	char *page = mmap(FOREIGN, PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	int fd = open(iommu, O_RDWR);
	uint32_t id;
	char c = 'r';

	if (page != FOREIGN || fd < 0 || ioas_alloc(fd, &id) || id != 1)
		return 1;
	if (ioas_alloc(fd, &id) || id != 2)
		return 2;
	/* Ready; wait until the first client has tried our address. */
	if (write(pipes[1], &c, 1) != 1 || read(pipes[2], &c, 1) != 1)
		return 3;
	for (size_t i = 0; i < PG; i++)
		if (page[i])
			return 4;
	return destroy(fd, 2) ? 5 : 0;
}

static void test_clients_are_isolated(void **state)
{
	int p1[2], p2[2], fd = open_ctx(), pipes[3];
	uint32_t id;
	pid_t other;
	char c;

	(void)state;
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	pipes[0] = p1[0];
	pipes[1] = p1[1];
	pipes[2] = p2[0];
	other = spawn(other_client, pipes);
	close(p1[1]);
	close(p2[0]);
	assert_int_equal(read(p1[0], &c, 1), 1);
	/* Our ids are our own: 1 here too, and the other's id 2 is unknown. */
	assert_int_equal(ioas_alloc(fd, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(destroy(fd, 2), -ENOENT);
	/* An address valid only in the other process faults in ours, and its
	 * memory is not touched. */
	assert_int_equal(ioctl(fd, IOMMU_IOAS_ALLOC, FOREIGN), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(write(p2[1], "g", 1), 1);
	assert_int_equal(reap(other), 0);
	close(p1[0]);
	close(p2[1]);
	close(fd);
	assert_true(wait_for(idle, 5));
}

/* ---- concurrency ---- */

#define WORKERS 8
#define OPS 10000

static int worker(void *arg)
{
	uintptr_t n = (uintptr_t)arg;
	int fd = open(iommu, O_RDWR);
	char *buf = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_iova_range r;
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .allowed_iovas = (uintptr_t)&r };
	uint32_t ioas, extra;
	uint64_t len;
	int ops = 0;

	if (fd < 0 || ioas_alloc(fd, &ioas))
		return 1;
	q.ioas_id = ioas;
	while (ops < OPS) {
		/* 16 maps, then checks that every byte is accounted for. */
		for (int i = 0; i < 16 && ops < OPS; i++, ops++)
			if (map_fixed(fd, ioas, buf + i * PG, PG, (n << 32) + i * PG))
				return 2;
		if (unmap_all(fd, ioas, &len) || len % PG || len > 16 * PG)
			return 3;
		ops++;
		if (ioas_alloc(fd, &extra) || extra <= ioas || destroy(fd, extra))
			return 4;
		ops += 2;
		q.num_iovas = 1;
		r.start = n;
		if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q) || r.start || r.last != UINT64_MAX)
			return 5;
		ops++;
	}
	close(fd);
	return 0;
}

static void test_eight_concurrent_clients(void **state)
{
	pid_t pids[WORKERS];
	double start = now();

	(void)state;
	for (uintptr_t i = 0; i < WORKERS; i++)
		pids[i] = spawn(worker, (void *)(i + 1));
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(reap(pids[i]), 0);
	printf("# %d clients x %d operations in %.2f s\n", WORKERS, OPS, now() - start);
	assert_true(wait_for(idle, 5));
}

/* ---- a client killed mid-sequence ---- */

static int victim(void *arg)
{
	int *ready = arg;
	int fd = open(iommu, O_RDWR);
	char *buf = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t ioas;

	if (fd < 0 || ioas_alloc(fd, &ioas))
		return 1;
	for (int i = 0; i < 64; i++)
		if (map_fixed(fd, ioas, buf + i * PG, PG, 0x100000 + i * PG))
			return 2;
	if (write(*ready, "k", 1) != 1)
		return 3;
	/* Keep issuing requests until killed. */
	for (;;) {
		uint32_t id;

		if (ioas_alloc(fd, &id) || destroy(fd, id))
			return 4;
	}
}

static bool victim_gone(void)
{
	return status_value("total", "areas") == 0 && idle();
}

static void test_killed_client_leaves_nothing_behind(void **state)
{
	int p[2], fd;
	uint32_t id;
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = spawn(victim, &p[1]);
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(status_value("total", "areas"), 64);
	kill(pid, SIGKILL);
	assert_int_equal(reap(pid), 128 + SIGKILL);
	assert_true(wait_for(victim_gone, 5));
	/* The server still serves. */
	fd = open_ctx();
	assert_int_equal(ioas_alloc(fd, &id), 0);
	assert_int_equal(id, 1);
	close(fd);
}

/* ---- a descriptor used by another process ---- */

static int receiver(void *arg)
{
	int sock = *(int *)arg, fd;
	char data[1], ctrl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { data, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
			      .msg_controllen = sizeof(ctrl) };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	if (recvmsg(sock, &msg, 0) != 1)
		return 1;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(fd));
	/* The request names this process: its memory is what is read. */
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a) || a.out_ioas_id != 2)
		return 2;
	return 0;
}

static void test_passed_descriptor_uses_the_callers_memory(void **state)
{
	int sv[2], fd = open_ctx();
	char ctrl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "x", 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
			      .msg_controllen = sizeof(ctrl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	uint32_t id;
	pid_t pid;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ioas_alloc(fd, &id), 0);
	pid = spawn(receiver, &sv[1]);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 1);
	assert_int_equal(reap(pid), 0);
	/* Same context: the receiver's IOAS is here. */
	assert_int_equal(destroy(fd, 2), 0);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* ---- shutdown with clients attached ---- */

static void test_sigterm_with_clients_attached(void **state)
{
	int fd = open_ctx();
	uint32_t id;

	(void)state;
	assert_int_equal(ioas_alloc(fd, &id), 0);
	assert_int_equal(stop_server(NULL), 0);
	/* The client's descriptor is dead, not hanging. */
	assert_int_equal(ioas_alloc(fd, &id), -ENOTCONN);
	close(fd);
	start_server(NULL);
}

/* ---- devices ---- */

static char *read_text(const char *rel, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", mnt, rel);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

static void test_device_files_and_sysfs(void **state)
{
	char buf[512], link[256], path[256];
	ssize_t n;

	(void)state;
	assert_string_equal(read_text("sys/class/vfio-dev/vfio0/dev", buf, sizeof(buf)),
			    "511:0\n");
	assert_string_equal(read_text("sys/class/vfio-dev/vfio1/dev", buf, sizeof(buf)),
			    "511:1\n");
	assert_string_equal(read_text("sys/bus/pci/devices/" EDU_BDF "/vendor", buf,
				      sizeof(buf)), "0x1234\n");
	assert_string_equal(read_text("sys/bus/pci/devices/" EDU_BDF "/device", buf,
				      sizeof(buf)), "0x11e8\n");
	assert_string_equal(read_text("sys/bus/pci/devices/" EDU_BDF "/class", buf,
				      sizeof(buf)), "0x00ff00\n");
	assert_string_equal(read_text("sys/bus/pci/devices/" EDU_BDF "/vfio-dev/vfio0/dev",
				      buf, sizeof(buf)), "511:0\n");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/" EDU_BDF "/driver", mnt);
	n = readlink(path, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = 0;
	assert_non_null(strstr(link, "/vfio-pci"));
	snprintf(path, sizeof(path), "%s/vfio/devices/vfio0", mnt);
	assert_int_equal(access(path, R_OK | W_OK), 0);
}

static int open_dev(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/vfio/devices/%s", mnt, name);
	return open(path, O_RDWR);
}

static long bind_dev(int dev, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	long rc = ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b) ? -errno : 0;

	if (!rc && devid)
		*devid = b.out_devid;
	return rc;
}

static long attach_dev(int dev, uint32_t pt_id, uint32_t *out)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt_id };
	long rc = ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) ? -errno : 0;

	if (!rc && out)
		*out = a.pt_id;
	return rc;
}

static long set_msi(int dev, int efd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} a = { .s = { .argsz = sizeof(a), .index = VFIO_PCI_MSI_IRQ_INDEX, .count = 1,
		       .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER },
		.fd = efd };

	return ioctl(dev, VFIO_DEVICE_SET_IRQS, &a) ? -errno : 0;
}

static void bar_write(int dev, uint64_t off, uint64_t v, unsigned int n)
{
	assert_int_equal(pwrite(dev, &v, n, off), n);
}

static void cfg_enable(int dev)
{
	uint64_t cfg = (uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40;
	uint16_t cmd;

	assert_int_equal(pread(dev, &cmd, 2, cfg + PCI_COMMAND), 2);
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	assert_int_equal(pwrite(dev, &cmd, 2, cfg + PCI_COMMAND), 2);
}

/* An edu DMA from the device's buffer to IOVA ram; the MSI signals the end. */
static void edu_dma_to_ram(int dev, uint64_t ram, uint64_t len)
{
	bar_write(dev, 0x80, 0x40000, 8);
	bar_write(dev, 0x88, ram, 8);
	bar_write(dev, 0x90, len, 8);
	bar_write(dev, 0x98, 0x7, 8);
}

static bool readable(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static int other_binder(void *arg)
{
	int fd = open_ctx(), dev = open_dev("vfio0");

	(void)arg;
	/* The device is bound through another client's file. */
	return dev >= 0 && bind_dev(dev, fd, NULL) == -EINVAL ? 0 : 1;
}

static void test_device_over_fuse(void **state)
{
	int fd = open_ctx(), dev = open_dev("vfio0"), null = open("/dev/null", O_RDWR);
	int efd = eventfd(0, 0);
	char *buf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t devid, ioas, hwpt;
	eventfd_t v;

	(void)state;
	assert_true(dev >= 0);
	/* BIND names the iommufd by the client's fd number. */
	assert_int_equal(bind_dev(dev, null, NULL), -EBADFD);
	assert_int_equal(bind_dev(dev, 999, NULL), -EBADF);
	assert_int_equal(bind_dev(dev, fd, &devid), 0);
	assert_int_equal(devid, 1);
	assert_int_equal(reap(spawn(other_binder, NULL)), 0);
	assert_int_equal(ioas_alloc(fd, &ioas), 0);
	assert_int_equal(attach_dev(dev, ioas, &hwpt), 0);
	assert_int_equal(hwpt, 3);
	assert_int_equal(status_value("device name=vfio0", "pt_id"), 3);
	assert_int_equal(map_fixed(fd, ioas, buf, PG, 0x100000), 0);
	cfg_enable(dev);
	/* The eventfd comes from the client too; the MSI arrives through it. */
	assert_int_equal(set_msi(dev, efd), 0);
	memset(buf, 0x77, PG);
	edu_dma_to_ram(dev, 0x100000, 64);
	assert_true(readable(efd, 5000));
	assert_int_equal(eventfd_read(efd, &v), 0);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[64], 0x77);
	close(dev);
	assert_int_equal(status_value("device name=vfio0", "bound"), 0);
	close(fd);
	close(null);
	close(efd);
	munmap(buf, PG);
}

/* close() returns with the file released, as in the kernel, also as the
 * status view sees it: FUSE's RELEASE comes after close returns, so the
 * server holds the client's next request, a status read too, until it is
 * done.  Repeated, as a lost race shows only now and then. */
static void test_status_after_close_sees_the_release(void **state)
{
	int efd = eventfd(0, 0);

	(void)state;
	for (int i = 0; i < 100; i++) {
		int fd = open_ctx(), dev = open_dev("vfio0");
		uint32_t ioas;

		assert_int_equal(bind_dev(dev, fd, NULL), 0);
		assert_int_equal(ioas_alloc(fd, &ioas), 0);
		assert_int_equal(attach_dev(dev, ioas, NULL), 0);
		cfg_enable(dev);
		assert_int_equal(set_msi(dev, efd), 0);
		close(dev);
		assert_int_equal(status_value("device name=vfio0", "bound"), 0);
		close(fd);
		assert_int_equal(status_value("total", "contexts"), 0);
	}
	close(efd);
}

/* Closing one of two descriptors of a context releases nothing: the next
 * request waits for no RELEASE (none comes) beyond its short grace, and
 * the context is whole; closing the last one releases it. */
static void test_close_of_a_dup_keeps_the_context(void **state)
{
	int fd = open_ctx(), copy;
	uint32_t first, second;

	(void)state;
	assert_int_equal(ioas_alloc(fd, &first), 0);
	copy = dup(fd);
	assert_true(copy >= 0);
	close(fd);
	assert_int_equal(status_value("total", "contexts"), 1);
	assert_int_equal(ioas_alloc(copy, &second), 0);
	assert_int_equal(second, first + 1);
	assert_int_equal(destroy(copy, first), 0);
	close(copy);
	assert_int_equal(status_value("total", "contexts"), 0);
}

static int device_victim(void *arg)
{
	int *ready = arg, fd = open_ctx(), dev = open_dev("vfio0"), efd = eventfd(0, 0);
	char *buf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t ioas;

	if (dev < 0 || bind_dev(dev, fd, NULL) || ioas_alloc(fd, &ioas) ||
	    attach_dev(dev, ioas, NULL) || map_fixed(fd, ioas, buf, PG, 0x100000) ||
	    set_msi(dev, efd))
		return 1;
	cfg_enable(dev);
	if (write(*ready, "k", 1) != 1)
		return 2;
	/* DMA and interrupts until killed. */
	for (;;) {
		eventfd_t v;

		edu_dma_to_ram(dev, 0x100000, 4096);
		if (!readable(efd, 5000) || eventfd_read(efd, &v))
			return 3;
	}
}

static bool device_released(void)
{
	return status_value("device name=vfio0", "bound") == 0 && victim_gone() &&
	       status_value("total", "objects") == 0;
}

static void test_killed_client_with_a_device(void **state)
{
	int p[2], fd, dev;
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = spawn(device_victim, &p[1]);
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(status_value("device name=vfio0", "bound"), 1);
	usleep(20000);
	kill(pid, SIGKILL);
	assert_int_equal(reap(pid), 128 + SIGKILL);
	assert_true(wait_for(device_released, 5));
	/* The device can be bound again. */
	fd = open_ctx();
	dev = open_dev("vfio0");
	assert_int_equal(bind_dev(dev, fd, NULL), 0);
	close(dev);
	close(fd);
}

static void test_malformed_device_is_one_clear_line(void **state)
{
	char dir[] = "/tmp/iommufd-emu-bad.XXXXXX", out[512] = "";
	int p[2], status;
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		execl(server_bin, server_bin, "serve", "--mount", dir, "--device",
		      "edu,bdf=nowhere", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rmdir(dir);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	assert_true(n > 0);
	assert_string_equal(out, "iommufd-emu: --device edu,bdf=nowhere: bdf=nowhere: "
				 "expected DDDD:BB:DD.F (hex)\n");
}

/* ---- iommufd-emu run ---- */

static int run_cmd(const char *const *args)
{
	char *argv[16] = { (char *)server_bin, "run" };
	int n = 2;
	pid_t pid;

	while (*args && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		execv(server_bin, argv);
		_exit(127);
	}
	return reap(pid);
}

static int tmp_dirs(void)
{
	struct dirent *e;
	DIR *d = opendir("/tmp");
	int n = 0;

	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, "iommufd-emu.", 12);
	if (d)
		closedir(d);
	return n;
}

static void test_run_returns_the_command_status_and_cleans_up(void **state)
{
	int before = tmp_dirs();

	(void)state;
	assert_int_equal(run_cmd((const char *[]){ "--", "sh", "-c", "exit 7", NULL }), 7);
	assert_int_equal(run_cmd((const char *[]){ "--", "sh", "-c", "kill -9 $$", NULL }),
			 128 + SIGKILL);
	assert_int_equal(run_cmd((const char *[]){ "--", "/nonexistent/program", NULL }), 127);
	assert_int_equal(tmp_dirs(), before);
}

static void test_run_puts_the_files_where_drivers_look(void **state)
{
	(void)state;
	/* Namespace and preload together, then each alone. */
	assert_int_equal(run_cmd((const char *[]){ "--device", "edu", "--", paths_check_bin,
						   NULL }), 0);
	assert_int_equal(run_cmd((const char *[]){ "--device", "edu", "--no-namespace", "--",
						   paths_check_bin, NULL }), 0);
	assert_int_equal(run_cmd((const char *[]){ "--device", "edu", "--no-preload", "--", "sh",
						   "-c", "test -e /dev/iommu && "
						   "test -e /dev/vfio/devices/vfio0", NULL }), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients_are_isolated),
		cmocka_unit_test(test_eight_concurrent_clients),
		cmocka_unit_test(test_killed_client_leaves_nothing_behind),
		cmocka_unit_test(test_passed_descriptor_uses_the_callers_memory),
		cmocka_unit_test(test_device_files_and_sysfs),
		cmocka_unit_test(test_device_over_fuse),
		cmocka_unit_test(test_status_after_close_sees_the_release),
		cmocka_unit_test(test_close_of_a_dup_keeps_the_context),
		cmocka_unit_test(test_killed_client_with_a_device),
		cmocka_unit_test(test_malformed_device_is_one_clear_line),
		cmocka_unit_test(test_sigterm_with_clients_attached),
		cmocka_unit_test(test_run_returns_the_command_status_and_cleans_up),
		cmocka_unit_test(test_run_puts_the_files_where_drivers_look),
	};

	if (argc < 3) {
		fprintf(stderr, "usage: %s IOMMUFD_EMU_BINARY PATHS_CHECK_BINARY\n", argv[0]);
		return 2;
	}
	server_bin = argv[1];
	paths_check_bin = argv[2];
	return cmocka_run_group_tests(tests, start_server, stop_server);
}
