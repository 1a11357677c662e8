/*
 * The translation entry points of sessionspace/space.h: ss_translate and its
 * batch forms, flush and cache counters. They call down into the translation
 * cache (cache/tcache.h) or, with caching off, straight into the walk.
 */
#include "space_internal.h"

#if defined(__GNUC__) || defined(__clang__)
#define TR_NOINLINE __attribute__((noinline))
#else
#define TR_NOINLINE
#endif

/* Everything but a home-slot hit of a source without generations (kept out of line). */
static TR_NOINLINE ss_status translate_slow(ss_space *space, uint64_t va, uint64_t *pa)
{
    if (!space || !pa)
        return SS_E_INVALID_ARG;
    if (!space->cache) {
        ss_walk_result r;
        return ss_walk_translate(&space->walker, space->src, space->root, va, NULL, &r, pa);
    }
    return ss_tcache_translate(space->cache, va, pa);
}

ss_status ss_translate(ss_space *space, uint64_t va, uint64_t *pa)
{
    ss_tcache *c;
    ss_status st;
    if (SS_LIKELY(space && pa && (c = space->cache) && !c->gen_fn) && ss_tcache_hit(c, va, pa, &st))
        return st;
    return translate_slow(space, va, pa);
}

ss_status ss_translate_many(ss_space *space, const uint64_t *vas, size_t count, uint64_t *pas,
                            ss_status *statuses, size_t *ntranslated)
{
    if (!space || (count && (!vas || !pas || !statuses)))
        return SS_E_INVALID_ARG;
    size_t ok = 0;
    ss_tcache *c = space->cache;
    if (c) {
        ss_tcache_sync(c); /* once per call: the batch sees one generation */
        for (size_t i = 0; i < count; i++) {
            ss_status st;
            if (!ss_tcache_hit(c, vas[i], &pas[i], &st)) /* the home slot inline, the rest a call */
                st = ss_tcache_lookup(c, vas[i], &pas[i]);
            statuses[i] = st;
            ok += st == SS_OK;
        }
    } else {
        for (size_t i = 0; i < count; i++) {
            ss_walk_result r;
            statuses[i] =
                ss_walk_translate(&space->walker, space->src, space->root, vas[i], NULL, &r, &pas[i]);
            ok += statuses[i] == SS_OK;
        }
    }
    if (ntranslated)
        *ntranslated = ok;
    return SS_OK;
}

ss_status ss_translate_range(ss_space *space, uint64_t va, size_t npages, uint64_t *pas, ss_status *statuses,
                             size_t *ntranslated)
{
    if (!space || (npages && (!pas || !statuses)))
        return SS_E_INVALID_ARG;
    ss_pwc local, *pwc = &local;
    if (space->cache) {
        ss_tcache_sync(space->cache);
        pwc = &space->cache->pwc;
    } else if (npages) {
        ss_pwc_clear(&local); /* walks within this call share their upper levels */
    }
    size_t ok = 0;
    uint64_t cur = va & ~(uint64_t)(SS_PAGE_SIZE - 1);
    for (size_t i = 0; i < npages;) {
        ss_walk_result r;
        uint64_t pa;
        ss_status st = ss_walk_translate(&space->walker, space->src, space->root, cur, pwc, &r, &pa);
        uint64_t n = ss_walk_same_pages(&space->walker, cur, &r, st);
        if (n > npages - i)
            n = npages - i;
        for (uint64_t j = 0; j < n; j++, i++) {
            pas[i] = st == SS_OK ? pa + (j << SS_PAGE_SHIFT) : 0;
            statuses[i] = st;
        }
        ok += st == SS_OK ? (size_t)n : 0;
        cur += n << SS_PAGE_SHIFT;
        if (st == SS_OK && r.page_size == SS_PAGE_SIZE && i < npages) {
            /* the rest of this page table, one entry load per page */
            size_t k = ss_walk_pte_run(&space->walker, space->src, pwc, cur, npages - i, &pas[i]);
            for (size_t j = 0; j < k; j++)
                statuses[i + j] = SS_OK;
            i += k;
            ok += k;
            cur += (uint64_t)k << SS_PAGE_SHIFT;
        }
    }
    if (ntranslated)
        *ntranslated = ok;
    return SS_OK;
}

void ss_space_flush(ss_space *space)
{
    if (!space)
        return;
    if (space->cache)
        ss_tcache_clear(space->cache);
    ss_frame_cache_clear(space->frames);
}

void ss_space_cache_stats(ss_space *space, ss_cache_stats *stats, int reset)
{
    if (!space || !stats)
        return;
    memset(stats, 0, sizeof *stats);
    if (space->cache)
        ss_tcache_stats(space->cache, stats, reset);
}
