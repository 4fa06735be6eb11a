// SPDX-License-Identifier: MIT
/*
 * `iommufd-emu serve`, and the start-up both commands share.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clients.h"
#include "fs.h"
#include "iommufd_emu.h"
#include "options.h"
#include "report.h"
#include "trace.h"

static int add_devices(const struct options *o, struct iemu *emu)
{
	char err[256];

	for (unsigned int i = 0; i < o->ndevices; i++) {
		int rc = iemu_device_add(emu, o->devices[i], NULL, err, sizeof(err));

		if (rc) {
			fprintf(stderr, "iommufd-emu: --device %s: %s\n", o->devices[i],
				rc == -EINVAL ? err : strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int add_injections(const struct options *o, struct iemu *emu)
{
	struct iemu_inject rule;
	char err[256];
	int rc;

	iemu_inject_seed(emu, o->seed);
	for (unsigned int i = 0; i < o->ninjects; i++) {
		rc = iemu_inject_parse(o->injects[i], &rule, err, sizeof(err));
		if (!rc)
			rc = iemu_inject_add(emu, &rule);
		if (rc) {
			fprintf(stderr, "iommufd-emu: --inject %s: %s\n", o->injects[i],
				rc == -EINVAL ? err : strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int server_start(const struct options *o, struct iemu **emu)
{
	struct iemu_config cfg = { .kernel = o->kernel, .selftest_mock = o->selftest_mock,
				   .add_caps = o->add_caps };
	int rc = iemu_create(&cfg, emu);

	if (rc)
		return rc;
	rc = add_devices(o, *emu);
	if (!rc)
		rc = add_injections(o, *emu);
	if (rc) {
		iemu_destroy(*emu);
		return rc;
	}
	if (o->trace) {
		rc = trace_open(o->trace);
		if (rc) {
			fprintf(stderr, "iommufd-emu: cannot write the trace %s: %s\n", o->trace,
				strerror(-rc));
			iemu_destroy(*emu);
			return rc;
		}
		/* What a replayer needs to build the same emulator. */
		trace_header(o);
	}
	if (o->check) {
		rc = report_start(*emu, o->check_log);
		if (rc) {
			fprintf(stderr, "iommufd-emu: cannot write the check log %s: %s\n",
				o->check_log, strerror(-rc));
			trace_close();
			iemu_destroy(*emu);
			return rc;
		}
	}
	rc = clients_init(*emu);
	if (rc) {
		report_stop();
		trace_close();
		iemu_destroy(*emu);
	}
	return rc;
}

void server_stop(struct iemu *emu)
{
	clients_fini();
	iemu_destroy(emu);
	report_stop();
	trace_close();
}

int serve_main(const struct options *o)
{
	struct fs_options fo = {
		.mountpoint = o->mount, .allow_other = o->allow_other, .signals = true,
	};
	struct iemu *emu;
	int rc = server_start(o, &emu);

	if (rc)
		return 1;
	rc = fs_mount(emu, &fo);
	if (!rc) {
		fprintf(stderr, "iommufd-emu: serving %s\n", o->mount);
		rc = fs_run();
		fs_unmount();
	}
	server_stop(emu);
	return rc ? 1 : 0;
}
