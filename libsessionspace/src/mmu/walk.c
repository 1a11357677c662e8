/*
 * Page-table walks for the x86 family, one table-driven loop for every mode.
 *
 * Levels and bits are named as in the Intel SDM Vol. 3A, chapter 4:
 *   - 32-bit paging (4.3): CR3 -> PDE -> PTE, 4-byte entries, 4 MiB pages when
 *     CR4.PSE and PDE.PS (PDE bits 13-20 give PA bits 32-39, PSE-36);
 *   - PAE paging (4.4): CR3 (32-byte aligned) -> 4 PDPTEs -> PDE -> PTE, 8-byte
 *     entries, 2 MiB pages at the PDE; PDPTEs have no R/W, U/S or XD bits;
 *   - 4-level / 5-level paging (4.5): PML5E -> PML4E -> PDPTE -> PDE -> PTE,
 *     1 GiB pages at the PDPTE, 2 MiB at the PDE.
 * A walk has a fixed depth, so a self-referencing table cannot make it loop, and
 * every entry is read through ss_walk_read_entry, which never reads outside
 * the source.
 *
 * One decision per level, step(), serves every walk (as libkdumpfile's addrxlat
 * drives pgt_x86_64() one level at a time from step.c): the full walk of
 * ss_space_walk() records each entry and the flags; the hot-path walk and the
 * batch PTE run record nothing. step() is inlined into each, per mode, so the
 * mode's table folds into constants.
 *
 * A translation is not a read: a leaf whose frame the source does not hold is
 * still a translation (SS_XLAT_F_NOT_IN_SOURCE); only a paging structure outside
 * the source (an entry that cannot be read) is SS_XLAT_BAD_PFN.
 *
 * When an entry is not present (P = 0) the Windows memory manager keeps its own
 * software format in it (_MMPTE_SOFTWARE, _MMPTE_TRANSITION, _MMPTE_PROTOTYPE);
 * decode_software() turns those into the distinct states of ss_xlat_state.
 */
#include "walk.h"

/* Hardware bits common to every mode (SDM tables 4-4 ... 4-20). */
#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_G  (1ull << 8)
#define PTE_XD (1ull << 63)

/* Windows software bits of a not-present entry. */
#define MM_PROTOTYPE  (1ull << 10)
#define MM_TRANSITION (1ull << 11)

#define PFN_MASK_32 0x00000000FFFFF000ull
#define PFN_MASK_64 0x000FFFFFFFFFF000ull /* bits 12-51: MAXPHYADDR at most 52 */

/*
 * Reserved bits of present entries (a set one makes the CPU raise a page fault
 * with PFEC.RSVD). MAXPHYADDR is not known here, so bits M..51 are not checked.
 */
#define CR3_RSVD_64     0x7FF0000000000000ull /* CR3 62:52, 4/5-level (table 4-12) */
#define PAE_PDPTE_RSVD  0x80000000000001E6ull /* bits 2:1, 8:5 (PS among them), 63 (table 4-8) */
#define PDPTE_1G_RSVD   0x000000003FFFE000ull /* 29:13 of a 1 GiB PDPTE (table 4-16) */
#define PDE_2M_RSVD     0x00000000001FE000ull /* 20:13 of a 2 MiB PDE (tables 4-9, 4-18) */
#define X86_PDE_4M_RSVD 0x0000000000200000ull /* bit 21 of a 4 MiB PDE (table 4-4) */

typedef struct mode_desc {
    uint8_t levels;   /* top level number */
    uint8_t width;    /* entry size in bytes */
    uint8_t va_bits;  /* significant VA bits (canonical form above them) */
    uint8_t shift[6]; /* by level: VA bit where that level's index starts */
    uint16_t index_mask[6];
    uint8_t large_levels; /* bit L set: PS=1 at level L maps a page */
    uint64_t pfn_mask;    /* next-table / 4 KiB frame address bits of an entry */
} mode_desc;

static const mode_desc modes[] = {
    [SS_MODE_X86] = {2, 4, 32, {0, 12, 22}, {0, 0x3ff, 0x3ff}, 1u << 2, PFN_MASK_32},
    [SS_MODE_PAE] = {3, 8, 32, {0, 12, 21, 30}, {0, 0x1ff, 0x1ff, 0x3}, 1u << 2, PFN_MASK_64},
    [SS_MODE_X64] =
        {4, 8, 48, {0, 12, 21, 30, 39}, {0, 0x1ff, 0x1ff, 0x1ff, 0x1ff}, (1u << 2) | (1u << 3), PFN_MASK_64},
    [SS_MODE_LA57] = {5,
                      8,
                      57,
                      {0, 12, 21, 30, 39, 48},
                      {0, 0x1ff, 0x1ff, 0x1ff, 0x1ff, 0x1ff},
                      (1u << 2) | (1u << 3),
                      PFN_MASK_64},
};

void ss_walker_init(ss_walker *w, ss_mode mode, const ss_space_options *opts)
{
    memset(w, 0, sizeof *w);
    w->mode = mode;
    w->layout = opts ? opts->pte_layout : SS_PTE_LAYOUT_WIN8;
    w->proto_base = opts ? opts->proto_base : 0;
    w->pse = !(opts && opts->no_pse);
    w->nx = !(opts && opts->no_nx);
    /* Reserved bits of present entries, by level and PS (one mask test per level). */
    const mode_desc *m = &modes[mode];
    for (unsigned l = 1; l <= m->levels; l++) {
        uint64_t base = 0, ps = 0;
        if (mode == SS_MODE_X86) {
            ps = l == SS_LEVEL_PDE && w->pse ? X86_PDE_4M_RSVD : 0; /* PSE-36 keeps PA 39:32 in 20:13 */
        } else if (mode == SS_MODE_PAE && l == SS_LEVEL_PDPTE) {
            base = ps = PAE_PDPTE_RSVD;
        } else {
            base = w->nx ? 0 : PTE_XD; /* IA32_EFER.NXE = 0: XD is reserved (SDM 4.4.2, 4.5.4) */
            ps = base;
            if (l >= SS_LEVEL_PML4E)
                ps |= PTE_PS; /* PS is reserved in a PML4E and a PML5E (tables 4-14, 4-15) */
            else if (l == SS_LEVEL_PDPTE)
                ps |= PDPTE_1G_RSVD;
            else if (l == SS_LEVEL_PDE)
                ps |= PDE_2M_RSVD;
        }
        if (l == SS_LEVEL_PTE) /* bit 7 of a PTE is PAT, not PS */
            ps = base;
        w->rsvd[l][0] = base;
        w->rsvd[l][1] = ps;
    }
}

ss_status ss_walker_root(ss_mode mode, uint64_t dtb, uint64_t *root)
{
    switch (mode) {
    case SS_MODE_X86:
        if (dtb >> 32)
            return SS_E_INVALID_ARG;
        *root = dtb & PFN_MASK_32; /* CR3 bits 31:12 (SDM table 4-3) */
        return SS_OK;
    case SS_MODE_PAE:
        if (dtb >> 32)
            return SS_E_INVALID_ARG;
        *root = dtb & 0xFFFFFFE0ull; /* CR3 bits 31:5 locate the PDPT (table 4-7) */
        return SS_OK;
    case SS_MODE_X64:
    case SS_MODE_LA57:
        /* Bits 11:0 are PCID or PWT/PCD and bit 63 is the no-flush hint of MOV to CR3:
         * not address. Bits 62:52 are reserved (table 4-12; a load that sets them
         * faults): refused rather than masked. (CPUs with LAM use 62:61; not modelled.) */
        if (dtb & CR3_RSVD_64)
            return SS_E_RESERVED_BIT;
        *root = dtb & PFN_MASK_64;
        return SS_OK;
    case SS_MODE_AUTO: break;
    }
    return SS_E_INVALID_ARG;
}

static bool canonical(const mode_desc *m, uint64_t va)
{
    if (m->va_bits == 32)
        return (va >> 32) == 0;
    /* bits 63 .. va_bits-1 must all equal bit va_bits-1 (SDM 3.3.7.1) */
    int64_t s = (int64_t)(va << (64 - m->va_bits)) >> (64 - m->va_bits);
    return (uint64_t)s == va;
}

/*
 * Decodes a not-present entry. Field positions (Windows public symbols):
 *   x64 / PAE, Windows 8+:  PageFileLow bits 12-15, Protection 5-9, PageFileHigh 32-63
 *   x64 / PAE, up to Win7:  PageFileLow bits 1-4,   Protection 5-9, PageFileHigh 32-63
 *   x86 non-PAE:            PageFileLow bits 1-4,   Protection 5-9, PageFileHigh 12-31
 *   Prototype (bit 10): x64 ProtoAddress = bits 16-63 (sign-extended); PAE bits 32-63;
 *     x86 non-PAE MmProtopteBase + (ProtoAddressHigh(11-31) << 9 | ProtoAddressLow(1-7) << 2)
 *   Transition (bit 11, prototype clear): the frame is still in memory, same PFN bits
 *     as a hardware entry.
 * A PageFileHigh of zero is a demand-zero page when it has a protection, otherwise
 * the entry says nothing (not present).
 */
static ss_xlat_state decode_software(const ss_walker *w, uint64_t e, ss_xlat *out)
{
    if (e == 0)
        return SS_XLAT_NOT_PRESENT;
    bool win7 = w->layout == SS_PTE_LAYOUT_WIN7;
    if (e & MM_PROTOTYPE) {
        switch (w->mode) {
        case SS_MODE_X86:
            out->proto_address = w->proto_base + ((((e >> 11) & 0x1fffff) << 9) | (((e >> 1) & 0x7f) << 2));
            out->protection = 0;
            break;
        case SS_MODE_PAE:
            out->proto_address = e >> 32;
            out->protection = (uint32_t)((e >> (win7 ? 11 : 5)) & 0x1f);
            break;
        default:
            out->proto_address = (uint64_t)((int64_t)e >> 16);
            out->protection = (uint32_t)((e >> (win7 ? 11 : 5)) & 0x1f);
            break;
        }
        return SS_XLAT_PROTOTYPE;
    }
    out->protection = (uint32_t)((e >> 5) & 0x1f);
    if (e & MM_TRANSITION)
        return SS_XLAT_TRANSITION;
    uint64_t low, high;
    if (w->mode == SS_MODE_X86) {
        low = (e >> 1) & 0xf;
        high = (e >> 12) & 0xfffff;
    } else {
        low = win7 ? (e >> 1) & 0xf : (e >> 12) & 0xf;
        high = e >> 32;
    }
    if (high == 0)
        return out->protection ? SS_XLAT_DEMAND_ZERO : SS_XLAT_NOT_PRESENT;
    out->pagefile_number = (uint32_t)low;
    out->pagefile_offset = high << SS_PAGE_SHIFT;
    return SS_XLAT_PAGEFILE;
}

/* Physical base of a large page mapped by entry e at level. */
static uint64_t large_base(ss_mode mode, unsigned level, uint64_t e, uint64_t *size)
{
    if (mode == SS_MODE_X86) {
        *size = 4ull << 20; /* PDE bits 31:22 -> PA 31:22, bits 20:13 -> PA 39:32 */
        return (e & 0xFFC00000ull) | ((e & 0x1FE000ull) << 19);
    }
    if (level == SS_LEVEL_PDPTE) {
        *size = 1ull << 30;
        return e & 0x000FFFFFC0000000ull;
    }
    *size = 2ull << 20;
    return e & 0x000FFFFFFFE00000ull;
}

#if defined(__GNUC__) || defined(__clang__)
#define WALK_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define WALK_ALWAYS_INLINE inline
#endif

/* What one level decided, and what the levels so far accumulated. */
enum { STEP_TABLE, STEP_LEAF, STEP_SOFTWARE, STEP_RESERVED };
typedef struct walk_step {
    uint64_t next; /* STEP_TABLE: the next table; STEP_LEAF: the page's base */
    uint64_t size; /* STEP_LEAF: the page size */
    bool in_transition, rw, us, xd, large;
} walk_step;

static WALK_ALWAYS_INLINE void step_start(walk_step *s)
{
    s->in_transition = s->large = s->xd = false;
    s->rw = s->us = true;
}

/*
 * The decision at one level for entry e (SDM 4.3-4.5 for present entries; the
 * Windows transition format for P = 0 with Transition set and Prototype clear).
 * STEP_SOFTWARE: another software entry, for decode_software().
 * rw / us / nx are accumulated along the walk whether the leaf is valid or in
 * transition. A transition entry (_MMPTE_TRANSITION) keeps Write in bit 1, where
 * a valid entry has R/W, so it counts for rw; its bit 2 is Owner only in older
 * layouts (Spare since Windows 10) and its high bits are unused, so it leaves us
 * and nx to the entries above it.
 */
static WALK_ALWAYS_INLINE int step(const ss_walker *w, ss_mode mode, unsigned level, uint64_t e, walk_step *s)
{
    const mode_desc *m = &modes[mode];
    if (SS_UNLIKELY(!(e & PTE_P))) {
        if ((e & (MM_PROTOTYPE | MM_TRANSITION)) != MM_TRANSITION)
            return STEP_SOFTWARE;
        s->in_transition = true;
        s->rw = s->rw && (e & PTE_RW);
        s->next = e & m->pfn_mask;
        s->size = SS_PAGE_SIZE;
        return level == SS_LEVEL_PTE ? STEP_LEAF : STEP_TABLE;
    }
    if (SS_UNLIKELY(e & w->rsvd[level][(e & PTE_PS) != 0]))
        return STEP_RESERVED;
    /* PAE PDPTEs carry no R/W, U/S or XD bits (SDM table 4-8). */
    if (!(mode == SS_MODE_PAE && level == SS_LEVEL_PDPTE)) {
        s->rw = s->rw && (e & PTE_RW);
        s->us = s->us && (e & PTE_US);
        s->xd = s->xd || (w->nx && m->width == 8 && (e & PTE_XD));
    }
    if (level > SS_LEVEL_PTE && (e & PTE_PS) && (m->large_levels & (1u << level)) &&
        (mode != SS_MODE_X86 || w->pse)) {
        s->large = true;
        s->next = large_base(mode, level, e, &s->size);
        return STEP_LEAF;
    }
    s->next = e & m->pfn_mask;
    s->size = SS_PAGE_SIZE;
    return level == SS_LEVEL_PTE ? STEP_LEAF : STEP_TABLE;
}

/* The state of an entry that could not be read: a table outside the source, or an I/O failure. */
static ss_xlat_state unreadable(ss_status st)
{
    return (st == SS_E_RANGE || st == SS_E_NO_PAGE) ? SS_XLAT_BAD_PFN : SS_XLAT_READ_ERROR;
}

static WALK_ALWAYS_INLINE uint64_t entry_pa(const mode_desc *m, uint64_t table, unsigned level, uint64_t va)
{
    return table + ((va >> m->shift[level]) & m->index_mask[level]) * m->width;
}

/* The full walk of one mode: every entry and the flags recorded. */
static WALK_ALWAYS_INLINE ss_xlat_state walk_full_mode(const ss_walker *w, ss_mode mode, ss_source *src,
                                                       uint64_t root, uint64_t va, ss_xlat *out)
{
    const mode_desc *m = &modes[mode];
    memset(out, 0, sizeof *out);
    out->va = va;
    if (!canonical(m, va))
        return out->state = SS_XLAT_NONCANONICAL; /* decided before any entry: level 0 */

    walk_step s;
    step_start(&s);
    s.next = root;
    for (unsigned level = m->levels; level >= 1; level--) {
        uint64_t epa = entry_pa(m, s.next, level, va), e = 0;
        out->level = (uint8_t)level;
        ss_status st = ss_walk_read_entry(w, src, epa, m->width, &e);
        if (st != SS_OK)
            return out->state = unreadable(st);
        out->entries[out->nentries++] = (ss_pte){(uint8_t)level, epa, e};
        switch (step(w, mode, level, e, &s)) {
        case STEP_TABLE: continue;
        case STEP_SOFTWARE: return out->state = decode_software(w, e, out);
        case STEP_RESERVED: return out->state = SS_XLAT_RESERVED_BIT;
        default: break;
        }
        out->pa = s.next + (va & (s.size - 1));
        out->page_size = s.size;
        out->flags = SS_XLAT_F_HAS_PA | (s.rw ? SS_XLAT_F_RW : 0) | (s.us ? SS_XLAT_F_US : 0) |
                     (s.xd ? SS_XLAT_F_NX : 0) | (s.large ? SS_XLAT_F_LARGE : 0) |
                     ((e & PTE_P) && (e & PTE_G) ? SS_XLAT_F_GLOBAL : 0);
        if (!ss_source_holds(src, out->pa & ~(uint64_t)(SS_PAGE_SIZE - 1), SS_PAGE_SIZE))
            out->flags |= SS_XLAT_F_NOT_IN_SOURCE;
        if (!(e & PTE_P)) /* a transition PTE's Protection field (bits 5-9) */
            out->protection = (uint32_t)((e >> 5) & 0x1f);
        return out->state = s.in_transition ? SS_XLAT_TRANSITION : SS_XLAT_VALID;
    }
    return out->state = SS_XLAT_READ_ERROR; /* not reached: level 1 always decides */
}

ss_xlat_state ss_walk(const ss_walker *w, ss_source *src, uint64_t root, uint64_t va, ss_xlat *out)
{
    switch (w->mode) {
    case SS_MODE_X64: return walk_full_mode(w, SS_MODE_X64, src, root, va, out);
    case SS_MODE_LA57: return walk_full_mode(w, SS_MODE_LA57, src, root, va, out);
    case SS_MODE_PAE: return walk_full_mode(w, SS_MODE_PAE, src, root, va, out);
    default: return walk_full_mode(w, SS_MODE_X86, src, root, va, out);
    }
}

/* ---- lean walk for the hot path --------------------------------------------------- */

unsigned ss_walker_levels(const ss_walker *w)
{
    return modes[w->mode].levels;
}

unsigned ss_walker_va_bits(const ss_walker *w)
{
    return modes[w->mode].va_bits;
}

unsigned ss_walker_level_shift(const ss_walker *w, unsigned level)
{
    const mode_desc *m = &modes[w->mode];
    return level >= 1 && level <= m->levels ? m->shift[level] : SS_PAGE_SHIFT;
}

void ss_pwc_clear(ss_pwc *c)
{
    /* All-ones is never a tag: a tag is a VA shifted right by at least 21 bits. */
    memset(c, 0xff, sizeof *c);
}

/* Remembers that the level-`next` table for va's region is `table` (bit 0: in transition). */
static void pwc_store(ss_pwc *c, const mode_desc *m, unsigned next, uint64_t va, uint64_t table,
                      bool in_transition)
{
    if (next == SS_LEVEL_PTE) {
        uint64_t tag = va >> m->shift[SS_LEVEL_PDE];
        c->pt[tag & (SS_PWC_PT_SLOTS - 1)] = (ss_pwc_slot){tag, table | in_transition};
    } else if (next == SS_LEVEL_PDE) {
        uint64_t tag = va >> m->shift[SS_LEVEL_PDPTE];
        c->pd[tag & (SS_PWC_PD_SLOTS - 1)] = (ss_pwc_slot){tag, table | in_transition};
    }
}

/*
 * The hot-path walk of one mode: step() as in the full walk, recording only what
 * ss_translate() needs. With a paging-structure cache the walk starts at the page
 * table or page directory remembered for va's 2 MiB / 1 GiB region, as the TLB's
 * paging-structure caches do (SDM 4.10.3); tables are 4 KiB aligned, so bit 0 of a
 * cached frame carries "reached through an entry in transition".
 */
static WALK_ALWAYS_INLINE ss_xlat_state walk_fast_mode(const ss_walker *w, ss_mode mode, ss_source *src,
                                                       uint64_t root, uint64_t va, ss_pwc *pwc,
                                                       ss_walk_result *r)
{
    const mode_desc *m = &modes[mode];
    r->pa = 0;
    r->page_size = 0;
    r->level = 0;
    if (!canonical(m, va))
        return r->state = SS_XLAT_NONCANONICAL;

    walk_step s;
    step_start(&s);
    s.next = root;
    unsigned level = m->levels;
    if (pwc) {
        uint64_t tag = va >> m->shift[SS_LEVEL_PDE];
        const ss_pwc_slot *slot = &pwc->pt[tag & (SS_PWC_PT_SLOTS - 1)];
        if (slot->tag == tag) {
            level = SS_LEVEL_PTE;
        } else if (m->levels > SS_LEVEL_PDE) {
            tag = va >> m->shift[SS_LEVEL_PDPTE];
            slot = &pwc->pd[tag & (SS_PWC_PD_SLOTS - 1)];
            if (slot->tag == tag)
                level = SS_LEVEL_PDE;
        }
        if (level != m->levels) {
            s.next = slot->table & ~(uint64_t)1;
            s.in_transition = slot->table & 1;
        }
    }
    for (;; level--) {
        uint64_t e = 0;
        ss_status st = ss_walk_read_entry(w, src, entry_pa(m, s.next, level, va), m->width, &e);
        if (SS_UNLIKELY(st != SS_OK)) {
            r->level = (uint8_t)level;
            return r->state = unreadable(st);
        }
        int k = step(w, mode, level, e, &s);
        if (SS_LIKELY(k == STEP_TABLE)) {
            if (pwc)
                pwc_store(pwc, m, level - 1, va, s.next, s.in_transition);
            continue;
        }
        r->level = (uint8_t)level;
        if (k == STEP_SOFTWARE) {
            ss_xlat scratch; /* decode_software's details are not needed here */
            return r->state = decode_software(w, e, &scratch);
        }
        if (k == STEP_RESERVED)
            return r->state = SS_XLAT_RESERVED_BIT;
        r->pa = s.next + (va & (s.size - 1));
        r->page_size = s.size;
        return r->state = s.in_transition ? SS_XLAT_TRANSITION : SS_XLAT_VALID;
    }
}

ss_xlat_state ss_walk_fast(const ss_walker *w, ss_source *src, uint64_t root, uint64_t va, ss_pwc *pwc,
                           ss_walk_result *r)
{
    switch (w->mode) {
    case SS_MODE_X64: return walk_fast_mode(w, SS_MODE_X64, src, root, va, pwc, r);
    case SS_MODE_LA57: return walk_fast_mode(w, SS_MODE_LA57, src, root, va, pwc, r);
    case SS_MODE_PAE: return walk_fast_mode(w, SS_MODE_PAE, src, root, va, pwc, r);
    default: return walk_fast_mode(w, SS_MODE_X86, src, root, va, pwc, r);
    }
}

size_t ss_walk_pte_run(const ss_walker *w, ss_source *src, const ss_pwc *pwc, uint64_t va, size_t max,
                       uint64_t *pas)
{
    const mode_desc *m = &modes[w->mode];
    if (!canonical(m, va))
        return 0;
    uint64_t tag = va >> m->shift[SS_LEVEL_PDE];
    const ss_pwc_slot *slot = &pwc->pt[tag & (SS_PWC_PT_SLOTS - 1)];
    if (slot->tag != tag)
        return 0;
    uint64_t table = slot->table & ~(uint64_t)1;
    unsigned index = (unsigned)((va >> SS_PAGE_SHIFT) & m->index_mask[SS_LEVEL_PTE]);
    size_t n = (size_t)m->index_mask[SS_LEVEL_PTE] + 1 - index, i;
    if (n > max)
        n = max;
    for (i = 0; i < n; i++) {
        uint64_t e;
        walk_step s;
        step_start(&s);
        if (ss_walk_read_entry(w, src, table + (index + i) * m->width, m->width, &e) != SS_OK ||
            !(e & PTE_P) || step(w, w->mode, SS_LEVEL_PTE, e, &s) != STEP_LEAF)
            break; /* anything but a present 4 KiB mapping is left to the walk */
        pas[i] = s.next;
    }
    return i;
}

uint64_t ss_walk_same_pages(const ss_walker *w, uint64_t va, const ss_walk_result *r, ss_status st)
{
    uint64_t size;
    if (st == SS_E_PT_READ || st == SS_E_NONCANONICAL)
        return 1;
    if (st == SS_OK)
        size = r->page_size; /* a translation holds for the whole page, in the source or not */
    else
        size = 1ull << ss_walker_level_shift(w, r->level);
    return ((~va & (size - 1)) >> SS_PAGE_SHIFT) + 1; /* no overflow at the top of the VA space */
}
