/*
 * Translation cache: the hot path of ss_translate().
 *
 * Layout. An open-addressed table of 16-byte entries, power-of-two sized, probed
 * linearly over at most TC_PROBES slots from XXH3(key). A key packs
 *   region number (VA bits above the entry's page size, at most 45 bits) << 10
 *   | root id (1..255, a per-cache number for each page-table root seen) << 2
 *   | size class (4 KiB, 2 MiB / 4 MiB, 1 GiB),
 * so a key is exact (no hash-only matches) and never 0 (0 marks an empty slot).
 * The value is the physical base of the page (low 12 bits 0) for SS_OK, or the
 * negated ss_status of a failed walk (always below 4096). One entry of a larger
 * class answers for every VA of its 2 MiB / 4 MiB / 1 GiB page; lookups probe the
 * 4 KiB class first and the larger classes only when entries of them exist.
 *
 * What is cached. An answer is cached for the region whose VAs read exactly the
 * same entries: a page for a mapping (a large page only when the source holds the
 * whole page, otherwise its 4 KiB frame), the region of the deciding entry for a
 * negative answer (capped to the largest class). SS_E_PT_READ (an I/O failure that
 * may go away) and SS_E_NONCANONICAL (decided without reading) are never cached.
 *
 * Invalidation. The whole cache (and the paging-structure cache) is dropped when
 * the source's generation() changes — checked on every call when the backend has
 * one — and by ss_space_flush(). A DTB change selects another root id, so answers
 * of one root never answer for another; the paging-structure cache, which holds
 * frames of the current root only, is cleared when the root changes.
 *
 * Threads. A cache belongs to its ss_space and is used without locks: one space
 * (or one space per thread) at a time. Sources are shared read-only; a live
 * backend's generation() must be callable from several threads.
 */
#include <stdlib.h>

#define XXH_INLINE_ALL /* the 8-byte XXH3 path inlined into the hot path */
#include <xxhash.h>

#include "framecache.h"
#include "tcache.h"

#define DEFAULT_ENTRIES (1u << 16)
#define MAX_ENTRIES     (1u << 28)
#define TC_PROBES       4u
#define TC_MAX_ROOTS    255u
#define TC_CLASSES      3u
#define TC_CODE_MASK    0xfffull

typedef struct tc_entry {
    uint64_t key; /* 0: empty */
    uint64_t val; /* page base (SS_OK) or -status */
} tc_entry;

struct ss_tcache {
    tc_entry *slots;
    uint64_t mask;
    uint64_t bias;                   /* va + bias maps the canonical VAs onto [0, 2^va_bits) */
    unsigned va_bits;                /* the mode's significant VA bits */
    uint8_t class_shift[TC_CLASSES]; /* log2 of each class's page size */
    unsigned nclasses;
    unsigned classes_used;        /* bit k: an entry of class k may exist */
    uint64_t root_bits;           /* current root id << 2 */
    uint64_t root;                /* current root */
    uint64_t roots[TC_MAX_ROOTS]; /* roots[i] has id i + 1 */
    unsigned nroots;
    uint64_t (*gen_fn)(void *ctx); /* the source's generation(), NULL when static */
    void *gen_ctx;
    uint64_t generation;
    uint64_t hits, misses, flushes;
    uint32_t entries;
    ss_pwc pwc; /* paging-structure cache of the current root */
};

static void tc_clear(ss_tcache *c)
{
    memset(c->slots, 0, ((size_t)c->mask + 1) * sizeof *c->slots);
    c->classes_used = 0;
    ss_pwc_clear(&c->pwc);
    c->flushes++;
}

static void tc_select_root(ss_tcache *c, uint64_t root)
{
    unsigned i;
    for (i = 0; i < c->nroots; i++)
        if (c->roots[i] == root)
            break;
    if (i == c->nroots) {
        if (c->nroots == TC_MAX_ROOTS) { /* ids exhausted: start over */
            tc_clear(c);
            c->nroots = 0;
            i = 0;
        }
        c->roots[c->nroots++] = root;
    }
    c->root = root;
    c->root_bits = (uint64_t)(i + 1) << 2;
}

ss_status ss_tcache_new(const ss_walker *w, ss_source *src, uint64_t root, uint32_t entries, ss_tcache **out)
{
    uint32_t n = entries ? entries : DEFAULT_ENTRIES;
    if (n > MAX_ENTRIES)
        return SS_E_INVALID_ARG;
    uint32_t p = TC_PROBES;
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
    c->entries = p;
    unsigned va_bits = ss_walker_va_bits(w);
    /* 64-bit modes sign-extend bit va_bits-1 (SDM 3.3.7.1); 32-bit VAs are zero-extended. */
    c->va_bits = va_bits;
    c->bias = va_bits > 32 ? 1ull << (va_bits - 1) : 0;
    /* Classes: 4 KiB and the large-page sizes of the mode (PDE, and PDPTE below 5-level x86-64 too). */
    c->class_shift[0] = SS_PAGE_SHIFT;
    c->class_shift[1] = (uint8_t)ss_walker_level_shift(w, SS_LEVEL_PDE);
    c->nclasses = 2;
    if (ss_walker_levels(w) >= 3)
        c->class_shift[c->nclasses++] = (uint8_t)ss_walker_level_shift(w, SS_LEVEL_PDPTE);
    c->gen_fn = src->ops->generation;
    c->gen_ctx = src->ctx;
    c->generation = c->gen_fn ? c->gen_fn(c->gen_ctx) : 0;
    ss_pwc_clear(&c->pwc);
    tc_select_root(c, root);
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

void ss_tcache_set_root(ss_tcache *c, uint64_t root)
{
    if (root == c->root)
        return;
    ss_pwc_clear(&c->pwc);
    tc_select_root(c, root);
}

/* Drops everything when a live source says its contents may have changed. */
static inline void tc_check_generation(ss_tcache *c)
{
    if (c->gen_fn) {
        uint64_t g = c->gen_fn(c->gen_ctx);
        if (SS_UNLIKELY(g != c->generation)) {
            tc_clear(c);
            c->generation = g;
        }
    }
}

/*
 * Keys hold only the significant VA bits: va + bias is below 2^va_bits exactly when
 * va is canonical, and a VA that is not must not be looked up (it would alias a
 * canonical one): it goes to the walk.
 */
static inline bool tc_canonical(const ss_tcache *c, uint64_t va)
{
    return ((va + c->bias) >> c->va_bits) == 0;
}

static inline uint64_t tc_key(const ss_tcache *c, uint64_t va, unsigned k)
{
    return (((va + c->bias) >> c->class_shift[k]) << 10) | c->root_bits | k;
}

static inline uint64_t tc_hash(uint64_t key)
{
    return XXH3_64bits(&key, sizeof key);
}

static inline ss_status tc_decode(const tc_entry *e, unsigned shift, uint64_t va, uint64_t *pa)
{
    if (SS_LIKELY((e->val & TC_CODE_MASK) == 0)) {
        *pa = e->val | (va & ((1ull << shift) - 1));
        return SS_OK;
    }
    *pa = 0;
    return (ss_status) - (int)(e->val & TC_CODE_MASK);
}

/*
 * Probes for key: its entry, or NULL with *slot (if given) set to where an
 * insert of key goes — the first empty slot of the window, else the home slot.
 * Entries are only ever overwritten, never emptied (outside a full clear), so a
 * probe that stops at an empty slot cannot miss an entry placed further on.
 */
static tc_entry *tc_probe(const ss_tcache *c, uint64_t key, tc_entry **slot)
{
    uint64_t i = tc_hash(key);
    tc_entry *victim = &c->slots[i & c->mask];
    for (unsigned p = 0; p < TC_PROBES; p++) {
        tc_entry *e = &c->slots[(i + p) & c->mask];
        if (e->key == key)
            return e;
        if (e->key == 0) {
            victim = e;
            break;
        }
    }
    if (slot)
        *slot = victim;
    return NULL;
}

/*
 * Caches the answer r (status st) of a walk of va; key0 / slot0 are the 4 KiB-class
 * key and the slot its probe chose, reused when the answer is of that class.
 */
static void tc_insert(ss_tcache *c, const ss_walker *w, ss_source *src, uint64_t va, const ss_walk_result *r,
                      ss_status st, uint64_t key0, tc_entry *slot0)
{
    unsigned shift;
    if (st == SS_E_PT_READ || st == SS_E_NONCANONICAL)
        return;
    if (st == SS_OK) {
        shift = SS_PAGE_SHIFT;
        if (r->page_size > SS_PAGE_SIZE && ss_source_holds(src, r->pa & ~(r->page_size - 1), r->page_size))
            shift = r->page_size == (1ull << 30) ? 30 : r->page_size == (4ull << 20) ? 22 : 21;
    } else if (r->page_size) {
        shift = SS_PAGE_SHIFT; /* a frame outside the source: other frames of a large page may be inside */
    } else {
        shift = ss_walker_level_shift(w, r->level);
    }
    unsigned k = 0;
    while (k + 1 < c->nclasses && c->class_shift[k + 1] <= shift)
        k++;
    uint64_t key = key0;
    tc_entry *slot = slot0;
    if (k != 0) {
        key = tc_key(c, va, k);
        tc_entry *e = tc_probe(c, key, &slot);
        if (e)
            slot = e;
    }
    slot->key = key;
    slot->val = st == SS_OK ? r->pa & ~((1ull << c->class_shift[k]) - 1) : (uint64_t) - (int64_t)st;
    c->classes_used |= 1u << k;
}

static ss_status translate_uncached(ss_space *space, uint64_t va, ss_pwc *pwc, ss_walk_result *r,
                                    uint64_t *pa)
{
    ss_xlat_state x = ss_walk_fast(&space->walker, space->src, space->root, va, pwc, r);
    ss_status st = SS_LIKELY(x == SS_XLAT_VALID) ? SS_OK : ss_xlat_state_status(x);
    *pa = st == SS_OK ? r->pa : 0;
    return st;
}

/* Lookup in the larger classes, then a walk through the paging-structure cache. */
static ss_status translate_miss(ss_space *space, ss_tcache *c, uint64_t va, uint64_t *pa, uint64_t key0,
                                tc_entry *slot0)
{
    for (unsigned k = 1; k < c->nclasses; k++) {
        if (!(c->classes_used & (1u << k)))
            continue;
        const tc_entry *e = tc_probe(c, tc_key(c, va, k), NULL);
        if (e) {
            c->hits++;
            return tc_decode(e, c->class_shift[k], va, pa);
        }
    }
    c->misses++;
    ss_walk_result r;
    ss_status st = translate_uncached(space, va, &c->pwc, &r, pa);
    tc_insert(c, &space->walker, space->src, va, &r, st, key0, slot0);
    return st;
}

#if defined(__GNUC__) || defined(__clang__)
#define TC_ALWAYS_INLINE inline __attribute__((always_inline))
#define TC_NOINLINE      __attribute__((noinline))
#else
#define TC_ALWAYS_INLINE inline
#define TC_NOINLINE
#endif

/*
 * The hit path: the 4 KiB-class entry in va's home slot. No calls, so
 * ss_translate() needs no stack frame when it hits; everything else (other probe
 * slots, larger classes, generation checks, walks) is in tc_slow().
 */
static TC_ALWAYS_INLINE bool tc_home_hit(ss_tcache *c, uint64_t va, uint64_t *pa, ss_status *st)
{
    uint64_t t = va + c->bias;
    if (SS_UNLIKELY(t >> c->va_bits))
        return false;
    uint64_t key = ((t >> SS_PAGE_SHIFT) << 10) | c->root_bits;
    const tc_entry *e = &c->slots[tc_hash(key) & c->mask];
    if (SS_UNLIKELY(e->key != key))
        return false;
    c->hits++;
    *st = tc_decode(e, SS_PAGE_SHIFT, va, pa);
    return true;
}

/* A full lookup (every probe slot, every class in use), then a walk on a miss. */
static ss_status translate_cached(ss_space *space, ss_tcache *c, uint64_t va, uint64_t *pa)
{
    if (SS_UNLIKELY(!tc_canonical(c, va))) {
        ss_walk_result r;
        return translate_uncached(space, va, NULL, &r, pa);
    }
    uint64_t key0 = tc_key(c, va, 0);
    tc_entry *slot0;
    const tc_entry *e = tc_probe(c, key0, &slot0);
    if (e) {
        c->hits++;
        return tc_decode(e, SS_PAGE_SHIFT, va, pa);
    }
    return translate_miss(space, c, va, pa, key0, slot0);
}

/* Everything but a home-slot hit of a source without generations (kept out of line). */
static TC_NOINLINE ss_status tc_slow(ss_space *space, uint64_t va, uint64_t *pa)
{
    if (!space || !pa)
        return SS_E_INVALID_ARG;
    ss_tcache *c = space->cache;
    if (!c) {
        ss_walk_result r;
        return translate_uncached(space, va, NULL, &r, pa);
    }
    tc_check_generation(c);
    return translate_cached(space, c, va, pa);
}

ss_status ss_translate(ss_space *space, uint64_t va, uint64_t *pa)
{
    ss_tcache *c;
    ss_status st;
    if (SS_LIKELY(space && pa && (c = space->cache) && !c->gen_fn) && tc_home_hit(c, va, pa, &st))
        return st;
    return tc_slow(space, va, pa);
}

ss_status ss_translate_many(ss_space *space, const uint64_t *vas, size_t count, uint64_t *pas,
                            ss_status *statuses, size_t *ntranslated)
{
    if (!space || (count && (!vas || !pas || !statuses)))
        return SS_E_INVALID_ARG;
    size_t ok = 0;
    ss_tcache *c = space->cache;
    if (c) {
        tc_check_generation(c); /* once per call: the batch sees one generation */
        for (size_t i = 0; i < count; i++) {
            ss_status st;
            if (!tc_home_hit(c, vas[i], &pas[i], &st))
                st = translate_cached(space, c, vas[i], &pas[i]);
            statuses[i] = st;
            ok += st == SS_OK;
        }
    } else {
        for (size_t i = 0; i < count; i++) {
            ss_walk_result r;
            statuses[i] = translate_uncached(space, vas[i], NULL, &r, &pas[i]);
            ok += statuses[i] == SS_OK;
        }
    }
    if (ntranslated)
        *ntranslated = ok;
    return SS_OK;
}

/*
 * Number of pages, from the page at va on, that read the same entries as va's
 * walk (r): the rest of a large page the source holds whole, or of the region of
 * the entry that decided a negative answer; 1 otherwise.
 */
static uint64_t same_walk_pages(const ss_walker *w, ss_source *src, uint64_t va, const ss_walk_result *r,
                                ss_status st)
{
    uint64_t size;
    if (st == SS_E_PT_READ || st == SS_E_NONCANONICAL)
        return 1;
    if (st == SS_OK)
        size = r->page_size > SS_PAGE_SIZE && ss_source_holds(src, r->pa & ~(r->page_size - 1), r->page_size)
                   ? r->page_size
                   : SS_PAGE_SIZE;
    else
        size = r->page_size ? SS_PAGE_SIZE : 1ull << ss_walker_level_shift(w, r->level);
    return ((~va & (size - 1)) >> SS_PAGE_SHIFT) + 1; /* no overflow at the top of the VA space */
}

ss_status ss_translate_range(ss_space *space, uint64_t va, size_t npages, uint64_t *pas, ss_status *statuses,
                             size_t *ntranslated)
{
    if (!space || (npages && (!pas || !statuses)))
        return SS_E_INVALID_ARG;
    ss_pwc local, *pwc = &local;
    if (space->cache) {
        tc_check_generation(space->cache);
        pwc = &space->cache->pwc;
    } else if (npages) {
        ss_pwc_clear(&local); /* walks within this call share their upper levels */
    }
    size_t ok = 0;
    uint64_t cur = va & ~(uint64_t)(SS_PAGE_SIZE - 1);
    for (size_t i = 0; i < npages;) {
        ss_walk_result r;
        uint64_t pa;
        ss_status st = translate_uncached(space, cur, pwc, &r, &pa);
        uint64_t n = same_walk_pages(&space->walker, space->src, cur, &r, st);
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
        tc_clear(space->cache);
    ss_frame_cache_clear(space->walker.frames);
}

void ss_space_cache_stats(ss_space *space, ss_cache_stats *stats, int reset)
{
    if (!space || !stats)
        return;
    memset(stats, 0, sizeof *stats);
    ss_tcache *c = space->cache;
    if (!c)
        return;
    stats->lookups = c->hits + c->misses;
    stats->hits = c->hits;
    stats->misses = c->misses;
    stats->flushes = c->flushes;
    stats->entries = c->entries;
    stats->entry_bytes = sizeof(tc_entry);
    if (reset)
        c->hits = c->misses = c->flushes = 0;
}
