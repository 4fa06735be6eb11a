// SPDX-License-Identifier: MIT
/*
 * imap against a naive sorted-array model: random inserts and removals with
 * overlap rejection, lookups, first-intersecting, walks and gap searches.
 */
#include <stdlib.h>

#include "helpers.h"
#include "imap.h"

#define MAXN 4096

struct model {
	struct imap_entry e[MAXN];
	size_t n;
};

static bool model_overlaps(const struct model *m, uint64_t s, uint64_t l)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].start <= l && m->e[i].last >= s)
			return true;
	return false;
}

static void model_insert(struct model *m, uint64_t s, uint64_t l, uint64_t v)
{
	size_t i = m->n;

	while (i && m->e[i - 1].start > s) {
		m->e[i] = m->e[i - 1];
		i--;
	}
	m->e[i] = (struct imap_entry){ s, l, v };
	m->n++;
}

static void model_remove(struct model *m, size_t i)
{
	memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(m->e[0]));
	m->n--;
}

static bool model_gap(const struct model *m, uint64_t lo, uint64_t hi,
		      uint64_t min_len, uint64_t *gs, uint64_t *gl)
{
	uint64_t s = 0;
	bool have = true;

	for (size_t i = 0; i <= m->n; i++) {
		uint64_t e = i < m->n ? (m->e[i].start ? m->e[i].start - 1 : 0) :
					UINT64_MAX;
		bool empty = i < m->n && (m->e[i].start == 0 || m->e[i].start <= s);
		uint64_t cs = s < lo ? lo : s, ce = e > hi ? hi : e;

		if (have && !empty && cs <= ce && ce - cs >= min_len - 1) {
			*gs = cs;
			*gl = ce;
			return true;
		}
		if (i < m->n) {
			if (m->e[i].last == UINT64_MAX)
				have = false;
			else
				s = m->e[i].last + 1;
		}
	}
	return false;
}

static uint64_t rnd(uint64_t n)
{
	return ((uint64_t)random() << 31 ^ (uint64_t)random()) % n;
}

static void check_same(struct imap *map, struct model *m, uint64_t space)
{
	struct imap_entry e, me;
	struct imap_iter it;
	size_t i = 0;

	assert_int_equal(imap_count(map), m->n);
	for (bool ok = imap_iter_first(map, 0, UINT64_MAX, &it, &e); ok;
	     ok = imap_iter_next(&it, &e), i++) {
		assert_true(i < m->n);
		assert_int_equal(e.start, m->e[i].start);
		assert_int_equal(e.last, m->e[i].last);
		assert_int_equal(e.val, m->e[i].val);
	}
	assert_int_equal(i, m->n);
	for (int k = 0; k < 20; k++) {
		uint64_t a = rnd(space), b = a + rnd(space / 8 + 1);
		bool found = false;

		for (i = 0; i < m->n && !found; i++)
			if (m->e[i].start <= b && m->e[i].last >= a) {
				me = m->e[i];
				found = true;
			}
		assert_int_equal(imap_first(map, a, b, &e), found);
		if (found)
			assert_int_equal(e.start, me.start);
		found = false;
		for (i = 0; i < m->n; i++)
			if (m->e[i].start <= a && m->e[i].last >= a)
				found = true;
		assert_int_equal(imap_find(map, a, &e), found);
	}
	for (int k = 0; k < 20; k++) {
		uint64_t lo = rnd(space), hi = lo + rnd(space), len = 1 + rnd(64);
		uint64_t gs = 0, gl = 0, ms = 0, ml = 0;
		bool got = imap_next_gap(map, lo, hi, len, &gs, &gl);

		assert_int_equal(got, model_gap(m, lo, hi, len, &ms, &ml));
		if (got) {
			assert_int_equal(gs, ms);
			assert_int_equal(gl, ml);
		}
	}
}

static void random_run(uint64_t space, uint64_t maxlen, int ops)
{
	struct model *m = calloc(1, sizeof(*m));
	struct imap map;

	imap_init(&map);
	for (int op = 0; op < ops; op++) {
		if (rnd(3) && m->n < MAXN) {
			uint64_t s = rnd(space), l = s + rnd(maxlen);
			bool overlap = model_overlaps(m, s, l);

			assert_int_equal(imap_insert(&map, s, l, s * 3),
					 overlap ? -EEXIST : 0);
			if (!overlap)
				model_insert(m, s, l, s * 3);
		} else if (m->n) {
			size_t i = rnd(m->n);
			struct imap_entry e;

			assert_true(imap_remove(&map, m->e[i].start, &e));
			assert_int_equal(e.last, m->e[i].last);
			model_remove(m, i);
			assert_false(imap_remove(&map, e.start, NULL));
		}
		assert_int_equal(imap_verify(&map), 0);
		if (op % 64 == 0)
			check_same(&map, m, space);
	}
	check_same(&map, m, space);
	while (m->n) {
		assert_true(imap_remove(&map, m->e[0].start, NULL));
		model_remove(m, 0);
	}
	assert_int_equal(imap_count(&map), 0);
	assert_int_equal(map.nodes, 0);
	imap_destroy(&map);
	free(m);
}

static void test_random_dense(void **state)
{
	(void)state;
	srandom(1);
	random_run(20000, 8, 30000);
}

static void test_random_sparse(void **state)
{
	(void)state;
	srandom(2);
	random_run(1ULL << 40, 1ULL << 20, 20000);
}

static void test_edges_of_the_space(void **state)
{
	struct imap map;
	struct imap_entry e;
	uint64_t gs, gl;

	(void)state;
	imap_init(&map);
	assert_true(imap_next_gap(&map, 0, UINT64_MAX, UINT64_MAX, &gs, &gl));
	assert_int_equal(gs, 0);
	assert_int_equal(gl, UINT64_MAX);
	assert_int_equal(imap_insert(&map, 5, 4, 0), -EINVAL);
	assert_int_equal(imap_insert(&map, UINT64_MAX - 9, UINT64_MAX, 1), 0);
	assert_int_equal(imap_insert(&map, 0, 9, 2), 0);
	assert_true(imap_find(&map, UINT64_MAX, &e));
	assert_int_equal(e.val, 1);
	assert_true(imap_next_gap(&map, 0, UINT64_MAX, 1, &gs, &gl));
	assert_int_equal(gs, 10);
	assert_int_equal(gl, UINT64_MAX - 10);
	assert_false(imap_next_gap(&map, UINT64_MAX - 5, UINT64_MAX, 1, &gs, &gl));
	assert_int_equal(imap_insert(&map, 10, UINT64_MAX - 10, 3), 0);
	assert_false(imap_next_gap(&map, 0, UINT64_MAX, 1, &gs, &gl));
	imap_destroy(&map);
}

static void test_gap_search_skips_small_gaps(void **state)
{
	struct imap map;
	uint64_t gs, gl;

	(void)state;
	imap_init(&map);
	/* 100000 entries of 4 separated by 1-address gaps, then a big gap. */
	for (uint64_t i = 0; i < 100000; i++)
		assert_int_equal(imap_insert(&map, i * 5, i * 5 + 3, 0), 0);
	assert_int_equal(imap_insert(&map, 1000000, 1000010, 0), 0);
	assert_true(imap_next_gap(&map, 0, UINT64_MAX, 2, &gs, &gl));
	assert_int_equal(gs, 499999);
	assert_int_equal(gl, 999999);
	assert_true(imap_next_gap(&map, 0, UINT64_MAX, 1, &gs, &gl));
	assert_int_equal(gs, 4);
	assert_int_equal(gl, 4);
	imap_destroy(&map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_dense),
		cmocka_unit_test(test_random_sparse),
		cmocka_unit_test(test_edges_of_the_space),
		cmocka_unit_test(test_gap_search_skips_small_gaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
