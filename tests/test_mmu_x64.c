/*
 * x64 4-level walks: 4 KiB / 2 MiB / 1 GiB pages, permission bits, every software
 * PTE state in both layouts, canonical checks, and malformed tables. Every expected
 * address is one the test itself placed with the image builder.
 */
#include "ss_check.h"
#include "testutil.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static ssb_image *img;
static uint64_t root;

static void setup(void)
{
    /* 4 GiB of (sparse) physical memory, tables from 3 GiB up. */
    img = ssb_new(SS_MODE_X64, 4 * GiB, 3 * GiB);
    ck_assert_ptr_nonnull(img);
    root = ssb_new_root(img);
    ck_assert_uint_ne(root, 0);
}

static void teardown(void)
{
    ssb_free(img);
}

static ss_space *open_space(ss_source **src, const ss_space_options *opts)
{
    return ss_check_open_space(img, SS_MODE_X64, root, opts, src);
}

START_TEST(small_page)
{
    const uint64_t va = 0xfffff80012345000ull, pa = 0x1234000;
    ck_assert_int_eq(ssb_map(img, root, va, pa, 4096, SSB_RW | SSB_XD), 0);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va + 0xabc, &x), SS_OK);
    ck_assert_uint_eq(x.pa, pa + 0xabc);
    ck_assert_uint_eq(x.page_size, 4096);
    ck_assert_int_eq(x.state, SS_XLAT_VALID);
    ck_assert_uint_eq(x.flags & (SS_XLAT_F_RW | SS_XLAT_F_US | SS_XLAT_F_NX | SS_XLAT_F_LARGE),
                      SS_XLAT_F_RW | SS_XLAT_F_NX);
    ck_assert_uint_eq(x.nentries, 4);
    ck_assert_int_eq(x.level, SS_LEVEL_PTE);
    /* entries top-down; PML4E sits at root + index * 8 */
    ck_assert_uint_eq(x.entries[0].level, SS_LEVEL_PML4E);
    ck_assert_uint_eq(x.entries[0].pa, root + ((va >> 39) & 0x1ff) * 8);
    ck_assert_uint_eq(x.entries[3].level, SS_LEVEL_PTE);
    ck_assert_uint_eq(x.entries[3].value, pa | SSB_P | SSB_RW | SSB_XD);
    uint64_t got;
    ck_assert_int_eq(ss_translate(sp, va + 0xfff, &got), SS_OK);
    ck_assert_uint_eq(got, pa + 0xfff);
    /* the next page is not mapped: the PTE is zero */
    ck_assert_int_eq(ss_space_walk(sp, va + 0x1000, &x), SS_E_NOT_PRESENT);
    ck_assert_int_eq(x.state, SS_XLAT_NOT_PRESENT);
    ck_assert_int_eq(x.level, SS_LEVEL_PTE);
    ck_assert_uint_eq(x.flags & SS_XLAT_F_HAS_PA, 0);
    ss_check_close_space(sp, src);
}
END_TEST

START_TEST(user_page_permissions)
{
    const uint64_t va = 0x00007ff612340000ull, pa = 0x2000000;
    ck_assert_int_eq(ssb_map(img, root, va, pa, 4096, SSB_US), 0); /* read-only user page */
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_OK);
    ck_assert_uint_eq(x.pa, pa);
    ck_assert_uint_eq(x.flags & (SS_XLAT_F_RW | SS_XLAT_F_US | SS_XLAT_F_NX), SS_XLAT_F_US);
    ss_check_close_space(sp, src);
}

END_TEST

START_TEST(large_2m)
{
    const uint64_t va = 0xfffff80000400000ull, pa = 0x40000000;
    ck_assert_int_eq(ssb_map(img, root, va, pa, 2 * MiB, SSB_RW | SSB_G), 0);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va + 0x1abcde, &x), SS_OK);
    ck_assert_uint_eq(x.pa, pa + 0x1abcde);
    ck_assert_uint_eq(x.page_size, 2 * MiB);
    ck_assert_uint_eq(x.nentries, 3);
    ck_assert_int_eq(x.level, SS_LEVEL_PDE);
    ck_assert(x.flags & SS_XLAT_F_LARGE);
    ck_assert(x.flags & SS_XLAT_F_GLOBAL);
    ss_check_close_space(sp, src);
}
END_TEST

START_TEST(large_1g)
{
    const uint64_t va = 0xffff808040000000ull, pa = 1 * GiB;
    ck_assert_int_eq(ssb_map(img, root, va, pa, GiB, SSB_RW), 0);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va + 0x3ffff123, &x), SS_OK);
    ck_assert_uint_eq(x.pa, pa + 0x3ffff123);
    ck_assert_uint_eq(x.page_size, GiB);
    ck_assert_uint_eq(x.nentries, 2);
    ck_assert_int_eq(x.level, SS_LEVEL_PDPTE);
    ss_check_close_space(sp, src);
}
END_TEST

/* Each software state at the PTE, in both layouts, with exact decoded fields. */
static void check_software(ss_pte_layout layout)
{
    const uint64_t base = 0xfffff99b3c078000ull;
    ssb_set_entry(img, root, base + 0x0000, 1, ssb_sw_transition(SS_MODE_X64, 0x12345, 4));
    ssb_set_entry(img, root, base + 0x1000, 1,
                  ssb_sw_prototype(SS_MODE_X64, layout, 0xffffa80012345678ull, 1));
    ssb_set_entry(img, root, base + 0x2000, 1, ssb_sw_pagefile(SS_MODE_X64, layout, 3, 0x7654321000ull, 6));
    ssb_set_entry(img, root, base + 0x3000, 1, ssb_sw_demand_zero(SS_MODE_X64, layout, 4));
    ssb_set_entry(img, root, base + 0x4000, 1, 0);
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.pte_layout = layout;
    ss_source *src;
    ss_space *sp = open_space(&src, &o);
    ss_xlat x;

    ck_assert_int_eq(ss_space_walk(sp, base + 0x10, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_TRANSITION);
    ck_assert_uint_eq(x.pa, 0x12345010ull);
    ck_assert_uint_eq(x.protection, 4);
    uint64_t pa;
    ck_assert_int_eq(ss_translate(sp, base + 0x10, &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x12345010ull);

    ck_assert_int_eq(ss_space_walk(sp, base + 0x1000, &x), SS_E_PROTOTYPE);
    ck_assert_int_eq(x.state, SS_XLAT_PROTOTYPE);
    ck_assert_uint_eq(x.proto_address, 0xffffa80012345678ull);
    ck_assert_uint_eq(x.protection, 1);

    ck_assert_int_eq(ss_space_walk(sp, base + 0x2000, &x), SS_E_PAGEFILE);
    ck_assert_int_eq(x.state, SS_XLAT_PAGEFILE);
    ck_assert_uint_eq(x.pagefile_number, 3);
    ck_assert_uint_eq(x.pagefile_offset, 0x7654321000ull);
    ck_assert_uint_eq(x.protection, 6);
    ck_assert_int_eq(ss_translate(sp, base + 0x2000, &pa), SS_E_PAGEFILE);

    ck_assert_int_eq(ss_space_walk(sp, base + 0x3000, &x), SS_E_DEMAND_ZERO);
    ck_assert_uint_eq(x.protection, 4);

    ck_assert_int_eq(ss_space_walk(sp, base + 0x4000, &x), SS_E_NOT_PRESENT);
    ck_assert_int_eq(x.level, SS_LEVEL_PTE);
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

/* Layouts differ: a Win8 pagefile PTE read with the Win7 layout gives another file number. */
START_TEST(layouts_differ)
{
    const uint64_t va = 0xfffff99b3c078000ull;
    ssb_set_entry(img, root, va, 1, ssb_sw_pagefile(SS_MODE_X64, SS_PTE_LAYOUT_WIN8, 5, 0x1000, 4));
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.pte_layout = SS_PTE_LAYOUT_WIN7;
    ss_source *src;
    ss_space *sp = open_space(&src, &o);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_E_PAGEFILE);
    ck_assert_uint_eq(x.pagefile_number, 0); /* bits 1-4 are clear in a Win8 entry */
    ss_check_close_space(sp, src);
}
END_TEST

/* A page table that is itself paged out or in transition. */
START_TEST(software_upper_levels)
{
    const uint64_t va1 = 0xfffff80100000000ull, va2 = 0xfffff80200000000ull;
    ssb_set_entry(img, root, va1, SS_LEVEL_PDE,
                  ssb_sw_pagefile(SS_MODE_X64, SS_PTE_LAYOUT_WIN8, 1, 0x5000, 4));
    /* PDE in transition: the page table page is still at PFN 0x7000 and maps va2 -> 0x8000 */
    ssb_set_entry(img, root, va2, SS_LEVEL_PDE, ssb_sw_transition(SS_MODE_X64, 0x7000, 4));
    uint64_t pte = 0x8000ull | SSB_P | SSB_RW;
    ssb_write(img, 0x7000000ull + ((va2 >> 12) & 0x1ff) * 8, &pte, 8);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va1, &x), SS_E_PAGEFILE);
    ck_assert_int_eq(x.level, SS_LEVEL_PDE);
    ck_assert_uint_eq(x.pagefile_number, 1);
    ck_assert_uint_eq(x.pagefile_offset, 0x5000);
    ck_assert_int_eq(ss_space_walk(sp, va2 + 0x42, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_TRANSITION);
    ck_assert_uint_eq(x.pa, 0x8042);
    ck_assert_uint_eq(x.nentries, 4);
    ss_check_close_space(sp, src);
}
END_TEST

START_TEST(canonical)
{
    ck_assert_int_eq(ssb_map(img, root, 0xffff800000000000ull, 0x3000, 4096, 0), 0);
    ck_assert_int_eq(ssb_map(img, root, 0x00007ffffffff000ull, 0x4000, 4096, SSB_US), 0);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    uint64_t pa;
    ck_assert_int_eq(ss_space_walk(sp, 0x0000800000000000ull, &x), SS_E_NONCANONICAL);
    ck_assert_int_eq(x.state, SS_XLAT_NONCANONICAL);
    ck_assert_uint_eq(x.nentries, 0);
    ck_assert_int_eq(ss_translate(sp, 0xfff0000000000000ull, &pa), SS_E_NONCANONICAL);
    ck_assert_int_eq(ss_translate(sp, 0xffff7fffffffffffull, &pa), SS_E_NONCANONICAL);
    ck_assert_int_eq(ss_translate(sp, 0xffff800000000000ull, &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x3000);
    ck_assert_int_eq(ss_translate(sp, 0x00007fffffffffffull, &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x4fff);
    ss_check_close_space(sp, src);
}
END_TEST

/* Windows' self-map: PML4[0x1ed] -> PML4. The walk is bounded and lands on the PML4 itself. */
START_TEST(self_reference)
{
    uint64_t self = root | SSB_P | SSB_RW;
    ssb_write(img, root + 0x1ed * 8, &self, 8);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, 0xfffff6fb7dbed000ull, &x), SS_OK);
    ck_assert_uint_eq(x.pa, root);
    ck_assert_uint_eq(x.nentries, 4);
    /* 0xfffff68000000000 is the self-map view of VA 0's PTE: PML4[0] is empty, so it stops at the PDPTE */
    ck_assert_int_eq(ss_space_walk(sp, 0xfffff68000000000ull, &x), SS_E_NOT_PRESENT);
    ck_assert_int_eq(x.level, SS_LEVEL_PDPTE);
    ss_check_close_space(sp, src);
}
END_TEST

START_TEST(entries_outside_source)
{
    const uint64_t va1 = 0xfffff80000001000ull, va2 = 0xfffff80040000000ull, va3 = 0xfffff80080000000ull;
    /* leaf frame past the end of the 4 GiB image: a translation all the same (valid, not in
     * the source); reading it is what fails */
    ck_assert_int_eq(ssb_map(img, root, va1, 0x123456789000ull, 4096, SSB_RW), 0);
    /* PDE pointing to a page table past the end: bad_pfn at the PTE read, no PA */
    ssb_set_entry(img, root, va2, SS_LEVEL_PDE, 0x800000000ull | SSB_P | SSB_RW);
    /* 2 MiB page whose frame lies past the end: valid, not in the source */
    ck_assert_int_eq(ssb_map(img, root, va3, 0x1000000000ull, 2 * MiB, SSB_RW), 0);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va1 + 8, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_VALID);
    ck_assert_uint_eq(x.flags, SS_XLAT_F_HAS_PA | SS_XLAT_F_RW | SS_XLAT_F_NOT_IN_SOURCE);
    ck_assert_uint_eq(x.pa, 0x123456789008ull);
    ck_assert_int_eq(x.level, SS_LEVEL_PTE);
    uint8_t b[16];
    size_t got = 99;
    ck_assert_int_eq(ss_space_read(sp, va1 + 8, b, sizeof b, &got), SS_E_NO_PAGE);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(ss_space_walk(sp, va2, &x), SS_E_BAD_PFN);
    ck_assert_int_eq(x.level, SS_LEVEL_PTE);
    ck_assert_uint_eq(x.flags & SS_XLAT_F_HAS_PA, 0);
    ck_assert_uint_eq(x.nentries, 3);
    ck_assert_int_eq(ss_space_walk(sp, va3 + 0x10, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_VALID);
    ck_assert_uint_eq(x.flags, SS_XLAT_F_HAS_PA | SS_XLAT_F_RW | SS_XLAT_F_LARGE | SS_XLAT_F_NOT_IN_SOURCE);
    ck_assert_uint_eq(x.pa, 0x1000000010ull);
    ck_assert_uint_eq(x.page_size, 2 * MiB);
    uint64_t pa;
    /* the cache answers the same, for the whole large page */
    ck_assert_int_eq(ss_translate(sp, va3 + 0x10, &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x1000000010ull);
    ck_assert_int_eq(ss_translate(sp, va3 + MiB + 0x20, &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x1000100020ull);
    ck_assert_int_eq(ss_translate(sp, va1 + 8, &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x123456789008ull);
    ck_assert_int_eq(ss_translate(sp, va2, &pa), SS_E_BAD_PFN);
    ck_assert_uint_eq(pa, 0);
    /* a DTB past the end of the source */
    ck_assert_int_eq(ss_space_set_dtb(sp, 0x7777000000ull), SS_OK);
    ck_assert_int_eq(ss_space_walk(sp, va1, &x), SS_E_BAD_PFN);
    ck_assert_int_eq(x.level, SS_LEVEL_PML4E);
    ck_assert_uint_eq(x.nentries, 0);
    ss_check_close_space(sp, src);
}
END_TEST

/* Holes and failing pages in a custom backend: bad_pfn vs read_error. */
START_TEST(backend_holes_and_errors)
{
    const uint64_t va = 0xfffff80000005000ull;
    ck_assert_int_eq(ssb_map(img, root, va, 0x9000, 4096, SSB_RW), 0);
    ss_xlat ref;
    ss_source *raw = ss_test_open_raw(img, "x64-ref.raw");
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(raw, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_walk(sp, va, &ref), SS_OK);
    ss_space_close(sp);
    ss_source_close(raw);
    uint64_t pt_pfn = ref.entries[3].pa >> 12, pd_pfn = ref.entries[2].pa >> 12;

    ss_source *src = ss_test_open_mem(img, &pt_pfn, 1, &pd_pfn, 1, NULL);
    ck_assert_ptr_nonnull(src);
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_E_PT_READ); /* the PDE's page fails with EIO */
    ck_assert_int_eq(x.state, SS_XLAT_READ_ERROR);
    ck_assert_int_eq(x.level, SS_LEVEL_PDE);
    ss_check_close_space(sp, src);

    src = ss_test_open_mem(img, &pt_pfn, 1, NULL, 0, NULL);
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_E_BAD_PFN); /* the page table is missing */
    ck_assert_int_eq(x.level, SS_LEVEL_PTE);
    ss_check_close_space(sp, src);
}
END_TEST

START_TEST(virtual_read)
{
    const uint64_t va = 0xfffff80000010000ull;
    ck_assert_int_eq(ssb_map(img, root, va, 0x20000, 4096, SSB_RW), 0);
    ck_assert_int_eq(ssb_map(img, root, va + 0x1000, 0x50000, 4096, SSB_RW), 0);
    ssb_write(img, 0x20ffc, "ABCD", 4);
    ssb_write(img, 0x50000, "EFGH", 4);
    ss_source *src;
    ss_space *sp = open_space(&src, NULL);
    char buf[8] = {0};
    size_t n = 0;
    ck_assert_int_eq(ss_space_read(sp, va + 0xffc, buf, 8, &n), SS_OK);
    ck_assert_uint_eq(n, 8);
    ck_assert_mem_eq(buf, "ABCDEFGH", 8);
    /* the third page is unmapped: the read stops there */
    char big[0x2000];
    ck_assert_int_eq(ss_space_read(sp, va + 0x1000, big, sizeof big, &n), SS_E_NOT_PRESENT);
    ck_assert_uint_eq(n, 0x1000);
    ck_assert_mem_eq(big, "EFGH", 4);
    ss_check_close_space(sp, src);
}
END_TEST

START_TEST(bad_arguments)
{
    ss_source *src = ss_test_open_raw(img, "x64-args.raw");
    ss_space *sp = (ss_space *)1;
    ck_assert_int_eq(ss_space_open(NULL, SS_MODE_X64, root, NULL, &sp), SS_E_INVALID_ARG);
    ck_assert_ptr_null(sp);
    ck_assert_int_eq(ss_space_open(src, (ss_mode)9, root, NULL, &sp), SS_E_INVALID_ARG);
    /* a raw image does not know its paging mode */
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, root, NULL, &sp), SS_E_UNSUPPORTED);
    ss_space_options bad = SS_SPACE_OPTIONS_INIT;
    bad.version = 99;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, &bad, &sp), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_walk(sp, 0, NULL), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_translate(sp, 0, NULL), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_space_walk(NULL, 0, NULL), SS_E_INVALID_ARG);
    /* PCID bits in the DTB are ignored */
    ck_assert_int_eq(ss_space_set_dtb(sp, root | 0x123), SS_OK);
    ck_assert_uint_eq(ss_space_dtb(sp), root | 0x123);
    ck_assert_int_eq(ss_space_mode(sp), SS_MODE_X64);
    ck_assert_ptr_eq(ss_space_source(sp), src);
    ss_space_close(sp);
    ss_space_close(NULL);
    ss_source_close(src);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu_x64");
    TCase *tc = tcase_create("walks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, small_page);
    tcase_add_test(tc, user_page_permissions);
    tcase_add_test(tc, large_2m);
    tcase_add_test(tc, large_1g);
    tcase_add_test(tc, software_win8);
    tcase_add_test(tc, software_win7);
    tcase_add_test(tc, layouts_differ);
    tcase_add_test(tc, software_upper_levels);
    tcase_add_test(tc, canonical);
    tcase_add_test(tc, self_reference);
    tcase_add_test(tc, entries_outside_source);
    tcase_add_test(tc, backend_holes_and_errors);
    tcase_add_test(tc, virtual_read);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
