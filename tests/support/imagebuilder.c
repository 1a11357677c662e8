/* Test-support image builder (see imagebuilder.h). */
#define _POSIX_C_SOURCE 200809L
#include "imagebuilder.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096ull

typedef struct slot {
    uint64_t pfn_plus1; /* 0 = empty */
    uint8_t *page;
} slot;

struct ssb_image {
    ss_mode mode;
    uint64_t size;
    uint64_t next_table;
    slot *slots;
    size_t cap, used;
};

/* Per-mode geometry, written from the SDM's figures 4-2, 4-5, 4-8 and 4-9. */
static unsigned top_level(ss_mode m)
{
    return m == SS_MODE_X86 ? 2 : m == SS_MODE_PAE ? 3 : m == SS_MODE_X64 ? 4 : 5;
}
static unsigned entry_size(ss_mode m)
{
    return m == SS_MODE_X86 ? 4 : 8;
}
static unsigned index_of(ss_mode m, uint64_t va, unsigned level)
{
    if (m == SS_MODE_X86)
        return (unsigned)((va >> (level == 2 ? 22 : 12)) & 0x3ff);
    unsigned shift = 12 + 9 * (level - 1);
    if (m == SS_MODE_PAE && level == 3)
        return (unsigned)((va >> 30) & 3);
    return (unsigned)((va >> shift) & 0x1ff);
}
static uint64_t addr_mask(ss_mode m)
{
    return m == SS_MODE_X86 ? 0xFFFFF000ull : 0x000FFFFFFFFFF000ull;
}

static size_t hash_pfn(uint64_t pfn, size_t cap)
{
    uint64_t h = pfn * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static slot *find_slot(const ssb_image *img, uint64_t pfn)
{
    size_t i = hash_pfn(pfn, img->cap);
    for (;;) {
        slot *s = &img->slots[i];
        if (s->pfn_plus1 == 0 || s->pfn_plus1 == pfn + 1)
            return s;
        i = (i + 1) & (img->cap - 1);
    }
}

static int grow(ssb_image *img)
{
    size_t ncap = img->cap ? img->cap * 2 : 1024;
    slot *old = img->slots;
    size_t ocap = img->cap;
    img->slots = calloc(ncap, sizeof *img->slots);
    if (!img->slots) {
        img->slots = old;
        return -1;
    }
    img->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].pfn_plus1)
            *find_slot(img, old[i].pfn_plus1 - 1) = old[i];
    free(old);
    return 0;
}

/* The page at pfn, created zeroed if needed. */
static uint8_t *page_rw(ssb_image *img, uint64_t pfn)
{
    if (pfn >= img->size / PAGE)
        return NULL;
    if ((img->used + 1) * 2 > img->cap && grow(img) != 0)
        return NULL;
    slot *s = find_slot(img, pfn);
    if (!s->pfn_plus1) {
        s->page = calloc(1, PAGE);
        if (!s->page)
            return NULL;
        s->pfn_plus1 = pfn + 1;
        img->used++;
    }
    return s->page;
}

const uint8_t *ssb_page(const ssb_image *img, uint64_t pfn)
{
    if (!img->cap)
        return NULL;
    slot *s = find_slot(img, pfn);
    return s->pfn_plus1 ? s->page : NULL;
}

ssb_image *ssb_new(ss_mode mode, uint64_t phys_size, uint64_t table_base)
{
    if (mode < SS_MODE_X86 || mode > SS_MODE_LA57 || phys_size == 0 || phys_size % PAGE ||
        table_base % PAGE || table_base >= phys_size)
        return NULL;
    ssb_image *img = calloc(1, sizeof *img);
    if (!img)
        return NULL;
    img->mode = mode;
    img->size = phys_size;
    img->next_table = table_base;
    if (grow(img) != 0) {
        free(img);
        return NULL;
    }
    return img;
}

void ssb_free(ssb_image *img)
{
    if (!img)
        return;
    for (size_t i = 0; i < img->cap; i++)
        free(img->slots[i].page);
    free(img->slots);
    free(img);
}

ss_mode ssb_mode(const ssb_image *img)
{
    return img->mode;
}
uint64_t ssb_size(const ssb_image *img)
{
    return img->size;
}

uint64_t ssb_alloc_page(ssb_image *img)
{
    if (img->next_table + PAGE > img->size)
        return 0;
    uint64_t pa = img->next_table;
    img->next_table += PAGE;
    return page_rw(img, pa / PAGE) ? pa : 0;
}

uint64_t ssb_new_root(ssb_image *img)
{
    /* A PAE PDPT is 32 bytes, but a page of its own keeps the builder simple. */
    return ssb_alloc_page(img);
}

int ssb_write(ssb_image *img, uint64_t pa, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (pa > img->size || len > img->size - pa)
        return -1;
    while (len) {
        size_t off = (size_t)(pa % PAGE), n = (size_t)(PAGE - off);
        if (n > len)
            n = len;
        uint8_t *pg = page_rw(img, pa / PAGE);
        if (!pg)
            return -1;
        memcpy(pg + off, p, n);
        p += n;
        pa += n;
        len -= n;
    }
    return 0;
}

int ssb_read(const ssb_image *img, uint64_t pa, void *buf, size_t len)
{
    uint8_t *p = buf;
    if (pa > img->size || len > img->size - pa)
        return -1;
    while (len) {
        size_t off = (size_t)(pa % PAGE), n = (size_t)(PAGE - off);
        if (n > len)
            n = len;
        const uint8_t *pg = ssb_page(img, pa / PAGE);
        if (pg)
            memcpy(p, pg + off, n);
        else
            memset(p, 0, n);
        p += n;
        pa += n;
        len -= n;
    }
    return 0;
}

static uint64_t get_entry(const ssb_image *img, uint64_t epa)
{
    uint64_t v = 0;
    ssb_read(img, epa, &v, entry_size(img->mode));
    return v;
}

static int put_entry(ssb_image *img, uint64_t epa, uint64_t v)
{
    return ssb_write(img, epa, &v, entry_size(img->mode));
}

static uint64_t root_base(ss_mode m, uint64_t root)
{
    return m == SS_MODE_PAE ? root & 0xFFFFFFE0ull : root & addr_mask(m);
}

/* Walks down to `level` creating tables; returns the PA of the entry at that level, 0 on error. */
static uint64_t entry_at(ssb_image *img, uint64_t root, uint64_t va, unsigned level, uint64_t flags)
{
    ss_mode m = img->mode;
    uint64_t table = root_base(m, root);
    for (unsigned l = top_level(m);; l--) {
        uint64_t epa = table + (uint64_t)index_of(m, va, l) * entry_size(m);
        if (l == level)
            return epa;
        uint64_t e = get_entry(img, epa);
        if (!(e & SSB_P)) {
            uint64_t t = ssb_alloc_page(img);
            if (!t)
                return 0;
            /* PAE PDPTEs take only P (SDM table 4-8); elsewhere give the table the caller's rights. */
            e = t | SSB_P;
            if (!(m == SS_MODE_PAE && l == 3))
                e |= flags & (SSB_RW | SSB_US);
            if (put_entry(img, epa, e) != 0)
                return 0;
        } else if (e & SSB_PS && l <= 3 && !(m == SS_MODE_PAE && l == 3)) {
            return 0; /* a large page is in the way */
        }
        table = e & addr_mask(m);
    }
}

int ssb_map(ssb_image *img, uint64_t root, uint64_t va, uint64_t pa, uint64_t page_size, uint64_t flags)
{
    ss_mode m = img->mode;
    unsigned level;
    if (page_size == PAGE)
        level = 1;
    else if (page_size == (2ull << 20) && (m == SS_MODE_PAE || m == SS_MODE_X64 || m == SS_MODE_LA57))
        level = 2;
    else if (page_size == (4ull << 20) && m == SS_MODE_X86)
        level = 2;
    else if (page_size == (1ull << 30) && (m == SS_MODE_X64 || m == SS_MODE_LA57))
        level = 3;
    else
        return -1;
    if ((va | pa) & (page_size - 1))
        return -1;
    uint64_t epa = entry_at(img, root, va, level, flags);
    if (!epa)
        return -1;
    uint64_t e = SSB_P | (flags & (SSB_RW | SSB_US | SSB_G));
    if (m != SS_MODE_X86)
        e |= flags & SSB_XD;
    if (level > 1) {
        e |= SSB_PS;
        if (m == SS_MODE_X86) /* PSE-36: PA bits 39:32 go to PDE bits 20:13 */
            e |= (pa & 0xFFC00000ull) | (((pa >> 32) & 0xff) << 13);
        else
            e |= pa;
    } else {
        e |= pa;
    }
    return put_entry(img, epa, e);
}

uint64_t ssb_set_entry(ssb_image *img, uint64_t root, uint64_t va, int level, uint64_t value)
{
    if (level < 1 || (unsigned)level > top_level(img->mode))
        return 0;
    uint64_t epa = entry_at(img, root, va, (unsigned)level, SSB_RW | SSB_US);
    if (!epa || put_entry(img, epa, value) != 0)
        return 0;
    return epa;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int ssb_for_each_page(const ssb_image *img, int (*fn)(void *arg, uint64_t pfn, const uint8_t *page),
                      void *arg)
{
    uint64_t *pfns = malloc((img->used ? img->used : 1) * sizeof *pfns);
    if (!pfns)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < img->cap; i++)
        if (img->slots[i].pfn_plus1)
            pfns[n++] = img->slots[i].pfn_plus1 - 1;
    qsort(pfns, n, sizeof *pfns, cmp_u64);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(arg, pfns[i], ssb_page(img, pfns[i]));
    free(pfns);
    return rc;
}

typedef struct raw_writer {
    int fd;
} raw_writer;

static int write_page_raw(void *arg, uint64_t pfn, const uint8_t *page)
{
    raw_writer *w = arg;
    return pwrite(w->fd, page, PAGE, (off_t)(pfn * PAGE)) == (ssize_t)PAGE ? 0 : -1;
}

int ssb_write_raw(const ssb_image *img, const char *path)
{
    raw_writer w = {open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)};
    if (w.fd < 0)
        return -1;
    int rc = ftruncate(w.fd, (off_t)img->size) == 0 ? 0 : -1;
    if (rc == 0)
        rc = ssb_for_each_page(img, write_page_raw, &w);
    if (close(w.fd) != 0)
        rc = -1;
    return rc;
}

/* ---- software PTEs -------------------------------------------------------------- */
#define MM_PROTOTYPE  (1ull << 10)
#define MM_TRANSITION (1ull << 11)

uint64_t ssb_sw_transition(ss_mode mode, uint64_t pfn, uint32_t protection)
{
    return ((pfn << 12) & addr_mask(mode)) | MM_TRANSITION | ((uint64_t)(protection & 0x1f) << 5);
}

uint64_t ssb_sw_pagefile(ss_mode mode, ss_pte_layout layout, uint32_t number, uint64_t offset,
                         uint32_t protection)
{
    uint64_t prot = (uint64_t)(protection & 0x1f) << 5;
    uint64_t high = offset >> 12;
    if (mode == SS_MODE_X86)
        return ((high & 0xfffff) << 12) | ((uint64_t)(number & 0xf) << 1) | prot;
    uint64_t low = (uint64_t)(number & 0xf) << (layout == SS_PTE_LAYOUT_WIN7 ? 1 : 12);
    return (high << 32) | low | prot;
}

uint64_t ssb_sw_demand_zero(ss_mode mode, ss_pte_layout layout, uint32_t protection)
{
    return ssb_sw_pagefile(mode, layout, 0, 0, protection);
}

uint64_t ssb_sw_prototype(ss_mode mode, ss_pte_layout layout, uint64_t proto, uint32_t protection)
{
    uint64_t prot = (uint64_t)(protection & 0x1f) << (layout == SS_PTE_LAYOUT_WIN7 ? 11 : 5);
    switch (mode) {
    case SS_MODE_X86: /* ProtoAddressLow bits 1-7 = offset bits 2-8, High bits 11-31 = offset bits 9-29 */
        return ((proto >> 9) << 11) | (((proto >> 2) & 0x7f) << 1) | MM_PROTOTYPE;
    case SS_MODE_PAE: return (proto << 32) | MM_PROTOTYPE | prot;
    default: return (proto << 16) | MM_PROTOTYPE | prot;
    }
}
