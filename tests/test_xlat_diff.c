/*
 * Differential tests of the translation cache, the paging-structure cache and the
 * batch paths against the uncached walk (fuzz/xlatdiff.h), over *random* page
 * tables: a small pool of table pages whose every entry is drawn at random (zero,
 * Windows software PTEs, pointers back into the pool at any level, 4 KiB and large
 * leaves inside, straddling or outside the source, garbage), in all four modes,
 * with flat (raw file) and non-flat sources (custom backend with holes and pages
 * that fail to read), tiny caches, and several roots.
 *
 * With SS_FUZZ_SEED_DIR set, a few of these worlds are written as seeds for
 * tests/fuzz/fuzz_walk.c (in its input format, see there).
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz/xlatdiff.h"
#include "imagebuilder.h"
#include "ss_check.h"
#include "testutil.h"

#define MiB   (1024ull * 1024)
#define PHYS  (6 * MiB) /* a 4 MiB page at 4 MiB and any 1 GiB page straddle its end */
#define NPOOL 24
#define NVAS  2500

static uint64_t rng;
static uint64_t rnd(void)
{
    return ss_test_rand(&rng);
}

typedef struct rworld {
    ss_mode mode;
    ssb_image *img;
    uint64_t pool[NPOOL]; /* PAs of the table pages */
    uint64_t dtbs[8];
    size_t ndtbs;
    uint64_t vas[NVAS + 16];
    size_t nvas;
    uint64_t palette[6][4]; /* per level: the few indexes VAs use, so VAs share entries */
} rworld;

static unsigned width_of(ss_mode m)
{
    return m == SS_MODE_X86 ? 4 : 8;
}

static unsigned levels_of(ss_mode m)
{
    return m == SS_MODE_X86 ? 2 : m == SS_MODE_PAE ? 3 : m == SS_MODE_X64 ? 4 : 5;
}

/* VA bit where level's index starts, and its width in bits. */
static void level_geom(ss_mode m, unsigned level, unsigned *shift, unsigned *bits)
{
    if (m == SS_MODE_X86) {
        *shift = level == 1 ? 12 : 22;
        *bits = 10;
        return;
    }
    *shift = 12 + 9 * (level - 1);
    *bits = (m == SS_MODE_PAE && level == 3) ? 2 : 9;
}

/* One random paging entry. */
static uint64_t random_entry(const rworld *w)
{
    ss_mode m = w->mode;
    uint64_t flags = (rnd() & 0x166) | 1; /* P plus a mix of RW, US, PWT, ... */
    uint64_t e;
    switch (rnd() % 10) {
    case 0:
    case 1: e = 0; break;
    case 2: { /* a Windows software PTE */
        switch (rnd() % 4) {
        case 0: e = ssb_sw_transition(m, rnd() % (PHYS / 4096 + 64), 4); break;
        case 1: e = ssb_sw_pagefile(m, SS_PTE_LAYOUT_WIN8, 1, (rnd() % 1000 + 1) * 4096, 4); break;
        case 2: e = ssb_sw_demand_zero(m, SS_PTE_LAYOUT_WIN8, 4); break;
        default: e = ssb_sw_prototype(m, SS_PTE_LAYOUT_WIN8, m == SS_MODE_X86 ? 64 : 0x80001000, 4); break;
        }
        break;
    }
    case 3:
    case 4:
    case 5: /* a table of the pool (PS sometimes set: a large page at the pool's address) */
        e = w->pool[rnd() % NPOOL] | flags | (rnd() % 6 == 0 ? SSB_PS : 0);
        break;
    case 6:
    case 7: { /* a leaf: a frame inside, just past or far past the source */
        uint64_t pfn = rnd() % 3 ? rnd() % (PHYS / 4096) : PHYS / 4096 + rnd() % 2048;
        e = (pfn << 12) | flags;
        break;
    }
    case 8: { /* a large page at 0, 2/4 MiB, 4 MiB (straddling the end) or far out */
        static const uint64_t bases[] = {0, 2 * MiB, 4 * MiB, 1ull << 30, 1ull << 31};
        e = bases[rnd() % 5] | flags | SSB_PS;
        break;
    }
    default: e = rnd(); break; /* garbage */
    }
    if (m == SS_MODE_X86)
        e &= 0xffffffffull;
    else if (rnd() % 4 == 0)
        e |= SSB_XD;
    return e;
}

static uint64_t random_va(const rworld *w)
{
    ss_mode m = w->mode;
    unsigned r = (unsigned)(rnd() % 20);
    if (r == 0)
        return rnd(); /* anything: mostly not canonical */
    uint64_t va = 0;
    for (unsigned level = 1; level <= levels_of(m); level++) {
        unsigned shift, bits;
        level_geom(m, level, &shift, &bits);
        uint64_t idx = r == 1 ? rnd() : w->palette[level][rnd() % 4];
        va |= (idx & ((1ull << bits) - 1)) << shift;
    }
    va |= rnd() & 0xfff;
    unsigned vbits = m == SS_MODE_X64 ? 48 : m == SS_MODE_LA57 ? 57 : 0;
    if (vbits && (va >> (vbits - 1)) & 1)
        va |= ~0ull << vbits; /* canonical */
    return va;
}

static void build(rworld *w, ss_mode mode, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    rng = seed * 0x9E3779B97F4A7C15ull + 1;
    w->mode = mode;
    w->img = ssb_new(mode, PHYS, 0);
    ck_assert_ptr_nonnull(w->img);
    for (size_t i = 0; i < NPOOL; i++)
        w->pool[i] = (rnd() % (PHYS / 4096)) << 12;
    for (unsigned level = 1; level <= 5; level++)
        for (unsigned k = 0; k < 4; k++)
            w->palette[level][k] = k == 0 ? 0 : k == 3 ? ~0ull : rnd();
    unsigned width = width_of(mode);
    uint8_t page[4096];
    for (size_t i = 0; i < NPOOL; i++) {
        for (unsigned off = 0; off < 4096; off += width) {
            uint64_t e = random_entry(w);
            memcpy(page + off, &e, width);
        }
        ck_assert_int_eq(ssb_write(w->img, w->pool[i], page, sizeof page), 0);
    }
    for (size_t i = 0; i < 40; i++) { /* data pages with recognisable bytes */
        uint64_t pa = (rnd() % (PHYS / 4096)) << 12;
        for (size_t j = 0; j < sizeof page; j++)
            page[j] = (uint8_t)(rnd() >> 17);
        ck_assert_int_eq(ssb_write(w->img, pa, page, sizeof page), 0);
    }
    w->ndtbs = 4;
    for (size_t i = 0; i < w->ndtbs; i++)
        w->dtbs[i] = w->pool[rnd() % NPOOL] | (mode == SS_MODE_PAE ? (rnd() % 128) * 32 : 0);
    for (size_t i = 0; i < NVAS; i++)
        w->vas[w->nvas++] = random_va(w);
    w->nvas += xd_edge_vas(mode, w->vas + w->nvas);
}

static const ss_mode all_modes[] = {SS_MODE_X86, SS_MODE_PAE, SS_MODE_X64, SS_MODE_LA57};

static void check_world(rworld *w, ss_source *src, uint32_t cache_entries)
{
    xd_report r;
    int rc = xd_check(&r, src, w->mode, w->dtbs, w->ndtbs, w->vas, w->nvas, cache_entries, 1500);
    ck_assert_msg(rc == 0, "%s %s: %s", ss_mode_name(w->mode), ss_format_name(ss_source_format(src)), r.msg);
    ck_assert_uint_gt(r.checks, 10000);
}

/* Flat source (raw file): the walker reads entries straight from the mapping. */
START_TEST(random_tables_flat)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        rworld w;
        build(&w, all_modes[_i], seed + 100 * (uint64_t)_i);
        ss_source *src = ss_test_open_raw(w.img, "xdiff.raw");
        ck_assert_ptr_nonnull(src);
        check_world(&w, src, seed % 2 ? 4 : 64);
        ss_source_close(src);
        ssb_free(w.img);
    }
}
END_TEST

/* Non-flat source: holes (some under page tables) and pages that fail to read. */
START_TEST(random_tables_holes)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        rworld w;
        build(&w, all_modes[_i], seed + 1000 + 100 * (uint64_t)_i);
        uint64_t holes[12], bad[2];
        for (size_t i = 0; i < 12; i++) /* half of them under the pool's tables */
            holes[i] = i % 2 ? w.pool[rnd() % NPOOL] >> 12 : rnd() % (PHYS / 4096);
        bad[0] = w.pool[rnd() % NPOOL] >> 12;
        bad[1] = rnd() % (PHYS / 4096);
        ss_source *src = ss_test_open_mem(w.img, holes, 12, bad, 2, NULL);
        ck_assert_ptr_nonnull(src);
        check_world(&w, src, seed % 2 ? 16 : 0);
        ss_source_close(src);
        ssb_free(w.img);
    }
}
END_TEST

/* More than 255 roots: the cache recycles its root ids without mixing answers. */
START_TEST(root_id_recycling)
{
    rworld w;
    build(&w, all_modes[_i], 77 + (uint64_t)_i);
    ss_source *src = ss_test_open_raw(w.img, "xdiff-roots.raw");
    ck_assert_ptr_nonnull(src);
    ss_space_options co = SS_SPACE_OPTIONS_INIT, wo = SS_SPACE_OPTIONS_INIT;
    co.cache_entries = 1u << 12;
    wo.no_cache = 1;
    ss_space *cached, *walk;
    ck_assert_int_eq(ss_space_open(src, w.mode, w.pool[0], &co, &cached), SS_OK);
    ck_assert_int_eq(ss_space_open(src, w.mode, w.pool[0], &wo, &walk), SS_OK);
    xd_report r = {{0}, 0};
    /* 600 distinct roots, cycling over the pool's tables (PAE: 32-byte steps) and other pages */
    for (unsigned i = 0; i < 600; i++) {
        uint64_t dtb = w.mode == SS_MODE_PAE ? w.pool[i % NPOOL] + (i / NPOOL % 128) * 32
                                             : ((i % 3) ? w.pool[i % NPOOL] : (uint64_t)(i % 1536) << 12);
        ck_assert_int_eq(ss_space_set_dtb(cached, dtb), SS_OK);
        ck_assert_int_eq(ss_space_set_dtb(walk, dtb), SS_OK);
        for (size_t k = 0; k < 40; k++) {
            int rc = xd_one(&r, walk, cached, w.vas[(i * 40 + k) % w.nvas], "translate (many roots)");
            ck_assert_msg(rc == 0, "%s", r.msg);
        }
    }
    ss_space_close(cached);
    ss_space_close(walk);
    ss_source_close(src);
    ssb_free(w.img);
}
END_TEST

/* Seeds for fuzz_walk: [mode][flags][ndtb u8][pad] dtbs (u64) vas (u64 x 16) then memory. */
START_TEST(write_fuzz_seeds)
{
    const char *dir = getenv("SS_FUZZ_SEED_DIR");
    if (!dir || !*dir)
        return;
    char sub[600], path[700];
    snprintf(sub, sizeof sub, "%s/fuzz_walk", dir);
    ck_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
    ck_assert(mkdir(sub, 0755) == 0 || errno == EEXIST);
    for (size_t mi = 0; mi < 4; mi++) {
        /* a 64-page memory: pool tables and frames inside it */
        ss_mode mode = all_modes[mi];
        rworld w;
        memset(&w, 0, sizeof w);
        w.mode = mode;
        rng = 4242 + mi;
        for (size_t i = 0; i < NPOOL; i++)
            w.pool[i] = (rnd() % 64) << 12;
        for (unsigned level = 1; level <= 5; level++)
            for (unsigned k = 0; k < 4; k++)
                w.palette[level][k] = k == 0 ? 0 : k == 3 ? ~0ull : rnd();
        snprintf(path, sizeof path, "%s/seed-%s", sub, ss_mode_name(mode));
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        uint8_t hdr[4] = {(uint8_t)(mode - 1), (uint8_t)(mi * 0x11), 2,
                          5}; /* fuzz_walk: mode = 1 + byte % 4 */
        fwrite(hdr, 1, 4, f);
        for (int i = 0; i < 2; i++) {
            uint64_t d = w.pool[i];
            fwrite(&d, 8, 1, f);
        }
        for (int i = 0; i < 16; i++) {
            uint64_t va = random_va(&w);
            fwrite(&va, 8, 1, f);
        }
        unsigned width = width_of(mode);
        for (size_t p = 0; p < 64 * 4096; p += width) {
            uint64_t e = random_entry(&w);
            /* keep frames inside the 64-page memory most of the time */
            if (rnd() % 2 && mode != SS_MODE_X86)
                e = (e & ~0x000ffffffffff000ull) | ((rnd() % 64) << 12);
            else if (rnd() % 2)
                e = (e & ~0xfffff000ull) | ((rnd() % 64) << 12);
            fwrite(&e, width, 1, f);
        }
        ck_assert_int_eq(fclose(f), 0);
    }
}
END_TEST

static Suite *xlat_diff_suite(void)
{
    Suite *s = suite_create("xlat_diff");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, random_tables_flat, 0, 4);
    tcase_add_loop_test(tc, random_tables_holes, 0, 4);
    tcase_add_loop_test(tc, root_id_recycling, 0, 4);
    tcase_add_test(tc, write_fuzz_seeds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ss_run_suite(xlat_diff_suite());
}
