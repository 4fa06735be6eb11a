/* SPDX-License-Identifier: MIT */
/*
 * A context: what one open of /dev/iommu holds.  One mutex serialises the
 * requests of a context, as each ioctl of the kernel runs to completion
 * against the context's state.
 */
#ifndef IEMU_CTX_H
#define IEMU_CTX_H

#include <pthread.h>

#include "account.h"
#include "idalloc.h"
#include "imap.h"
#include "iommufd_emu.h"

struct ioas;
struct obj;

struct iemu_ctx {
	struct iemu *emu;
	pthread_mutex_t lock;
	unsigned int refs;       /* the open file, plus bound devices */
	struct obj **slots;      /* by id; NULL while an id is only reserved */
	size_t nslots;
	struct idalloc ids;
	unsigned int nobjs;
	enum account_mode account_mode;
	struct ioas *vfio_ioas;  /* the VFIO compatibility IOAS, not a reference */
	struct imap mmaps;       /* offset -> struct immap (immap.c) */
	unsigned int visit;      /* generation of walks that see each page set once */
	struct iemu_proc *self;  /* the in-process caller of iemu_ioctl() */
	struct iemu_ctx *next;
};

#endif
