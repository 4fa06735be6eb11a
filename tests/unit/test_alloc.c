// SPDX-License-Identifier: MIT
/*
 * Automatic IOVA allocation against a plain re-statement of the kernel's
 * algorithm (io_pagetable.c: iopt_alloc_iova): spans of allowed ranges,
 * holes of areas and reserved ranges, lowest first, aligned start with the
 * source's page offset.  The emulator finds the same address with its gap
 * index; random states check that both always agree.
 */
#include <stdlib.h>

#include "helpers.h"
#include "emu.h"
#include "iopt.h"

struct ival {
	uint64_t s, l;
};

static int by_start(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	return x->s < y->s ? -1 : x->s > y->s;
}

/* Merge overlapping or touching intervals, clipped to [lo, hi]. */
static size_t spans(struct ival *v, size_t n, uint64_t lo, uint64_t hi,
		    struct ival *out)
{
	size_t k = 0;

	qsort(v, n, sizeof(*v), by_start);
	for (size_t i = 0; i < n; i++) {
		if (v[i].l < lo || v[i].s > hi)
			continue;
		if (k && (out[k - 1].l == UINT64_MAX || v[i].s <= out[k - 1].l + 1)) {
			if (v[i].l > out[k - 1].l)
				out[k - 1].l = v[i].l;
			continue;
		}
		out[k++] = v[i];
	}
	for (size_t i = 0; i < k; i++) {
		if (out[i].s < lo)
			out[i].s = lo;
		if (out[i].l > hi)
			out[i].l = hi;
	}
	return k;
}

static bool check_range(uint64_t *start, uint64_t last, uint64_t length,
			uint64_t align, uint64_t off)
{
	uint64_t a;

	if (__builtin_add_overflow(*start, align - 1, &a))
		return false;
	a = (a & ~(align - 1)) | off;
	if (a >= last || last - a < length - 1)
		return false;
	*start = a;
	return true;
}

static int reference(struct ival *areas, size_t na, struct ival *resv, size_t nr,
		     struct ival *allowed, size_t nal, uint64_t min_align,
		     uint64_t addr, uint64_t length, uint64_t *iova)
{
	struct ival used[512], uspan[512], aspan[512], both[512];
	uint64_t align, lo = PG, hi = UINT64_MAX - PG;
	size_t nu, nas;

	if (length == 0 || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	align = 1;
	while (align < length)
		align <<= 1;
	if (addr && (addr & -addr) < align)
		align = addr & -addr;
	if (align >= (2ULL << 20))
		align = 2ULL << 20;
	if (align < min_align)
		return -EINVAL;
	if (nal) {
		memcpy(aspan, allowed, nal * sizeof(*aspan));
		nas = spans(aspan, nal, lo, hi, aspan);
	} else {
		aspan[0] = (struct ival){ lo, hi };
		nas = 1;
	}
	memcpy(used, areas, na * sizeof(*used));
	memcpy(used + na, resv, nr * sizeof(*used));
	for (size_t i = 0; i < nas; i++) {
		uint64_t s = aspan[i].s, l = aspan[i].l, cur;

		if (!check_range(&s, l, length, align, addr % PG))
			continue;
		memcpy(both, used, (na + nr) * sizeof(*both));
		nu = spans(both, na + nr, s, l, uspan);
		cur = s;
		for (size_t j = 0; j <= nu; j++) {
			uint64_t hs = cur, hl = j < nu ? uspan[j].s - 1 : l;

			if (j < nu && uspan[j].s <= cur) {
				if (uspan[j].l >= l)
					break;
				cur = uspan[j].l + 1;
				continue;
			}
			if (hs <= hl && check_range(&hs, hl, length, align, addr % PG)) {
				*iova = hs;
				return 0;
			}
			if (j == nu || uspan[j].l >= l)
				break;
			cur = uspan[j].l + 1;
		}
	}
	return -ENOSPC;
}

static uint64_t rnd(uint64_t n)
{
	return ((uint64_t)random() << 31 ^ (uint64_t)random()) % n;
}

static bool overlaps(const struct ival *v, size_t n, uint64_t s, uint64_t l)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].s <= l && v[i].l >= s)
			return true;
	return false;
}

static void one_state(uint64_t space)
{
	struct ival areas[128], resv[8], allowed[8];
	size_t na = 0, nr = 0, nal = 0;
	struct iopt iopt;

	iopt_init(&iopt);
	iopt.iova_alignment = rnd(4) ? 1 : PG;
	for (int i = 0; i < 100; i++) {
		uint64_t s = rnd(space), l = s + rnd(0x4000);

		if (!overlaps(areas, na, s, l) && imap_insert(&iopt.areas, s, l, 0) == 0)
			areas[na++] = (struct ival){ s, l };
	}
	for (int i = 0; i < 4; i++) {
		uint64_t s = rnd(space), l = s + rnd(0x8000);

		if (rnd(2) && iopt_reserve(&iopt, s, l, NULL) == 0)
			resv[nr++] = (struct ival){ s, l };
	}
	if (rnd(2)) {
		for (int i = 0; i < 4; i++) {
			uint64_t s = rnd(space), l = s + 1 + rnd(space / 4);

			if (!overlaps(allowed, nal, s, l) && !overlaps(resv, nr, s, l) &&
			    imap_insert(&iopt.allowed, s, l, 0) == 0)
				allowed[nal++] = (struct ival){ s, l };
		}
	}
	for (int q = 0; q < 50; q++) {
		uint64_t len = 1 + rnd(rnd(2) ? 0x3000 : 64);
		uint64_t addr = rnd(4) ? rnd(1ULL << 40) : (rnd(2) ? 0 : rnd(64) << 12);
		uint64_t got = 0, want = 0;
		int rc = iopt_alloc_iova(&iopt, &got, addr, len);

		assert_int_equal(rc, reference(areas, na, resv, nr, allowed, nal,
					       iopt.iova_alignment, addr, len, &want));
		if (!rc)
			assert_int_equal(got, want);
	}
	imap_destroy(&iopt.areas);
	iopt.areas = (struct imap){ 0 };
	imap_destroy(&iopt.allowed);
	free(iopt.resv);
}

static void test_matches_the_kernel_algorithm_dense(void **state)
{
	(void)state;
	srandom(7);
	for (int i = 0; i < 300; i++)
		one_state(0x40000);
}

static void test_matches_the_kernel_algorithm_sparse(void **state)
{
	(void)state;
	srandom(8);
	for (int i = 0; i < 300; i++)
		one_state(1ULL << 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_the_kernel_algorithm_dense),
		cmocka_unit_test(test_matches_the_kernel_algorithm_sparse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
