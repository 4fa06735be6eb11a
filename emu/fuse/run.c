// SPDX-License-Identifier: MIT
/*
 * `iommufd-emu run -- CMD`: serve for one command.
 *
 * The command is forked before any thread starts and waits on a pipe until
 * the mount answers; it is the server's child, so that Yama's
 * ptrace_scope=1 lets the server read its memory.  It then enters a private
 * mount namespace (a user namespace too when not root) where /dev is a
 * tmpfs holding the real entries plus the emulated ones, so that
 * /dev/iommu and the device files of /dev/vfio/devices are where drivers look.  The preload
 * library is set up as well: it adds what a namespace cannot give (sysfs
 * views, character-device stat results), and it is the only way in when
 * namespaces are not allowed.  When the command ends, however it ends, the
 * server unmounts, removes its directories and returns the command's status.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "iommufd_emu.h"
#include "options.h"
#include "report.h"

static pid_t child = -1;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int enter_user_namespace(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return -errno;
	snprintf(map, sizeof(map), "%u %u 1", uid, uid);
	if (write_file("/proc/self/uid_map", map))
		return -EPERM;
	if (write_file("/proc/self/setgroups", "deny"))
		return -EPERM;
	snprintf(map, sizeof(map), "%u %u 1", gid, gid);
	return write_file("/proc/self/gid_map", map);
}

/* Make dst a mount point of the same kind as src, then bind src onto it. */
static int bind_entry(const char *src, const char *dst)
{
	struct stat st;
	char target[PATH_MAX];
	ssize_t n;
	int fd;

	if (lstat(src, &st))
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		return symlink(target, dst) ? -errno : 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(dst, st.st_mode & 07777) && errno != EEXIST)
			return -errno;
	} else {
		fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	return mount(src, dst, NULL, MS_BIND | MS_REC, NULL) ? -errno : 0;
}

/* Bind every entry of dir src into dst, except those named in skip. */
static int bind_all(const char *src, const char *dst, const char *const *skip)
{
	char s[PATH_MAX], d[PATH_MAX];
	struct dirent *e;
	DIR *dir = opendir(src);
	int rc = 0;

	if (!dir)
		return -errno;
	while (!rc && (e = readdir(dir))) {
		bool skipped = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");

		for (const char *const *k = skip; *k && !skipped; k++)
			skipped = !strcmp(e->d_name, *k);
		if (skipped)
			continue;
		snprintf(s, sizeof(s), "%s/%s", src, e->d_name);
		snprintf(d, sizeof(d), "%s/%s", dst, e->d_name);
		rc = bind_entry(s, d);
	}
	closedir(dir);
	return rc;
}

/* /dev as before, with the emulated nodes added; o.mount is the FUSE mount,
 * old an empty directory to hold the real /dev meanwhile. */
static int rebuild_dev(const char *mnt, const char *old)
{
	static const char *const skip_dev[] = { "iommu", "vfio", NULL };
	static const char *const skip_vfio[] = { "devices", NULL };
	static const char *const none[] = { NULL };
	char s[PATH_MAX], d[PATH_MAX];
	struct stat st;
	int rc;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("/dev", old, NULL, MS_BIND | MS_REC, NULL))
		return -errno;
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755")) {
		rc = -errno;
		umount2(old, MNT_DETACH);
		return rc;
	}
	rc = bind_all(old, "/dev", skip_dev);
	snprintf(s, sizeof(s), "%s/vfio", old);
	if (!rc && mkdir("/dev/vfio", 0755))
		rc = -errno;
	if (!rc && !stat(s, &st))
		rc = bind_all(s, "/dev/vfio", skip_vfio);
	if (!rc && mkdir("/dev/vfio/devices", 0755))
		rc = -errno;
	snprintf(s, sizeof(s), "%s/vfio/devices", mnt);
	if (!rc)
		rc = bind_all(s, "/dev/vfio/devices", none);
	snprintf(s, sizeof(s), "%s/iommu", mnt);
	snprintf(d, sizeof(d), "/dev/iommu");
	if (!rc)
		rc = bind_entry(s, d);
	umount2(old, MNT_DETACH);
	if (rc)
		umount2("/dev", MNT_DETACH);
	return rc;
}

static int enter_namespace(const char *mnt, const char *old)
{
	int rc = geteuid() == 0 ? (unshare(CLONE_NEWNS) ? -errno : 0) :
				  enter_user_namespace();

	return rc ? rc : rebuild_dev(mnt, old);
}

/* The preload library: next to the binary, or in ../lib. */
static int find_preload(char *out, size_t len)
{
	static const char *const rel[] = {
		"libiommufd-emu-preload.so", "../lib/libiommufd-emu-preload.so",
		"../lib/iommufd-emu/libiommufd-emu-preload.so",
	};
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *env = getenv("IOMMUFD_EMU_PRELOAD");

	if (env && !access(env, R_OK)) {
		snprintf(out, len, "%s", env);
		return 0;
	}
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if (snprintf(out, len, "%s/%s", exe, rel[i]) >= (int)len)
			continue;
		if (!access(out, R_OK))
			return 0;
	}
	return -ENOENT;
}

static void set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;

	if (old && *old && asprintf(&val, "%s:%s", lib, old) > 0)
		setenv("LD_PRELOAD", val, 1);
	else
		setenv("LD_PRELOAD", lib, 1);
}

/* In the child: wait for the mount, set up the way in, exec. */
static _Noreturn void start_command(const struct options *o, int go,
				    const char *mnt, const char *old)
{
	char lib[PATH_MAX], pid[32], ok;
	bool ns = false;

	if (read(go, &ok, 1) != 1 || ok != 'g')
		_exit(125);
	close(go);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (!o->no_namespace)
		ns = enter_namespace(mnt, old) == 0;
	setenv("IOMMUFD_EMU_MOUNT", mnt, 1);
	snprintf(pid, sizeof(pid), "%d", (int)getppid());
	setenv("IOMMUFD_EMU_SERVER_PID", pid, 1);
	if (!o->no_preload) {
		if (find_preload(lib, sizeof(lib)) == 0)
			set_preload(lib);
		else if (!ns)
			fprintf(stderr, "iommufd-emu: no namespace and no preload library "
					"(libiommufd-emu-preload.so): the command will not find "
					"/dev/iommu; set IOMMUFD_EMU_PRELOAD\n");
	} else if (!ns) {
		fprintf(stderr, "iommufd-emu: no private namespace here: use the files "
				"under %s\n", mnt);
	}
	execvp(o->cmd[0], o->cmd);
	fprintf(stderr, "iommufd-emu: cannot run %s: %s\n", o->cmd[0], strerror(errno));
	_exit(127);
}

static void *serve_thread(void *arg)
{
	(void)arg;
	fs_run();
	return NULL;
}

static int wait_command(void)
{
	struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };
	int status;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 126;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "iommufd-emu: %s\n", strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

int run_main(const struct options *o)
{
	char base[] = "/tmp/iommufd-emu.XXXXXX", mnt[64], old[64];
	struct options so = *o;
	struct fs_options fo = { .allow_other = o->allow_other };
	struct iemu *emu;
	pthread_t thread;
	int go[2], rc, status = 125;

	if (!mkdtemp(base) || pipe2(go, O_CLOEXEC)) {
		perror("iommufd-emu");
		return 125;
	}
	snprintf(mnt, sizeof(mnt), "%s/mnt", base);
	snprintf(old, sizeof(old), "%s/dev", base);
	if (o->mount)
		snprintf(mnt, sizeof(mnt), "%s", o->mount);
	else if (mkdir(mnt, 0700))
		goto out_dirs;
	mkdir(old, 0700);
	child = fork();
	if (child < 0)
		goto out_dirs;
	if (child == 0) {
		close(go[1]);
		start_command(o, go[0], mnt, old);
	}
	close(go[0]);
	so.mount = mnt;
	fo.mountpoint = mnt;
	rc = server_start(&so, &emu);
	if (!rc) {
		rc = fs_mount(emu, &fo);
		if (!rc && pthread_create(&thread, NULL, serve_thread, NULL) == 0) {
			if (write(go[1], "g", 1) == 1)
				status = wait_command();
			fs_stop();
			pthread_join(thread, NULL);
		}
		fs_unmount();
		server_stop(emu);
	}
	close(go[1]);
	if (status == 125)
		waitpid(child, NULL, 0);
	/* --check makes a run that reported mistakes fail, as a sanitizer does. */
	if (o->check && report_count() && status == 0)
		status = 3;
out_dirs:
	if (!o->mount)
		rmdir(mnt);
	rmdir(old);
	rmdir(base);
	return status;
}
