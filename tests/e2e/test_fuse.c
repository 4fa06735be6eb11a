// SPDX-License-Identifier: MIT
/*
 * End-to-end tests of `iommufd-emu serve` through a real FUSE mount: client
 * isolation, concurrent clients, a client killed mid-sequence, a descriptor
 * passed to another process, shutdown with clients attached; and `run`.
 * The server binary is argv[1], paths_check argv[2].
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

#include "iommufd_emu/uapi/iommufd.h"

#define PG 4096ULL

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
		execl(server_bin, server_bin, "serve", "--mount", mnt, (char *)NULL);
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
	assert_int_equal(run_cmd((const char *[]){ "--", paths_check_bin, NULL }), 0);
	assert_int_equal(run_cmd((const char *[]){ "--no-namespace", "--", paths_check_bin, NULL }), 0);
	assert_int_equal(run_cmd((const char *[]){ "--no-preload", "--", "sh", "-c",
						   "test -e /dev/iommu", NULL }), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients_are_isolated),
		cmocka_unit_test(test_eight_concurrent_clients),
		cmocka_unit_test(test_killed_client_leaves_nothing_behind),
		cmocka_unit_test(test_passed_descriptor_uses_the_callers_memory),
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
