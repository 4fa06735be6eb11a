// SPDX-License-Identifier: MIT
/*
 * Model catalogue and option parsing (see model.h).
 */
#include "model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct model *const models[] = { &edu_model, &dmatest_model, NULL };

const struct model *model_find(const char *name)
{
	for (int i = 0; models[i]; i++)
		if (!strcmp(models[i]->name, name))
			return models[i];
	return NULL;
}

int model_opt_u64(struct model_opts *o, const char *key, uint64_t def,
		  uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	*out = def;
	for (unsigned int i = 0; i < o->n; i++) {
		if (strcmp(o->opt[i].key, key))
			continue;
		o->opt[i].used = true;
		errno = 0;
		*out = strtoull(o->opt[i].val, &end, 0);
		if (errno || end == o->opt[i].val || *end || *out < min || *out > max) {
			snprintf(o->err, o->errlen, "%s=%s: expected a number from %" PRIu64
				 " to %" PRIu64, key, o->opt[i].val, min, max);
			return -EINVAL;
		}
	}
	return 0;
}

int model_opts_check(struct model_opts *o, const char *model)
{
	for (unsigned int i = 0; i < o->n; i++) {
		if (!o->opt[i].used) {
			snprintf(o->err, o->errlen, "%s has no option '%s'", model, o->opt[i].key);
			return -EINVAL;
		}
	}
	return 0;
}
