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
 * When an entry is not present (P = 0) the Windows memory manager keeps its own
 * software format in it (_MMPTE_SOFTWARE, _MMPTE_TRANSITION, _MMPTE_PROTOTYPE);
 * decode_software() turns those into the distinct states of ss_xlat_state.
 */
#include "../core/internal.h"

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
}

bool ss_walker_root(ss_mode mode, uint64_t dtb, uint64_t *root)
{
    switch (mode) {
    case SS_MODE_X86:
        if (dtb >> 32)
            return false;
        *root = dtb & PFN_MASK_32; /* CR3 bits 31:12 (SDM table 4-3) */
        return true;
    case SS_MODE_PAE:
        if (dtb >> 32)
            return false;
        *root = dtb & 0xFFFFFFE0ull; /* CR3 bits 31:5 locate the PDPT (table 4-7) */
        return true;
    case SS_MODE_X64:
    case SS_MODE_LA57:
        /* bits 11:0 are PCID or PWT/PCD, bit 63 is the no-flush hint: not address */
        *root = dtb & PFN_MASK_64;
        return true;
    case SS_MODE_AUTO: break;
    }
    return false;
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

/* The state of a mapping whose 4 KiB frame is at pa: BAD_PFN unless the source holds it. */
static ss_xlat_state leaf_state(ss_source *src, uint64_t pa, ss_xlat_state state)
{
    return ss_source_holds(src, pa & ~(uint64_t)(SS_PAGE_SIZE - 1), SS_PAGE_SIZE) ? state : SS_XLAT_BAD_PFN;
}

static ss_xlat_state finish_mapping(ss_source *src, ss_xlat *out, uint64_t base, uint64_t size,
                                    ss_xlat_state state)
{
    out->pa = base + (out->va & (size - 1));
    out->page_size = size;
    out->flags |= SS_XLAT_F_HAS_PA;
    /* The frame the VA lands in must be memory the source holds. */
    return out->state = leaf_state(src, out->pa, state);
}

ss_xlat_state ss_walk(const ss_walker *w, ss_source *src, uint64_t root, uint64_t va, ss_xlat *out)
{
    const mode_desc *m = &modes[w->mode];
    memset(out, 0, sizeof *out);
    out->va = va;
    out->level = m->levels;
    if (!canonical(m, va))
        return out->state = SS_XLAT_NONCANONICAL;

    uint64_t table = root;
    bool rw = true, us = true, xd = false, in_transition = false;
    for (unsigned level = m->levels; level >= 1; level--) {
        uint64_t epa = table + ((va >> m->shift[level]) & m->index_mask[level]) * m->width;
        uint64_t e = 0;
        out->level = (uint8_t)level;
        ss_status st = ss_walk_read_entry(w, src, epa, m->width, &e);
        if (st != SS_OK)
            return out->state =
                       (st == SS_E_RANGE || st == SS_E_NO_PAGE) ? SS_XLAT_BAD_PFN : SS_XLAT_READ_ERROR;
        out->entries[out->nentries++] = (ss_pte){(uint8_t)level, epa, e};

        if (!(e & PTE_P)) {
            ss_xlat_state s = decode_software(w, e, out);
            if (s != SS_XLAT_TRANSITION)
                return out->state = s;
            if (level == SS_LEVEL_PTE)
                return finish_mapping(src, out, e & m->pfn_mask, SS_PAGE_SIZE, SS_XLAT_TRANSITION);
            /* A paging structure in transition is still in memory: walk on. */
            in_transition = true;
            table = e & m->pfn_mask;
            continue;
        }
        /* PAE PDPTEs carry no R/W, U/S or XD bits (SDM table 4-8). */
        if (!(w->mode == SS_MODE_PAE && level == SS_LEVEL_PDPTE)) {
            rw = rw && (e & PTE_RW);
            us = us && (e & PTE_US);
            xd = xd || (w->nx && m->width == 8 && (e & PTE_XD));
        }
        bool large = level > SS_LEVEL_PTE && (e & PTE_PS) && (m->large_levels & (1u << level)) &&
                     (w->mode != SS_MODE_X86 || w->pse);
        if (level == SS_LEVEL_PTE || large) {
            out->flags = (rw ? SS_XLAT_F_RW : 0) | (us ? SS_XLAT_F_US : 0) | (xd ? SS_XLAT_F_NX : 0) |
                         (large ? SS_XLAT_F_LARGE : 0) | ((e & PTE_G) ? SS_XLAT_F_GLOBAL : 0);
            ss_xlat_state s = in_transition ? SS_XLAT_TRANSITION : SS_XLAT_VALID;
            if (large) {
                uint64_t size = 0;
                uint64_t base = large_base(w->mode, level, e, &size);
                return finish_mapping(src, out, base, size, s);
            }
            return finish_mapping(src, out, e & m->pfn_mask, SS_PAGE_SIZE, s);
        }
        table = e & m->pfn_mask;
    }
    return out->state = SS_XLAT_READ_ERROR; /* not reached: level 1 always returns */
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

#if defined(__GNUC__) || defined(__clang__)
#define WALK_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define WALK_ALWAYS_INLINE inline
#endif

/*
 * Same decisions as ss_walk() (same tables, same software-PTE decoding, same
 * frame check), keeping only what ss_translate() needs. With a paging-structure
 * cache the walk starts at the page table or page directory remembered for va's
 * 2 MiB / 1 GiB region, as the TLB's paging-structure caches do (SDM 4.10.3);
 * tables are 4 KiB aligned, so bit 0 of a cached frame carries "reached through
 * an entry in transition". Instantiated once per mode (mode is a constant in
 * each copy) so the table's shifts, masks and widths fold into the code.
 */
static WALK_ALWAYS_INLINE ss_xlat_state walk_fast_mode(const ss_walker *w, ss_mode mode, ss_source *src,
                                                       uint64_t root, uint64_t va, ss_pwc *pwc,
                                                       ss_walk_result *r)
{
    const mode_desc *m = &modes[mode];
    r->pa = 0;
    r->page_size = 0;
    r->level = m->levels;
    if (!canonical(m, va))
        return r->state = SS_XLAT_NONCANONICAL;

    uint64_t table = root;
    bool in_transition = false;
    unsigned level = m->levels;
    if (pwc) {
        uint64_t tag = va >> m->shift[SS_LEVEL_PDE];
        const ss_pwc_slot *s = &pwc->pt[tag & (SS_PWC_PT_SLOTS - 1)];
        if (s->tag == tag) {
            level = SS_LEVEL_PTE;
        } else if (m->levels > SS_LEVEL_PDE) {
            tag = va >> m->shift[SS_LEVEL_PDPTE];
            s = &pwc->pd[tag & (SS_PWC_PD_SLOTS - 1)];
            if (s->tag == tag)
                level = SS_LEVEL_PDE;
        }
        if (level != m->levels) {
            table = s->table & ~(uint64_t)1;
            in_transition = s->table & 1;
        }
    }
    for (;; level--) {
        uint64_t epa = table + ((va >> m->shift[level]) & m->index_mask[level]) * m->width;
        uint64_t e = 0;
        ss_status st = ss_walk_read_entry(w, src, epa, m->width, &e);
        if (SS_UNLIKELY(st != SS_OK)) {
            r->level = (uint8_t)level;
            return r->state = (st == SS_E_RANGE || st == SS_E_NO_PAGE) ? SS_XLAT_BAD_PFN : SS_XLAT_READ_ERROR;
        }
        uint64_t size = SS_PAGE_SIZE, base;
        if (SS_UNLIKELY(!(e & PTE_P))) {
            if ((e & (MM_PROTOTYPE | MM_TRANSITION)) != MM_TRANSITION) {
                ss_xlat scratch; /* decode_software's details are not needed here */
                r->level = (uint8_t)level;
                return r->state = decode_software(w, e, &scratch);
            }
            if (level > SS_LEVEL_PTE) { /* a table in transition: walk on, as ss_walk */
                in_transition = true;
                table = e & m->pfn_mask;
                if (pwc)
                    pwc_store(pwc, m, level - 1, va, table, true);
                continue;
            }
            in_transition = true;
            base = e & m->pfn_mask;
        } else if (level == SS_LEVEL_PTE) {
            base = e & m->pfn_mask;
        } else if ((e & PTE_PS) && (m->large_levels & (1u << level)) && (mode != SS_MODE_X86 || w->pse)) {
            base = large_base(mode, level, e, &size);
        } else {
            table = e & m->pfn_mask;
            if (pwc)
                pwc_store(pwc, m, level - 1, va, table, in_transition);
            continue;
        }
        r->level = (uint8_t)level;
        r->pa = base + (va & (size - 1));
        r->page_size = size;
        ss_xlat_state state = in_transition ? SS_XLAT_TRANSITION : SS_XLAT_VALID;
        uint64_t frame = r->pa & ~(uint64_t)(SS_PAGE_SIZE - 1);
        if (SS_LIKELY(src->flat)) /* leaf_state() without the call, for flat sources */
            return r->state = frame < src->flat_size && src->flat_size - frame >= SS_PAGE_SIZE
                                  ? state
                                  : SS_XLAT_BAD_PFN;
        return r->state = leaf_state(src, r->pa, state);
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
    if (!src->flat || !canonical(m, va))
        return 0;
    uint64_t tag = va >> m->shift[SS_LEVEL_PDE];
    const ss_pwc_slot *s = &pwc->pt[tag & (SS_PWC_PT_SLOTS - 1)];
    if (s->tag != tag)
        return 0;
    uint64_t table = s->table & ~(uint64_t)1;
    unsigned index = (unsigned)((va >> SS_PAGE_SHIFT) & m->index_mask[SS_LEVEL_PTE]);
    size_t n = (size_t)m->index_mask[SS_LEVEL_PTE] + 1 - index, i;
    if (n > max)
        n = max;
    for (i = 0; i < n; i++) {
        uint64_t e;
        if (ss_walk_read_entry(w, src, table + (index + i) * m->width, m->width, &e) != SS_OK || !(e & PTE_P))
            break;
        uint64_t frame = e & m->pfn_mask; /* a present PTE: VALID (or TRANSITION, also SS_OK) */
        if (frame >= src->flat_size || src->flat_size - frame < SS_PAGE_SIZE)
            break; /* BAD_PFN: left to the full walk */
        pas[i] = frame;
    }
    return i;
}
