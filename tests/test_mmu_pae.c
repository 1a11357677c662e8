/*
 * PAE walks (SDM 4.4): 4 PDPTEs at a 32-byte-aligned CR3, 4 KiB and 2 MiB pages,
 * XD, Windows software PTEs in the PAE layouts, 32-bit VA limit, bad entries.
 */
#include "ss_check.h"
#include "testutil.h"

#define MiB (1ull << 20)

static ssb_image *img;
static uint64_t root;

static void setup(void)
{
    /* 8 GiB: PAE reaches physical memory above 4 GiB */
    img = ssb_new(SS_MODE_PAE, 8ull << 30, 64 * MiB);
    ck_assert_ptr_nonnull(img);
    root = ssb_new_root(img);
}

static void teardown(void)
{
    ssb_free(img);
}

static ss_space *open_space(ss_source **src, const ss_space_options *opts)
{
    return ss_check_open_space(img, SS_MODE_PAE, root, opts, src);
}

START_TEST(small_and_large)
{
    ck_assert_int_eq(ssb_map(img, root, 0x80401000, 0x1a2b000, 4096, SSB_RW | SSB_XD), 0);
    ck_assert_int_eq(ssb_map(img, root, 0xc0600000, 0x180000000ull, 2 * MiB, SSB_RW), 0); /* above 4 GiB */
    ck_assert_int_eq(ssb_map(img, root, 0x00401000, 0x3000, 4096, SSB_US), 0);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, 0x80401234, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x1a2b234);
    ck_assert_uint_eq(x.page_size, 4096);
    ck_assert_uint_eq(x.nentries, 3);
    ck_assert_uint_eq(x.entries[0].level, SS_LEVEL_PDPTE);
    ck_assert_uint_eq(x.entries[0].pa, root + 2 * 8); /* VA bits 31:30 = 2 */
    ck_assert_uint_eq(x.flags & (SS_XLAT_F_RW | SS_XLAT_F_US | SS_XLAT_F_NX), SS_XLAT_F_RW | SS_XLAT_F_NX);

    ck_assert_int_eq(ss_space_walk(sp, 0xc07fffff, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x1801fffffull);
    ck_assert_uint_eq(x.page_size, 2 * MiB);
    ck_assert_int_eq(x.level, SS_LEVEL_PDE);

    ck_assert_int_eq(ss_space_walk(sp, 0x00401010, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x3010);
    ck_assert_uint_eq(x.flags & (SS_XLAT_F_RW | SS_XLAT_F_US), SS_XLAT_F_US);
    ss_check_close_space(sp, src);
}
END_TEST

/* With IA32_EFER.NXE = 0 the XD bit is reserved (SDM Vol. 3A 4.4.2): a set one faults. */
START_TEST(no_nx_bit63_reserved)
{
    ck_assert_int_eq(ssb_map(img, root, 0x80401000, 0x5000, 4096, SSB_RW | SSB_XD), 0);
    ck_assert_int_eq(ssb_map(img, root, 0x80402000, 0x6000, 4096, SSB_RW), 0);
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.no_nx = 1;
    ss_source *src;
    ss_space *sp = open_space(&src, &o);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, 0x80401000, &x), SS_E_RESERVED_BIT);
    ck_assert_int_eq(x.state, SS_XLAT_RESERVED_BIT);
    ck_assert_int_eq(x.level, SS_LEVEL_PTE);
    ck_assert_uint_eq(x.flags, 0);
    ck_assert_int_eq(ss_space_walk(sp, 0x80402000, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x6000);
    ck_assert_uint_eq(x.flags & SS_XLAT_F_NX, 0);
    uint64_t pa = 1;
    ck_assert_int_eq(ss_translate(sp, 0x80401000, &pa), SS_E_RESERVED_BIT);
    ck_assert_uint_eq(pa, 0);
    ss_check_close_space(sp, src);
}
END_TEST

static void check_software(ss_pte_layout layout)
{
    const uint64_t base = 0x9a000000;
    ssb_set_entry(img, root, base + 0x0000, 1, ssb_sw_transition(SS_MODE_PAE, 0x1f000, 4));
    ssb_set_entry(img, root, base + 0x1000, 1, ssb_sw_prototype(SS_MODE_PAE, layout, 0xe1234568, 1));
    ssb_set_entry(img, root, base + 0x2000, 1, ssb_sw_pagefile(SS_MODE_PAE, layout, 2, 0xabcde000ull, 5));
    ssb_set_entry(img, root, base + 0x3000, 1, ssb_sw_demand_zero(SS_MODE_PAE, layout, 4));
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.pte_layout = layout;
    ss_source *src;
    ss_space *sp = open_space(&src, &o);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, base + 0x77, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_TRANSITION);
    ck_assert_uint_eq(x.pa, 0x1f000077ull);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x1000, &x), SS_E_PROTOTYPE);
    ck_assert_uint_eq(x.proto_address, 0xe1234568);
    ck_assert_uint_eq(x.protection, 1);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x2000, &x), SS_E_PAGEFILE);
    ck_assert_uint_eq(x.pagefile_number, 2);
    ck_assert_uint_eq(x.pagefile_offset, 0xabcde000ull);
    ck_assert_uint_eq(x.protection, 5);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x3000, &x), SS_E_DEMAND_ZERO);
    ck_assert_int_eq(ss_space_walk(sp, base + 0x4000, &x), SS_E_NOT_PRESENT);
    ss_check_close_space(sp, src);
}

START_TEST(software_win8)
{
    check_software(SS_PTE_LAYOUT_WIN8);
}
END_TEST

START_TEST(software_win7)
{
    check_software(SS_PTE_LAYOUT_WIN7);
}
END_TEST

START_TEST(limits_and_bad_entries)
{
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    /* VAs are 32 bits wide */
    ck_assert_int_eq(ss_space_walk(sp, 0x100000000ull, &x), SS_E_NONCANONICAL);
    /* an empty PDPTE */
    ck_assert_int_eq(ss_space_walk(sp, 0x40000000, &x), SS_E_NOT_PRESENT);
    ck_assert_int_eq(x.level, SS_LEVEL_PDPTE);
    /* CR3 must fit in 32 bits; the low 5 bits are ignored (32-byte alignment) */
    ss_space *sp2 = (ss_space *)1;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_PAE, 0x100000000ull, NULL, &sp2), SS_E_INVALID_ARG);
    ck_assert_ptr_null(sp2);
    ck_assert_int_eq(ss_space_set_dtb(sp, 0x100000000ull), SS_E_INVALID_ARG);
    ss_check_close_space(sp, src);

    /* a PDE naming a page table past the end of the 8 GiB image */
    ssb_set_entry(img, root, 0x80000000, SS_LEVEL_PDE, 0x4000000000ull | SSB_P);
    sp = open_space(&src, NULL);
    ck_assert_int_eq(ss_space_walk(sp, 0x80000000, &x), SS_E_BAD_PFN);
    ck_assert_int_eq(x.level, SS_LEVEL_PTE);
    ss_check_close_space(sp, src);
}
END_TEST

/* CR3 with its low bits set (PDPT at a 32-byte offset inside the page). */
START_TEST(pdpt_offset)
{
    uint64_t pdpt = root + 0x20; /* a second PDPT inside the same page */
    uint64_t pd = ssb_alloc_page(img), pt = ssb_alloc_page(img);
    uint64_t e = pd | SSB_P;
    ssb_write(img, pdpt + 8, &e, 8); /* VA 0x40000000-0x7fffffff */
    e = pt | SSB_P | SSB_RW;
    ssb_write(img, pd + 1 * 8, &e, 8); /* VA 0x40200000 */
    e = 0x777000ull | SSB_P;
    ssb_write(img, pt + 3 * 8, &e, 8); /* VA 0x40203000 */
    ss_source *src = ss_test_open_raw(img, "pae-off.raw");
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_PAE, pdpt, NULL, &sp), SS_OK);
    uint64_t pa;
    ck_assert_int_eq(ss_translate(sp, 0x40203abc, &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x777abc);
    ss_check_close_space(sp, src);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu_pae");
    TCase *tc = tcase_create("walks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, small_and_large);
    tcase_add_test(tc, no_nx_bit63_reserved);
    tcase_add_test(tc, software_win8);
    tcase_add_test(tc, software_win7);
    tcase_add_test(tc, limits_and_bad_entries);
    tcase_add_test(tc, pdpt_offset);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
