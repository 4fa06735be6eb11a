/* SPDX-License-Identifier: MIT */
/*
 * The catalogue of device models and their options ("dmatest,queues=4").
 */
#ifndef IEMU_MOCKDEV_MODEL_H
#define IEMU_MOCKDEV_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

#define MODEL_MAX_OPTS 16

/* Options left for the model after the emulator took its own. */
struct model_opts {
	struct {
		const char *key, *val;
		bool used;
	} opt[MODEL_MAX_OPTS];
	unsigned int n;
	char *err;          /* where to explain a refusal */
	unsigned long errlen;
};

/* An unsigned option: 0 (default or value set), or -EINVAL with err set. */
int model_opt_u64(struct model_opts *o, const char *key, uint64_t def,
		  uint64_t min, uint64_t max, uint64_t *out);

/* -EINVAL, naming the first option no one used. */
int model_opts_check(struct model_opts *o, const char *model);

struct model {
	const char *name;
	const char *help;   /* one line: what it is and its options */
	/* Create the function; its BARs start at host address bar_base. */
	int (*create)(struct model_opts *o, uint64_t bar_base, struct pcifn **out);
};

/* The model of that name, or NULL. */
const struct model *model_find(const char *name);

/* All models, NULL-terminated. */
extern const struct model *const models[];

extern const struct model edu_model;
extern const struct model dmatest_model;

#endif
