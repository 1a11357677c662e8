/*
 * 32-bit (non-PAE) walks (SDM 4.3): 4-byte entries, 4 KiB pages and 4 MiB pages
 * with PSE-36, CR4.PSE off, and the non-PAE Windows software PTE layout.
 */
#include "ss_check.h"
#include "testutil.h"

#define MiB (1ull << 20)

static ssb_image *img;
static uint64_t root;

static void setup(void)
{
    /* 8 GiB so a PSE-36 4 MiB page above 4 GiB is inside the image */
    img = ssb_new(SS_MODE_X86, 8ull << 30, 32 * MiB);
    ck_assert_ptr_nonnull(img);
    root = ssb_new_root(img);
}

static void teardown(void)
{
    ssb_free(img);
}

static ss_space *open_space(ss_source **src, const ss_space_options *opts)
{
    return ss_check_open_space(img, SS_MODE_X86, root, opts, src);
}

START_TEST(small_page)
{
    ck_assert_int_eq(ssb_map(img, root, 0x80123000, 0x456000, 4096, SSB_RW), 0);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, 0x80123fff, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x456fff);
    ck_assert_uint_eq(x.nentries, 2);
    ck_assert_uint_eq(x.entries[0].level, SS_LEVEL_PDE);
    ck_assert_uint_eq(x.entries[0].pa, root + (0x80123000 >> 22) * 4);
    ck_assert_uint_eq(x.entries[1].value, 0x456000 | SSB_P | SSB_RW);
    ck_assert_uint_eq(x.flags & (SS_XLAT_F_RW | SS_XLAT_F_US | SS_XLAT_F_NX), SS_XLAT_F_RW);
    ck_assert_int_eq(ss_space_walk(sp, 0x100000000ull, &x), SS_E_NONCANONICAL);
    ss_check_close_space(sp, src);
}
END_TEST

START_TEST(large_4m_and_pse36)
{
    ck_assert_int_eq(ssb_map(img, root, 0x80000000, 0x1c00000, 4 * MiB, SSB_RW), 0);
    ck_assert_int_eq(ssb_map(img, root, 0x80400000, 0x140000000ull, 4 * MiB, SSB_RW), 0); /* PA 5 GiB */
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, 0x803abcde, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x1c00000 + 0x3abcde);
    ck_assert_uint_eq(x.page_size, 4 * MiB);
    ck_assert_uint_eq(x.nentries, 1);
    ck_assert_int_eq(ss_space_walk(sp, 0x80400010, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x140000010ull);
    ss_check_close_space(sp, src);
}
END_TEST

/* With CR4.PSE clear, PDE.PS is ignored and the PDE is read as a page-table pointer. */
START_TEST(no_pse)
{
    ck_assert_int_eq(ssb_map(img, root, 0x80000000, 0x1c00000, 4 * MiB, SSB_RW), 0);
    uint32_t pte = 0x9000 | 1;
    ssb_write(img, 0x1c00000 + 5 * 4, &pte, 4); /* the "page table" at 0x1c00000, entry 5 */
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.no_pse = 1;
    ss_source *src;
    ss_space *sp = open_space(&src, &o);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, 0x80005123, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x9123);
    ck_assert_uint_eq(x.page_size, 4096);
    ss_check_close_space(sp, src);
}
END_TEST

START_TEST(software_states)
{
    const uint64_t base = 0xe1000000;
    ssb_set_entry(img, root, base + 0x0000, 1, ssb_sw_transition(SS_MODE_X86, 0xabcd, 4));
    ssb_set_entry(img, root, base + 0x1000, 1,
                  ssb_sw_prototype(SS_MODE_X86, SS_PTE_LAYOUT_WIN7, 0x12345678 & ~3u, 0));
    ssb_set_entry(img, root, base + 0x2000, 1,
                  ssb_sw_pagefile(SS_MODE_X86, SS_PTE_LAYOUT_WIN7, 1, 0x12345000, 4));
    ssb_set_entry(img, root, base + 0x3000, 1, ssb_sw_demand_zero(SS_MODE_X86, SS_PTE_LAYOUT_WIN7, 4));
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.proto_base = 0xe1000000; /* MmProtopteBase */
    ss_source *src;
    ss_space *sp = open_space(&src, &o);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, base + 0x10, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_TRANSITION);
    ck_assert_uint_eq(x.pa, 0xabcd010);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x1000, &x), SS_E_PROTOTYPE);
    ck_assert_uint_eq(x.proto_address, 0xe1000000 + (0x12345678 & ~3u));
    ck_assert_int_eq(ss_space_walk(sp, base + 0x2000, &x), SS_E_PAGEFILE);
    ck_assert_uint_eq(x.pagefile_number, 1);
    ck_assert_uint_eq(x.pagefile_offset, 0x12345000);
    ck_assert_uint_eq(x.protection, 4);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x3000, &x), SS_E_DEMAND_ZERO);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x4000, &x), SS_E_NOT_PRESENT);
    /* a PDE that is paged out */
    ss_check_close_space(sp, src);
    ssb_set_entry(img, root, 0x40000000, SS_LEVEL_PDE,
                  ssb_sw_pagefile(SS_MODE_X86, SS_PTE_LAYOUT_WIN7, 0, 0x3000, 4));
    sp = open_space(&src, &o);
    ck_assert_int_eq(ss_space_walk(sp, 0x40000000, &x), SS_E_PAGEFILE);
    ck_assert_int_eq(x.level, SS_LEVEL_PDE);
    ck_assert_uint_eq(x.pagefile_offset, 0x3000);
    ss_check_close_space(sp, src);
}
END_TEST

START_TEST(bad_entries)
{
    /* a PDE naming a page table past the end: entries are 32-bit so the max is 4 GiB - fits; use a small
     * image */
    ssb_image *small = ssb_new(SS_MODE_X86, 1 * MiB, 512 * 1024);
    uint64_t r = ssb_new_root(small);
    ssb_set_entry(small, r, 0x80000000, SS_LEVEL_PDE, 0x7ff00000 | SSB_P);
    ck_assert_int_eq(ssb_map(small, r, 0x90000000, 0x3ff00000, 4096, SSB_RW), 0);
    ss_source *src = ss_test_open_raw(small, "x86-small.raw");
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X86, r, NULL, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, 0x80000000, &x), SS_E_BAD_PFN);
    ck_assert_int_eq(x.level, SS_LEVEL_PTE);
    /* a leaf frame past the image translates; it is the read that fails */
    ck_assert_int_eq(ss_space_walk(sp, 0x90000004, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_VALID);
    ck_assert_uint_eq(x.pa, 0x3ff00004);
    ck_assert_uint_eq(x.flags & SS_XLAT_F_NOT_IN_SOURCE, SS_XLAT_F_NOT_IN_SOURCE);
    uint32_t word;
    ck_assert_int_eq(ss_space_read(sp, 0x90000004, &word, sizeof word, NULL), SS_E_NO_PAGE);
    ck_assert_int_eq(ss_space_set_dtb(sp, 0x100000000ull), SS_E_INVALID_ARG);
    ss_check_close_space(sp, src);
    ssb_free(small);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu_x86");
    TCase *tc = tcase_create("walks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, small_page);
    tcase_add_test(tc, large_4m_and_pse36);
    tcase_add_test(tc, no_pse);
    tcase_add_test(tc, software_states);
    tcase_add_test(tc, bad_entries);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
