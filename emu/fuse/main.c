// SPDX-License-Identifier: MIT
/*
 * iommufd-emu: the command.  `serve` mounts the emulator and serves until
 * signalled; `run` serves for one command and its descendants, making the
 * files appear at their /dev paths; `status` prints a running server's view.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iommufd_emu.h"
#include "options.h"
#include "replay.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommufd-emu serve --mount DIR [OPTIONS]\n"
		"       iommufd-emu run [OPTIONS] -- CMD [ARGS...]\n"
		"       iommufd-emu status DIR\n"
		"       iommufd-emu replay FILE [--fast]\n"
		"\n"
		"Serve /dev/iommu and VFIO device cdevs from a FUSE mount.\n"
		"\n"
		"  --mount DIR      serve here (run: a private temporary directory)\n"
		"  --device SPEC    add a device: MODEL[,OPTION]..., e.g. edu, dmatest,queues=4,\n"
		"                   edu,noiommu[=refuse|nocdev|noop-attach|swpt], with bdf=,\n"
		"                   name=, emulated; repeat for more (see --list-models)\n"
		"  --list-models    describe the device models and their options\n"
		"  --trace FILE     append one JSON line per request to FILE\n"
		"  --check          report driver mistakes (DMA to unmapped or read-only\n"
		"                   memory, stale pins, unmap during DMA, unconsumed interrupts,\n"
		"                   what a client leaves behind); run then exits with status 3\n"
		"                   if the command succeeded but something was reported\n"
		"  --check-log FILE also write the reports to FILE as JSON lines\n"
		"  --inject RULE    fail things on purpose (repeatable):\n"
		"                   ioctl=NAME|*,nth=N|p=P,errno=NAME  an ioctl fails\n"
		"                   dma=CDEV|*,drop|error,nth=N|p=P    a device DMA is lost or refused\n"
		"                   pin-limit=PAGES                    pinning beyond PAGES fails\n"
		"  --seed N         seed of the p= draws (default 0): the same seed repeats a run\n"
		"  --kernel VER     behave as Linux VER: 7.3 (default) or 6.12\n"
		"  --selftest-mock  serve IOMMU_TEST_CMD, the mock protocol of the kernel's\n"
		"                   iommufd selftests (as a CONFIG_IOMMUFD_TEST kernel does)\n"
		"  --add-caps LIST  give clients these capabilities on top of their own, e.g.\n"
		"                   SYS_RESOURCE,IPC_LOCK or all (what tests written for root need)\n"
		"  --allow-other    let other users use the files (needs user_allow_other\n"
		"                   in /etc/fuse.conf when not root)\n"
		"  --no-namespace   run: do not put the files at /dev in a private namespace\n"
		"  --no-preload     run: do not preload the path-redirection library\n"
		"\n"
		"replay re-issues a --trace FILE against a fresh in-process emulator with the\n"
		"trace's devices and reports the first request whose result differs (exit\n"
		"status 1).  It keeps the recorded pacing, as device registers change with\n"
		"time; --fast issues the requests back to back.\n");
}

static int parse_kernel(const char *s, unsigned int *kver)
{
	if (!strcmp(s, "7.3"))
		*kver = IEMU_KERNEL_7_3;
	else if (!strcmp(s, "6.12"))
		*kver = IEMU_KERNEL_6_12;
	else
		return -EINVAL;
	return 0;
}

/* "SYS_RESOURCE,IPC_LOCK" (CAP_ prefix optional) or "all". */
static int parse_caps(const char *list, unsigned long long *out)
{
	static const char *const names[] = {
		"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
		"SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
		"NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
		"SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
		"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
		"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
		"SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
		"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
	};
	const unsigned int n = sizeof(names) / sizeof(names[0]);
	char *copy = strdup(list), *name, *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (name = strtok_r(copy, ",", &save); name && !rc; name = strtok_r(NULL, ",", &save)) {
		unsigned int i;

		if (!strncasecmp(name, "CAP_", 4))
			name += 4;
		if (!strcasecmp(name, "all")) {
			*out |= (1ULL << n) - 1;
			continue;
		}
		for (i = 0; i < n && strcasecmp(name, names[i]); i++)
			;
		if (i == n)
			rc = -EINVAL;
		else
			*out |= 1ULL << i;
	}
	free(copy);
	return rc;
}

static int append(const char ***list, unsigned int *n, const char *item)
{
	const char **bigger = realloc(*list, (*n + 1) * sizeof(*bigger));

	if (!bigger)
		return -ENOMEM;
	*list = bigger;
	(*list)[(*n)++] = item;
	return 0;
}

static int parse(int argc, char **argv, struct options *o)
{
	char *end;
	static const struct option longopts[] = {
		{ "mount", required_argument, NULL, 'm' },
		{ "device", required_argument, NULL, 'd' },
		{ "list-models", no_argument, NULL, 'L' },
		{ "trace", required_argument, NULL, 't' },
		{ "check", no_argument, NULL, 'c' },
		{ "inject", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 's' },
		{ "check-log", required_argument, NULL, 'C' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "selftest-mock", no_argument, NULL, 'T' },
		{ "add-caps", required_argument, NULL, 'A' },
		{ "allow-other", no_argument, NULL, 'a' },
		{ "no-namespace", no_argument, NULL, 'N' },
		{ "no-preload", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->mount = optarg;
			break;
		case 'd':
			if (append(&o->devices, &o->ndevices, optarg))
				return -ENOMEM;
			break;
		case 'i':
			if (append(&o->injects, &o->ninjects, optarg))
				return -ENOMEM;
			break;
		case 's':
			o->seed = strtoull(optarg, &end, 0);
			if (!*optarg || *end) {
				fprintf(stderr, "iommufd-emu: --seed %s: expected a number\n", optarg);
				return -EINVAL;
			}
			break;
		case 'L':
			for (unsigned int i = 0; iemu_model_help(i); i++)
				printf("%s\n", iemu_model_help(i));
			exit(0);
		case 't':
			o->trace = optarg;
			break;
		case 'c':
			o->check = true;
			break;
		case 'C':
			o->check = true;
			o->check_log = optarg;
			break;
		case 'k':
			if (parse_kernel(optarg, &o->kernel)) {
				fprintf(stderr, "iommufd-emu: --kernel %s: use 7.3 or 6.12\n", optarg);
				return -EINVAL;
			}
			break;
		case 'T':
			o->selftest_mock = true;
			break;
		case 'A':
			if (parse_caps(optarg, &o->add_caps)) {
				fprintf(stderr, "iommufd-emu: --add-caps %s: expected capability names "
						"(SYS_RESOURCE,IPC_LOCK,...) or all\n", optarg);
				return -EINVAL;
			}
			break;
		case 'a':
			o->allow_other = true;
			break;
		case 'N':
			o->no_namespace = true;
			break;
		case 'P':
			o->no_preload = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	o->cmd = argv + optind;
	return 0;
}

static int status_main(const char *dir)
{
	char path[4096], buf[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/status", dir);
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "iommufd-emu: no server answers at %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)))
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "status")) {
		if (argc != 3) {
			usage(stderr);
			return 2;
		}
		return status_main(argv[2]);
	}
	if (!strcmp(argv[1], "replay"))
		return replay_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "serve") || !strcmp(argv[1], "run")) {
		if (parse(argc - 1, argv + 1, &o)) {
			free(o.devices);
			free(o.injects);
			return 2;
		}
		if (argv[1][0] == 's' && (!o.mount || *o.cmd)) {
			fprintf(stderr, "iommufd-emu: serve needs --mount DIR and no command\n");
			rc = 2;
		} else if (argv[1][0] == 'r' && !*o.cmd) {
			fprintf(stderr, "iommufd-emu: run needs a command after --\n");
			rc = 2;
		} else {
			rc = argv[1][0] == 's' ? serve_main(&o) : run_main(&o);
		}
		free(o.devices);
		free(o.injects);
		return rc;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "iommufd-emu: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
