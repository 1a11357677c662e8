/* Generator of discovery test images: see scanimage.h. */
#include "scanimage.h"

#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define MiB (1ull << 20)
#define PG  4096ull

/* Top-level entry bits (Intel SDM Vol. 3A, Table 4-15). */
#define E_P     0x1ull
#define E_RW    0x2ull
#define E_A     0x20ull
#define E_D     0x40ull
#define E_PS    0x80ull
#define E_NX    (1ull << 63)
#define E_FRAME 0x000ffffffffff000ull

uint64_t ssb_slot_va(unsigned slot)
{
    uint64_t va = (uint64_t)slot << 39;
    return slot >= 256 ? va | 0xffff000000000000ull : va;
}

static uint64_t rd(const ssb_image *img, uint64_t pa)
{
    uint64_t v = 0;
    ssb_read(img, pa, &v, 8);
    return v;
}

static int wr(ssb_image *img, uint64_t pa, uint64_t v)
{
    return ssb_write(img, pa, &v, 8);
}

/* Kernel-global slots: the first SSB_SCAN_GLOBALS of this list that the spec leaves free. */
static const unsigned global_pool[] = {0x100, 0x120, 0x140, 0x160, 0x180, 0x1a0, 0x1c0,
                                       0x1e0, 0x1f0, 0x1f6, 0x1fa, 0x1ff, 0x110, 0x130};

/* The decoys: copies of a real root (tmpl) altered one way each; self slot s. */
static int add_decoys(ssb_image *img, ssb_scan_truth *t, uint64_t tmpl_root, unsigned s, uint64_t max_pa)
{
    uint64_t tmpl[512], e[512];
    if (ssb_read(img, tmpl_root, tmpl, PG) != 0)
        return -1;
    uint64_t self_flags = tmpl[s] & ~E_FRAME;
    int ok = 0;
    for (int kind = SSB_DECOY_TWO_SELF; kind <= SSB_DECOY_USER_KERNEL && ok == 0; kind++) {
        uint64_t pa = ssb_alloc_page(img); /* allocate, then fill in place */
        if (!pa || t->ndecoys == SSB_SCAN_MAX_DECOYS)
            return -1;
        memcpy(e, tmpl, PG);
        e[s] = pa | self_flags;
        unsigned spare = s == 0x1fe ? 0x1fd : 0x1fe;
        switch (kind) {
        case SSB_DECOY_TWO_SELF: e[spare] = pa | self_flags; break;
        case SSB_DECOY_PS_BIT:
            for (unsigned i = 256; i < 512; i++)
                if (i != s && (e[i] & E_P)) {
                    e[i] |= E_PS;
                    break;
                }
            break;
        case SSB_DECOY_FEW_KERNEL: {
            unsigned kept = 0;
            for (unsigned i = 256; i < 512; i++)
                if (i != s && e[i] && ++kept > 2)
                    e[i] = 0;
            break;
        }
        case SSB_DECOY_PAST_END:
            for (unsigned i = 256; i < 512; i++)
                if (i != s && (e[i] & E_P))
                    e[i] = (e[i] & ~E_FRAME) | ((max_pa + (uint64_t)i * PG) & E_FRAME);
            break;
        case SSB_DECOY_USER_SELF:
            e[s] = 0;
            e[0x10] = pa | self_flags;
            break;
        case SSB_DECOY_COPY: memcpy(e, tmpl, PG); break;
        case SSB_DECOY_NO_ZEROS:
            for (unsigned i = 0; i < 256; i++)
                if (!e[i])
                    e[i] = 0x400; /* not present, non-zero (a software value) */
            break;
        case SSB_DECOY_ZERO: memset(e, 0, PG); break;
        case SSB_DECOY_USER_KERNEL:
            for (unsigned i = 0; i < 256; i++)
                e[i] &= ~(uint64_t)SSB_US;
            break;
        }
        ok = ssb_write(img, pa, e, PG);
        t->decoy[t->ndecoys] = pa;
        t->decoy_kind[t->ndecoys++] = kind;
    }
    return ok;
}

ssb_image *ssb_build_scan_image(const ssb_scan_spec *spec, ssb_scan_truth *t)
{
    if (!spec || !t || spec->self_slot < 256 || spec->self_slot > 511 || spec->session_slot < 256 ||
        spec->session_slot > 511 || spec->session_slot == spec->self_slot || spec->nsessions < 1 ||
        spec->nsessions > 4 || spec->procs_per_session < 1 || spec->procs_per_session > 8 ||
        spec->nosession > 2)
        return NULL;
    size_t nroots = spec->nosession + (size_t)spec->nsessions * spec->procs_per_session;
    if (nroots > SSB_SCAN_MAX_ROOTS)
        return NULL;
    uint64_t phys = spec->phys_size ? spec->phys_size : 64 * MiB;
    uint64_t noise = spec->noise_pages ? spec->noise_pages : 256;
    if (phys < 64 * MiB || noise * PG > phys / 4)
        return NULL;
    ssb_image *img = ssb_new(SS_MODE_X64, phys, phys / 2);
    if (!img)
        return NULL;
    memset(t, 0, sizeof *t);
    t->self_slot = spec->self_slot;
    t->session_slot = spec->session_slot;
    t->private_slot = 0;
    unsigned ng = 0;
    for (size_t i = 0; i < sizeof global_pool / sizeof global_pool[0] && ng < SSB_SCAN_GLOBALS; i++) {
        unsigned g = global_pool[i];
        if (g == spec->self_slot || g == spec->session_slot)
            continue;
        if (!t->private_slot && g == 0x1e0) {
            t->private_slot = g; /* hyperspace-like: one PDPT per process */
            continue;
        }
        t->global_slot[ng++] = g;
    }
    if (!t->private_slot)
        t->private_slot = spec->self_slot == 0x1c8 || spec->session_slot == 0x1c8 ? 0x1c9 : 0x1c8;
    int ok = ng == SSB_SCAN_GLOBALS;

    /* Roots, interleaved: no-session roots first (System is root 0), then round-robin. */
    size_t r = 0;
    for (unsigned i = 0; i < spec->nosession; i++, r++) {
        t->root[r] = ssb_new_root(img);
        t->session[r] = -1;
    }
    for (unsigned p = 0; p < spec->procs_per_session; p++)
        for (unsigned s = 0; s < spec->nsessions; s++, r++) {
            t->root[r] = ssb_new_root(img);
            t->session[r] = (int)s;
        }
    t->nroots = nroots;
    for (size_t i = 0; i < nroots; i++)
        ok = ok && t->root[i] != 0;
    uint64_t sys = t->root[0];

    /* Kernel-global mappings under the first root, then copied into every other root. */
    uint64_t data = 1 * MiB;
    for (unsigned g = 0; ok && g < ng; g++) {
        ok = ssb_map(img, sys, ssb_slot_va(t->global_slot[g]) + 0x200000, data, PG, SSB_RW | SSB_G) == 0;
        char text[48];
        snprintf(text, sizeof text, "kernel global slot %#x", t->global_slot[g]);
        ssb_write(img, data, text, strlen(text) + 1);
        data += PG;
    }
    for (size_t i = 1; ok && i < nroots; i++)
        for (unsigned g = 0; ok && g < ng; g++) {
            uint64_t off = 8ull * t->global_slot[g];
            ok = wr(img, t->root[i] + off, rd(img, sys + off)) == 0;
        }

    /* Self-map, per-process hyperspace, user pages. */
    for (size_t i = 0; ok && i < nroots; i++) {
        uint64_t self = t->root[i] | E_P | E_RW | E_A | E_D | (spec->nx_self ? E_NX : 0);
        ok = wr(img, t->root[i] + 8ull * spec->self_slot, self) == 0;
        ok = ok && ssb_map(img, t->root[i], ssb_slot_va(t->private_slot), data, PG, SSB_RW) == 0;
        data += PG;
        if (ok && i > 0) {
            ok = ssb_map(img, t->root[i], 0x7ff600000000ull, data, PG, SSB_RW | SSB_US | SSB_XD) == 0 &&
                 ssb_map(img, t->root[i], 0x10000, data + PG, PG, SSB_RW | SSB_US) == 0;
            data += 2 * PG;
        }
    }

    /* Session space: the first process of each session builds it, the others copy its entry. */
    t->session_va = ssb_slot_va(spec->session_slot) + 0x1b3c078000ull;
    uint64_t shared_image = data;
    ssb_write(img, shared_image, "win32k shared image page", 25);
    data += PG;
    for (unsigned s = 0; ok && s < spec->nsessions; s++) {
        uint64_t first = 0;
        for (size_t i = 0; i < nroots; i++)
            if (t->session[i] == (int)s) {
                first = t->root[i];
                break;
            }
        t->session_pa[s] = data;
        char text[48];
        snprintf(text, sizeof text, "session %u private data", s);
        ssb_write(img, data, text, strlen(text) + 1);
        ok = ssb_map(img, first, t->session_va, data, PG, SSB_RW) == 0 &&
             ssb_map(img, first, t->session_va + PG, shared_image, PG, 0) == 0;
        data += PG;
        uint64_t off = 8ull * spec->session_slot;
        uint64_t entry = rd(img, first + off);
        for (size_t i = 0; ok && i < nroots; i++)
            if (t->session[i] == (int)s && t->root[i] != first)
                ok = wr(img, t->root[i] + off, entry) == 0;
    }

    /* Non-table content: pseudo-random words, about half with bit 0 (P) and bit 7 set. */
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ spec->self_slot;
    uint64_t noise_base = 4 * MiB;
    for (uint64_t p = 0; ok && p < noise; p++) {
        uint64_t words[512];
        for (unsigned w = 0; w < 512; w++)
            words[w] = ss_test_rand(&seed);
        ok = ssb_write(img, noise_base + p * PG, words, PG) == 0;
    }
    ok = ok && data < noise_base;

    if (ok && spec->decoys)
        ok = add_decoys(img, t, t->root[nroots - 1], spec->self_slot, phys) == 0;
    if (!ok) {
        ssb_free(img);
        return NULL;
    }
    return img;
}
