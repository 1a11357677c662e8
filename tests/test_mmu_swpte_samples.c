/*
 * Page-table entries published with WinDbg's own decoding of them, decoded by our
 * walker. The other software-PTE tests encode entries with the same knowledge the
 * walker decodes with (tests/support/imagebuilder.c, ssb_sw_*); here the expected
 * answers come from public sources, quoted beside each sample, and never from this
 * library. Where a source gives the whole walk (the entry values at every level and
 * the addresses they were read from), the test lays out exactly those values at
 * those page offsets, so the walker's index arithmetic is checked as well.
 *
 * Sources:
 *  [MSPTE] Microsoft, "!pte" (Debugger commands reference), example from an x86 target:
 *          https://learn.microsoft.com/en-us/windows-hardware/drivers/debuggercmds/-pte
 *            kd> !pte 801544f4
 *            801544F4  - PDE at C0300800        PTE at C0200550
 *                      contains 0003B163      contains 00154121
 *                    pfn 3b G-DA--KWV    pfn 154 G--A--KRV
 *  [GTRANS] M. van Kuipers, gist 37680a854d4de30edf3dc9ffbf41e1f8 (Windows 10 x64):
 *          https://gist.github.com/mvankuipers/37680a854d4de30edf3dc9ffbf41e1f8
 *            kd> !pte 0x000001fe`151c0000
 *            PXE at FFFFED76BB5DA018 PPE at FFFFED76BB403FC0 PDE at FFFFED76807F8540 PTE at FFFFED00FF0A8E00
 *            contains 0A0000001A907867 contains 0A0000001B008867 contains 0A00000016609867
 *            contains 00000000A1DD0880 ... not valid
 *            Transition: a1dd0   Protect: 4 - ReadWrite
 *  [GVAD]  M. van Kuipers, gist bda738f8032726db9e089e6b0cc508aa (same machine, next page):
 *          https://gist.github.com/mvankuipers/bda738f8032726db9e089e6b0cc508aa
 *            kd> !pte 0x000001fe`151d0000   ... PTE at FFFFED00FF0A8E80
 *            contains FFFFFFFF00000480  not valid   Proto: VAD   Protect: 4 - ReadWrite
 *  [FLARE] FireEye FLARE, "Extracting Compressed Pages from the Windows 10 Virtual Store"
 *          (white paper, 2019), figure 7, e.g. https://docslib.org/doc/246054/ :
 *            kd> !pte 0x227d1a60000
 *            PXE at FFFFBEDF6FB7D020 contains 0A00000061E95867
 *            PPE at FFFFBEDF6FA044F8 PDE at FFFFBEDF4089F468
 *            contains 0A0000001C996867 contains 0A0000001B717867
 *            PTE at FFFFBE8113E8D300 contains 001BBEDA00002084 not valid
 *            PageFile: 2 Offset: 1bbeda Protect: 4 - ReadWrite
 *          (WinDbg's Offset is PageFileHigh, in pages; we report bytes.)
 *  [GDT1]  M. van Kuipers, gist c01d6406c3457df810fb9164f3398e08 (x64, `dt nt!_MMPTE -b`):
 *          https://gist.github.com/mvankuipers/c01d6406c3457df810fb9164f3398e08
 *            Long 0x32c00006`5207b025: Valid 1, Dirty1 0, Owner 1, Accessed 1, Global 0,
 *            PageFrameNumber 0x65207b, SoftwareWsIndex 0x32c, NoExecute 0
 *  [GDT2]  M. van Kuipers, gist e5e8f8e2f1bea7939bbe8348b4e6ed8f (x64, `dt !_MMPTE -b`):
 *          https://gist.github.com/mvankuipers/e5e8f8e2f1bea7939bbe8348b4e6ed8f
 *            Long 0x00000006`5207b121: Valid 1, Dirty1 0, Owner 0, Accessed 1, Global 1,
 *            PageFrameNumber 0x65207b, NoExecute 0
 * In _MMPTE_HARDWARE, Dirty1 is bit 1 (the hardware R/W bit) and Owner is bit 2 (U/S);
 * WinDbg's K/U and R/W letters above say the same.
 *
 * No public !pte output of a demand-zero PTE was found; demand-zero stays covered only
 * by the encoder-based tests (test_mmu_x64.c).
 */
#include "ss_check.h"
#include "testutil.h"

#define GiB (1ull << 30)

/* Writes one 8- or 4-byte entry at pa. */
static void put(ssb_image *img, uint64_t pa, uint64_t value, size_t size)
{
    uint8_t b[8];
    for (size_t i = 0; i < size; i++)
        b[i] = (uint8_t)(value >> (8 * i));
    ck_assert_int_eq(ssb_write(img, pa, b, size), 0);
}

/* An x64 walk as a source published it: entry values, and the page offsets (the low 12
 * bits of the PXE/PPE/PDE/PTE addresses WinDbg printed) they were read from. */
typedef struct published_walk {
    uint64_t va;
    uint64_t value[4];  /* PXE, PPE, PDE, PTE */
    uint16_t offset[4]; /* where in its table each was read */
} published_walk;

/* Lays out w under a PML4 at dtb: each entry at (frame named by the entry above) + offset. */
static void lay_out(ssb_image *img, uint64_t dtb, const published_walk *w)
{
    uint64_t table = dtb;
    for (int i = 0; i < 4; i++) {
        put(img, table + w->offset[i], w->value[i], 8);
        table = w->value[i] & 0x000FFFFFFFFFF000ull;
    }
}

/* Walks w.va and checks the entries were read from exactly the published places. */
static ss_xlat walk_published(ssb_image *img, uint64_t dtb, const published_walk *w, ss_status want)
{
    ss_source *src = ss_test_open_mem(img, NULL, 0, NULL, 0, NULL);
    ck_assert_ptr_nonnull(src);
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, dtb, NULL, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, w->va, &x), want);
    ck_assert_uint_eq(x.nentries, 4);
    uint64_t table = dtb;
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(x.entries[i].pa, table + w->offset[i]);
        ck_assert_uint_eq(x.entries[i].value, w->value[i]);
        table = w->value[i] & 0x000FFFFFFFFFF000ull;
    }
    ck_assert_uint_eq(x.entries[3].level, SS_LEVEL_PTE);
    ss_space_close(sp);
    ss_source_close(src);
    return x;
}

/* [GTRANS] and [GVAD]: one Windows 10 page table, two neighbouring PTEs. */
static const published_walk gtrans = {
    0x000001fe151c0000ull,
    {0x0A0000001A907867ull, 0x0A0000001B008867ull, 0x0A00000016609867ull, 0x00000000A1DD0880ull},
    {0x018, 0xFC0, 0x540, 0xE00},
};
static const published_walk gvad = {
    0x000001fe151d0000ull,
    {0x0A0000001A907867ull, 0x0A0000001B008867ull, 0x0A00000016609867ull, 0xFFFFFFFF00000480ull},
    {0x018, 0xFC0, 0x540, 0xE80},
};
/* [FLARE] */
static const published_walk flare = {
    0x00000227d1a60000ull,
    {0x0A00000061E95867ull, 0x0A0000001C996867ull, 0x0A0000001B717867ull, 0x001BBEDA00002084ull},
    {0x020, 0x4F8, 0x468, 0x300},
};

/* Our choice: the sources do not print CR3. */
static const uint64_t DTB_W10 = 0x1aa000, DTB_FLARE = 0x2bb000;

START_TEST(windows10_transition)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 4 * GiB, 0x100000);
    ck_assert_ptr_nonnull(img);
    lay_out(img, DTB_W10, &gtrans);
    ss_xlat x = walk_published(img, DTB_W10, &gtrans, SS_OK);
    /* "Transition: a1dd0", "Protect: 4 - ReadWrite" */
    ck_assert_int_eq(x.state, SS_XLAT_TRANSITION);
    ck_assert_uint_eq(x.pa, 0xa1dd0ull << 12);
    ck_assert_uint_eq(x.protection, 4);
    ck_assert_uint_eq(x.page_size, 4096);
    /* Every level is ---DA--UWEV (user, writable, executable); the walk's rw/us/nx for a
     * transition page are issue 8's "Transition PTEs lose the walk's flags", fixed and
     * tested with the walker, not here. */
    ssb_free(img);
}
END_TEST

START_TEST(windows10_prototype_vad)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 4 * GiB, 0x100000);
    ck_assert_ptr_nonnull(img);
    lay_out(img, DTB_W10, &gtrans);
    lay_out(img, DTB_W10, &gvad);
    ss_xlat x = walk_published(img, DTB_W10, &gvad, SS_E_PROTOTYPE);
    /* "Proto: VAD", "Protect: 4 - ReadWrite": a prototype PTE whose address field is
     * the all-ones marker (bits 16-63 = 0xFFFFFFFF0000, sign-extended) that sends the
     * fault to the VAD instead of naming a prototype PTE. */
    ck_assert_int_eq(x.state, SS_XLAT_PROTOTYPE);
    ck_assert_uint_eq(x.protection, 4);
    ck_assert_uint_eq(x.proto_address, 0xFFFFFFFFFFFF0000ull);
    ck_assert(!(x.flags & SS_XLAT_F_HAS_PA));
    /* the transition PTE next to it still decodes as published */
    x = walk_published(img, DTB_W10, &gtrans, SS_OK);
    ck_assert_uint_eq(x.pa, 0xa1dd0ull << 12);
    ssb_free(img);
}
END_TEST

START_TEST(windows10_pagefile)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 4 * GiB, 0x100000);
    ck_assert_ptr_nonnull(img);
    lay_out(img, DTB_FLARE, &flare);
    ss_xlat x = walk_published(img, DTB_FLARE, &flare, SS_E_PAGEFILE);
    /* "PageFile: 2 Offset: 1bbeda Protect: 4 - ReadWrite" (Offset in pages) */
    ck_assert_int_eq(x.state, SS_XLAT_PAGEFILE);
    ck_assert_uint_eq(x.pagefile_number, 2);
    ck_assert_uint_eq(x.pagefile_offset, 0x1bbedaull * 4096);
    ck_assert_uint_eq(x.protection, 4);
    ck_assert(!(x.flags & SS_XLAT_F_HAS_PA));
    ssb_free(img);
}
END_TEST

START_TEST(x86_valid_kernel_page)
{
    /* [MSPTE]: PD at our choice of CR3; the PDE names the page table at pfn 3b. */
    const uint64_t cr3 = 0x39000, va = 0x801544f4;
    ssb_image *img = ssb_new(SS_MODE_X86, 64ull << 20, 0x800000);
    ck_assert_ptr_nonnull(img);
    put(img, cr3 + 0x800, 0x0003B163, 4);     /* "PDE at C0300800 contains 0003B163" */
    put(img, 0x3b000 + 0x550, 0x00154121, 4); /* "PTE at C0200550 contains 00154121" */
    ss_source *src = ss_test_open_mem(img, NULL, 0, NULL, 0, NULL);
    ck_assert_ptr_nonnull(src);
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X86, cr3, NULL, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_OK);
    ck_assert_uint_eq(x.nentries, 2);
    ck_assert_uint_eq(x.entries[0].pa, cr3 + 0x800);
    ck_assert_uint_eq(x.entries[1].pa, 0x3b000 + 0x550);
    /* "pfn 154 G--A--KRV": valid, frame 0x154, global, kernel, read-only */
    ck_assert_int_eq(x.state, SS_XLAT_VALID);
    ck_assert_uint_eq(x.pa, 0x154000 + 0x4f4);
    ck_assert_uint_eq(x.page_size, 4096);
    ck_assert(x.flags & SS_XLAT_F_GLOBAL);
    ck_assert(!(x.flags & SS_XLAT_F_US));
    ck_assert(!(x.flags & SS_XLAT_F_RW));
    ss_space_close(sp);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* [GDT1], [GDT2]: published leaf values under upper levels of our own (all P|RW|US). */
static ss_xlat walk_leaf(uint64_t pte, uint64_t va)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 32 * GiB, 0x100000);
    ck_assert_ptr_nonnull(img);
    uint64_t root = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, root, va & ~0xfffull, 0x200000, 4096, SSB_RW | SSB_US), 0);
    ck_assert_uint_ne(ssb_set_entry(img, root, va, SS_LEVEL_PTE, pte), 0);
    ss_source *src = ss_test_open_mem(img, NULL, 0, NULL, 0, NULL);
    ck_assert_ptr_nonnull(src);
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_OK);
    ss_space_close(sp);
    ss_source_close(src);
    ssb_free(img);
    return x;
}

START_TEST(x64_valid_user_readonly)
{
    ss_xlat x = walk_leaf(0x32c000065207b025ull, 0x7ff612345abcull);
    /* PageFrameNumber 0x65207b; Owner 1 (user); Dirty1 0 (read-only); NoExecute 0;
     * SoftwareWsIndex 0x32c in bits 52-62 is software's and does not move the frame */
    ck_assert_int_eq(x.state, SS_XLAT_VALID);
    ck_assert_uint_eq(x.pa, (0x65207bull << 12) + 0xabc);
    ck_assert(x.flags & SS_XLAT_F_US);
    ck_assert(!(x.flags & SS_XLAT_F_RW));
    ck_assert(!(x.flags & SS_XLAT_F_NX));
    ck_assert(!(x.flags & SS_XLAT_F_GLOBAL));
}
END_TEST

START_TEST(x64_valid_kernel_global)
{
    ss_xlat x = walk_leaf(0x000000065207b121ull, 0xfffff8a009e25000ull);
    /* PageFrameNumber 0x65207b; Owner 0 (kernel); Dirty1 0; Global 1 */
    ck_assert_int_eq(x.state, SS_XLAT_VALID);
    ck_assert_uint_eq(x.pa, 0x65207bull << 12);
    ck_assert(!(x.flags & SS_XLAT_F_US));
    ck_assert(!(x.flags & SS_XLAT_F_RW));
    ck_assert(x.flags & SS_XLAT_F_GLOBAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu_swpte_samples");
    TCase *tc = tcase_create("published");
    tcase_add_test(tc, windows10_transition);
    tcase_add_test(tc, windows10_prototype_vad);
    tcase_add_test(tc, windows10_pagefile);
    tcase_add_test(tc, x86_valid_kernel_page);
    tcase_add_test(tc, x64_valid_user_readonly);
    tcase_add_test(tc, x64_valid_kernel_global);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
