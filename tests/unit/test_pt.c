// SPDX-License-Identifier: MIT
/*
 * The fake IO page table: large leaves, translation, cutting leaves on
 * unmap, permissions, dirty bits; and the chain the DMA engine will follow,
 * IOVA -> fake physical address -> page set -> the process's address.
 */
#include "helpers.h"
#include "emu.h"
#include "pages.h"
#include "physmem.h"
#include "pt.h"

static void test_leaves_translate_and_split(void **state)
{
	struct pt pt;
	struct pt_xlate x;

	(void)state;
	pt_init(&pt, 0, (1ULL << 48) - 1, PG, false);
	assert_int_equal(pt_map(&pt, 0x10000, 0x1ffff, 0x100000000, PT_READ), 0);
	assert_int_equal(pt_map(&pt, 0x1f000, 0x20fff, 0x200000000, PT_READ), -EEXIST);
	assert_int_equal(pt_map(&pt, 0x30800, 0x30fff, 0x200000000, PT_READ), -EINVAL);
	assert_int_equal(pt_map(&pt, 1ULL << 48, (1ULL << 48) + PG - 1, 0, PT_READ),
			 -EINVAL);
	assert_int_equal(pt_translate(&pt, 0x12345, &x), 0);
	assert_int_equal(x.pa, 0x100002345);
	assert_int_equal(x.prot, PT_READ);
	assert_int_equal(x.leaf_bytes, 0x20000 - 0x12345);
	assert_int_equal(pt_translate(&pt, 0x20000, &x), -ENOENT);
	/* Unmapping the middle cuts the leaf in two. */
	assert_int_equal(pt_unmap(&pt, 0x14000, 0x14fff), PG);
	assert_int_equal(pt_leaves(&pt), 2);
	assert_int_equal(pt_translate(&pt, 0x14000, &x), -ENOENT);
	assert_int_equal(pt_translate(&pt, 0x15000, &x), 0);
	assert_int_equal(x.pa, 0x100005000);
	assert_int_equal(pt_unmap(&pt, 0, UINT64_MAX), 0x10000 - PG);
	assert_int_equal(pt_leaves(&pt), 0);
	pt_destroy(&pt);
}

static void test_a_huge_mapping_is_one_leaf(void **state)
{
	struct pt pt;
	struct pt_xlate x;
	size_t small;

	(void)state;
	pt_init(&pt, 0, UINT64_MAX, PG, false);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1fff, 0x100000000, PT_READ), 0);
	small = pt_memory(&pt);
	pt_unmap(&pt, 0, UINT64_MAX);
	assert_int_equal(pt_map(&pt, 1ULL << 40, (1ULL << 40) + (64ULL << 30) - 1,
				0x200000000, PT_READ | PT_WRITE), 0);
	assert_int_equal(pt_leaves(&pt), 1);
	assert_int_equal(pt_memory(&pt), small);
	assert_int_equal(pt_translate(&pt, (1ULL << 40) + (64ULL << 30) - 1, &x), 0);
	assert_int_equal(x.pa, 0x200000000 + (64ULL << 30) - 1);
	assert_int_equal(x.prot, PT_READ | PT_WRITE);
	pt_destroy(&pt);
}

struct runs {
	uint64_t iova[8], len[8];
	int n;
};

static void collect(void *arg, uint64_t iova, uint64_t len)
{
	struct runs *r = arg;

	r->iova[r->n] = iova;
	r->len[r->n++] = len;
}

static void test_dirty_bits(void **state)
{
	struct pt pt;
	struct runs r = { .n = 0 };

	(void)state;
	pt_init(&pt, 0, UINT64_MAX, PG, true);
	/* Writes before tracking starts leave no trace. */
	pt_mark_dirty(&pt, 0x1000, 1);
	pt_set_dirty_tracking(&pt, true);
	pt_mark_dirty(&pt, 0x10010, 8);
	pt_mark_dirty(&pt, 0x11ff0, 0x20);     /* crosses a page boundary */
	pt_mark_dirty(&pt, 0x20000, 1);
	pt_read_dirty(&pt, 0, UINT64_MAX, true, collect, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.iova[0], 0x10000);
	assert_int_equal(r.len[0], 3 * PG);
	assert_int_equal(r.iova[1], 0x20000);
	/* Reading part of a run clears just that part. */
	r.n = 0;
	pt_read_dirty(&pt, 0x11000, 0x11fff, false, collect, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.len[0], PG);
	r.n = 0;
	pt_read_dirty(&pt, 0, UINT64_MAX, false, collect, &r);
	assert_int_equal(r.n, 3);
	r.n = 0;
	pt_read_dirty(&pt, 0, UINT64_MAX, false, collect, &r);
	assert_int_equal(r.n, 0);
	/* Re-enabling clears stale bits. */
	pt_mark_dirty(&pt, 0x30000, 1);
	pt_set_dirty_tracking(&pt, true);
	pt_read_dirty(&pt, 0, UINT64_MAX, true, collect, &r);
	assert_int_equal(r.n, 0);
	pt_destroy(&pt);
}

static void test_iova_resolves_to_the_mapped_address(void **state)
{
	struct fx *f = *state;
	uint32_t ioas = ioas_alloc(f);
	long hwpt_id = add_domain(f, ioas, NULL);
	char *buf = pages(8);
	struct hwpt *hwpt;
	struct pt_xlate x;
	void *owner;
	uint64_t off;
	struct pages *p;

	assert_true(hwpt_id > 0);
	hwpt = hwpt_of(f, (uint32_t)hwpt_id);
	assert_int_equal(map_at(f, ioas, buf + 2 * PG, 4 * PG, 0x40000000,
				IOMMU_IOAS_MAP_READABLE), 0);
	pt_read_lock(&hwpt->pt);
	assert_int_equal(pt_translate(&hwpt->pt, 0x40001234, &x), 0);
	pt_read_unlock(&hwpt->pt);
	assert_int_equal(x.prot, PT_READ);
	assert_true(physmem_resolve(&f->emu->phys, x.pa, &owner, &off));
	p = owner;
	assert_int_equal(p->type, PAGES_USER);
	assert_int_equal(p->uptr + off, (uintptr_t)buf + 3 * PG + 0x234);
	/* Unmapped: no translation, and the physical pages are released. */
	assert_int_equal(unmap(f, ioas, 0x40000000, 4 * PG, NULL), 0);
	assert_int_equal(pt_translate(&hwpt->pt, 0x40001234, &x), -ENOENT);
	assert_false(physmem_resolve(&f->emu->phys, x.pa, &owner, &off));
	munmap(buf, 8 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaves_translate_and_split),
		cmocka_unit_test(test_a_huge_mapping_is_one_leaf),
		cmocka_unit_test(test_dirty_bits),
		cmocka_unit_test_setup_teardown(test_iova_resolves_to_the_mapped_address, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
