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
 * same entries: the page (4 KiB or large) for a mapping — whether or not the
 * source holds its frames, a translation is not a read — and the region of the
 * deciding entry for a negative answer (capped to the largest class). SS_E_PT_READ (an I/O failure that
 * may go away) and SS_E_NONCANONICAL (decided without reading) are never cached.
 *
 * Invalidation. The whole cache (and the paging-structure cache) is dropped when
 * the source's generation (the backend's generation() plus the source's
 * ss_source_bump_generation() count: ss_source_gen()) changes — checked on every
 * call when the backend has a generation() — and by ss_space_flush(). A DTB change
 * selects another root id, so answers of one root never answer for another; the
 * paging-structure cache, which holds frames of the current root only, is cleared
 * when the root changes.
 *
 * Threads. A cache belongs to its ss_space and is used without locks: one space
 * (or one space per thread) at a time. Sources are shared read-only; a live
 * backend's generation() must be callable from several threads.
 */
#include <stdlib.h>

#include "tcache.h"

#define DEFAULT_ENTRIES (1u << 16)
#define MAX_ENTRIES     (1u << 28)
#define TC_PROBES       4u
#define TC_MAX_ROOTS    SS_TC_MAX_ROOTS

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
    c->walker = w;
    c->src = src;
    c->gen_fn = src->ops->generation;
    c->gen_ctx = src->ctx;
    c->generation = ss_source_gen(src);
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
void ss_tcache_sync(ss_tcache *c)
{
    if (c->gen_fn) {
        uint64_t g = ss_source_gen(c->src);
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

/*
 * Probes for key: its entry, or NULL with *slot (if given) set to where an
 * insert of key goes — the first empty slot of the window, else the home slot.
 * Entries are only ever overwritten, never emptied (outside a full clear), so a
 * probe that stops at an empty slot cannot miss an entry placed further on.
 */
static ss_tc_entry *tc_probe(const ss_tcache *c, uint64_t key, ss_tc_entry **slot)
{
    uint64_t i = ss_tc_hash(key);
    ss_tc_entry *victim = &c->slots[i & c->mask];
    for (unsigned p = 0; p < TC_PROBES; p++) {
        ss_tc_entry *e = &c->slots[(i + p) & c->mask];
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
static void tc_insert(ss_tcache *c, uint64_t va, const ss_walk_result *r, ss_status st, uint64_t key0,
                      ss_tc_entry *slot0)
{
    if (st == SS_E_PT_READ || st == SS_E_NONCANONICAL)
        return;
    /* The region whose VAs read the same entries: the page of a mapping (a frame
     * outside the source translates too, so a large page is one answer), else the
     * region of the deciding entry. */
    unsigned shift = SS_PAGE_SHIFT;
    if (st == SS_OK ? r->page_size != SS_PAGE_SIZE : !r->page_size)
        shift = ss_walker_level_shift(c->walker, r->level);
    unsigned k = 0;
    while (k + 1 < c->nclasses && c->class_shift[k + 1] <= shift)
        k++;
    uint64_t key = key0;
    ss_tc_entry *slot = slot0;
    if (k != 0) {
        key = tc_key(c, va, k);
        ss_tc_entry *e = tc_probe(c, key, &slot);
        if (e)
            slot = e;
    }
    slot->key = key;
    slot->val = st == SS_OK ? r->pa & ~((1ull << c->class_shift[k]) - 1) : (uint64_t) - (int64_t)st;
    c->classes_used |= 1u << k;
}

/* Lookup in the larger classes, then a walk through the paging-structure cache. */
static ss_status tc_miss(ss_tcache *c, uint64_t va, uint64_t *pa, uint64_t key0, ss_tc_entry *slot0)
{
    for (unsigned k = 1; k < c->nclasses; k++) {
        if (!(c->classes_used & (1u << k)))
            continue;
        const ss_tc_entry *e = tc_probe(c, tc_key(c, va, k), NULL);
        if (e) {
            c->hits++;
            return ss_tc_decode(e, c->class_shift[k], va, pa);
        }
    }
    c->misses++;
    ss_walk_result r;
    ss_status st = ss_walk_translate(c->walker, c->src, c->root, va, &c->pwc, &r, pa);
    tc_insert(c, va, &r, st, key0, slot0);
    return st;
}

ss_status ss_tcache_lookup(ss_tcache *c, uint64_t va, uint64_t *pa)
{
    if (SS_UNLIKELY(!tc_canonical(c, va))) {
        ss_walk_result r;
        return ss_walk_translate(c->walker, c->src, c->root, va, NULL, &r, pa);
    }
    uint64_t key0 = tc_key(c, va, 0);
    ss_tc_entry *slot0;
    const ss_tc_entry *e = tc_probe(c, key0, &slot0);
    if (e) {
        c->hits++;
        return ss_tc_decode(e, SS_PAGE_SHIFT, va, pa);
    }
    return tc_miss(c, va, pa, key0, slot0);
}

ss_status ss_tcache_translate(ss_tcache *c, uint64_t va, uint64_t *pa)
{
    ss_tcache_sync(c);
    return ss_tcache_lookup(c, va, pa);
}

void ss_tcache_clear(ss_tcache *c)
{
    tc_clear(c);
}

void ss_tcache_stats(ss_tcache *c, ss_cache_stats *stats, int reset)
{
    stats->lookups = c->hits + c->misses;
    stats->hits = c->hits;
    stats->misses = c->misses;
    stats->flushes = c->flushes;
    stats->entries = c->entries;
    stats->entry_bytes = sizeof(ss_tc_entry);
    if (reset)
        c->hits = c->misses = c->flushes = 0;
}
