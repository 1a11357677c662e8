/*
 * Entries the CPU refuses: reserved bits make a walk stop with reserved_bit at the
 * entry that sets them (Intel SDM Vol. 3A 4.5, tables 4-4 .. 4-20), where a CPU
 * raises a page fault with PFEC.RSVD, and a CR3 with reserved bits is refused.
 * Also: the walk's rw/us/nx for transition pages, and the level a noncanonical
 * answer names. Every table is built here with the image builder.
 */
#include "ss_check.h"
#include "testutil.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* Walks va over img/root in mode and checks a reserved_bit answer at level, from the
 * walk, the cached and the uncached translation alike. */
static void expect_reserved(const ssb_image *img, ss_mode mode, uint64_t root, uint64_t va, unsigned level,
                            const ss_space_options *opts)
{
    ss_source *src;
    ss_space *sp = ss_check_open_space(img, mode, root, opts, &src);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_E_RESERVED_BIT);
    ck_assert_int_eq(x.state, SS_XLAT_RESERVED_BIT);
    ck_assert_int_eq(x.level, level);
    ck_assert_uint_eq(x.flags, 0);
    ck_assert_uint_eq(x.page_size, 0);
    ck_assert_uint_eq(x.entries[x.nentries - 1].level, level); /* the entry is reported */
    ck_assert_str_eq(ss_xlat_state_name(x.state), "reserved_bit");
    uint64_t pa = 1;
    ck_assert_int_eq(ss_translate(sp, va, &pa), SS_E_RESERVED_BIT);
    ck_assert_uint_eq(pa, 0);
    ck_assert_int_eq(ss_translate(sp, va, &pa), SS_E_RESERVED_BIT); /* cached answer */
    ss_status st = SS_OK;
    ck_assert_int_eq(ss_translate_range(sp, va, 1, &pa, &st, NULL), SS_OK);
    ck_assert_int_eq(st, SS_E_RESERVED_BIT);
    ss_check_close_space(sp, src);
}

static void expect_valid(const ssb_image *img, ss_mode mode, uint64_t root, uint64_t va, uint64_t want_pa)
{
    ss_source *src;
    ss_space *sp = ss_check_open_space(img, mode, root, NULL, &src);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_OK);
    ck_assert_uint_eq(x.pa, want_pa);
    ss_check_close_space(sp, src);
}

/* 4-level: PS in a PML4E (table 4-15); bits 29:13 of a 1 GiB PDPTE (4-16); bits 20:13 of a 2 MiB PDE (4-18).
 */
START_TEST(x64_reserved)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 4 * GiB, 3 * GiB);
    uint64_t root = ssb_new_root(img);
    const uint64_t va_pml4 = 0xffff908000000000ull, va_1g = 0xffffa00000000000ull,
                   va_2m = 0xffffb00000000000ull, va_ok = 0xffffc00000000000ull;
    /* a PML4E with PS set, pointing at an otherwise fine table */
    uint64_t table = ssb_alloc_page(img);
    ssb_set_entry(img, root, va_pml4, SS_LEVEL_PML4E, table | SSB_P | SSB_RW | SSB_PS);
    /* a 1 GiB page with bit 13 set (a 2 MiB-page base is not a 1 GiB-page base) */
    ssb_set_entry(img, root, va_1g, SS_LEVEL_PDPTE, GiB | (1ull << 13) | SSB_P | SSB_RW | SSB_PS);
    /* a 2 MiB page with bit 20 set */
    ssb_set_entry(img, root, va_2m, SS_LEVEL_PDE, 4 * MiB | (1ull << 20) | SSB_P | SSB_RW | SSB_PS);
    /* the same 2 MiB page without it: fine */
    ssb_set_entry(img, root, va_ok, SS_LEVEL_PDE, 4 * MiB | SSB_P | SSB_RW | SSB_PS);
    expect_reserved(img, SS_MODE_X64, root, va_pml4 + 0x123, SS_LEVEL_PML4E, NULL);
    expect_reserved(img, SS_MODE_X64, root, va_1g + 0x5000, SS_LEVEL_PDPTE, NULL);
    expect_reserved(img, SS_MODE_X64, root, va_2m + 0x7000, SS_LEVEL_PDE, NULL);
    expect_valid(img, SS_MODE_X64, root, va_ok + 0x7123, 4 * MiB + 0x7123);
    /* NX off (EFER.NXE = 0): XD is reserved in every entry (SDM 4.5.4) */
    ck_assert_int_eq(ssb_map(img, root, 0xffffd00000001000ull, 0x9000, 4096, SSB_RW | SSB_XD), 0);
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.no_nx = 1;
    expect_reserved(img, SS_MODE_X64, root, 0xffffd00000001000ull, SS_LEVEL_PTE, &o);
    ssb_free(img);
}
END_TEST

/* 5-level: PS in a PML5E (table 4-14). */
START_TEST(la57_reserved)
{
    ssb_image *img = ssb_new(SS_MODE_LA57, 1 * GiB, 512 * MiB);
    uint64_t root = ssb_new_root(img);
    const uint64_t va = 0xff10000000000000ull;
    uint64_t table = ssb_alloc_page(img);
    ssb_set_entry(img, root, va, SS_LEVEL_PML5E, table | SSB_P | SSB_RW | SSB_PS);
    expect_reserved(img, SS_MODE_LA57, root, va, SS_LEVEL_PML5E, NULL);
    /* the PML4E below a fine PML5E with PS */
    const uint64_t va2 = 0xff20000000000000ull;
    ssb_set_entry(img, root, va2, SS_LEVEL_PML4E, table | SSB_P | SSB_RW | SSB_PS);
    expect_reserved(img, SS_MODE_LA57, root, va2, SS_LEVEL_PML4E, NULL);
    ssb_free(img);
}
END_TEST

/* PAE: a PDPTE's reserved bits 2:1, 8:5 (PS among them), 63 (table 4-8); bits 20:13 of a 2 MiB PDE (4-9). */
START_TEST(pae_reserved)
{
    ssb_image *img = ssb_new(SS_MODE_PAE, 1 * GiB, 512 * MiB);
    uint64_t root = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, root, 0x00401000, 0x3000, 4096, SSB_RW), 0);
    expect_valid(img, SS_MODE_PAE, root, 0x00401010, 0x3010);
    uint64_t pd = ssb_alloc_page(img);
    ssb_set_entry(img, root, 0x40000000, SS_LEVEL_PDPTE, pd | SSB_P | SSB_PS);
    expect_reserved(img, SS_MODE_PAE, root, 0x40000000, SS_LEVEL_PDPTE, NULL);
    ssb_set_entry(img, root, 0x80000000, SS_LEVEL_PDPTE, pd | SSB_P | SSB_RW);
    expect_reserved(img, SS_MODE_PAE, root, 0x80000000, SS_LEVEL_PDPTE, NULL);
    ssb_set_entry(img, root, 0xc0000000, SS_LEVEL_PDPTE, pd | SSB_P | SSB_XD);
    expect_reserved(img, SS_MODE_PAE, root, 0xc0000000, SS_LEVEL_PDPTE, NULL);
    /* the 2 MiB page with bit 13 set, under the first PDPTE (which is fine) */
    ssb_set_entry(img, root, 0x00800000, SS_LEVEL_PDE, 2 * MiB | (1ull << 13) | SSB_P | SSB_PS);
    expect_reserved(img, SS_MODE_PAE, root, 0x00800000, SS_LEVEL_PDE, NULL);
    ssb_free(img);
}
END_TEST

/* 32-bit with PSE: bit 21 of a 4 MiB PDE is reserved (table 4-4); without PSE, PS is ignored. */
START_TEST(x86_reserved)
{
    ssb_image *img = ssb_new(SS_MODE_X86, 64 * MiB, 32 * MiB);
    uint64_t root = ssb_new_root(img);
    ssb_set_entry(img, root, 0x80000000, SS_LEVEL_PDE, 4 * MiB | (1ull << 21) | SSB_P | SSB_PS);
    expect_reserved(img, SS_MODE_X86, root, 0x80000000, SS_LEVEL_PDE, NULL);
    ssb_set_entry(img, root, 0x80400000, SS_LEVEL_PDE, 4 * MiB | SSB_P | SSB_PS);
    expect_valid(img, SS_MODE_X86, root, 0x80400123, 4 * MiB + 0x123);
    ssb_free(img);
}
END_TEST

/* CR3 bits 62:52 are reserved in 4/5-level paging (table 4-12): refused, not masked. */
START_TEST(cr3_reserved)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 64 * MiB, 32 * MiB);
    uint64_t root = ssb_new_root(img);
    ss_source *src = ss_test_open_raw(img, "cr3.raw");
    ss_space *sp = (ss_space *)1;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root | (1ull << 52), NULL, &sp), SS_E_RESERVED_BIT);
    ck_assert_ptr_null(sp);
    ck_assert_int_eq(ss_space_open(src, SS_MODE_LA57, root | (1ull << 62), NULL, &sp), SS_E_RESERVED_BIT);
    /* PCID bits 11:0 and the no-flush hint (bit 63) are not address bits, and allowed */
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root | 0x5 | (1ull << 63), NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_set_dtb(sp, root | (1ull << 55)), SS_E_RESERVED_BIT);
    ck_assert_uint_eq(ss_space_dtb(sp), root | 0x5 | (1ull << 63)); /* unchanged */
    ck_assert_str_eq(ss_status_name(SS_E_RESERVED_BIT), "reserved_bit");
    ss_space_close(sp);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* A transition PTE under RW+US upper levels and an XD PML4E: rw, us, nx as for a valid page. */
START_TEST(transition_flags)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 64 * MiB, 32 * MiB);
    uint64_t root = ssb_new_root(img);
    const uint64_t va = 0x0000123456789000ull;
    /* a valid neighbour builds RW+US tables; the PML4E gets XD set by hand */
    ck_assert_int_eq(ssb_map(img, root, va + 0x1000, 0x5000, 4096, SSB_RW | SSB_US), 0);
    uint64_t pml4e_pa = root + ((va >> 39) & 0x1ff) * 8, pml4e;
    ck_assert_int_eq(ssb_read(img, pml4e_pa, &pml4e, 8), 0);
    pml4e |= SSB_XD;
    ck_assert_int_eq(ssb_write(img, pml4e_pa, &pml4e, 8), 0);
    /* transition PTE with Write (bit 1) set, protection 4 (MM_READWRITE) */
    ssb_set_entry(img, root, va, SS_LEVEL_PTE, ssb_sw_transition(SS_MODE_X64, 0x7, 4) | SSB_RW);
    /* and one without Write */
    ssb_set_entry(img, root, va + 0x2000, SS_LEVEL_PTE, ssb_sw_transition(SS_MODE_X64, 0x8, 1));
    ss_source *src;
    ss_space *sp = ss_check_open_space(img, SS_MODE_X64, root, NULL, &src);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va + 0x10, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_TRANSITION);
    ck_assert_uint_eq(x.pa, 0x7010);
    ck_assert_uint_eq(x.flags, SS_XLAT_F_HAS_PA | SS_XLAT_F_RW | SS_XLAT_F_US | SS_XLAT_F_NX);
    ck_assert_uint_eq(x.protection, 4);
    ck_assert_int_eq(ss_space_walk(sp, va + 0x2000, &x), SS_OK);
    ck_assert_int_eq(x.state, SS_XLAT_TRANSITION);
    ck_assert_uint_eq(x.flags, SS_XLAT_F_HAS_PA | SS_XLAT_F_US | SS_XLAT_F_NX);
    ck_assert_uint_eq(x.protection, 1);
    /* the valid neighbour, for comparison */
    ck_assert_int_eq(ss_space_walk(sp, va + 0x1000, &x), SS_OK);
    ck_assert_uint_eq(x.flags, SS_XLAT_F_HAS_PA | SS_XLAT_F_RW | SS_XLAT_F_US | SS_XLAT_F_NX);
    ss_check_close_space(sp, src);
    ssb_free(img);
}
END_TEST

/* A noncanonical VA is decided before any entry is read: level 0, no entries, in every mode. */
START_TEST(noncanonical_level)
{
    static const struct {
        ss_mode mode;
        uint64_t va;
    } cases[] = {
        {SS_MODE_X86, 0x100000000ull},
        {SS_MODE_PAE, 0x100000000ull},
        {SS_MODE_X64, 0x0000800000000000ull},
        {SS_MODE_LA57, 0x0100000000000000ull},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ssb_image *img = ssb_new(cases[i].mode, 16 * MiB, 8 * MiB);
        uint64_t root = ssb_new_root(img);
        ss_source *src;
        ss_space *sp = ss_check_open_space(img, cases[i].mode, root, NULL, &src);
        ss_xlat x;
        ck_assert_int_eq(ss_space_walk(sp, cases[i].va, &x), SS_E_NONCANONICAL);
        ck_assert_int_eq(x.state, SS_XLAT_NONCANONICAL);
        ck_assert_uint_eq(x.level, 0);
        ck_assert_uint_eq(x.nentries, 0);
        ss_check_close_space(sp, src);
        ssb_free(img);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu_reserved");
    TCase *tc = tcase_create("reserved");
    tcase_add_test(tc, x64_reserved);
    tcase_add_test(tc, la57_reserved);
    tcase_add_test(tc, pae_reserved);
    tcase_add_test(tc, x86_reserved);
    tcase_add_test(tc, cr3_reserved);
    tcase_add_test(tc, transition_flags);
    tcase_add_test(tc, noncanonical_level);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
