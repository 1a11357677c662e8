/*
 * The per-space frame cache: walks over a non-flat, static source (a backend with
 * no zero-copy pages, so pages are copied whole) give exactly the answers of the
 * same image as a flat raw file, before and after flushes, across roots and with
 * paging structures missing or failing; live sources bypass it.
 */
#include "sessionspace/sys/backend.h"
#include "ss_check.h"
#include "testutil.h"

#define MiB (1ull << 20)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    return ss_test_rand(&rng_state);
}

static void assert_same(const ss_xlat *a, const ss_xlat *b)
{
    ck_assert_int_eq(a->state, b->state);
    ck_assert_uint_eq(a->pa, b->pa);
    ck_assert_uint_eq(a->page_size, b->page_size);
    ck_assert_uint_eq(a->flags, b->flags);
    ck_assert_uint_eq(a->nentries, b->nentries);
    for (unsigned i = 0; i < a->nentries; i++) {
        ck_assert_uint_eq(a->entries[i].pa, b->entries[i].pa);
        ck_assert_uint_eq(a->entries[i].value, b->entries[i].value);
    }
}

START_TEST(copies_match_raw)
{
    /* 2,000 random 4 KiB mappings and some 2 MiB ones, under two roots: more page
     * tables than the cache has slots, so slots are reused. */
    ssb_image *img = ssb_new(SS_MODE_X64, 256 * MiB, 128 * MiB);
    uint64_t roots[2] = {ssb_new_root(img), ssb_new_root(img)};
    uint64_t vas[4000];
    for (unsigned i = 0; i < 2000; i++) {
        uint64_t va = 0xffff800000000000ull | ((rnd() & 0x7fffffffffull) << 12);
        vas[i] = va | (rnd() & 0xfff);
        ck_assert_int_eq(ssb_map(img, roots[i & 1], va, (rnd() % 32768) << 12, 4096, SSB_RW), 0);
    }
    for (unsigned i = 0; i < 16; i++)
        ck_assert_int_eq(ssb_map(img, roots[0], 0xfffff80000000000ull + i * 2 * MiB, i * 2 * MiB, 2 * MiB, 0),
                         0);
    for (unsigned i = 2000; i < 4000; i++) /* unmapped neighbours and the large pages */
        vas[i] = i < 3000 ? vas[i - 2000] + 0x1000 : 0xfffff80000000000ull + (rnd() % (32 * MiB));

    ss_source *raw = ss_test_open_raw(img, "fc.raw");
    ss_source *mem = ss_test_open_mem(img, NULL, 0, NULL, 0, NULL); /* static, copies */
    ss_space *a, *b;
    ck_assert_int_eq(ss_space_open(raw, SS_MODE_X64, roots[0], NULL, &a), SS_OK);
    ck_assert_int_eq(ss_space_open(mem, SS_MODE_X64, roots[0], NULL, &b), SS_OK);
    for (int pass = 0; pass < 3; pass++) {
        for (unsigned r = 0; r < 2; r++) {
            ck_assert_int_eq(ss_space_set_dtb(a, roots[r]), SS_OK);
            ck_assert_int_eq(ss_space_set_dtb(b, roots[r]), SS_OK);
            for (unsigned i = 0; i < 4000; i++) {
                ss_xlat x, y;
                ss_space_walk(a, vas[i], &x);
                ss_space_walk(b, vas[i], &y);
                assert_same(&x, &y);
                uint64_t pa1 = 1, pa2 = 2;
                ck_assert_int_eq(ss_translate(a, vas[i], &pa1), ss_translate(b, vas[i], &pa2));
                ck_assert_uint_eq(pa1, pa2);
            }
        }
        if (pass == 1)
            ss_space_flush(b);
    }
    ss_space_close(a);
    ss_space_close(b);
    ss_source_close(raw);
    ss_source_close(mem);
    ssb_free(img);
}
END_TEST

/* A page table that is missing or failing is reported as without the cache, every time. */
START_TEST(missing_and_failing_tables)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 64 * MiB, 32 * MiB);
    uint64_t root = ssb_new_root(img);
    const uint64_t va1 = 0xfffff80000001000ull, va2 = 0xfffff80040001000ull;
    ck_assert_int_eq(ssb_map(img, root, va1, 0x5000, 4096, SSB_RW), 0);
    ck_assert_int_eq(ssb_map(img, root, va2, 0x6000, 4096, SSB_RW), 0);
    ss_source *raw = ss_test_open_raw(img, "fc2.raw");
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(raw, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ss_xlat x1, x2;
    ck_assert_int_eq(ss_space_walk(sp, va1, &x1), SS_OK);
    ck_assert_int_eq(ss_space_walk(sp, va2, &x2), SS_OK);
    ss_space_close(sp);
    ss_source_close(raw);
    uint64_t hole = x1.entries[3].pa >> 12, bad = x2.entries[3].pa >> 12; /* the two page tables */

    ss_source *mem = ss_test_open_mem(img, &hole, 1, &bad, 1, NULL);
    ck_assert_int_eq(ss_space_open(mem, SS_MODE_X64, root, NULL, &sp), SS_OK);
    for (int i = 0; i < 3; i++) {
        ss_xlat x;
        ck_assert_int_eq(ss_space_walk(sp, va1, &x), SS_E_BAD_PFN);
        ck_assert_int_eq(x.level, SS_LEVEL_PTE);
        ck_assert_int_eq(ss_space_walk(sp, va2, &x), SS_E_PT_READ);
        ck_assert_int_eq(x.level, SS_LEVEL_PTE);
        uint64_t pa;
        ck_assert_int_eq(ss_translate(sp, va2, &pa), SS_E_PT_READ);
    }
    ss_space_close(sp);
    ss_source_close(mem);
    ssb_free(img);
}
END_TEST

/* A live source is never served from copies: a changed entry shows at once in walks. */
START_TEST(live_sources_bypass)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 64 * MiB, 32 * MiB);
    uint64_t root = ssb_new_root(img);
    const uint64_t va = 0xfffff80000001000ull;
    ck_assert_int_eq(ssb_map(img, root, va, 0x5000, 4096, SSB_RW), 0);
    uint64_t gen = 1;
    ss_source *live = ss_test_open_mem(img, NULL, 0, NULL, 0, &gen);
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.no_cache = 1;
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(live, SS_MODE_X64, root, &o, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x5000);
    ck_assert_int_eq(ssb_map(img, root, va, 0x7000, 4096, SSB_RW), 0); /* the guest remaps it */
    ck_assert_int_eq(ss_space_walk(sp, va, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x7000);
    ss_space_close(sp);
    ss_source_close(live);
    ssb_free(img);
}
END_TEST

/* A static backend over an image whose page `torn` reads only its first half. */
typedef struct torn_ctx {
    const ssb_image *img;
    uint64_t torn;
    ss_phys_range range;
} torn_ctx;

static ss_status torn_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    torn_ctx *t = ctx;
    *nread = 0;
    for (size_t done = 0; done < len; done++) {
        uint64_t at = pa + done;
        if (at >= ssb_size(t->img))
            return SS_E_RANGE;
        if (at >> 12 == t->torn && (at & 0xfff) >= 2048)
            return SS_E_NO_PAGE;
        ssb_read(t->img, at, (uint8_t *)buf + done, 1);
        *nread = done + 1;
    }
    return SS_OK;
}

static ss_status torn_ranges(void *ctx, const ss_phys_range **r, size_t *n)
{
    torn_ctx *t = ctx;
    *r = &t->range;
    *n = 1;
    return SS_OK;
}

/* A page copy that failed half-way must not be served for the page the slot held before. */
START_TEST(failed_copy_does_not_linger)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 64 * MiB, 48 * MiB);
    uint64_t root = ssb_new_root(img);
    const uint64_t va1 = 0xfffff80000001000ull, va2 = 0xfffff80040001000ull;
    /* page tables at PFN 0x100 and 0x1100: 4,096 frames apart, one frame-cache slot */
    const uint64_t pt1 = 0x100000, pt2 = 0x1100000;
    ck_assert_uint_ne(ssb_set_entry(img, root, va1, SS_LEVEL_PDE, pt1 | SSB_P | SSB_RW), 0);
    ck_assert_uint_ne(ssb_set_entry(img, root, va2, SS_LEVEL_PDE, pt2 | SSB_P | SSB_RW), 0);
    uint64_t e1 = 0x5000 | SSB_P, e2 = 0x6000 | SSB_P;
    ssb_write(img, pt1 + 1 * 8, &e1, 8);
    ssb_write(img, pt2 + 1 * 8, &e2, 8); /* in the readable half of the torn page */
    uint64_t junk = 0x7777000 | SSB_P;
    for (unsigned i = 2; i < 256; i++) /* the torn page's readable half differs from pt1 */
        ssb_write(img, pt2 + i * 8, &junk, 8);
    ssb_write(img, pt2, &junk, 8);

    torn_ctx t = {img, pt2 >> 12, {0, 64 * MiB}};
    static const ss_backend_ops ops = {
        .version = SS_BACKEND_OPS_VERSION, .name = "torn", .read = torn_read, .ranges = torn_ranges};
    ss_source *src;
    ck_assert_int_eq(ss_source_from_backend(&ops, &t, SS_FORMAT_CUSTOM, &src, NULL), SS_OK);
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.no_cache = 1;
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, &o, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, va1, &x), SS_OK); /* pt1 copied into the slot */
    ck_assert_uint_eq(x.pa, 0x5000);
    ck_assert_int_eq(ss_space_walk(sp, va2, &x), SS_OK); /* pt2: whole-page copy fails, entry read works */
    ck_assert_uint_eq(x.pa, 0x6000);
    ck_assert_int_eq(ss_space_walk(sp, va1, &x), SS_OK); /* pt1 again: from the source, not pt2's half */
    ck_assert_uint_eq(x.pa, 0x5000);
    ss_space_close(sp);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("framecache");
    TCase *tc = tcase_create("framecache");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, copies_match_raw);
    tcase_add_test(tc, missing_and_failing_tables);
    tcase_add_test(tc, live_sources_bypass);
    tcase_add_test(tc, failed_copy_does_not_linger);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
