// SPDX-License-Identifier: MIT
/*
 * idalloc: lowest-free id allocation (see idalloc.h).  Bit 0 of word 0 stands
 * for id 0, which is never handed out, so it is marked used at start.
 */
#include "idalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void idalloc_init(struct idalloc *ida, uint32_t max)
{
	memset(ida, 0, sizeof(*ida));
	ida->max = max;
}

void idalloc_destroy(struct idalloc *ida)
{
	free(ida->used);
	free(ida->full);
	idalloc_init(ida, ida->max);
}

static int grow(struct idalloc *ida)
{
	size_t nwords = ida->nwords ? ida->nwords * 2 : 4;
	size_t old_full = (ida->nwords + 63) / 64, new_full = (nwords + 63) / 64;
	uint64_t *used, *full;

	used = realloc(ida->used, nwords * sizeof(*used));
	if (!used)
		return -ENOMEM;
	ida->used = used;
	full = realloc(ida->full, new_full * sizeof(*full));
	if (!full)
		return -ENOMEM;
	ida->full = full;
	memset(used + ida->nwords, 0, (nwords - ida->nwords) * sizeof(*used));
	memset(full + old_full, 0, (new_full - old_full) * sizeof(*full));
	if (!ida->nwords)
		used[0] = 1; /* id 0 */
	ida->nwords = nwords;
	return 0;
}

static size_t first_nonfull_word(const struct idalloc *ida)
{
	for (size_t f = ida->hint / 64; f < (ida->nwords + 63) / 64; f++) {
		uint64_t free_words = ~ida->full[f];

		if (f == ida->hint / 64)
			free_words &= ~0ULL << (ida->hint % 64);
		if (free_words) {
			size_t w = f * 64 + (size_t)__builtin_ctzll(free_words);

			if (w < ida->nwords)
				return w;
		}
	}
	return ida->nwords;
}

int64_t idalloc_get(struct idalloc *ida)
{
	size_t w = first_nonfull_word(ida);
	uint64_t id;

	if (w == ida->nwords) {
		if ((uint64_t)ida->nwords * 64 > ida->max)
			return -EBUSY;
		if (grow(ida))
			return -ENOMEM;
	}
	id = w * 64 + (uint64_t)__builtin_ctzll(~ida->used[w]);
	if (id > ida->max)
		return -EBUSY;
	ida->used[w] |= 1ULL << (id % 64);
	if (ida->used[w] == ~0ULL)
		ida->full[w / 64] |= 1ULL << (w % 64);
	ida->hint = w;
	return (int64_t)id;
}

void idalloc_put(struct idalloc *ida, uint32_t id)
{
	size_t w = id / 64;

	if (!id || w >= ida->nwords)
		return;
	ida->used[w] &= ~(1ULL << (id % 64));
	ida->full[w / 64] &= ~(1ULL << (w % 64));
	if (w < ida->hint)
		ida->hint = w;
}

bool idalloc_used(const struct idalloc *ida, uint32_t id)
{
	size_t w = id / 64;

	return id && w < ida->nwords && (ida->used[w] >> (id % 64)) & 1;
}
