/*
 * Translation cache: direct-mapped table keyed by (root, virtual page number),
 * hashed with XXH3. Holds both translations and negative answers (their status),
 * and is dropped whole when the source's generation changes.
 */
#include <stdlib.h>
#include <xxhash.h>

#include "tcache.h"

#define DEFAULT_ENTRIES (1u << 16)

typedef struct tc_entry {
    uint64_t root_vpn_tag; /* XXH3 of (root, vpn) | 1, 0 = empty */
    uint64_t vpn;
    uint64_t root;
    uint64_t pa_page;
    int32_t status;
} tc_entry;

struct ss_tcache {
    tc_entry *slots;
    uint32_t mask;
    uint64_t generation;
    ss_cache_stats stats;
};

ss_status ss_tcache_new(uint32_t entries, uint64_t generation, ss_tcache **out)
{
    uint32_t n = entries ? entries : DEFAULT_ENTRIES;
    if (n > (1u << 28))
        return SS_E_INVALID_ARG;
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    ss_tcache *c = calloc(1, sizeof *c);
    if (!c)
        return SS_E_NOMEM;
    c->slots = calloc(p, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return SS_E_NOMEM;
    }
    c->mask = p - 1;
    c->generation = generation;
    c->stats.entries = p;
    c->stats.entry_bytes = sizeof(tc_entry);
    *out = c;
    return SS_OK;
}

void ss_tcache_free(ss_tcache *c)
{
    if (!c)
        return;
    free(c->slots);
    free(c);
}

static void tcache_clear(ss_tcache *c)
{
    memset(c->slots, 0, ((size_t)c->mask + 1) * sizeof *c->slots);
    c->stats.flushes++;
}

/* Negative answers that depend only on the tables (not on a read failing) are cacheable. */
static bool cacheable(ss_status st)
{
    return st != SS_E_PT_READ;
}

ss_status ss_translate(ss_space *space, uint64_t va, uint64_t *pa)
{
    if (!space || !pa)
        return SS_E_INVALID_ARG;
    ss_tcache *c = space->cache;
    ss_xlat x;
    if (!c) {
        ss_status st = ss_xlat_state_status(ss_walk(&space->walker, space->src, space->root, va, &x));
        *pa = st == SS_OK ? x.pa : 0;
        return st;
    }
    uint64_t gen = ss_source_generation(space->src);
    if (SS_UNLIKELY(gen != c->generation)) {
        tcache_clear(c);
        c->generation = gen;
    }
    uint64_t vpn = va >> SS_PAGE_SHIFT;
    uint64_t key[2] = {space->root, vpn};
    uint64_t h = XXH3_64bits(key, sizeof key);
    tc_entry *e = &c->slots[h & c->mask];
    c->stats.lookups++;
    if (e->root_vpn_tag == (h | 1) && e->vpn == vpn && e->root == space->root) {
        c->stats.hits++;
        *pa = e->status == SS_OK ? e->pa_page | (va & (SS_PAGE_SIZE - 1)) : 0;
        return (ss_status)e->status;
    }
    c->stats.misses++;
    ss_status st = ss_xlat_state_status(ss_walk(&space->walker, space->src, space->root, va, &x));
    if (cacheable(st)) {
        e->root_vpn_tag = h | 1;
        e->vpn = vpn;
        e->root = space->root;
        e->pa_page = st == SS_OK ? x.pa & ~(uint64_t)(SS_PAGE_SIZE - 1) : 0;
        e->status = st;
    }
    *pa = st == SS_OK ? x.pa : 0;
    return st;
}

ss_status ss_translate_many(ss_space *space, const uint64_t *vas, size_t count, uint64_t *pas,
                            ss_status *statuses, size_t *ntranslated)
{
    if (!space || (count && (!vas || !pas || !statuses)))
        return SS_E_INVALID_ARG;
    size_t ok = 0;
    for (size_t i = 0; i < count; i++) {
        statuses[i] = ss_translate(space, vas[i], &pas[i]);
        ok += statuses[i] == SS_OK;
    }
    if (ntranslated)
        *ntranslated = ok;
    return SS_OK;
}

ss_status ss_translate_range(ss_space *space, uint64_t va, size_t npages, uint64_t *pas,
                             ss_status *statuses, size_t *ntranslated)
{
    if (!space || (npages && (!pas || !statuses)))
        return SS_E_INVALID_ARG;
    size_t ok = 0;
    uint64_t base = va & ~(uint64_t)(SS_PAGE_SIZE - 1);
    for (size_t i = 0; i < npages; i++) {
        statuses[i] = ss_translate(space, base + ((uint64_t)i << SS_PAGE_SHIFT), &pas[i]);
        ok += statuses[i] == SS_OK;
    }
    if (ntranslated)
        *ntranslated = ok;
    return SS_OK;
}

void ss_space_flush(ss_space *space)
{
    if (space && space->cache)
        tcache_clear(space->cache);
}

void ss_space_cache_stats(ss_space *space, ss_cache_stats *stats, int reset)
{
    if (!space || !stats)
        return;
    memset(stats, 0, sizeof *stats);
    if (!space->cache)
        return;
    *stats = space->cache->stats;
    if (reset) {
        uint32_t entries = space->cache->stats.entries, eb = space->cache->stats.entry_bytes;
        memset(&space->cache->stats, 0, sizeof space->cache->stats);
        space->cache->stats.entries = entries;
        space->cache->stats.entry_bytes = eb;
    }
}
