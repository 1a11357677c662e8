/*
 * Crash-dump writers for the tests (see dmpwriter.h). Field offsets come from the
 * DUMP_HEADER32 / DUMP_HEADER64 layouts described in docs/formats.md.
 */
#define _POSIX_C_SOURCE 200809L
#include "dmpwriter.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096ull

typedef struct kind_desc {
    const char *name;
    uint32_t type;
    unsigned width; /* 8: PAGEDU64, 4: PAGEDUMP */
    char layout;    /* 'r' runs, 'b' bitmap, 'R' RDMP ranges */
    uint32_t bitmap_sig;
} kind_desc;

static const kind_desc kinds[SSB_DMP_KIND_COUNT] = {
    [SSB_DMP64_FULL] = {"dmp64-full", 1, 8, 'r', 0},
    [SSB_DMP64_KERNEL_BITMAP] = {"dmp64-kernel-bitmap", 2, 8, 'b', 0x504D4453u /* SDMP */},
    [SSB_DMP64_FULL_BITMAP] = {"dmp64-full-bitmap", 5, 8, 'b', 0x504D4446u /* FDMP */},
    [SSB_DMP64_LIVE_BITMAP] = {"dmp64-live-bitmap", 6, 8, 'b', 0x504D4446u},
    [SSB_DMP64_RDMP_KERNEL] = {"dmp64-rdmp-kernel", 8, 8, 'R', 0},
    [SSB_DMP64_RDMP_KERNEL_USER] = {"dmp64-rdmp-kernel-user", 9, 8, 'R', 0},
    [SSB_DMP64_RDMP_COMPLETE] = {"dmp64-rdmp-complete", 0xA, 8, 'R', 0},
    [SSB_DMP32_FULL] = {"dmp32-full", 1, 4, 'r', 0},
    [SSB_DMP32_BITMAP] = {"dmp32-bitmap", 5, 4, 'b', 0x504D4446u},
};

const char *ssb_dmp_kind_name(ssb_dmp_kind kind)
{
    return (unsigned)kind < SSB_DMP_KIND_COUNT ? kinds[kind].name : "?";
}

uint32_t ssb_dmp_kind_type(ssb_dmp_kind kind)
{
    return (unsigned)kind < SSB_DMP_KIND_COUNT ? kinds[kind].type : 0;
}

uint32_t ssb_dmp_kind_machine(ssb_dmp_kind kind)
{
    return (unsigned)kind < SSB_DMP_KIND_COUNT && kinds[kind].width == 4 ? 0x14Cu : 0x8664u;
}

uint32_t ssb_dmp_kind_header_size(ssb_dmp_kind kind)
{
    return (unsigned)kind < SSB_DMP_KIND_COUNT && kinds[kind].width == 4 ? 0x1000u : 0x2000u;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static void putw(uint8_t *p, uint64_t v, unsigned w)
{
    if (w == 8)
        put64(p, v);
    else
        put32(p, (uint32_t)v);
}

/* A run placed in the file. */
typedef struct placed {
    uint64_t pfn, count, offset;
} placed;

typedef struct collect {
    ssb_pfn_run *runs;
    size_t n, cap;
} collect;

static int collect_page(void *arg, uint64_t pfn, const uint8_t *page)
{
    (void)page;
    collect *c = arg;
    if (c->n && c->runs[c->n - 1].pfn + c->runs[c->n - 1].count == pfn) {
        c->runs[c->n - 1].count++;
        return 0;
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        ssb_pfn_run *g = realloc(c->runs, ncap * sizeof *g);
        if (!g)
            return -1;
        c->runs = g;
        c->cap = ncap;
    }
    c->runs[c->n++] = (ssb_pfn_run){pfn, 1};
    return 0;
}

static int cmp_placed(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

typedef struct page_writer {
    int fd;
    const placed *sorted; /* by PFN */
    size_t n;
} page_writer;

static int write_page(void *arg, uint64_t pfn, const uint8_t *page)
{
    page_writer *w = arg;
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->sorted[mid].pfn + w->sorted[mid].count <= pfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == w->n || pfn < w->sorted[lo].pfn)
        return 0; /* not in the dump */
    uint64_t off = w->sorted[lo].offset + (pfn - w->sorted[lo].pfn) * PAGE;
    return pwrite(w->fd, page, PAGE, (off_t)off) == (ssize_t)PAGE ? 0 : -1;
}

/* The main header: filled with the "PAGE" pattern as Windows does, then the fields. */
static void fill_header(uint8_t *h, const kind_desc *k, const ssb_dmp_fields *f)
{
    unsigned w = k->width;
    size_t size = w == 8 ? 0x2000 : 0x1000;
    for (size_t i = 0; i < size; i += 4)
        memcpy(h + i, "PAGE", 4);
    memcpy(h + 4, w == 8 ? "DU64" : "DUMP", 4);
    put32(h + 0x08, f->major_version);
    put32(h + 0x0C, f->minor_version);
    if (w == 8) {
        put64(h + 0x10, f->dtb);
        put64(h + 0x18, f->pfn_database);
        put64(h + 0x20, f->ps_loaded_module_list);
        put64(h + 0x28, f->ps_active_process_head);
        put32(h + 0x30, 0x8664);
        put32(h + 0x34, f->number_processors);
        put32(h + 0x38, f->bugcheck_code);
        put32(h + 0x3C, 0);
        for (int i = 0; i < 4; i++)
            put64(h + 0x40 + 8 * i, f->bugcheck_params[i]);
        memset(h + 0x60, 0, 32); /* VersionUser */
        put64(h + 0x80, f->kd_debugger_data_block);
        memset(h + 0x348, 0, 3000); /* ContextRecord */
        memset(h + 0xF00, 0, 0x98); /* Exception */
        put32(h + 0xF98, k->type);
        put32(h + 0xF9C, 0);
    } else {
        put32(h + 0x10, (uint32_t)f->dtb);
        put32(h + 0x14, (uint32_t)f->pfn_database);
        put32(h + 0x18, (uint32_t)f->ps_loaded_module_list);
        put32(h + 0x1C, (uint32_t)f->ps_active_process_head);
        put32(h + 0x20, 0x14C);
        put32(h + 0x24, f->number_processors);
        put32(h + 0x28, f->bugcheck_code);
        for (int i = 0; i < 4; i++)
            put32(h + 0x2C + 4 * i, (uint32_t)f->bugcheck_params[i]);
        memset(h + 0x3C, 0, 32); /* VersionUser */
        h[0x5C] = f->pae_enabled;
        h[0x5D] = 0;
        h[0x5E] = h[0x5F] = 0;
        put32(h + 0x60, (uint32_t)f->kd_debugger_data_block);
        memset(h + 0x320, 0, 1200); /* ContextRecord */
        put32(h + 0xF88, k->type);
    }
}

int ssb_write_dmp(const ssb_image *img, ssb_dmp_kind kind, const ssb_dmp_fields *fields,
                  const ssb_pfn_run *runs, size_t nruns, const char *path)
{
    if (!img || !fields || !path || (unsigned)kind >= SSB_DMP_KIND_COUNT)
        return -1;
    const kind_desc *k = &kinds[kind];
    unsigned w = k->width;
    uint64_t hsize = w == 8 ? 0x2000 : 0x1000;

    collect own = {0};
    if (!runs) {
        if (ssb_for_each_page(img, collect_page, &own) != 0) {
            free(own.runs);
            return -1;
        }
        runs = own.runs;
        nruns = own.n;
    }
    int rc = -1;
    int fd = -1;
    uint8_t *meta = NULL; /* header + whatever follows it before the first page */
    uint64_t meta_size = hsize;
    placed *pl = calloc(nruns ? nruns : 1, sizeof *pl);
    if (!pl)
        goto out;
    uint64_t pages = 0, end_pfn = 0;
    for (size_t i = 0; i < nruns; i++) {
        pl[i].pfn = runs[i].pfn;
        pl[i].count = runs[i].count;
        pages += runs[i].count;
        if (runs[i].pfn + runs[i].count > end_pfn)
            end_pfn = runs[i].pfn + runs[i].count;
    }

    uint64_t first = hsize;
    uint64_t bits = 0;
    if (k->layout == 'r') {
        size_t max_runs = (700 - 2 * w) / (2 * w);
        if (nruns > max_runs)
            goto out;
    } else if (k->layout == 'b') {
        bits = ssb_size(img) / PAGE;
        if (end_pfn > bits)
            bits = end_pfn;
        uint64_t bitmap_end = hsize + 0x38 + (bits + 7) / 8;
        first = (bitmap_end + PAGE - 1) & ~(PAGE - 1);
    } else {
        /* RDMP at hsize, 16-byte sub-header at +0x20, ranges at +0x30 and a zero entry */
        uint64_t ranges_end = hsize + 0x30 + 16 * ((uint64_t)nruns + 1);
        first = (ranges_end + PAGE - 1) & ~(PAGE - 1);
    }
    meta_size = first;
    meta = calloc(1, (size_t)meta_size);
    if (!meta)
        goto out;
    fill_header(meta, k, fields);

    if (k->layout == 'r') {
        uint8_t *pmd = meta + (w == 8 ? 0x88 : 0x64);
        put32(pmd, (uint32_t)nruns);
        if (w == 8)
            put32(pmd + 4, 0);
        putw(pmd + w, pages, w);
        for (size_t i = 0; i < nruns; i++) {
            putw(pmd + 2 * w + i * 2 * w, runs[i].pfn, w);
            putw(pmd + 2 * w + i * 2 * w + w, runs[i].count, w);
        }
        uint64_t off = hsize;
        for (size_t i = 0; i < nruns; i++) {
            pl[i].offset = off;
            off += runs[i].count * PAGE;
        }
    } else if (k->layout == 'b') {
        uint8_t *b = meta + hsize;
        put32(b, k->bitmap_sig);
        memcpy(b + 4, "DUMP", 4);
        put64(b + 0x20, first);
        put64(b + 0x28, pages);
        put64(b + 0x30, bits);
        qsort(pl, nruns, sizeof *pl, cmp_placed);
        uint64_t off = first;
        for (size_t i = 0; i < nruns; i++) {
            for (uint64_t p = pl[i].pfn; p < pl[i].pfn + pl[i].count; p++)
                b[0x38 + p / 8] |= (uint8_t)(1u << (p % 8));
            pl[i].offset = off;
            off += pl[i].count * PAGE;
        }
    } else {
        uint8_t *r = meta + hsize;
        put32(r, 0x40);
        memcpy(r + 4, "RDMP", 4);
        memcpy(r + 8, "DUMP", 4);
        put64(r + 0x10, first - (hsize + 0x20)); /* MetadataSize */
        put64(r + 0x18, first);                  /* FirstPageOffset */
        if (k->type == 0xA) {
            put32(r + 0x20, (uint32_t)nruns);
            put64(r + 0x28, pages);
        }
        uint64_t off = first;
        for (size_t i = 0; i < nruns; i++) {
            put64(r + 0x30 + 16 * i, runs[i].pfn);
            put64(r + 0x30 + 16 * i + 8, runs[i].count);
            pl[i].offset = off;
            off += runs[i].count * PAGE;
        }
    }
    if (k->layout != 'b')
        qsort(pl, nruns, sizeof *pl, cmp_placed);

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        goto out;
    if (ftruncate(fd, (off_t)(first + pages * PAGE)) != 0)
        goto out;
    if (pwrite(fd, meta, (size_t)meta_size, 0) != (ssize_t)meta_size)
        goto out;
    page_writer pw = {fd, pl, nruns};
    if (ssb_for_each_page(img, write_page, &pw) != 0)
        goto out;
    rc = 0;
out:
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    free(meta);
    free(pl);
    free(own.runs);
    return rc;
}

int ssb_write_dmp_header_only(unsigned width, uint32_t dump_type, const ssb_dmp_fields *fields,
                              const char *path)
{
    if ((width != 8 && width != 4) || !fields || !path)
        return -1;
    /* Only the header is described here; the fields come from fill_header. */
    kind_desc k = {"header-only", dump_type, width, 'h', 0};
    size_t hsize = width == 8 ? 0x2000 : 0x1000;
    /* A triage dump carries its TRIAGE_DUMP block and the few pages it keeps after the
     * header; their layout is not described here, so one page of zeros stands for them
     * (the reader must not look at it). */
    size_t size = hsize + PAGE;
    uint8_t *b = calloc(1, size);
    if (!b)
        return -1;
    fill_header(b, &k, fields);
    if (width == 8) /* PHYSICAL_MEMORY_DESCRIPTOR: a triage dump keeps none ("PAGE" pattern is fine too) */
        memset(b + 0x88, 0, 16);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = fd >= 0 && write(fd, b, size) == (ssize_t)size ? 0 : -1;
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    free(b);
    return rc;
}
