/*
 * The mmu layer's private header (not installed): page-table walks of the x86
 * family over a source, and the paging-structure cache a walk may use. Sits on
 * backend/backend.h only; the caches above (cache/) and the space object (core/)
 * drive it.
 */
#ifndef SS_MMU_WALK_H
#define SS_MMU_WALK_H

#include "../backend/backend.h"

/*
 * An entry reader a layer above may plug into a walker (the space's frame cache):
 * reads one naturally aligned paging entry at pa, with ss_source_read_entry's
 * contract. ctx is the reader's own state.
 */
typedef ss_status (*ss_entry_reader)(void *ctx, ss_source *src, uint64_t pa, unsigned width, uint64_t *value);

/* Per-mode walk parameters (mmu/walk.c). */
typedef struct ss_walker {
    ss_mode mode;
    ss_pte_layout layout;
    uint64_t proto_base;
    bool pse; /* x86: 4 MiB pages honoured */
    bool nx;  /* PAE/x64: bit 63 is execute-disable */
    /* Reserved bits of a present entry, by level and by its bit 7 (PS where a PS
     * bit maps a page, else the same mask twice); filled by ss_walker_init. */
    uint64_t rsvd[6][2];
    /* Entry reads of non-flat sources go through reader(reader_ctx, ...) when set. */
    ss_entry_reader reader;
    void *reader_ctx;
} ss_walker;

/*
 * Reads one paging entry for a walk: straight from a flat source's mapping, else
 * through the walker's reader when it has one, else from the source.
 */
static inline ss_status ss_walk_read_entry(const ss_walker *w, ss_source *src, uint64_t pa, unsigned width,
                                           uint64_t *value)
{
    if (SS_LIKELY(src->flat) || !w->reader)
        return ss_source_read_entry(src, pa, width, value);
    return w->reader(w->reader_ctx, src, pa, width, value);
}

/* Initialises a walker for mode (not AUTO); opts may be NULL (defaults). */
void ss_walker_init(ss_walker *w, ss_mode mode, const ss_space_options *opts);

/*
 * The table address a CR3 value gives in mode. SS_OK and *root; SS_E_INVALID_ARG
 * when dtb cannot be a root in this mode (bits above 31 in 32-bit modes; in 4/5-level
 * paging, CR3 bits 62:52, reserved by SDM Vol. 3A table 4-12 and faulting on load).
 */
ss_status ss_walker_root(ss_mode mode, uint64_t dtb, uint64_t *root);

/* Full walk (mmu/walk.c). Fills *out completely; returns the state. */
ss_xlat_state ss_walk(const ss_walker *w, ss_source *src, uint64_t root, uint64_t va, ss_xlat *out);

/* Geometry of a walker's mode: top level, significant VA bits, VA bit where level's index starts. */
unsigned ss_walker_levels(const ss_walker *w);
unsigned ss_walker_va_bits(const ss_walker *w);
unsigned ss_walker_level_shift(const ss_walker *w, unsigned level);

/*
 * Paging-structure cache, for one root: the frame of the page table serving a
 * 2 MiB (x86: 4 MiB) region and of the page directory serving a 1 GiB region, so
 * a walk in a known region costs one or two entry loads instead of four.
 * Direct-mapped; tags are VA >> region shift. Invalid after a root change, a flush
 * or a generation change: ss_pwc_clear().
 */
#define SS_PWC_PT_SLOTS 512u
#define SS_PWC_PD_SLOTS 64u
typedef struct ss_pwc_slot {
    uint64_t tag;
    uint64_t table; /* frame of the table; bit 0: reached through a transition entry */
} ss_pwc_slot;
typedef struct ss_pwc {
    ss_pwc_slot pt[SS_PWC_PT_SLOTS]; /* level-1 tables, tag va >> shift[PDE] */
    ss_pwc_slot pd[SS_PWC_PD_SLOTS]; /* level-2 tables, tag va >> shift[PDPTE] */
} ss_pwc;
void ss_pwc_clear(ss_pwc *c);

/* What the hot path keeps of a walk; the same values ss_walk() puts in ss_xlat. */
typedef struct ss_walk_result {
    uint64_t pa;        /* ss_xlat.pa */
    uint64_t page_size; /* ss_xlat.page_size */
    ss_xlat_state state;
    uint8_t level; /* ss_xlat.level: the level whose entry decided */
} ss_walk_result;

/*
 * Lean walk (mmu/walk.c): the same state, pa, page_size and level as ss_walk(),
 * without recording entries. pwc (optional) is used and filled; it must belong
 * to this root and generation.
 */
ss_xlat_state ss_walk_fast(const ss_walker *w, ss_source *src, uint64_t root, uint64_t va, ss_pwc *pwc,
                           ss_walk_result *r);

/* ss_walk_fast() as a status: SS_OK with *pa for valid and transition pages, else the
 * state's status and *pa = 0. */
static inline ss_status ss_walk_translate(const ss_walker *w, ss_source *src, uint64_t root, uint64_t va,
                                          ss_pwc *pwc, ss_walk_result *r, uint64_t *pa)
{
    ss_xlat_state x = ss_walk_fast(w, src, root, va, pwc, r);
    ss_status st = SS_LIKELY(x == SS_XLAT_VALID) ? SS_OK : ss_xlat_state_status(x);
    *pa = st == SS_OK ? r->pa : 0;
    return st;
}

/*
 * For batch ranges: when pwc holds the page table of va's region and the source
 * is flat, the frames of the pages from va on that are present 4 KiB mappings in
 * the source (what ss_walk_fast would give, SS_OK), stopping at the first other
 * entry, the end of that table or max pages. Returns how many were stored in pas.
 */
size_t ss_walk_pte_run(const ss_walker *w, ss_source *src, const ss_pwc *pwc, uint64_t va, size_t max,
                       uint64_t *pas);

/*
 * Number of pages, from the page at va on, that a walk would answer as va's walk
 * r (status st) did: the rest of a large page, or of the region of the entry that
 * decided a negative answer; 1 otherwise (and for SS_E_PT_READ / noncanonical).
 */
uint64_t ss_walk_same_pages(const ss_walker *w, uint64_t va, const ss_walk_result *r, ss_status st);

#endif /* SS_MMU_WALK_H */
