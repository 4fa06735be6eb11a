/* SPDX-License-Identifier: MIT */
/*
 * Command-line options shared by `serve` and `run`.
 */
#ifndef IEMU_FUSE_OPTIONS_H
#define IEMU_FUSE_OPTIONS_H

#include <stdbool.h>

struct iemu;

struct options {
	const char *mount;
	const char *trace;
	bool check;           /* --check: report driver mistakes */
	const char *check_log; /* --check-log FILE: and as JSON lines there */
	unsigned int kernel;
	bool selftest_mock;   /* --selftest-mock: serve IOMMU_TEST_CMD */
	unsigned long long add_caps; /* --add-caps: capabilities clients get */
	bool allow_other;
	bool no_namespace;
	bool no_preload;
	const char **devices; /* --device SPEC, in order */
	unsigned int ndevices;
	const char **injects; /* --inject RULE, in order */
	unsigned int ninjects;
	unsigned long long seed; /* --seed */
	char **cmd; /* run: the command and its arguments */
};

/* Start an emulator with the options' settings, its client table and trace;
 * 0 or -errno with the reason printed. */
int server_start(const struct options *o, struct iemu **emu);
void server_stop(struct iemu *emu);

int serve_main(const struct options *o);
int run_main(const struct options *o);

#endif
