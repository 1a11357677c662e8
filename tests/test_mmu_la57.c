/* 5-level walks (SDM 4.5, CR4.LA57): PML5E first, 57-bit canonical addresses. */
#include "ss_check.h"
#include "testutil.h"

START_TEST(five_levels)
{
    ssb_image *img = ssb_new(SS_MODE_LA57, 4ull << 30, 3ull << 30);
    uint64_t root = ssb_new_root(img);
    const uint64_t va = 0xff5b000012345000ull; /* needs bits 56:48: beyond 4-level reach */
    ck_assert_int_eq(ssb_map(img, root, va, 0x2345000, 4096, SSB_RW), 0);
    ck_assert_int_eq(ssb_map(img, root, 0x00fe000040000000ull, 1ull << 30, 1ull << 30, SSB_US), 0);
    ss_source *src = ss_test_open_raw(img, "la57.raw");
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_LA57, root, NULL, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va + 0x321, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x2345321);
    ck_assert_uint_eq(x.nentries, 5);
    ck_assert_uint_eq(x.entries[0].level, SS_LEVEL_PML5E);
    ck_assert_uint_eq(x.entries[0].pa, root + ((va >> 48) & 0x1ff) * 8);
    ck_assert_int_eq(ss_space_walk(sp, 0x00fe00007fffffffull, &x), SS_OK);
    ck_assert_uint_eq(x.pa, (1ull << 30) + 0x3fffffff);
    ck_assert_uint_eq(x.page_size, 1ull << 30);
    /* canonical: bits 63:57 copy bit 56 */
    ck_assert_int_eq(ss_space_walk(sp, 0x0100000000000000ull, &x), SS_E_NONCANONICAL);
    ck_assert_int_eq(ss_space_walk(sp, 0xfe00000000000000ull, &x), SS_E_NONCANONICAL);
    ck_assert_int_eq(ss_space_walk(sp, 0xff00000000000000ull, &x), SS_E_NOT_PRESENT);
    ss_space_close(sp);

    /* The same image walked as 4-level reads the PML5 as a PML4: another answer, so depth matters. */
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_walk(sp, va + 0x321, &x), SS_E_NONCANONICAL);
    ss_space_close(sp);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* Software PTEs use the x64 layout under 5-level paging too. */
START_TEST(software_states)
{
    ssb_image *img = ssb_new(SS_MODE_LA57, 1ull << 30, 512ull << 20);
    uint64_t root = ssb_new_root(img);
    const uint64_t base = 0xff7b99b3c0780000ull;
    ssb_set_entry(img, root, base, 1, ssb_sw_transition(SS_MODE_LA57, 0x3456, 4));
    ssb_set_entry(img, root, base + 0x1000, 1,
                  ssb_sw_prototype(SS_MODE_LA57, SS_PTE_LAYOUT_WIN8, 0xffffb80000001230ull, 1));
    ssb_set_entry(img, root, base + 0x2000, 1,
                  ssb_sw_pagefile(SS_MODE_LA57, SS_PTE_LAYOUT_WIN8, 7, 0x99000, 4));
    ssb_set_entry(img, root, base + 0x3000, 1, ssb_sw_demand_zero(SS_MODE_LA57, SS_PTE_LAYOUT_WIN8, 4));
    ss_source *src = ss_test_open_raw(img, "la57-sw.raw");
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_LA57, root, NULL, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, base + 0x5, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_TRANSITION);
    ck_assert_uint_eq(x.pa, 0x3456005);
    ck_assert_uint_eq(x.nentries, 5);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x1000, &x), SS_E_PROTOTYPE);
    ck_assert_uint_eq(x.proto_address, 0xffffb80000001230ull);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x2000, &x), SS_E_PAGEFILE);
    ck_assert_uint_eq(x.pagefile_number, 7);
    ck_assert_uint_eq(x.pagefile_offset, 0x99000);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x3000, &x), SS_E_DEMAND_ZERO);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x4000, &x), SS_E_NOT_PRESENT);
    ss_space_close(sp);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu_la57");
    TCase *tc = tcase_create("walks");
    tcase_add_test(tc, five_levels);
    tcase_add_test(tc, software_states);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
