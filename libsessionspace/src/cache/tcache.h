/*
 * The cache layer's translation cache (private header, not installed):
 * (root, virtual page) -> physical page or status, plus the paging-structure
 * cache of the current root. Design in tcache.c. Sits on mmu/walk.h; knows
 * nothing of the space object: core/ hands it a walker and a source and calls
 * down. The home-slot hit is here, inline, so that ss_translate() needs no call
 * when it hits.
 */
#ifndef SS_CACHE_TCACHE_H
#define SS_CACHE_TCACHE_H

#define XXH_INLINE_ALL /* the 8-byte XXH3 path inlined into the hot path */
#include <xxhash.h>

#include "../mmu/walk.h"

#define SS_TC_MAX_ROOTS 255u
#define SS_TC_CLASSES   3u
#define SS_TC_CODE_MASK 0xfffull

typedef struct ss_tc_entry {
    uint64_t key; /* 0: empty */
    uint64_t val; /* page base (SS_OK) or -status */
} ss_tc_entry;

typedef struct ss_tcache {
    ss_tc_entry *slots;
    uint64_t mask;
    uint64_t bias;                      /* va + bias maps the canonical VAs onto [0, 2^va_bits) */
    unsigned va_bits;                   /* the mode's significant VA bits */
    uint8_t class_shift[SS_TC_CLASSES]; /* log2 of each class's page size */
    unsigned nclasses;
    unsigned classes_used;           /* bit k: an entry of class k may exist */
    uint64_t root_bits;              /* current root id << 2 */
    uint64_t root;                   /* current root */
    uint64_t roots[SS_TC_MAX_ROOTS]; /* roots[i] has id i + 1 */
    unsigned nroots;
    uint64_t (*gen_fn)(void *ctx); /* the source's generation(), NULL when static */
    void *gen_ctx;
    uint64_t generation;
    uint64_t hits, misses, flushes;
    uint32_t entries;
    const ss_walker *walker; /* what misses walk with, and over which source */
    ss_source *src;
    ss_pwc pwc; /* paging-structure cache of the current root */
} ss_tcache;

/*
 * Creates a cache of at least `entries` slots (0: default, 65,536) for walks of
 * walker w over src, starting at root. w and src must outlive the cache.
 * Errors: SS_E_INVALID_ARG (more than 2^28 entries), SS_E_NOMEM.
 */
ss_status ss_tcache_new(const ss_walker *w, ss_source *src, uint64_t root, uint32_t entries, ss_tcache **out);
void ss_tcache_free(ss_tcache *c);

/* Makes root the current root: its entries answer from now on, others stay cached. */
void ss_tcache_set_root(ss_tcache *c, uint64_t root);

/* Drops every entry and the paging-structure cache (counts a flush). */
void ss_tcache_clear(ss_tcache *c);

/* Drops everything when the source's generation changed since the last check. */
void ss_tcache_sync(ss_tcache *c);

/* A full lookup (every probe slot, every class in use), then a walk (cached) on a miss;
 * no generation check. ss_translate's contract. */
ss_status ss_tcache_lookup(ss_tcache *c, uint64_t va, uint64_t *pa);

/* ss_tcache_sync() then ss_tcache_lookup(). */
ss_status ss_tcache_translate(ss_tcache *c, uint64_t va, uint64_t *pa);

/* The counters (ss_space_cache_stats' contract). */
void ss_tcache_stats(ss_tcache *c, ss_cache_stats *stats, int reset);

static inline uint64_t ss_tc_hash(uint64_t key)
{
    return XXH3_64bits(&key, sizeof key);
}

static inline ss_status ss_tc_decode(const ss_tc_entry *e, unsigned shift, uint64_t va, uint64_t *pa)
{
    if (SS_LIKELY((e->val & SS_TC_CODE_MASK) == 0)) {
        *pa = e->val | (va & ((1ull << shift) - 1));
        return SS_OK;
    }
    *pa = 0;
    return (ss_status) - (int)(e->val & SS_TC_CODE_MASK);
}

#if defined(__GNUC__) || defined(__clang__)
#define SS_TC_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define SS_TC_ALWAYS_INLINE inline
#endif

/*
 * The hit path: the 4 KiB-class entry in va's home slot. No calls; false when that
 * slot does not answer (other probe slots, larger classes and walks are in
 * ss_tcache_lookup()). Does not check the generation.
 */
static SS_TC_ALWAYS_INLINE bool ss_tcache_hit(ss_tcache *c, uint64_t va, uint64_t *pa, ss_status *st)
{
    uint64_t t = va + c->bias;
    if (SS_UNLIKELY(t >> c->va_bits))
        return false;
    uint64_t key = ((t >> SS_PAGE_SHIFT) << 10) | c->root_bits;
    const ss_tc_entry *e = &c->slots[ss_tc_hash(key) & c->mask];
    if (SS_UNLIKELY(e->key != key))
        return false;
    c->hits++;
    *st = ss_tc_decode(e, SS_PAGE_SHIFT, va, pa);
    return true;
}

#endif /* SS_CACHE_TCACHE_H */
