/* SPDX-License-Identifier: MIT */
/*
 * IOAS objects and the ioctls that act on them.
 */
#ifndef IEMU_IOAS_H
#define IEMU_IOAS_H

#include "iopt.h"
#include "obj.h"

struct iemu_ctx;
struct ucmd;

struct access;

struct ioas {
	struct obj obj;
	struct iemu_ctx *ctx;
	struct iopt iopt;
	struct access *accesses; /* attached access objects */
};

/* The IOAS with this id, or NULL. */
struct ioas *ioas_find(struct iemu_ctx *ctx, uint32_t id);

/* Allocate an IOAS (not yet finalized). */
int ioas_create(struct iemu_ctx *ctx, struct ioas **out);

int ioas_alloc_ioctl(struct ucmd *u);
int ioas_iova_ranges_ioctl(struct ucmd *u);
int ioas_allow_iovas_ioctl(struct ucmd *u);
int ioas_map_ioctl(struct ucmd *u);
int ioas_map_file_ioctl(struct ucmd *u);
int ioas_copy_ioctl(struct ucmd *u);
int ioas_unmap_ioctl(struct ucmd *u);
int ioas_change_process_ioctl(struct ucmd *u);
int ioas_option(struct ucmd *u);

#endif
