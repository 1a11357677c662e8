/*
 * Translation cache, paging-structure cache, lean walk and batch API: every
 * answer that goes through a cache must equal the uncached full walk
 * (ss_space_walk), for valid pages, large pages (2 MiB, 4 MiB, 1 GiB), Windows
 * software PTEs, bad frames and unreadable tables, over several roots, before and
 * after flushes, root switches and generation changes of a live backend whose
 * memory the test rewrites.
 *
 * The memory lives in an image-builder image served by a custom backend (so the
 * test controls generation() and can make one page fail to read).
 */
#define _POSIX_C_SOURCE 200809L /* unlink */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cache/tcache.h"
#include "imagebuilder.h"
#include "sessionspace/sys/backend.h"
#include "ss_check.h"
#include "testutil.h"

#define KiB    1024ull
#define MiB    (1024ull * KiB)
#define GiB    (1024ull * MiB)
#define NROOTS 3

/* ---- a live backend over an image ------------------------------------------------ */

typedef struct live {
    ssb_image *img;
    ss_phys_range range;
    uint64_t generation;
    uint64_t fail_page; /* reads touching this page fail with SS_E_IO; ~0: none */
} live;

static ss_status live_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    live *l = ctx;
    *nread = 0;
    if (l->fail_page != ~0ull && pa >> 12 <= l->fail_page && (pa + len - 1) >> 12 >= l->fail_page)
        return SS_E_IO;
    if (pa >= ssb_size(l->img) || len > ssb_size(l->img) - pa)
        return SS_E_RANGE;
    if (ssb_read(l->img, pa, buf, len) != 0)
        return SS_E_IO;
    *nread = len;
    return SS_OK;
}

static ss_status live_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    live *l = ctx;
    *ranges = &l->range;
    *count = 1;
    return SS_OK;
}

static uint64_t live_generation(void *ctx)
{
    return ((live *)ctx)->generation;
}

/* ---- the test world: an image with every kind of mapping under NROOTS roots -------- */

typedef struct world {
    ss_mode mode;
    live mem;
    ss_backend_ops ops;
    ss_source *src;
    uint64_t roots[NROOTS];
    uint64_t base;       /* VA of the interesting region (same layout under every root) */
    uint64_t large;      /* large-page size of the PDE level */
    uint64_t span;       /* size of the interesting region */
    uint64_t pte_pa[64]; /* PTE addresses of the first 64 4 KiB pages under roots[0] */
    uint64_t *vas;
    size_t nvas;
} world;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return ss_test_rand(&rng_state);
}

static bool is32(ss_mode m)
{
    return m == SS_MODE_X86 || m == SS_MODE_PAE;
}

/*
 * Layout under root r (from base; "large" = the PDE page size):
 *   [0, 2 large)        4 KiB pages; every 8th page a software / broken PTE
 *   [2 large, 6 large)  large pages, one past the end of the source
 *   6 large             a PDE holding a pagefile entry
 *   7 large             a PDE in transition, over a real page table
 *   8 large             a PDE naming a table outside the source
 *   9 large             a zero PDE (nothing)
 *   x64 / LA57: 1 GiB pages at base + 1 GiB (inside the source) and base + 2 GiB
 *   (half outside: the source is 1.5 GiB).
 */
static void build_world(world *w, ss_mode mode)
{
    memset(w, 0, sizeof *w);
    w->mode = mode;
    const uint64_t phys = 1536 * MiB;
    ssb_image *img = ssb_new(mode, phys, 512 * MiB);
    ck_assert_ptr_nonnull(img);
    w->mem = (live){img, {0, phys}, 1, ~0ull};
    w->large = mode == SS_MODE_X86 ? 4 * MiB : 2 * MiB;
    w->base = is32(mode) ? 0x80000000ull : 0xfffff80000000000ull;
    if (mode == SS_MODE_LA57)
        w->base = 0xff00000000000000ull;
    w->span = is32(mode) ? 16 * w->large : 3 * GiB;
    ss_pte_layout lay = SS_PTE_LAYOUT_WIN8;

    for (int r = 0; r < NROOTS; r++) {
        uint64_t root = ssb_new_root(img);
        ck_assert_uint_ne(root, 0);
        w->roots[r] = root;
        uint64_t b = w->base;
        uint64_t npages = 2 * w->large / 4096;
        for (uint64_t i = 0; i < npages; i++) {
            uint64_t va = b + i * 4096, pfn = (rnd() % (256 * MiB / 4096)) + r;
            uint64_t e;
            switch (i % 8) {
            case 1: e = ssb_sw_transition(mode, pfn, 4); break;
            case 2: e = ssb_sw_pagefile(mode, lay, 1 + (unsigned)(i & 7), (i + 1) * 4096, 4); break;
            case 3: e = ssb_sw_demand_zero(mode, lay, 4); break;
            case 4: e = ssb_sw_prototype(mode, lay, mode == SS_MODE_X86 ? i * 4 : b + i * 8, 4); break;
            case 5: e = 0; break;
            case 6: e = ((phys / 4096 + i) << 12 & (mode == SS_MODE_X86 ? 0xfffff000ull : ~0ull)) | 3; break;
            default: e = 0; break;
            }
            if (i % 8 == 0 || i % 8 == 7)
                ck_assert_int_eq(ssb_map(img, root, va, pfn << 12, 4096, SSB_RW | (r == 1 ? SSB_US : 0)), 0);
            else {
                uint64_t epa = ssb_set_entry(img, root, va, SS_LEVEL_PTE, e);
                ck_assert_uint_ne(epa, 0);
            }
        }
        for (uint64_t i = 0; i < 64 && r == 0; i++) {
            uint64_t epa = ssb_set_entry(img, root, b + i * 4096, SS_LEVEL_PTE, 0);
            ck_assert_uint_ne(epa, 0);
            w->pte_pa[i] = epa;
        }
        if (r == 0) /* set_entry above cleared them: map them again */
            for (uint64_t i = 0; i < 64; i++)
                ck_assert_int_eq(ssb_map(img, root, b + i * 4096, (100 + i) << 12, 4096, SSB_RW), 0);
        for (uint64_t i = 2; i < 6; i++) {
            uint64_t pa = i == 5 ? (phys + w->large) & ~(w->large - 1) : (i + (uint64_t)r) * w->large;
            ck_assert_int_eq(ssb_map(img, root, b + i * w->large, pa, w->large, SSB_RW), 0);
        }
        ck_assert_uint_ne(ssb_set_entry(img, root, b + 6 * w->large, SS_LEVEL_PDE,
                                        ssb_sw_pagefile(mode, lay, 2, 0x123000, 4)),
                          0);
        uint64_t pt = ssb_alloc_page(img);
        for (unsigned i = 0; i < 16; i++) {
            uint64_t pte = ((uint64_t)(200 + i + r) << 12) | SSB_P | SSB_RW;
            unsigned width = mode == SS_MODE_X86 ? 4 : 8;
            ck_assert_int_eq(ssb_write(img, pt + i * width, &pte, width), 0);
        }
        ck_assert_uint_ne(
            ssb_set_entry(img, root, b + 7 * w->large, SS_LEVEL_PDE, ssb_sw_transition(mode, pt >> 12, 4)),
            0);
        uint64_t outside = (phys + 64 * MiB) | SSB_P | SSB_RW;
        ck_assert_uint_ne(ssb_set_entry(img, root, b + 8 * w->large, SS_LEVEL_PDE, outside), 0);
        ck_assert_uint_ne(ssb_set_entry(img, root, b + 9 * w->large, SS_LEVEL_PDE, 0), 0);
        if (!is32(mode)) {
            ck_assert_int_eq(ssb_map(img, root, b + GiB, 0, GiB, SSB_RW), 0);
            ck_assert_int_eq(ssb_map(img, root, b + 2 * GiB, GiB, GiB, SSB_RW), 0);
        }
    }

    w->ops = (ss_backend_ops)SS_BACKEND_OPS_INIT;
    w->ops.name = "live-test";
    w->ops.read = live_read;
    w->ops.ranges = live_ranges;
    w->ops.generation = live_generation;
    ck_assert_int_eq(ss_source_from_backend(&w->ops, &w->mem, SS_FORMAT_RAW, &w->src, NULL), SS_OK);

    /* VAs: random pages of the region (with neighbours), random offsets, garbage. */
    w->nvas = 6000;
    w->vas = malloc(w->nvas * sizeof *w->vas);
    ck_assert_ptr_nonnull(w->vas);
    for (size_t i = 0; i < w->nvas; i++) {
        uint64_t v;
        switch (rnd() % 8) {
        case 0: v = rnd(); break; /* mostly noncanonical */
        case 1: v = is32(mode) ? rnd() & 0xffffffffull : rnd() & 0x7fffffffffffull; break;
        case 2: v = w->base + (rnd() % (10 * w->large)); break;                 /* upper levels */
        default: v = w->base + ((rnd() % 256) * 4096) + (rnd() & 0xfff); break; /* small working set */
        }
        if (!is32(mode) && rnd() % 4 == 0)
            v = w->base + GiB + (rnd() % (2 * GiB)); /* the 1 GiB pages */
        w->vas[i] = v;
    }
}

static void free_world(world *w)
{
    ss_source_close(w->src);
    ssb_free(w->mem.img);
    free(w->vas);
}

/* ss_translate through the cache equals the full walk for every VA (pass repeats). */
static void check_all(world *w, ss_space *s, int passes)
{
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < w->nvas; i++) {
            ss_xlat x;
            uint64_t pa = 0xdead;
            ss_status want = ss_space_walk(s, w->vas[i], &x);
            ss_status got = ss_translate(s, w->vas[i], &pa);
            ck_assert_msg(got == want, "va %#llx: cached %d, walk %d (pass %d)",
                          (unsigned long long)w->vas[i], got, want, p);
            ck_assert_uint_eq(pa, want == SS_OK ? x.pa : 0);
        }
}

static ss_space *open_space(world *w, uint32_t entries, int no_cache)
{
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.cache_entries = entries;
    o.no_cache = (uint32_t)no_cache;
    ss_space *s = NULL;
    ck_assert_int_eq(ss_space_open(w->src, w->mode, w->roots[0], &o, &s), SS_OK);
    return s;
}

static const ss_mode all_modes[] = {SS_MODE_X86, SS_MODE_PAE, SS_MODE_X64, SS_MODE_LA57};

/* The lean walk (with and without the paging-structure cache) equals ss_walk. */
START_TEST(fast_walk_equals_walk)
{
    world w;
    build_world(&w, all_modes[_i]);
    ss_walker wk;
    ss_walker_init(&wk, w.mode, NULL);
    ss_pwc pwc;
    for (int r = 0; r < NROOTS; r++) {
        uint64_t root;
        ck_assert_int_eq(ss_walker_root(w.mode, w.roots[r], &root), SS_OK);
        ss_pwc_clear(&pwc);
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < w.nvas; i++) {
                ss_xlat x;
                ss_walk_result a, b;
                ss_xlat_state s = ss_walk(&wk, w.src, root, w.vas[i], &x);
                ck_assert_int_eq(ss_walk_fast(&wk, w.src, root, w.vas[i], NULL, &a), s);
                ck_assert_int_eq(ss_walk_fast(&wk, w.src, root, w.vas[i], &pwc, &b), s);
                ck_assert_int_eq(a.state, x.state);
                ck_assert_uint_eq(a.pa, x.pa);
                ck_assert_uint_eq(a.page_size, x.page_size);
                ck_assert_uint_eq(a.level, x.level);
                ck_assert(a.state == b.state && a.pa == b.pa && a.page_size == b.page_size &&
                          a.level == b.level);
            }
    }
    free_world(&w);
}
END_TEST

/* Cached answers over several roots, small (evicting) and default caches. */
START_TEST(cached_equals_walk)
{
    world w;
    build_world(&w, all_modes[_i]);
    static const uint32_t sizes[] = {8, 64, 0};
    for (size_t k = 0; k < 3; k++) {
        ss_space *s = open_space(&w, sizes[k], 0);
        for (int r = 0; r < NROOTS; r++) {
            ck_assert_int_eq(ss_space_set_dtb(s, w.roots[r]), SS_OK);
            check_all(&w, s, 2);
        }
        /* back to the first root: its entries must still be right */
        ck_assert_int_eq(ss_space_set_dtb(s, w.roots[0]), SS_OK);
        check_all(&w, s, 1);
        ss_cache_stats st;
        ss_space_cache_stats(s, &st, 1);
        ck_assert_uint_eq(st.entry_bytes, 16);
        ck_assert_uint_gt(st.hits, 0);
        ck_assert_uint_eq(st.lookups, st.hits + st.misses);
        if (sizes[k] == 0) {
            ck_assert_uint_eq(st.entries, 65536);
            ck_assert_uint_gt(st.hits, st.misses); /* the second passes hit */
        }
        ss_space_close(s);
    }
    free_world(&w);
}
END_TEST

/* One entry answers for a whole large page: one miss, then hits for its other 4 KiB pages. */
START_TEST(large_page_one_entry)
{
    world w;
    build_world(&w, SS_MODE_X64);
    ss_space *s = open_space(&w, 0, 0);
    uint64_t pa;
    for (uint64_t off = 0; off < GiB; off += 4 * MiB + 4096) {
        ck_assert_int_eq(ss_translate(s, w.base + GiB + off, &pa), SS_OK);
        ck_assert_uint_eq(pa, off);
    }
    ss_cache_stats st;
    ss_space_cache_stats(s, &st, 1);
    ck_assert_uint_eq(st.misses, 1);
    /* The half-held 1 GiB page translates whole (a translation is not a read): one more
     * miss, then its held and its unheld halves both hit. */
    ck_assert_int_eq(ss_translate(s, w.base + 2 * GiB + 5 * 4096, &pa), SS_OK);
    ck_assert_uint_eq(pa, GiB + 5 * 4096);
    ck_assert_int_eq(ss_translate(s, w.base + 2 * GiB + 512 * MiB + 4096, &pa), SS_OK);
    ck_assert_uint_eq(pa, GiB + 512 * MiB + 4096);
    ck_assert_int_eq(ss_translate(s, w.base + 2 * GiB + 6 * 4096, &pa), SS_OK);
    ck_assert_uint_eq(pa, GiB + 6 * 4096);
    ss_space_cache_stats(s, &st, 0);
    ck_assert_uint_eq(st.misses, 1);
    ck_assert_uint_eq(st.hits, 2);
    ss_space_close(s);
    free_world(&w);
}
END_TEST

static void write_pte(world *w, unsigned i, uint64_t value)
{
    ck_assert_int_eq(ssb_write(w->mem.img, w->pte_pa[i], &value, w->mode == SS_MODE_X86 ? 4 : 8), 0);
}

/* Rewritten memory: answered anew after a generation bump or an explicit flush. */
START_TEST(invalidation)
{
    world w;
    build_world(&w, all_modes[_i]);
    ss_space *s = open_space(&w, 0, 0);
    check_all(&w, s, 2);
    uint64_t pa;
    ck_assert_int_eq(ss_translate(s, w.base + 3 * 4096, &pa), SS_OK);
    ck_assert_uint_eq(pa, 103 << 12);

    /* Live change + generation bump: the cache must not answer from before. */
    for (unsigned i = 0; i < 64; i++)
        write_pte(&w, i, i % 2 ? 0 : ((300ull + i) << 12) | 1);
    w.mem.generation++;
    ck_assert_int_eq(ss_translate(s, w.base + 3 * 4096, &pa), SS_E_NOT_PRESENT);
    ck_assert_int_eq(ss_translate(s, w.base + 4 * 4096, &pa), SS_OK);
    ck_assert_uint_eq(pa, 304 << 12);
    check_all(&w, s, 2);

    /* Change without a bump: the (documented) stale answer, until ss_space_flush. */
    write_pte(&w, 4, 0);
    ck_assert_int_eq(ss_translate(s, w.base + 4 * 4096, &pa), SS_OK);
    ss_space_flush(s);
    ck_assert_int_eq(ss_translate(s, w.base + 4 * 4096, &pa), SS_E_NOT_PRESENT);
    check_all(&w, s, 2);

    /* Negative answers do not survive a generation change either. */
    write_pte(&w, 4, (77ull << 12) | 1);
    w.mem.generation++;
    ck_assert_int_eq(ss_translate(s, w.base + 4 * 4096, &pa), SS_OK);
    ck_assert_uint_eq(pa, 77 << 12);
    ss_cache_stats st;
    ss_space_cache_stats(s, &st, 0);
    ck_assert_uint_ge(st.flushes, 3);
    check_all(&w, s, 1);

    /* Root switch after a change: the paging-structure cache must follow the root. */
    ck_assert_int_eq(ss_space_set_dtb(s, w.roots[1]), SS_OK);
    check_all(&w, s, 1);
    ck_assert_int_eq(ss_space_set_dtb(s, w.roots[0]), SS_OK);
    check_all(&w, s, 1);
    ss_space_close(s);
    free_world(&w);
}
END_TEST

/* An unreadable page table gives SS_E_PT_READ, which is not cached. */
START_TEST(read_errors_not_cached)
{
    world w;
    build_world(&w, all_modes[_i]);
    ss_space *s = open_space(&w, 0, 0);
    uint64_t pa, va = w.base + 3 * 4096;
    ck_assert_int_eq(ss_translate(s, va + 4096 * 8, &pa), SS_OK); /* fills the upper-level cache */
    w.mem.fail_page = w.pte_pa[3] >> 12;
    ck_assert_int_eq(ss_translate(s, va, &pa), SS_E_PT_READ);
    ck_assert_int_eq(ss_translate(s, va, &pa), SS_E_PT_READ);
    ck_assert_uint_eq(pa, 0);
    uint64_t b[4];
    ss_status sts[4];
    ck_assert_int_eq(ss_translate_range(s, va, 2, b, sts, NULL), SS_OK);
    ck_assert_int_eq(sts[0], SS_E_PT_READ);
    w.mem.fail_page = ~0ull; /* the I/O error went away: no flush needed */
    ck_assert_int_eq(ss_translate(s, va, &pa), SS_OK);
    ck_assert_uint_eq(pa, 103 << 12);
    check_all(&w, s, 1);
    ss_space_close(s);
    free_world(&w);
}
END_TEST

/* Batches equal per-address answers, with and without a cache. */
START_TEST(batch_equals_single)
{
    world w;
    build_world(&w, all_modes[_i]);
    size_t n = w.nvas;
    size_t cap = 16384; /* the largest batch below: 12 large pages of 32-bit modes */
    ck_assert_uint_ge(cap, n);
    uint64_t *pas = malloc(cap * sizeof *pas);
    ss_status *sts = malloc(cap * sizeof *sts);
    ck_assert_ptr_nonnull(pas);
    ck_assert_ptr_nonnull(sts);
    /* A flat (mmap'd raw) copy of the same memory: ranges then read page tables directly. */
    char path[512], spec[520];
    const char *dir = getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/test_cache_%d.raw", dir, _i);
    snprintf(spec, sizeof spec, "raw:%s", path);
    ck_assert_int_eq(ssb_write_raw(w.mem.img, path), 0);
    ss_source *flat = NULL;
    ck_assert_int_eq(ss_source_open(spec, &flat, NULL), SS_OK);
    ss_source *live_src = w.src;
    for (int cfg = 0; cfg < 4; cfg++) {
        int no_cache = cfg & 1;
        w.src = cfg < 2 ? live_src : flat;
        ss_space *s = open_space(&w, 64, no_cache);
        ss_space *ref = open_space(&w, 0, 1);
        for (int r = 0; r < NROOTS; r++) {
            ck_assert_int_eq(ss_space_set_dtb(s, w.roots[r]), SS_OK);
            ck_assert_int_eq(ss_space_set_dtb(ref, w.roots[r]), SS_OK);
            size_t ok = 99, want_ok = 0;
            ck_assert_int_eq(ss_translate_many(s, w.vas, n, pas, sts, &ok), SS_OK);
            for (size_t i = 0; i < n; i++) {
                uint64_t pa;
                ss_status st = ss_translate(ref, w.vas[i], &pa);
                ck_assert_int_eq(sts[i], st);
                ck_assert_uint_eq(pas[i], pa);
                want_ok += st == SS_OK;
            }
            ck_assert_uint_eq(ok, want_ok);
            ck_assert_uint_gt(ok, 0);

            /* Ranges: the whole interesting region of 32-bit modes, windows elsewhere, the top of the VA
             * space. */
            const uint64_t starts[] = {w.base - 3 * 4096 + 123,
                                       w.base + 5 * w.large - 7 * 4096,
                                       w.base + GiB - 4096,
                                       w.base + 2 * GiB + 512 * MiB - 9 * 4096,
                                       0xfffffffffffff000ull - 8 * 4096,
                                       0x7ffffffff000ull};
            for (size_t k = 0; k < sizeof starts / sizeof *starts; k++) {
                size_t np = is32(w.mode) && k == 0 ? (size_t)(12 * w.large / 4096) : n;
                ck_assert_uint_le(np, cap);
                ck_assert_int_eq(ss_translate_range(s, starts[k], np, pas, sts, &ok), SS_OK);
                want_ok = 0;
                for (size_t i = 0; i < np; i++) {
                    uint64_t pa, va = (starts[k] & ~0xfffull) + i * 4096;
                    ss_status st = ss_translate(ref, va, &pa);
                    ck_assert_msg(sts[i] == st, "cfg %d root %d range %zu page %zu va %#llx: %d vs %d", cfg,
                                  r, k, i, (unsigned long long)va, sts[i], st);
                    ck_assert_uint_eq(pas[i], pa);
                    want_ok += st == SS_OK;
                }
                ck_assert_uint_eq(ok, want_ok);
            }
        }
        ck_assert_int_eq(ss_translate_many(s, NULL, 0, NULL, NULL, NULL), SS_OK);
        ck_assert_int_eq(ss_translate_many(s, w.vas, 1, NULL, sts, NULL), SS_E_INVALID_ARG);
        ck_assert_int_eq(ss_translate_range(NULL, 0, 1, pas, sts, NULL), SS_E_INVALID_ARG);
        ck_assert_int_eq(ss_translate_range(s, 0, 0, NULL, NULL, NULL), SS_OK);
        ss_space_close(s);
        ss_space_close(ref);
    }
    w.src = live_src;
    ss_source_close(flat);
    unlink(path);
    free(pas);
    free(sts);
    free_world(&w);
}
END_TEST

/* More roots than the cache has ids for: still right after the ids are recycled. */
START_TEST(many_roots)
{
    world w;
    build_world(&w, SS_MODE_X64);
    ss_space *s = open_space(&w, 256, 0);
    w.nvas = 40;
    for (int k = 0; k < 300; k++) {
        /* the same roots seen through CR3 values whose PCID bits differ: one id each */
        uint64_t dtb = w.roots[k % NROOTS] | (uint64_t)(k % 4096);
        ck_assert_int_eq(ss_space_set_dtb(s, dtb), SS_OK);
        check_all(&w, s, 1);
    }
    /* 300 distinct (empty) roots: ids run out and are recycled */
    for (int k = 0; k < 300; k++) {
        ck_assert_int_eq(ss_space_set_dtb(s, (uint64_t)(k + 1) * 4096), SS_OK);
        check_all(&w, s, 1);
    }
    ck_assert_int_eq(ss_space_set_dtb(s, w.roots[0]), SS_OK);
    check_all(&w, s, 1);
    ss_space_close(s);
    free_world(&w);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cache");
    TCase *t = tcase_create("cache");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, fast_walk_equals_walk, 0, 4);
    tcase_add_loop_test(t, cached_equals_walk, 0, 4);
    tcase_add_test(t, large_page_one_entry);
    tcase_add_loop_test(t, invalidation, 0, 4);
    tcase_add_loop_test(t, read_errors_not_cached, 0, 4);
    tcase_add_loop_test(t, batch_equals_single, 0, 4);
    tcase_add_test(t, many_roots);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ss_run_suite(suite());
}
