/* SPDX-License-Identifier: MIT */
/*
 * The status view: a text snapshot of the server (clients, contexts,
 * objects, mappings, devices), served as <mount>/status and printed by
 * `iommufd-emu status DIR`.  One record per line, "key=value" fields, so
 * that tests and scripts can read it.
 */
#ifndef IEMU_FUSE_STATUS_H
#define IEMU_FUSE_STATUS_H

#include <stddef.h>
#include <sys/types.h>

struct iemu;
struct iemu_ctx;

/* An open context, as the filesystem knows it. */
struct status_ctx {
	unsigned int serial;
	pid_t opener;
	struct iemu_ctx *ctx;
};

/* Render the view; the caller frees the text. */
char *status_render(struct iemu *emu, const char *mount,
		    void (*each_ctx)(void (*fn)(void *arg, const struct status_ctx *c),
				     void *arg),
		    size_t *len);

#endif
